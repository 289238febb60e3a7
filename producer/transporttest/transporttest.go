// Package transporttest is the conformance suite every target system's
// engine passes: each callback exactly once, order within a partition,
// positions increasing within a partition, Flush and Close semantics, and
// no goroutine left after Close. A system's test calls RunEngine with a
// Harness that opens its engine against its embedded stand-in.
package transporttest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// Harness opens engines for the suite.
type Harness struct {
	// Open returns a new engine sending to topic, which has partitions
	// partitions on a target that exists for the whole subtest (the
	// harness starts and stops it, with t.Cleanup). cfg is
	// producer.DefaultConfig() with the suite's changes; the harness may
	// adjust options its system does not take (say which in a comment).
	Open func(t testing.TB, cfg producer.Config, topic string, partitions int) registry.Engine
	// Positions is true when acks carry increasing positions (offset,
	// stream sequence) within a partition.
	Positions bool
	// Partitions is the partition count the suite uses; 0 means 3.
	Partitions int
	// PendingWindows is how many independent windows of
	// max_pending_messages the engine keeps (Pulsar's client: one per
	// partition; a WebSocket client: one per connection); 0 means 1.
	PendingWindows int
}

// RunEngine runs every conformance check as a subtest of t.
func RunEngine(t *testing.T, h Harness) {
	if h.Partitions == 0 {
		h.Partitions = 3
	}
	t.Run("CallbackOnceAndOrder", func(t *testing.T) { callbackOnceAndOrder(t, h) })
	t.Run("FlushWaits", func(t *testing.T) { flushWaits(t, h) })
	t.Run("CloseLeavesNoGoroutine", func(t *testing.T) { closeLeavesNoGoroutine(t, h) })
	t.Run("SendAfterCloseFailsClosed", func(t *testing.T) { sendAfterClose(t, h) })
	t.Run("BackpressureAtPendingLimit", func(t *testing.T) { backpressure(t, h) })
	t.Run("QueueFullKind", func(t *testing.T) { queueFullKind(t, h) })
	t.Run("RecordCopier", func(t *testing.T) { recordCopier(t, h) })
}

// Start calls start(opts) and closes what it returns at the end of the
// test or benchmark (t.Cleanup), failing t if start fails: how a system's
// tests start its stand-in (an embedded broker, a simulator).
func Start[O any, C interface{ Close() }](t testing.TB, start func(O) (C, error), opts O) C {
	t.Helper()
	c, err := start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TransportHarness opens transports for RunTransport.
type TransportHarness struct {
	// Open returns a transport to a target that has topic with partitions
	// partitions and lives for the whole subtest (the harness closes both
	// with t.Cleanup).
	Open func(t testing.TB, topic string, partitions int) producer.Transport
	// Partitions is the partition count the suite uses; 0 means 3.
	Partitions int
}

// RunTransport runs the engine suite over prodbench's producer core on the
// transports h opens (every ack carrying a position from the transport),
// plus the transport-level checks: Capabilities lists CodecNone or
// nothing unknown, and a batch produced directly gets one position per
// record or none.
func RunTransport(t *testing.T, h TransportHarness) {
	RunEngine(t, Harness{
		Positions:  true,
		Partitions: h.Partitions,
		Open: func(t testing.TB, cfg producer.Config, topic string, partitions int) registry.Engine {
			tr := h.Open(t, topic, partitions)
			p, err := producer.New(cfg, tr)
			if err != nil {
				t.Fatalf("producer.New: %v", err)
			}
			e := coreEngine{p, tr}
			// A check that does not close its producer must not leave its
			// sender goroutines to the next (CloseLeavesNoGoroutine under
			// -count). Close is idempotent.
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = e.Close(ctx)
			})
			return e
		},
	})
	t.Run("Capabilities", func(t *testing.T) {
		tr := h.Open(t, "conf-caps", 1)
		caps := tr.Capabilities()
		for _, c := range caps.Codecs {
			if c.Framing == producer.FramingLZ4Block && c.Codec != producer.CodecLZ4 {
				t.Errorf("codec %v with LZ4 block framing", c.Codec)
			}
		}
		if _, ok := caps.Codec(producer.CodecNone); !ok {
			t.Error("CodecNone not supported")
		}
		if caps.Transactions != nil && caps.Idempotence == nil {
			t.Error("Transactions without Idempotence")
		}
	})
}

