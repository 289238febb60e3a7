package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/prodbench/prodbench/internal/kafkatest"
	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire/wiretest"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// startEmbedded starts an embedded broker closed at the end of the test.
func startEmbedded(t testing.TB, opts EmbeddedOptions) *Embedded {
	t.Helper()
	return transporttest.Start(t, StartEmbedded, opts)
}

// newTransport connects to e, closed at the end of the test.
func newTransport(t testing.TB, e *Embedded, acks producer.Acks, mod ...func(*Options)) *Transport {
	t.Helper()
	opts := Options{Brokers: e.Addrs(), Acks: acks, RequestTimeout: 10 * time.Second}
	for _, m := range mod {
		m(&opts)
	}
	tr, err := New(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// startTransport starts an embedded broker with opts and a transport
// (acks all) to it, both closed at the end of the test, and returns them
// with a context for the test's calls.
func startTransport(t testing.TB, opts EmbeddedOptions, mod ...func(*Options)) (*Embedded, *Transport, context.Context) {
	t.Helper()
	e := startEmbedded(t, opts)
	return e, newTransport(t, e, producer.AcksAll, mod...), testCtx(t)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// makeRecords returns n records for partition p with distinct keys,
// values and headers; every third has a nil key, every fifth an empty
// value, and record 1 a 3000-byte value.
func makeRecords(p int32, n int) []*producer.Record {
	recs := make([]*producer.Record, n)
	for i := range recs {
		r := &producer.Record{
			Key:   fmt.Appendf(nil, "key-%d-%d", p, i),
			Value: fmt.Appendf(nil, "value-%d-%d-%s", p, i, strings.Repeat("x", i)),
			Headers: []producer.Header{
				{Key: "p", Value: fmt.Appendf(nil, "%d", p)},
				{Key: "i", Value: fmt.Appendf(nil, "%d", i)},
			},
		}
		if i%3 == 2 {
			r.Key = nil
		}
		if i%5 == 4 {
			r.Value = []byte{}
		}
		if i == 1 {
			r.Value = bytes.Repeat([]byte{'L'}, 3000)
		}
		recs[i] = r
	}
	return recs
}

// lz4Batch compresses b's records section as an LZ4 frame, Kafka's lz4
// codec.
func lz4Batch(t testing.TB, b *producer.Batch) *producer.Batch {
	t.Helper()
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	if _, err := w.Write(b.Payload); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b.Payload, b.Codec = buf.Bytes(), producer.CodecLZ4
	return b
}

// produced is what one partition should hold: records from offset 0.
type produced struct {
	recs []*producer.Record
	ts   []int64
}

// consumeAll reads want's partitions of topic back from the start and
// checks every record byte for byte.
func consumeAll(t *testing.T, e *Embedded, topic string, want map[int32]*produced) {
	t.Helper()
	total := 0
	for _, p := range want {
		total += len(p.recs)
	}
	got := kafkatest.Consume(t, e.Addrs(), topic, total, 20*time.Second, 0, kgo.FetchMaxWait(100*time.Millisecond))
	if len(got) != total {
		t.Fatalf("consumed %d records, want %d", len(got), total)
	}
	for _, r := range got {
		p := want[r.Partition]
		if p == nil {
			t.Fatalf("record in unexpected partition %d", r.Partition)
		}
		if r.Offset < 0 || r.Offset >= int64(len(p.recs)) {
			t.Fatalf("partition %d: unexpected offset %d", r.Partition, r.Offset)
		}
		w := p.recs[r.Offset]
		where := fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)
		if !bytes.Equal(r.Key, w.Key) || (r.Key == nil) != (w.Key == nil) {
			t.Errorf("%s: key %q, want %q", where, r.Key, w.Key)
		}
		if !bytes.Equal(r.Value, w.Value) {
			t.Errorf("%s: value %q, want %q", where, wiretest.Head(r.Value), wiretest.Head(w.Value))
		}
		if len(r.Headers) != len(w.Headers) {
			t.Errorf("%s: %d headers, want %d", where, len(r.Headers), len(w.Headers))
		} else {
			for i, h := range w.Headers {
				if r.Headers[i].Key != h.Key || !bytes.Equal(r.Headers[i].Value, h.Value) {
					t.Errorf("%s: header %d %q=%q, want %q=%q", where, i, r.Headers[i].Key, r.Headers[i].Value, h.Key, h.Value)
				}
			}
		}
		if ts := r.Timestamp.UnixMilli(); ts != p.ts[r.Offset] {
			t.Errorf("%s: timestamp %d, want %d", where, ts, p.ts[r.Offset])
		}
	}
}

// addBatch records b's records in want after produce at baseOffset.
func addBatch(t *testing.T, want map[int32]*produced, b *producer.Batch, recs []*producer.Record, tsStep int64) {
	t.Helper()
	p := want[b.Partition]
	if p == nil {
		p = new(produced)
		want[b.Partition] = p
	}
	if b.FirstPosition() != int64(len(p.recs)) {
		t.Fatalf("%s/%d: base offset %d, want %d", b.Topic, b.Partition, b.FirstPosition(), len(p.recs))
	}
	for i, r := range recs {
		p.recs = append(p.recs, r)
		p.ts = append(p.ts, b.FirstTimestamp+tsStep*int64(i))
	}
}

func TestProduceEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		maxVersion *kversion.Versions // nil: newest kgo and kfake support
		produceV   int16
	}{
		{"latest", nil, 13},                 // topics by ID (KIP-516)
		{"kafka-2.8", kversion.V2_8_0(), 9}, // topics by name
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testProduceEndToEnd(t, tc.maxVersion, tc.produceV)
		})
	}
}

