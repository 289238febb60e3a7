package kafka_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/internal/kafkatest"
	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// These tests run the producer core (issue 3: retries, idempotence,
// transactions) through the Kafka transport against the embedded broker
// while kfake injects faults, then consume the log back and check what
// the callbacks reported against what the broker holds.

const (
	faultTopic      = "faults"
	faultPartitions = 4
	faultKeys       = 20
	faultRecords    = 2000
)

// nthRequest returns a kfake Fault.When filter that selects every nth
// distinct request after skipping the first skip. When runs on kfake's
// cluster goroutine, once per faulted entity, so decisions are cached per
// request.
func nthRequest(skip, n int) func(kmsg.Request) bool {
	var mu sync.Mutex
	var last kmsg.Request
	var decision bool
	seen := 0
	return func(r kmsg.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r != last {
			last = r
			seen++
			decision = seen > skip && (seen-skip)%n == 0
		}
		return decision
	}
}

// sent is what the producer reported for one record.
type sent struct {
	key, seq  int
	partition int32
	offset    int64
	err       error
	calls     int
	latency   time.Duration // from Send to the callback
}

// faultRun is one producer run's records and outcome.
type faultRun struct {
	mu   sync.Mutex
	recs []*sent // by value index
}

func recordValue(i int) string { return "v" + strconv.Itoa(i) }

