package pulsarws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/waitcount"
)

// dialer opens producer connection idx (0 to Connections-1) for topic
// (the scenario's topic name). It is called for every connection and
// reconnection, so it may fetch a fresh one-time password each time. Its
// errors must not contain secrets; a *permanentError is one retrying will
// not fix.
type dialer func(ctx context.Context, topic string, idx int) (*websocket.Conn, error)

// clientOptions configures newClient.
type clientOptions struct {
	// Dial opens a producer connection for a topic. Required.
	Dial dialer
	// Producer is the producer configuration: SendMode, BlockIfQueueFull,
	// MaxPendingMessages (the window of each connection; 0 means
	// DefaultMaxPending) and SendTimeout (failing a message not acked in
	// time with producer.ErrSendTimeout; 0 means none) are applied by the
	// client; batching, linger and compression travel as query
	// parameters (see QueryParams) and are the service's to apply.
	Producer producer.Config
	// Connections is the number of WebSocket connections (each a producer
	// on the service) per topic; keyed messages keep to one connection
	// per key, so their order holds. Default 1.
	Connections int
	// Topics are connected at newClient; other topics connect on their
	// first Send.
	Topics []string
	// ReconnectMin and ReconnectMax bound the wait between connection
	// attempts, doubling from min to max with ±20% jitter. Defaults 50ms
	// and 5s.
	ReconnectMin, ReconnectMax time.Duration
	// ConnectTimeout bounds the first connection of each of Topics in
	// newClient. Default 30s.
	ConnectTimeout time.Duration
}

// DefaultMaxPending is the window of each connection when
// producer.Config.MaxPendingMessages is 0: Pulsar's and Macrometa's
// documented maxPendingMessages default.
const DefaultMaxPending = 1000

// client is a producer over Pulsar's WebSocket API. It implements
// registry.Engine (Send, Flush, Close, Stats) and is safe for concurrent
// use. Each message is one JSON frame with a context unique on its
// connection; the ack with that context completes it, exactly once:
// "ok" with the messageId, "send-error:N" failing it with kind
// "pulsar-ws:send-error:N", or, when none arrives, send_timeout, a dropped
// connection ("pulsar-ws:connection", for the messages written and not
// acked; those not yet written are sent after the reconnect) or Close.
type client struct {
	o       clientOptions
	window  int
	block   bool
	sync    bool
	timeout time.Duration

	mu     sync.Mutex
	topics sync.Map // string -> *topicConns
	conns  []*conn  // every connection, under mu

	closed  atomic.Bool
	stop    chan struct{}   // closed by Close after flushing: connections close normally
	abort   context.Context // canceled when Close ends: dials, backoffs and writes stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	pending waitcount.Counter
	pool    sync.Pool

	st struct {
		acked, failed, requests, requestErrors, reconnects, unmatched, lateAcks atomic.Int64
	}
}

type topicConns struct {
	conns []*conn
	rr    atomic.Uint32
}

// conn is one producer WebSocket (reconnected as needed) with its window
// and the messages on it.
type conn struct {
	topic string
	idx   int
	slots chan struct{} // window semaphore: a token per pending message
	wake  chan struct{} // cap 1: messages were queued
	seq   atomic.Uint64

	mu       sync.Mutex
	inflight map[uint64]*msg // queued or written, not completed
	qhead    *msg            // queued (not yet written), in Send order
	qtail    *msg
	scratch  []*msg
	lastErr  error
	up       bool
	ready    chan struct{} // closed at the first connection (or failure)
	readyErr error
}

// Message states.
const (
	stQueued uint8 = iota
	stWriting
	stWritten
)

// msg is one message from Send to its callback, pooled.
type msg struct {
	id    uint64
	k     *conn
	rec   *producer.Record
	cb    func(producer.Ack, error)
	sent  time.Time
	frame []byte
	state uint8
	// refs counts the holders of m: its completion (from Send until its
	// outcome is delivered) and the writer while writing it. The last to
	// let go recycles it.
	refs       atomic.Int32
	next, prev *msg

	// outcome, for sync sends
	ack  producer.Ack
	err  error
	sync chan struct{}
}

// maxKeptFrame bounds the frame buffer an idle msg keeps.
const maxKeptFrame = 1 << 20

