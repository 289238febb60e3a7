package workload

import (
	"context"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
)

// slowSender is a system under test that pushes back: at most cap(slots)
// records pending, each acked latency after Send; Send blocks while all
// slots are taken, as a producer blocks on max_pending_messages.
type slowSender struct {
	slots   chan struct{}
	latency time.Duration
}

func (s *slowSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	s.slots <- struct{}{}
	time.AfterFunc(s.latency, func() {
		<-s.slots
		cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
	})
}

// TestSendBlockedIsBackpressure plays 1,000 msg/s for 300 ms against a
// system under test that takes 5 ms per record with 2 pending at most (400
// msg/s of capacity): the worker spends most of the run blocked in Send.
// The Recorder must get that blocked time, and the run's verdict must be
// "the system under test pushed back" (degraded), never "generator
// saturated". Without the engine's blocked-time measurement
// Result.SendBlockedNs stays 0 and the lag reads as generator saturation.
func TestSendBlockedIsBackpressure(t *testing.T) {
	t.Parallel()
	s := codeScenario()
	s.Workers = 1
	s.Duration = Duration(300 * time.Millisecond)
	s.Rate.MessagesPerSecond = 1000
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rec := report.NewRecorder(start, 0, time.Second)
	snd := &slowSender{slots: make(chan struct{}, 2), latency: 5 * time.Millisecond}
	info, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: rec, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	for len(snd.slots) > 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	sum := rec.Finish(info.End)
	// 300 records, 2 at a time, 5 ms each: Send waited at least
	// (300-2)/2 × 5 ms ≈ 745 ms in all; half of it is a safe floor.
	if sum.SendBlocked < 350*time.Millisecond {
		t.Fatalf("SendBlocked = %v, want >= 350ms (Send waited on every slot)", sum.SendBlocked)
	}
	res, err := report.NewResult(sum)
	if err != nil {
		t.Fatal(err)
	}
	res.TargetRateMsgsPerSec = 1000
	report.Finalize(res)
	if !res.Generator.Backpressure || res.Generator.Saturated {
		t.Fatalf("generator verdict %+v, want backpressure and not saturated", res.Generator)
	}
	if res.Status != report.StatusDegraded {
		t.Fatalf("status %q (%s), want degraded", res.Status, res.StatusReason)
	}
}

// TestSendBlockedOnlyForSlowSends checks that Run reports only the Send
// calls that took SendBlockedMin or longer: a Sender that sleeps 2 ms on
// every 10th record gets 10 SendBlocked calls of at least 2 ms, and
// (without the race detector) not one for every record.
func TestSendBlockedOnlyForSlowSends(t *testing.T) {
	t.Parallel()
	s := hundredAt10k(t)
	obs := &blockObs{Recorder: report.NewRecorder(time.Now(), 0, time.Second)}
	snd := &everyNthSleeps{n: 10, d: 2 * time.Millisecond}
	if _, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: obs}); err != nil {
		t.Fatal(err)
	}
	if obs.long < 10 {
		t.Fatalf("SendBlocked: %d calls of >= 2ms, want 10", obs.long)
	}
	// Fast sends are not reported; allow some descheduled ones on a
	// loaded machine (the race detector makes every Send slow: not
	// checked there).
	if !raceEnabled && obs.calls > 50 {
		t.Fatalf("SendBlocked called %d times for 10 slow sends of 100", obs.calls)
	}
}

// blockObs is an Observer and BlockObserver that counts SendBlocked calls
// and those of 2 ms or more.
type blockObs struct {
	*report.Recorder
	calls, long int64 // one worker: no locking needed
}

func (b *blockObs) SendBlocked(_, ns int64) {
	if ns >= int64(2*time.Millisecond) {
		b.long++
	}
	b.calls++
}

type everyNthSleeps struct {
	n, k int
	d    time.Duration
}

func (e *everyNthSleeps) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	e.k++
	if e.k%e.n == 0 {
		time.Sleep(e.d)
	}
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
}

// waitingSleeper sleeps 2 ms in every 10th Send, as a descheduled worker
// would; on every 20th it also counts a pending wait, as a producer at its
// pending limits does (PendingWaiter).
type waitingSleeper struct {
	everyNthSleeps
	waits int64 // one worker: no locking needed
}

func (w *waitingSleeper) PendingWaits() int64 { return w.waits }

func (w *waitingSleeper) Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if (w.k+1)%20 == 0 {
		w.waits++
	}
	w.everyNthSleeps.Send(ctx, r, cb)
}

// TestSendBlockedNeedsPendingWait: with a Sender that counts its pending
// waits, a slow Send counts as blocked only when the count grew during
// it. Of 10 sends slowed by 2 ms, the 5 that waited are reported; the 5
// that were only slow (a descheduled worker) are not.
func TestSendBlockedNeedsPendingWait(t *testing.T) {
	t.Parallel()
	s := hundredAt10k(t)
	obs := &blockObs{Recorder: report.NewRecorder(time.Now(), 0, time.Second)}
	snd := &waitingSleeper{everyNthSleeps: everyNthSleeps{n: 10, d: 2 * time.Millisecond}}
	if _, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: obs}); err != nil {
		t.Fatal(err)
	}
	if snd.waits != 5 {
		t.Fatalf("the sender counted %d waits, want 5", snd.waits)
	}
	if obs.long != 5 || obs.calls != 5 {
		t.Fatalf("SendBlocked: %d calls, %d of >= 2ms; want 5 and 5 (only the sends that waited)", obs.calls, obs.long)
	}
}

// hundredAt10k is a one-worker scenario of 100 messages at 10,000 msg/s.
func hundredAt10k(t *testing.T) *Scenario {
	t.Helper()
	s := codeScenario()
	s.Workers = 1
	s.Messages = 100
	s.Duration = 0
	s.Rate.MessagesPerSecond = 10000
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}