// runProducer sends faultRecords records over faultKeys keys, each with a
// "seq" header counting that key's records, in bursts so that faults land
// mid-stream, then closes the producer.
func runProducer(t *testing.T, emb *kafka.Embedded, cfg producer.Config) (*faultRun, *producer.Producer) {
	t.Helper()
	p := newProducer(t, cfg, kafka.Options{
		Brokers: emb.Addrs(), Acks: cfg.Acks, TransactionalID: cfg.TransactionalID, RequestTimeout: 10 * time.Second,
	})
	run := &faultRun{recs: make([]*sent, faultRecords)}
	seqs := make([]int, faultKeys)
	for i := range faultRecords {
		k := i % faultKeys
		s := &sent{key: k, seq: seqs[k], partition: -1, offset: -1}
		start := time.Now()
		seqs[k]++
		run.recs[i] = s
		r := &producer.Record{
			Topic:   faultTopic,
			Key:     []byte("key-" + strconv.Itoa(k)),
			Value:   []byte(recordValue(i)),
			Headers: []producer.Header{{Key: "seq", Value: []byte(strconv.Itoa(s.seq))}},
		}
		p.Send(context.Background(), r, func(a producer.Ack, err error) {
			run.mu.Lock()
			defer run.mu.Unlock()
			s.calls++
			s.err = err
			s.latency = time.Since(start)
			if err == nil {
				s.partition, s.offset = a.Partition, a.Offset
			}
		})
		if i%50 == 49 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	for i, s := range run.recs {
		if s.calls != 1 {
			t.Fatalf("record %d: callback ran %d times, want exactly once", i, s.calls)
		}
	}
	return run, p
}

// consumeLog reads faultTopic from the start with isolation until it has
// at least min records, then until a poll brings nothing more.
func consumeLog(t *testing.T, addrs []string, iso kgo.IsolationLevel, min int) []*kgo.Record {
	t.Helper()
	return kafkatest.Consume(t, addrs, faultTopic, min, 30*time.Second, 500*time.Millisecond,
		kgo.FetchIsolationLevel(iso), kgo.FetchMaxWait(100*time.Millisecond))
}

// valueIndex parses a record value "v<i>".
func valueIndex(t *testing.T, r *kgo.Record) int {
	t.Helper()
	i, err := strconv.Atoi(string(r.Value[1:]))
	if err != nil || i < 0 || i >= faultRecords || r.Value[0] != 'v' {
		t.Fatalf("unexpected record value %q at %d@%d", r.Value, r.Partition, r.Offset)
	}
	return i
}

// checkAckedInLog checks that every acked record is in the log at the
// offset its ack reported (when the ack had one) and returns how many
// times each record appears.
func checkAckedInLog(t *testing.T, run *faultRun, log []*kgo.Record) []int {
	t.Helper()
	copies := make([]int, faultRecords)
	at := map[[2]int64]int{}
	for _, r := range log {
		i := valueIndex(t, r)
		copies[i]++
		at[[2]int64{int64(r.Partition), r.Offset}] = i
	}
	for i, s := range run.recs {
		if s.err != nil {
			continue
		}
		if copies[i] == 0 {
			t.Errorf("record %d (key %d seq %d) acked at %d@%d but not in the log", i, s.key, s.seq, s.partition, s.offset)
			continue
		}
		if s.offset >= 0 {
			if got, ok := at[[2]int64{int64(s.partition), s.offset}]; !ok || got != i {
				t.Errorf("record %d acked at %d@%d, where the log holds record %d (present %v)", i, s.partition, s.offset, got, ok)
			}
		}
	}
	return copies
}

// checkExactlyOnceInOrder checks the idempotent guarantees: every record
// acked, each in the log exactly once, and each key's records in the log
// in send order.
func checkExactlyOnceInOrder(t *testing.T, run *faultRun, log []*kgo.Record) {
	t.Helper()
	failed := 0
	for i, s := range run.recs {
		if s.err != nil {
			if failed++; failed <= 3 {
				t.Errorf("record %d failed: %v", i, s.err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d records lost (callback error)", failed, faultRecords)
	}
	copies := checkAckedInLog(t, run, log)
	for i, c := range copies {
		if c != 1 {
			t.Errorf("record %d appears %d times in the log, want once", i, c)
		}
	}
	next := make([]int, faultKeys) // next expected seq per key
	for _, r := range log {        // kgo returns each partition in offset order
		s := run.recs[valueIndex(t, r)]
		if h := r.Headers; len(h) != 1 || h[0].Key != "seq" || string(h[0].Value) != strconv.Itoa(s.seq) {
			t.Fatalf("record %q: headers %v, want seq=%d", r.Value, r.Headers, s.seq)
		}
		if s.seq != next[s.key] {
			t.Errorf("key %d: seq %d at %d@%d, want %d (order broken)", s.key, s.seq, r.Partition, r.Offset, next[s.key])
		}
		next[s.key] = s.seq + 1
	}
}

func faultConfig(idempotent bool) producer.Config {
	cfg := producer.DefaultConfig()
	cfg.Idempotent = idempotent
	cfg.Linger = 2 * time.Millisecond
	cfg.Retries = 10
	cfg.RetryBackoff = 20 * time.Millisecond
	cfg.MaxRetryBackoff = 200 * time.Millisecond
	return cfg
}

// faultCase installs a fault on the embedded broker and returns a count of
// the requests it hit.
type faultCase struct {
	name           string
	requestTimeout time.Duration // producer request timeout; 0 = default
	inject         func(c *kfake.Cluster) (hits func() int)
	// dupsWithoutIdempotence: the fault makes a non-idempotent producer
	// write duplicates (the broker appended before failing).
	dupsWithoutIdempotence bool
	// waited: the fault delays the answer without failing the request,
	// so nothing is retried and some record waits at least this long.
	waited time.Duration
}

// stall2s makes one produce request wait 2s at the broker.
func stall2s(c *kfake.Cluster) func() int {
	var hits atomic.Int32
	pick := nthRequest(4, 1)
	c.ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if hits.Load() == 0 && pick(kr) {
			hits.Add(1)
			c.SleepControl(func() { time.Sleep(2 * time.Second) })
			c.DropControl()
		}
		return nil, nil, false
	})
	return func() int { return int(hits.Load()) }
}

var faultCases = []faultCase{
	{ // the leader moved: rejected before the append, retried after a metadata refresh
		name: "not-leader",
		inject: func(c *kfake.Cluster) func() int {
			h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultTopic, Err: kerr.NotLeaderForPartition, Count: 8, When: nthRequest(2, 3)})
			return h.Hits
		},
	},
	{ // the broker appended, then answered REQUEST_TIMED_OUT: a retry is a duplicate
		name: "timeout-after-append",
		inject: func(c *kfake.Cluster) func() int {
			h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultTopic, Err: kerr.RequestTimedOut, Count: 8, When: nthRequest(2, 3)})
			return h.Hits
		},
		dupsWithoutIdempotence: true,
	},
	{ // the broker closes the connection instead of answering
		name: "dropped-connection",
		inject: func(c *kfake.Cluster) func() int {
			var hits atomic.Int32
			pick := nthRequest(2, 4)
			c.ControlKey(int16(kmsg.Produce), func(kr kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				if hits.Load() < 6 && pick(kr) {
					hits.Add(1)
					return nil, errors.New("injected connection drop"), true
				}
				return nil, nil, false
			})
			return func() int { return int(hits.Load()) }
		},
	},
	{ // one produce request waits 2s at the broker, past the 1s request timeout
		name:           "stall-2s",
		requestTimeout: time.Second,
		inject:         stall2s,
	},
	{ // the same stall within the request timeout: the producer waits it out
		name:   "stall-2s-waited",
		waited: 2 * time.Second,
		inject: stall2s,
	},
}

