package workload

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/workload/verify"
)

// Sender is what the engine drives: producer.Producer's Send. Tests pass
// their own.
type Sender interface {
	Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error))
}

// Observer is what Run records each message's outcome through; the
// measurement side (report.Recorder) implements it, so that workload
// depends on no report package. Times are Unix ns: intendedNs is the
// message's intended send time (for a closed loop, its actual send
// time), sentNs when it was handed to the Sender, ackNs when it was
// acknowledged (the Ack's AckTime when the Sender sets one, else when its
// callback ran). bytes is the record's key + value + header keys and
// values. Every record handed to the Sender gets one Sent and then
// exactly one Success or Failure; a failure is never dropped. The methods
// are called concurrently from the workers and the Sender's callbacks and
// must not block; they should not allocate.
type Observer interface {
	// Sent counts one record handed to the Sender.
	Sent(intendedNs int64, bytes int)
	// Success records one acknowledged record: latency
	// ackNs − intendedNs, service time ackNs − sentNs, schedule lag
	// sentNs − intendedNs.
	Success(intendedNs, sentNs, ackNs int64, bytes int)
	// Failure counts one failed record of the given kind
	// (producer.ErrorKind: "queue_full", "send_timeout",
	// "nats:no_responders", ...).
	Failure(intendedNs, sentNs, ackNs int64, kind string)
}

// WorkerObserver is implemented by an Observer that gives each worker its
// own view (report.Recorder does: a Lane, the recorder shard of that
// worker), so that workers do not contend on one lock or counter and the
// recorder need not hash timestamps to spread them. Run asks once per
// worker (worker = 0 … Workers−1) and records that worker's messages —
// their Sent, Success and Failure — through the view it got. The method's
// result is an unnamed interface with Observer's methods, so that the
// implementer need not import workload.
type WorkerObserver interface {
	ForWorker(worker int) interface {
		Sent(intendedNs int64, bytes int)
		Success(intendedNs, sentNs, ackNs int64, bytes int)
		Failure(intendedNs, sentNs, ackNs int64, kind string)
	}
}

// BlockObserver is implemented by an Observer that also wants the time
// Send spent blocked (report.Recorder does): Run calls SendBlocked after
// each Send call that took SendBlockedMin or longer — the producer held
// the worker on its pending limits (max_pending_messages, buffer memory),
// so the system under test was pushing back — with the message's
// intended send time (Unix ns) and the call's duration in ns. When the
// Sender is a PendingWaiter, only calls during which its PendingWaits
// grew count. It is called from the workers and must not block or
// allocate.
type BlockObserver interface {
	SendBlocked(intendedNs, blockedNs int64)
}

// PendingWaiter is implemented by a Sender that counts the Send calls
// that waited for room under its pending limits (producer.Producer does:
// PendingWaits). Run then counts a long Send call as blocked only when
// the count grew during it (this worker's wait or another's: either way
// the producer was at its limit), so a worker descheduled inside Send on
// a loaded machine is not read as backpressure. Senders without it are
// judged by the call's duration alone.
type PendingWaiter interface {
	PendingWaits() int64
}

// RecordCopier is implemented by a Sender that is done with a Record
// when Send returns and carries the Record's Tag and bytes into the Ack
// (producer.Producer does: CopiesRecords, Ack.Tag, Ack.Bytes). Run then
// sends each worker's messages from one Record it reuses and keeps no
// per-message state between Send and the callback: the message's
// intended and actual send times travel in Record.Tag. Senders without
// it (franz-go, NATS, Pulsar: they hold the Record until the ack) and
// verifying runs use a pooled per-message state instead. In a peer-100b
// profile the pooled state cost about a fifth of all CPU: each in-flight
// message, its bound callback and its key buffer were cold cache lines
// touched again at the ack, and sync.Pool Get and Put.
type RecordCopier interface {
	CopiesRecords() bool
}

// SendBlockedMin is the shortest Send call counted as blocked (50 µs): a
// Send that only enqueues takes about a microsecond, so longer calls
// waited for room under the producer's pending limits (or were
// descheduled inside Send).
const SendBlockedMin = 50 * time.Microsecond

