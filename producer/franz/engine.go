package franz

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/waitcount"
)

// hookCatchUp bounds how long Flush waits for kgo's asynchronous
// batch-written hooks to catch up with the acks already delivered.
const hookCatchUp = 250 * time.Millisecond

// Engine produces through a franz-go (kgo) client configured from a
// producer.Config. It has the producer.Producer method set that prodbench
// drives (Send, Flush, Close, Stats, Pending) and is safe for concurrent
// use. Create it with New.
type Engine struct {
	cl       *kgo.Client
	cfg      producer.Config
	zeroCopy bool
	block    bool // BlockIfQueueFull: Produce, else TryProduce
	sync     bool // SendSync
	acksNone bool

	ctx    context.Context // every record's context; canceled by Close after its deadline
	cancel context.CancelFunc

	closed   atomic.Bool
	flushing atomic.Int32             // Flush calls under way: batches written meanwhile count as sealed by flush
	pool     sync.Pool                // idle items (see get)
	promise  func(*kgo.Record, error) // e.onPromise, bound once
	maxRec   atomic.Int64             // the largest record's bytes (key, value, headers) sent so far
	_        [56]byte
	waits    atomic.Int64 // Sends that found the buffer full (PendingWaits), written by Send
	_        [56]byte
	pending  waitcount.Counter // records accepted by Send whose callback has not run (padded)
	// ackAt is when the latest produce response was read, in ns since
	// epoch (OnBrokerE2E, on the connection's reading goroutine; a
	// running maximum): the AckTime of the records it completes (see
	// onPromise).
	ackAt atomic.Int64
	_     [56]byte

	// epoch is New's time, with its monotonic reading, and epochNs its
	// Unix ns: the base of ackAt and of the create time of records
	// without a Timestamp (see stamp).
	epoch   time.Time
	epochNs int64

	txn *txn // nil unless TransactionalID is set

	st counters
}

// item is one record's state from Send to its callback, reused (see
// get). Its kgo.Record goes to kgo, whose promise hands it back;
// kgo.Record.Context points at the item (a context.Context delegating to
// the engine's record context) so that the promise and the partitioner
// find it without allocating.
//
// The layout is for the cache lines an item's reuse moves between
// cores: the promise that frees an item often runs on the other core
// than the Send that reuses it, and every line written or read there must
// come back. With the earlier layout (280 bytes, size class
// 288, so that neighbouring items also shared lines) fill was 15-18% of a
// max-rate peer-100b run's CPU, reading lines the promise had just
// written. Now an item is 320 bytes (size class 320, so 64-byte aligned)
// and, per record:
//   - fill writes lines 0-2 only: pr, cb, tag, part, small (a key of up to
//     8 bytes, copied there rather than into buf's own line) and kr's
//     fields up to Partition (kgo's Produce writes line 2 too);
//   - kgo's promise writes kr.Attrs through kr.Offset, the end of line 2;
//   - complete only reads (the result is passed, not stored in res);
//   - kr.Context and everything after it (lines 3-4) is read only, and
//     buf is not touched unless something needs copying there;
//   - the promise reads lines 0-2 only: it finds the item from kr's
//     address (itemOf), not kr.Context, asks the engine (not it.sync)
//     for the mode, and looks at buf's capacity only after a record of
//     over maxKeptBuf bytes. kgo's Produce reads kr.Context (line 3) on
//     the Send side.
//
// TestItemLayout checks the size, alignment and offsets.
type item struct {
	pr   *producer.Record
	cb   func(producer.Ack, error)
	tag  [2]int64 // the Record's Tag, for Ack.Tag
	part int64    // the explicit partition, or noPartition
	// small holds a copied key of up to len(small) bytes (the common
	// case), so that the copy needs no line of buf.
	small [8]byte

	kr kgo.Record // at itemRecordOffset

	ctx context.Context // the engine's record context (see Done)
	buf []byte          // copies of key, value and header values unless zero-copy or in small
	res error           // the record's outcome, for a SendSync or transactional record

	outOfRange int32         // partition count when the explicit partition was out of range; reset by the promise
	sync       chan struct{} // SendSync: the promise signals Send

	_ [itemPad]byte
}

// noPartition is item.part when kgo's partitioner chooses.
const noPartition = math.MinInt64

// itemRecordOffset is kr's offset in item: kr.Context (read by kgo at
// every Produce) starts a cache line, after kr.Offset, the last field
// kgo's promise writes.
const itemRecordOffset = 48

