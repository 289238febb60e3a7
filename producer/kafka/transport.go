// Package kafka is prodbench's Kafka wire transport: it implements
// producer.Transport with the Kafka protocol
// (https://kafka.apache.org/protocol), encoding record batches itself
// (message format v2, https://kafka.apache.org/documentation/#recordbatch)
// and using franz-go's kgo client only for connections, API version
// negotiation, TLS/SASL and metadata. StartEmbedded runs an in-process
// broker (franz-go's kfake) for tests and self-contained benchmarks.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
)

// Defaults for Options fields left zero.
const (
	// DefaultClientID is the client.id sent when Options.ClientID is "".
	DefaultClientID = "prodbench"
	// DefaultDialTimeout bounds one TCP (and TLS) connect when
	// Options.DialTimeout is 0.
	DefaultDialTimeout = 5 * time.Second
	// DefaultRequestTimeout bounds metadata requests when
	// Options.RequestTimeout is 0.
	DefaultRequestTimeout = 30 * time.Second
)

// Options configures a Transport.
type Options struct {
	// Brokers are the bootstrap brokers as host:port. Required.
	Brokers []string
	// Acks is the acknowledgement level the main connection is set up
	// for. Produce calls with another level use a second client that is
	// created on first use. The zero value is producer.AcksNone; use
	// producer.AcksAll for Kafka's default.
	Acks producer.Acks
	// ClientID is the Kafka client.id sent with every request. Default
	// DefaultClientID ("prodbench").
	ClientID string
	// RequestTimeout bounds each metadata load (Partitions, Leader,
	// Refresh) whose context has no deadline, is the broker-side timeout
	// of Produce calls given none, and the produce timeout kgo writes into
	// acks-none requests. Default DefaultRequestTimeout (30s).
	RequestTimeout time.Duration
	// DialTimeout bounds one connection attempt to a broker; New's
	// reachability check allows DialTimeout plus 2s. Default
	// DefaultDialTimeout (5s).
	DialTimeout time.Duration
	// AutoCreateTopics asks brokers to create unknown topics when their
	// metadata is first requested (Metadata AllowAutoTopicCreation; the
	// broker must also allow it, as the embedded broker does). Default
	// false: unknown topics are errors wrapping ErrUnknownTopic.
	AutoCreateTopics bool
	// TransactionalID makes Produce transactional (KIP-98): every
	// ProduceRequest carries it as its TransactionalID, and every batch
	// with a producer ID (Batch.ProducerID >= 0) has the transactional
	// attribute bit set. It must equal the ID the producer core passes to
	// InitProducerID, AddPartitionsToTxn and EndTxn
	// (producer.Config.TransactionalID); producer.Batch carries no
	// transactional ID of its own. Default "": not transactional.
	TransactionalID string
	// ExtraOpts are appended to the kgo client options, after the
	// transport's own, e.g. kgo.DialTLSConfig or kgo.SASL. Producer and
	// consumer options have no effect other than kgo.ProduceRequestTimeout.
	ExtraOpts []kgo.Opt

	// ProduceDelay is a test knob: every Produce waits this long before
	// sending, as a deliberately slowed build would. prodbench run exposes
	// it as the hidden flag --x-produce-delay, which the regression tests
	// use to check that compare --baseline flags a slowdown. Default 0.
	ProduceDelay time.Duration
}

// Transport is producer.Transport over the Kafka wire protocol. Create it
// with New; it is safe for concurrent use. Close releases its
// connections.
type Transport struct {
	opts Options
	// main is the client for opts.Acks; it also serves metadata.
	main *kgo.Client
	// clients holds one client per acks level (see acksIndex), created
	// on first use: kgo rewrites a ProduceRequest's Acks to its
	// configured RequiredAcks.
	clients [3]atomic.Pointer[kgo.Client]
	// txn is the client for transaction coordinator requests, created on
	// first use (see txnClient).
	txn    atomic.Pointer[kgo.Client]
	mu     sync.Mutex // serializes client creation and Close
	closed atomic.Bool
	// writes tells ProduceInOrder when kgo has written its request (the
	// hook of every client).
	writes writeHook
	meta   metaCache
}

