// Package producer is prodbench's transport-agnostic producer core: an
// asynchronous (or synchronous) producer with a per-partition accumulator
// (batches sealed on linger, size or count), Java-compatible and KIP-480 /
// KIP-794 partitioning, compression, pending-record limits with block or
// fail, retries with exponential backoff, the idempotent producer and
// transactions (KIP-98), and a bounded number of produce requests in flight
// per broker. A Transport (producer/kafka for the Kafka wire protocol,
// producer/sim for a simulated broker) moves the sealed batches.
//
// The data path is Send → accumulator (partState.append) → brokerSender
// (drains ready partitions into one request) → Transport.Produce → result
// (retry or complete) → the record callbacks, in batch order.
package producer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Producer sends records through a Transport. Create it with New; it is
// safe for concurrent use by many goroutines.
type Producer struct {
	cfg        Config
	tr         Transport
	caps       Capabilities
	comp       *compressor
	overhead   int
	idempotent bool
	// pipe is caps.Pipelining when the producer is idempotent and not
	// transactional, else nil; partCap is then Config.MaxInFlight, the
	// batches of one partition that may be in flight at once (else 1).
	pipe    Pipelining
	partCap int

	// epoch is New's time.Now (with its monotonic reading) and epochNs
	// its Unix ns: nowMs derives create times from them with one
	// monotonic clock read instead of a wall and a monotonic one.
	epoch   time.Time
	epochNs int64

	ctx    context.Context // canceled by Close after its deadline
	cancel context.CancelFunc

	topicsMu sync.Mutex
	topics   atomic.Pointer[map[string]*topicState] // copy-on-write

	sendersMu sync.Mutex
	senders   map[int32]*brokerSender
	senderWG  sync.WaitGroup

	closed   atomic.Bool
	flushing atomic.Int32
	inFlight atomic.Int32

	pending      atomic.Int64 // records accepted by Send and not yet completed
	pendingBytes atomic.Int64
	idle         waitList     // Flush and Close waiting for pending to reach 0
	room         waitList     // Sends waiting for room under the pending limits
	roomWaits    atomic.Int64 // Sends that waited in room (PendingWaits)

	pid       pidState
	txn       *txnState
	syncPool  sync.Pool // *syncWaiter
	batchPool sync.Pool // *batch
	stats     statsCounters
}

