package nats

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/waitcount"
)

// Item states.
const (
	stIdle     uint32 = iota // in the free list
	stInflight               // published, waiting for the PubAck
	stRetry                  // failed retriably, waiting for retryAt
	stDone                   // outcome known, callback pending
)

// item is one message's state from Send to its callback. Items are made
// once (one per slot of the async window) and reused, so that the send
// path allocates nothing: the copy buffer, the header map, the reply
// subject and the message ID all live in the item.
type item struct {
	idx   int
	state atomic.Uint32
	mu    sync.Mutex // guards everything below against the reply handler, the sweeper and Send

	gen  uint64 // Send count of this item: the reply subject carries it, so late replies are ignored
	pr   *producer.Record
	cb   func(producer.Ack, error)
	st   *station
	part int32

	msg   natsgo.Msg
	hdr   natsgo.Header
	hvals []string
	buf   []byte // copies of value, header values and key
	reply []byte
	id    []byte

	ts          time.Time // the record's timestamp, or the Send time
	lastPub     time.Time // the last publish of this message
	deadline    time.Time // send_timeout from Send; zero means none
	attemptDue  time.Time // the current attempt times out then
	retryAt     time.Time
	attempts    int
	lastErr     error
	res         error
	seq         uint64
	dup         bool
	done        chan struct{} // sync mode: the outcome is known
	droppedOnce bool          // test hook bookkeeping
}

// engine produces to NATS JetStream through a nats.go connection. It
// speaks JetStream's publish protocol (as jetstream.PublishMsgAsync does:
// each message published with a reply subject under one wildcard reply
// subscription, the PubAck JSON parsed on arrival) with its own
// bookkeeping, so that no object is allocated per message on the engine's
// side. All methods are safe for concurrent use.
type engine struct {
	nc  *natsgo.Conn
	js  jetstream.JetStream
	tc  *Config
	cfg producer.Config

	items  []*item
	free   chan *item
	block  bool
	sync   bool
	idem   bool
	keyHdr string

	prefix   string // reply subject prefix, "_INBOX.<nuid>."
	sub      *natsgo.Subscription
	idPrefix string
	idSeq    atomic.Uint64

	stations atomic.Pointer[map[string]*station]
	stMu     sync.Mutex
	topics   *topicMaker

	attemptTimeout time.Duration
	sendTimeout    time.Duration
	tick           time.Duration

	retrying     atomic.Int64 // items in stRetry
	disconnected atomic.Int64 // UnixNano of the last disconnect, 0 after its resends
	slow         atomic.Bool  // the reply subscription was a slow consumer

	closed    atomic.Bool
	pending   waitcount.Counter
	stop      chan struct{}
	sweepDone chan struct{}
	closeOnce sync.Once

	st counters

	// dropAck, when set (tests), is asked for every PubAck of a message
	// on its attempt-th publish; true discards it, as if lost.
	dropAck func(r *producer.Record, attempt int) bool
}

type counters struct {
	requests, requestErrors, retries atomic.Int64
	records, bytes, failed           atomic.Int64
	duplicates                       atomic.Int64
}

