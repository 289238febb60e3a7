package pulsarws

import (
	"context"
	"io"
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
