package producer

import (
	"sync"
	"time"
)

// entry is one record waiting in a batch with its callback.
type entry struct {
	rec *Record
	cb  func(Ack, error)
}

// batch is an open or sealed batch for one partition. Its buffers are
// reused through the producer's batch pool.
type batch struct {
	part    *partState
	records []byte // records section, uncompressed
	comp    []byte // compression output buffer
	entries []entry
	firstTs int64 // Unix ms
	maxTs   int64
	created time.Time
	wire    Batch // what the transport sees
}

// partState is the accumulator of one partition: the open batch, the full
// batches waiting for the sender, and the linger timer.
type partState struct {
	p      *Producer
	topic  *topicState
	id     int32
	sender *brokerSender

	mu       sync.Mutex
	cur      *batch   // open batch, nil when none
	curReady bool     // cur may be drained (linger passed, linger 0, flush)
	sealed   []*batch // full batches, oldest first
	queued   bool     // listed in sender's ready list
	inFlight bool     // a batch of this partition is in a request
	timer    *time.Timer
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
func (ps *partState) append(r *Record, cb func(Ack, error)) {
	p := ps.p
	ts := r.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	ms := ts.UnixMilli()

	ps.mu.Lock()
	b := ps.cur
	if b == nil {
		b = ps.newBatch(ms)
	}
	mark := len(b.records)
	b.records = p.tr.AppendRecord(b.records, int32(len(b.entries)), ms-b.firstTs, r)
	if len(b.entries) > 0 && len(b.records)+p.overhead > p.cfg.MaxBatchBytes {
		// r does not fit: seal b without it and start a new batch.
		b.records = b.records[:mark]
		ps.seal()
		b = ps.newBatch(ms)
		b.records = p.tr.AppendRecord(b.records, 0, 0, r)
	}
	b.entries = append(b.entries, entry{rec: r, cb: cb})
	if ms > b.maxTs {
		b.maxTs = ms
	}
	full := len(b.records)+p.overhead >= p.cfg.MaxBatchBytes ||
		(p.cfg.MaxBatchMessages > 0 && len(b.entries) >= p.cfg.MaxBatchMessages)
	if full {
		ps.seal()
	}
	ps.mu.Unlock()
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
	ps.cur = b
	ps.curReady = p.cfg.Linger == 0 || p.flushing.Load() > 0
	if ps.curReady {
		ps.enqueue()
	} else {
		ps.timer.Reset(p.cfg.Linger)
	}
	return b
}

// seal moves the open batch to the sealed queue; ps.mu is held.
func (ps *partState) seal() {
	if ps.cur == nil {
		return
	}
	ps.p.stats.sealed(sealFull)
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

// take removes the next batch to send: the oldest sealed one, else the
// open one if it is ready. more says whether ps still has a ready batch.
//
// A partition has at most one batch in flight: the transport gives no
// order among concurrent requests, so this is what keeps the batches of a
// partition, their offsets and their callbacks in send order. take returns
// nothing while a batch is in flight; sent re-lists the partition.
func (ps *partState) take() (b *batch, more bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.inFlight {
		ps.queued = false
		return nil, false
	}
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
		if ps.p.flushing.Load() > 0 {
			ps.p.stats.sealed(sealFlush)
		} else {
			ps.p.stats.sealed(sealLinger)
		}
	}
	if b != nil {
		ps.inFlight = true
		ps.queued = false
		return b, false
	}
	ps.queued = false
	return nil, false
}

// hasReady reports whether ps has a batch the sender could take; ps.mu is
// held.
func (ps *partState) hasReady() bool {
	return len(ps.sealed) > 0 || (ps.cur != nil && ps.curReady)
}

// sent ends the in-flight state after a batch's callbacks have run, and
// re-lists the partition when another batch is ready.
func (ps *partState) sent() {
	ps.mu.Lock()
	ps.inFlight = false
	if ps.hasReady() {
		ps.enqueue()
	}
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
