package workload

import (
	"context"
	"fmt"
	"math"
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
	// Generators, when set, are used instead of building them from the
	// scenario (benchmarks reuse them across runs).
	Generators *Generators
}

// RunInfo is what Run reports about the schedule it played. Counts are of
// records handed to the Sender: with topic selection fanout a message
// counts once per topic.
type RunInfo struct {
	// Start and End bound the sending phase: End is when the last worker
	// stopped (the schedule ran out or the run was interrupted).
	Start, End time.Time
	// Scheduled is the number of records the schedule holds for the
	// scenario's length (duration and/or messages); for a closed loop
	// without a message count, equal to Sent. Sent is how many were
	// handed to the Sender.
	Scheduled, Sent int64
	// Interrupted is true when ctx ended before the schedule did.
	Interrupted bool
	// ClosedLoop is true for the max profile: each worker sent its next
	// message as soon as Send returned, and every message's intended send
	// time is its actual send time, so latencies exclude any wait for the
	// producer. Reports must say so: a closed loop's latency is not
	// comparable with an open loop's.
	ClosedLoop bool
}

// message is one record's state from Send to its callback; pooled, so
// that the hot path does not allocate.
type message struct {
	rec      producer.Record
	intended int64 // Unix ns
	sent     int64 // Unix ns, when Send was called
	bytes    int
	eng      *engine
	done     func(producer.Ack, error) // m.onAck, bound once
	keyBuf   []byte                    // keys made per message
	hdrs     []producer.Header         // header slots, capacity MaxCount
}

type engine struct {
	opts     RunOptions
	gen      *Generators
	topics   []string
	fanout   bool
	limit    int64         // message indices to send: Messages, or MaxInt64
	end      time.Duration // stop at messages due at or after end; 0: none
	start    time.Time
	base     int64 // start in Unix ns
	pool     sync.Pool
	next     atomic.Int64 // next message index
	sent     atomic.Int64 // records handed to the Sender
	finished atomic.Bool  // a worker reached the end of the schedule
	ticker   *ticker      // open loop only
}

// Run plays s: Workers goroutines share one sequence of messages. Open
// loop (every profile but max): message i is due at Start + Intended(i); a
// worker waits until its message is due and sends it, and if it is late
// it sends at once without moving the schedule, so latency — recorded from
// the intended time to the ack — charges time spent waiting on a stalled
// producer to every message scheduled during the stall (coordinated
// omission is avoided by construction), and the Recorder gets the actual
// send time too (schedule lag = sent − intended). Closed loop (max): each
// worker sends its next message as soon as Send returns; intended = sent.
//
// Message i's size, key, payload, headers and topic come from the
// generators (NewGenerators), functions of (seed, i). With topic
// selection fanout message i is sent to every topic, as one record each.
// The run ends when the scenario's duration or message count is reached
// (whichever is first) or ctx ends. Run does not wait for acks (flush the
// producer for that) and does not allocate per message once warm. Errors
// are configuration errors found before the first message.
func Run(ctx context.Context, s *Scenario, opts RunOptions) (RunInfo, error) {
	if opts.Sender == nil || opts.Recorder == nil {
		return RunInfo{}, fmt.Errorf("workload: Run needs a Sender and a Recorder")
	}
	if err := s.validate(); err != nil {
		return RunInfo{}, err
	}
	gen := opts.Generators
	if gen == nil {
		var err error
		if gen, err = NewGenerators(s); err != nil {
			return RunInfo{}, err
		}
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	e := &engine{opts: opts, gen: gen, topics: gen.Topics.Names(), fanout: gen.Topics.Fanout(),
		limit: math.MaxInt64, end: s.Duration.D(), start: opts.Start, base: opts.Start.UnixNano()}
	if s.Messages > 0 {
		e.limit = s.Messages
	}
	maxHdrs := gen.Headers.MaxCount()
	e.pool.New = func() any {
		m := &message{eng: e, keyBuf: make([]byte, 0, gen.keyBuf), hdrs: make([]producer.Header, 0, maxHdrs)}
		m.rec.Context = m
		m.done = m.onAck
		return m
	}
	info := RunInfo{Start: opts.Start, ClosedLoop: gen.Schedule == nil}

	tickDone := make(chan struct{})
	stopTick := make(chan struct{})
	go e.tick(stopTick, tickDone)

	if gen.Schedule != nil {
		e.ticker = newTicker()
		defer e.ticker.close()
	}
	var wg sync.WaitGroup
	for range s.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if gen.Schedule == nil {
				e.closedLoop(ctx)
			} else {
				e.openLoop(ctx)
			}
		}()
	}
	wg.Wait()
	close(stopTick)
	<-tickDone
	info.End = time.Now()
	info.Sent = e.sent.Load()
	info.Interrupted = ctx.Err() != nil && !e.finished.Load()
	copies := int64(1)
	if e.fanout {
		copies = int64(len(e.topics))
	}
	switch {
	case gen.Schedule != nil:
		n := e.limit
		if e.end > 0 {
			n = min(n, gen.Schedule.Count(e.end))
		}
		info.Scheduled = n * copies
	case e.limit < math.MaxInt64:
		info.Scheduled = e.limit * copies
	default:
		info.Scheduled = info.Sent
	}
	return info, nil
}