var (
	_ producer.Transport         = (*Transport)(nil)
	_ producer.MetadataRefresher = (*Transport)(nil)
	_ producer.Transactions      = (*Transport)(nil)
	_ producer.TopicCreator      = (*Transport)(nil)
)

// kafkaCodecs are the codecs a RecordBatch can carry (attributes bits
// 0-2), each framed as Kafka clients frame it: lz4 as an LZ4 frame.
var kafkaCodecs = []producer.CodecSupport{
	{Codec: producer.CodecGzip}, {Codec: producer.CodecSnappy},
	{Codec: producer.CodecLZ4, Framing: producer.FramingStandard}, {Codec: producer.CodecZstd},
}

// Capabilities implements producer.Transport: Kafka's codecs (none, gzip,
// snappy, lz4 as an LZ4 frame, zstd; not zlib), metadata refresh, topic
// creation, the idempotent producer, transactions and pipelining
// (ProduceInOrder).
func (t *Transport) Capabilities() producer.Capabilities {
	return producer.Capabilities{Codecs: kafkaCodecs, Metadata: t, TopicCreator: t, Idempotence: t, Transactions: t, Pipelining: t}
}

// acksIndex maps an acks level to its slot in Transport.clients, or -1.
func acksIndex(a producer.Acks) int {
	switch a {
	case producer.AcksAll:
		return 0
	case producer.AcksLeader:
		return 1
	case producer.AcksNone:
		return 2
	}
	return -1
}

// New connects to opts.Brokers and returns a Transport. It asks every
// bootstrap broker at once for metadata and succeeds when one answers
// within opts.DialTimeout plus 2s (or before ctx ends); otherwise it
// fails with one error naming the addresses, e.g. "kafka: cannot reach
// brokers 127.0.0.1:1 (unable to dial: dial tcp 127.0.0.1:1: connect:
// connection refused)". It also fails on an empty broker list, invalid
// acks or a malformed address.
func New(ctx context.Context, opts Options) (*Transport, error) {
	if len(opts.Brokers) == 0 {
		return nil, errors.New("kafka: no brokers given")
	}
	if acksIndex(opts.Acks) < 0 {
		return nil, fmt.Errorf("kafka: invalid acks %d", opts.Acks)
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	opts.Brokers = append([]string(nil), opts.Brokers...)
	t := &Transport{opts: opts}
	cl, err := t.newClient(opts.Acks)
	if err != nil {
		return nil, fmt.Errorf("kafka: brokers %s: %w", t.brokerList(), err)
	}
	if err := t.ping(ctx, cl); err != nil {
		cl.Close()
		return nil, err
	}
	t.main = cl
	t.clients[acksIndex(opts.Acks)].Store(cl)
	return t, nil
}

// pingSlack is the time a seed broker has, on top of DialTimeout, to
// answer New's reachability check (ApiVersions, SASL, Metadata).
const pingSlack = 2 * time.Second

// ping sends a broker-only Metadata request to every seed broker at once
// and succeeds as soon as one answers. Each must answer within
// DialTimeout+pingSlack. The error names every address.
func (t *Transport) ping(ctx context.Context, cl *kgo.Client) error {
	timeout := t.opts.DialTimeout + pingSlack
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	seeds := cl.SeedBrokers() // in Options.Brokers order
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(seeds))
	for i, b := range seeds {
		go func() {
			req := kmsg.NewPtrMetadataRequest()
			req.Topics = []kmsg.MetadataRequestTopic{} // brokers only
			_, err := b.Request(ctx, req)
			results <- result{i, err}
		}()
	}
	errs := make([]string, len(seeds))
	for range seeds {
		r := <-results
		if r.err == nil {
			return nil
		}
		msg := r.err.Error()
		if errors.Is(r.err, context.DeadlineExceeded) {
			msg = fmt.Sprintf("no answer within %v", timeout)
		}
		if len(seeds) > 1 && r.i < len(t.opts.Brokers) {
			msg = t.opts.Brokers[r.i] + ": " + msg
		}
		errs[r.i] = msg
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("kafka: cannot reach brokers %s: %w", t.brokerList(), err)
	}
	return fmt.Errorf("kafka: cannot reach brokers %s (%s)", t.brokerList(), strings.Join(errs, "; "))
}