// checkWaited checks that a stall that did not fail requests delayed
// some record by about its length.
func checkWaited(t *testing.T, run *faultRun, stall time.Duration) {
	t.Helper()
	var longest time.Duration
	for _, s := range run.recs {
		longest = max(longest, s.latency)
	}
	if longest < stall*9/10 {
		t.Errorf("longest send-to-ack latency %v, want at least ~%v (the stall)", longest, stall)
	}
}

// faultCaseRun is one fault case's run: the broker, how often the fault
// fired, and the producer's records and outcome.
type faultCaseRun struct {
	fc   faultCase
	emb  *kafka.Embedded
	hits func() int
	run  *faultRun
	p    *producer.Producer
}

// eachFaultCase runs, in a parallel subtest per fault case, a producer,
// idempotent or not, on a new broker with the case's fault injected, fails
// the subtest if the fault never fired, and then calls check. tweak, when
// not nil, changes the producer's config first.
func eachFaultCase(t *testing.T, idempotent bool, tweak func(*producer.Config), check func(t *testing.T, r faultCaseRun)) {
	t.Parallel()
	for _, fc := range faultCases {
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			emb := startFaultBroker(t)
			hits := fc.inject(emb.Cluster())
			cfg := faultConfig(idempotent)
			if tweak != nil {
				tweak(&cfg)
			}
			if fc.requestTimeout > 0 {
				cfg.RequestTimeout = fc.requestTimeout
			}
			run, p := runProducer(t, emb, cfg)
			if hits() == 0 {
				t.Fatal("the fault never fired")
			}
			check(t, faultCaseRun{fc, emb, hits, run, p})
		})
	}
}

func TestFaultIdempotent(t *testing.T) {
	eachFaultCase(t, true, nil, checkIdempotentRun)
}

// TestFaultIdempotentPipelined is TestFaultIdempotent with batches of at
// most 3 records, so that each burst of runProducer leaves several
// batches of a partition in flight at once (pipelining): a fault then
// fails a batch while the partition's next ones are on their way, and the
// broker refuses those for their sequence (OUT_OF_ORDER_SEQUENCE_NUMBER).
// Every record must still be acked, once, in order.
func TestFaultIdempotentPipelined(t *testing.T) {
	eachFaultCase(t, true, func(c *producer.Config) { c.MaxBatchMessages = 3 }, func(t *testing.T, r faultCaseRun) {
		if st := r.p.Stats(); st.Pipelined == 0 {
			t.Errorf("no batch went while another of its partition was in flight: %+v", st)
		}
		checkIdempotentRun(t, r)
	})
}

// checkIdempotentRun checks an idempotent fault run: the fault made the
// producer retry (or wait, for a stall within the timeout), and the log
// holds every record exactly once, each key's in send order.
func checkIdempotentRun(t *testing.T, r faultCaseRun) {
	fc, emb, hits, run, p := r.fc, r.emb, r.hits, r.run, r.p
	if st := p.Stats(); fc.waited == 0 && st.Retries == 0 {
		t.Errorf("no retries after %d faults: %+v", hits(), st)
	} else if fc.waited > 0 {
		checkWaited(t, run, fc.waited)
	}
	log := consumeLog(t, emb.Addrs(), kgo.ReadUncommitted(), faultRecords)
	if len(log) != faultRecords {
		t.Errorf("log holds %d records, want %d", len(log), faultRecords)
	}
	checkExactlyOnceInOrder(t, run, log)
}