// newClient connects a producer for each of o.Topics (o.Connections
// each) and returns the client, or the first connection error (naming
// the topic, never a secret) if a topic cannot be connected within
// o.ConnectTimeout.
func newClient(ctx context.Context, o clientOptions) (*client, error) {
	if o.Dial == nil {
		return nil, errors.New("pulsar-ws: no dialer")
	}
	if o.Connections <= 0 {
		o.Connections = 1
	}
	if o.ReconnectMin <= 0 {
		o.ReconnectMin = 50 * time.Millisecond
	}
	if o.ReconnectMax < o.ReconnectMin {
		o.ReconnectMax = max(5*time.Second, o.ReconnectMin)
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	c := &client{
		o:       o,
		window:  o.Producer.MaxPendingMessages,
		block:   o.Producer.BlockIfQueueFull,
		sync:    o.Producer.SendMode == producer.SendSync,
		timeout: o.Producer.SendTimeout,
		stop:    make(chan struct{}),
	}
	if c.window <= 0 {
		c.window = DefaultMaxPending
	}
	c.abort, c.cancel = context.WithCancel(context.Background())
	c.pool.New = func() any {
		m := &msg{frame: make([]byte, 0, 256)}
		if c.sync {
			m.sync = make(chan struct{}, 1)
		}
		return m
	}
	if c.timeout > 0 {
		c.wg.Add(1)
		go c.expireLoop()
	}
	var tcs []*topicConns
	for _, t := range o.Topics {
		tcs = append(tcs, c.topic(t))
	}
	wctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	for _, tc := range tcs {
		for _, k := range tc.conns {
			select {
			case <-k.ready:
				if k.readyErr != nil {
					c.shutdown()
					return nil, k.readyErr
				}
			case <-wctx.Done():
				k.mu.Lock()
				err := k.lastErr
				k.mu.Unlock()
				c.shutdown()
				if err == nil {
					err = wctx.Err()
				}
				return nil, fmt.Errorf("pulsar-ws: topic %s: not connected within %v: %w", k.topic, o.ConnectTimeout, err)
			}
		}
	}
	return c, nil
}

// shutdown stops every goroutine at once (a failed newClient).
func (c *client) shutdown() {
	c.closed.Store(true)
	close(c.stop)
	c.cancel()
	c.wg.Wait()
}

// topic returns the connections of topic t, starting them on first use.
func (c *client) topic(t string) *topicConns {
	if v, ok := c.topics.Load(t); ok {
		return v.(*topicConns)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.topics.Load(t); ok {
		return v.(*topicConns)
	}
	tc := &topicConns{}
	for i := 0; i < c.o.Connections; i++ {
		k := &conn{
			topic:    t,
			idx:      i,
			slots:    make(chan struct{}, c.window),
			wake:     make(chan struct{}, 1),
			inflight: make(map[uint64]*msg, c.window),
			ready:    make(chan struct{}),
		}
		tc.conns = append(tc.conns, k)
		c.conns = append(c.conns, k)
		c.wg.Add(1)
		go c.run(k)
	}
	c.topics.Store(t, tc)
	return tc
}

// pick chooses r's connection: by key hash (FNV-1a) for keyed records, so
// that a key's messages keep their order, else round robin.
func (tc *topicConns) pick(r *producer.Record) *conn {
	n := uint32(len(tc.conns))
	if n == 1 {
		return tc.conns[0]
	}
	if r.Key != nil {
		h := uint32(2166136261)
		for _, b := range r.Key {
			h = (h ^ uint32(b)) * 16777619
		}
		return tc.conns[h%n]
	}
	return tc.conns[tc.rr.Add(1)%n]
}

func (c *client) failNow(r *producer.Record, cb func(producer.Ack, error), err error) {
	c.st.failed.Add(1)
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, err)
}

// Send queues r on its connection and returns (in async mode; in sync
// mode after its callback has run). When the connection's window of
// max_pending_messages is full, Send blocks until a slot frees or ctx
// ends (block_if_queue_full true), or fails r at once with
// producer.ErrQueueFull. r's value, key and headers are encoded into the
// frame before Send returns, so the caller may reuse them. cb runs exactly
// once, on a client goroutine (or in Send for failures found there and in
// sync mode); it must not block.
func (c *client) Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if c.closed.Load() {
		c.failNow(r, cb, producer.ErrClosed)
		return
	}
	tc := c.topic(r.Topic)
	k := tc.pick(r)
	select {
	case k.slots <- struct{}{}:
	default:
		if !c.block {
			c.failNow(r, cb, producer.ErrQueueFull)
			return
		}
		select {
		case k.slots <- struct{}{}:
		case <-ctx.Done():
			c.failNow(r, cb, ctx.Err())
			return
		case <-c.stop:
			c.failNow(r, cb, producer.ErrClosed)
			return
		}
	}
	m := c.pool.Get().(*msg)
	m.k, m.rec, m.cb = k, r, cb
	m.id = k.seq.Add(1)
	m.frame = appendFrame(m.frame[:0], r, m.id)
	m.sent = time.Now()
	m.refs.Store(1)
	c.pending.Add(1)
	k.mu.Lock()
	m.state = stQueued
	k.inflight[m.id] = m
	m.prev, m.next = k.qtail, nil
	if k.qtail != nil {
		k.qtail.next = m
	} else {
		k.qhead = m
	}
	k.qtail = m
	k.mu.Unlock()
	select {
	case k.wake <- struct{}{}:
	default:
	}
	if c.sync {
		<-m.sync
		ack, err := m.ack, m.err
		c.release(m)
		cb(ack, err)
		c.pending.Add(-1)
	}
}

