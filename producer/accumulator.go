package producer

import (
	"sync"
	"sync/atomic"
	"time"
)

// Seal reasons: why a batch stopped taking records. Reported to
// Config.OnBatch and counted in Stats.
const (
	SealLinger = "linger" // linger elapsed (or linger 0) and a request slot was free
	SealSize   = "size"   // max_batch_bytes reached
	SealCount  = "count"  // max_batch_messages reached
	SealFlush  = "flush"  // Flush, Close or a transaction commit
	SealSingle = "single" // batching is off: one record per batch
)

// entry is one record waiting in a batch with its callback, and all its
// Ack needs: delivery reads entries, never the records.
type entry struct {
	rec   *Record
	cb    func(Ack, error)
	bytes int64    // key+value+header bytes, for the pending-bytes limit
	ms    int64    // the record's timestamp as encoded, Unix ms
	tag   [2]int64 // the record's Tag, for Ack.Tag
}

// batch is an open or sealed batch for one partition. Its buffers are
// reused through the producer's batch pool.
type batch struct {
	part     *partState
	records  []byte // records section, uncompressed
	comp     []byte // compression output buffer
	entries  []entry
	bytes    int64 // sum of entries' bytes
	firstTs  int64 // Unix ms
	maxTs    int64
	created  time.Time
	deadline time.Time // send_timeout expiry; zero for none
	reason   string    // seal reason
	attempts int       // sends so far after the first
	packed   bool      // wire filled and compressed
	prepared bool      // packed and sequenced: resends are byte-identical
	wire     Batch     // what the transport sees

	// In-flight state, under part.mu. A batch is listed in part.flight
	// from its first take until its callbacks run.
	order    int64 // the partition's take count at its first take: send order
	stampGen int64 // the producer ID generation of its sequence number
	listed   bool  // in part.flight
	active   bool  // in a request, or waiting for its retry backoff
	retry    bool  // waiting for its retry backoff, or requeued for it
	behind   bool  // at its last take, an earlier batch of the partition was active
	restamp  bool  // an earlier batch of its sequence failed for good: renumber before the resend
	final    bool  // done: err is its outcome, delivered in order
	err      error

	positions  []int64     // spare capacity handed to the transport as wire.Positions
	ackTime    time.Time   // when the last request's answer came, one clock read per request
	refresh    bool        // the pending retry reloads metadata first
	retryTimer *time.Timer // the retry backoff timer, reused
}

// partState is the accumulator of one partition: the open batch, the full
// batches waiting for the sender, and the linger timer.
type partState struct {
	p     *Producer
	topic *topicState
	id    int32

	mu       sync.Mutex
	sender   *brokerSender
	cur      *batch   // open batch, nil when none
	curReady bool     // cur may be drained (linger passed, linger 0, flush)
	sealed   []*batch // full batches (and retries, at the head), oldest first
	queued   bool     // listed in sender's ready list
	timer    *time.Timer

	// In flight: taken batches until their callbacks have run, in take
	// order, at most p.partCap of them; active counts those in a request
	// or in retry backoff, retrying those in backoff or requeued. While
	// any waits to be resent, resends go alone and in order (see room). Callbacks run in take order: a batch
	// done before an earlier one waits in flight for it (delivering
	// names the goroutine running them; spare is its buffer).
	flight     []*batch
	spare      []*batch
	active     int
	retrying   int
	orders     int64
	delivering bool

	queuedBytes atomic.Int64 // record bytes accepted and not completed (uniform_bytes)

	// Idempotence (KIP-98), under mu: the sequence stream the partition's
	// batches are numbered on (producer ID, epoch, generation, next
	// sequence). A batch that fails for good leaves a gap in it: the
	// batches numbered after it on that stream are marked restamp.
	seqID    int64
	seqEpoch int16
	nextSeq  int32
	seqGen   int64
	// brokenGen is the stream a batch failed on for good, until the
	// partition has nothing in flight: meanwhile it sends one batch at a
	// time (see room), and a batch numbered on that stream is renumbered
	// before its resend.
	brokenGen int64
	txnGen    int64 // transaction the partition was last added to
}

func newPartState(p *Producer, ts *topicState, id int32, s *brokerSender) *partState {
	ps := &partState{p: p, topic: ts, id: id, sender: s}
	if p.cfg.Linger > 0 {
		ps.timer = time.AfterFunc(time.Hour, ps.lingerFired)
		ps.timer.Stop()
	}
	return ps
}

