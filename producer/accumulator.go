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
	prepared bool      // wire filled (compressed, sequenced): resends are byte-identical
	wire     Batch     // what the transport sees

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
	inFlight bool     // a batch of this partition is in a request or waiting to retry
	timer    *time.Timer

	queuedBytes atomic.Int64 // record bytes accepted and not completed (uniform_bytes)

	// Idempotence: owned by whoever holds the in-flight batch.
	nextSeq int32
	seqGen  int64
	txnGen  int64 // transaction the partition was last added to
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
// (a retry first), else the open one if it is ready.
//
// A partition has at most one batch in flight: the transport gives no
// order among concurrent requests, so this is what keeps the batches of a
// partition, their offsets, sequence numbers and callbacks in send order.
// take returns nil while a batch is in flight, or when the partition has
// moved to another broker (it is then listed with that broker's sender);
// sent re-lists the partition.
func (ps *partState) take(s *brokerSender) *batch {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.queued = false
	if ps.inFlight {
		return nil
	}
	if ps.sender != s {
		if ps.hasReady() {
			ps.enqueue()
		}
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
	}
	if b != nil {
		ps.inFlight = true
	}
	return b
}

// hasReady reports whether ps has a batch the sender could take; ps.mu is
// held.
func (ps *partState) hasReady() bool {
	return len(ps.sealed) > 0 || (ps.cur != nil && ps.curReady)
}

// sent ends the in-flight state after a batch is done (acked or failed),
// and re-lists the partition when another batch is ready.
func (ps *partState) sent() {
	ps.mu.Lock()
	ps.inFlight = false
	if ps.hasReady() {
		ps.enqueue()
	}
	ps.mu.Unlock()
}

// requeue puts a batch back at the head of the queue for a retry.
func (ps *partState) requeue(b *batch) {
	ps.mu.Lock()
	ps.sealed = append(ps.sealed, nil)
	copy(ps.sealed[1:], ps.sealed)
	ps.sealed[0] = b
	ps.inFlight = false
	ps.enqueue()
	ps.mu.Unlock()
}

// failAll fails every batch still in the accumulator with err.
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
		ps.p.complete(b, err)
	}
}

// nowMs is the create time of a record without a Timestamp: Unix ms, from
// the producer's epoch plus the monotonic time since (one clock read; a
// wall-clock step after New does not move it, as Kafka's CreateTime is
// the producer's view anyway).
func (p *Producer) nowMs() int64 {
	return (p.epochNs + int64(time.Since(p.epoch))) / int64(time.Millisecond)
}