func testProduceEndToEnd(t *testing.T, versions *kversion.Versions, produceV int16) {
	const topic = "e2e"
	e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{topic: 3}, Retain: true})
	var seenV sync.Map
	e.Cluster().ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		seenV.Store(kr.GetVersion(), true)
		return nil, nil, false // observe only
	})
	tr := newTransport(t, e, producer.AcksAll, func(o *Options) {
		if versions != nil {
			o.ExtraOpts = append(o.ExtraOpts, kgo.MaxVersions(versions))
		}
	})
	ctx := testCtx(t)

	if n, err := tr.Partitions(ctx, topic); err != nil || n != 3 {
		t.Fatalf("Partitions = %d, %v; want 3", n, err)
	}
	now := time.Now().UnixMilli()
	want := map[int32]*produced{}
	for round := range 3 {
		var batches []*producer.Batch
		var recs [][]*producer.Record
		for p := int32(0); p < 3; p++ {
			rs := makeRecords(p, 5+int(p)+round)
			b := encodeBatch(topic, p, now+int64(round*1000), 3, rs)
			if p == 1 || round == 2 {
				b = lz4Batch(t, b)
			}
			batches, recs = append(batches, b), append(recs, rs)
		}
		leader, err := tr.Leader(ctx, topic, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Produce(ctx, leader, producer.AcksAll, 5*time.Second, batches); err != nil {
			t.Fatal(err)
		}
		for i, b := range batches {
			if b.Err != nil {
				t.Fatalf("batch %d: %v", i, b.Err)
			}
			if int(b.WireBytes) != BatchSize(b) {
				t.Errorf("batch %d: WireBytes %d, want %d", i, b.WireBytes, BatchSize(b))
			}
			if b.LogAppendTime != -1 {
				t.Errorf("batch %d: LogAppendTime %d, want -1 (create time)", i, b.LogAppendTime)
			}
			addBatch(t, want, b, recs[i], 3)
		}
	}
	var versionsSeen []int16
	seenV.Range(func(k, _ any) bool { versionsSeen = append(versionsSeen, k.(int16)); return true })
	if len(versionsSeen) != 1 || versionsSeen[0] != produceV {
		t.Errorf("produce request versions %v, want [%d]", versionsSeen, produceV)
	}
	consumeAll(t, e, topic, want)
}