// append adds r to the open batch, sealing it first when r would not fit.
// It returns ErrRecordTooLarge, without keeping r, when r alone exceeds
// max_batch_bytes. ready makes the batch ready at once (sync sends).
func (ps *partState) append(r *Record, cb func(Ack, error), size int64, ready bool) error {
	p := ps.p
	var ms int64
	if r.Timestamp.IsZero() {
		ms = p.nowMs()
	} else {
		ms = r.Timestamp.UnixMilli()
	}
	max := p.cfg.MaxBatchBytes

	ps.mu.Lock()
	b := ps.cur
	if b == nil {
		b = ps.newBatch(ms)
	}
	mark := len(b.records)
	b.records = p.tr.AppendRecord(b.records, int32(len(b.entries)), ms-b.firstTs, r)
	if len(b.records)-mark+p.overhead > max {
		b.records = b.records[:mark]
		if len(b.entries) == 0 {
			ps.dropEmpty()
		}
		ps.mu.Unlock()
		return ErrRecordTooLarge
	}
	if len(b.entries) > 0 && len(b.records)+p.overhead > max {
		// r does not fit: seal b without it and start a new batch.
		b.records = b.records[:mark]
		ps.seal(SealSize)
		b = ps.newBatch(ms)
		b.records = p.tr.AppendRecord(b.records, 0, 0, r)
	}
	b.entries = append(b.entries, entry{rec: r, cb: cb, bytes: size, ms: ms, tag: r.Tag})
	b.bytes += size
	ps.queuedBytes.Add(size)
	if ms > b.maxTs {
		b.maxTs = ms
	}
	switch {
	case !p.cfg.Batching:
		ps.seal(SealSingle)
	case len(b.records)+p.overhead >= max:
		ps.seal(SealSize)
	case p.cfg.MaxBatchMessages > 0 && len(b.entries) >= p.cfg.MaxBatchMessages:
		ps.seal(SealCount)
	case ready && !ps.curReady:
		ps.curReady = true
		ps.enqueue()
	}
	ps.mu.Unlock()
	return nil
}

// newBatch opens a batch; ps.mu is held.
func (ps *partState) newBatch(firstMs int64) *batch {
	p := ps.p
	b, _ := p.batchPool.Get().(*batch)
	if b == nil {
		b = &batch{}
	}
	b.part = ps
	b.firstTs, b.maxTs = firstMs, firstMs
	b.created = time.Now()
	if p.cfg.SendTimeout > 0 {
		b.deadline = b.created.Add(p.cfg.SendTimeout)
	}
	ps.cur = b
	ps.curReady = p.cfg.Linger == 0 || p.flushing.Load() > 0
	if ps.curReady {
		ps.enqueue()
	} else {
		ps.timer.Reset(p.cfg.Linger)
	}
	return b
}

// dropEmpty discards an open batch that holds no record; ps.mu is held.
func (ps *partState) dropEmpty() {
	b := ps.cur
	ps.cur = nil
	ps.curReady = false
	if ps.timer != nil {
		ps.timer.Stop()
	}
	ps.p.recycle(b)
}

// seal moves the open batch to the sealed queue; ps.mu is held.
func (ps *partState) seal(reason string) {
	if ps.cur == nil {
		return
	}
	ps.cur.reason = reason
	ps.sealed = append(ps.sealed, ps.cur)
	ps.cur = nil
	ps.curReady = false
	ps.topic.sticky.onBatchDone(ps.id)
	ps.enqueue()
}

// enqueue lists ps with its broker's sender; ps.mu is held.
func (ps *partState) enqueue() {
	if !ps.queued {
		ps.queued = true
		ps.sender.ready(ps)
	}
}

// lingerFired makes the open batch ready once it has lingered long enough.
func (ps *partState) lingerFired() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.cur == nil || ps.curReady {
		return
	}
	if wait := ps.p.cfg.Linger - time.Since(ps.cur.created); wait > 0 {
		ps.timer.Reset(wait)
		return
	}
	ps.curReady = true
	ps.enqueue()
}

// flushNow makes the open batch ready regardless of linger.
func (ps *partState) flushNow() {
	ps.mu.Lock()
	if ps.cur != nil && !ps.curReady {
		ps.curReady = true
		ps.enqueue()
	}
	ps.mu.Unlock()
}

// take removes the next batch for sender s to send: the oldest sealed one
// (a resend first), else the open one if it is ready.
//
// Without pipelining (Producer.partCap 1) a partition has at most one
// batch in flight: the transport gives no order among concurrent
// requests, so this is what keeps the batches of a partition, their
// offsets, sequence numbers and callbacks in send order. With pipelining
// up to partCap are in flight, written in take order (see
// brokerSender.produce), and a resend waits until none is active. take
// returns nil when the limit is reached, or when the partition has moved
// to another broker (it is then listed with that broker's sender); done
// and requeue re-list the partition. A partition that has more to send
// within its limit lists itself again for the next request.
func (ps *partState) take(s *brokerSender) *batch {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.queued = false
	if ps.sender != s {
		if ps.hasReady() {
			ps.enqueue()
		}
		return nil
	}
	if !ps.room() {
		return nil
	}
	var b *batch
	switch {
	case len(ps.sealed) > 0:
		b = ps.sealed[0]
		copy(ps.sealed, ps.sealed[1:])
		ps.sealed[len(ps.sealed)-1] = nil
		ps.sealed = ps.sealed[:len(ps.sealed)-1]
	case ps.cur != nil && ps.curReady:
		b = ps.cur
		ps.cur = nil
		ps.curReady = false
		if ps.timer != nil {
			ps.timer.Stop()
		}
		ps.topic.sticky.onBatchDone(ps.id)
		b.reason = SealLinger
		if ps.p.flushing.Load() > 0 {
			b.reason = SealFlush
		}
	default:
		return nil
	}
	if ps.active == 0 && ps.retrying == 0 {
		ps.brokenGen = 0 // nothing numbered on a broken stream is left to send
	}
	b.behind = ps.active > 0
	if b.behind {
		ps.p.stats.pipelined.Add(1)
	}
	b.active = true
	ps.active++
	if b.retry {
		b.retry = false
		ps.retrying--
	}
	if !b.listed {
		b.listed = true
		ps.orders++
		b.order = ps.orders
		ps.flight = append(ps.flight, b)
	}
	ps.relist()
	return b
}

