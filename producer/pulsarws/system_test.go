package pulsarws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// open opens kind's engine through its registered System (NewConfig,
// ApplyURL, Validate, Open), as prodbench does.
func open(t testing.TB, kind, rawURL string, set func(cfg any), p producer.Config, topics ...string) *registry.Opened {
	t.Helper()
	sys, ok := registry.Lookup(kind)
	if !ok {
		t.Fatalf("kind %s not registered", kind)
	}
	cfg := sys.NewConfig()
	if set != nil {
		set(cfg)
	}
	if rawURL != "" {
		if err := sys.ApplyURL(cfg, rawURL); err != nil {
			t.Fatalf("ApplyURL: %v", err)
		}
	}
	if err := sys.Validate(cfg, p, noScope{}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	var ts []registry.Topic
	for _, n := range topics {
		ts = append(ts, registry.Topic{Name: n, Partitions: 1})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, bench := t.(*testing.B) // benchmarks run the stand-in without retaining
	op, err := sys.Open(ctx, registry.OpenOptions{Config: cfg, Producer: p, Topics: ts, Retain: !bench, Log: io.Discard})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		op.Engine.Close(ctx)
		if op.Release != nil {
			op.Release()
		}
	})
	return op
}

func TestConformancePulsarWS(t *testing.T) {
	transporttest.RunEngine(t, transporttest.Harness{
		// One connection per topic, so acks (entry IDs of the topic)
		// arrive in position order.
		Positions:  true,
		Partitions: 1,
		Open: func(t testing.TB, cfg producer.Config, topic string, _ int) registry.Engine {
			op := open(t, Kind, "", nil, cfg, topic)
			if !op.StandIn {
				t.Fatal("embedded target not marked StandIn")
			}
			return op.Engine
		},
	})
}

func TestConformanceMacrometa(t *testing.T) {
	transporttest.RunEngine(t, transporttest.Harness{
		Partitions:     1,
		PendingWindows: 3, // one window per connection
		Open: func(t testing.TB, cfg producer.Config, topic string, _ int) registry.Engine {
			// Several connections per stream: keys keep to one.
			op := open(t, MacrometaKind, "", func(c any) { c.(*MacrometaConfig).Connections = 3 }, cfg, topic)
			if !op.StandIn {
				t.Fatal("embedded target not marked StandIn")
			}
			return op.Engine
		},
	})
}

// results collects callbacks.
type results struct {
	mu    sync.Mutex
	calls map[int]int
	kinds map[string]int
	wg    sync.WaitGroup
}

func newResults() *results { return &results{calls: map[int]int{}, kinds: map[string]int{}} }

func (r *results) send(ctx context.Context, e registry.Engine, topic string, i int, key []byte) {
	r.wg.Add(1)
	rec := &producer.Record{Topic: topic, Key: key, Value: []byte{byte(i), byte(i >> 8), 0xff, '"'}, Context: i,
		Headers: []producer.Header{{Key: "h\"1", Value: []byte("v\n1")}}}
	e.Send(ctx, rec, func(a producer.Ack, err error) {
		r.mu.Lock()
		r.calls[a.Record.Context.(int)]++
		r.kinds[producer.ErrorKind(err)]++
		r.mu.Unlock()
		r.wg.Done()
	})
}

func (r *results) check(t *testing.T, n int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < n; i++ {
		if r.calls[i] != 1 {
			t.Fatalf("message %d: %d callbacks, want 1", i, r.calls[i])
		}
	}
	total := 0
	for _, v := range r.kinds {
		total += v
	}
	if total != n {
		t.Fatalf("%d outcomes counted for %d messages: %v", total, n, r.kinds)
	}
}

func TestStandInRetainsFrames(t *testing.T) {
	p := producer.DefaultConfig()
	s, err := startStandin(standinOptions{retain: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	op := open(t, Kind, s.Addr(), func(c any) { c.(*PulsarConfig).Tenant = "acme"; c.(*PulsarConfig).ProducerName = "pb" }, p, "orders")
	r := newResults()
	for i := 0; i < 50; i++ {
		r.send(context.Background(), op.Engine, "orders", i, []byte("k\xff"))
	}
	r.wg.Wait()
	r.check(t, 50)
	if r.kinds[""] != 50 {
		t.Fatalf("outcomes %v, want 50 acks", r.kinds)
	}
	msgs := s.messages("persistent://acme/default/orders")
	if len(msgs) != 50 {
		t.Fatalf("stand-in kept %d messages, want 50", len(msgs))
	}
	m := msgs[7]
	if m.Payload[0] != 7 || m.Payload[2] != 0xff || !m.HasKey || m.Key != "k\ufffd" || m.Properties["h\"1"] != "v\n1" {
		t.Fatalf("message 7 arrived as %+v", m)
	}
	for _, want := range []string{"producerName=pb-0", "sendTimeoutMillis=30000", "batchingEnabled=true", "batchingMaxPublishDelay=5", "maxPendingMessages=10000", "compressionType=NONE"} {
		if !contains(splitQuery(m.Params), want) {
			t.Errorf("query %q lacks %s", m.Params, want)
		}
	}
}

func splitQuery(q string) []string {
	var out []string
	for len(q) > 0 {
		i := 0
		for i < len(q) && q[i] != '&' {
			i++
		}
		out = append(out, q[:i])
		if i < len(q) {
			i++
		}
		q = q[i:]
	}
	return out
}

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