// brokerList returns the bootstrap brokers comma-separated.
func (t *Transport) brokerList() string { return strings.Join(t.opts.Brokers, ", ") }

// newClient creates a kgo client that produces with acks; extra options
// go before Options.ExtraOpts.
func (t *Transport) newClient(acks producer.Acks, extra ...kgo.Opt) (*kgo.Client, error) {
	var ka kgo.Acks
	switch acks {
	case producer.AcksAll:
		ka = kgo.AllISRAcks()
	case producer.AcksLeader:
		ka = kgo.LeaderAck()
	default:
		ka = kgo.NoAck()
	}
	kopts := []kgo.Opt{
		kgo.SeedBrokers(t.opts.Brokers...),
		kgo.ClientID(t.opts.ClientID),
		kgo.DialTimeout(t.opts.DialTimeout),
		kgo.RequiredAcks(ka),
		// We never use kgo's producer; idempotence is the caller's
		// business (Batch.ProducerID) and kgo refuses acks other than
		// all with idempotent writes enabled.
		kgo.DisableIdempotentWrite(),
		// kgo writes this into acks=0 produce requests.
		kgo.ProduceRequestTimeout(t.opts.RequestTimeout),
		kgo.DisableClientMetrics(),
		kgo.WithHooks(&t.writes),
	}
	kopts = append(kopts, extra...)
	kopts = append(kopts, t.opts.ExtraOpts...)
	return kgo.NewClient(kopts...)
}

// errNotNew fails methods called on a Transport not made by New.
var errNotNew = errors.New("kafka: Transport not created with New")

// usable returns ErrClosed after Close and errNotNew for a Transport not
// made by New.
func (t *Transport) usable() error {
	if t.closed.Load() {
		return ErrClosed
	}
	if t.main == nil {
		return errNotNew
	}
	return nil
}

// clientFor returns the client for acks, creating it on first use.
func (t *Transport) clientFor(acks producer.Acks) (*kgo.Client, error) {
	i := acksIndex(acks)
	if i < 0 {
		return nil, fmt.Errorf("kafka: invalid acks %d", acks)
	}
	if cl := t.clients[i].Load(); cl != nil {
		return cl, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed.Load() {
		return nil, ErrClosed
	}
	if cl := t.clients[i].Load(); cl != nil {
		return cl, nil
	}
	cl, err := t.newClient(acks)
	if err != nil {
		return nil, fmt.Errorf("kafka: client for acks %v: %w", acks, err)
	}
	t.clients[i].Store(cl)
	return cl, nil
}

// Client returns the kgo client behind the transport's metadata and its
// Options.Acks produce requests, for diagnostics and admin requests. Do
// not close it; Close does.
func (t *Transport) Client() *kgo.Client { return t.main }

// Close closes every connection. Calls in progress fail; later calls
// return ErrClosed. Close is idempotent.
func (t *Transport) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed.Swap(true) {
		return
	}
	for i := range t.clients {
		if cl := t.clients[i].Load(); cl != nil {
			cl.Close()
		}
	}
	if cl := t.txn.Load(); cl != nil {
		cl.Close()
	}
}

// AppendRecord implements producer.Transport with the package-level
// AppendRecord (Kafka record format v2). It does not allocate when dst
// has room for RecordSize(offsetDelta, timestampDelta, r) more bytes.
func (t *Transport) AppendRecord(dst []byte, offsetDelta int32, timestampDelta int64, r *producer.Record) []byte {
	return wire.AppendRecord(dst, offsetDelta, timestampDelta, r)
}