// take removes message id from k and returns it; nil when id is not
// pending (completed already, or unknown).
func (k *conn) take(id uint64) *msg {
	k.mu.Lock()
	m, ok := k.inflight[id]
	if ok {
		k.remove(m)
	}
	k.mu.Unlock()
	return m
}

// remove unlinks m from k; k.mu held.
func (k *conn) remove(m *msg) {
	delete(k.inflight, m.id)
	switch m.state {
	case stQueued:
		if m.prev != nil {
			m.prev.next = m.next
		} else {
			k.qhead = m.next
		}
		if m.next != nil {
			m.next.prev = m.prev
		} else {
			k.qtail = m.prev
		}
		m.next, m.prev = nil, nil
	}
}

// complete runs m's callback with its outcome (or hands it to its
// synchronous Send) and frees its window slot.
func (c *client) complete(m *msg, id messageID, hasID bool, err error) {
	ack := producer.Ack{Record: m.rec, Topic: m.rec.Topic, Offset: -1}
	if err == nil {
		c.st.acked.Add(1)
		if hasID {
			ack.Offset = int64(id.entry)
			if id.partition > 0 {
				ack.Partition = id.partition
			}
		}
	} else {
		c.st.failed.Add(1)
	}
	k := m.k
	<-k.slots
	if c.sync {
		m.ack, m.err = ack, err
		m.sync <- struct{}{}
		return
	}
	cb := m.cb
	c.release(m)
	cb(ack, err)
	c.pending.Add(-1)
}

// release drops one hold on m, recycling it after the last.
func (c *client) release(m *msg) {
	if m.refs.Add(-1) == 0 {
		c.put(m)
	}
}

func (c *client) put(m *msg) {
	m.rec, m.cb, m.k, m.err, m.ack = nil, nil, nil, nil, producer.Ack{}
	if cap(m.frame) > maxKeptFrame {
		m.frame = make([]byte, 0, 256)
	}
	c.pool.Put(m)
}

// run keeps k connected until Close: dial, write queued messages, and on
// a failure fail the messages written and not acked, wait, redial.
func (c *client) run(k *conn) {
	defer c.wg.Done()
	backoff := c.o.ReconnectMin
	first := true
	for {
		ws, err := c.o.Dial(c.abort, k.topic, k.idx)
		if err != nil {
			k.mu.Lock()
			k.lastErr = err
			k.mu.Unlock()
			if first && isPermanent(err) {
				k.readyErr = err
				close(k.ready)
				first = false
			}
			if c.abort.Err() != nil || c.stopped() && c.pending.Load() == 0 {
				c.failAll(k, producer.ErrClosed)
				if first {
					close(k.ready)
				}
				return
			}
			// ±20% jitter
			d := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-c.abort.Done():
				t.Stop()
			case <-c.stop:
				t.Stop()
			}
			backoff = min(2*backoff, c.o.ReconnectMax)
			continue
		}
		ws.SetReadLimit(1 << 20)
		backoff = c.o.ReconnectMin
		k.mu.Lock()
		k.up, k.lastErr = true, nil
		k.mu.Unlock()
		if first {
			close(k.ready)
			first = false
		} else {
			c.st.reconnects.Add(1)
		}
		stopAbort := context.AfterFunc(c.abort, func() { ws.CloseNow() })
		readDone := make(chan error, 1)
		c.wg.Add(1)
		go c.readLoop(k, ws, readDone)
		werr := c.writeLoop(k, ws, readDone)
		graceful := werr == nil
		if graceful {
			ws.Close(websocket.StatusNormalClosure, "")
		} else {
			ws.CloseNow()
		}
		rerr := <-readDone
		stopAbort()
		k.mu.Lock()
		k.up = false
		k.mu.Unlock()
		if graceful || c.abort.Err() != nil {
			c.failAll(k, producer.ErrClosed)
			return
		}
		if werr == errReadEnded {
			werr = rerr
		}
		c.failWritten(k, &producer.SystemError{Kind: "pulsar-ws:connection", Retriable: true,
			Err: fmt.Errorf("topic %s: connection lost: %v", k.topic, werr)})
	}
}