// coreEngine is the producer core over a transport; Close closes the
// transport after the producer when it has a Close method, so that no
// client goroutine is left.
type coreEngine struct {
	*producer.Producer
	tr producer.Transport
}

func (e coreEngine) Close(ctx context.Context) error {
	err := e.Producer.Close(ctx)
	if c, ok := e.tr.(interface{ Close() }); ok {
		c.Close()
	}
	return err
}

// open opens an engine with cfg sending to topic (h.Partitions
// partitions) and returns it with a context that ends after 60 s or with
// the subtest.
func (h Harness) open(t *testing.T, cfg producer.Config, topic string) (registry.Engine, context.Context) {
	e := h.Open(t, cfg, topic, h.Partitions)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return e, ctx
}

// pendingConfig is the default configuration with max_pending_messages
// limit and block_if_queue_full block.
func pendingConfig(limit int, block bool) producer.Config {
	cfg := producer.DefaultConfig()
	cfg.MaxPendingMessages = limit
	cfg.BlockIfQueueFull = block
	return cfg
}

// sendAfterClose: a Send after Close fails at once with kind "closed",
// its callback run exactly once.
func sendAfterClose(t *testing.T, h Harness) {
	e, ctx := h.open(t, producer.DefaultConfig(), "conf-closed")
	if err := e.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var calls atomic.Int32
	errc := make(chan error, 2)
	e.Send(ctx, &producer.Record{Topic: "conf-closed", Value: []byte("late")}, func(_ producer.Ack, err error) {
		calls.Add(1)
		errc <- err
	})
	// The callback runs before Send returns or later; wait for it with
	// only a deadlock guard.
	var got error
	select {
	case got = <-errc:
	case <-ctx.Done():
		t.Fatal("no callback for a Send after Close")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d callbacks for a Send after Close, want 1", n)
	}
	if k := producer.ErrorKind(got); k != "closed" {
		t.Fatalf("Send after Close: kind %q (%v), want closed", k, got)
	}
}

// backpressure: with max_pending_messages N and block_if_queue_full,
// the records whose Send has returned minus the callbacks run never
// exceed N, and every record is acknowledged once.
func backpressure(t *testing.T, h Harness) {
	const n = 400
	limit := 8
	e, ctx := h.open(t, pendingConfig(limit, true), "conf-backpressure")
	var mu sync.Mutex
	returned, done, worst, failed := 0, 0, 0, 0
	for i := 0; i < n; i++ {
		r := &producer.Record{Topic: "conf-backpressure", Key: []byte(fmt.Sprintf("k%d", i%7)), Value: []byte("v")}
		e.Send(ctx, r, func(_ producer.Ack, err error) {
			mu.Lock()
			done++
			if err != nil {
				failed++
			}
			mu.Unlock()
		})
		mu.Lock()
		returned++
		if out := returned - done; out > worst {
			worst = out
		}
		mu.Unlock()
	}
	if err := e.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	windows := max(1, h.PendingWindows)
	limit *= windows
	// An engine may free a window slot just before it runs that record's
	// callback, so one record per window may be counted outstanding while
	// the next Send already returned: allow that one, no more.
	if worst > limit+windows {
		t.Fatalf("%d records outstanding at once, above max_pending_messages %d", worst, limit)
	}
	if done != n || failed != 0 {
		t.Fatalf("%d callbacks (%d failed) for %d records, want all successful", done, failed, n)
	}
}

// queueFullKind: with max_pending_messages 1 and block_if_queue_full
// false, every Send is acknowledged or fails with kind "queue_full" (none
// is lost or counted otherwise); and a Send refused at once while the one
// accepted record is still unacknowledged is refused as queue_full.
func queueFullKind(t *testing.T, h Harness) {
	e, ctx := h.open(t, pendingConfig(1, false), "conf-queuefull")
	var mu sync.Mutex
	kinds := map[string]int{}
	const n = 200
	for i := 0; i < n; i++ {
		var callMu sync.Mutex
		var got error
		called := false
		e.Send(ctx, &producer.Record{Topic: "conf-queuefull", Value: []byte("v")}, func(_ producer.Ack, err error) {
			callMu.Lock()
			got, called = err, true
			callMu.Unlock()
			mu.Lock()
			kinds[producer.ErrorKind(err)]++
			mu.Unlock()
		})
		callMu.Lock()
		failedAtOnce, err := called && got != nil, got
		callMu.Unlock()
		if failedAtOnce && producer.ErrorKind(err) != "queue_full" {
			t.Fatalf("Send %d failed at once with kind %q (%v), want queue_full", i, producer.ErrorKind(err), err)
		}
	}
	if err := e.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for k, c := range kinds {
		total += c
		if k != "" && k != "queue_full" {
			t.Errorf("%d records failed with kind %q, want only queue_full", c, k)
		}
	}
	if total != n {
		t.Fatalf("%d callbacks for %d Sends, want exactly one each", total, n)
	}
	if kinds[""] == 0 {
		t.Fatal("no record acknowledged")
	}
}

