package pulsar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/apache/pulsar-client-go/pulsar"
	plog "github.com/apache/pulsar-client-go/pulsar/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/waitcount"
)

// Engine produces through pulsar-client-go: one pulsar.Producer per topic
// (a partitioned producer for partitioned topics), configured from a
// producer.Config and the target block (see the package doc for the
// mapping). It implements registry.Engine and is safe for concurrent use.
// Create it with New.
type Engine struct {
	client pulsar.Client
	cfg    producer.Config
	opts   Options
	popts  pulsar.ProducerOptions // template; Topic and MessageRouter set per topic
	hash   func(string) uint32
	sync   bool

	mu    sync.RWMutex
	prods map[string]*topicProducer

	closed  atomic.Bool
	pending waitcount.Counter
	freeMu  sync.Mutex
	free    []*item
	pool    sync.Pool

	st counters
}

// topicProducer is one topic's producer and its routing state.
type topicProducer struct {
	p      pulsar.Producer
	topic  string
	parts  func() uint32                             // the producer's partition count now
	route  func(*pulsar.ProducerMessage, uint32) int // keyless and keyed messages
	single atomic.Int32                              // single_partition: the chosen partition, -1 before
}

// item is one record's state from Send to its callback, reused. msg is
// its first field: the engine's message router gets &it.msg back from
// pulsar-client-go and finds the item from it (see router).
type item struct {
	msg pulsar.ProducerMessage

	e            *Engine
	tp           *topicProducer
	pr           *producer.Record
	cb           func(producer.Ack, error)
	buf          []byte
	props        map[string]string
	ts           time.Time
	size         int64
	usePartition bool
	partition    int32
	sent         func(pulsar.MessageID, *pulsar.ProducerMessage, error) // it.onSent, bound once
	keep         bool                                                   // return to the free list after the callback
}

// New connects a pulsar-client-go client to o.URL, creates a producer for
// each of topics (failing if any cannot be created before ctx ends) and
// returns the Engine. cfg must have passed Validate. Close it when done.
func New(ctx context.Context, o Options, cfg producer.Config, topics []string) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pulsar: %w", err)
	}
	if err := checkProducerConfig(cfg, nil); err != nil {
		return nil, fmt.Errorf("pulsar: %w", err)
	}
	copts, err := clientOptions(o, cfg)
	if err != nil {
		return nil, err
	}
	cl, err := pulsar.NewClient(copts)
	if err != nil {
		return nil, fmt.Errorf("pulsar: client for %s: %w", o.URL, err)
	}
	e := &Engine{
		client: cl,
		cfg:    cfg,
		opts:   o,
		popts:  producerOptions(cfg, o),
		hash:   hashFunc(o.HashingScheme),
		sync:   cfg.SendMode == producer.SendSync,
		prods:  map[string]*topicProducer{},
	}
	e.pool.New = func() any {
		it := &item{e: e, buf: make([]byte, 0, minBuf)}
		it.sent = it.onSent
		return it
	}
	for _, t := range topics {
		if _, err := e.producerFor(ctx, t); err != nil {
			e.closeProducers()
			cl.Close()
			return nil, err
		}
	}
	return e, nil
}

// clientOptions maps the target and producer options onto
// pulsar.ClientOptions.
func clientOptions(o Options, cfg producer.Config) (pulsar.ClientOptions, error) {
	co := pulsar.ClientOptions{
		URL:               o.URL,
		OperationTimeout:  cfg.RequestTimeout,
		ConnectionTimeout: o.ConnectionTimeout,
		Logger:            plog.DefaultNopLogger(),
		// A registry of its own, so that engines do not share the
		// client's Prometheus counters through the default registry.
		MetricsRegisterer:          prometheus.NewRegistry(),
		TLSAllowInsecureConnection: o.TLSAllowInsecure,
		TLSValidateHostname:        o.TLSValidateHostname,
		TLSTrustCertsFilePath:      o.TLSTrustCertsFile,
		TLSConfig:                  o.TLSConfig,
	}
	if cfg.MaxPendingBytes > 0 {
		co.MemoryLimitBytes = cfg.MaxPendingBytes
	}
	switch {
	case o.Token != "":
		co.Authentication = pulsar.NewAuthenticationToken(o.Token)
	case o.TLSCertFile != "":
		co.Authentication = pulsar.NewAuthenticationTLS(o.TLSCertFile, o.TLSKeyFile)
	}
	return co, nil
}