var errReadEnded = errors.New("read ended")

// stopped reports whether Close has flushed (or given up flushing).
func (c *client) stopped() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// isPermanent reports whether a dial error will not go away by retrying
// (a refused handshake: bad URL, authentication), so newClient fails at
// once rather than waiting for its timeout.
func isPermanent(err error) bool {
	var pe *permanentError
	return errors.As(err, &pe)
}

// permanentError marks a dial error that retrying will not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// writeLoop writes k's queued messages in order until the connection
// fails (returning the error), or Close (returning nil).
func (c *client) writeLoop(k *conn, ws *websocket.Conn, readDone chan error) error {
	for {
		k.mu.Lock()
		m := k.qhead
		if m != nil {
			k.qhead = m.next
			if k.qhead == nil {
				k.qtail = nil
			} else {
				k.qhead.prev = nil
			}
			m.next, m.prev = nil, nil
			m.state = stWriting
			m.refs.Add(1)
		}
		k.mu.Unlock()
		if m == nil {
			select {
			case <-k.wake:
				continue
			case err := <-readDone:
				readDone <- err
				return errReadEnded
			case <-c.stop:
				if c.pending.Load() == 0 {
					return nil
				}
				// Close's deadline passed with messages pending.
				return producer.ErrClosed
			case <-c.abort.Done():
				return producer.ErrClosed
			}
		}
		err := ws.Write(context.Background(), websocket.MessageText, m.frame)
		k.mu.Lock()
		m.state = stWritten
		k.mu.Unlock()
		c.release(m)
		if err != nil {
			return err
		}
	}
}

// readLoop reads k's acks until the connection fails.
func (c *client) readLoop(k *conn, ws *websocket.Conn, done chan<- error) {
	defer c.wg.Done()
	buf := make([]byte, 0, 512)
	var a ackFrame
	for {
		_, rd, err := ws.Reader(context.Background())
		if err != nil {
			done <- err
			return
		}
		buf, err = readAll(buf[:0], rd)
		if err != nil {
			ws.CloseNow()
			done <- err
			return
		}
		if err := c.handleAck(k, buf, &a); err != nil {
			ws.CloseNow()
			done <- err
			return
		}
	}
}