// RunOptions are the inputs of Run besides the scenario.
type RunOptions struct {
	// Sender receives every message. Required unless Senders is set.
	Sender Sender
	// Senders, when set, are independent producers (Scenario.Producers
	// of them): worker w sends through Senders[w mod len(Senders)], and
	// Sender is not used. There must be no more Senders than workers.
	Senders []Sender
	// Counts, when set, has one entry per sender (len(Senders), or 1 for
	// Sender) and counts each sender's records sent, acked and failed.
	// Sent is added when Run returns (each worker counts its own sends,
	// with no shared counter on the send path); acks arrive until the
	// senders are closed: read Counts after that.
	Counts []ProducerCounts
	// Recorder receives every sent, acked and failed record (a
	// *report.Recorder, or any Observer). Required.
	Recorder Observer
	// Start is the run's time zero on the shared timeline: message i is
	// due at Start + Schedule.Intended(i). Zero means time.Now() at Run.
	// A Start in the future (a common start for shards, --start-at)
	// makes the workers, and the ticks, wait until then; ctx ending
	// meanwhile ends the run with nothing sent.
	Start time.Time
	// MaxStartDelay, when > 0, is how late Run may be called after
	// Start: later, Run returns an error wrapping ErrStartPassed before
	// sending anything (a shard that missed the common start would
	// otherwise send its whole backlog at once). 0: no limit (the
	// default; a Start in the past sends the overdue messages at once).
	MaxStartDelay time.Duration
	// Shard, when its Count is above 1, makes Run play one shard of the
	// schedule (see Shard). The zero value plays the whole schedule.
	Shard Shard
	// Interval is the period of Tick, in wall-clock time from Start.
	// Default 1s.
	Interval time.Duration
	// Tick, when set, is called from one goroutine at Start + k·Interval
	// (k = 1, 2, ...) while the run lasts, with that instant: intervals
	// are aligned on the shared timeline, whatever the shard. The caller
	// closes its interval there (report.Recorder.Tick) and may show
	// progress. It is not called after Run returns; the caller closes
	// the last partial interval itself (report.Recorder.Finish).
	Tick func(now time.Time)
	// Generators, when set, are used instead of building them from the
	// scenario (benchmarks reuse them across runs).
	Generators *Generators
	// VerifyRun, when not 0, stamps every record with a verify.HeaderKey
	// header (this run ID, the record's sequence, the worker, the value's
	// CRC-32C; written into the pooled message, no allocation) and records
	// each record's outcome in RunInfo.Verify. 0: no stamps (the default).
	VerifyRun uint64
}

// ProducerCounts counts one producer's records: Sent handed to it, Acked
// and Failed completed by it. Safe for concurrent use.
type ProducerCounts struct {
	Sent, Acked, Failed atomic.Int64
}

// RunInfo is what Run reports about the schedule it played. Counts are of
// records handed to the Sender: with topic selection fanout a message
// counts once per topic.
type RunInfo struct {
	// Start is the run's time zero (RunOptions.Start, or when Run began
	// if that was zero). End is when the last worker stopped (the
	// schedule ran out or the run was interrupted).
	Start, End time.Time
	// Began is when the workers were released: Start, or a little after
	// it (the wake-up's lag) when Start was in the future, or when Run
	// was called when Start had already passed. Began − Start is this
	// process's start skew on the shared timeline.
	Began time.Time
	// Shard is the shard played (RunOptions.Shard; Count 0 read as 1).
	Shard Shard
	// Scheduled is the number of records the schedule holds for the
	// scenario's length (duration and/or messages) — of this shard,
	// when sharded; for a closed loop without a message count, equal to
	// Sent. Sent is how many were handed to the Sender.
	Scheduled, Sent int64
	// Interrupted is true when ctx ended before the schedule did
	// (also while waiting for a future Start).
	Interrupted bool
	// ClosedLoop is true for the max profile: each worker sent its next
	// message as soon as Send returned, and every message's intended send
	// time is its actual send time, so latencies exclude any wait for the
	// producer. Reports must say so: a closed loop's latency is not
	// comparable with an open loop's.
	ClosedLoop bool
	// Verify holds every record's outcome when RunOptions.VerifyRun was
	// set, else nil. It is complete once every callback has run (after
	// the Sender is flushed or closed), not when Run returns.
	Verify *verify.Outcomes
}

// message is one record's state from Send to its callback; pooled, so
// that the hot path does not allocate.
type message struct {
	rec      producer.Record
	index    int64 // global message index
	intended int64 // Unix ns
	sent     int64 // Unix ns, when Send was called
	bytes    int
	counts   *ProducerCounts // the sending producer's counts, or nil
	obs      Observer        // the sending worker's observer
	eng      *engine
	done     func(producer.Ack, error) // m.onAck, bound once
	keyBuf   []byte                    // keys made per message
	hdrs     []producer.Header         // header slots, capacity MaxCount (+1 when verifying)
	seq      int64                     // verification sequence
	topic    int                       // topic index, for verification
	stamp    [verify.HeaderSize]byte   // the verify.HeaderKey value
}