// itemPad rounds item up to 320 bytes, whole cache lines, so that items
// start on line boundaries and no two share a line.
const itemPad = 40

// Deadline, Done, Err and Value make an item the context.Context of its
// kgo.Record: the engine's record context.

// Deadline returns the engine's record context's deadline (none).
func (it *item) Deadline() (time.Time, bool) { return it.ctx.Deadline() }

// Done returns the engine's record context's Done channel, closed by Close
// when it gives up on buffered records.
func (it *item) Done() <-chan struct{} { return it.ctx.Done() }

// Err returns the engine's record context's error.
func (it *item) Err() error { return it.ctx.Err() }

// Value returns the engine's record context's value for key.
func (it *item) Value(key any) any { return it.ctx.Value(key) }

// newItem returns an item whose record context is ctx.
func newItem(ctx context.Context, sync bool) *item {
	it := &item{ctx: ctx, part: noPartition, buf: make([]byte, 0, minBuf)}
	it.kr.Context = it // for good: fill leaves it alone
	if sync {
		it.sync = make(chan struct{}, 1)
	}
	return it
}

// Validate reports, without contacting any broker, the first reason New
// would refuse cfg: producer.Config.Validate's, or an option kgo cannot
// express (see the package doc), named as in scenario files (e.g.
// "max_batch_messages: ..."). Callers use it to tell bad input from
// unreachable brokers.
func Validate(cfg producer.Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("franz: %w", err)
	}
	if _, err := kgoOptions(&cfg); err != nil {
		return fmt.Errorf("franz: %w", err)
	}
	return nil
}

// New validates cfg, maps it onto kgo options (see the package doc) and
// connects to brokers (host:port seeds), failing if none answers before
// ctx ends. Options that kgo cannot express are errors naming the
// prodbench option. Close the Engine when done.
func New(ctx context.Context, brokers []string, cfg producer.Config, opts ...Option) (*Engine, error) {
	if len(brokers) == 0 {
		return nil, errors.New("franz: no brokers")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("franz: %w", err)
	}
	kopts, err := kgoOptions(&cfg)
	if err != nil {
		return nil, fmt.Errorf("franz: %w", err)
	}
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	e := &Engine{
		cfg:      cfg,
		zeroCopy: o.zeroCopy,
		block:    cfg.BlockIfQueueFull,
		sync:     cfg.SendMode == producer.SendSync,
		acksNone: cfg.Acks == producer.AcksNone,
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.epoch = time.Now()
	e.epochNs = e.epoch.UnixNano()
	e.promise = e.onPromise
	e.pool.New = func() any { return newItem(e.ctx, e.sync) }
	h := &hooks{st: &e.st, onBatch: cfg.OnBatch, maxBatch: int64(cfg.MaxBatchBytes), flushing: &e.flushing,
		ackAt: &e.ackAt, epoch: e.epoch}
	all := append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.WithHooks(h)}, kopts...)
	all = append(all, o.kgo...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		e.cancel()
		return nil, fmt.Errorf("franz: %w", err)
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		e.cancel()
		return nil, fmt.Errorf("franz: brokers %s: %w", strings.Join(brokers, ","), err)
	}
	e.cl = cl
	if cfg.TransactionalID != "" {
		t, err := startTxn(e)
		if err != nil {
			cl.Close()
			e.cancel()
			return nil, err
		}
		e.txn = t
	}
	return e, nil
}

// Config returns the validated configuration the Engine was built from.
func (e *Engine) Config() producer.Config { return e.cfg }

// Client returns the underlying kgo client (for tests and diagnostics).
// Producing through it directly bypasses Pending and Stats.
func (e *Engine) Client() *kgo.Client { return e.cl }

