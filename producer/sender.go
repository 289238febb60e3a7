package producer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// ErrRequestTimeout fails the records of a produce request that got no
// answer within Config.RequestTimeout (after retries, when the error stays).
var ErrRequestTimeout = errors.New("producer: request timed out")

// brokerSender drains the ready partitions led by one broker into produce
// requests, at most Config.MaxInFlight at a time. While every slot is busy
// the partitions' open batches keep filling, which is how linger 0 still
// batches under load.
type brokerSender struct {
	p     *Producer
	id    int32
	mu    sync.Mutex
	list  []*partState // partitions with a ready batch
	spare []*partState // the previous list, reused (run only)
	wake  chan struct{}
	slots chan struct{}
	quit  chan struct{}
	once  sync.Once

	// With pipelining, requests are numbered as run hands them out
	// (tickets) and each waits for the one before it to be written
	// (written, under turnMu) before it numbers its batches and is
	// written itself: the broker gets them in take order.
	tickets uint64
	turnMu  sync.Mutex
	turn    sync.Cond
	written uint64
}

func newBrokerSender(p *Producer, id int32) *brokerSender {
	s := &brokerSender{
		p:     p,
		id:    id,
		wake:  make(chan struct{}, 1),
		slots: make(chan struct{}, p.cfg.MaxInFlight),
		quit:  make(chan struct{}),
	}
	s.turn.L = &s.turnMu
	return s
}

// awaitTurn blocks until the request before ticket has been written.
func (s *brokerSender) awaitTurn(ticket uint64) {
	s.turnMu.Lock()
	for s.written != ticket-1 {
		s.turn.Wait()
	}
	s.turnMu.Unlock()
}

// passTurn marks the request of ticket written (or given up), letting the
// next one go; its turn must have come.
func (s *brokerSender) passTurn(ticket uint64) {
	s.turnMu.Lock()
	s.written = ticket
	s.turn.Broadcast()
	s.turnMu.Unlock()
}

// ready lists ps as having a batch to send.
func (s *brokerSender) ready(ps *partState) {
	s.mu.Lock()
	s.list = append(s.list, ps)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *brokerSender) stop() { s.once.Do(func() { close(s.quit) }) }

func (s *brokerSender) run() {
	defer s.p.senderWG.Done()
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
		for {
			// Take a slot before draining, so batches keep filling
			// while every request slot is busy.
			select {
			case s.slots <- struct{}{}:
			case <-s.quit:
				return
			}
			s.mu.Lock()
			list := s.list
			s.list = s.spare[:0]
			s.mu.Unlock()
			req := requestPool.Get().(*request)
			for _, ps := range list {
				if b := ps.take(s); b != nil {
					req.batches = append(req.batches, b)
				}
			}
			clear(list)
			s.spare = list
			if len(req.batches) == 0 {
				requestPool.Put(req)
				<-s.slots
				break
			}
			if s.p.pipe != nil {
				s.tickets++
				req.s, req.ticket = s, s.tickets
				req.passed.Store(false)
			}
			go s.produce(req)
		}
	}
}

// request is one produce request's batches; pooled, so that a request
// allocates no slices in steady state.
type request struct {
	batches []*batch
	wires   []*Batch

	// Pipelining: the request's ticket with its sender s, whether its
	// turn has been passed on, and written (r.written, bound once).
	s       *brokerSender
	ticket  uint64
	passed  atomic.Bool
	written func()
}

var requestPool = sync.Pool{New: func() any {
	r := new(request)
	r.written = r.pass
	return r
}}

// pass passes the request's turn on to the next request, once.
func (r *request) pass() {
	if !r.passed.Swap(true) {
		r.s.passTurn(r.ticket)
	}
}

// release clears r and returns it to requestPool.
func (r *request) release() {
	clear(r.batches)
	clear(r.wires)
	r.batches, r.wires = r.batches[:0], r.wires[:0]
	r.s = nil
	requestPool.Put(r)
}

