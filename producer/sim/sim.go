// Package sim is an in-process simulated broker cluster behind a
// producer.Transport: a server with finite, configurable capacity, for
// tests and for capacity searches that need a broker saturating at a known
// rate. It moves no bytes over a network and stores no records, only
// offsets, producer sequences and counters.
//
// # Model
//
// Each broker is a single FIFO server. A produce request arriving at time
// a is served after every request before it:
//
//	start      = max(a, previous completion, previous start + 1/MaxRequestsPerSec)
//	service    = latency sample + wire bytes / Bandwidth
//	completion = start + service (pushed past any stall, see below)
//
// and Produce returns at the completion time. The latency sample is drawn
// from a lognormal distribution with the configured median and 99th
// percentile (ln L ~ N(ln Median, σ²), σ = ln(P99/Median)/2.3263); the
// wire bytes are the request's batches with their 61-byte headers
// (producer/kafka's RecordBatch v2 size). Latency is part of the service
// time because a Kafka broker handles one request per connection at a
// time: it stops reading a connection until the request in progress has
// been answered, acks wait included.
//
// So a broker's capacity is 1/E[service] requests per second, or
// Bandwidth bytes per second when the wire bytes dominate, or
// MaxRequestsPerSec, whichever binds first. Offered a higher rate,
// requests queue and their latency grows without bound, linearly in time:
// past saturation a request's latency is its queueing delay, which grows
// by (offered rate / capacity − 1) seconds per second.
//
// A stall (Options.Stalls) is a window in which a broker does no work:
// service that would start inside it starts at its end, and service in
// progress when it begins is suspended until it ends. Requests are still
// accepted and their work still happens (offsets are assigned on arrival);
// a caller whose context ends first gets an error, as from a broker that
// applied a request and then timed out.
//
// With acks none a request occupies its broker like any other but Produce
// returns at once with no positions and no errors.
//
// Partition p of every topic is led by broker p % Brokers; a batch sent to
// another broker fails with NOT_LEADER_OR_FOLLOWER. Injected errors
// (Options.ErrorRates) are drawn independently for each partition batch.
// REQUEST_TIMED_OUT and NOT_ENOUGH_REPLICAS_AFTER_APPEND are answered
// after the batch was appended, as a real broker can; every other error
// rejects the batch.
//
// The Transport implements producer.Transport; its Capabilities are
// metadata refresh (a no-op: leaders never move), topic creation, every
// codec (zlib included: payloads are never decompressed), Idempotence
// and Transactions. Idempotent batches are checked as a Kafka broker checks
// them (KIP-98): per partition and producer ID, a batch must carry the
// next sequence number (OUT_OF_ORDER_SEQUENCE_NUMBER 45 otherwise), a
// resend of one of the last five batches is answered
// DUPLICATE_SEQUENCE_NUMBER 46 without appending, a producer's first
// batch on a partition must start at sequence 0, and a stale epoch is
// INVALID_PRODUCER_EPOCH 47. Transactional producers must add a partition
// to the open transaction before producing to it (INVALID_TXN_STATE 48).
package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
)

// Stall is a window in which every broker answers nothing.
type Stall struct {
	// At is when the stall begins, measured from New (or from the last
	// Start).
	At time.Duration
	// For is how long it lasts.
	For time.Duration
}