// New validates cfg and returns a producer that sends through tr. It does
// not contact the brokers: topic metadata is loaded on the first Send to a
// topic, and the producer ID on the first idempotent batch. The caller
// keeps ownership of tr and closes it after Close. New fails when cfg is
// invalid or asks for something tr cannot do (zlib on Kafka, idempotence or
// transactions on a transport without them).
func New(cfg Config, tr Transport) (*Producer, error) {
	if tr == nil {
		return nil, fmt.Errorf("producer: nil transport")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	caps := tr.Capabilities()
	cs, ok := caps.Codec(cfg.Compression)
	if !ok {
		return nil, fmt.Errorf("producer: compression: %v is not supported by this transport (it takes %s)", cfg.Compression, codecList(caps))
	}
	idem := cfg.Idempotent || cfg.TransactionalID != ""
	if idem && caps.Idempotence == nil {
		return nil, fmt.Errorf("producer: idempotent: this transport does not support the idempotent producer")
	}
	if cfg.TransactionalID != "" && caps.Transactions == nil {
		return nil, fmt.Errorf("producer: transactional_id: this transport does not support transactions")
	}
	if cfg.AutoCreateTopics && caps.TopicCreator == nil {
		return nil, fmt.Errorf("producer: auto_create_topics: this transport cannot create topics")
	}
	comp, err := newCompressor(cfg.Compression, cs.Framing, cfg.CompressionLevel)
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	now := time.Now()
	p := &Producer{
		cfg:        cfg,
		tr:         tr,
		caps:       caps,
		comp:       comp,
		overhead:   tr.BatchOverhead(),
		idempotent: idem,
		epoch:      now,
		epochNs:    now.UnixNano(),
		ctx:        ctx,
		cancel:     cancel,
		senders:    make(map[int32]*brokerSender),
		partCap:    1,
	}
	if idem && cfg.TransactionalID == "" && caps.Pipelining != nil {
		p.pipe, p.partCap = caps.Pipelining, cfg.MaxInFlight
	}
	p.syncPool.New = func() any {
		w := &syncWaiter{done: make(chan struct{}, 1)}
		w.cb = w.onAck
		return w
	}
	empty := map[string]*topicState{}
	p.topics.Store(&empty)
	if cfg.TransactionalID != "" {
		p.txn = newTxnState(p)
		go p.txn.loop()
	}
	return p, nil
}

// codecList names the codecs caps accepts, for errors: "none, gzip, lz4".
func codecList(caps Capabilities) string {
	names := []string{CodecNone.String()}
	for _, c := range caps.Codecs {
		if c.Codec != CodecNone {
			names = append(names, c.Codec.String())
		}
	}
	return strings.Join(names, ", ")
}

// Config returns the producer's validated configuration.
func (p *Producer) Config() Config { return p.cfg }

// CopiesRecords reports true: Send reads r, its key, value and headers
// only until it returns (the record is encoded into its batch at once,
// or failed), and the Ack carries r.Tag in Ack.Tag and the record's bytes
// in Ack.Bytes. A caller that reads neither Ack.Record nor r after Send
// returns may reuse one Record for every Send (workload.RecordCopier).
func (p *Producer) CopiesRecords() bool { return true }

// Send hands r to the producer. cb runs exactly once, with the record's
// Ack or with the error that failed it (see ErrorKind for the kinds):
// from the goroutine that completes the record's produce request, or
// before Send returns when the record fails at once (closed producer,
// unknown topic, invalid partition, queue full, record too large).
// Callbacks for one partition run in the order the records were sent. cb
// must not block; it must not call Flush or Close.
//
// In SendAsync mode Send returns once r is queued; it blocks only while a
// pending limit is reached and BlockIfQueueFull is set, until there is
// room or ctx ends. In SendSync mode Send makes r's batch ready at once
// and returns after cb has run. ctx also bounds the wait for topic
// metadata on the first Send to a topic. Send copies r's key, value and
// headers; r itself is handed back in Ack.Record.
func (p *Producer) Send(ctx context.Context, r *Record, cb func(Ack, error)) {
	if p.cfg.SendMode == SendSync {
		w := p.syncPool.Get().(*syncWaiter)
		p.send(ctx, r, w.cb, true)
		<-w.done
		ack, err := w.ack, w.err
		w.ack, w.err = Ack{}, nil
		p.syncPool.Put(w)
		cb(ack, err)
		return
	}
	p.send(ctx, r, cb, false)
}

// syncWaiter carries one synchronous send's outcome; pooled.
type syncWaiter struct {
	done chan struct{}
	ack  Ack
	err  error
	cb   func(Ack, error) // onAck, bound once
}

func (w *syncWaiter) onAck(a Ack, err error) {
	w.ack, w.err = a, err
	w.done <- struct{}{}
}

func (p *Producer) send(ctx context.Context, r *Record, cb func(Ack, error), ready bool) {
	fail := func(part int32, err error) {
		cb(Ack{Record: r, Topic: r.Topic, Partition: part, Offset: -1, Tag: r.Tag, Bytes: r.Bytes()}, err)
	}
	if p.closed.Load() {
		fail(-1, ErrClosed)
		return
	}
	ts, err := p.topic(ctx, r.Topic)
	if err != nil {
		fail(-1, err)
		return
	}
	size := r.Bytes()
	part, err := p.partition(ts, r, size)
	if err != nil {
		fail(r.Partition, err)
		return
	}
	if err := p.reserve(ctx, size); err != nil {
		fail(part, err)
		return
	}
	if p.txn != nil {
		p.txn.mu.RLock()
		p.txn.open.Add(1)
	}
	err = ts.parts[part].append(r, cb, size, ready)
	if p.txn != nil {
		if err != nil {
			p.txn.open.Add(-1)
		}
		p.txn.mu.RUnlock()
		if err == nil {
			p.txn.added()
		}
	}
	if err != nil {
		p.donePending(1, size)
		fail(part, err)
	}
}

// Bytes is r's size in bytes as the producer counts it: key, value,
// header keys and header values. It is what Ack.Bytes carries and what
// the pending-bytes limit (MaxPendingBytes) counts.
func (r *Record) Bytes() int64 {
	n := len(r.Key) + len(r.Value)
	for i := range r.Headers {
		n += len(r.Headers[i].Key) + len(r.Headers[i].Value)
	}
	return int64(n)
}

// partition picks r's partition: explicit, custom, or by the configured
// partitioner.
func (p *Producer) partition(ts *topicState, r *Record, size int64) (int32, error) {
	n := int32(len(ts.parts))
	check := func(q int32, what string) (int32, error) {
		if q < 0 || q >= n {
			return 0, &TopicError{Topic: r.Topic, Err: fmt.Errorf("%s partition %d out of range [0, %d)", what, q, n)}
		}
		return q, nil
	}
	switch {
	case r.UsePartition:
		return check(r.Partition, "explicit")
	case p.cfg.CustomPartitioner != nil:
		return check(p.cfg.CustomPartitioner.Partition(r, n), "custom partitioner's")
	}
	switch p.cfg.Partitioner {
	case PartitionerRoundRobin:
		return int32(uint32(ts.rr.Add(1)-1) % uint32(n)), nil
	case PartitionerSticky:
		return ts.sticky.partition(), nil
	case PartitionerUniformBytes:
		if r.Key != nil {
			return KeyPartition(r.Key, n), nil
		}
		return ts.uniform.partition(ts, size, int64(p.cfg.MaxBatchBytes)), nil
	}
	if r.Key != nil {
		return KeyPartition(r.Key, n), nil
	}
	return ts.sticky.partition(), nil
}

// reserve takes room for one record of size bytes under the pending
// limits: at once, after waiting (BlockIfQueueFull), or ErrQueueFull.
func (p *Producer) reserve(ctx context.Context, size int64) error {
	for {
		if p.tryReserve(size) {
			return nil
		}
		if !p.cfg.BlockIfQueueFull {
			// The sentinel itself: a queue-full storm allocates nothing
			// and takes no lock.
			return ErrQueueFull
		}
		ch := p.room.add()
		if p.tryReserve(size) {
			p.room.remove(ch)
			return nil
		}
		p.roomWaits.Add(1)
		var err error
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		case <-p.ctx.Done():
			err = ErrClosed
		}
		p.room.remove(ch)
		if err != nil {
			return err
		}
		if p.closed.Load() && p.ctx.Err() != nil {
			return ErrClosed
		}
	}
}