func readAll(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// handleAck completes the message an ack frame names. An ack for a
// message no longer pending (it timed out) is ignored and counted; an
// error without a usable context cannot be matched to a message and
// fails the connection.
func (c *client) handleAck(k *conn, frame []byte, a *ackFrame) error {
	if err := parseAck(frame, a); err != nil {
		c.st.unmatched.Add(1)
		return fmt.Errorf("%w: %.100q", err, frame)
	}
	var id uint64
	ok := a.hasCtx && a.escaped&4 == 0
	if ok {
		id, ok = parseUint(a.context)
	}
	c.st.requests.Add(1)
	if string(a.result) == "ok" {
		if !ok {
			c.st.unmatched.Add(1)
			return fmt.Errorf("ack without a context prodbench sent: %.100q", frame)
		}
		m := k.take(id)
		if m == nil {
			c.st.lateAcks.Add(1)
			return nil
		}
		mid, has := decodeMessageID(a.messageID)
		c.complete(m, mid, has, nil)
		return nil
	}
	c.st.requestErrors.Add(1)
	code, isSendErr := parseSendError(a.result)
	kind := "pulsar-ws:send-error:" + itoa(code)
	if !isSendErr {
		kind = "pulsar-ws:result"
	}
	emsg := unescape(a.errorMsg, a.escaped&8 != 0)
	if !ok {
		c.st.unmatched.Add(1)
		return fmt.Errorf("%s without a context (%s)", kind, emsg)
	}
	m := k.take(id)
	if m == nil {
		c.st.lateAcks.Add(1)
		return nil
	}
	c.complete(m, messageID{}, false, &producer.SystemError{Kind: kind,
		Retriable: code == CodeUnknown, Err: errors.New(emsg)})
	return nil
}

// itoa formats small codes without allocating for the common ones.
func itoa(n int) string {
	if n >= 0 && n < 10 {
		return "0123456789"[n : n+1]
	}
	return fmt.Sprint(n)
}

func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// failWritten fails k's messages that were written and not acked (their
// fate is unknown; the WebSocket API has no resend with deduplication).
// Queued messages stay for the next connection.
func (c *client) failWritten(k *conn, err error) {
	c.fail(k, err, true)
}

// failAll fails every message still pending on k.
func (c *client) failAll(k *conn, err error) {
	c.fail(k, err, false)
}

// fail removes k's pending messages (only the written ones when
// writtenOnly) and completes them with err outside k's lock.
func (c *client) fail(k *conn, err error, writtenOnly bool) {
	k.mu.Lock()
	out := k.scratch[:0]
	for _, m := range k.inflight {
		if !writtenOnly || m.state == stWritten {
			out = append(out, m)
		}
	}
	for _, m := range out {
		k.remove(m)
	}
	k.mu.Unlock()
	for _, m := range out {
		c.complete(m, messageID{}, false, err)
	}
	clear(out)
	k.mu.Lock()
	k.scratch = out[:0]
	k.mu.Unlock()
}

// expireLoop fails messages not acked within send_timeout of their Send.
func (c *client) expireLoop() {
	defer c.wg.Done()
	tick := min(max(c.timeout/10, time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	var out []*msg
	for {
		select {
		case <-t.C:
		case <-c.abort.Done():
			return
		case <-c.stop:
			return
		}
		now := time.Now()
		c.mu.Lock()
		conns := c.conns
		c.mu.Unlock()
		for _, k := range conns {
			out = out[:0]
			k.mu.Lock()
			for _, m := range k.inflight {
				if now.Sub(m.sent) >= c.timeout {
					out = append(out, m)
				}
			}
			for _, m := range out {
				k.remove(m)
			}
			k.mu.Unlock()
			for _, m := range out {
				c.complete(m, messageID{}, false, fmt.Errorf("pulsar-ws: topic %s: no ack within %v: %w", k.topic, c.timeout, producer.ErrSendTimeout))
			}
			clear(out)
		}
	}
}

// Flush waits until every message handed to Send so far has had its
// callback, or ctx ends (returning its error).
func (c *client) Flush(ctx context.Context) error { return c.pending.Wait(ctx) }

// Close refuses new messages, waits for the pending ones until ctx ends,
// then closes every connection (normally when nothing is pending) and
// fails what is still pending with producer.ErrClosed. No goroutine of
// the client is left when it returns. It returns ctx's error when the
// deadline cut pending messages off.
func (c *client) Close(ctx context.Context) error {
	if c.closed.Swap(true) {
		c.wg.Wait()
		return nil
	}
	ferr := c.pending.Wait(ctx)
	if ferr != nil {
		c.cancel()
	}
	close(c.stop)
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		c.cancel()
		<-done
	}
	c.cancel()
	return ferr
}

// Stats returns the counters so far: Records acknowledged, FailedRecords,
// Requests (ack frames received) and RequestErrors (send-error frames).
// Batches and bytes are the service's and stay zero.
func (c *client) Stats() producer.Stats {
	return producer.Stats{
		Records:       c.st.acked.Load(),
		FailedRecords: c.st.failed.Load(),
		Requests:      c.st.requests.Load(),
		RequestErrors: c.st.requestErrors.Load(),
	}
}

// Reconnects returns how many times a connection was re-established
// after a failure.
func (c *client) Reconnects() int64 { return c.st.reconnects.Load() }

// Unmatched returns how many ack frames could not be matched to a
// message (no or a foreign context, malformed): each failed its
// connection.
func (c *client) Unmatched() int64 { return c.st.unmatched.Load() }

// LateAcks returns how many acks arrived for messages already completed
// (timed out): ignored, so that nothing is counted twice.
func (c *client) LateAcks() int64 { return c.st.lateAcks.Load() }

// InFlight returns the messages sent and not yet acknowledged.
func (c *client) InFlight() int { return int(c.pending.Load()) }