// newEngine builds an engine on nc (which it then owns and closes).
func newEngine(nc *natsgo.Conn, js jetstream.JetStream, tc *Config, cfg producer.Config, tm *topicMaker) (*engine, error) {
	window := cfg.MaxPendingMessages
	if window <= 0 {
		window = defaultWindow
	}
	e := &engine{
		nc: nc, js: js, tc: tc, cfg: cfg,
		free:     make(chan *item, window),
		block:    cfg.BlockIfQueueFull,
		sync:     cfg.SendMode == producer.SendSync,
		idem:     cfg.Idempotent,
		keyHdr:   tc.KeyHeader,
		prefix:   natsgo.InboxPrefix + nuid.Next() + ".",
		idPrefix: nuid.Next() + "-",
		topics:   tm,
		stop:     make(chan struct{}),
	}
	empty := map[string]*station{}
	e.stations.Store(&empty)
	e.attemptTimeout = cfg.RequestTimeout
	e.sendTimeout = cfg.SendTimeout
	if e.sendTimeout > 0 && e.sendTimeout < e.attemptTimeout {
		e.attemptTimeout = e.sendTimeout
	}
	e.tick = clampDur(cfg.RetryBackoff/5, time.Millisecond, 20*time.Millisecond)
	e.items = make([]*item, window)
	for i := range e.items {
		it := &item{idx: i, buf: make([]byte, 0, minBuf), reply: make([]byte, 0, len(e.prefix)+24),
			id: make([]byte, 0, len(e.idPrefix)+20)}
		if e.sync {
			it.done = make(chan struct{}, 1)
		}
		e.items[i] = it
		e.free <- it
	}
	sub, err := nc.Subscribe(e.prefix+"*.*", e.onReply)
	if err != nil {
		return nil, err
	}
	_ = sub.SetPendingLimits(-1, -1)
	e.sub = sub
	e.sweepDone = make(chan struct{})
	go e.sweep()
	return e, nil
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	return min(max(d, lo), hi)
}

// Send publishes r to the subject of its partition and returns; cb runs
// exactly once with the Ack (Offset the stream sequence) or the error.
// With block_if_queue_full (the default) Send waits while the async window
// (max_pending_messages, default 4,000) is full, bounded by ctx; otherwise
// the record fails at once with producer.ErrQueueFull. In sync mode Send
// returns after cb has run. Send copies r's value, headers and key, so the
// caller may reuse them when Send returns.
func (e *engine) Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if e.closed.Load() {
		e.st.failed.Add(1)
		cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, producer.ErrClosed)
		return
	}
	st, err := e.station(ctx, r.Topic)
	if err != nil {
		e.st.failed.Add(1)
		cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, err)
		return
	}
	var it *item
	select {
	case it = <-e.free:
	default:
		if !e.block {
			e.st.failed.Add(1)
			cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, producer.ErrQueueFull)
			return
		}
		select {
		case it = <-e.free:
		case <-ctx.Done():
			e.st.failed.Add(1)
			cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, ctx.Err())
			return
		case <-e.stop:
			e.st.failed.Add(1)
			cb(producer.Ack{Record: r, Topic: r.Topic, Partition: -1, Offset: -1}, producer.ErrClosed)
			return
		}
	}
	p, perr := st.partition(r, e.cfg.Partitioner == producer.PartitionerRoundRobin, e.cfg.CustomPartitioner)
	e.pending.Add(1)
	it.mu.Lock()
	it.fill(e, r, cb, st, p)
	if perr != nil {
		it.res = perr
		it.state.Store(stDone)
		it.mu.Unlock()
		e.deliver(it)
	} else {
		now := time.Now()
		if r.Timestamp.IsZero() {
			it.ts = now
		} else {
			it.ts = r.Timestamp
		}
		if e.sendTimeout > 0 {
			it.deadline = now.Add(e.sendTimeout)
		} else {
			it.deadline = time.Time{}
		}
		it.attempts = 0
		e.publishLocked(it, now) // unlocks
	}
	if e.sync {
		<-it.done
		e.complete(it)
	}
}

