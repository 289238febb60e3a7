package kafka

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/internal/kafkatest"
	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
)

// brokerCode returns the Kafka error code err wraps, or 0.
func brokerCode(err error) int16 {
	var be *producer.BrokerError
	if errors.As(err, &be) {
		return be.Code
	}
	return 0
}

func TestCreateTopic(t *testing.T) {
	t.Parallel()
	e, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{"exists": 2}, DefaultPartitions: 7})
	e.Cluster().Fault(kfake.Fault{
		Keys:  []kmsg.Key{kmsg.CreateTopics},
		Topic: "denied",
		Err:   kerr.TopicAuthorizationFailed,
		Count: -1,
	})
	for _, tc := range []struct {
		topic     string
		parts     int32
		wantParts int32 // partition count afterwards; 0 when creation fails
		wantCode  int16 // Kafka error code of the refusal
	}{
		{"fresh", 3, 3, 0},     // a new topic gets the partitions asked for
		{"exists", 5, 2, 0},    // an existing topic is not an error and keeps its partitions
		{"defaulted", 0, 7, 0}, // 0 partitions means the broker's default
		{"denied", 1, 0, kerr.TopicAuthorizationFailed.Code}, // a refusal names topic, broker and error
	} {
		err := tr.CreateTopic(ctx, tc.topic, tc.parts)
		if tc.wantCode != 0 {
			if brokerCode(err) != tc.wantCode {
				t.Errorf("CreateTopic(%q): %v, want Kafka error %d", tc.topic, err, tc.wantCode)
			} else if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("%q", tc.topic)) || !strings.Contains(msg, "broker 0 (") {
				t.Errorf("CreateTopic(%q): %q does not name the topic and broker", tc.topic, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("CreateTopic(%q, %d): %v", tc.topic, tc.parts, err)
			continue
		}
		if n, err := tr.Partitions(ctx, tc.topic); err != nil || n != tc.wantParts {
			t.Errorf("after CreateTopic(%q, %d): Partitions = %d, %v; want %d", tc.topic, tc.parts, n, err, tc.wantParts)
		}
	}
	if err := tr.CreateTopic(ctx, "", 1); err == nil {
		t.Error("CreateTopic with an empty name succeeded")
	}
	tr.Close()
	if err := tr.CreateTopic(ctx, "late", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("CreateTopic after Close: %v", err)
	}
}

func TestInitProducerID(t *testing.T) {
	t.Parallel()
	e, tr, ctx := startTransport(t, EmbeddedOptions{})

	id1, ep1, err := tr.InitProducerID(ctx, "", 0)
	if err != nil || id1 < 0 || ep1 != 0 {
		t.Fatalf("idempotent InitProducerID = %d, %d, %v; want an ID, epoch 0", id1, ep1, err)
	}
	id2, _, err := tr.InitProducerID(ctx, "", 0)
	if err != nil || id2 == id1 {
		t.Fatalf("second idempotent InitProducerID = %d, %v; want a new ID (first %d)", id2, err, id1)
	}

	tid, tep, err := tr.InitProducerID(ctx, "txn-a", 10*time.Second)
	if err != nil || tid < 0 {
		t.Fatalf("transactional InitProducerID: %d, %d, %v", tid, tep, err)
	}
	// Initializing the same transactional ID again fences the first:
	// same ID, next epoch.
	tid2, tep2, err := tr.InitProducerID(ctx, "txn-a", 10*time.Second)
	if err != nil || tid2 != tid || tep2 != tep+1 {
		t.Fatalf("re-init = %d, %d, %v; want %d, %d", tid2, tep2, err, tid, tep+1)
	}
	err = tr.EndTxn(ctx, "txn-a", tid, tep, true)
	if code := brokerCode(err); code != kerr.ProducerFenced.Code && code != kerr.InvalidProducerEpoch.Code {
		t.Errorf("EndTxn with the fenced epoch: %v, want PRODUCER_FENCED", err)
	}

	// kfake's transaction.max.timeout.ms is Kafka's 15 minutes.
	if _, _, err := tr.InitProducerID(ctx, "txn-b", time.Hour); brokerCode(err) != kerr.InvalidTransactionTimeout.Code {
		t.Errorf("1h transaction timeout: %v, want INVALID_TRANSACTION_TIMEOUT", err)
	} else if !strings.Contains(err.Error(), `"txn-b"`) {
		t.Errorf("error %q does not name the transactional ID", err)
	}

	// CONCURRENT_TRANSACTIONS is retried.
	h := e.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.InitProducerID}, TxnID: "txn-c", Err: kerr.ConcurrentTransactions, Count: 2})
	if _, _, err := tr.InitProducerID(ctx, "txn-c", 0); err != nil || h.Hits() != 2 {
		t.Errorf("InitProducerID through 2 CONCURRENT_TRANSACTIONS: %v after %d faults", err, h.Hits())
	}

	tr.Close()
	if _, _, err := tr.InitProducerID(ctx, "", 0); !errors.Is(err, ErrClosed) {
		t.Errorf("InitProducerID after Close: %v", err)
	}
}