func TestProduceAcksLeaderAndNone(t *testing.T) {
	t.Parallel()
	const topic = "acks"
	e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{topic: 1}, Retain: true})
	// The transport is set up for acks all; the other levels use lazily
	// created clients.
	tr := newTransport(t, e, producer.AcksAll)
	ctx := testCtx(t)
	now := time.Now().UnixMilli()
	want := map[int32]*produced{}

	rs := makeRecords(0, 4)
	b := encodeBatch(topic, 0, now, 1, rs)
	if err := tr.Produce(ctx, 0, producer.AcksLeader, time.Second, []*producer.Batch{b}); err != nil || b.Err != nil {
		t.Fatalf("acks leader: %v / %v", err, b.Err)
	}
	addBatch(t, want, b, rs, 1)

	rs2 := makeRecords(0, 6)
	b2 := encodeBatch(topic, 0, now+10, 2, rs2)
	if err := tr.Produce(ctx, 0, producer.AcksNone, time.Second, []*producer.Batch{b2}); err != nil || b2.Err != nil {
		t.Fatalf("acks none: %v / %v", err, b2.Err)
	}
	if b2.FirstPosition() != -1 || b2.LogAppendTime != -1 || int(b2.WireBytes) != BatchSize(b2) {
		t.Fatalf("acks none results: base %d, append time %d, wire %d", b2.FirstPosition(), b2.LogAppendTime, b2.WireBytes)
	}
	b2.Positions = []int64{4} // what the broker assigned; checked by consuming
	addBatch(t, want, b2, rs2, 2)
	// acks none is answered by nobody, and each acks level has its own
	// client (connection): wait until the write is in the log before the
	// next one, so that offsets are known.
	waitEndOffset(t, e, topic, 10)

	// A transport whose main client is acks none.
	tr0 := newTransport(t, e, producer.AcksNone)
	rs3 := makeRecords(0, 2)
	b3 := lz4Batch(t, encodeBatch(topic, 0, now+20, 1, rs3))
	if err := tr0.Produce(ctx, 0, producer.AcksNone, time.Second, []*producer.Batch{b3}); err != nil || b3.Err != nil || b3.FirstPosition() != -1 {
		t.Fatalf("acks none transport: %v / %v / base %d", err, b3.Err, b3.FirstPosition())
	}
	b3.Positions = []int64{10}
	addBatch(t, want, b3, rs3, 1)
	waitEndOffset(t, e, topic, 12)

	// acks all after acks none on the same transport still answers.
	rs4 := makeRecords(0, 1)
	b4 := encodeBatch(topic, 0, now+30, 1, rs4)
	if err := tr0.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b4}); err != nil || b4.Err != nil {
		t.Fatalf("acks all: %v / %v", err, b4.Err)
	}
	addBatch(t, want, b4, rs4, 1)
	consumeAll(t, e, topic, want)
}

// waitEndOffset waits until partition 0 of topic ends at offset end or
// later (the acks-none writes before it are in the log).
func waitEndOffset(t *testing.T, e *Embedded, topic string, end int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		offs, err := adm.ListEndOffsets(ctx, topic)
		if o, ok := offs.Lookup(topic, 0); err == nil && ok && o.Err == nil && o.Offset >= end {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("partition 0 of %s did not reach offset %d: %v", topic, end, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestProduceInvalidAcks(t *testing.T) {
	t.Parallel()
	e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{"t": 1}})
	tr := newTransport(t, e, producer.AcksAll)
	b := encodeBatch("t", 0, 1, 1, makeRecords(0, 1))
	if err := tr.Produce(testCtx(t), 0, producer.Acks(2), time.Second, []*producer.Batch{b}); err == nil {
		t.Fatal("Produce with acks 2 succeeded")
	}
	if _, err := New(testCtx(t), Options{Brokers: e.Addrs(), Acks: 7}); err == nil {
		t.Fatal("New with acks 7 succeeded")
	}
}

func TestNewUnreachable(t *testing.T) {
	t.Parallel()
	start := time.Now()
	tr, err := New(context.Background(), Options{Brokers: []string{"127.0.0.1:1"}, Acks: producer.AcksAll})
	if err == nil {
		tr.Close()
		t.Fatal("New succeeded against 127.0.0.1:1")
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("New took %v to fail", d)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.HasPrefix(err.Error(), "kafka: cannot reach brokers") {
		t.Errorf("error %q does not name the address", err)
	}
	t.Log(err)
}

func TestNewSeeds(t *testing.T) {
	t.Parallel()
	e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{"s": 1}})
	// One reachable seed of two is enough.
	tr, err := New(testCtx(t), Options{Brokers: []string{"127.0.0.1:1", e.Addrs()[0]}, Acks: producer.AcksAll})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	if n, err := tr.Partitions(testCtx(t), "s"); err != nil || n != 1 {
		t.Fatalf("Partitions = %d, %v", n, err)
	}
	// Every unreachable seed is named.
	_, err = New(testCtx(t), Options{Brokers: []string{"127.0.0.1:1", "127.0.0.1:2"}})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1: ") || !strings.Contains(err.Error(), "127.0.0.1:2: ") {
		t.Fatalf("two unreachable seeds: %v", err)
	}
	t.Log(err)
}