// Send hands r to kgo and returns; cb runs exactly once with the record's
// Ack or the error that failed it (as producer.Producer.Send). With
// BlockIfQueueFull (the default) Send blocks while kgo's buffer is full
// (MaxPendingMessages / MaxPendingBytes) and ctx bounds that wait;
// otherwise the record fails at once with producer.ErrQueueFull. With
// SendSync Send returns after cb has run. With a TransactionalID, cb runs
// when the record's transaction has committed or aborted.
//
// Unless WithZeroCopy was given, Send copies r's key, value (unless
// r.StableValue) and header values, so the caller may reuse r and them
// once Send returns (CopiesRecords); r is handed back in Ack.Record, r.Tag
// in Ack.Tag and r's key, value and header bytes in Ack.Bytes. cb runs on
// kgo's promise goroutine (or the transaction committer): it must not
// block, nor call Flush or Close.
//
// A record without a Timestamp is stamped at Send from the engine's epoch
// plus monotonic time (as the native producer does). An acknowledged
// record's Ack.AckTime (not with acks none, transactions or SendSync) is
// when the latest produce response had been read before its promise ran:
// its own response's, or a later one's if several were read before kgo
// got to its promise (one clock read per response, not per record).
func (e *Engine) Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if e.closed.Load() {
		cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1, Tag: r.Tag, Bytes: r.Bytes()}, producer.ErrClosed)
		return
	}
	it := e.get()
	it.fill(r, cb, e.zeroCopy)
	if r.Timestamp.IsZero() {
		it.kr.Timestamp = e.stamp()
	}
	storeMax(&e.maxRec, r.Bytes())
	e.pending.Add(1)
	if e.txn != nil {
		if err := e.txn.enter(); err != nil {
			e.complete(it, err, 0)
			return
		}
	}
	if e.block {
		if e.full() {
			e.waits.Add(1) // Produce waits for room (PendingWaits)
		}
		e.cl.Produce(ctx, &it.kr, e.promise)
	} else {
		e.cl.TryProduce(ctx, &it.kr, e.promise)
	}
	if e.txn != nil {
		e.txn.leave()
	}
	if e.sync { // not it.sync: its line is cold here (see item)
		<-it.sync
		res := it.res
		it.res = nil
		e.complete(it, res, 0)
	}
}

// stamp returns the create time of a record without a Timestamp: the
// engine's epoch plus the monotonic time since, as the native producer
// stamps (one monotonic clock read, where kgo's own stamp, time.Now, reads
// the wall clock too: about 100 ns a record on the 2-core VM, 5% of a
// max-rate peer-100b run's CPU). A wall-clock step after New does not move
// it; Kafka's CreateTime is the producer's view anyway.
func (e *Engine) stamp() time.Time {
	return time.Unix(0, e.epochNs+int64(time.Since(e.epoch)))
}

// CopiesRecords reports whether Send is done with a Record when it
// returns (see producer.Producer.CopiesRecords and
// workload.RecordCopier): true unless WithZeroCopy was given, in which
// case kgo reads the caller's key, value and header values until the
// record's callback.
func (e *Engine) CopiesRecords() bool { return !e.zeroCopy }

// full reports whether kgo's buffer is at the pending limits, so that
// Produce will wait for room: more records pending (this one included)
// than MaxPendingMessages, or the buffered bytes at MaxPendingBytes.
// kgo's buffered bytes are asked for (under kgo's producer mutex) only
// when they could be at the limit: kgo buffers at most the pending
// records, each of at most maxRec bytes. The mutex, taken at every Send,
// cost 2% of a max-rate peer-100b run's CPU.
func (e *Engine) full() bool {
	n := e.pending.Load()
	if m := int64(e.cfg.MaxPendingMessages); m > 0 && n > m {
		return true
	}
	lim := e.cfg.MaxPendingBytes
	if lim <= 0 || n*e.maxRec.Load() < lim {
		return false
	}
	return e.cl.BufferedProduceBytes() >= lim
}

// storeMax raises v to n when n is larger (a lock-free running maximum).
func storeMax(v *atomic.Int64, n int64) {
	for m := v.Load(); n > m; m = v.Load() {
		if v.CompareAndSwap(m, n) {
			return
		}
	}
}

// PendingWaits returns how many Send calls found kgo's buffer at the
// pending limits (MaxBufferedRecords, MaxBufferedBytes) and so waited in
// Produce for room, since the engine was created; see
// producer.Producer.PendingWaits. Safe for concurrent use.
func (e *Engine) PendingWaits() int64 { return e.waits.Load() }