// txnProbe records what transactional requests looked like on the wire.
type txnProbe struct {
	mu          sync.Mutex
	txnIDs      []string // ProduceRequest.TransactionID, "" for nil
	attrs       []int16  // RecordBatch attributes of every produced batch
	endVersions []int16  // EndTxn request versions
}

func probeTxn(c *kfake.Cluster) *txnProbe {
	p := new(txnProbe)
	c.ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kr.(*kmsg.ProduceRequest)
		p.mu.Lock()
		defer p.mu.Unlock()
		id := ""
		if req.TransactionID != nil {
			id = *req.TransactionID
		}
		p.txnIDs = append(p.txnIDs, id)
		for _, rt := range req.Topics {
			for _, rp := range rt.Partitions {
				if len(rp.Records) >= BatchHeaderSize {
					p.attrs = append(p.attrs, int16(binary.BigEndian.Uint16(rp.Records[wire.OffAttributes:])))
				}
			}
		}
		return nil, nil, false
	})
	c.ControlKey(int16(kmsg.EndTxn), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		p.mu.Lock()
		p.endVersions = append(p.endVersions, kr.GetVersion())
		p.mu.Unlock()
		return nil, nil, false
	})
	return p
}

// consumeValues reads topic from the start with isolation until it has
// want records, then until a brief poll brings nothing more to catch
// extras, and returns the values in offset order per partition (one
// partition here).
func consumeValues(t *testing.T, addrs []string, topic string, iso kgo.IsolationLevel, want int) []string {
	t.Helper()
	var got []string
	for _, r := range kafkatest.Consume(t, addrs, topic, want, 20*time.Second, 300*time.Millisecond,
		kgo.FetchIsolationLevel(iso), kgo.FetchMaxWait(100*time.Millisecond)) {
		got = append(got, string(r.Value))
	}
	return got
}