func TestNewSilentBroker(t *testing.T) {
	t.Parallel()
	// A listener that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	addr := ln.Addr().String()
	start := time.Now()
	_, err = New(context.Background(), Options{Brokers: []string{addr}, DialTimeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "no answer within 2.1s") {
		t.Fatalf("silent broker: %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("New took %v to give up on a silent broker", d)
	}
	t.Log(err)
}

func TestNewBadOptions(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	if _, err := New(ctx, Options{}); err == nil {
		t.Error("New without brokers succeeded")
	}
	_, err := New(ctx, Options{Brokers: []string{"127.0.0.1:notaport"}})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:notaport") {
		t.Errorf("New with a bad address: %v", err)
	}
	// A canceled context fails fast and names the address too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = New(cctx, Options{Brokers: []string{"127.0.0.1:1"}})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("New with a canceled context: %v", err)
	}
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	_, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{"four": 4, "dflt": 0}, DefaultPartitions: 2})

	for topic, want := range map[string]int32{"four": 4, "dflt": 2} {
		if n, err := tr.Partitions(ctx, topic); err != nil || n != want {
			t.Errorf("Partitions(%q) = %d, %v; want %d", topic, n, err, want)
		}
	}
	for p := int32(0); p < 4; p++ {
		if l, err := tr.Leader(ctx, "four", p); err != nil || l != 0 {
			t.Errorf("Leader(four, %d) = %d, %v; want 0", p, l, err)
		}
	}
	for _, p := range []int32{-1, 4} {
		if _, err := tr.Leader(ctx, "four", p); err == nil || !strings.Contains(err.Error(), "four") {
			t.Errorf("Leader(four, %d): %v", p, err)
		}
	}
	_, err := tr.Partitions(ctx, "missing")
	if !errors.Is(err, ErrUnknownTopic) || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("Partitions(missing) = %v, want an ErrUnknownTopic naming it", err)
	}
	if _, err := tr.Leader(ctx, "missing", 0); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("Leader(missing) = %v", err)
	}
	if _, err := tr.Partitions(ctx, ""); err == nil {
		t.Error("Partitions(\"\") succeeded")
	}
	if err := tr.Refresh(ctx); err != nil {
		t.Errorf("Refresh() = %v", err)
	}
	if err := tr.Refresh(ctx, "four", "missing"); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("Refresh(four, missing) = %v", err)
	}

	// Partition count changes show after Refresh.
	req := kmsg.NewPtrCreatePartitionsRequest()
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = "four", 6
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, tr.Client())
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("CreatePartitions: %v %+v", err, resp)
	}
	if n, _ := tr.Partitions(ctx, "four"); n != 4 {
		t.Errorf("cached Partitions(four) = %d before Refresh, want 4", n)
	}
	if err := tr.Refresh(ctx, "four"); err != nil {
		t.Fatal(err)
	}
	if n, err := tr.Partitions(ctx, "four"); err != nil || n != 6 {
		t.Errorf("Partitions(four) = %d, %v after Refresh, want 6", n, err)
	}
}

func TestMetadataAutoCreate(t *testing.T) {
	t.Parallel()
	_, tr, ctx := startTransport(t, EmbeddedOptions{DefaultPartitions: 3}, func(o *Options) { o.AutoCreateTopics = true })
	// Concurrent misses share one load.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if n, err := tr.Partitions(ctx, "auto"); err != nil || n != 3 {
				t.Errorf("Partitions(auto) = %d, %v; want 3", n, err)
			}
		})
	}
	wg.Wait()
	b := encodeBatch("auto", 2, 1, 1, makeRecords(2, 3))
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil || b.Err != nil || b.FirstPosition() != 0 {
		t.Fatalf("produce to auto-created topic: %v / %v / %d", err, b.Err, b.FirstPosition())
	}
}

// notLeaderOnce makes the cluster answer the next produce request with
// NOT_LEADER_OR_FOLLOWER for partition and success (base offset 100,
// log-append time 777) for the others.
func notLeaderOnce(c *kfake.Cluster, partition int32) {
	kafkatest.AnswerProduce(c, 1, func(sp *kmsg.ProduceResponseTopicPartition) {
		if sp.Partition == partition {
			sp.ErrorCode = kerr.NotLeaderForPartition.Code
			sp.BaseOffset = -1
		} else {
			sp.BaseOffset = 100
			sp.LogAppendTime = 777
		}
	})
}