// Options configures a simulated cluster. The zero value is one broker
// with no topics, no latency and unlimited capacity.
type Options struct {
	// Brokers is the number of brokers, with IDs 0 to Brokers-1.
	// Partition p is led by broker p % Brokers. Default 1.
	Brokers int
	// Topics are the topics that exist at New, with their partition
	// counts (each >= 1). Other topics are unknown until CreateTopic
	// creates them.
	Topics map[string]int32
	// LatencyMedian and LatencyP99 describe the lognormal per-request
	// service latency. P99 == Median (or P99 0) gives a fixed latency of
	// Median; both 0 give none. A nonzero P99 must not be below Median,
	// nor be set without Median.
	LatencyMedian, LatencyP99 time.Duration
	// Bandwidth is each broker's capacity in batch wire bytes per second;
	// 0 means unlimited.
	Bandwidth int64
	// MaxRequestsPerSec caps each broker's request rate by spacing the
	// starts of its requests at least 1/MaxRequestsPerSec apart; 0 means
	// unlimited.
	MaxRequestsPerSec float64
	// ErrorRates maps Kafka error names (e.g. "NOT_LEADER_OR_FOLLOWER",
	// see wire.ErrorCode) to the probability in [0, 1] that a partition
	// batch is answered with that error. The probabilities must sum to
	// at most 1.
	ErrorRates map[string]float64
	// Stalls are windows, relative to New or Start, in which the brokers
	// do no work.
	Stalls []Stall
	// Seed seeds the latency and error draws; each broker draws from its
	// own stream.
	Seed int64
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
	// Sleep waits d, or until ctx ends, returning ctx's error then; for
	// tests driving a virtual clock. Default a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Stats are a Transport's counters since New.
type Stats struct {
	// Requests is the number of produce requests received.
	Requests int64
	// Batches, Records and Bytes count the partition batches received,
	// their records and their wire bytes (header included).
	Batches, Records, Bytes int64
	// Errors is the number of batches answered with an error (injected,
	// not leader, sequence errors...); InjectedErrors the part of them
	// drawn from Options.ErrorRates.
	Errors, InjectedErrors int64
	// AppendedRecords is the number of records written to the partition
	// logs (duplicates and rejected batches excluded).
	AppendedRecords int64
	// Commits and Aborts count ended transactions; CommittedRecords and
	// AbortedRecords the records appended inside them.
	Commits, Aborts                  int64
	CommittedRecords, AbortedRecords int64
}

// ErrUnknownTopic is wrapped by the errors of Partitions, Leader and
// Produce for a topic that does not exist.
var ErrUnknownTopic = errors.New("sim: unknown topic")

// ErrClosed is returned by every Transport method called after Close, and
// by Produce calls waiting when Close is called.
var ErrClosed = errors.New("sim: transport closed")

// Kafka error codes the simulator answers with.
const (
	codeNotLeader            int16 = 6
	codeRequestTimedOut      int16 = 7
	codeOutOfOrderSequence   int16 = 45
	codeDuplicateSequence    int16 = 46
	codeInvalidProducerEpoch int16 = 47
	codeInvalidTxnState      int16 = 48
	codeInvalidPIDMapping    int16 = 49
	codeNotEnoughAfterAppend int16 = 20
	codeProducerFenced       int16 = 90
	codeCorruptMessage       int16 = 2
)

// z99 is the standard normal's 99th percentile.
const z99 = 2.3263478740408408

// dedupWindow is how many recent batches per producer and partition are
// remembered for duplicate detection, as in Kafka.
const dedupWindow = 5

// injected is one configured error rate.
type injected struct {
	code int16
	p    float64
}

// Transport is a simulated cluster implementing producer.Transport and
// its optional extensions. Create it with New; it is safe for concurrent
// use.
type Transport struct {
	opts  Options
	now   func() time.Time
	sigma float64    // lognormal σ; < 0 when latency is fixed or zero
	errs  []injected // in name order

	originMu sync.Mutex
	origin   time.Time // stalls are relative to this

	topicsMu sync.RWMutex
	topics   map[string][]*partition

	brokers []*server

	// Lock order: a server's mu, then txnMu.
	txnMu   sync.Mutex
	txns    map[string]*txnState // by transactional ID
	byPID   map[int64]*txnState
	nextPID atomic.Int64

	closed chan struct{}
	once   sync.Once
	stats  counters
}

// counters are the Stats, updated atomically.
type counters struct {
	requests, batches, records, bytes   atomic.Int64
	errors, injected, appended          atomic.Int64
	commits, aborts, committed, aborted atomic.Int64
}

// server is one broker: its FIFO queue state, its random stream and the
// logs of the partitions it leads (guarded by mu).
type server struct {
	mu        sync.Mutex
	free      time.Time // completion of the last request
	lastStart time.Time // start of the last request
	rng       *rand.Rand
}

// partition is one partition's log state, guarded by its leader's mutex.
type partition struct {
	leader int32
	next   int64 // next offset
	seqs   map[int64]*seqState
}

// seqState is one producer's sequence state on one partition.
type seqState struct {
	epoch int16
	next  int32 // expected next sequence
	// recent are the last dedupWindow appended batches, oldest first.
	recent []seqBatch
}

type seqBatch struct {
	first, last int32
}

// txnState is one transactional ID's producer.
type txnState struct {
	id      int64
	epoch   int16
	open    bool
	parts   map[tp]bool
	records int64 // records appended in the open transaction
}

type tp struct {
	topic string
	part  int32
}

// New validates opts and returns a simulated cluster. It fails, naming
// the option, on a negative broker count, bandwidth or rate, a topic with
// fewer than one partition, inconsistent latency percentiles, an error
// name Kafka does not define, a probability outside [0, 1] or summing
// above 1, or a negative stall.
func New(opts Options) (*Transport, error) {
	if opts.Brokers < 0 {
		return nil, fmt.Errorf("sim: Brokers: must not be negative, got %d", opts.Brokers)
	}
	if opts.Brokers == 0 {
		opts.Brokers = 1
	}
	if opts.Bandwidth < 0 {
		return nil, fmt.Errorf("sim: Bandwidth: must not be negative, got %d", opts.Bandwidth)
	}
	if opts.MaxRequestsPerSec < 0 || math.IsNaN(opts.MaxRequestsPerSec) || math.IsInf(opts.MaxRequestsPerSec, 0) {
		return nil, fmt.Errorf("sim: MaxRequestsPerSec: must be finite and not negative, got %v", opts.MaxRequestsPerSec)
	}
	switch {
	case opts.LatencyMedian < 0 || opts.LatencyP99 < 0:
		return nil, fmt.Errorf("sim: latency: must not be negative, got median %v, p99 %v", opts.LatencyMedian, opts.LatencyP99)
	case opts.LatencyMedian == 0 && opts.LatencyP99 != 0:
		return nil, fmt.Errorf("sim: LatencyP99 %v set without LatencyMedian", opts.LatencyP99)
	case opts.LatencyP99 != 0 && opts.LatencyP99 < opts.LatencyMedian:
		return nil, fmt.Errorf("sim: LatencyP99 %v is below LatencyMedian %v", opts.LatencyP99, opts.LatencyMedian)
	}
	t := &Transport{
		opts:   opts,
		now:    opts.Now,
		topics: make(map[string][]*partition),
		txns:   make(map[string]*txnState),
		byPID:  make(map[int64]*txnState),
		closed: make(chan struct{}),
		sigma:  -1,
	}
	if t.now == nil {
		t.now = time.Now
	}
	if opts.LatencyP99 > opts.LatencyMedian {
		t.sigma = math.Log(float64(opts.LatencyP99)/float64(opts.LatencyMedian)) / z99
	}
	names := make([]string, 0, len(opts.ErrorRates))
	for name := range opts.ErrorRates {
		names = append(names, name)
	}
	sort.Strings(names)
	sum := 0.0
	for _, name := range names {
		p := opts.ErrorRates[name]
		code, ok := wire.ErrorCode(name)
		if !ok {
			return nil, fmt.Errorf("sim: ErrorRates: unknown Kafka error name %q", name)
		}
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("sim: ErrorRates: %s: probability must be in [0, 1], got %v", name, p)
		}
		sum += p
		t.errs = append(t.errs, injected{code, p})
	}
	if sum > 1+1e-9 {
		return nil, fmt.Errorf("sim: ErrorRates: probabilities sum to %v, above 1", sum)
	}
	for i, s := range opts.Stalls {
		if s.At < 0 || s.For < 0 {
			return nil, fmt.Errorf("sim: Stalls[%d]: At and For must not be negative, got %v, %v", i, s.At, s.For)
		}
	}
	t.opts.Stalls = slices.Clone(opts.Stalls)
	sort.Slice(t.opts.Stalls, func(i, j int) bool { return t.opts.Stalls[i].At < t.opts.Stalls[j].At })
	for topic, n := range opts.Topics {
		if topic == "" {
			return nil, errors.New("sim: Topics: empty topic name")
		}
		if n < 1 {
			return nil, fmt.Errorf("sim: Topics: %q: partitions must be at least 1, got %d", topic, n)
		}
		t.topics[topic] = t.newPartitions(n)
	}
	t.brokers = make([]*server, opts.Brokers)
	for i := range t.brokers {
		seed := uint64(opts.Seed)
		t.brokers[i] = &server{rng: rand.New(rand.NewPCG(seed, uint64(i)+0x9E3779B97F4A7C15))}
	}
	t.nextPID.Store(1000)
	t.origin = t.now()
	return t, nil
}

