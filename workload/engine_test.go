package workload

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
)

// stallTransport acknowledges every batch at once, except that the first
// request issued after stallAt blocks for stallFor.
type stallTransport struct {
	start    time.Time
	stallAt  time.Duration
	stallFor time.Duration
	stalled  atomic.Bool
	mu       sync.Mutex
	offsets  map[int32]int64
}

func (s *stallTransport) Partitions(context.Context, string) (int32, error) { return 2, nil }
func (s *stallTransport) Leader(context.Context, string, int32) (int32, error) {
	return 0, nil
}
func (s *stallTransport) AppendRecord(dst []byte, _ int32, _ int64, r *producer.Record) []byte {
	return append(dst, r.Value...)
}
func (s *stallTransport) BatchOverhead() int { return 61 }
func (s *stallTransport) Capabilities() producer.Capabilities {
	return producer.Capabilities{Codecs: []producer.CodecSupport{{Codec: producer.CodecLZ4}}}
}
func (s *stallTransport) Produce(ctx context.Context, _ int32, _ producer.Acks, _ time.Duration, bs []*producer.Batch) error {
	if time.Since(s.start) >= s.stallAt && s.stalled.CompareAndSwap(false, true) {
		time.Sleep(s.stallFor)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range bs {
		for r := int64(0); r < int64(b.Records); r++ {
			b.Positions = append(b.Positions, s.offsets[b.Partition]+r)
		}
		s.offsets[b.Partition] += int64(b.Records)
	}
	return nil
}

func stallScenario() *Scenario {
	return &Scenario{
		Name: "stall", Duration: Duration(5 * time.Second), Workers: 4,
		Topics:  []Topic{{Name: "t", Partitions: 2}},
		Rate:    Rate{MessagesPerSecond: 2000},
		Message: Message{Size: FixedSize(100)},
	}
}

// gateSender acknowledges every record at once, but a Send called inside
// [stallAt, stallAt+stallFor) blocks until the window ends: backpressure
// that holds up every worker, as a full producer queue or a sync send to a
// stalled broker does.
type gateSender struct {
	start             time.Time
	stallAt, stallFor time.Duration
	blocked           atomic.Int64
}

func (g *gateSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if el := time.Since(g.start); el >= g.stallAt && el < g.stallAt+g.stallFor {
		g.blocked.Add(1)
		time.Sleep(g.stallAt + g.stallFor - el)
	}
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
}

// TestOpenLoopChargesStallToEveryMessage is the coordinated-omission check:
// one 500 ms stall during a 5 s run at 2,000 msg/s must show in the latency
// of every message scheduled during it, not only in the one that was
// blocked. A closed-loop generator, or one timing from the actual send,
// records a handful of slow samples out of 10,000 and a p99 near zero.
func TestOpenLoopChargesStallToEveryMessage(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("5 s runs")
	}
	for _, tc := range []struct {
		name string
		// sender returns the Sender under test, a close func and a
		// check that the stall happened.
		sender func(start time.Time) (Sender, func() error, func() bool)
	}{
		// The broker stalls one produce request; Send stays async.
		{"broker stall", func(start time.Time) (Sender, func() error, func() bool) {
			tr := &stallTransport{start: start, stallAt: 2 * time.Second, stallFor: 500 * time.Millisecond, offsets: map[int32]int64{}}
			cfg := producer.DefaultConfig()
			cfg.Linger = time.Millisecond
			p, err := producer.New(cfg, tr)
			if err != nil {
				t.Fatal(err)
			}
			return p, func() error { return p.Close(context.Background()) }, tr.stalled.Load
		}},
		// Send itself blocks every worker: only intended-time
		// measurement sees the messages that could not be sent.
		{"send blocks", func(start time.Time) (Sender, func() error, func() bool) {
			g := &gateSender{start: start, stallAt: 2 * time.Second, stallFor: 500 * time.Millisecond}
			return g, func() error { return nil }, func() bool { return g.blocked.Load() > 0 }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := stallScenario()
			start := time.Now()
			snd, closeFn, stalled := tc.sender(start)
			rec := report.NewRecorder(start, 0, time.Second)
			info, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: rec, Start: start})
			if err != nil {
				t.Fatal(err)
			}
			if err := closeFn(); err != nil {
				t.Fatal(err)
			}
			sum := rec.Finish(time.Now())
			if !stalled() {
				t.Fatal("the stall never happened")
			}
			if info.Sent != 10000 || sum.Acked != 10000 || sum.Failed != 0 {
				t.Fatalf("sent %d acked %d failed %d, want 10000/10000/0", info.Sent, sum.Acked, sum.Failed)
			}
			h := sum.Histogram
			if p99 := h.ValueAtQuantile(99); p99 < int64(250*time.Millisecond) {
				t.Fatalf("p99 = %v, want >= 250ms: the stall was not charged to the messages scheduled during it", time.Duration(p99))
			}
			// Messages due in the first 400 ms of the stall waited at
			// least 100 ms: about 800 of them at 2,000 msg/s.
			var slow int64
			for _, b := range h.Distribution() {
				if b.From >= int64(100*time.Millisecond) {
					slow += b.Count
				}
			}
			if slow < 700 {
				t.Fatalf("%d messages with latency >= 100ms, want >= 700 (every message scheduled during the stall)", slow)
			}
			// Outside the stall latency stays low: the median message is
			// not charged the stall. The bound is half the stall, not a
			// speed: it holds on a loaded machine and fails only if most
			// messages waited on the stall.
			if p50 := h.ValueAtQuantile(50); p50 > int64(250*time.Millisecond) {
				t.Fatalf("p50 = %v: outside the stall latency should stay low", time.Duration(p50))
			}
		})
	}
}