// BatchOverhead returns BatchHeaderSize (61), the bytes a RecordBatch v2
// header adds to a records section.
func (t *Transport) BatchOverhead() int { return wire.BatchHeaderSize }

// reqBufs recycles the buffers produce requests encode batches into.
var reqBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuf is the largest request buffer returned to reqBufs.
const maxPooledBuf = 16 << 20

// Produce sends batches to broker (a Kafka node ID from Leader) in one
// ProduceRequest (https://kafka.apache.org/protocol#The_Messages_Produce)
// with acks and timeout (the broker-side wait, sent as TimeoutMillis;
// <= 0 means Options.RequestTimeout), and waits for the answer, or only
// for the write when acks is none. kgo picks the request version; topics
// carry both their name and their topic ID (Produce v13+, KIP-516), and
// results are matched by either.
//
// With Options.TransactionalID set, the request carries it and every
// idempotent batch is marked transactional (KIP-98); the producer must
// have added the batches' partitions with AddPartitionsToTxn.
//
// Every batch gets WireBytes (its encoded RecordBatch size). With acks
// none Positions stays empty, LogAppendTime is -1 and Err is nil.
// Otherwise each batch gets its records' offsets in Positions (the
// broker's BaseOffset + i) and LogAppendTime; or Err set by wire.Error for
// the partition's Kafka error code (a *producer.SystemError of kind
// "broker:<NAME>" saying whether it is retriable and needs a metadata
// reload, wrapping a *producer.BrokerError); or a retriable
// "kafka:no_result" error if the response lacks the partition. An
// idempotent batch answered DUPLICATE_SEQUENCE_NUMBER (a resend of a batch
// the broker has) succeeds with Positions empty. Matching is linear in the
// number of batches.
//
// Produce returns a non-nil error, and sets no Err, when the request as a
// whole fails: the connection breaks or times out (the read deadline is
// timeout plus kgo's 10s overhead; classified "connection", retriable,
// metadata reload), ctx ends, the transport is closed, acks is invalid, a
// batch is nil, two batches share a partition, or a topic's metadata
// cannot be loaded (classified "topic", retriable).
func (t *Transport) Produce(ctx context.Context, broker int32, acks producer.Acks, timeout time.Duration, batches []*producer.Batch) error {
	return t.produce(ctx, broker, acks, timeout, batches, nil)
}

// ProduceInOrder implements producer.Pipelining: Produce, calling written
// once kgo has written the request to broker's connection (kgo's
// HookBrokerWrite, which kgo calls on the goroutine that writes a
// broker's requests one after another), or when the request fails before
// that. A caller that begins its next request to broker only after
// written has them written in that order.
//
// The hook does not say which request it wrote, so the waiters of one
// broker are served first come, first served: producers sharing one
// Transport can see written a little early, and a request of theirs can
// then overtake an earlier one; the broker refuses the batch that came
// too soon (OUT_OF_ORDER_SEQUENCE_NUMBER, classified Sequence) and the
// producer resends it after the earlier one.
func (t *Transport) ProduceInOrder(ctx context.Context, broker int32, acks producer.Acks, timeout time.Duration, batches []*producer.Batch, written func()) error {
	w := &writeWaiter{fn: written}
	defer w.fire()
	return t.produce(ctx, broker, acks, timeout, batches, w)
}