func (t *Transport) newPartitions(n int32) []*partition {
	ps := make([]*partition, n)
	for i := range ps {
		ps[i] = &partition{leader: int32(i % t.opts.Brokers)}
	}
	return ps
}

// wait waits d with Options.Sleep, or on a timer until d passes
// (nil), ctx ends (its error) or the transport is closed (ErrClosed).
func (t *Transport) wait(ctx context.Context, d time.Duration) error {
	if t.opts.Sleep != nil {
		return t.opts.Sleep(ctx, d)
	}
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.closed:
		return ErrClosed
	}
}

// Start makes the stalls relative to now rather than to New, for a run
// that begins some time after the transport was created.
func (t *Transport) Start() {
	now := t.now()
	t.originMu.Lock()
	t.origin = now
	t.originMu.Unlock()
}

// Close makes every later call fail with ErrClosed and wakes the Produce
// calls waiting for their completion time, which also return ErrClosed.
// It is idempotent.
func (t *Transport) Close() {
	t.once.Do(func() { close(t.closed) })
}

func (t *Transport) usable() error {
	if t.closed == nil {
		return errors.New("sim: Transport not created with New")
	}
	select {
	case <-t.closed:
		return ErrClosed
	default:
		return nil
	}
}

// Stats returns the counters.
func (t *Transport) Stats() Stats {
	c := &t.stats
	return Stats{
		Requests:         c.requests.Load(),
		Batches:          c.batches.Load(),
		Records:          c.records.Load(),
		Bytes:            c.bytes.Load(),
		Errors:           c.errors.Load(),
		InjectedErrors:   c.injected.Load(),
		AppendedRecords:  c.appended.Load(),
		Commits:          c.commits.Load(),
		Aborts:           c.aborts.Load(),
		CommittedRecords: c.committed.Load(),
		AbortedRecords:   c.aborted.Load(),
	}
}

