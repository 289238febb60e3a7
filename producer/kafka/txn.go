package kafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/prodbench/prodbench/producer"
)

var (
	_ producer.Idempotence  = (*Transport)(nil)
	_ producer.Transactions = (*Transport)(nil)
)

// DefaultTransactionTimeout is the transaction timeout InitProducerID
// sends when given none: Kafka's transaction.timeout.ms default.
const DefaultTransactionTimeout = 60 * time.Second

// Retry policy for CONCURRENT_TRANSACTIONS (51), which a transaction
// coordinator answers while it is still completing the previous
// transaction; Kafka's Java producer retries it the same way.
const (
	txnBackoffInitial = 10 * time.Millisecond
	txnBackoffMax     = 200 * time.Millisecond
)

// endTxnMaxVersion is the newest EndTxn version the transport sends. v5
// (KIP-890 part 2, "transaction version 2") makes the broker bump the
// producer epoch at the end of every transaction and return the new one,
// which producer.Transactions.EndTxn has no way to hand back; v4 and
// below keep the epoch from InitProducerID, as franz-go's own producer
// does against brokers without KIP-890 part 2.
const endTxnMaxVersion = 4

// txnClient returns the client for transaction coordinator requests,
// creating it on first use. It differs from the produce clients only in
// capping EndTxn at endTxnMaxVersion (kgo offers no per-request version
// pin); Options.ExtraOpts still apply after, so a user kgo.MaxVersions
// replaces the cap.
func (t *Transport) txnClient() (*kgo.Client, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if cl := t.txn.Load(); cl != nil {
		return cl, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed.Load() {
		return nil, ErrClosed
	}
	if cl := t.txn.Load(); cl != nil {
		return cl, nil
	}
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(int16(kmsg.EndTxn), endTxnMaxVersion)
	cl, err := t.newClient(producer.AcksAll, kgo.MaxVersions(vs))
	if err != nil {
		return nil, fmt.Errorf("kafka: transaction client: %w", err)
	}
	t.txn.Store(cl)
	return cl, nil
}

// txnCtx bounds ctx by Options.RequestTimeout when it has no deadline.
func (t *Transport) txnCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t.opts.RequestTimeout)
}

// retryConcurrent runs do until it returns something other than a
// CONCURRENT_TRANSACTIONS broker error, backing off between tries, or
// until ctx ends (returning the last error).
func retryConcurrent(ctx context.Context, do func() error) error {
	backoff := txnBackoffInitial
	for {
		err := do()
		var be *producer.BrokerError
		if !errors.As(err, &be) || be.Code != kerr.ConcurrentTransactions.Code {
			return err
		}
		timer := time.NewTimer(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return err
		}
		backoff = min(2*backoff, txnBackoffMax)
	}
}

// txnName describes a transactional ID for error messages.
func txnName(transactionalID string) string {
	if transactionalID == "" {
		return "idempotent producer"
	}
	return fmt.Sprintf("transactional ID %q", transactionalID)
}

// InitProducerID implements producer.Idempotence with an InitProducerID
// request (https://kafka.apache.org/protocol#The_Messages_InitProducerId,
// KIP-98). With transactionalID "" it asks any broker for a fresh
// idempotent producer ID (epoch 0). Otherwise kgo routes it to the
// transactional ID's transaction coordinator (found with FindCoordinator),
// which returns the ID registered for it with its epoch bumped, fencing
// any earlier producer with that ID and aborting its open transaction;
// txnTimeout (<= 0 means DefaultTransactionTimeout, 60s) is how long the
// coordinator lets a transaction stay open before aborting it, and must
// not exceed the broker's transaction.max.timeout.ms.
//
// A Kafka error is returned wrapping its *producer.BrokerError, e.g.
// INVALID_TRANSACTION_TIMEOUT (50) or TRANSACTIONAL_ID_AUTHORIZATION_FAILED
// (53); CONCURRENT_TRANSACTIONS (51) is retried until ctx (or, without a
// deadline, Options.RequestTimeout) ends.
func (t *Transport) InitProducerID(ctx context.Context, transactionalID string, txnTimeout time.Duration) (int64, int16, error) {
	cl, err := t.txnClient()
	if err != nil {
		return -1, -1, err
	}
	ctx, cancel := t.txnCtx(ctx)
	defer cancel()
	if txnTimeout <= 0 {
		txnTimeout = DefaultTransactionTimeout
	}
	var id int64 = -1
	var epoch int16 = -1
	err = retryConcurrent(ctx, func() error {
		req := kmsg.NewPtrInitProducerIDRequest()
		if transactionalID != "" {
			req.TransactionalID = kmsg.StringPtr(transactionalID)
		}
		req.TransactionTimeoutMillis = int32(min(txnTimeout.Milliseconds(), math.MaxInt32))
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return fmt.Errorf("kafka: InitProducerID for %s: %w", txnName(transactionalID), err)
		}
		if resp.ErrorCode != 0 {
			return fmt.Errorf("kafka: InitProducerID for %s: %w", txnName(transactionalID), brokerError(resp.ErrorCode))
		}
		id, epoch = resp.ProducerID, resp.ProducerEpoch
		return nil
	})
	if err != nil {
		return -1, -1, err
	}
	return id, epoch, nil
}