// now returns the current time in Unix ns on the monotonic clock, on the
// same base as intended times.
func (e *engine) now() int64 { return e.base + int64(time.Since(e.start)) }

// openLoop is one worker of an open-loop run.
func (e *engine) openLoop(ctx context.Context) {
	done := ctx.Done()
	t := time.NewTimer(time.Hour) // one per worker: no allocation per wait
	defer t.Stop()
	for {
		i := e.next.Add(1) - 1
		if i >= e.limit {
			e.finished.Store(true)
			return
		}
		due := e.gen.Schedule.Intended(i)
		if e.end > 0 && due >= e.end {
			e.finished.Store(true)
			return
		}
		if !e.waitUntil(due, t, done) {
			return
		}
		e.emit(ctx, i, e.base+int64(due), false)
	}
}

// waitUntil blocks until due (an offset from the start), or returns false
// if done closes first. It never returns early.
func (e *engine) waitUntil(due time.Duration, t *time.Timer, done <-chan struct{}) bool {
	for {
		wait := due - time.Since(e.start)
		if wait <= 0 {
			select {
			case <-done:
				return false
			default:
				return true
			}
		}
		short := wait <= shortWait
		if short {
			e.ticker.enter()
		} else {
			wait -= shortWait / 2
		}
		t.Reset(wait)
		select {
		case <-t.C:
		case <-done:
			if short {
				e.ticker.leave()
			}
			return false
		}
		if short {
			e.ticker.leave()
		}
	}
}

// closedLoop is one worker of a closed-loop (max) run.
func (e *engine) closedLoop(ctx context.Context) {
	done := ctx.Done()
	for {
		select {
		case <-done:
			return
		default:
		}
		i := e.next.Add(1) - 1
		if i >= e.limit {
			e.finished.Store(true)
			return
		}
		now := time.Since(e.start)
		if e.end > 0 && now >= e.end {
			e.finished.Store(true)
			return
		}
		e.emit(ctx, i, e.base+int64(now), true)
	}
}

// emit sends message i, intended at intended (Unix ns), to its topic or,
// with fanout, to every topic.
func (e *engine) emit(ctx context.Context, i, intended int64, closed bool) {
	if !e.fanout {
		e.send(ctx, i, intended, e.topics[e.gen.Topics.Topic(i)], closed)
		return
	}
	for _, topic := range e.topics {
		e.send(ctx, i, intended, topic, closed)
	}
}

// send fills a pooled message with message i's content and hands it to
// the Sender.
func (e *engine) send(ctx context.Context, i, intended int64, topic string, closed bool) {
	m := e.pool.Get().(*message)
	m.rec.Topic = topic
	m.rec.Key = e.gen.Keys.Key(i, m.keyBuf)
	m.rec.Value = e.gen.Payloads.Payload(i)
	m.rec.Headers = e.gen.Headers.Headers(i, m.hdrs)
	m.rec.Timestamp = time.Time{}
	m.bytes = len(m.rec.Key) + len(m.rec.Value)
	for _, h := range m.rec.Headers {
		m.bytes += len(h.Key) + len(h.Value)
	}
	if closed {
		intended = e.now()
	}
	m.intended = intended
	e.opts.Recorder.Sent(m.intended, m.bytes)
	e.sent.Add(1)
	if closed {
		m.sent = intended
	} else {
		m.sent = e.now()
	}
	e.opts.Sender.Send(ctx, &m.rec, m.done)
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
	m.rec.Key, m.rec.Value, m.rec.Headers = nil, nil, nil
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