// HighWatermark returns the next offset of topic/partition: the number of
// records appended to it.
func (t *Transport) HighWatermark(topic string, partition int32) (int64, error) {
	ps, err := t.parts(topic)
	if err != nil {
		return 0, err
	}
	if partition < 0 || int(partition) >= len(ps) {
		return 0, fmt.Errorf("sim: topic %q has %d partitions, no partition %d", topic, len(ps), partition)
	}
	p := ps[partition]
	s := t.brokers[p.leader]
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.next, nil
}

func (t *Transport) parts(topic string) ([]*partition, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	t.topicsMu.RLock()
	ps, ok := t.topics[topic]
	t.topicsMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("sim: topic %q: %w", topic, ErrUnknownTopic)
	}
	return ps, nil
}

// Partitions implements producer.Transport: the partition count of topic,
// or an error wrapping ErrUnknownTopic.
func (t *Transport) Partitions(_ context.Context, topic string) (int32, error) {
	ps, err := t.parts(topic)
	if err != nil {
		return 0, err
	}
	return int32(len(ps)), nil
}

// Leader implements producer.Transport: partition % Brokers.
func (t *Transport) Leader(_ context.Context, topic string, partition int32) (int32, error) {
	ps, err := t.parts(topic)
	if err != nil {
		return 0, err
	}
	if partition < 0 || int(partition) >= len(ps) {
		return 0, fmt.Errorf("sim: topic %q has %d partitions, no partition %d", topic, len(ps), partition)
	}
	return ps[partition].leader, nil
}