// fill prepares it for r. It writes only the item's first three cache
// lines (see item): the kgo.Record fields kgo reads, not kr.Context
// (always it) nor those kgo sets itself (Attrs, ProducerID, ProducerEpoch,
// LeaderEpoch, Offset); a key of up to 8 bytes is copied into small, and
// buf is used only for longer keys, values that are not StableValue and
// header values.
func (it *item) fill(r *producer.Record, cb func(producer.Ack, error), zeroCopy bool) {
	it.pr, it.cb, it.tag = r, cb, r.Tag
	it.part = noPartition
	if r.UsePartition {
		it.part = int64(r.Partition)
	}
	key, val := r.Key, r.Value
	var hs []kgo.RecordHeader // nil without headers
	if len(r.Headers) > 0 {
		hs = it.kr.Headers[:0]
	}
	if zeroCopy {
		for _, h := range r.Headers {
			hs = append(hs, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
	} else {
		inBuf := len(key) > len(it.small) // else in small
		need := 0
		if inBuf {
			need = len(key)
		} else if key != nil {
			n := copy(it.small[:], key)
			key = it.small[:n:n] // non-nil even when empty, as an empty key must stay
		}
		if !r.StableValue {
			need += len(val)
		}
		for _, h := range r.Headers {
			need += len(h.Value)
		}
		// buf is left alone (not even read) when nothing goes there.
		if inBuf || (!r.StableValue && val != nil) || len(r.Headers) > 0 {
			buf := it.buf[:0]
			if buf == nil || cap(buf) < need {
				// Non-nil even for need 0: an empty value must stay
				// empty, not become null.
				buf = make([]byte, 0, max(need, minBuf))
			}
			// buf has room for everything, so appends never move it
			// and the sub-slices stay valid.
			if inBuf {
				key, buf = appendCopy(buf, key)
			}
			if !r.StableValue {
				val, buf = appendCopy(buf, val)
			}
			for _, h := range r.Headers {
				var v []byte
				v, buf = appendCopy(buf, h.Value)
				hs = append(hs, kgo.RecordHeader{Key: h.Key, Value: v})
			}
			it.buf = buf
		}
	}
	kr := &it.kr
	kr.Key, kr.Value, kr.Headers = key, val, hs
	kr.Timestamp, kr.Topic, kr.Partition = r.Timestamp, r.Topic, -1
}

// recordBytes returns kr's key, value and header bytes (the
// producer.Record's Bytes, since fill copies lengths unchanged).
func recordBytes(kr *kgo.Record) int64 {
	n := len(kr.Key) + len(kr.Value)
	for i := range kr.Headers {
		n += len(kr.Headers[i].Key) + len(kr.Headers[i].Value)
	}
	return int64(n)
}

// appendCopy appends b to buf and returns the copy (nil for nil, so that
// a null key or value stays null) and the extended buf.
func appendCopy(buf, b []byte) ([]byte, []byte) {
	if b == nil {
		return nil, buf
	}
	n := len(buf)
	buf = append(buf, b...)
	return buf[n:len(buf):len(buf)], buf
}

// onPromise is kgo's promise for every record.
func (e *Engine) onPromise(kr *kgo.Record, err error) {
	it := itemOf(kr)
	if err == nil {
		if e.txn != nil {
			e.st.written.Add(1) // else see Engine.written
		}
	} else if n := it.outOfRange; n > 0 {
		it.outOfRange = 0
		err = &producer.TopicError{Topic: kr.Topic,
			Err: fmt.Errorf("partition %d out of range [0, %d)", it.part, n)}
	} else {
		err = convertErr(err, kr.Topic, e.ctx.Err() != nil)
	}
	switch {
	case e.txn != nil:
		it.res = err
		e.txn.park(it)
	case e.sync:
		it.res = err
		it.sync <- struct{}{}
	default:
		// Not through it.res, whose line the next fill would have to
		// take back from this core (see item).
		var at int64
		if err == nil && !e.acksNone {
			at = e.ackAt.Load()
		}
		e.complete(it, err, at)
	}
}

// deliver completes it with it.res, or wakes its synchronous Send to do
// so.
func (e *Engine) deliver(it *item) {
	if e.sync {
		it.sync <- struct{}{}
		return
	}
	res := it.res
	it.res = nil
	e.complete(it, res, 0)
}

// itemOf returns the item whose kgo.Record is kr: every record the engine
// hands kgo is an item's kr, at itemRecordOffset. The promise finds its
// item so rather than through kr.Context, whose line (line 3, like it.sync
// on line 4) fill does not write: with 10,000 records in flight those
// lines are usually out of the promise core's caches, and reading them was
// 5% of a max-rate peer-100b run's CPU.
func itemOf(kr *kgo.Record) *item {
	return (*item)(unsafe.Add(unsafe.Pointer(kr), -itemRecordOffset))
}

// complete runs the item's callback with res, returns the item to the
// pool and marks it done. It writes none of the item's per-record fields
// (the next fill overwrites them), so that the lines fill writes are only
// read on this core (see item); an idle item thus keeps its last record's
// references (Record, callback, key, value, headers) until it is reused
// or the pool drops it at a GC.
//
// at, when not 0, is the Ack's AckTime in ns since the engine's epoch;
// 0 leaves AckTime zero (the receiver reads its clock).
func (e *Engine) complete(it *item, res error, at int64) {
	cb := it.cb
	ack := producer.Ack{
		Record:    it.pr,
		Topic:     it.kr.Topic,
		Partition: it.kr.Partition,
		Offset:    it.kr.Offset,
		Timestamp: it.kr.Timestamp,
		Tag:       it.tag,
		Bytes:     recordBytes(&it.kr),
	}
	if at != 0 {
		ack.AckTime = e.epoch.Add(time.Duration(at))
	}
	if res != nil || e.acksNone {
		// kgo numbers records of an acks-none batch from 0; the offset
		// is unknown.
		ack.Offset = -1
	}
	if res != nil {
		e.st.failed.Add(1)
	}
	// Idle items do not pin large records' memory: neither buf nor the
	// copies in it that kr still points at. buf (line 3) is looked at only
	// when the record could have needed that much: its copies are at most
	// its Bytes.
	if ack.Bytes > maxKeptBuf && cap(it.buf) > maxKeptBuf {
		it.buf = nil
		it.kr.Key, it.kr.Value, it.kr.Headers = nil, nil, nil
	}
	e.put(it)
	cb(ack, res)
	e.pending.Add(-1)
}

// Flush sends every buffered record at once, ignoring linger, and waits
// until no record is pending: each record sent before Flush, and any sent
// during it, has had its callback run. With a TransactionalID it commits
// the open transaction first. It returns ctx's error if ctx ends first.
func (e *Engine) Flush(ctx context.Context) error {
	e.flushing.Add(1)
	defer e.flushing.Add(-1)
	if e.txn != nil {
		if err := e.txn.commit(ctx); err != nil {
			return err
		}
	} else if err := e.cl.Flush(ctx); err != nil {
		return err
	}
	if err := e.pending.Wait(ctx); err != nil {
		return err
	}
	e.awaitHooks(ctx)
	return nil
}

// written returns the records acknowledged by a broker so far. Without a
// transaction that is the records completed without an error, from the
// pending count's total taken away and the failed count (no per-record
// count on the promise's hot path); with one, a record's promise can
// succeed and its transaction abort, so the promise counts them.
// Precise when no record is being completed.
func (e *Engine) written() int64 {
	if e.txn != nil {
		return e.st.written.Load()
	}
	failed := e.st.failed.Load()
	return e.pending.Removed() - failed
}

// awaitHooks waits, at most hookCatchUp, until kgo's batch-written hooks
// (run on their own goroutines after the promises) have counted every
// record acknowledged so far, so that Stats after Flush is complete.
func (e *Engine) awaitHooks(ctx context.Context) {
	if e.st.records.Load() >= e.written() {
		return
	}
	deadline := time.NewTimer(hookCatchUp)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for e.st.records.Load() < e.written() {
		select {
		case <-tick.C:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Close stops accepting records (later Sends fail with producer.ErrClosed),
// flushes until ctx ends (committing the open transaction), then fails
// every record still buffered with producer.ErrClosed and closes the kgo
// client, so that every callback has run when Close returns. Records
// already written to a broker under idempotence cannot be canceled: kgo
// fails them when its connections close. It returns ctx's error when the
// deadline cut the drain short, nil otherwise. A second Close waits for
// the first.
func (e *Engine) Close(ctx context.Context) error {
	if e.closed.Swap(true) {
		return e.pending.Wait(context.Background())
	}
	if e.txn != nil {
		e.txn.stop()
	}
	err := e.Flush(ctx)
	if err != nil {
		e.cancel() // buffered records fail with context.Canceled → ErrClosed
	}
	e.cl.Close()
	if e.txn != nil {
		e.txn.failParked()
	}
	_ = e.pending.Wait(context.Background())
	e.cancel()
	return err
}

// Pending returns the number of records accepted by Send whose callback
// has not run yet.
func (e *Engine) Pending() int64 { return e.pending.Load() }

// Stats returns the Engine's counters since New, from kgo's hooks:
// Requests and RequestErrors count produce requests (HookBrokerE2E, an
// error being a write or read error); Batches, Records and
// UncompressedBytes count acknowledged batches (HookProduceBatchWritten);
// WireBytes is their compressed size plus BatchOverhead per batch;
// FailedRecords counts records completed with an error. The same batches
// go to producer.Config.OnBatch, when set, one call each with the seal
// reason inferred (see hooks.reason): kgo does not say why it cut a batch.
// The hooks run asynchronously: the counters can trail the acks by a few
// milliseconds, except right after Flush or Close.
func (e *Engine) Stats() producer.Stats {
	s := &e.st
	return producer.Stats{
		Requests:          s.requests.Load(),
		RequestErrors:     s.requestErrors.Load(),
		Batches:           s.batches.Load(),
		Records:           s.records.Load(),
		UncompressedBytes: s.uncompressed.Load(),
		WireBytes:         s.wire.Load(),
		FailedRecords:     s.failed.Load(),
	}
}

type counters struct {
	requests, requestErrors              atomic.Int64
	batches, records, uncompressed, wire atomic.Int64
	failed                               atomic.Int64
	written                              atomic.Int64 // with a transaction, records whose promise succeeded (see Engine.written)
}

// kgoRecordSlack is the headroom in bytes kgo reserves per record when
// filling a batch (see hooks.reason): measured with franz-go v1.22, where
// 119 records of 109.5 B do not fit in 16,384 − 61 bytes.
const kgoRecordSlack = 28

// hooks feeds counters, and Config.OnBatch, from kgo.
type hooks struct {
	st       *counters
	onBatch  func(producer.BatchInfo, string) // nil: none
	maxBatch int64                            // Config.MaxBatchBytes
	flushing *atomic.Int32
	ackAt    *atomic.Int64 // Engine.ackAt
	epoch    time.Time     // Engine.epoch
}

// reason infers why kgo cut a batch of m: producer.SealSize when one more
// record of the batch's mean size would not have fitted in maxBatch by
// kgo's own accounting, producer.SealFlush when written while a Flush was
// under way, else producer.SealLinger (linger elapsed, or kgo drained the
// partition because a request slot was free). kgo counts the batch header
// (BatchOverhead) and, per record, kgoRecordSlack bytes beyond the
// record's encoded length against ProducerBatchMaxBytes: a full batch of
// 100 B values holds 118 records, 12,916 bytes, under a 16 KiB limit.
func (h *hooks) reason(m kgo.ProduceBatchMetrics) string {
	if n := int64(m.NumRecords); n > 0 {
		unc := int64(m.UncompressedBytes)
		if unc+unc/n+(n+1)*kgoRecordSlack+BatchOverhead > h.maxBatch {
			return producer.SealSize
		}
	}
	if h.flushing.Load() > 0 {
		return producer.SealFlush
	}
	return producer.SealLinger
}

// produceKey is the Kafka API key of Produce requests.
const produceKey = 0

func (h *hooks) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.ProduceBatchMetrics) {
	h.st.batches.Add(1)
	h.st.records.Add(int64(m.NumRecords))
	h.st.uncompressed.Add(int64(m.UncompressedBytes))
	h.st.wire.Add(int64(m.CompressedBytes) + BatchOverhead)
	if h.onBatch != nil {
		h.onBatch(producer.BatchInfo{Records: int32(m.NumRecords), UncompressedBytes: int32(m.UncompressedBytes),
			CompressedBytes: int32(m.CompressedBytes) + BatchOverhead}, h.reason(m))
	}
}

func (h *hooks) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key != produceKey {
		return
	}
	// kgo calls this on the connection's reading goroutine as soon as the
	// response is read, before it hands the response to the sink that
	// promises its records: every record the response completes finds
	// ackAt at or after this read.
	storeMax(h.ackAt, int64(time.Since(h.epoch)))
	h.st.requests.Add(1)
	if e2e.Err() != nil {
		h.st.requestErrors.Add(1)
	}
}

var (
	_ kgo.HookProduceBatchWritten = (*hooks)(nil)
	_ kgo.HookBrokerE2E           = (*hooks)(nil)
)

// minBuf and maxKeptBuf bound an item's copy buffer: it starts at minBuf
// bytes and is dropped when an item goes idle holding more than maxKeptBuf.
const (
	minBuf     = 256
	maxKeptBuf = 16 << 10
)

// get returns an idle item, or a new one. Items live in a sync.Pool, whose
// per-P caches take no lock: a free list under one mutex, shared by the
// workers' Sends and kgo's promise goroutine, cost 10% of a max-rate run's
// CPU in Lock/Unlock (profile of peer-100b, franz-go engine). The pool's
// victim cache keeps idle items across one GC, and at a steady rate the
// engine allocates too little for GCs to come often.
func (e *Engine) get() *item { return e.pool.Get().(*item) }

// put returns an idle item to the pool.
func (e *Engine) put(it *item) { e.pool.Put(it) }