// cancelSender passes records to a Sender and cancels a context once it
// has passed `at` of them: an interruption at a known point of the run,
// whatever the machine's speed.
type cancelSender struct {
	Sender
	at     int64
	n      atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelSender) Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if c.n.Add(1) == c.at {
		c.cancel()
	}
	c.Sender.Send(ctx, r, cb)
}

// TestRunRateAndInterrupt checks the count of a short constant run (the
// whole 1 s schedule, ending no earlier than its last message is due), and
// that cancelling the context stops it early and marks it interrupted:
// cancelled as the 600th record is sent, the run sends at most one more
// record per worker (those already past their wait).
func TestRunRateAndInterrupt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		cancelAt int64
	}{
		{"complete", 0},      // the whole 1 s schedule is sent
		{"interrupted", 600}, // cancelled part way
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := stallScenario()
			s.Duration = Duration(time.Second)
			tr := &stallTransport{stallAt: time.Hour, offsets: map[int32]int64{}}
			p, err := producer.New(producer.DefaultConfig(), tr)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close(context.Background())
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // deadlock guard
			defer cancel()
			var snd Sender = p
			if tc.cancelAt > 0 {
				snd = &cancelSender{Sender: p, at: tc.cancelAt, cancel: cancel}
			}
			start := time.Now()
			rec := report.NewRecorder(start, 0, time.Second)
			info, err := Run(ctx, s, RunOptions{Sender: snd, Recorder: rec, Start: start})
			if err != nil {
				t.Fatal(err)
			}
			if tc.cancelAt == 0 {
				if info.Interrupted || info.Sent != 2000 || info.Scheduled != 2000 {
					t.Fatalf("info %+v, want 2000 sent, not interrupted", info)
				}
				sched, _ := NewSchedule(s.Rate, 0)
				if last := sched.Intended(1999); info.End.Sub(start) < last {
					t.Fatalf("1 s schedule ended after %v, before its last message was due (%v)", info.End.Sub(start), last)
				}
				return
			}
			if !info.Interrupted || info.Sent < tc.cancelAt || info.Sent > tc.cancelAt+int64(s.Workers) {
				t.Fatalf("info %+v, want interrupted with %d to %d sent", info, tc.cancelAt, tc.cancelAt+int64(s.Workers))
			}
		})
	}
}