// AppendRecord implements producer.Transport with Kafka's record format
// v2 (wire.AppendRecord).
func (t *Transport) AppendRecord(dst []byte, offsetDelta int32, timestampDelta int64, r *producer.Record) []byte {
	return wire.AppendRecord(dst, offsetDelta, timestampDelta, r)
}

// BatchOverhead implements producer.Transport: wire.BatchHeaderSize (61).
func (t *Transport) BatchOverhead() int { return wire.BatchHeaderSize }

// Refresh implements producer.MetadataRefresher. Leaders never move, so
// it only checks that the transport is open.
func (t *Transport) Refresh(context.Context, ...string) error { return t.usable() }

// CreateTopic implements producer.TopicCreator: it creates topic with
// partitions partitions (at least 1), led as documented on Options. An
// existing topic is not an error and keeps its partitions.
func (t *Transport) CreateTopic(_ context.Context, topic string, partitions int32) error {
	if err := t.usable(); err != nil {
		return err
	}
	if topic == "" {
		return errors.New("sim: create topic: empty topic name")
	}
	if partitions < 1 {
		return fmt.Errorf("sim: create topic %q: partitions must be at least 1, got %d", topic, partitions)
	}
	t.topicsMu.Lock()
	defer t.topicsMu.Unlock()
	if _, ok := t.topics[topic]; !ok {
		t.topics[topic] = t.newPartitions(partitions)
	}
	return nil
}

// simCodecs is every codec in producer.Codecs, zlib included, standard
// framing: payloads are never decompressed.
var simCodecs = func() []producer.CodecSupport {
	var cs []producer.CodecSupport
	for _, c := range producer.Codecs {
		cs = append(cs, producer.CodecSupport{Codec: c})
	}
	return cs
}()

// Capabilities implements producer.Transport: every codec (zlib
// included), metadata refresh (a no-op), topic creation, the idempotent
// producer and transactions.
func (t *Transport) Capabilities() producer.Capabilities {
	return producer.Capabilities{Codecs: simCodecs, Metadata: t, TopicCreator: t, Idempotence: t, Transactions: t}
}

// latency draws one service latency.
func (t *Transport) latency(rng *rand.Rand) time.Duration {
	m := t.opts.LatencyMedian
	if m == 0 || t.sigma < 0 {
		return m
	}
	return time.Duration(float64(m) * math.Exp(t.sigma*rng.NormFloat64()))
}

// schedule runs the broker's queue for a request arriving at now with
// wire bytes and returns its completion time. s.mu must be held.
func (t *Transport) schedule(s *server, now time.Time, wire int64) time.Time {
	start := now
	if s.free.After(start) {
		start = s.free
	}
	if r := t.opts.MaxRequestsPerSec; r > 0 && !s.lastStart.IsZero() {
		if next := s.lastStart.Add(time.Duration(float64(time.Second) / r)); next.After(start) {
			start = next
		}
	}
	service := t.latency(s.rng)
	if bw := t.opts.Bandwidth; bw > 0 {
		service += time.Duration(float64(wire) / float64(bw) * float64(time.Second))
	}
	start, end := t.stalled(start, service)
	s.lastStart, s.free = start, end
	return end
}