func TestProduceBrokerError(t *testing.T) {
	t.Parallel()
	const topic = "errs"
	e, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{topic: 2}})
	if _, err := tr.Partitions(ctx, topic); err != nil {
		t.Fatal(err)
	}

	notLeaderOnce(e.Cluster(), 1)
	b0 := encodeBatch(topic, 0, 1, 1, makeRecords(0, 2))
	b1 := encodeBatch(topic, 1, 1, 1, makeRecords(1, 2))
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b0, b1}); err != nil {
		t.Fatal(err)
	}
	if b0.Err != nil || b0.FirstPosition() != 100 || b0.LogAppendTime != 777 {
		t.Errorf("batch 0: err %v, base %d, append time %d; want nil, 100, 777", b0.Err, b0.FirstPosition(), b0.LogAppendTime)
	}
	var be *producer.BrokerError
	if !errors.As(b1.Err, &be) {
		t.Fatalf("batch 1: Err %T %v, want *producer.BrokerError", b1.Err, b1.Err)
	}
	if be.Code != 6 || !be.Retriable || be.Name != "NOT_LEADER_OR_FOLLOWER" {
		t.Errorf("batch 1: %+v, want code 6 NOT_LEADER_OR_FOLLOWER retriable", *be)
	}
	if b1.FirstPosition() != -1 {
		t.Errorf("failed batch BaseOffset %d, want -1", b1.FirstPosition())
	}

	// The control answered once; the retry succeeds.
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b1}); err != nil || b1.Err != nil || b1.FirstPosition() != 0 {
		t.Fatalf("retry: %v / %v / base %d", err, b1.Err, b1.FirstPosition())
	}

	// A fault from kfake's own produce handling, on one partition only.
	e.Cluster().Fault(kfake.Fault{
		Keys:       []kmsg.Key{kmsg.Produce},
		Topic:      topic,
		Partitions: []int32{0},
		Err:        kerr.OutOfOrderSequenceNumber,
	})
	b0 = encodeBatch(topic, 0, 1, 1, makeRecords(0, 2))
	b1 = encodeBatch(topic, 1, 1, 1, makeRecords(1, 2))
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b0, b1}); err != nil {
		t.Fatal(err)
	}
	if !errors.As(b0.Err, &be) || be.Code != 45 || be.Retriable || be.Name != "OUT_OF_ORDER_SEQUENCE_NUMBER" {
		t.Errorf("faulted batch: %v, want non-retriable 45 OUT_OF_ORDER_SEQUENCE_NUMBER", b0.Err)
	}
	if b1.Err != nil || b1.FirstPosition() != 2 {
		t.Errorf("healthy batch: %v, base %d; want nil, 2", b1.Err, b1.FirstPosition())
	}
}