// AddPartitionsToTxn implements producer.Transactions with an
// AddPartitionsToTxn request
// (https://kafka.apache.org/protocol#The_Messages_AddPartitionsToTxn,
// v3 or below: the client form, before KIP-890 batching) that kgo sends to
// transactionalID's transaction coordinator. partitions maps topics to
// the partitions to add; adding one already in the transaction is a
// no-op. id and epoch are InitProducerID's.
//
// When some partition is refused the error names each failed
// topic/partition with its Kafka error and wraps the first
// *producer.BrokerError other than OPERATION_NOT_ATTEMPTED (55, which the
// coordinator sets on the partitions it skipped because another failed),
// e.g. PRODUCER_FENCED (90) or UNKNOWN_TOPIC_OR_PARTITION (3).
// CONCURRENT_TRANSACTIONS (51) is retried until ctx (or, without a
// deadline, Options.RequestTimeout) ends.
func (t *Transport) AddPartitionsToTxn(ctx context.Context, transactionalID string, id int64, epoch int16, partitions map[string][]int32) error {
	if transactionalID == "" {
		return errors.New("kafka: AddPartitionsToTxn: empty transactional ID")
	}
	cl, err := t.txnClient()
	if err != nil {
		return err
	}
	if len(partitions) == 0 {
		return nil
	}
	ctx, cancel := t.txnCtx(ctx)
	defer cancel()
	topics := make([]string, 0, len(partitions))
	for topic := range partitions {
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	return retryConcurrent(ctx, func() error {
		req := kmsg.NewPtrAddPartitionsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch = transactionalID, id, epoch
		for _, topic := range topics {
			rt := kmsg.NewAddPartitionsToTxnRequestTopic()
			rt.Topic = topic
			rt.Partitions = slices.Clone(partitions[topic])
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return fmt.Errorf("kafka: AddPartitionsToTxn for %s: %w", txnName(transactionalID), err)
		}
		return addPartitionsErr(transactionalID, partitions, topics, resp)
	})
}

// addPartitionsErr summarizes the per-partition errors of resp, an answer
// for partitions; it returns nil when every partition was added.
func addPartitionsErr(transactionalID string, partitions map[string][]int32, topics []string, resp *kmsg.AddPartitionsToTxnResponse) error {
	type tp struct {
		t string
		p int32
	}
	codes := make(map[tp]int16)
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			codes[tp{rt.Topic, rp.Partition}] = rp.ErrorCode
		}
	}
	var failed []string
	var cause, notAttempted error
	for _, topic := range topics {
		for _, p := range partitions[topic] {
			code, ok := codes[tp{topic, p}]
			if !ok && resp.ErrorCode != 0 {
				code, ok = resp.ErrorCode, true
			}
			switch {
			case !ok:
				failed = append(failed, fmt.Sprintf("%s/%d: no result", topic, p))
			case code == kerr.OperationNotAttempted.Code:
				notAttempted = brokerError(code)
				failed = append(failed, fmt.Sprintf("%s/%d: %v", topic, p, notAttempted))
			case code != 0:
				be := brokerError(code)
				if cause == nil {
					cause = be
				}
				failed = append(failed, fmt.Sprintf("%s/%d: %v", topic, p, be))
			}
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if cause == nil {
		cause = notAttempted
	}
	if cause == nil {
		cause = errors.New("incomplete response")
	}
	return fmt.Errorf("kafka: AddPartitionsToTxn for %s: %w (%s)", txnName(transactionalID), cause, strings.Join(failed, "; "))
}

// EndTxn implements producer.Transactions with an EndTxn request
// (https://kafka.apache.org/protocol#The_Messages_EndTxn, at most v4; see
// endTxnMaxVersion) to transactionalID's transaction coordinator: commit
// true commits the open transaction, false aborts it. The producer epoch
// stays the same for the next transaction. Ending a transaction twice the
// same way succeeds (the coordinator treats it as a retry).
//
// A Kafka error is returned wrapping its *producer.BrokerError, e.g.
// PRODUCER_FENCED (90) or INVALID_TXN_STATE (48);
// CONCURRENT_TRANSACTIONS (51) is retried until ctx (or, without a
// deadline, Options.RequestTimeout) ends.
func (t *Transport) EndTxn(ctx context.Context, transactionalID string, id int64, epoch int16, commit bool) error {
	if transactionalID == "" {
		return errors.New("kafka: EndTxn: empty transactional ID")
	}
	cl, err := t.txnClient()
	if err != nil {
		return err
	}
	ctx, cancel := t.txnCtx(ctx)
	defer cancel()
	what := "abort"
	if commit {
		what = "commit"
	}
	return retryConcurrent(ctx, func() error {
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = transactionalID, id, epoch, commit
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return fmt.Errorf("kafka: EndTxn (%s) for %s: %w", what, txnName(transactionalID), err)
		}
		if resp.ErrorCode != 0 {
			return fmt.Errorf("kafka: EndTxn (%s) for %s: %w", what, txnName(transactionalID), brokerError(resp.ErrorCode))
		}
		return nil
	})
}
