package franz

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/waitcount"
)

// txn runs the begin/produce/commit loop of a transactional Engine, as
// the native producer does: records go into the open transaction; it is
// committed after TransactionMaxMessages records or every
// TransactionInterval, whichever comes first, by flushing, ending it
// (commit, or abort if one of its records failed) and beginning the next.
// Callbacks are held until the end of their transaction: committed
// records get their Ack, records of an aborted transaction
// producer.ErrTxnAborted (or their own error).
type txn struct {
	e *Engine

	// mu is held shared by Send around Produce and exclusively by commit,
	// so that no record is produced between EndTransaction and
	// BeginTransaction.
	mu    sync.RWMutex
	err   error        // under mu: the next transaction could not begin
	count atomic.Int64 // records produced into the open transaction
	max   int64        // TransactionMaxMessages; 0 = no count limit

	unresolved waitcount.Counter // produced, promise not yet run

	parkMu sync.Mutex
	parked []*item // promise ran; waiting for the transaction's end
	failed error   // first failure among parked records: abort
	closed bool    // failParked ran: records are no longer parked
	spare  []*item

	kick     chan struct{}
	runCtx   context.Context
	stopRun  context.CancelFunc
	runDone  chan struct{}
	interval time.Duration
}

func startTxn(e *Engine) (*txn, error) {
	t := &txn{
		e:        e,
		max:      int64(e.cfg.TransactionMaxMessages),
		kick:     make(chan struct{}, 1),
		runDone:  make(chan struct{}),
		interval: e.cfg.TransactionInterval,
	}
	if err := e.cl.BeginTransaction(); err != nil {
		return nil, fmt.Errorf("franz: begin transaction: %w", err)
	}
	t.runCtx, t.stopRun = context.WithCancel(e.ctx)
	go t.run()
	return t, nil
}

// enter is called by Send before Produce; on nil it holds mu shared
// until leave.
func (t *txn) enter() error {
	t.mu.RLock()
	if t.err != nil {
		err := t.err
		t.mu.RUnlock()
		return err
	}
	t.unresolved.Add(1)
	return nil
}

// leave ends enter and asks for a commit when the count limit is reached.
func (t *txn) leave() {
	n := t.count.Add(1)
	t.mu.RUnlock()
	if t.max > 0 && n >= t.max {
		select {
		case t.kick <- struct{}{}:
		default:
		}
	}
}

// park keeps a record whose promise ran until its transaction ends.
func (t *txn) park(it *item) {
	t.parkMu.Lock()
	if t.closed {
		// A Send that raced Close: no transaction will end.
		t.parkMu.Unlock()
		t.unresolved.Add(-1)
		if it.res == nil {
			it.res = errNotCommitted
		}
		t.e.deliver(it)
		return
	}
	t.parked = append(t.parked, it)
	if it.res != nil && t.failed == nil {
		t.failed = it.res
	}
	t.parkMu.Unlock()
	t.unresolved.Add(-1)
}

// run commits on the interval and when kicked, until stop.
func (t *txn) run() {
	defer close(t.runDone)
	producer.CommitLoop(t.interval, t.kick, t.runCtx.Done(), func() { _ = t.commit(t.runCtx) })
}

// stop ends run, cutting short a commit in progress (its records stay
// parked for the final commit).
func (t *txn) stop() {
	t.stopRun()
	<-t.runDone
}

// commit ends the open transaction, delivers its callbacks and begins the
// next one. It returns ctx's error if the flush did not finish; the
// transaction then stays open.
func (t *txn) commit(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.count.Load() == 0 {
		return nil
	}
	if err := t.e.cl.Flush(ctx); err != nil {
		return err
	}
	if err := t.unresolved.Wait(ctx); err != nil {
		return err
	}
	t.parkMu.Lock()
	items, failed := t.parked, t.failed
	t.parked, t.failed, t.spare = t.spare[:0], nil, nil
	t.parkMu.Unlock()

	commit := failed == nil
	err := t.e.cl.EndTransaction(ctx, kgo.TransactionEndTry(commit))
	if commit && err != nil {
		// kgo: after a failed commit, retry with an abort.
		_ = t.e.cl.EndTransaction(ctx, kgo.TryAbort)
	}
	cause := failed
	if err != nil {
		cause = err
	}
	for _, it := range items {
		if it.res == nil && cause != nil {
			it.res = fmt.Errorf("%w: %v", producer.ErrTxnAborted, cause)
		}
		t.e.deliver(it)
	}
	clear(items)
	t.spare = items[:0]
	t.count.Store(0)
	if err := t.e.cl.BeginTransaction(); err != nil {
		t.err = fmt.Errorf("franz: begin transaction: %w", err)
	}
	return nil
}

// failParked fails the records left parked after the client closed.
func (t *txn) failParked() {
	_ = t.unresolved.Wait(context.Background())
	t.parkMu.Lock()
	items := t.parked
	t.parked, t.closed = nil, true
	t.parkMu.Unlock()
	for _, it := range items {
		if it.res == nil {
			it.res = errNotCommitted
		}
		t.e.deliver(it)
	}
}

// errNotCommitted fails the records whose transaction was still open when
// Close gave up on it.
var errNotCommitted = fmt.Errorf("%w: transaction not committed", producer.ErrClosed)