// stalled moves a service interval of length d starting at start past
// the stall windows: a start inside a stall moves to its end, and a stall
// beginning during service suspends it.
func (t *Transport) stalled(start time.Time, d time.Duration) (time.Time, time.Time) {
	if len(t.opts.Stalls) == 0 {
		return start, start.Add(d)
	}
	t.originMu.Lock()
	origin := t.origin
	t.originMu.Unlock()
	end := start.Add(d)
	for _, st := range t.opts.Stalls {
		from := origin.Add(st.At)
		to := from.Add(st.For)
		switch {
		case !start.Before(from) && start.Before(to):
			start, end = to, to.Add(d)
		case start.Before(from) && end.After(from):
			end = end.Add(st.For)
		}
	}
	return start, end
}

// draw returns the injected error code for one batch, or 0.
func (t *Transport) draw(rng *rand.Rand) int16 {
	if len(t.errs) == 0 {
		return 0
	}
	u := rng.Float64()
	for _, e := range t.errs {
		if u < e.p {
			return e.code
		}
		u -= e.p
	}
	return 0
}

// Produce implements producer.Transport. The request joins broker's
// queue (see the package documentation) and Produce returns at its
// completion time, or at once with acks none. The timeout argument is
// ignored: ctx bounds the wait. Each batch gets WireBytes
// and either Positions (the records' offsets; LogAppendTime is always -1:
// create time) or Err, classified by wire.Error (a *producer.SystemError
// wrapping a *producer.BrokerError). A resend answered
// DUPLICATE_SEQUENCE_NUMBER succeeds with Positions empty. Produce fails as a whole, with no batch
// result meaningful, for an unknown broker, topic or acks, a nil batch,
// two batches for one partition, a closed transport, or when ctx ends
// before the completion time (the request's work is done nonetheless).
func (t *Transport) Produce(ctx context.Context, broker int32, acks producer.Acks, _ time.Duration, batches []*producer.Batch) error {
	if err := t.usable(); err != nil {
		return err
	}
	if acks != producer.AcksAll && acks != producer.AcksLeader && acks != producer.AcksNone {
		return fmt.Errorf("sim: invalid acks %d", acks)
	}
	if broker < 0 || int(broker) >= len(t.brokers) {
		return fmt.Errorf("sim: no broker %d (brokers 0 to %d)", broker, len(t.brokers)-1)
	}
	if len(batches) == 0 {
		return nil
	}
	parts := make([]*partition, len(batches))
	var wireBytes int64
	for i, b := range batches {
		if b == nil {
			return fmt.Errorf("sim: produce: batch %d is nil", i)
		}
		ps, err := t.parts(b.Topic)
		if err != nil {
			return err
		}
		if b.Partition < 0 || int(b.Partition) >= len(ps) {
			return fmt.Errorf("sim: produce: topic %q has %d partitions, no partition %d", b.Topic, len(ps), b.Partition)
		}
		parts[i] = ps[b.Partition]
		for k := range i {
			if parts[k] == parts[i] {
				return fmt.Errorf("sim: produce: batches %d and %d are both for %s/%d", k, i, b.Topic, b.Partition)
			}
		}
		b.WireBytes = int32(wire.BatchSize(b))
		wireBytes += int64(b.WireBytes)
	}

	s := t.brokers[broker]
	now := t.now()
	s.mu.Lock()
	done := t.schedule(s, now, wireBytes)
	for i, b := range batches {
		t.apply(s, broker, parts[i], b)
	}
	s.mu.Unlock()

	c := &t.stats
	c.requests.Add(1)
	c.batches.Add(int64(len(batches)))
	c.bytes.Add(wireBytes)
	for _, b := range batches {
		c.records.Add(int64(b.Records))
	}
	if acks == producer.AcksNone {
		for _, b := range batches {
			b.Positions, b.LogAppendTime, b.Err = b.Positions[:0], -1, nil
		}
		return nil
	}
	if err := t.wait(ctx, done.Sub(now)); err != nil {
		return fmt.Errorf("sim: produce request to broker %d: %w", broker, err)
	}
	return nil
}

