package producer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

// pipeTransport is a fake with Idempotence and Pipelining that checks
// sequence numbers as a Kafka broker does (KIP-98): per partition it
// appends a batch whose BaseSequence is the next expected one, answers a
// resend of one of the last 5 batches as a duplicate (success, no
// positions) and refuses any other sequence with a Sequence error. It
// writes a request (the broker's view) before calling written, then
// answers after a random pause, so that answers to requests written in
// order come back to the producer in any order. Every failEvery-th request
// fails its first batch with a retriable error before the broker sees it.
type pipeTransport struct {
	*fakeTransport
	failEvery int

	mu       sync.Mutex
	requests int
	pid      int64
	parts    map[int32]*pipePart
}

type pipePart struct {
	pid    int64
	next   int32
	recent []int32 // base sequences of the last 5 batches
	keys   []string
}

func newPipe(partitions int32, failEvery int) *pipeTransport {
	return &pipeTransport{fakeTransport: newFake(partitions), failEvery: failEvery, parts: map[int32]*pipePart{}}
}

func (f *pipeTransport) Capabilities() Capabilities {
	c := f.fakeTransport.Capabilities()
	c.Idempotence, c.Pipelining = f, f
	return c
}

func (f *pipeTransport) InitProducerID(context.Context, string, time.Duration) (int64, int16, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pid++
	return f.pid, 0, nil
}

func (f *pipeTransport) Produce(context.Context, int32, Acks, time.Duration, []*Batch) error {
	return fmt.Errorf("pipeTransport: Produce called; the idempotent producer must use ProduceInOrder")
}

func (f *pipeTransport) ProduceInOrder(ctx context.Context, broker int32, acks Acks, timeout time.Duration, bs []*Batch, written func()) error {
	f.mu.Lock()
	f.requests++
	failFirst := f.failEvery > 0 && f.requests%f.failEvery == 0
	for i, b := range bs {
		if i == 0 && failFirst {
			b.Err = &SystemError{Kind: "fake:not_leader", Retriable: true, Err: fmt.Errorf("injected")}
			continue
		}
		f.append(b)
	}
	f.mu.Unlock()
	written()
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
	return nil
}

// append applies b to its partition's log as the broker would; f.mu is
// held.
func (f *pipeTransport) append(b *Batch) {
	pp := f.parts[b.Partition]
	if pp == nil || pp.pid != b.ProducerID {
		if pp == nil {
			pp = &pipePart{}
			f.parts[b.Partition] = pp
		}
		if b.BaseSequence != 0 {
			b.Err = &SystemError{Kind: "fake:out_of_order", Sequence: true, Err: fmt.Errorf("new producer %d starts at sequence %d", b.ProducerID, b.BaseSequence)}
			return
		}
		pp.pid, pp.next, pp.recent = b.ProducerID, 0, nil
	}
	for _, s := range pp.recent {
		if s == b.BaseSequence {
			return // duplicate: success without positions
		}
	}
	if b.BaseSequence != pp.next {
		b.Err = &SystemError{Kind: "fake:out_of_order", Sequence: true, Err: fmt.Errorf("sequence %d, want %d", b.BaseSequence, pp.next)}
		return
	}
	_, keys, ok := decodeBatch(b)
	if !ok {
		return
	}
	for _, k := range keys {
		b.Positions = append(b.Positions, int64(len(pp.keys)))
		pp.keys = append(pp.keys, string(k))
	}
	pp.next += b.Records
	if pp.recent = append(pp.recent, b.BaseSequence); len(pp.recent) > 5 {
		pp.recent = pp.recent[1:]
	}
}

// TestPipelinedOrder runs the idempotent producer over pipeTransport with
// up to 5 batches of a partition in flight, answers in random order and a
// retriable failure every 7th request (which makes the broker refuse the
// partition's batches behind the failed one for their sequence). Every
// record must be acked once, the callbacks of each partition must run in
// send order with increasing offsets, and each partition's log must hold
// every record once, in send order.
//
// With retries 0 the injected failures are final: each leaves a gap in
// its partition's sequence, and a failure of a resend behind it leaves
// another. Only the injected failures may then fail records (never a
// sequence refusal), and the log must hold the acked records once each,
// in send order.
func TestPipelinedOrder(t *testing.T) {
	for _, tc := range []struct{ failEvery, retries int }{{0, 5}, {7, 5}, {5, 0}} {
		t.Run(fmt.Sprintf("fail-every-%d-retries-%d", tc.failEvery, tc.retries), func(t *testing.T) {
			t.Parallel()
			failEvery := tc.failEvery
			tr := newPipe(3, failEvery)
			cfg := DefaultConfig()
			cfg.Idempotent = true
			cfg.Linger = 0
			cfg.MaxBatchMessages = 2
			cfg.Retries = tc.retries
			cfg.RetryBackoff = time.Millisecond
			cfg.MaxRetryBackoff = 5 * time.Millisecond
			p, err := New(cfg, tr)
			if err != nil {
				t.Fatal(err)
			}
			const n = 3000
			var mu sync.Mutex
			calls := make([]int, n)
			lastSent := map[int32]int{}
			lastOffset := map[int32]int64{}
			sentOrder := map[int32][]string{}
			failed := 0
			for i := range n {
				key := "k" + strconv.Itoa(i%30)
				p.Send(context.Background(), &Record{Topic: "t", Key: []byte(key + "/" + strconv.Itoa(i))}, func(a Ack, err error) {
					mu.Lock()
					defer mu.Unlock()
					calls[i]++
					if err != nil {
						if tc.retries > 0 || ErrorKind(err) != "fake:not_leader" {
							t.Errorf("record %d: %v", i, err)
						}
						failed++
						return
					}
					if last, ok := lastSent[a.Partition]; ok && i < last {
						t.Errorf("partition %d: callback of record %d after record %d's", a.Partition, i, last)
					}
					lastSent[a.Partition] = i
					if last, ok := lastOffset[a.Partition]; ok && a.Offset >= 0 && a.Offset <= last {
						t.Errorf("partition %d: record %d at offset %d after offset %d", a.Partition, i, a.Offset, last)
					}
					if a.Offset >= 0 {
						lastOffset[a.Partition] = a.Offset
					}
					sentOrder[a.Partition] = append(sentOrder[a.Partition], key+"/"+strconv.Itoa(i))
				})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := p.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			for i, c := range calls {
				if c != 1 {
					t.Fatalf("record %d: %d callbacks, want 1", i, c)
				}
			}
			tr.mu.Lock()
			defer tr.mu.Unlock()
			for part, want := range sentOrder {
				got := tr.parts[part].keys
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("partition %d: log holds %d records, acked %d, or their order differs", part, len(got), len(want))
				}
			}
			st := p.Stats()
			if st.Pipelined == 0 {
				t.Errorf("no batch went while another of its partition was in flight: %+v", st)
			}
			if failEvery > 0 && st.Retries == 0 {
				t.Errorf("no retries with a failure every %d requests: %+v", failEvery, st)
			}
			if tc.retries == 0 && failed == 0 {
				t.Errorf("no record failed with a final failure every %d requests", failEvery)
			}
			t.Logf("%+v", st)
		})
	}
}
