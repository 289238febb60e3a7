package workload

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
)

// Sender is what the engine drives: producer.Producer's Send. Tests pass
// their own.
type Sender interface {
	Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error))
}

// RunOptions are the inputs of Run besides the scenario.
type RunOptions struct {
	// Sender receives every message. Required.
	Sender Sender
	// Recorder receives every sent, acked and failed message. Required.
	Recorder *report.Recorder
	// Start is the run's time zero: message i is due at
	// Start + Schedule.Intended(i). Zero means time.Now() at Run.
	Start time.Time
	// Interval is how often OnInterval is called. Default 1s.
	Interval time.Duration
	// OnInterval, when set, gets each closed interval from one goroutine
	// (the live progress line).
	OnInterval func(report.Interval)
}

// RunInfo is what Run reports about the schedule it played.
type RunInfo struct {
	// Start and End bound the sending phase: End is when the last worker
	// stopped (the schedule ran out or the run was interrupted).
	Start, End time.Time
	// Scheduled is the number of messages the schedule holds for the
	// scenario's duration; Sent how many were handed to the Sender.
	Scheduled, Sent int64
	// Interrupted is true when ctx ended before the schedule did.
	Interrupted bool
}

// message is one message's state from Send to its callback; pooled.
type message struct {
	rec      producer.Record
	intended int64 // Unix ns
	sent     int64 // Unix ns, when Send was called
	bytes    int
	eng      *engine
	done     func(producer.Ack, error) // m.onAck, bound once
}

type engine struct {
	s     *Scenario
	opts  RunOptions
	sched Schedule
	keys  KeyGen
	vals  PayloadGen
	topic string
	start time.Time
	base  int64 // start in Unix ns
	pool  sync.Pool
	next  atomic.Int64
	sent  atomic.Int64
}

// Run plays s's open-loop schedule: Workers goroutines share one sequence
// of intended send times (message i is due at Start + Intended(i)); a
// worker waits until its message is due and sends it, and if it is late it
// sends at once without moving the schedule. Latency is recorded from the
// intended time to the ack, so time spent waiting on a stalled producer is
// charged to every message scheduled during the stall (coordinated
// omission is avoided by construction).
//
// Run returns when every scheduled message has been sent or ctx ends; it
// does not wait for acks (flush the producer for that). Errors are
// configuration errors found before the first message.
func Run(ctx context.Context, s *Scenario, opts RunOptions) (RunInfo, error) {
	if opts.Sender == nil || opts.Recorder == nil {
		return RunInfo{}, fmt.Errorf("workload: Run needs a Sender and a Recorder")
	}
	sched, err := NewSchedule(s.Rate)
	if err != nil {
		return RunInfo{}, err
	}
	keys, err := NewKeyGen(s.Keys, s.Seed)
	if err != nil {
		return RunInfo{}, err
	}
	vals, err := NewPayloadGen(s.Message, s.Seed)
	if err != nil {
		return RunInfo{}, err
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	e := &engine{s: s, opts: opts, sched: sched, keys: keys, vals: vals,
		topic: s.Topics[0].Name, start: opts.Start, base: opts.Start.UnixNano()}
	e.pool.New = func() any {
		m := &message{eng: e}
		m.rec.Context = m
		m.done = m.onAck
		return m
	}
	total := sched.Count(s.Duration.D())
	info := RunInfo{Start: opts.Start, Scheduled: total}

	tickDone := make(chan struct{})
	stopTick := make(chan struct{})
	go e.tick(stopTick, tickDone)

	var wg sync.WaitGroup
	for w := 0; w < s.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.work(ctx, total)
		}()
	}
	wg.Wait()
	close(stopTick)
	<-tickDone
	info.End = time.Now()
	info.Sent = e.sent.Load()
	info.Interrupted = ctx.Err() != nil && info.Sent < total
	return info, nil
}

// now returns the current time in Unix ns on the monotonic clock, on the
// same base as intended times.
func (e *engine) now() int64 { return e.base + int64(time.Since(e.start)) }

func (e *engine) work(ctx context.Context, total int64) {
	done := ctx.Done()
	t := time.NewTimer(time.Hour) // one per worker: no allocation per wait
	defer t.Stop()
	for {
		i := e.next.Add(1) - 1
		if i >= total {
			return
		}
		due := e.sched.Intended(i)
		if wait := due - time.Since(e.start); wait > 0 {
			t.Reset(wait)
			select {
			case <-t.C:
			case <-done:
				return
			}
		} else {
			select {
			case <-done:
				return
			default:
			}
		}
		m := e.pool.Get().(*message)
		m.intended = e.base + int64(due)
		m.rec.Topic = e.topic
		m.rec.Key = e.keys.Key(i)
		m.rec.Value = e.vals.Payload(i)
		m.rec.Timestamp = time.Time{}
		m.bytes = len(m.rec.Key) + len(m.rec.Value)
		e.opts.Recorder.Sent(m.intended, m.bytes)
		e.sent.Add(1)
		m.sent = e.now()
		e.opts.Sender.Send(ctx, &m.rec, m.done)
	}
}

// onAck records the outcome of m and returns it to the pool.
func (m *message) onAck(_ producer.Ack, err error) {
	e := m.eng
	now := e.now()
	if err != nil {
		e.opts.Recorder.Failure(m.intended, m.sent, now, producer.ErrorKind(err))
	} else {
		e.opts.Recorder.Success(m.intended, m.sent, now, m.bytes)
	}
	m.rec.Key, m.rec.Value = nil, nil
	e.pool.Put(m)
}

func (e *engine) tick(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(e.opts.Interval)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			iv := e.opts.Recorder.Tick(now)
			if e.opts.OnInterval != nil {
				e.opts.OnInterval(iv)
			}
		case <-stop:
			return
		}
	}
}