// apply appends b to p, or sets b.Err, for a request to broker (whose
// s.mu is held). A batch for a partition broker does not lead fails
// NOT_LEADER_OR_FOLLOWER without touching p, whose state its leader's
// mutex guards.
func (t *Transport) apply(s *server, broker int32, p *partition, b *producer.Batch) {
	b.Positions, b.LogAppendTime, b.Err = b.Positions[:0], -1, nil
	c := &t.stats
	fail := func(code int16, injectedErr bool) {
		b.Err = wire.Error(code)
		c.errors.Add(1)
		if injectedErr {
			c.injected.Add(1)
		}
	}
	if p.leader != broker {
		fail(codeNotLeader, false)
		return
	}
	if b.Records < 1 || !slices.Contains(producer.Codecs, b.Codec) {
		fail(codeCorruptMessage, false)
		return
	}
	code := t.draw(s.rng)
	appendsAnyway := code == codeRequestTimedOut || code == codeNotEnoughAfterAppend
	if code != 0 && !appendsAnyway {
		fail(code, true)
		return
	}
	if b.ProducerID >= 0 {
		if e := t.checkSequence(p, b); e == wire.CodeDuplicateSequence {
			// A resend of a batch the partition has: a success
			// with positions unknown, as the Kafka transport
			// reports it.
			return
		} else if e != 0 {
			fail(e, false)
			return
		}
	}
	base := p.next
	p.next += int64(b.Records)
	c.appended.Add(int64(b.Records))
	if code != 0 {
		fail(code, true)
		return
	}
	for r := int64(0); r < int64(b.Records); r++ {
		b.Positions = append(b.Positions, base+r)
	}
}

// checkSequence validates an idempotent batch's producer epoch and
// sequence against p's state, records it when valid, and returns the
// Kafka error code otherwise.
func (t *Transport) checkSequence(p *partition, b *producer.Batch) int16 {
	t.txnMu.Lock()
	txn := t.byPID[b.ProducerID]
	if txn != nil {
		key := tp{b.Topic, b.Partition}
		switch {
		case b.ProducerEpoch < txn.epoch:
			t.txnMu.Unlock()
			return codeInvalidProducerEpoch
		case !txn.open || !txn.parts[key]:
			t.txnMu.Unlock()
			return codeInvalidTxnState
		}
	}
	t.txnMu.Unlock()

	st := p.seqs[b.ProducerID]
	switch {
	case st == nil || b.ProducerEpoch > st.epoch:
		if b.BaseSequence != 0 {
			return codeOutOfOrderSequence
		}
		st = &seqState{epoch: b.ProducerEpoch}
		if p.seqs == nil {
			p.seqs = make(map[int64]*seqState)
		}
		p.seqs[b.ProducerID] = st
	case b.ProducerEpoch < st.epoch:
		return codeInvalidProducerEpoch
	}
	last := int32((int64(b.BaseSequence) + int64(b.Records) - 1) % (1 << 31))
	for _, r := range st.recent {
		if r.first == b.BaseSequence && r.last == last {
			return codeDuplicateSequence
		}
	}
	if b.BaseSequence != st.next {
		return codeOutOfOrderSequence
	}
	st.next = int32((int64(last) + 1) % (1 << 31))
	if len(st.recent) == dedupWindow {
		st.recent = append(st.recent[:0], st.recent[1:]...)
	}
	st.recent = append(st.recent, seqBatch{b.BaseSequence, last})
	if txn != nil {
		t.txnMu.Lock()
		txn.records += int64(b.Records)
		t.txnMu.Unlock()
	}
	return 0
}