func TestBrokerErrorNames(t *testing.T) {
	t.Parallel()
	for _, want := range []producer.BrokerError{
		{Code: 2, Name: "CORRUPT_MESSAGE", Retriable: true},            // retriable: the batch may have been damaged in transit
		{Code: 3, Name: "UNKNOWN_TOPIC_OR_PARTITION", Retriable: true}, // retriable: metadata may be stale
		{Code: 6, Name: "NOT_LEADER_OR_FOLLOWER", Retriable: true},     // Kafka's name, not kerr's NOT_LEADER_FOR_PARTITION
		{Code: 10, Name: "MESSAGE_TOO_LARGE"},                          // a permanent refusal
		{Code: 7, Name: "REQUEST_TIMED_OUT", Retriable: true},          // may have been appended: idempotence dedupes the retry
		{Code: 45, Name: "OUT_OF_ORDER_SEQUENCE_NUMBER"},               // a sequence gap
		{Code: 46, Name: "DUPLICATE_SEQUENCE_NUMBER"},                  // already appended: the core treats it as success
		{Code: 51, Name: "CONCURRENT_TRANSACTIONS"},                    // retried by the transaction requests themselves
		{Code: 90, Name: "PRODUCER_FENCED"},                            // another producer took the transactional ID
		{Code: -1, Name: "UNKNOWN_SERVER_ERROR"},                       // the one negative code
		{Code: 32000, Name: "UNKNOWN_ERROR_CODE_32000"},                // a code kerr does not know keeps its number
	} {
		err := brokerError(want.Code)
		var be *producer.BrokerError
		var se *producer.SystemError
		if !errors.As(err, &be) || *be != want {
			t.Errorf("brokerError(%d) = %#v, want %+v", want.Code, err, want)
		}
		if exp := BrokerError(want.Code); exp == nil || *exp != want {
			t.Errorf("BrokerError(%d) = %+v, want %+v", want.Code, exp, want)
		}
		// The transport classifies it for the core: kind, retriable,
		// and a metadata reload for the leader-moved codes.
		wantMeta := want.Code == 3 || want.Code == 6
		if !errors.As(err, &se) || se.Kind != "broker:"+want.Name || se.Retriable != want.Retriable || se.Metadata != wantMeta {
			t.Errorf("brokerError(%d) classified %#v, want kind broker:%s retriable %v metadata %v", want.Code, se, want.Name, want.Retriable, wantMeta)
		}
	}
	if brokerError(0) != nil || BrokerError(0) != nil {
		t.Error("brokerError(0) or BrokerError(0) != nil")
	}
	// Retriable follows kerr for every code kerr knows, and ErrorCode
	// maps the name back.
	for code := int16(-1); code < 200; code++ {
		ke := kerr.TypedErrorForCode(code)
		if code == 0 || ke == nil || ke.Code != code {
			continue
		}
		var be *producer.BrokerError
		if errors.As(brokerError(code), &be); be.Retriable != kerr.IsRetriable(ke) {
			t.Errorf("code %d %s: Retriable %v, kerr says %v", code, be.Name, be.Retriable, kerr.IsRetriable(ke))
		}
		if got, ok := ErrorCode(be.Name); got != code || !ok {
			t.Errorf("ErrorCode(%q) = %d, %v; want %d, true", be.Name, got, ok, code)
		}
	}
	// ErrorCode also takes kerr's pre-KIP-562 name, in any case; 0 NONE
	// and unknown names are no error codes.
	for name, want := range map[string]int16{"NOT_LEADER_FOR_PARTITION": 6, "request_timed_out": 7} {
		if got, ok := ErrorCode(name); got != want || !ok {
			t.Errorf("ErrorCode(%q) = %d, %v; want %d, true", name, got, ok, want)
		}
	}
	for _, name := range []string{"NONE", "NOT_AN_ERROR"} {
		if got, ok := ErrorCode(name); got != 0 || ok {
			t.Errorf("ErrorCode(%q) = %d, %v; want 0, false", name, got, ok)
		}
	}
}

func TestProduceIdempotentFields(t *testing.T) {
	t.Parallel()
	const topic = "idem"
	_, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{topic: 1}})
	send := func(seq int32, n int) *producer.Batch {
		b := encodeBatch(topic, 0, 1, 1, makeRecords(0, n))
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = 4242, 0, seq
		if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := send(0, 3); b.Err != nil || b.FirstPosition() != 0 {
		t.Fatalf("seq 0: %v / %d", b.Err, b.FirstPosition())
	}
	if b := send(3, 2); b.Err != nil || b.FirstPosition() != 3 {
		t.Fatalf("seq 3: %v / %d", b.Err, b.FirstPosition())
	}
	// The broker checks the sequence we wrote: a gap is rejected.
	var be *producer.BrokerError
	var se *producer.SystemError
	if b := send(9, 1); !errors.As(b.Err, &be) || be.Code != kerr.OutOfOrderSequenceNumber.Code || !errors.As(b.Err, &se) || !se.Sequence {
		t.Fatalf("seq 9: %v, want OUT_OF_ORDER_SEQUENCE_NUMBER classified Sequence", b.Err)
	}
}

// TestProduceInOrder begins 200 idempotent produce requests to one
// partition, each in its own goroutine as soon as the one before has been
// written (ProduceInOrder's written): the broker must get them in that
// order, so every sequence number is the next expected one and no batch
// is refused. written runs exactly once per call, also when the request
// fails before it is written.
func TestProduceInOrder(t *testing.T) {
	t.Parallel()
	const topic = "inorder"
	_, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{topic: 1}})
	pipe := tr.Capabilities().Pipelining
	if pipe == nil {
		t.Fatal("no Pipelining capability")
	}
	const n = 200
	batches := make([]*producer.Batch, n)
	writes := make([]atomic.Int32, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		b := encodeBatch(topic, 0, 1, 1, makeRecords(int32(i), 2))
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = 777, 0, int32(2*i)
		batches[i] = b
		written := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = pipe.ProduceInOrder(ctx, 0, producer.AcksAll, 5*time.Second, []*producer.Batch{b}, func() {
				writes[i].Add(1)
				close(written)
			})
		}()
		<-written
	}
	wg.Wait()
	for i, b := range batches {
		if errs[i] != nil || b.Err != nil {
			t.Fatalf("request %d: %v / %v (written out of order?)", i, errs[i], b.Err)
		}
		if got := b.FirstPosition(); got != int64(2*i) {
			t.Errorf("request %d at offset %d, want %d", i, got, 2*i)
		}
		if w := writes[i].Load(); w != 1 {
			t.Errorf("request %d: written ran %d times", i, w)
		}
	}
	var calls atomic.Int32
	if err := pipe.ProduceInOrder(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{nil}, func() { calls.Add(1) }); err == nil {
		t.Fatal("nil batch: no error")
	}
	if c := calls.Load(); c != 1 {
		t.Fatalf("failed request: written ran %d times, want 1", c)
	}
}

