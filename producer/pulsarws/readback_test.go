package pulsarws

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// TestReadBackStandIn: for both kinds, the embedded stand-in opened with
// Retain reads back exactly the wanted topics' messages, under the
// scenario's topic names, with their keys, properties as headers,
// payloads, and the partition and offset their acks named.
func TestReadBackStandIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind   string
		set    func(any)
		topics []string // the first two are read back, the last is not
	}{
		// a tenant of its own and a full name in another namespace
		{Kind, func(c any) { c.(*PulsarConfig).Tenant = "acme" }, []string{"orders", "persistent://t2/n2/full", "other"}},
		// a short stream name and one already prefixed
		{MacrometaKind, nil, []string{"orders", "c8globals.pre", "other"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			op := open(t, tc.kind, "", tc.set, producer.DefaultConfig(), tc.topics...)
			if op.ReadBack == nil {
				t.Fatal("no ReadBack on the retained stand-in")
			}
			type ack struct {
				partition int32
				offset    int64
			}
			var (
				mu    sync.Mutex
				acked = map[string]ack{} // topic/i
				wg    sync.WaitGroup
			)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			const n = 200
			for _, topic := range tc.topics {
				for i := 0; i < n; i++ {
					r := &producer.Record{Topic: topic, Value: []byte("v" + strconv.Itoa(i)),
						Headers: []producer.Header{{Key: "h", Value: []byte(strconv.Itoa(i))}, {Key: "a", Value: []byte(topic)}}}
					if i%2 == 0 {
						r.Key = []byte("k" + strconv.Itoa(i%5))
					}
					wg.Add(1)
					op.Engine.Send(ctx, r, func(a producer.Ack, err error) {
						defer wg.Done()
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						acked[a.Topic+"/"+string(a.Record.Headers[0].Value)] = ack{a.Partition, a.Offset}
						mu.Unlock()
					})
				}
			}
			wg.Wait()
			seen := map[string]int{}
			lastOffset := map[string]int64{}
			err := op.ReadBack(ctx, tc.topics[:2], func(r *registry.ReadRecord) error {
				if len(r.Headers) != 2 || r.Headers[0].Key != "a" || string(r.Headers[0].Value) != r.Topic || r.Headers[1].Key != "h" {
					return fmt.Errorf("%s: headers %q", r.Topic, r.Headers)
				}
				i, _ := strconv.Atoi(string(r.Headers[1].Value))
				id := r.Topic + "/" + strconv.Itoa(i)
				seen[id]++
				if string(r.Value) != "v"+strconv.Itoa(i) {
					return fmt.Errorf("%s: value %q", id, r.Value)
				}
				if want := "k" + strconv.Itoa(i%5); i%2 == 0 && string(r.Key) != want || i%2 == 1 && r.Key != nil {
					return fmt.Errorf("%s: key %q", id, r.Key)
				}
				mu.Lock()
				a, ok := acked[id]
				mu.Unlock()
				if !ok || a.partition != r.Partition || a.offset != r.Offset {
					return fmt.Errorf("%s read back at partition %d offset %d, acked %+v (%v)", id, r.Partition, r.Offset, a, ok)
				}
				if o, had := lastOffset[r.Topic]; had && r.Offset <= o {
					return fmt.Errorf("%s: offset %d after %d", id, r.Offset, o)
				}
				lastOffset[r.Topic] = r.Offset
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != 2*n {
				t.Fatalf("read back %d distinct messages of %v, want %d", len(seen), tc.topics[:2], 2*n)
			}
			for id, c := range seen {
				if c != 1 {
					t.Fatalf("%s read back %d times", id, c)
				}
			}
			stop := errors.New("stop")
			calls := 0
			if err := op.ReadBack(ctx, tc.topics[:1], func(*registry.ReadRecord) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
				t.Fatalf("ReadBack returned %v after %d calls, want stop after 1", err, calls)
			}
			// A context that has ended stops it with the context's error.
			cctx, ccancel := context.WithCancel(ctx)
			ccancel()
			if err := op.ReadBack(cctx, tc.topics[:1], func(*registry.ReadRecord) error { return nil }); !errors.Is(err, context.Canceled) {
				t.Fatalf("ReadBack with a cancelled context returned %v", err)
			}
		})
	}
}

// TestNoReadBackFromURL: a target given by URL (here a stand-in the
// engine does not own) offers no read back, even with Retain.
func TestNoReadBackFromURL(t *testing.T) {
	t.Parallel()
	s, err := startStandin(standinOptions{retain: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if op := open(t, Kind, s.Addr(), nil, producer.DefaultConfig(), "orders"); op.ReadBack != nil {
		t.Fatal("pulsar-ws: ReadBack set on a target given by URL")
	}
}
