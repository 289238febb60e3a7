package pulsar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/pulsar/standin"
	"github.com/prodbench/prodbench/producer/registry"
)

// TestReadBackStandIn: the embedded stand-in opened with Retain reads back
// exactly the wanted topics' messages, under the scenario's topic names,
// with their keys, properties as headers, payloads, and the partition and
// offset their acks named (partition 0 for a non-partitioned topic).
func TestReadBackStandIn(t *testing.T) {
	t.Parallel()
	s := system(t)
	cfg := testConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topics := []registry.Topic{{Name: "orders", Partitions: 3}, {Name: "flat"}, {Name: "other", Partitions: 2}}
	op, err := s.Open(ctx, registry.OpenOptions{Config: s.NewConfig(), Producer: cfg, Topics: topics, Retain: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = op.Engine.Close(ctx)
		op.Release()
	}()
	if op.ReadBack == nil {
		t.Fatal("no ReadBack on the retained stand-in")
	}
	type where struct {
		topic     string
		partition int32
		offset    int64
	}
	var mu sync.Mutex
	acked := map[string]where{} // "topic/i" -> where the ack put it
	const n = 300
	for _, topic := range []string{"orders", "flat", "other"} {
		for i := 0; i < n; i++ {
			r := &producer.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i%7)), Value: value(i),
				Headers: []producer.Header{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "a", Value: []byte(topic)}}}
			op.Engine.Send(ctx, r, func(a producer.Ack, err error) {
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[a.Topic+"/"+string(a.Record.Headers[0].Value)] = where{a.Topic, a.Partition, a.Offset}
				mu.Unlock()
			})
		}
	}
	flush(t, op.Engine)
	seen := map[string]int{}
	last := map[where]int64{}
	err = op.ReadBack(ctx, []string{"orders", "flat"}, func(r *registry.ReadRecord) error {
		if len(r.Headers) != 2 || r.Headers[0].Key != "a" || string(r.Headers[0].Value) != r.Topic || r.Headers[1].Key != "h" {
			return fmt.Errorf("%s: headers %q", r.Topic, r.Headers)
		}
		var i int
		fmt.Sscan(string(r.Headers[1].Value), &i)
		id := r.Topic + "/" + string(r.Headers[1].Value)
		seen[id]++
		if string(r.Key) != fmt.Sprintf("key-%d", i%7) || string(r.Value) != string(value(i)) {
			return fmt.Errorf("%s: key %q value %q", id, r.Key, r.Value)
		}
		mu.Lock()
		a, ok := acked[id]
		mu.Unlock()
		if !ok || a.partition != r.Partition || a.offset != r.Offset {
			return fmt.Errorf("%s read back at partition %d offset %d, acked %+v (%v)", id, r.Partition, r.Offset, a, ok)
		}
		p := where{topic: r.Topic, partition: r.Partition}
		if o, had := last[p]; had && r.Offset <= o {
			return fmt.Errorf("%s: offset %d after %d in its partition", id, r.Offset, o)
		}
		last[p] = r.Offset
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2*n {
		t.Fatalf("read back %d distinct messages, want %d", len(seen), 2*n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("%s read back %d times", id, c)
		}
	}
	if _, ok := last[where{topic: "flat"}]; !ok {
		t.Fatalf("non-partitioned topic not read back at partition 0: %v", last)
	}
	// fn's error stops the read and is returned.
	stop := errors.New("stop")
	calls := 0
	if err := op.ReadBack(ctx, []string{"orders"}, func(*registry.ReadRecord) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("ReadBack returned %v after %d calls, want stop after 1", err, calls)
	}
	// A context that has ended stops it with the context's error.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if err := op.ReadBack(cctx, []string{"orders"}, func(*registry.ReadRecord) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadBack with a cancelled context returned %v", err)
	}
}

// TestNoReadBackWithoutRetain: a stand-in that keeps nothing, or a
// Pulsar given by URL (here a stand-in the engine does not own), offers no
// read back even with Retain.
func TestNoReadBackWithoutRetain(t *testing.T) {
	t.Parallel()
	op := openSys(t, "", nil, testConfig(), registry.Topic{Name: "x", Partitions: 1})
	if op.ReadBack != nil {
		t.Fatal("ReadBack set on a stand-in that retains nothing")
	}
	srv := startStandin(t, standin.Options{Retain: true})
	s := system(t)
	c := s.NewConfig()
	if err := s.ApplyURL(c, srv.URL()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	op, err := s.Open(ctx, registry.OpenOptions{Config: c, Producer: testConfig(), Topics: []registry.Topic{{Name: "x", Partitions: 1}}, Retain: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Engine.Close(ctx)
	if op.ReadBack != nil {
		t.Fatal("ReadBack set on a Pulsar given by URL")
	}
}