// produce is Produce; w, when not nil, is listed with t.writes just
// before the request goes to kgo.
func (t *Transport) produce(ctx context.Context, broker int32, acks producer.Acks, timeout time.Duration, batches []*producer.Batch, w *writeWaiter) error {
	if err := t.usable(); err != nil {
		return err
	}
	if len(batches) == 0 {
		return nil
	}
	if d := t.opts.ProduceDelay; d > 0 {
		tm := time.NewTimer(d)
		select {
		case <-tm.C:
		case <-ctx.Done():
			tm.Stop()
			return ctx.Err()
		}
	}
	cl, err := t.clientFor(acks)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = t.opts.RequestTimeout
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks = int16(acks)
	req.TimeoutMillis = int32(min(timeout.Milliseconds(), math.MaxInt32))
	txnal := t.opts.TransactionalID != ""
	if txnal {
		req.TransactionID = kmsg.StringPtr(t.opts.TransactionalID)
	}

	// owners[j][k] is the index in batches of req.Topics[j].Partitions[k];
	// idx finds a batch by topic index and partition, so building the
	// request and matching the response are linear in the batches.
	st := producePool.Get().(*produceState)
	defer st.release()
	size := 0
	for i, b := range batches {
		if b == nil {
			return fmt.Errorf("kafka: produce: batch %d is nil", i)
		}
		size += wire.BatchSize(b)
		j := -1
		for k := range req.Topics {
			if req.Topics[k].Topic == b.Topic {
				j = k
				break
			}
		}
		if j < 0 {
			tm, err := t.topic(ctx, b.Topic)
			if err != nil {
				return &producer.SystemError{Kind: "topic", Retriable: true, Metadata: true, Err: err}
			}
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic, rt.TopicID = b.Topic, tm.id
			req.Topics = append(req.Topics, rt)
			st.owners = append(st.owners, nil)
			j = len(req.Topics) - 1
		}
		key := tpKey{int32(j), b.Partition}
		if k, dup := st.idx[key]; dup {
			return fmt.Errorf("kafka: produce: batches %d and %d are both for %s/%d", k, i, b.Topic, b.Partition)
		}
		st.idx[key] = i
		st.owners[j] = append(st.owners[j], i)
	}

	bufp := reqBufs.Get().(*[]byte)
	buf := (*bufp)[:0]
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	for j := range req.Topics {
		rt := &req.Topics[j]
		rt.Partitions = make([]kmsg.ProduceRequestTopicPartition, len(st.owners[j]))
		for k, i := range st.owners[j] {
			b := batches[i]
			start := len(buf)
			if txnal {
				buf = wire.AppendTransactionalBatch(buf, b)
			} else {
				buf = wire.AppendBatch(buf, b)
			}
			rt.Partitions[k] = kmsg.ProduceRequestTopicPartition{
				Partition: b.Partition,
				Records:   buf[start:len(buf):len(buf)],
			}
			b.WireBytes = int32(len(buf) - start)
			b.Positions, b.LogAppendTime, b.Err = b.Positions[:0], -1, nil
		}
	}

	if w != nil {
		t.writes.wait(broker, w)
	}
	kresp, err := cl.Broker(int(broker)).Request(ctx, req)
	if w != nil {
		// Written or failed: a waiter the hook did not take is dropped.
		t.writes.drop(broker, w)
		w.fire()
	}
	if err != nil {
		// kgo may still be writing req (Request returns as soon as ctx
		// ends), so buf is not recycled.
		return wire.ConnectionError(fmt.Errorf("kafka: produce request to broker %d failed: %w", broker, err))
	}
	if cap(buf) <= maxPooledBuf {
		*bufp = buf[:0]
		reqBufs.Put(bufp)
	}
	if acks == producer.AcksNone {
		return nil
	}
	resp, ok := kresp.(*kmsg.ProduceResponse)
	if !ok {
		return fmt.Errorf("kafka: produce request to broker %d: unexpected response %T", broker, kresp)
	}
	answered := st.answered(len(batches))
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		j := -1
		for k := range req.Topics {
			if (rt.Topic != "" && rt.Topic == req.Topics[k].Topic) ||
				(rt.Topic == "" && rt.TopicID == req.Topics[k].TopicID) {
				j = k
				break
			}
		}
		if j < 0 {
			continue
		}
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			i, ok := st.idx[tpKey{int32(j), rp.Partition}]
			if !ok || answered[i] {
				continue
			}
			answered[i] = true
			b := batches[i]
			switch {
			case rp.ErrorCode == wire.CodeDuplicateSequence && b.ProducerID >= 0:
				// The broker already has this batch (an earlier
				// attempt was appended but its answer lost): the
				// resend is a success, with positions unknown.
			case rp.ErrorCode != 0:
				b.Err = brokerError(rp.ErrorCode)
				t.meta.setLeader(b.Topic, b.Partition, rp.CurrentLeader.LeaderID, rp.CurrentLeader.LeaderEpoch)
			default:
				// Kafka assigns a batch contiguous offsets.
				for r := int64(0); r < int64(b.Records); r++ {
					b.Positions = append(b.Positions, rp.BaseOffset+r)
				}
				b.LogAppendTime = rp.LogAppendTime
			}
		}
	}
	for i, b := range batches {
		if !answered[i] {
			b.Err = &producer.SystemError{Kind: "kafka:no_result", Retriable: true,
				Err: fmt.Errorf("kafka: broker %d sent no result for %s/%d", broker, b.Topic, b.Partition)}
		}
	}
	return nil
}