// TestProducersField checks producers: its default, workers defaulted
// up to it, and the errors for 0, negative, absurd and more producers
// than workers, each at file:line:field.
func TestProducersField(t *testing.T) {
	t.Parallel()
	s, err := Parse("x.yaml", []byte(minimalWith(t, "", "")))
	if err != nil {
		t.Fatal(err)
	}
	if s.Producers != 0 || s.ProducerCount() != 1 {
		t.Errorf("unset: producers %d, count %d, want 0 and 1", s.Producers, s.ProducerCount())
	}
	s, err = Parse("x.yaml", []byte(minimalWith(t, "", "producers: 10\n")))
	if err != nil {
		t.Fatal(err)
	}
	if s.ProducerCount() != 10 || s.Workers != 10 {
		t.Errorf("producers: 10 without workers: producers %d, workers %d, want 10 and 10", s.ProducerCount(), s.Workers)
	}
	s, err = Parse("x.yaml", []byte(minimalWith(t, "", "producers: 2\n")))
	if err != nil {
		t.Fatal(err)
	}
	if s.Workers != DefaultWorkers {
		t.Errorf("producers: 2 without workers: workers %d, want the default %d", s.Workers, DefaultWorkers)
	}
	for _, tt := range []struct{ add, want string }{
		{"producers: 0\n", `x.yaml:11: producers: must be between 1 and 1024 (each producer opens its own connections), got 0`},
		{"producers: -3\n", `x.yaml:11: producers: must be between 1 and 1024 (each producer opens its own connections), got -3`},
		{"producers: 100000\n", `x.yaml:11: producers: must be between 1 and 1024 (each producer opens its own connections), got 100000`},
		{"workers: 2\nproducers: 3\n", `x.yaml:12: producers: 3 producers need at least as many workers (each worker sends through one producer), got workers: 2`},
		{"producers: many\n", `x.yaml:11: producers:`},
	} {
		_, err := Parse("x.yaml", []byte(minimalWith(t, "", tt.add)))
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %s", tt.add, err, tt.want)
		}
	}
}

// gate holds every sender's first Send until each sender has had one,
// so that no worker sends the whole run before the others start.
type gate struct{ wg *sync.WaitGroup }

func (g *gate) pass(once *sync.Once) {
	if g == nil || g.wg == nil {
		return
	}
	once.Do(g.wg.Done)
	g.wg.Wait()
}

// idSender acknowledges every record at once, or fails it when fail is
// set, and counts what it got.
type idSender struct {
	n    atomic.Int64
	g    *gate
	once sync.Once
	fail bool
}

func (s *idSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	s.g.pass(&s.once)
	s.n.Add(1)
	if s.fail {
		cb(producer.Ack{Record: r}, producer.ErrQueueFull)
		return
	}
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
}