// fill prepares it for r: copies the value, header values and key into
// its buffer and builds the header map (Nats-Msg-Id when idempotent). The
// caller holds it.mu.
func (it *item) fill(e *engine, r *producer.Record, cb func(producer.Ack, error), st *station, p int32) {
	it.gen++
	it.pr, it.cb, it.st, it.part = r, cb, st, p
	it.res, it.lastErr, it.seq, it.dup, it.droppedOnce = nil, nil, 0, false, false
	need := len(r.Value)
	for _, h := range r.Headers {
		need += len(h.Value)
	}
	if e.keyHdr != "" {
		need += len(r.Key)
	}
	buf := it.buf[:0]
	if cap(buf) < need {
		buf = make([]byte, 0, max(need, minBuf))
	}
	buf = append(buf, r.Value...)
	val := buf[:len(r.Value):len(r.Value)]

	nh := len(r.Headers)
	if e.idem {
		nh++
	}
	if e.keyHdr != "" && r.Key != nil {
		nh++
	}
	var hdr natsgo.Header
	if nh > 0 {
		hdr = it.hdr
		if hdr == nil {
			hdr = make(natsgo.Header, nh)
			it.hdr = hdr
		} else {
			clear(hdr)
		}
		hv := it.hvals[:0]
		if cap(hv) < nh {
			hv = make([]string, 0, nh)
		}
		for _, h := range r.Headers {
			n := len(buf)
			buf = append(buf, h.Value...)
			hv = append(hv, bstr(buf[n:]))
			if old, ok := hdr[h.Key]; ok {
				hdr[h.Key] = append(old, hv[len(hv)-1]) // a repeated key: rare, may allocate
			} else {
				hdr[h.Key] = hv[len(hv)-1 : len(hv) : len(hv)]
			}
		}
		if e.keyHdr != "" && r.Key != nil {
			n := len(buf)
			buf = append(buf, r.Key...)
			hv = append(hv, bstr(buf[n:]))
			hdr[e.keyHdr] = hv[len(hv)-1 : len(hv) : len(hv)]
		}
		if e.idem {
			id := append(it.id[:0], e.idPrefix...)
			id = strconv.AppendUint(id, e.idSeq.Add(1), 10)
			it.id = id
			hv = append(hv, bstr(id))
			hdr[jetstream.MsgIDHeader] = hv[len(hv)-1 : len(hv) : len(hv)]
		}
		it.hvals = hv
	}
	it.buf = buf
	it.msg = natsgo.Msg{Subject: st.subjects[p], Header: hdr, Data: val}
	reply := append(it.reply[:0], e.prefix...)
	reply = strconv.AppendInt(reply, int64(it.idx), 10)
	reply = append(reply, '.')
	reply = strconv.AppendUint(reply, it.gen, 10)
	it.reply = reply
	it.msg.Reply = bstr(reply)
}

// bstr returns b as a string without copying. The item owns b and does
// not change it while the message may still be published (nats.go copies
// the subject, reply and header strings into its write buffer).
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// publishLocked publishes it (one attempt) and unlocks it.mu. A publish
// error fails the record or, when retriable, schedules a resend.
func (e *engine) publishLocked(it *item, now time.Time) {
	it.attempts++
	it.lastPub = now
	it.attemptDue = now.Add(e.attemptTimeout)
	if !it.deadline.IsZero() && it.deadline.Before(it.attemptDue) {
		it.attemptDue = it.deadline
	}
	it.state.Store(stInflight)
	e.st.requests.Add(1)
	err := e.nc.PublishMsg(&it.msg)
	if err == nil {
		it.mu.Unlock()
		return
	}
	e.failAttemptLocked(it, publishErr(err), now) // unlocks
}

// failAttemptLocked ends the current attempt of it with err: a resend
// after the backoff when err is retriable, retries remain and the send
// deadline allows, else the record fails. It unlocks it.mu.
func (e *engine) failAttemptLocked(it *item, err error, now time.Time) {
	e.st.requestErrors.Add(1)
	it.lastErr = err
	var se *producer.SystemError
	retriable := errors.As(err, &se) && se.Retriable
	if retriable && it.attempts <= e.cfg.Retries && !e.closed.Load() {
		at := now.Add(backoff(e.cfg.RetryBackoff, e.cfg.MaxRetryBackoff, it.attempts))
		if it.deadline.IsZero() || at.Before(it.deadline) {
			it.retryAt = at
			it.state.Store(stRetry)
			e.retrying.Add(1)
			it.mu.Unlock()
			return
		}
	}
	it.res = err
	it.state.Store(stDone)
	it.mu.Unlock()
	e.deliver(it)
}

