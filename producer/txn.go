package producer

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// txnState runs the transactional producer (KIP-98; kafkats
// transactionalId, kafka-producer-perf-test --transactional-id). A
// transaction begins with the first record after the previous one ended;
// each partition is added to it before its first batch; it ends every
// TransactionInterval or after TransactionMaxMessages records, by commit
// when every batch succeeded and by abort otherwise.
//
// Acknowledgements are held until the transaction ends: a record's
// callback reports success only once its transaction has committed, and
// ErrTxnAborted when it was aborted, so a read_committed consumer sees
// exactly the records reported as sent.
type txnState struct {
	p *Producer

	// mu is held for reading while a record is appended and for writing
	// while a transaction ends, so no record slips between the flush and
	// the commit.
	mu     sync.RWMutex
	open   atomic.Int64 // records appended in this transaction, not yet completed or held
	count  atomic.Int64 // records appended in this transaction
	failed atomic.Bool  // a batch of this transaction failed: abort
	gen    atomic.Int64 // transaction number, from 1

	addMu     sync.Mutex
	anyAdded  bool // any partition added (EndTxn is needed)
	heldMu    sync.Mutex
	held      []*batch
	kick      chan struct{}
	quit      chan struct{}
	loopDone  chan struct{}
	endMu     sync.Mutex // serializes commits
	stopOnce  sync.Once
	committed atomic.Int64 // transactions committed
	aborted   atomic.Int64 // transactions aborted
}

func newTxnState(p *Producer) *txnState {
	t := &txnState{p: p, kick: make(chan struct{}, 1), quit: make(chan struct{}), loopDone: make(chan struct{})}
	t.gen.Store(1)
	return t
}

// added counts one appended record and asks for a commit at
// TransactionMaxMessages.
func (t *txnState) added() {
	if m := t.p.cfg.TransactionMaxMessages; m > 0 && t.count.Add(1) >= int64(m) {
		select {
		case t.kick <- struct{}{}:
		default:
		}
	}
}

// loop ends transactions on the interval and on kicks.
func (t *txnState) loop() {
	defer close(t.loopDone)
	CommitLoop(t.p.cfg.TransactionInterval, t.kick, t.quit, func() { _ = t.commit(t.p.ctx) })
}

// CommitLoop calls commit every interval (never when interval is 0) and
// whenever kick receives, until stop is closed or receives: the loop
// that ends transactions on transaction_interval and, kicked, on
// transaction_max_messages, for the core and for engines that keep their
// own transactions.
func CommitLoop(interval time.Duration, kick, stop <-chan struct{}, commit func()) {
	var tick <-chan time.Time
	if interval > 0 {
		tk := time.NewTicker(interval)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		select {
		case <-tick:
		case <-kick:
		case <-stop:
			return
		}
		commit()
	}
}

func (t *txnState) stop() {
	t.stopOnce.Do(func() { close(t.quit) })
	<-t.loopDone
}

// addPartition adds ps to the open transaction before its first batch in
// it.
func (t *txnState) addPartition(ps *partState, id int64, epoch int16) error {
	gen := t.gen.Load()
	if ps.txnGen == gen {
		return nil
	}
	ctx, cancel := context.WithTimeout(t.p.ctx, t.p.cfg.RequestTimeout)
	defer cancel()
	tr := t.p.caps.Transactions
	if err := tr.AddPartitionsToTxn(ctx, t.p.cfg.TransactionalID, id, epoch, map[string][]int32{ps.topic.name: {ps.id}}); err != nil {
		return fmt.Errorf("producer: AddPartitionsToTxn %s/%d: %w", ps.topic.name, ps.id, err)
	}
	t.addMu.Lock()
	t.anyAdded = true
	t.addMu.Unlock()
	ps.txnGen = gen
	return nil
}

// hold keeps a successful batch until the transaction ends, and marks the
// transaction failed on an error. It reports whether it kept b.
func (t *txnState) hold(b *batch, err error) bool {
	t.open.Add(-int64(len(b.entries)))
	if err != nil {
		t.failed.Store(true)
		return false
	}
	t.heldMu.Lock()
	t.held = append(t.held, b)
	t.heldMu.Unlock()
	return true
}

// commit ends the open transaction: it stops appends, flushes every batch,
// waits until each is acknowledged or failed, then commits (or aborts if
// any failed) and releases the held acknowledgements.
func (t *txnState) commit(ctx context.Context) error {
	t.endMu.Lock()
	defer t.endMu.Unlock()
	p := t.p
	t.mu.Lock()
	defer t.mu.Unlock()
	p.flushing.Add(1)
	p.forEachPart(func(ps *partState) { ps.flushNow() })
	p.flushing.Add(-1)
	for t.open.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Microsecond):
		}
		p.forEachPart(func(ps *partState) { ps.flushNow() })
	}
	t.addMu.Lock()
	needEnd := t.anyAdded
	t.anyAdded = false
	t.addMu.Unlock()
	commit := !t.failed.Load()
	var endErr error
	if needEnd {
		id, epoch, _, err := p.pid.get(ctx, p)
		if err == nil {
			endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.RequestTimeout)
			err = p.caps.Transactions.EndTxn(endCtx, p.cfg.TransactionalID, id, epoch, commit)
			if err != nil && commit {
				endErr = fmt.Errorf("producer: commit failed, aborting: %w", err)
				commit = false
				_ = p.caps.Transactions.EndTxn(endCtx, p.cfg.TransactionalID, id, epoch, false)
			} else if err != nil {
				endErr = fmt.Errorf("producer: abort: %w", err)
			}
			cancel()
		} else {
			endErr, commit = err, false
		}
	}
	if commit {
		t.committed.Add(1)
	} else {
		t.aborted.Add(1)
		// The broker's sequence state for the aborted records is gone
		// with them: start the next transaction on a fresh epoch.
		p.pid.mu.Lock()
		p.pid.stale = true
		p.pid.mu.Unlock()
	}
	t.release(commit)
	t.failed.Store(false)
	t.count.Store(0)
	t.gen.Add(1)
	return endErr
}

// release delivers the held batches: success on commit, ErrTxnAborted
// otherwise.
func (t *txnState) release(commit bool) {
	t.heldMu.Lock()
	held := t.held
	t.held = nil
	t.heldMu.Unlock()
	var err error
	if !commit {
		err = ErrTxnAborted
	}
	for _, b := range held {
		t.p.deliver(b, err)
	}
}

// abortHeld fails the held batches after Close gave up on a commit.
func (t *txnState) abortHeld() { t.release(false) }

// TxnStats returns the number of transactions committed and aborted, or
// zeros for a producer that is not transactional.
func (p *Producer) TxnStats() (committed, aborted int64) {
	if p.txn == nil {
		return 0, 0
	}
	return p.txn.committed.Load(), p.txn.aborted.Load()
}