func TestFaultNotIdempotent(t *testing.T) {
	eachFaultCase(t, false, nil, func(t *testing.T, r faultCaseRun) {
		fc, emb, hits, run := r.fc, r.emb, r.hits, r.run
		acked := 0
		for _, s := range run.recs {
			if s.err == nil {
				acked++
			}
		}
		log := consumeLog(t, emb.Addrs(), kgo.ReadUncommitted(), acked)
		copies := checkAckedInLog(t, run, log)
		dups := 0
		for _, c := range copies {
			dups += max(c-1, 0)
		}
		t.Logf("%d faults: %d of %d acked, %d duplicates in the log", hits(), acked, faultRecords, dups)
		if fc.waited > 0 {
			checkWaited(t, run, fc.waited)
		}
		if fc.dupsWithoutIdempotence && dups == 0 {
			t.Error("no duplicates although the broker appended before failing: the fault did not bite")
		}
	})
}

// TestFaultTransactionAborted runs a transactional producer committing
// every 100 records while one produce request fails with a non-retriable
// error, which aborts its transaction: a read_committed consumer must see
// exactly the records whose callbacks reported success.
func TestFaultTransactionAborted(t *testing.T) {
	t.Parallel()
	emb := startFaultBroker(t)
	h := emb.Cluster().Fault(kfake.Fault{
		// Only partition 0's batch fails: the transaction's other batches
		// are written, so the abort has something to hide.
		Keys: []kmsg.Key{kmsg.Produce}, Topic: faultTopic, Partitions: []int32{0}, Err: kerr.InvalidRecord, Count: 1, When: nthRequest(10, 1),
	})
	cfg := faultConfig(true)
	cfg.TransactionalID = "prodbench-faults"
	cfg.TransactionMaxMessages = 100
	cfg.TransactionInterval = time.Second
	run, p := runProducer(t, emb, cfg)
	if h.Hits() != 1 {
		t.Fatalf("fault hit %d times, want 1", h.Hits())
	}
	committed, aborted := p.TxnStats()
	if committed == 0 || aborted == 0 {
		t.Errorf("%d transactions committed, %d aborted; want both", committed, aborted)
	}
	var ok, abortedRecs, other int
	for i, s := range run.recs {
		switch {
		case s.err == nil:
			ok++
		case errors.Is(s.err, producer.ErrTxnAborted):
			abortedRecs++
		default:
			if other++; other <= 3 {
				t.Logf("record %d failed: %v", i, s.err)
			}
		}
	}
	t.Logf("%d committed, %d aborted transactions; records: %d acked, %d aborted, %d failed", committed, aborted, ok, abortedRecs, other)
	if ok == 0 || abortedRecs+other == 0 {
		t.Fatalf("%d records acked, %d failed: the run did not exercise an abort", ok, abortedRecs+other)
	}
	log := consumeLog(t, emb.Addrs(), kgo.ReadCommitted(), ok)
	copies := checkAckedInLog(t, run, log)
	for i, s := range run.recs {
		if want := map[bool]int{true: 1, false: 0}[s.err == nil]; copies[i] != want {
			t.Errorf("record %d (callback error %v) appears %d times to read_committed, want %d", i, s.err, copies[i], want)
		}
	}
	// The aborted records were written, and are only hidden.
	all := consumeLog(t, emb.Addrs(), kgo.ReadUncommitted(), ok)
	if len(all) <= len(log) {
		t.Errorf("read_uncommitted sees %d records, read_committed %d: nothing was aborted in the log", len(all), len(log))
	}
}

func startFaultBroker(t *testing.T) *kafka.Embedded {
	t.Helper()
	return startBroker(t, kafka.EmbeddedOptions{Topics: map[string]int32{faultTopic: faultPartitions}, Retain: true})
}

// startBroker starts an embedded broker with opts, closed at the end of
// the test.
func startBroker(t *testing.T, opts kafka.EmbeddedOptions) *kafka.Embedded {
	t.Helper()
	return transporttest.Start(t, kafka.StartEmbedded, opts)
}

// newProducer returns a producer core with cfg on a Kafka transport with
// opts, the transport closed at the end of the test.
func newProducer(t *testing.T, cfg producer.Config, opts kafka.Options) *producer.Producer {
	t.Helper()
	tr, err := kafka.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	p, err := producer.New(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