// backoff is the wait before retry n (1-based): base doubled per retry,
// capped at limit (Kafka's retry.backoff.ms / retry.backoff.max.ms
// without the jitter: resends of a window are spread by their acks).
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// onReply handles a PubAck (or a no-responders status) for one item.
func (e *engine) onReply(m *natsgo.Msg) {
	idx, gen, ok := parseReply(m.Subject, len(e.prefix))
	if !ok || idx >= len(e.items) {
		return
	}
	it := e.items[idx]
	it.mu.Lock()
	if it.gen != gen || it.state.Load() != stInflight {
		it.mu.Unlock() // a late reply to an attempt that timed out
		return
	}
	if e.dropAck != nil && e.dropAck(it.pr, it.attempts) {
		it.mu.Unlock()
		return
	}
	now := time.Now()
	if len(m.Data) == 0 {
		if m.Header.Get("Status") == "503" {
			e.failAttemptLocked(it, errNoResponders, now)
			return
		}
		e.failAttemptLocked(it, &producer.SystemError{Kind: "nats:bad_ack", Err: errors.New("empty PubAck")}, now)
		return
	}
	seq, dup, err := parseAck(m.Data)
	if err != nil {
		e.failAttemptLocked(it, err, now)
		return
	}
	it.seq, it.dup = seq, dup
	it.state.Store(stDone)
	it.mu.Unlock()
	e.deliver(it)
}

// parseReply reads "<prefix><idx>.<gen>".
func parseReply(subj string, plen int) (idx int, gen uint64, ok bool) {
	if len(subj) <= plen {
		return 0, 0, false
	}
	s := subj[plen:]
	i := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		idx = idx*10 + int(c-'0')
	}
	if i == 0 || i >= len(s)-1 {
		return 0, 0, false
	}
	for _, c := range []byte(s[i+1:]) {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		gen = gen*10 + uint64(c-'0')
	}
	return idx, gen, true
}

// deliver completes it, or wakes its synchronous Send to do so.
func (e *engine) deliver(it *item) {
	if e.sync {
		it.done <- struct{}{}
		return
	}
	e.complete(it)
}

// complete runs it's callback and returns it to the free list.
func (e *engine) complete(it *item) {
	it.mu.Lock()
	r, cb, res := it.pr, it.cb, it.res
	ack := producer.Ack{Record: r, Topic: it.st.topic, Partition: it.part, Offset: int64(it.seq), Timestamp: it.ts}
	if res != nil {
		ack.Offset = -1
		e.st.failed.Add(1)
	} else {
		e.st.records.Add(1)
		e.st.bytes.Add(int64(len(it.msg.Data)))
		if it.dup {
			e.st.duplicates.Add(1)
		}
	}
	it.pr, it.cb, it.res, it.lastErr = nil, nil, nil, nil
	it.msg.Data, it.msg.Header = nil, nil
	if cap(it.buf) > maxKeptBuf {
		it.buf = make([]byte, 0, minBuf) // idle items do not pin large records' memory
	}
	it.state.Store(stIdle)
	it.mu.Unlock()
	e.free <- it
	cb(ack, res)
	e.pending.Add(-1)
}

// minBuf and maxKeptBuf bound an item's copy buffer.
const (
	minBuf     = 256
	maxKeptBuf = 64 << 10
)