func TestProduceRequestErrors(t *testing.T) {
	t.Parallel()
	const topic = "reqerr"
	e, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{topic: 2}})
	mk := func(p int32) *producer.Batch { return encodeBatch(topic, p, 1, 1, makeRecords(p, 1)) }

	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, nil); err != nil {
		t.Errorf("empty produce: %v", err)
	}
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{mk(0), nil}); err == nil {
		t.Error("nil batch accepted")
	}
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{mk(1), mk(0), mk(1)}); err == nil || !strings.Contains(err.Error(), "reqerr/1") {
		t.Errorf("duplicate partition: %v", err)
	}
	b := encodeBatch("nope", 0, 1, 1, makeRecords(0, 1))
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b}); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("unknown topic: %v", err)
	}
	if err := tr.Produce(ctx, 99, producer.AcksAll, time.Second, []*producer.Batch{mk(0)}); err == nil {
		t.Error("produce to unknown broker 99 succeeded")
	}

	// The broker drops the connection: the request fails as a whole.
	e.Cluster().ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		return nil, errors.New("drop"), true
	})
	b0 := mk(0)
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b0}); err == nil {
		t.Error("produce over a dropped connection succeeded")
	} else if b0.Err != nil {
		t.Errorf("request error also set batch Err %v", b0.Err)
	}
	// The transport recovers on a new connection. kgo may hand out the
	// dying connection once more ("the broker connection has died"; CI saw
	// it), which the core retries: allow a few attempts, as it would.
	var recErr error
	for attempt := 0; attempt < 5; attempt++ {
		b0 = mk(0)
		if recErr = tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b0}); recErr == nil && b0.Err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if recErr != nil || b0.Err != nil {
		t.Errorf("produce after reconnect, 5 attempts: %v / %v", recErr, b0.Err)
	}

	// A corrupted batch is the broker's per-partition CORRUPT_MESSAGE.
	bad := mk(1)
	bad.Codec = 7 // no such compression codec
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{bad}); err != nil {
		t.Fatal(err)
	}
	var be *producer.BrokerError
	if !errors.As(bad.Err, &be) || be.Code != kerr.CorruptMessage.Code {
		t.Errorf("corrupt batch: %v", bad.Err)
	}

	// A request timeout: the broker never answers within ctx.
	e.Cluster().ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		return nil, nil, true // no answer
	})
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := tr.Produce(tctx, 0, producer.AcksAll, time.Second, []*producer.Batch{mk(0)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unanswered produce: %v, want deadline exceeded", err)
	}

	tr.Close()
	tr.Close()
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{mk(0)}); !errors.Is(err, ErrClosed) {
		t.Errorf("produce after Close: %v", err)
	}
	if _, err := tr.Partitions(ctx, topic); !errors.Is(err, ErrClosed) {
		t.Errorf("Partitions after Close: %v", err)
	}
}