// producerOptions maps cfg onto the ProducerOptions every topic's producer
// starts from.
func producerOptions(cfg producer.Config, o Options) pulsar.ProducerOptions {
	po := pulsar.ProducerOptions{
		DisableBatching:         !cfg.Batching,
		BatchingMaxPublishDelay: cfg.Linger,
		BatchingMaxSize:         uint(cfg.MaxBatchBytes),
		BatchingMaxMessages:     uint(cfg.MaxBatchMessages),
		MaxPendingMessages:      cfg.MaxPendingMessages,
		DisableBlockIfQueueFull: !cfg.BlockIfQueueFull,
		SendTimeout:             cfg.SendTimeout,
		HashingScheme:           pulsarHashing(o.HashingScheme),
		Name:                    o.ProducerName,
	}
	if cfg.MaxBatchMessages == 0 {
		po.BatchingMaxMessages = maxBatchMessagesUnlimited
	}
	if cfg.SendTimeout == 0 {
		po.SendTimeout = -1 // none; pulsar-client-go reads 0 as 30 s
	}
	po.CompressionType, po.CompressionLevel = compression(cfg.Compression, cfg.CompressionLevel)
	return po
}

// producerFor returns topic's producer, creating it on first use.
func (e *Engine) producerFor(ctx context.Context, topic string) (*topicProducer, error) {
	e.mu.RLock()
	tp := e.prods[topic]
	e.mu.RUnlock()
	if tp != nil {
		return tp, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if tp := e.prods[topic]; tp != nil {
		return tp, nil
	}
	tp = &topicProducer{topic: topic}
	tp.single.Store(-1)
	po := e.popts
	po.Topic = topic
	if e.opts.ProducerName != "" {
		po.Name = e.opts.ProducerName + "-" + topic
	}
	def := pulsar.NewDefaultRouter(e.hash, po.BatchingMaxMessages, po.BatchingMaxSize, po.BatchingMaxPublishDelay, po.DisableBatching)
	tp.route = def
	po.MessageRouter = func(m *pulsar.ProducerMessage, md pulsar.TopicMetadata) int {
		return e.router(tp, m, md.NumPartitions())
	}
	type created struct {
		p   pulsar.Producer
		err error
	}
	ch := make(chan created, 1)
	go func() {
		p, err := e.client.CreateProducer(po)
		ch <- created{p, err}
	}()
	var c created
	select {
	case c = <-ch:
	case <-ctx.Done():
		go func() {
			if c := <-ch; c.p != nil {
				c.p.Close()
			}
		}()
		return nil, fmt.Errorf("pulsar: producer for topic %q on %s: %w", topic, e.opts.URL, ctx.Err())
	}
	if c.err != nil {
		return nil, &producer.TopicError{Topic: topic, Err: fmt.Errorf("pulsar: creating the producer on %s: %w", e.opts.URL, c.err)}
	}
	tp.p = c.p
	if np, ok := c.p.(interface{ NumPartitions() uint32 }); ok {
		tp.parts = np.NumPartitions
	} else {
		tp.parts = func() uint32 { return 1 }
	}
	e.prods[topic] = tp
	return tp, nil
}

// router is every producer's MessageRouter: an explicit partition first,
// then single-partition routing when configured, then pulsar-client-go's
// default router (key hash with the configured scheme, else round robin
// that stays on a partition for a batch's worth of messages).
func (e *Engine) router(tp *topicProducer, m *pulsar.ProducerMessage, n uint32) int {
	// m is &it.msg of an item (Send passes nothing else), and msg is the
	// item's first field, so the item starts where m points.
	it := (*item)(unsafe.Pointer(m))
	if it.usePartition {
		return int(it.partition)
	}
	if n <= 1 {
		return 0
	}
	if e.opts.RoutingMode == RoutingSinglePartition {
		if m.Key != "" {
			return int(e.hash(m.Key) % n)
		}
		p := tp.single.Load()
		if p < 0 {
			p = int32(e.opts.seed % uint64(n))
			if !tp.single.CompareAndSwap(-1, p) {
				p = tp.single.Load()
			}
		}
		return int(p) % int(n)
	}
	return tp.route(m, n)
}

// Send hands r to its topic's pulsar-client-go producer and returns; cb
// runs exactly once with the Ack or the error that failed the record. In
// async mode (the default) it is SendAsync: Send blocks only while the
// producer's pending queue is full and block_if_queue_full is set (ctx
// bounds that wait); otherwise a full queue fails the record with
// producer.ErrQueueFull. In sync mode it is Producer.Send, which flushes
// the record's batch at once and waits for its receipt; cb has run when
// Send returns.
//
// Send copies r's key, value and header values into pooled memory, so the
// caller may reuse them once Send returns. cb runs on pulsar-client-go's
// connection goroutine (or its timeout goroutine): it must not block, nor
// call Flush or Close.
func (e *Engine) Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if e.closed.Load() {
		cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, producer.ErrClosed)
		return
	}
	e.pending.Add(1)
	tp, err := e.producerFor(ctx, r.Topic)
	if err != nil {
		e.st.failed.Add(1)
		cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, err)
		e.pending.Add(-1)
		return
	}
	if r.UsePartition {
		if n := tp.parts(); r.Partition < 0 || uint32(r.Partition) >= n {
			e.st.failed.Add(1)
			cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1},
				&producer.TopicError{Topic: r.Topic, Err: fmt.Errorf("partition %d out of range [0, %d)", r.Partition, n)})
			e.pending.Add(-1)
			return
		}
	}
	it := e.get()
	it.fill(r, cb, tp)
	if e.sync {
		id, err := tp.p.Send(ctx, &it.msg)
		if err != nil && ctx.Err() != nil {
			// Send gave up waiting, but pulsar-client-go may still hold
			// the message: complete the record without reusing its item.
			it.keep = false
		}
		it.onSent(id, &it.msg, err)
		return
	}
	tp.p.SendAsync(ctx, &it.msg, it.sent)
}