// sweep times out attempts whose PubAck is overdue, resends messages whose
// backoff has passed and, after a reconnect, resends the messages
// published before the disconnect (their acks are lost). It runs until
// Close.
func (e *engine) sweep() {
	defer close(e.sweepDone)
	t := time.NewTicker(e.tick)
	defer t.Stop()
	timeoutEvery := clampDur(e.attemptTimeout/10, e.tick, time.Second)
	nextTimeouts := time.Now().Add(timeoutEvery)
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		disc := e.disconnected.Load()
		scanTimeouts := !now.Before(nextTimeouts)
		if scanTimeouts {
			nextTimeouts = now.Add(timeoutEvery)
		}
		reconnected := disc != 0 && e.nc.IsConnected()
		if !scanTimeouts && e.retrying.Load() == 0 && !reconnected {
			continue
		}
		if reconnected {
			e.disconnected.CompareAndSwap(disc, 0)
		}
		for _, it := range e.items {
			switch it.state.Load() {
			case stInflight:
				if !scanTimeouts && !reconnected {
					continue
				}
				it.mu.Lock()
				if it.state.Load() != stInflight {
					it.mu.Unlock()
					continue
				}
				switch {
				case reconnected && it.lastPub.UnixNano() < disc:
					e.failAttemptLocked(it, errDisconnected, now)
				case !now.Before(it.attemptDue):
					err := errTimeout
					if e.slow.Load() {
						err = errSlowConsumer
					}
					e.failAttemptLocked(it, err, now)
				default:
					it.mu.Unlock()
				}
			case stRetry:
				it.mu.Lock()
				if it.state.Load() != stRetry || now.Before(it.retryAt) {
					it.mu.Unlock()
					continue
				}
				e.retrying.Add(-1)
				e.st.retries.Add(1)
				e.publishLocked(it, now)
			}
		}
	}
}

// onDisconnect records a lost connection: messages published before it
// are resent once it is back.
func (e *engine) onDisconnect() { e.disconnected.Store(time.Now().UnixNano()) }

// Flush waits until every record handed to Send so far has had its
// callback, or ctx ends (returning its error).
func (e *engine) Flush(ctx context.Context) error {
	return e.pending.Wait(ctx)
}

// Close stops accepting records (later Sends fail with producer.ErrClosed),
// waits for pending records until ctx ends, then fails those still
// pending with producer.ErrClosed, stops the engine's goroutine and closes
// the connection. It returns ctx's error when the deadline cut the wait
// short. A second Close waits for the first.
func (e *engine) Close(ctx context.Context) error {
	if e.closed.Swap(true) {
		return e.pending.Wait(context.Background())
	}
	err := e.pending.Wait(ctx)
	if err != nil {
		now := time.Now()
		for _, it := range e.items {
			it.mu.Lock()
			switch it.state.Load() {
			case stInflight, stRetry:
				if it.state.Load() == stRetry {
					e.retrying.Add(-1)
				}
				it.attempts = e.cfg.Retries + 1 // no more resends
				e.failAttemptLocked(it, producer.ErrClosed, now)
			default:
				it.mu.Unlock()
			}
		}
		_ = e.pending.Wait(context.Background())
	}
	e.closeOnce.Do(func() {
		close(e.stop)
		<-e.sweepDone
		_ = e.sub.Unsubscribe()
		e.nc.Close()
	})
	return err
}

// InFlight returns the messages published and not yet acknowledged.
func (e *engine) InFlight() int { return int(e.pending.Load()) }

// Stats returns the engine's counters: Requests counts publishes
// (resends included), RequestErrors failed attempts, Retries resends,
// Records acknowledged messages, UncompressedBytes and WireBytes their
// payload bytes (NATS sends them uncompressed), FailedRecords records
// completed with an error. Batches and seal reasons stay 0: JetStream has
// no client batches.
func (e *engine) Stats() producer.Stats {
	s := &e.st
	b := s.bytes.Load()
	return producer.Stats{
		Requests:          s.requests.Load(),
		RequestErrors:     s.requestErrors.Load(),
		Retries:           s.retries.Load(),
		Records:           s.records.Load(),
		UncompressedBytes: b,
		WireBytes:         b,
		FailedRecords:     s.failed.Load(),
	}
}

// Duplicates returns how many acknowledged records had a PubAck with
// duplicate: true: a resend the stream's duplicate window recognised
// (idempotent), counted once as a record and once here.
func (e *engine) Duplicates() int64 { return e.st.duplicates.Load() }