// room reports whether ps may send a batch now; ps.mu is held. While a
// batch waits to be resent, or after a batch failed for good, batches go
// one at a time, when no batch is active. Otherwise fewer than partCap batches may be in flight,
// counted from the oldest whose callbacks have not run: a resend of that
// one then stays within the last partCap (at most 5) batches the broker
// remembers per producer and partition to recognise duplicates (KIP-98).
func (ps *partState) room() bool {
	if ps.retrying > 0 || ps.brokenGen != 0 {
		return ps.active == 0
	}
	return len(ps.flight) < ps.p.partCap
}

// relist lists ps with its sender when it has a batch to send and room
// for it; ps.mu is held.
func (ps *partState) relist() {
	if ps.hasReady() && ps.room() {
		ps.enqueue()
	}
}

// hasReady reports whether ps has a batch the sender could take; ps.mu is
// held.
func (ps *partState) hasReady() bool {
	return len(ps.sealed) > 0 || (ps.cur != nil && ps.curReady)
}

// done records b's outcome (nil for success) and runs the callbacks of
// every batch at the head of the partition's flight that is done, in take
// order, on this goroutine unless another is at it already.
func (ps *partState) done(b *batch, err error) {
	p := ps.p
	ps.mu.Lock()
	if b.active {
		b.active = false
		ps.active--
	}
	if b.retry {
		b.retry = false
		ps.retrying--
	}
	b.final, b.err = true, err
	if !b.listed {
		// Failed before its first take (Close): nothing waits on it.
		ps.relist()
		ps.mu.Unlock()
		p.complete(b, err)
		return
	}
	ps.relist()
	if ps.delivering {
		ps.mu.Unlock()
		return
	}
	ps.delivering = true
	for {
		n := 0
		for n < len(ps.flight) && ps.flight[n].final {
			n++
		}
		if n == 0 {
			ps.delivering = false
			ps.mu.Unlock()
			return
		}
		out := append(ps.spare[:0], ps.flight[:n]...)
		m := copy(ps.flight, ps.flight[n:])
		clear(ps.flight[m:])
		ps.flight = ps.flight[:m]
		ps.relist() // the flight has room again
		ps.mu.Unlock()
		for _, x := range out {
			p.complete(x, x.err)
		}
		clear(out)
		ps.mu.Lock()
		ps.spare = out[:0]
	}
}

// park marks b, active, as waiting for its retry backoff.
func (ps *partState) park(b *batch) {
	ps.mu.Lock()
	b.retry = true
	ps.retrying++
	ps.mu.Unlock()
}

// requeue puts b, back from its retry backoff, among the resends at the
// head of the queue, in take order.
func (ps *partState) requeue(b *batch) {
	ps.mu.Lock()
	b.active = false
	ps.active--
	i := 0
	for i < len(ps.sealed) && ps.sealed[i].retry && ps.sealed[i].order < b.order {
		i++
	}
	ps.sealed = append(ps.sealed, nil)
	copy(ps.sealed[i+1:], ps.sealed[i:])
	ps.sealed[i] = b
	ps.relist()
	ps.mu.Unlock()
}

// earlierUnacked reports whether a batch taken before b is still not
// done; ps.mu is held.
func (ps *partState) earlierUnacked(b *batch) bool {
	for _, x := range ps.flight {
		if x == b {
			return false
		}
		if !x.final {
			return true
		}
	}
	return false
}

// failAll fails every batch still in the accumulator with err: the open
// one, the sealed ones and the resends waiting to go.
func (ps *partState) failAll(err error) {
	ps.mu.Lock()
	bs := ps.sealed
	ps.sealed = nil
	if ps.cur != nil {
		bs = append(bs, ps.cur)
		ps.cur = nil
	}
	ps.curReady = false
	ps.mu.Unlock()
	for _, b := range bs {
		ps.done(b, err)
	}
}

// nowMs is the create time of a record without a Timestamp: Unix ms, from
// the producer's epoch plus the monotonic time since (one clock read; a
// wall-clock step after New does not move it, as Kafka's CreateTime is
// the producer's view anyway).
func (p *Producer) nowMs() int64 {
	return (p.epochNs + int64(time.Since(p.epoch))) / int64(time.Millisecond)
}