type engine struct {
	opts     RunOptions
	gen      *Generators
	topics   []string
	fanout   bool
	shard    Shard
	limit    int64         // global message indices to send: Messages, or MaxInt64
	end      time.Duration // stop at messages due at or after end; 0: none
	start    time.Time     // opts.Start, on the monotonic clock
	base     int64         // start in Unix ns
	pool     sync.Pool
	next     atomic.Int64 // the shard's next message number k (global index shard.Global(k))
	finished atomic.Bool  // a worker reached the end of the schedule
	ticker   *ticker      // open loop only

	// blocked is opts.Recorder when it is a BlockObserver, else nil.
	blocked BlockObserver
	// vo records outcomes; nil unless verifying.
	vo *verify.Outcomes
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
// With RunOptions.Shard, only the messages i ≡ Index (mod Count) are sent
// (see Shard). A Start in the future is waited for first.
// The run ends when the scenario's duration or message count is reached
// (whichever is first) or ctx ends. Run does not wait for acks (flush the
// producer for that) and does not allocate per message once warm. Errors
// are configuration errors (and ErrStartPassed) found before the first
// message.
func Run(ctx context.Context, s *Scenario, opts RunOptions) (RunInfo, error) {
	if len(opts.Senders) == 0 && opts.Sender != nil {
		opts.Senders = []Sender{opts.Sender}
	}
	if len(opts.Senders) == 0 || opts.Recorder == nil {
		return RunInfo{}, fmt.Errorf("workload: Run needs a Sender and a Recorder")
	}
	for _, snd := range opts.Senders {
		if snd == nil {
			return RunInfo{}, fmt.Errorf("workload: Run got a nil Sender")
		}
	}
	if opts.Counts != nil && len(opts.Counts) != len(opts.Senders) {
		return RunInfo{}, fmt.Errorf("workload: Run got %d Counts for %d Senders", len(opts.Counts), len(opts.Senders))
	}
	if err := opts.Shard.Validate(); err != nil {
		return RunInfo{}, fmt.Errorf("workload: %w", err)
	}
	if err := s.validate(); err != nil {
		return RunInfo{}, err
	}
	if len(opts.Senders) > s.Workers {
		return RunInfo{}, fmt.Errorf("workload: %d producers for %d workers: each producer needs a worker", len(opts.Senders), s.Workers)
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
	now := time.Now()
	if opts.Start.IsZero() {
		opts.Start = now
	}
	if late := now.Sub(opts.Start); opts.MaxStartDelay > 0 && late > opts.MaxStartDelay {
		return RunInfo{}, fmt.Errorf("workload: %w: the run was to start at %s, %v ago (more than %v): start again with a later start time",
			ErrStartPassed, opts.Start.UTC().Format(time.RFC3339Nano), late.Round(time.Millisecond), opts.MaxStartDelay)
	}
	opts.Shard.Count = opts.Shard.count()
	// Anchor Start on the monotonic clock (a Start parsed from
	// --start-at has only a wall-clock reading), keeping its Unix ns.
	start := now.Add(opts.Start.Sub(now))
	e := &engine{opts: opts, gen: gen, topics: gen.Topics.Names(), fanout: gen.Topics.Fanout(), shard: opts.Shard,
		limit: math.MaxInt64, end: s.Duration.D(), start: start, base: opts.Start.UnixNano()}
	if s.Messages > 0 {
		e.limit = s.Messages
	}
	e.blocked, _ = opts.Recorder.(BlockObserver)
	maxHdrs := gen.Headers.MaxCount()
	if opts.VerifyRun != 0 {
		maxHdrs++
		n := e.limit
		if n == math.MaxInt64 && gen.Schedule != nil && e.end > 0 {
			n = gen.Schedule.Count(e.end)
		}
		if n != math.MaxInt64 && e.fanout {
			n *= int64(len(e.topics))
		}
		e.vo = verify.NewOutcomes(opts.VerifyRun, e.topics, n)
	}
	e.pool.New = func() any {
		m := &message{eng: e, keyBuf: make([]byte, 0, gen.keyBuf), hdrs: make([]producer.Header, 0, maxHdrs)}
		m.rec.Context = m
		m.done = m.onAck
		return m
	}
	info := RunInfo{Start: opts.Start, Shard: opts.Shard, ClosedLoop: gen.Schedule == nil, Verify: e.vo}
	info.Scheduled = e.scheduled()

	tickDone := make(chan struct{})
	stopTick := make(chan struct{})
	go e.tick(stopTick, tickDone)
	defer func() {
		close(stopTick)
		<-tickDone
	}()

	if !e.waitStart(ctx) {
		info.Began = time.Now()
		info.End = info.Began
		info.Interrupted = true
		if info.ClosedLoop && e.limit == math.MaxInt64 {
			info.Scheduled = 0
		}
		return info, nil
	}
	info.Began = time.Now()
	if gen.Schedule != nil {
		e.ticker = newTicker()
		defer e.ticker.close()
	}
	var wg sync.WaitGroup
	workers := make([]*worker, s.Workers)
	for w := range s.Workers {
		wg.Add(1)
		p := w % len(opts.Senders)
		wk := &worker{id: uint32(w), snd: opts.Senders[p], obs: opts.Recorder, eng: e}
		workers[w] = wk
		if wo, ok := opts.Recorder.(WorkerObserver); ok {
			wk.obs = wo.ForWorker(w)
		}
		wk.waits, _ = wk.snd.(PendingWaiter)
		if opts.Counts != nil {
			wk.counts = &opts.Counts[p]
		}
		if rc, ok := wk.snd.(RecordCopier); ok && rc.CopiesRecords() && e.vo == nil {
			wk.copies = true
			wk.keyBuf = make([]byte, 0, gen.keyBuf)
			wk.hdrs = make([]producer.Header, 0, maxHdrs)
			wk.done = wk.onAck
		}
		go func() {
			defer wg.Done()
			if gen.Schedule == nil {
				e.closedLoop(ctx, wk)
			} else {
				e.openLoop(ctx, wk)
			}
		}()
	}
	wg.Wait()
	info.End = time.Now()
	for _, wk := range workers {
		info.Sent += wk.sent
		if wk.counts != nil {
			wk.counts.Sent.Add(wk.sent)
		}
	}
	info.Interrupted = ctx.Err() != nil && !e.finished.Load()
	if info.ClosedLoop && e.limit == math.MaxInt64 {
		info.Scheduled = info.Sent
	}
	return info, nil
}

// worker is what one worker sends through: its producer and that
// producer's counts (nil when not counted). The fields the callbacks
// read (onAck, from the producer's goroutines) come first and are not
// written during the run; the ones the worker writes per message sit
// 128 bytes further, so the two sides do not share cache lines (x86
// fetches 64-byte lines in pairs), nor do two workers.
type worker struct {
	eng    *engine
	obs    Observer // opts.Recorder, or its view for this worker (WorkerObserver)
	counts *ProducerCounts
	_      [128]byte

	id     uint32 // the worker's index, 0 to Workers−1 (in verification stamps)
	snd    Sender
	waits  PendingWaiter // snd, when it counts its pending waits; else nil
	copies bool          // snd is a RecordCopier and the run does not verify: send from rec
	// rec, keyBuf and hdrs are the one Record (and its key and header
	// buffers) the worker reuses for every message when copies is set;
	// done is onAck, bound once.
	rec    producer.Record
	keyBuf []byte
	hdrs   []producer.Header
	done   func(producer.Ack, error)
	// sent counts the records this worker handed to its Sender. Only
	// the worker's goroutine writes it, and Run reads it after the
	// workers stopped: no shared counter on the send path (a shared
	// atomic bounced one cache line between the workers per record).
	sent int64
	_    [128]byte
}

// scheduled returns the records the shard's schedule holds for the
// scenario's length (a closed loop without a message count: 0, as it has
// no schedule; Run then reports Sent).
func (e *engine) scheduled() int64 {
	n := e.limit
	if e.gen.Schedule != nil && e.end > 0 {
		n = min(n, e.gen.Schedule.Count(e.end))
	}
	if n == math.MaxInt64 {
		return 0
	}
	n = e.shard.Share(n)
	if e.fanout {
		n *= int64(len(e.topics))
	}
	return n
}

// waitStart waits until e.start, returning false if ctx ends first. The
// last shortWait is slept finely, so that shards released by one
// --start-at begin within the platform's wake-up precision.
func (e *engine) waitStart(ctx context.Context) bool {
	done := ctx.Done()
	if wait := time.Until(e.start) - shortWait; wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-done:
			return false
		}
	}
	for {
		wait := time.Until(e.start)
		if wait <= 0 {
			break
		}
		fineSleep(min(wait, shortWait))
	}
	return ctx.Err() == nil
}