// InitProducerID implements producer.Idempotence. With transactionalID ""
// it returns a fresh producer ID with epoch 0. Otherwise it returns the
// ID registered for transactionalID, with its epoch bumped (fencing the
// previous producer, whose open transaction is aborted), or a fresh ID
// with epoch 0 the first time. txnTimeout is not enforced.
func (t *Transport) InitProducerID(_ context.Context, transactionalID string, _ time.Duration) (int64, int16, error) {
	if err := t.usable(); err != nil {
		return -1, -1, err
	}
	if transactionalID == "" {
		return t.nextPID.Add(1), 0, nil
	}
	t.txnMu.Lock()
	defer t.txnMu.Unlock()
	st := t.txns[transactionalID]
	if st == nil {
		st = &txnState{id: t.nextPID.Add(1)}
		t.txns[transactionalID] = st
		t.byPID[st.id] = st
		return st.id, st.epoch, nil
	}
	if st.open {
		t.endLocked(st, false)
	}
	st.epoch++
	return st.id, st.epoch, nil
}

// txn returns the state of transactionalID's producer after checking id
// and epoch, or the Kafka error code. t.txnMu must be held.
func (t *Transport) txn(transactionalID string, id int64, epoch int16) (*txnState, int16) {
	st := t.txns[transactionalID]
	switch {
	case st == nil || st.id != id:
		return nil, codeInvalidPIDMapping
	case st.epoch != epoch:
		return nil, codeProducerFenced
	}
	return st, 0
}

// AddPartitionsToTxn implements producer.Transactions: it opens a
// transaction if none is open and adds partitions to it. It fails with
// INVALID_PRODUCER_ID_MAPPING (49) for an ID not InitProducerID's for
// transactionalID, PRODUCER_FENCED (90) for another epoch, and an error
// wrapping ErrUnknownTopic for an unknown topic or partition.
func (t *Transport) AddPartitionsToTxn(_ context.Context, transactionalID string, id int64, epoch int16, partitions map[string][]int32) error {
	if err := t.usable(); err != nil {
		return err
	}
	for topic, list := range partitions {
		ps, err := t.parts(topic)
		if err != nil {
			return fmt.Errorf("sim: AddPartitionsToTxn: %w", err)
		}
		for _, p := range list {
			if p < 0 || int(p) >= len(ps) {
				return fmt.Errorf("sim: AddPartitionsToTxn: %s/%d: %w", topic, p, ErrUnknownTopic)
			}
		}
	}
	t.txnMu.Lock()
	defer t.txnMu.Unlock()
	st, code := t.txn(transactionalID, id, epoch)
	if code != 0 {
		return fmt.Errorf("sim: AddPartitionsToTxn for %q: %w", transactionalID, wire.Error(code))
	}
	if !st.open {
		st.open, st.parts, st.records = true, make(map[tp]bool), 0
	}
	for topic, list := range partitions {
		for _, p := range list {
			st.parts[tp{topic, p}] = true
		}
	}
	return nil
}

// EndTxn implements producer.Transactions: it commits or aborts the open
// transaction, counting it and its records in Stats. Ending with no
// transaction open succeeds and counts nothing. It fails like
// AddPartitionsToTxn for a wrong ID or epoch.
func (t *Transport) EndTxn(_ context.Context, transactionalID string, id int64, epoch int16, commit bool) error {
	if err := t.usable(); err != nil {
		return err
	}
	t.txnMu.Lock()
	defer t.txnMu.Unlock()
	st, code := t.txn(transactionalID, id, epoch)
	if code != 0 {
		return fmt.Errorf("sim: EndTxn for %q: %w", transactionalID, wire.Error(code))
	}
	if st.open {
		t.endLocked(st, commit)
	}
	return nil
}

// endLocked ends st's open transaction. t.txnMu must be held.
func (t *Transport) endLocked(st *txnState, commit bool) {
	c := &t.stats
	if commit {
		c.commits.Add(1)
		c.committed.Add(st.records)
	} else {
		c.aborts.Add(1)
		c.aborted.Add(st.records)
	}
	st.open, st.parts, st.records = false, nil, 0
}

var (
	_ producer.Transport         = (*Transport)(nil)
	_ producer.MetadataRefresher = (*Transport)(nil)
	_ producer.TopicCreator      = (*Transport)(nil)
	_ producer.Idempotence       = (*Transport)(nil)
	_ producer.Transactions      = (*Transport)(nil)
)