type ackLog struct {
	mu    sync.Mutex
	calls map[int]int
	errs  []error
	byKey map[string][]int   // key -> sequence numbers in callback order
	pos   map[string][]int64 // topic/partition -> positions in callback order
	part  map[string]int32   // key -> partition
}

// called returns how many records' callbacks have run.
func (l *ackLog) called() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

func newAckLog() *ackLog {
	return &ackLog{calls: map[int]int{}, byKey: map[string][]int{}, pos: map[string][]int64{}, part: map[string]int32{}}
}

func send(ctx context.Context, e registry.Engine, l *ackLog, topic string, n, keys int) {
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("k%d", i%keys)
		r := &producer.Record{Topic: topic, Key: []byte(key), Value: []byte(fmt.Sprintf("v%06d", i)), Context: i}
		e.Send(ctx, r, func(a producer.Ack, err error) {
			seq := a.Record.Context.(int)
			l.mu.Lock()
			defer l.mu.Unlock()
			l.calls[seq]++
			if err != nil {
				l.errs = append(l.errs, err)
				return
			}
			k := string(a.Record.Key)
			l.byKey[k] = append(l.byKey[k], seq)
			if p, ok := l.part[k]; ok && p != a.Partition {
				l.errs = append(l.errs, fmt.Errorf("key %s acked on partitions %d and %d", k, p, a.Partition))
			}
			l.part[k] = a.Partition
			tp := fmt.Sprintf("%s/%d", a.Topic, a.Partition)
			l.pos[tp] = append(l.pos[tp], a.Offset)
		})
	}
}