// fill prepares it for r: key, value and header values copied into its
// buffer, the message pointing at the copies.
func (it *item) fill(r *producer.Record, cb func(producer.Ack, error), tp *topicProducer) {
	it.pr, it.cb, it.tp, it.keep = r, cb, tp, true
	it.usePartition, it.partition = r.UsePartition, r.Partition
	need := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		need += len(h.Value)
	}
	buf := it.buf[:0]
	if cap(buf) < need {
		buf = make([]byte, 0, max(need, minBuf))
	}
	// buf has room for everything: appends never move it, so the strings
	// and slices taken below stay valid until the item is reused.
	buf = append(buf, r.Key...)
	key := bytesString(buf[:len(r.Key)])
	n := len(buf)
	buf = append(buf, r.Value...)
	val := buf[n:len(buf):len(buf)]
	var props map[string]string
	if len(r.Headers) > 0 {
		if it.props == nil {
			it.props = make(map[string]string, len(r.Headers))
		}
		props = it.props
		for _, h := range r.Headers {
			n := len(buf)
			buf = append(buf, h.Value...)
			props[h.Key] = bytesString(buf[n:])
		}
	}
	it.buf = buf
	it.size = int64(need)
	it.ts = r.Timestamp
	it.msg = pulsar.ProducerMessage{Payload: val, Key: key, Properties: props, EventTime: r.Timestamp}
	if val == nil {
		it.msg.Payload = []byte{}
	}
}

