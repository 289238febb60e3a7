package producer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrRequestTimeout fails the records of a produce request that got no
// answer within Config.RequestTimeout.
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
	wake  chan struct{}
	slots chan struct{}
	quit  chan struct{}
	once  sync.Once
}

func newBrokerSender(p *Producer, id int32) *brokerSender {
	return &brokerSender{
		p:     p,
		id:    id,
		wake:  make(chan struct{}, 1),
		slots: make(chan struct{}, p.cfg.MaxInFlight),
		quit:  make(chan struct{}),
	}
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
			s.list = nil
			s.mu.Unlock()
			var batches []*batch
			var keep []*partState
			for _, ps := range list {
				b, more := ps.take()
				if b != nil {
					batches = append(batches, b)
				}
				if more {
					keep = append(keep, ps)
				}
			}
			if len(keep) > 0 {
				s.mu.Lock()
				s.list = append(s.list, keep...)
				s.mu.Unlock()
			}
			if len(batches) == 0 {
				<-s.slots
				if len(keep) == 0 {
					break
				}
				continue
			}
			go s.produce(batches)
		}
	}
}

// produce sends one request holding batches and completes them.
func (s *brokerSender) produce(batches []*batch) {
	p := s.p
	defer func() { <-s.slots }()
	wires := make([]*Batch, 0, len(batches))
	sent := batches[:0]
	for _, b := range batches {
		if err := p.prepare(b); err != nil {
			ps := b.part
			p.complete(b, err)
			ps.sent()
			continue
		}
		wires = append(wires, &b.wire)
		sent = append(sent, b)
	}
	if len(wires) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.RequestTimeout)
	err := p.tr.Produce(ctx, s.id, p.cfg.Acks, p.cfg.RequestTimeout, wires)
	ctxErr := ctx.Err()
	cancel()
	p.stats.request(err == nil)
	if err != nil {
		switch {
		case p.ctx.Err() != nil:
			err = fmt.Errorf("%w (request canceled in flight: %v)", ErrClosed, err)
		case errors.Is(ctxErr, context.DeadlineExceeded):
			err = fmt.Errorf("%w after %v: %v", ErrRequestTimeout, p.cfg.RequestTimeout, err)
		}
	}
	for _, b := range sent {
		e := err
		if e == nil {
			e = b.wire.Err
		}
		ps := b.part
		p.complete(b, e)
		ps.sent()
	}
}

// prepare fills b.wire for the transport, compressing the records section.
func (p *Producer) prepare(b *batch) error {
	payload, err := p.comp.compress(b.comp, b.records)
	if err != nil {
		return fmt.Errorf("producer: compress %v: %w", p.cfg.Compression, err)
	}
	if p.cfg.Compression != CodecNone {
		b.comp = payload
	}
	b.wire = Batch{
		Topic:             b.part.topic.name,
		Partition:         b.part.id,
		Records:           int32(len(b.entries)),
		FirstTimestamp:    b.firstTs,
		MaxTimestamp:      b.maxTs,
		Codec:             p.cfg.Compression,
		Payload:           payload,
		UncompressedBytes: int32(len(b.records)),
		ProducerID:        -1,
		ProducerEpoch:     -1,
		BaseSequence:      -1,
		BaseOffset:        -1,
		LogAppendTime:     -1,
	}
	return nil
}

// complete runs the callbacks of every record in b with err (nil for
// success), updates the statistics and recycles b.
func (p *Producer) complete(b *batch, err error) {
	w := &b.wire
	wireBytes := w.WireBytes
	if wireBytes == 0 {
		wireBytes = int32(p.overhead + len(w.Payload))
	}
	info := BatchInfo{Records: int32(len(b.entries)), UncompressedBytes: int32(len(b.records)), CompressedBytes: wireBytes}
	topic, part := b.part.topic.name, b.part.id
	for i := range b.entries {
		e := &b.entries[i]
		ack := Ack{Record: e.rec, Topic: topic, Partition: part, Offset: -1, Batch: info}
		if err == nil {
			if w.BaseOffset >= 0 {
				ack.Offset = w.BaseOffset + int64(i)
			}
			if w.LogAppendTime >= 0 {
				ack.Timestamp = time.UnixMilli(w.LogAppendTime)
			} else if !e.rec.Timestamp.IsZero() {
				ack.Timestamp = e.rec.Timestamp
			} else {
				ack.Timestamp = time.UnixMilli(b.firstTs)
			}
		}
		e.cb(ack, err)
	}
	n := int64(len(b.entries))
	if err == nil {
		p.stats.batchDone(n, int64(len(b.records)), int64(wireBytes))
	} else {
		p.stats.batchFailed(n)
	}
	clear(b.entries)
	b.entries = b.entries[:0]
	b.records = b.records[:0]
	b.part = nil
	b.wire = Batch{}
	p.batchPool.Put(b)
	p.donePending(n)
}
