// Package producer is prodbench's transport-agnostic producer core: an
// asynchronous producer with a per-partition accumulator (batches sealed on
// linger, on size or on count), Java-compatible partitioning, compression
// and a bounded number of produce requests in flight per broker. A
// Transport (producer/kafka for the Kafka wire protocol) moves the sealed
// batches.
//
// The data path is Send → accumulator (partState.append) → brokerSender
// (drains ready partitions into one request) → Transport.Produce → the
// record callbacks, in batch order.
package producer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Producer sends records through a Transport. Create it with New; it is
// safe for concurrent use by many goroutines.
type Producer struct {
	cfg      Config
	tr       Transport
	comp     *compressor
	overhead int

	ctx    context.Context // canceled by Close after its deadline
	cancel context.CancelFunc

	topicsMu sync.Mutex
	topics   atomic.Pointer[map[string]*topicState] // copy-on-write

	sendersMu sync.Mutex
	senders   map[int32]*brokerSender
	senderWG  sync.WaitGroup

	closed   atomic.Bool
	flushing atomic.Int32

	pending atomic.Int64 // records accepted by Send and not yet completed
	idleMu  sync.Mutex
	idleCh  chan struct{} // closed and replaced whenever pending reaches 0

	batchPool sync.Pool // *batch
	stats     statsCounters
}