// now returns the current time in Unix ns on the monotonic clock, on the
// same base as intended times.
func (e *engine) now() int64 { return e.base + int64(time.Since(e.start)) }

// openLoop is one worker of an open-loop run.
func (e *engine) openLoop(ctx context.Context, w *worker) {
	done := ctx.Done()
	t := time.NewTimer(time.Hour) // one per worker: no allocation per wait
	defer t.Stop()
	for {
		i := e.shard.Global(e.next.Add(1) - 1)
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
		e.emit(ctx, w, i, e.base+int64(due), false)
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
func (e *engine) closedLoop(ctx context.Context, w *worker) {
	done := ctx.Done()
	// last is the previous send's time, from the start. It starts at 0,
	// so a worker that the machine starts late (under the race detector
	// on a loaded machine, once after a whole 200 ms run) still sends
	// its first message: a closed loop ends at most one message late per
	// worker, never with workers that sent nothing.
	var last time.Duration
	for {
		select {
		case <-done:
			return
		default:
		}
		i := e.shard.Global(e.next.Add(1) - 1)
		if i >= e.limit {
			e.finished.Store(true)
			return
		}
		// The end is checked against the previous send's time (one
		// clock read per message, in send): at most one message late.
		if e.end > 0 && last >= e.end {
			e.finished.Store(true)
			return
		}
		last = time.Duration(e.emit(ctx, w, i, 0, true) - e.base)
	}
}

// emit sends message i, intended at intended (Unix ns), to its topic or,
// with fanout, to every topic, through w's producer. It returns the last
// send's time (Unix ns). closed: intended is not used; each send's own
// time is its intended time.
func (e *engine) emit(ctx context.Context, w *worker, i, intended int64, closed bool) (sent int64) {
	if !e.fanout {
		return e.send(ctx, w, i, intended, e.gen.Topics.Topic(i), i, closed)
	}
	for t := range e.topics {
		sent = e.send(ctx, w, i, intended, t, i*int64(len(e.topics))+int64(t), closed)
	}
	return sent
}

// fill sets r's topic (index t), key, value and headers to message i's,
// making the key in keyBuf and the headers in hdrs. The value is a slice
// of the payload pool, which no one writes during the run: StableValue.
func (e *engine) fill(r *producer.Record, i int64, t int, keyBuf []byte, hdrs []producer.Header) {
	r.Topic = e.topics[t]
	r.Key = e.gen.Keys.Key(i, keyBuf)
	r.Value = e.gen.Payloads.Payload(i)
	r.StableValue = true
	r.Headers = e.gen.Headers.Headers(i, hdrs)
}

// countSent counts a message of n bytes as sent by w and returns its intended
// and actual send times (Unix ns): in a closed loop both are now, else
// intended as given and sent now.
func (e *engine) countSent(w *worker, intended int64, closed bool, n int) (int64, int64) {
	if closed {
		intended = e.now()
	}
	w.obs.Sent(intended, n)
	w.sent++
	if closed {
		return intended, intended
	}
	return intended, e.now()
}

// send hands message i to w's Sender, to topic index t, as verification
// sequence seq, and returns the time it handed it over (Unix ns): from
// w's reused Record when w.copies, else from a pooled message.
func (e *engine) send(ctx context.Context, w *worker, i, intended int64, t int, seq int64, closed bool) int64 {
	if !w.copies {
		return e.sendPooled(ctx, w, i, intended, t, seq, closed)
	}
	e.fill(&w.rec, i, t, w.keyBuf, w.hdrs)
	intended, sent := e.countSent(w, intended, closed, int(w.rec.Bytes()))
	w.rec.Tag = [2]int64{intended, sent}
	// The create time is the send time, from the clock read countSent
	// made: a zero Timestamp would have the Sender read the clock again
	// (the franz-go engine's stamp was 3% of a max-rate peer-100b run's
	// CPU; the native core's nowMs is the same read).
	w.rec.Timestamp = time.Unix(0, sent)
	e.handOver(ctx, w, &w.rec, w.done, intended, sent)
	return sent
}

// handOver calls w's Sender with r and cb, and tells the BlockObserver
// when the call was held on the producer's pending limits.
func (e *engine) handOver(ctx context.Context, w *worker, r *producer.Record, cb func(producer.Ack, error), intended, sent int64) {
	var waits int64
	if e.blocked != nil && w.waits != nil {
		waits = w.waits.PendingWaits()
	}
	w.snd.Send(ctx, r, cb)
	// The clock is read after Send only when the call may have blocked:
	// always for a Sender that does not count its waits, and for one that
	// does only when the count grew (a clock read costs as much as a
	// tenth of a fast send).
	if e.blocked != nil && (w.waits == nil || w.waits.PendingWaits() != waits) {
		if d := e.now() - sent; d >= int64(SendBlockedMin) {
			e.blocked.SendBlocked(intended, d)
		}
	}
}

// onAck records the outcome of a message w sent from its reused Record:
// its intended and actual send times come back in ack.Tag, its bytes in
// ack.Bytes (RecordCopier).
func (w *worker) onAck(ack producer.Ack, err error) {
	now := w.eng.ackTime(ack)
	if err != nil {
		w.obs.Failure(ack.Tag[0], ack.Tag[1], now, producer.ErrorKind(err))
		if w.counts != nil {
			w.counts.Failed.Add(1)
		}
		return
	}
	w.obs.Success(ack.Tag[0], ack.Tag[1], now, int(ack.Bytes))
	if w.counts != nil {
		w.counts.Acked.Add(1)
	}
}

// ackTime returns the time of ack in Unix ns: the engine's Ack.AckTime
// when it sets one (the native core reads the clock once per produce
// request), else the clock now.
func (e *engine) ackTime(ack producer.Ack) int64 {
	if ack.AckTime.IsZero() {
		return e.now()
	}
	return e.base + int64(ack.AckTime.Sub(e.start))
}

// sendPooled is send through a pooled message, which keeps the message's
// state until its callback: for Senders that hold the Record until the
// ack, and for verifying runs.
func (e *engine) sendPooled(ctx context.Context, w *worker, i, intended int64, t int, seq int64, closed bool) int64 {
	m := e.pool.Get().(*message)
	m.index = i
	e.fill(&m.rec, i, t, m.keyBuf, m.hdrs)
	if e.vo != nil {
		m.seq, m.topic = seq, t
		st := verify.Stamp{Run: e.vo.Run, Seq: seq, Worker: w.id, CRC: verify.Checksum(m.rec.Value)}
		m.rec.Headers = append(m.rec.Headers, producer.Header{Key: verify.HeaderKey, Value: verify.Put(m.stamp[:], st)})
	}
	m.rec.Timestamp = time.Time{}
	m.bytes = int(m.rec.Bytes())
	m.obs, m.counts = w.obs, w.counts
	intended, sent := e.countSent(w, intended, closed, m.bytes)
	m.intended, m.sent = intended, sent // m may be back in the pool once Send returns: use the locals after
	e.handOver(ctx, w, &m.rec, m.done, intended, sent)
	return sent
}

// onAck records the outcome of m and returns it to the pool.
func (m *message) onAck(ack producer.Ack, err error) {
	e := m.eng
	now := e.ackTime(ack)
	if e.vo != nil {
		if err != nil {
			e.vo.Failed(m.seq, m.topic)
		} else {
			e.vo.Acked(m.seq, m.topic, ack.Partition)
		}
	}
	if err != nil {
		m.obs.Failure(m.intended, m.sent, now, producer.ErrorKind(err))
		if m.counts != nil {
			m.counts.Failed.Add(1)
		}
	} else {
		m.obs.Success(m.intended, m.sent, now, m.bytes)
		if m.counts != nil {
			m.counts.Acked.Add(1)
		}
	}
	m.rec.Key, m.rec.Value, m.rec.Headers = nil, nil, nil
	e.pool.Put(m)
}

// tick calls opts.Tick at start + k·Interval, k = 1, 2, ..., until stop
// closes. A late timer is caught up boundary by boundary, so every call
// closes one interval of the shared timeline.
func (e *engine) tick(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	if e.opts.Tick == nil {
		return
	}
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for k := int64(1); ; k++ {
		at := e.start.Add(time.Duration(k) * e.opts.Interval)
		t.Reset(time.Until(at))
		select {
		case <-t.C:
			e.opts.Tick(at)
		case <-stop:
			return
		}
	}
}