// tryReserve counts one more pending record of size bytes if the limits
// allow it. A record larger than MaxPendingBytes is let in when nothing
// else is pending, so it can fail or pass on its own merits.
func (p *Producer) tryReserve(size int64) bool {
	if m := int64(p.cfg.MaxPendingMessages); m > 0 {
		// Compare-and-swap, so concurrent Sends never take the count
		// past the limit.
		for {
			cur := p.pending.Load()
			if cur >= m {
				return false
			}
			if p.pending.CompareAndSwap(cur, cur+1) {
				break
			}
		}
	} else {
		p.pending.Add(1)
	}
	if m := p.cfg.MaxPendingBytes; m > 0 {
		if b := p.pendingBytes.Add(size); b > m && b != size {
			// Over the byte limit with something else pending: give
			// the reservation back.
			p.donePending(1, size)
			return false
		}
	}
	return true
}

// Flush makes every buffered batch ready at once (ignoring linger) and
// waits until no record is pending: each record sent before Flush was
// called, and any sent during it, has had its callback run. A
// transactional producer commits the open transaction. It returns ctx's
// error if ctx ends first; the records then stay pending.
func (p *Producer) Flush(ctx context.Context) error {
	if p.txn != nil {
		return p.txn.commit(ctx)
	}
	p.flushing.Add(1)
	defer p.flushing.Add(-1)
	p.forEachPart(func(ps *partState) { ps.flushNow() })
	return p.waitIdle(ctx)
}

// Close stops accepting records (later Sends fail with ErrClosed), flushes
// (committing an open transaction) until ctx ends, then fails every record
// still pending with ErrClosed and cancels the requests in flight, so that
// every callback has run when Close returns. It returns ctx's error when
// the deadline cut the drain short, nil otherwise. Close does not close
// the Transport.
func (p *Producer) Close(ctx context.Context) error {
	if p.closed.Swap(true) {
		return p.waitIdle(context.Background())
	}
	if p.txn != nil {
		p.txn.stop()
	}
	err := p.Flush(ctx)
	if err != nil {
		// Fail what never left the accumulator, then cancel what is in
		// flight; the request goroutines and retry timers fail their
		// own batches.
		p.forEachPart(func(ps *partState) { ps.failAll(ErrClosed) })
		p.cancel()
		if p.txn != nil {
			p.txn.abortHeld()
		}
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
		ch := p.idle.add()
		if p.pending.Load() == 0 {
			p.idle.remove(ch)
			return nil
		}
		var err error
		select {
		case <-ch:
		case <-ctx.Done():
			err = ctx.Err()
		}
		p.idle.remove(ch)
		if err != nil {
			return err
		}
	}
	return nil
}

// donePending marks n records of bytes completed, wakes Sends waiting for
// room and, at zero, waitIdle. It allocates nothing and takes no lock
// unless someone waits.
func (p *Producer) donePending(n, bytes int64) {
	p.pendingBytes.Add(-bytes)
	left := p.pending.Add(-n)
	p.room.wakeAll()
	if left == 0 {
		p.idle.wakeAll()
	}
}

// waitList wakes the goroutines waiting for an event without allocating
// in steady state: each waiter takes a pooled channel of capacity 1 and
// lists it; wakeAll sends one token to every listed channel. A waiter
// lists itself before checking its condition, and a waker changes the
// condition before looking at the list (both through sequentially
// consistent atomics), so no wake-up is lost.
type waitList struct {
	n    atomic.Int32 // len(ws), read without the lock
	mu   sync.Mutex
	ws   []chan struct{}
	pool sync.Pool // chan struct{}, capacity 1, empty
}