func TestTransactions(t *testing.T) {
	t.Parallel()
	const topic, txnID = "txn", "bench-txn"
	e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{topic: 1, "other": 1}, Retain: true})
	probe := probeTxn(e.Cluster())
	tr := newTransport(t, e, producer.AcksAll, func(o *Options) { o.TransactionalID = txnID })
	ctx := testCtx(t)
	id, epoch, err := tr.InitProducerID(ctx, txnID, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	seq := int32(0)
	var committed, all []string
	// runTxn produces n records in one transaction and ends it.
	runTxn := func(name string, n int, commit bool) {
		t.Helper()
		if err := tr.AddPartitionsToTxn(ctx, txnID, id, epoch, map[string][]int32{topic: {0}}); err != nil {
			t.Fatalf("%s: AddPartitionsToTxn: %v", name, err)
		}
		recs := make([]*producer.Record, n)
		var vals []string
		for i := range recs {
			v := fmt.Sprintf("%s-%d", name, i)
			recs[i] = &producer.Record{Value: []byte(v)}
			vals = append(vals, v)
		}
		b := encodeBatch(topic, 0, 1000, 1, recs)
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = id, epoch, seq
		if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil || b.Err != nil {
			t.Fatalf("%s: produce: %v / %v", name, err, b.Err)
		}
		seq += int32(n)
		if err := tr.EndTxn(ctx, txnID, id, epoch, commit); err != nil {
			t.Fatalf("%s: EndTxn(commit %v): %v", name, commit, err)
		}
		all = append(all, vals...)
		if commit {
			committed = append(committed, vals...)
		}
	}
	runTxn("one", 3, true)
	runTxn("two", 2, false)
	// CONCURRENT_TRANSACTIONS from the coordinator is retried.
	h := e.Cluster().Fault(
		kfake.Fault{Keys: []kmsg.Key{kmsg.AddPartitionsToTxn}, TxnID: txnID, Err: kerr.ConcurrentTransactions},
		kfake.Fault{Keys: []kmsg.Key{kmsg.EndTxn}, TxnID: txnID, TopLevel: true, Err: kerr.ConcurrentTransactions, Count: 2},
	)
	runTxn("three", 4, true)
	if h.Hits() != 3 {
		t.Errorf("%d CONCURRENT_TRANSACTIONS faults hit, want 3", h.Hits())
	}

	if got := consumeValues(t, e.Addrs(), topic, kgo.ReadCommitted(), len(committed)); strings.Join(got, ",") != strings.Join(committed, ",") {
		t.Errorf("read_committed sees %v, want %v", got, committed)
	}
	if got := consumeValues(t, e.Addrs(), topic, kgo.ReadUncommitted(), len(all)); strings.Join(got, ",") != strings.Join(all, ",") {
		t.Errorf("read_uncommitted sees %v, want %v", got, all)
	}

	probe.mu.Lock()
	for i, id := range probe.txnIDs {
		if id != txnID {
			t.Errorf("produce request %d: TransactionalID %q, want %q", i, id, txnID)
		}
	}
	for i, a := range probe.attrs {
		if a&wire.AttrTransactional == 0 {
			t.Errorf("batch %d: attributes %#x lack the transactional bit", i, a)
		}
	}
	for _, v := range probe.endVersions {
		if v > endTxnMaxVersion {
			t.Errorf("EndTxn sent as v%d, want <= v%d", v, endTxnMaxVersion)
		}
	}
	if len(probe.txnIDs) != 3 || len(probe.endVersions) < 3 {
		t.Errorf("saw %d produce and %d EndTxn requests, want 3 and >= 3", len(probe.txnIDs), len(probe.endVersions))
	}
	probe.mu.Unlock()

	// A refused partition is named, with its Kafka error.
	e.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.AddPartitionsToTxn}, Topic: "other", Err: kerr.TopicAuthorizationFailed})
	err = tr.AddPartitionsToTxn(ctx, txnID, id, epoch, map[string][]int32{topic: {0}, "other": {0}})
	if brokerCode(err) != kerr.TopicAuthorizationFailed.Code || !strings.Contains(err.Error(), "other/0") {
		t.Errorf("refused AddPartitionsToTxn: %v, want TOPIC_AUTHORIZATION_FAILED naming other/0", err)
	}
	if err := tr.AddPartitionsToTxn(ctx, "", id, epoch, map[string][]int32{topic: {0}}); err == nil {
		t.Error("AddPartitionsToTxn with an empty transactional ID succeeded")
	}
	if err := tr.EndTxn(ctx, "", id, epoch, true); err == nil {
		t.Error("EndTxn with an empty transactional ID succeeded")
	}
}

// idempotentSender starts a broker with topic (one partition) and an
// idempotent producer ID on a transport to it; send produces a batch of
// two records to partition 0 with base sequence seq and fails t if the
// request fails.
func idempotentSender(t *testing.T, topic string) (e *Embedded, send func(seq int32) *producer.Batch) {
	t.Helper()
	e, tr, ctx := startTransport(t, EmbeddedOptions{Topics: map[string]int32{topic: 1}})
	id, epoch, err := tr.InitProducerID(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return e, func(seq int32) *producer.Batch {
		t.Helper()
		b := encodeBatch(topic, 0, 1, 1, makeRecords(0, 2))
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = id, epoch, seq
		if err := tr.Produce(ctx, 0, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func TestProduceIdempotentErrors(t *testing.T) {
	t.Parallel()
	const topic = "idem-errs"
	e, send := idempotentSender(t, topic)
	if b := send(0); b.Err != nil || b.FirstPosition() != 0 {
		t.Fatalf("seq 0: %v, base %d", b.Err, b.FirstPosition())
	}
	// A resend of an appended batch is deduplicated: the broker answers
	// with the original offset and appends nothing.
	if b := send(0); b.Err != nil || b.FirstPosition() != 0 {
		t.Fatalf("resent seq 0: %v, base %d; want the original offset 0", b.Err, b.FirstPosition())
	}
	if b := send(2); b.Err != nil || b.FirstPosition() != 2 {
		t.Fatalf("seq 2: %v, base %d; want offset 2 (the resend appended nothing)", b.Err, b.FirstPosition())
	}
	for _, tc := range []struct {
		code      *kerr.Error
		name      string
		retriable bool
	}{
		{kerr.OutOfOrderSequenceNumber, "OUT_OF_ORDER_SEQUENCE_NUMBER", false},        // a sequence gap
		{kerr.InvalidProducerEpoch, "INVALID_PRODUCER_EPOCH", false},                  // a fenced producer
		{kerr.NotEnoughReplicasAfterAppend, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true}, // appended, then failed
	} {
		e.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: tc.code})
		b := send(4)
		var be *producer.BrokerError
		if !errors.As(b.Err, &be) || be.Code != tc.code.Code || be.Name != tc.name || be.Retriable != tc.retriable {
			t.Errorf("fault %s: Err %v, want *producer.BrokerError %d %s retriable %v", tc.name, b.Err, tc.code.Code, tc.name, tc.retriable)
		}
	}
}

// TestProduceDuplicateIsSuccess: DUPLICATE_SEQUENCE_NUMBER on an
// idempotent batch (older brokers' answer to a resend of a batch they
// have) is a success with no positions: the transport says so, not the
// core.
func TestProduceDuplicateIsSuccess(t *testing.T) {
	t.Parallel()
	const topic = "dup"
	e, send := idempotentSender(t, topic)
	e.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.DuplicateSequenceNumber})
	b := send(0)
	if b.Err != nil || len(b.Positions) != 0 {
		t.Fatalf("duplicate: err %v, positions %v; want success with none", b.Err, b.Positions)
	}
}