// produce sends one request holding req's batches and hands each to
// result.
//
// With pipelining it compresses the batches, waits for the request before
// it to be written, numbers the batches (sequence numbers follow the
// write order) and sends through Pipelining.ProduceInOrder, whose written
// lets the next request go.
func (s *brokerSender) produce(req *request) {
	p := s.p
	p.inFlight.Add(1)
	defer func() {
		if req.s != nil {
			req.pass()
		}
		p.inFlight.Add(-1)
		req.release()
		<-s.slots
	}()
	batches := req.batches
	now := time.Now()
	deadline := now.Add(p.cfg.RequestTimeout)
	sendDeadline := false
	sent := batches[:0]
	for _, b := range batches {
		if !b.deadline.IsZero() && !now.Before(b.deadline) {
			p.finish(b, fmt.Errorf("%w: %v in the accumulator", ErrSendTimeout, p.cfg.SendTimeout))
			continue
		}
		if err := p.pack(b); err != nil {
			p.finish(b, err)
			continue
		}
		if req.s == nil {
			if err := p.stamp(b); err != nil {
				p.finish(b, err)
				continue
			}
		}
		if !b.deadline.IsZero() && b.deadline.Before(deadline) {
			deadline, sendDeadline = b.deadline, true
		}
		sent = append(sent, b)
	}
	if req.s != nil {
		s.awaitTurn(req.ticket)
		kept := sent[:0]
		for _, b := range sent {
			if err := p.stamp(b); err != nil {
				p.finish(b, err)
				continue
			}
			kept = append(kept, b)
		}
		sent = kept
	}
	wires := req.wires[:0]
	for _, b := range sent {
		// A resend starts with clean results: the transport sets only
		// what this attempt returns.
		b.wire.Err, b.wire.Positions, b.wire.LogAppendTime, b.wire.WireBytes = nil, b.wire.Positions[:0], -1, 0
		wires = append(wires, &b.wire)
	}
	req.wires = wires
	if len(wires) == 0 {
		return
	}
	ctx, cancel := context.WithDeadline(p.ctx, deadline)
	var err error
	if req.s != nil {
		err = p.pipe.ProduceInOrder(ctx, s.id, p.cfg.Acks, p.cfg.RequestTimeout, wires, req.written)
	} else {
		err = p.tr.Produce(ctx, s.id, p.cfg.Acks, p.cfg.RequestTimeout, wires)
	}
	ctxErr := ctx.Err()
	cancel()
	// One clock read serves every record of the request: Ack.AckTime.
	ackTime := time.Now()
	p.stats.request(err == nil)
	if err != nil {
		switch {
		case p.ctx.Err() != nil:
			err = fmt.Errorf("%w (request canceled in flight: %v)", ErrClosed, err)
		case errors.Is(ctxErr, context.DeadlineExceeded) && sendDeadline:
			err = fmt.Errorf("%w: %v passed during the request", ErrSendTimeout, p.cfg.SendTimeout)
		case errors.Is(ctxErr, context.DeadlineExceeded):
			err = fmt.Errorf("%w after %v: %v", ErrRequestTimeout, p.cfg.RequestTimeout, err)
		}
	}
	for _, b := range sent {
		e := err
		if e == nil {
			e = b.wire.Err
		}
		b.ackTime = ackTime
		p.result(b, e)
	}
}

// result acts on one batch's outcome: success, a retry after backoff, or
// failure.
//
// The transport classifies err (see classify); the core knows no system's
// error codes. A resend the broker already had comes back as a success
// from the transport (Transport.Produce).
func (p *Producer) result(b *batch, err error) {
	if err == nil {
		p.finish(b, nil)
		return
	}
	retriable, refresh := classify(err)
	// A batch refused for its sequence number while an earlier batch of
	// its partition was in flight beside it is most likely the casualty of
	// that batch's failure: it is resent after it, in order, without
	// counting an attempt (it is resent alone, so this happens once per
	// failure).
	counted := true
	if b.behind && isSequence(err) {
		retriable, counted = true, false
	}
	if retriable && (b.attempts < p.cfg.Retries || !counted) && p.ctx.Err() == nil {
		wait := p.backoff(b.attempts)
		if b.deadline.IsZero() || b.ackTime.Add(wait).Before(b.deadline) {
			if counted {
				b.attempts++
			}
			p.stats.retries.Add(1)
			b.refresh = refresh
			b.part.park(b)
			// The timer is stored before it is armed: armed first, it
			// could fire, and the retry fail again on another goroutine,
			// before the store (a data race the race detector caught
			// under load).
			if b.retryTimer == nil {
				b.retryTimer = time.AfterFunc(time.Hour, b.retryFired)
				b.retryTimer.Stop()
			}
			b.retryTimer.Reset(wait)
			return
		}
		err = fmt.Errorf("%w: %v passed after %d attempts, last error: %v", ErrSendTimeout, p.cfg.SendTimeout, b.attempts+1, err)
	} else if retriable && b.attempts > 0 {
		err = fmt.Errorf("%w (after %d retries)", err, b.attempts)
	}
	p.finish(b, err)
}

// retryFired runs when b's backoff has passed.
func (b *batch) retryFired() { b.part.p.retry(b, b.refresh) }