// tpKey names a batch in a request: the index of its topic in the
// request and its partition.
type tpKey struct {
	topic     int32
	partition int32
}

// produceState is the scratch space of one Produce call, pooled.
type produceState struct {
	owners [][]int
	idx    map[tpKey]int
	ans    []bool
}

var producePool = sync.Pool{New: func() any { return &produceState{idx: make(map[tpKey]int)} }}

// answered returns n false flags.
func (st *produceState) answered(n int) []bool {
	if cap(st.ans) < n {
		st.ans = make([]bool, n)
	}
	st.ans = st.ans[:n]
	clear(st.ans)
	return st.ans
}

// release clears st and returns it to the pool.
func (st *produceState) release() {
	for j := range st.owners {
		st.owners[j] = st.owners[j][:0]
	}
	st.owners = st.owners[:0]
	clear(st.idx)
	producePool.Put(st)
}

// writeHook is the kgo HookBrokerWrite of a Transport's clients: it fires
// the oldest waiter of a broker at each Produce request written to it.
type writeHook struct {
	mu      sync.Mutex
	waiters map[int32][]*writeWaiter // by broker, oldest first
}

// writeWaiter is one ProduceInOrder call waiting for its request to be
// written; fire runs fn once, and a second fire returns only after the
// first has run it (so that ProduceInOrder returns after written).
type writeWaiter struct {
	once sync.Once
	fn   func()
}

func (w *writeWaiter) fire() { w.once.Do(w.fn) }

var _ kgo.HookBrokerWrite = (*writeHook)(nil)

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (h *writeHook) OnBrokerWrite(meta kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, _ error) {
	if key != int16(kmsg.Produce) {
		return
	}
	h.mu.Lock()
	ws := h.waiters[meta.NodeID]
	var w *writeWaiter
	if len(ws) > 0 {
		w = ws[0]
		copy(ws, ws[1:])
		ws[len(ws)-1] = nil
		h.waiters[meta.NodeID] = ws[:len(ws)-1]
	}
	h.mu.Unlock()
	if w != nil {
		w.fire()
	}
}

// wait lists w for broker's next Produce write.
func (h *writeHook) wait(broker int32, w *writeWaiter) {
	h.mu.Lock()
	if h.waiters == nil {
		h.waiters = make(map[int32][]*writeWaiter)
	}
	h.waiters[broker] = append(h.waiters[broker], w)
	h.mu.Unlock()
}

// drop unlists w if the hook has not taken it.
func (h *writeHook) drop(broker int32, w *writeWaiter) {
	h.mu.Lock()
	ws := h.waiters[broker]
	for i, x := range ws {
		if x == w {
			copy(ws[i:], ws[i+1:])
			ws[len(ws)-1] = nil
			h.waiters[broker] = ws[:len(ws)-1]
			break
		}
	}
	h.mu.Unlock()
}