// TestRunSpreadsWorkersOverProducers: 6 workers over 3 senders (worker w
// on sender w mod 3): every sender gets records, Counts match what each
// sender saw, failures count against their producer, and the counts sum
// to the run's total.
func TestRunSpreadsWorkersOverProducers(t *testing.T) {
	t.Parallel()
	s := codeScenario()
	s.Workers, s.Producers = 6, 3
	s.Duration = 0
	s.Messages = 3000
	s.Rate = Rate{Profile: ProfileMax}
	g := &gate{wg: &sync.WaitGroup{}}
	g.wg.Add(3)
	a, b, c := &idSender{g: g}, &idSender{g: g, fail: true}, &idSender{g: g}
	counts := make([]ProducerCounts, 3)
	rec := report.NewRecorder(time.Now(), 0, time.Second)
	info, err := Run(context.Background(), s, RunOptions{Senders: []Sender{a, b, c}, Counts: counts, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	var sent, acked, failed int64
	for i, snd := range []interface{ load() int64 }{loader{&a.n}, loader{&b.n}, loader{&c.n}} {
		got := counts[i].Sent.Load()
		if got == 0 || got != snd.load() {
			t.Errorf("producer %d: counted %d sent, its sender saw %d", i, got, snd.load())
		}
		sent += got
		acked += counts[i].Acked.Load()
		failed += counts[i].Failed.Load()
	}
	if counts[1].Acked.Load() != 0 || counts[1].Failed.Load() != counts[1].Sent.Load() {
		t.Errorf("failing producer: %d sent, %d acked, %d failed", counts[1].Sent.Load(), counts[1].Acked.Load(), counts[1].Failed.Load())
	}
	if counts[0].Failed.Load() != 0 || counts[2].Failed.Load() != 0 {
		t.Errorf("failures counted against the acking producers")
	}
	if sent != info.Sent || sent != 3000 || acked+failed != sent {
		t.Errorf("producers sent %d (acked %d, failed %d), run sent %d, want 3000", sent, acked, failed, info.Sent)
	}
}

// loader reads an atomic counter.
type loader struct{ n *atomic.Int64 }

func (l loader) load() int64 { return l.n.Load() }

// TestRunProducerErrors: more senders than workers, a nil sender and
// Counts of the wrong length are refused before anything is sent.
func TestRunProducerErrors(t *testing.T) {
	t.Parallel()
	s := codeScenario()
	s.Workers = 2
	rec := report.NewRecorder(time.Now(), 0, time.Second)
	snd := &idSender{}
	for _, opts := range []RunOptions{
		{Senders: []Sender{snd, snd, snd}, Recorder: rec},
		{Senders: []Sender{snd, nil}, Recorder: rec},
		{Senders: []Sender{snd, snd}, Counts: make([]ProducerCounts, 1), Recorder: rec},
	} {
		if _, err := Run(context.Background(), s, opts); err == nil {
			t.Errorf("Run with %d senders, %d counts: no error", len(opts.Senders), len(opts.Counts))
		}
	}
	if snd.n.Load() != 0 {
		t.Errorf("%d records sent by refused runs", snd.n.Load())
	}
}

// lagCopySender is a RecordCopier that answers each record late: during
// the next Send (or flush), after the worker has refilled its Record for
// the next message, with the Tag and bytes the record had at its Send.
type lagCopySender struct {
	mu      sync.Mutex
	pending func()
	copies  atomic.Int64
}

func (s *lagCopySender) CopiesRecords() bool { return true }

func (s *lagCopySender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if r.Context != nil {
		panic("a RecordCopier got a pooled message")
	}
	s.copies.Add(1)
	ack := producer.Ack{Topic: r.Topic, Offset: -1, Tag: r.Tag, Bytes: r.Bytes()}
	s.mu.Lock()
	prev := s.pending
	s.pending = func() { cb(ack, nil) }
	s.mu.Unlock()
	if prev != nil {
		prev()
	}
}

func (s *lagCopySender) flush() {
	if s.pending != nil {
		s.pending()
	}
}

// tallyObserver keeps each acknowledged message's bytes and send time by
// its intended time.
type tallyObserver struct {
	mu    sync.Mutex
	sent  map[int64]int
	acked map[int64][2]int64 // intended → sent, bytes
}

func (o *tallyObserver) Sent(intended int64, bytes int) {
	o.mu.Lock()
	o.sent[intended] = bytes
	o.mu.Unlock()
}

func (o *tallyObserver) Success(intended, sent, _ int64, bytes int) {
	o.mu.Lock()
	o.acked[intended] = [2]int64{sent, int64(bytes)}
	o.mu.Unlock()
}

func (o *tallyObserver) Failure(_, _, _ int64, kind string) { panic(kind) }

// TestRecordCopierRun: a run through a RecordCopier (one reused Record per
// worker, send times carried in Record.Tag) records what a run through a
// pooled-message Sender records — every message once, with its own
// bytes — even when acks come after the Record was refilled, and the
// copier never sees a pooled message.
func TestRecordCopierRun(t *testing.T) {
	t.Parallel()
	run := func(snd Sender) (*tallyObserver, time.Time) {
		s := codeScenario()
		s.Workers = 1
		s.Duration, s.Rate.MessagesPerSecond = Duration(100*time.Millisecond), 20000
		s.Message = Message{Size: SizeSpec{Distribution: SizeLognormal, Median: 200, P99: 2000}}
		s.Headers = &Headers{Count: Range{0, 3}, ValueSize: SizeSpec{Distribution: SizeUniform, Min: 1, Max: 20}}
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		o := &tallyObserver{sent: map[int64]int{}, acked: map[int64][2]int64{}}
		info, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: o})
		if err != nil {
			t.Fatal(err)
		}
		if info.Sent != 2000 {
			t.Fatalf("sent %d, want 2000", info.Sent)
		}
		return o, info.Start
	}
	lag := &lagCopySender{}
	copied, cStart := run(lag)
	lag.flush()
	pooled, pStart := run(nopSender{})
	if n := lag.copies.Load(); n != 2000 {
		t.Fatalf("the RecordCopier got %d sends, want 2000", n)
	}
	if len(copied.acked) != 2000 || len(pooled.acked) != 2000 {
		t.Fatalf("acked %d (copier) and %d (pooled) distinct messages, want 2000", len(copied.acked), len(pooled.acked))
	}
	for at, c := range copied.acked {
		p, ok := pooled.acked[at-cStart.UnixNano()+pStart.UnixNano()]
		if !ok || c[1] != p[1] {
			t.Fatalf("message due at +%d: %d bytes through the copier, %d (found %v) pooled", at-cStart.UnixNano(), c[1], p[1], ok)
		}
		if c[1] != int64(copied.sent[at]) || c[0] < at {
			t.Fatalf("message due at +%d: acked with %d bytes sent at %d, Sent said %d bytes", at-cStart.UnixNano(), c[1], c[0], copied.sent[at])
		}
	}
}