func TestProduceConcurrent(t *testing.T) {
	t.Parallel()
	const topic = "conc"
	const parts, perPart, rounds = 4, 3, 25
	_, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{topic: parts}})
	var mu sync.Mutex
	offsets := map[int32][]int64{}
	var wg sync.WaitGroup
	for p := int32(0); p < parts; p++ {
		for range perPart {
			wg.Go(func() {
				for range rounds {
					b := encodeBatch(topic, p, 1, 1, makeRecords(p, 2))
					if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil || b.Err != nil {
						t.Errorf("produce: %v / %v", err, b.Err)
						return
					}
					mu.Lock()
					offsets[p] = append(offsets[p], b.FirstPosition())
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for p, offs := range offsets {
		seen := map[int64]bool{}
		for _, o := range offs {
			if o%2 != 0 || o < 0 || o >= 2*perPart*rounds || seen[o] {
				t.Errorf("partition %d: bad or duplicate offset %d", p, o)
			}
			seen[o] = true
		}
		if len(seen) != perPart*rounds {
			t.Errorf("partition %d: %d batches acked, want %d", p, len(seen), perPart*rounds)
		}
	}
}

func TestEmbeddedListen(t *testing.T) {
	t.Parallel()
	e := startEmbedded(t, EmbeddedOptions{Listen: "127.0.0.1:0"})
	addr := e.Addrs()[0]
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Errorf("Addrs() = %v", e.Addrs())
	}
	_, err := StartEmbedded(EmbeddedOptions{Listen: addr})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("second broker on %s: %v", addr, err)
	}
	for _, bad := range []string{"nonsense", "127.0.0.1:99999", "127.0.0.1:http", "256.1.1.1:0"} {
		if e2, err := StartEmbedded(EmbeddedOptions{Listen: bad}); err == nil {
			e2.Close()
			t.Errorf("StartEmbedded(%q) succeeded", bad)
		} else if !strings.Contains(err.Error(), bad) {
			t.Errorf("StartEmbedded(%q): %v does not name the address", bad, err)
		}
	}
	if _, err := StartEmbedded(EmbeddedOptions{Topics: map[string]int32{"": 1}}); err == nil {
		t.Error("empty topic name accepted")
	}
	// A default-options broker listens on loopback.
	d := startEmbedded(t, EmbeddedOptions{})
	if a := d.Addrs()[0]; !strings.HasPrefix(a, "127.0.0.1:") {
		t.Errorf("default Addrs() = %v", d.Addrs())
	}
}

func TestEmbeddedBlackhole(t *testing.T) {
	t.Parallel()
	_, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{"bh": 1}})
	for i := range 3 {
		b := encodeBatch("bh", 0, 1, 1, makeRecords(0, 10))
		if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil || b.Err != nil {
			t.Fatalf("produce: %v / %v", err, b.Err)
		}
		if b.FirstPosition() != int64(10*i) {
			t.Errorf("blackholed base offset %d, want %d", b.FirstPosition(), 10*i)
		}
	}
}

func TestTransportInterface(t *testing.T) {
	t.Parallel()
	var tr producer.Transport = &Transport{}
	if tr.BatchOverhead() != 61 {
		t.Errorf("BatchOverhead = %d", tr.BatchOverhead())
	}
	r := &producer.Record{Key: []byte("k"), Value: []byte("v")}
	if got, want := tr.AppendRecord(nil, 1, 2, r), AppendRecord(nil, 1, 2, r); !bytes.Equal(got, want) {
		t.Errorf("Transport.AppendRecord differs from AppendRecord")
	}
	// A zero Transport fails cleanly.
	ctx := testCtx(t)
	if _, err := tr.Partitions(ctx, "t"); err == nil {
		t.Error("zero Transport: Partitions succeeded")
	}
	if _, err := tr.Leader(ctx, "t", 0); err == nil {
		t.Error("zero Transport: Leader succeeded")
	}
	if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{{Topic: "t"}}); err == nil {
		t.Error("zero Transport: Produce succeeded")
	}
	if err := tr.(*Transport).Refresh(ctx); err == nil {
		t.Error("zero Transport: Refresh succeeded")
	}
	tr.(*Transport).Close()
}

func BenchmarkProduceEmbedded(b *testing.B) {
	e := startEmbedded(b, EmbeddedOptions{Topics: map[string]int32{"bench": 1}})
	tr := newTransport(b, e, producer.AcksAll)
	r := &producer.Record{Key: bytes.Repeat([]byte{'k'}, 16), Value: bytes.Repeat([]byte{'v'}, 100)}
	recs := make([]*producer.Record, 1000)
	for i := range recs {
		recs[i] = r
	}
	batch := encodeBatch("bench", 0, time.Now().UnixMilli(), 0, recs)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(BatchSize(batch)))
	for b.Loop() {
		if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{batch}); err != nil || batch.Err != nil {
			b.Fatal(err, batch.Err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
}

// TestConformance runs the conformance suite over the native core on the
// Kafka transport against the embedded broker (kfake).
func TestConformance(t *testing.T) {
	transporttest.RunTransport(t, transporttest.TransportHarness{
		Open: func(t testing.TB, topic string, partitions int) producer.Transport {
			e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{topic: int32(partitions)}})
			return newTransport(t, e, producer.AcksAll)
		},
	})
}