// New validates cfg and returns a producer that sends through tr. It does
// not contact the brokers: topic metadata is loaded on the first Send to a
// topic. The caller keeps ownership of tr and closes it after Close.
func New(cfg Config, tr Transport) (*Producer, error) {
	if tr == nil {
		return nil, fmt.Errorf("producer: nil transport")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	if cfg.Compression > CodecZstd {
		cs, ok := tr.(CodecSupporter)
		if !ok || !cs.SupportsCodec(cfg.Compression) {
			return nil, fmt.Errorf("producer: compression: %v is not supported by this transport (Kafka's codecs are none, gzip, snappy, lz4 and zstd)", cfg.Compression)
		}
	}
	comp, err := newCompressor(cfg.Compression)
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Producer{
		cfg:      cfg,
		tr:       tr,
		comp:     comp,
		overhead: tr.BatchOverhead(),
		ctx:      ctx,
		cancel:   cancel,
		senders:  make(map[int32]*brokerSender),
		idleCh:   make(chan struct{}),
	}
	empty := map[string]*topicState{}
	p.topics.Store(&empty)
	return p, nil
}

// Config returns the producer's validated configuration.
func (p *Producer) Config() Config { return p.cfg }

// Send hands r to the producer asynchronously. cb runs exactly once, with
// the record's Ack or with the error that failed it: from the goroutine
// that completes the record's produce request, or before Send returns when
// the record fails at once (closed producer, unknown topic, invalid
// partition). Callbacks for one partition run in the order the records
// were sent. cb must not block; it must not call Flush or Close.
//
// ctx bounds only the wait for topic metadata on the first Send to a
// topic. Send copies r's key, value and headers; r itself is handed back in
// Ack.Record.
func (p *Producer) Send(ctx context.Context, r *Record, cb func(Ack, error)) {
	if p.closed.Load() {
		cb(Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, ErrClosed)
		return
	}
	ts, err := p.topic(ctx, r.Topic)
	if err != nil {
		cb(Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, err)
		return
	}
	var part int32
	switch {
	case r.UsePartition:
		if r.Partition < 0 || r.Partition >= int32(len(ts.parts)) {
			cb(Ack{Record: r, Topic: r.Topic, Partition: r.Partition, Offset: -1},
				&TopicError{Topic: r.Topic, Err: fmt.Errorf("partition %d out of range [0, %d)", r.Partition, len(ts.parts))})
			return
		}
		part = r.Partition
	case r.Key != nil:
		part = KeyPartition(r.Key, int32(len(ts.parts)))
	default:
		part = ts.sticky.partition()
	}
	p.pending.Add(1)
	ts.parts[part].append(r, cb)
}

// Flush makes every buffered batch ready at once (ignoring linger) and
// waits until no record is pending: each record sent before Flush was
// called, and any sent during it, has had its callback run. It returns
// ctx's error if ctx ends first; the records then stay pending.
func (p *Producer) Flush(ctx context.Context) error {
	p.flushing.Add(1)
	defer p.flushing.Add(-1)
	p.forEachPart(func(ps *partState) { ps.flushNow() })
	return p.waitIdle(ctx)
}

// Close stops accepting records (later Sends fail with ErrClosed), flushes
// until ctx ends, then fails every record still pending with ErrClosed and
// cancels the requests in flight, so that every callback has run when
// Close returns. It returns ctx's error when the deadline cut the drain
// short, nil otherwise. Close does not close the Transport.
func (p *Producer) Close(ctx context.Context) error {
	if p.closed.Swap(true) {
		return p.waitIdle(context.Background())
	}
	err := p.Flush(ctx)
	if err != nil {
		// Fail what never left the accumulator, then cancel what is in
		// flight; the request goroutines fail their own batches.
		p.forEachPart(func(ps *partState) { ps.failAll(ErrClosed) })
		p.cancel()
		_ = p.waitIdle(context.Background())
	}
	p.cancel()
	p.sendersMu.Lock()
	for _, s := range p.senders {
		s.stop()
	}
	p.sendersMu.Unlock()
	p.senderWG.Wait()
	return err
}

// Pending returns the number of records accepted by Send whose callback
// has not run yet.
func (p *Producer) Pending() int64 { return p.pending.Load() }

func (p *Producer) waitIdle(ctx context.Context) error {
	for p.pending.Load() != 0 {
		p.idleMu.Lock()
		ch := p.idleCh
		p.idleMu.Unlock()
		if p.pending.Load() == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// donePending marks n records completed and wakes waitIdle at zero.
func (p *Producer) donePending(n int64) {
	if p.pending.Add(-n) == 0 {
		p.idleMu.Lock()
		close(p.idleCh)
		p.idleCh = make(chan struct{})
		p.idleMu.Unlock()
	}
}

func (p *Producer) forEachPart(fn func(*partState)) {
	for _, ts := range *p.topics.Load() {
		for _, ps := range ts.parts {
			fn(ps)
		}
	}
}

// topicState is one topic's partitions and its sticky choice.
type topicState struct {
	name   string
	parts  []*partState
	sticky *sticky
}

// topic returns the state of topic, loading its metadata on first use.
func (p *Producer) topic(ctx context.Context, name string) (*topicState, error) {
	if ts := (*p.topics.Load())[name]; ts != nil {
		return ts, nil
	}
	p.topicsMu.Lock()
	defer p.topicsMu.Unlock()
	old := *p.topics.Load()
	if ts := old[name]; ts != nil {
		return ts, nil
	}
	n, err := p.tr.Partitions(ctx, name)
	if err != nil {
		return nil, &TopicError{Topic: name, Err: err}
	}
	if n <= 0 {
		return nil, &TopicError{Topic: name, Err: fmt.Errorf("no partitions")}
	}
	ts := &topicState{name: name, parts: make([]*partState, n), sticky: newSticky(n)}
	for i := range ts.parts {
		leader, err := p.tr.Leader(ctx, name, int32(i))
		if err != nil {
			return nil, &TopicError{Topic: name, Err: fmt.Errorf("partition %d leader: %w", i, err)}
		}
		ts.parts[i] = newPartState(p, ts, int32(i), p.sender(leader))
	}
	next := make(map[string]*topicState, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = ts
	p.topics.Store(&next)
	return ts, nil
}

// sender returns the brokerSender for broker id, starting it on first use.
func (p *Producer) sender(id int32) *brokerSender {
	p.sendersMu.Lock()
	defer p.sendersMu.Unlock()
	s := p.senders[id]
	if s == nil {
		s = newBrokerSender(p, id)
		p.senders[id] = s
		p.senderWG.Add(1)
		go s.run()
	}
	return s
}
