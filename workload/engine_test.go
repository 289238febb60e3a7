package workload

import (
	"context"
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