// retry sends b again, byte-identical, after refreshing the partition's
// leader when the error suggested it moved.
func (p *Producer) retry(b *batch, refresh bool) {
	ps := b.part
	if p.ctx.Err() != nil {
		p.finish(b, ErrClosed)
		return
	}
	if refresh {
		p.refreshLeader(ps)
	}
	ps.requeue(b)
}

// refreshLeader reloads metadata and moves ps to its current leader.
func (p *Producer) refreshLeader(ps *partState) {
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.RequestTimeout)
	defer cancel()
	if mr := p.caps.Metadata; mr != nil {
		if err := mr.Refresh(ctx, ps.topic.name); err != nil {
			return // keep the old leader; the retry reports the error
		}
	}
	leader, err := p.tr.Leader(ctx, ps.topic.name, ps.id)
	if err != nil {
		return
	}
	s := p.sender(leader)
	ps.mu.Lock()
	ps.sender = s
	ps.mu.Unlock()
}

// backoff returns the wait before retry number attempt+1: RetryBackoff
// doubled per attempt, capped at MaxRetryBackoff, with ±20% jitter
// (KIP-580).
func (p *Producer) backoff(attempt int) time.Duration {
	d := p.cfg.RetryBackoff
	for i := 0; i < attempt && d < p.cfg.MaxRetryBackoff; i++ {
		d *= 2
	}
	if d > p.cfg.MaxRetryBackoff {
		d = p.cfg.MaxRetryBackoff
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// finish completes b with err and frees its partition for the next batch.
// A failed idempotent batch leaves a gap in the partition's sequence, so
// the producer takes a new producer ID for the batches after it, and the
// partition's batches numbered after it are renumbered before a resend.
func (p *Producer) finish(b *batch, err error) {
	ps := b.part
	if err != nil && b.prepared && b.wire.ProducerID >= 0 && !errors.Is(err, ErrClosed) && p.txn == nil {
		p.pid.invalidate(b.wire.ProducerID)
		ps.mu.Lock()
		for _, x := range ps.flight {
			if x.prepared && !x.final && x.stampGen == b.stampGen && x.order > b.order {
				x.restamp = true
			}
		}
		ps.brokenGen = b.stampGen
		ps.mu.Unlock()
	}
	ps.done(b, err)
}

// isSequence reports whether err is a *SystemError with Sequence set.
func isSequence(err error) bool {
	var se *SystemError
	return errors.As(err, &se) && se.Sequence
}

// pack fills b.wire for the transport, once: compresses the records
// section. stamp then numbers it.
func (p *Producer) pack(b *batch) error {
	if b.packed {
		return nil
	}
	payload, err := p.comp.compress(b.comp, b.records)
	if err != nil {
		return fmt.Errorf("producer: compress %v: %w", p.cfg.Compression, err)
	}
	if p.cfg.Compression != CodecNone {
		b.comp = payload
	}
	ps := b.part
	b.wire = Batch{
		Topic:             ps.topic.name,
		Partition:         ps.id,
		Records:           int32(len(b.entries)),
		FirstTimestamp:    b.firstTs,
		MaxTimestamp:      b.maxTs,
		Codec:             p.cfg.Compression,
		Payload:           payload,
		UncompressedBytes: int32(len(b.records)),
		ProducerID:        -1,
		ProducerEpoch:     -1,
		BaseSequence:      -1,
		Positions:         b.positions[:0],
		LogAppendTime:     -1,
	}
	b.packed = true
	return nil
}

// stamp numbers b for the idempotent producer: the producer ID, epoch and
// the partition's next sequence number (KIP-98). After stamp, resends are
// byte-identical, unless a failed batch before b left a gap in its
// sequence: b is then renumbered. A partition moves to a new producer ID
// only when no batch numbered before is still waiting for its answer, so
// that the batches in flight keep one sequence.
func (p *Producer) stamp(b *batch) error {
	if !p.idempotent {
		b.prepared = true
		return nil
	}
	ps := b.part
	ps.mu.Lock()
	gap := b.restamp
	b.restamp = false
	ps.mu.Unlock()
	if b.prepared && !gap {
		return nil
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.RequestTimeout)
	id, epoch, gen, err := p.pid.get(ctx, p)
	cancel()
	if err != nil {
		return err
	}
	ps.mu.Lock()
	if ps.seqGen != gen && (ps.seqGen == 0 || gap || !ps.earlierUnacked(b)) {
		ps.seqID, ps.seqEpoch, ps.seqGen, ps.nextSeq = id, epoch, gen, 0
	}
	id, epoch = ps.seqID, ps.seqEpoch
	b.wire.ProducerID, b.wire.ProducerEpoch, b.wire.BaseSequence = id, epoch, ps.nextSeq
	b.stampGen = ps.seqGen
	// Behind a batch that is still on its way, b stays on its broken
	// stream, so that it is refused and resent after it, renumbered.
	b.restamp = ps.brokenGen != 0 && ps.seqGen == ps.brokenGen
	ps.nextSeq = incrementSequence(ps.nextSeq, int32(len(b.entries)))
	// Numbered and prepared in one critical section: finish marks for
	// renumbering the prepared batches numbered after a failed one, so a
	// batch numbered but not yet marked prepared would keep its number
	// on a broken stream. In a transaction b is prepared once its
	// partition is added (finish marks nothing there).
	b.prepared = p.txn == nil
	ps.mu.Unlock()
	if p.txn != nil {
		if err := p.txn.addPartition(ps, id, epoch); err != nil {
			return err
		}
		ps.mu.Lock()
		b.prepared = true
		ps.mu.Unlock()
	}
	return nil
}

// complete runs the callbacks of every record in b with err (nil for
// success), updates the statistics and recycles b. In a transaction a
// successful batch is held until the transaction ends.
func (p *Producer) complete(b *batch, err error) {
	if p.txn != nil && p.txn.hold(b, err) {
		return
	}
	p.deliver(b, err)
}

// deliver runs b's callbacks and recycles it. It reads only the batch:
// each entry carries what its Ack needs (the record's pointer is passed
// on, not read), so completing a batch touches no record memory.
func (p *Producer) deliver(b *batch, err error) {
	w := &b.wire
	wireBytes := w.WireBytes
	if wireBytes == 0 {
		wireBytes = int32(p.overhead + len(w.Payload))
	}
	info := BatchInfo{Records: int32(len(b.entries)), UncompressedBytes: int32(len(b.records)), CompressedBytes: wireBytes}
	topic, part := b.part.topic.name, b.part.id
	n := int64(len(b.entries))
	// Count the batch before its callbacks run, so that a caller woken by
	// a callback (a sync Send) sees it in Stats.
	if err == nil {
		p.stats.batchDone(n, int64(len(b.records)), int64(wireBytes), b.reason)
	} else {
		p.stats.batchFailed(n)
	}
	ackTime := b.ackTime
	if ackTime.IsZero() {
		ackTime = time.Now() // failed before any request
	}
	ack := Ack{Topic: topic, Partition: part, Offset: -1, Batch: info, AckTime: ackTime}
	positions := w.Positions
	if err != nil || len(positions) != len(b.entries) {
		positions = nil
	}
	appendTime := time.Time{}
	if err == nil && w.LogAppendTime >= 0 {
		appendTime = time.UnixMilli(w.LogAppendTime)
	}
	for i := range b.entries {
		e := &b.entries[i]
		ack.Record, ack.Tag, ack.Bytes = e.rec, e.tag, e.bytes
		if err == nil {
			if positions != nil {
				ack.Offset = positions[i]
			}
			if w.LogAppendTime >= 0 {
				ack.Timestamp = appendTime
			} else {
				ack.Timestamp = time.UnixMilli(e.ms)
			}
		}
		e.cb(ack, err)
	}
	if err == nil && p.cfg.OnBatch != nil {
		p.cfg.OnBatch(info, b.reason)
	}
	b.part.queuedBytes.Add(-b.bytes)
	bytes := b.bytes
	p.recycle(b)
	p.donePending(n, bytes)
}

// recycle returns b to the pool.
func (p *Producer) recycle(b *batch) {
	clear(b.entries)
	b.entries = b.entries[:0]
	b.records = b.records[:0]
	b.part = nil
	b.bytes = 0
	b.attempts = 0
	b.packed, b.prepared = false, false
	b.order, b.stampGen = 0, 0
	b.listed, b.active, b.retry, b.behind, b.final, b.restamp = false, false, false, false, false, false
	b.err = nil
	b.reason = ""
	b.deadline = time.Time{}
	b.ackTime = time.Time{}
	b.refresh = false
	if cap(b.wire.Positions) > cap(b.positions) {
		b.positions = b.wire.Positions[:0]
	}
	b.wire = Batch{}
	p.batchPool.Put(b)
}

// incrementSequence returns seq + n, wrapping past MaxInt32 to 0 as
// Kafka's DefaultRecordBatch.incrementSequence does.
func incrementSequence(seq, n int32) int32 {
	const maxSeq = 1<<31 - 1
	if seq > maxSeq-n {
		return n - (maxSeq - seq) - 1
	}
	return seq + n
}