// bytesString returns b as a string without copying; b must not change
// while the string is in use (an item's buffer is rewritten only after the
// record's callback).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// onSent is pulsar-client-go's callback for the item's message.
func (it *item) onSent(id pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
	e := it.e
	ack := producer.Ack{Record: it.pr, Topic: it.pr.Topic, Partition: -1, Offset: -1, Timestamp: it.ts}
	if err != nil {
		err = convertErr(err, it.pr.Topic, e.closed.Load())
		e.st.failed.Add(1)
	} else if id != nil {
		ack.Partition = id.PartitionIdx()
		bi := id.BatchIdx()
		if bi < 0 {
			bi = 0
		}
		ack.Offset = id.EntryID()<<BatchIndexBits | int64(bi)
		ack.Batch.Records = id.BatchSize()
		if ack.Batch.Records <= 0 {
			ack.Batch.Records = 1
		}
		e.st.records.Add(1)
		e.st.bytes.Add(it.size)
		if bi == 0 {
			e.st.batches.Add(1)
		}
	}
	cb := it.cb
	if it.keep {
		e.put(it)
	}
	cb(ack, err)
	e.pending.Add(-1)
}

// BatchIndexBits is how many low bits of Ack.Offset hold the message's
// index in its batch: Offset = entryID<<BatchIndexBits | batchIndex, so
// offsets increase within a partition's ledger. max_batch_messages is
// limited to 2^BatchIndexBits.
const BatchIndexBits = 20

// Flush sends every batch pending in the producers at once and waits
// until each record handed to Send so far has had its callback, or ctx
// ends (returning ctx's error).
func (e *Engine) Flush(ctx context.Context) error {
	e.mu.RLock()
	tps := make([]*topicProducer, 0, len(e.prods))
	for _, tp := range e.prods {
		tps = append(tps, tp)
	}
	e.mu.RUnlock()
	for _, tp := range tps {
		if err := tp.p.FlushWithCtx(ctx); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return e.pending.Wait(ctx)
}

// Close stops accepting records (later Sends fail with producer.ErrClosed),
// flushes until ctx ends, then closes the producers and the client, which
// fails records still pending with producer.ErrClosed; every callback has
// run when Close returns. It returns ctx's error when the deadline cut
// the drain short. A second Close waits for the first.
func (e *Engine) Close(ctx context.Context) error {
	if e.closed.Swap(true) {
		return e.pending.Wait(context.Background())
	}
	err := e.Flush(ctx)
	e.closeProducers()
	e.client.Close()
	_ = e.pending.Wait(context.Background())
	return err
}

func (e *Engine) closeProducers() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, tp := range e.prods {
		tp.p.Close()
	}
}

// Pending returns the number of records accepted by Send whose callback
// has not run yet.
func (e *Engine) Pending() int64 { return e.pending.Load() }

// Stats returns the Engine's counters since New, from the receipts:
// Records counts acknowledged messages and UncompressedBytes their key,
// value and property bytes; Batches counts acknowledged entries (the
// receipt of a batch's first message); FailedRecords counts records
// completed with an error. pulsar-client-go does not report requests,
// compressed sizes or why a batch was sent, so those counters stay 0.
func (e *Engine) Stats() producer.Stats {
	return producer.Stats{
		Batches:           e.st.batches.Load(),
		Records:           e.st.records.Load(),
		UncompressedBytes: e.st.bytes.Load(),
		FailedRecords:     e.st.failed.Load(),
	}
}

type counters struct {
	batches, records, bytes, failed atomic.Int64
}

// maxFree is how many idle items the free list keeps (see franz's engine
// for the reasoning); beyond it they go to a sync.Pool.
const maxFree = 1 << 14

const (
	minBuf     = 256
	maxKeptBuf = 16 << 10
)

func (e *Engine) get() *item {
	e.freeMu.Lock()
	if n := len(e.free); n > 0 {
		it := e.free[n-1]
		e.free = e.free[:n-1]
		e.freeMu.Unlock()
		return it
	}
	e.freeMu.Unlock()
	return e.pool.Get().(*item)
}

// put clears it and returns it to the free list.
func (e *Engine) put(it *item) {
	it.pr, it.cb, it.tp = nil, nil, nil
	it.msg = pulsar.ProducerMessage{}
	if it.props != nil {
		clear(it.props)
	}
	if cap(it.buf) > maxKeptBuf {
		it.buf = nil
	}
	e.freeMu.Lock()
	if len(e.free) < maxFree {
		e.free = append(e.free, it)
		e.freeMu.Unlock()
		return
	}
	e.freeMu.Unlock()
	e.pool.Put(it)
}