func TestSupportsCodec(t *testing.T) {
	t.Parallel()
	tr := &Transport{}
	for _, c := range producer.Codecs {
		want := c != producer.CodecZlib
		if got := supportsCodec(tr, c); got != want {
			t.Errorf("SupportsCodec(%v) = %v, want %v", c, got, want)
		}
	}
	if supportsCodec(tr, 5) || supportsCodec(tr, -1) {
		t.Error("SupportsCodec accepts a codec Kafka does not have")
	}
}

// TestMultiBrokerRouting checks that kgo routes the transport's admin and
// transaction requests on a three-broker cluster: CreateTopics to the
// controller, InitProducerID, AddPartitionsToTxn and EndTxn to the
// transactional ID's coordinator (kfake answers NOT_CONTROLLER or
// NOT_COORDINATOR elsewhere), and Produce to each partition's leader.
func TestMultiBrokerRouting(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	// A transactional ID whose coordinator is not the first broker.
	txnID := ""
	for i := range 100 {
		if id := fmt.Sprintf("routed-%d", i); c.CoordinatorFor(id) != 0 {
			txnID = id
			break
		}
	}
	if txnID == "" {
		t.Fatal("no transactional ID maps to a coordinator other than broker 0")
	}
	var mu sync.Mutex
	nodes := map[int16]map[int32]bool{} // request key → brokers that served one
	c.Control(func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		if nodes[kr.Key()] == nil {
			nodes[kr.Key()] = map[int32]bool{}
		}
		nodes[kr.Key()][c.CurrentNode()] = true
		mu.Unlock()
		return nil, nil, false
	})
	tr, err := New(testCtx(t), Options{Brokers: c.ListenAddrs()[:1], Acks: producer.AcksAll, TransactionalID: txnID, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	ctx := testCtx(t)
	const topic = "routed"
	if err := tr.CreateTopic(ctx, topic, 6); err != nil {
		t.Fatal(err)
	}
	id, epoch, err := tr.InitProducerID(ctx, txnID, 0)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]int32{topic: {0, 1, 2, 3, 4, 5}}
	if err := tr.AddPartitionsToTxn(ctx, txnID, id, epoch, parts); err != nil {
		t.Fatal(err)
	}
	leaders := map[int32]bool{}
	for p := int32(0); p < 6; p++ {
		leader, err := tr.Leader(ctx, topic, p)
		if err != nil {
			t.Fatal(err)
		}
		if want := c.LeaderFor(topic, p); leader != want {
			t.Errorf("Leader(%d) = %d, kfake says %d", p, leader, want)
		}
		leaders[leader] = true
		b := encodeBatch(topic, p, 1, 1, makeRecords(p, 2))
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = id, epoch, 0
		if err := tr.Produce(ctx, leader, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil || b.Err != nil {
			t.Fatalf("produce to %d/%d on broker %d: %v / %v", p, p, leader, err, b.Err)
		}
	}
	if err := tr.EndTxn(ctx, txnID, id, epoch, true); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	coord := c.CoordinatorFor(txnID)
	for _, key := range []kmsg.Key{kmsg.InitProducerID, kmsg.AddPartitionsToTxn, kmsg.EndTxn} {
		if got := nodes[int16(key)]; !got[coord] {
			t.Errorf("%v served by brokers %v, never by the coordinator %d", key, got, coord)
		}
	}
	if len(nodes[int16(kmsg.CreateTopics)]) == 0 {
		t.Error("no CreateTopics request seen")
	}
	if len(leaders) < 2 || len(nodes[int16(kmsg.Produce)]) != len(leaders) {
		t.Errorf("produce requests served by %v, leaders %v", nodes[int16(kmsg.Produce)], leaders)
	}
}