// add lists a channel that wakeAll will signal, and returns it.
func (l *waitList) add() chan struct{} {
	ch, _ := l.pool.Get().(chan struct{})
	if ch == nil {
		ch = make(chan struct{}, 1)
	}
	l.mu.Lock()
	l.ws = append(l.ws, ch)
	l.n.Store(int32(len(l.ws)))
	l.mu.Unlock()
	return ch
}

// remove unlists ch if still listed, drains it and returns it to the pool.
func (l *waitList) remove(ch chan struct{}) {
	l.mu.Lock()
	for i, c := range l.ws {
		if c == ch {
			last := len(l.ws) - 1
			l.ws[i] = l.ws[last]
			l.ws[last] = nil
			l.ws = l.ws[:last]
			break
		}
	}
	l.n.Store(int32(len(l.ws)))
	l.mu.Unlock()
	select {
	case <-ch:
	default:
	}
	l.pool.Put(ch)
}

// wakeAll signals and unlists every listed channel.
func (l *waitList) wakeAll() {
	if l.n.Load() == 0 {
		return
	}
	l.mu.Lock()
	for i, ch := range l.ws {
		select {
		case ch <- struct{}{}:
		default:
		}
		l.ws[i] = nil
	}
	l.ws = l.ws[:0]
	l.n.Store(0)
	l.mu.Unlock()
}

func (p *Producer) forEachPart(fn func(*partState)) {
	for _, ts := range *p.topics.Load() {
		for _, ps := range ts.parts {
			fn(ps)
		}
	}
}

// topicState is one topic's partitions and its partitioner state.
type topicState struct {
	name    string
	parts   []*partState
	sticky  *sticky
	rr      atomic.Uint32
	uniform uniformBytes
}

// LoadTopics loads each named topic's metadata (partition count and
// leaders) and prepares its partitions, as the first Send to it would,
// creating a missing topic when Config.AutoCreateTopics is set. A caller
// that times its records (a benchmark run) calls it before its clock
// starts, so that the first records do not carry metadata round trips
// and their retries (LEADER_NOT_AVAILABLE backs off for up to 2.5 s after
// a topic is created). It returns the first failure, a *TopicError naming
// the topic, or ctx's error.
func (p *Producer) LoadTopics(ctx context.Context, names ...string) error {
	for _, n := range names {
		if _, err := p.topic(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// topic returns the state of topic, loading its metadata on first use and
// creating the topic when it is missing and AutoCreateTopics is set.
func (p *Producer) topic(ctx context.Context, name string) (*topicState, error) {
	return CachedOrAdd(&p.topics, &p.topicsMu, name, func() (*topicState, error) {
		n, err := p.tr.Partitions(ctx, name)
		if err != nil && p.cfg.AutoCreateTopics {
			if cerr := p.caps.TopicCreator.CreateTopic(ctx, name, p.cfg.AutoCreatePartitions); cerr != nil {
				return nil, &TopicError{Topic: name, Err: fmt.Errorf("auto-create with %d partitions: %w", p.cfg.AutoCreatePartitions, cerr)}
			}
			if mr := p.caps.Metadata; mr != nil {
				_ = mr.Refresh(ctx, name)
			}
			n, err = p.tr.Partitions(ctx, name)
		}
		if err != nil {
			return nil, &TopicError{Topic: name, Err: err}
		}
		if n <= 0 {
			return nil, &TopicError{Topic: name, Err: errors.New("no partitions")}
		}
		ts := &topicState{name: name, parts: make([]*partState, n), sticky: newSticky(n)}
		for i := range ts.parts {
			leader, err := p.tr.Leader(ctx, name, int32(i))
			if err != nil {
				return nil, &TopicError{Topic: name, Err: fmt.Errorf("partition %d leader: %w", i, err)}
			}
			ts.parts[i] = newPartState(p, ts, int32(i), p.sender(leader))
		}
		return ts, nil
	})
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

// uniformBytes is KIP-794's uniform sticky partitioner for keyless
// records: it sticks to one partition until about max_batch_bytes have
// gone to it, then moves to the less loaded of two random partitions (by
// bytes queued and not acknowledged) — "power of two choices", a simple
// form of KIP-794's adaptive partition switching.
type uniformBytes struct {
	mu       sync.Mutex
	cur      int32
	produced int64
	started  bool
}

func (u *uniformBytes) partition(ts *topicState, size, limit int64) int32 {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := int32(len(ts.parts))
	if !u.started || u.produced >= limit {
		a, b := rand.Int32N(n), rand.Int32N(n)
		if ts.parts[b].queuedBytes.Load() < ts.parts[a].queuedBytes.Load() {
			a = b
		}
		u.cur, u.produced, u.started = a, 0, true
	}
	u.produced += size
	return u.cur
}