// convertErr maps pulsar-client-go's errors onto producer's vocabulary so
// that producer.ErrorKind counts them: a full queue or memory limit →
// queue_full, send timeout → send_timeout, closed producer → closed,
// message too big → record_too_large; any other *pulsar.Error becomes a
// producer.SystemError of kind "pulsar:<result>" (e.g.
// "pulsar:topic_not_found").
func convertErr(err error, topic string, closing bool) error {
	var pe *pulsar.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pulsar.ErrSendQueueIsFull), errors.Is(err, pulsar.ErrMemoryBufferIsFull):
		return fmt.Errorf("%w: pulsar: %v", producer.ErrQueueFull, err)
	case errors.Is(err, pulsar.ErrSendTimeout):
		return fmt.Errorf("%w: pulsar: %v", producer.ErrSendTimeout, err)
	case errors.Is(err, pulsar.ErrProducerClosed), closing && errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: pulsar: %v", producer.ErrClosed, err)
	case errors.Is(err, pulsar.ErrMessageTooLarge):
		return fmt.Errorf("%w: pulsar: %v", producer.ErrRecordTooLarge, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &pe):
		return &producer.SystemError{Kind: "pulsar:" + resultName(pe.Result()), Retriable: retriableResult(pe.Result()), Err: err}
	}
	return &producer.SystemError{Kind: "pulsar:error", Err: err}
}

// resultName returns a pulsar.Result in snake case ("topic_not_found").
func resultName(r pulsar.Result) string {
	if n, ok := resultNames[r]; ok {
		return n
	}
	return fmt.Sprintf("result_%d", int(r))
}

var resultNames = map[pulsar.Result]string{
	pulsar.UnknownError: "unknown_error", pulsar.InvalidConfiguration: "invalid_configuration",
	pulsar.TimeoutError: "timeout", pulsar.LookupError: "lookup_error", pulsar.ConnectError: "connect_error",
	pulsar.ReadError: "read_error", pulsar.AuthenticationError: "authentication_error",
	pulsar.AuthorizationError: "authorization_error", pulsar.BrokerMetadataError: "broker_metadata_error",
	pulsar.BrokerPersistenceError: "broker_persistence_error", pulsar.ChecksumError: "checksum_error",
	pulsar.NotConnectedError: "not_connected", pulsar.AlreadyClosedError: "already_closed",
	pulsar.InvalidMessage: "invalid_message", pulsar.ProducerNotInitialized: "producer_not_initialized",
	pulsar.TooManyLookupRequestException: "too_many_lookup_requests", pulsar.InvalidTopicName: "invalid_topic_name",
	pulsar.InvalidURL: "invalid_url", pulsar.ServiceUnitNotReady: "service_unit_not_ready",
	pulsar.OperationNotSupported:                 "operation_not_supported",
	pulsar.ProducerBlockedQuotaExceededError:     "producer_blocked_quota_exceeded",
	pulsar.ProducerBlockedQuotaExceededException: "producer_blocked_quota_exceeded",
	pulsar.TopicNotFound:                         "topic_not_found", pulsar.TopicTerminated: "topic_terminated",
	pulsar.CryptoError: "crypto_error", pulsar.AddToBatchFailed: "add_to_batch_failed",
	pulsar.SchemaFailure: "schema_failure", pulsar.ProducerFenced: "producer_fenced",
}

func retriableResult(r pulsar.Result) bool {
	switch r {
	case pulsar.TimeoutError, pulsar.ConnectError, pulsar.NotConnectedError, pulsar.ServiceUnitNotReady,
		pulsar.TooManyLookupRequestException, pulsar.LookupError, pulsar.ReadError:
		return true
	}
	return false
}

// redact removes anything after "://" credentials-wise; Pulsar URLs carry
// no secrets but a user may paste one with user info.
func redact(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}