// callbackOnceAndOrder: 2,000 keyed records, every callback exactly once
// and successful, each key on one partition, records of a key acked in
// send order, positions increasing within a partition.
func callbackOnceAndOrder(t *testing.T, h Harness) {
	const n, keys = 2000, 17
	cfg := producer.DefaultConfig()
	e := h.Open(t, cfg, "conf-order", h.Partitions)
	ctx := context.Background()
	l := newAckLog()
	send(ctx, e, l, "conf-order", n, keys)
	fctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := e.Flush(fctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := e.Close(fctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) > 0 {
		t.Fatalf("%d failures, first: %v", len(l.errs), l.errs[0])
	}
	for i := 0; i < n; i++ {
		if l.calls[i] != 1 {
			t.Fatalf("record %d: %d callbacks, want 1", i, l.calls[i])
		}
	}
	for k, seqs := range l.byKey {
		for j := 1; j < len(seqs); j++ {
			if seqs[j] < seqs[j-1] {
				t.Fatalf("key %s: record %d acked after %d (order within a partition broken)", k, seqs[j-1], seqs[j])
			}
		}
	}
	if h.Positions {
		for tp, ps := range l.pos {
			for j := 1; j < len(ps); j++ {
				if ps[j] <= ps[j-1] {
					t.Fatalf("%s: position %d after %d", tp, ps[j], ps[j-1])
				}
			}
		}
	}
	if st := e.Stats(); st.Records != 0 && st.Records < n {
		t.Errorf("Stats.Records = %d, want >= %d (or 0 when unknown)", st.Records, n)
	}
}

// recordCopier: an engine that says CopiesRecords (workload.RecordCopier)
// is sent 2,000 records from one reused Record whose key and value
// buffers are overwritten after every Send; each callback runs once, with
// the Tag and the key+value+header byte count of the record as it was
// sent. Engines without CopiesRecords skip it.
func recordCopier(t *testing.T, h Harness) {
	e, ctx := h.open(t, producer.DefaultConfig(), "conf-copier")
	rc, ok := e.(interface{ CopiesRecords() bool })
	if !ok || !rc.CopiesRecords() {
		t.Skip("the engine does not say CopiesRecords")
	}
	const n = 2000
	var (
		mu   sync.Mutex
		acks = map[int64]producer.Ack{}
		errs []error
	)
	cb := func(a producer.Ack, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		if _, dup := acks[a.Tag[0]]; dup {
			errs = append(errs, fmt.Errorf("tag %d acked twice", a.Tag[0]))
		}
		acks[a.Tag[0]] = a
	}
	var r producer.Record
	key, val := make([]byte, 0, 16), make([]byte, 0, 64)
	for i := int64(0); i < n; i++ {
		key = fmt.Appendf(key[:0], "key-%d", i)
		val = append(val[:0], strings.Repeat("v", int(i%50))...)
		r = producer.Record{Topic: "conf-copier", Key: key, Value: val,
			Headers: []producer.Header{{Key: "h", Value: key[:2]}}, Tag: [2]int64{i, -i}}
		e.Send(ctx, &r, cb)
		for j := range key {
			key[j] = '#'
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := e.Flush(fctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 || len(acks) != n {
		t.Fatalf("%d acks of %d, %d errors (first: %v)", len(acks), n, len(errs), append(errs, nil)[0])
	}
	for i := int64(0); i < n; i++ {
		a := acks[i]
		want := int64(len(fmt.Sprintf("key-%d", i))) + i%50 + 1 + 2
		if a.Tag[1] != -i || a.Bytes != want {
			t.Fatalf("record %d: tag %v, %d bytes; want tag [%d %d], %d bytes", i, a.Tag, a.Bytes, i, -i, want)
		}
	}
}

// flushWaits: after Flush returns, every callback of the records sent
// before it has run.
func flushWaits(t *testing.T, h Harness) {
	e, ctx := h.open(t, producer.DefaultConfig(), "conf-flush")
	defer e.Close(context.Background())
	for round := 0; round < 3; round++ {
		l := newAckLog()
		send(ctx, e, l, "conf-flush", 300, 5)
		if err := e.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if got := l.called(); got != 300 {
			t.Fatalf("round %d: %d of 300 callbacks had run when Flush returned", round, got)
		}
	}
}

// closeLeavesNoGoroutine: the engine's goroutines end with Close.
func closeLeavesNoGoroutine(t *testing.T, h Harness) {
	e, ctx := h.open(t, producer.DefaultConfig(), "conf-close")
	l := newAckLog()
	send(ctx, e, l, "conf-close", 100, 3)
	before := goroutines()
	if err := e.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := l.called(); got != 100 {
		t.Fatalf("%d of 100 callbacks had run when Close returned", got)
	}
	// The engine's goroutines must be gone; the stand-in's stay until
	// cleanup, so compare against the engine-specific stacks only.
	deadline := time.Now().Add(10 * time.Second)
	for {
		leaked := engineGoroutines(before)
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of the engine still running after Close:\n%s", strings.Join(leaked, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// goroutines returns the stacks of the goroutines running now.
func goroutines() []string {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return strings.Split(string(buf[:n]), "\n\n")
}

// engineGoroutines returns stacks running now that ran in before too and
// belong to a client package (prodbench's producer core or a client
// library), ignoring the stand-in's server goroutines.
func engineGoroutines(before []string) []string {
	var out []string
	for _, g := range goroutines() {
		if strings.Contains(g, "transporttest.") || strings.Contains(g, "testing.") && !strings.Contains(g, "producer") {
			continue
		}
		if isClient(g) {
			out = append(out, g)
		}
	}
	_ = before
	return out
}

// clientMarkers are stack substrings of engine (client-side) goroutines.
var clientMarkers = []string{
	"prodbench/producer.(*", "franz-go/pkg/kgo.", "nats-io/nats%2ego.", "nats.go.", "pulsar-client-go/pulsar.",
	"prodbench/producer/franz.", "prodbench/producer/nats.(*engine", "prodbench/producer/pulsar.(*engine", "prodbench/producer/pulsarws.(*client",
}

func isClient(stack string) bool {
	for _, m := range clientMarkers {
		if strings.Contains(stack, m) {
			return true
		}
	}
	return false
}
