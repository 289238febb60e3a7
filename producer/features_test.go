package producer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// collect sends n records (keys k<i>) and returns callback errors by
// record index once every callback has run.
func collect(t *testing.T, p *Producer, n int, mk func(i int) *Record) []error {
	t.Helper()
	errs := make([]error, n)
	sendEach(t, p, n, mk, false, func(i int, _ Ack, err error) { errs[i] = err })
	return errs
}

// eachBool runs f as parallel subtests "<name>=true" and "<name>=false".
func eachBool(t *testing.T, name string, f func(t *testing.T, v bool)) {
	t.Parallel()
	for _, v := range []bool{true, false} {
		t.Run(fmt.Sprint(name, "=", v), func(t *testing.T) {
			t.Parallel()
			f(t, v)
		})
	}
}

func keyed(topic string) func(i int) *Record {
	return func(i int) *Record {
		return &Record{Topic: topic, Key: []byte(fmt.Sprintf("k%05d", i)), Value: []byte("v")}
	}
}

func TestRetriesRecoverRetriableErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		err        error
		failCalls  int // requests failing with err
		retries    int
		wantFailed int
		wantKind   string
	}{
		// A retriable broker error on the first two requests is retried away.
		{"retriable", &SystemError{Kind: "broker:NOT_LEADER_OR_FOLLOWER", Retriable: true, Metadata: true}, 2, 5, 0, ""},
		// A non-retriable error fails at once, with no retry.
		{"fatal", &SystemError{Kind: "broker:MESSAGE_TOO_LARGE"}, 1, 5, 10, "broker:MESSAGE_TOO_LARGE"},
		// Retries run out: the last error is reported.
		{"exhausted", &SystemError{Kind: "broker:REQUEST_TIMED_OUT", Retriable: true}, 100, 2, 10, "broker:REQUEST_TIMED_OUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFeat(1)
			var attempts atomic.Int32
			f.inject = func(call int, b *Batch) (error, error) {
				attempts.Add(1)
				if call <= tc.failCalls {
					return tc.err, nil
				}
				return nil, nil
			}
			cfg := DefaultConfig()
			cfg.Linger = time.Hour
			cfg.MaxBatchMessages = 10
			cfg.Retries = tc.retries
			cfg.RetryBackoff, cfg.MaxRetryBackoff = time.Millisecond, 4*time.Millisecond
			p := newTest(t, cfg, f.fakeTransport)
			p.tr = f
			errs := collect(t, p, 10, keyed("t"))
			failed := 0
			for _, err := range errs {
				if err != nil {
					failed++
					if k := ErrorKind(err); k != tc.wantKind {
						t.Fatalf("kind %q, want %q (%v)", k, tc.wantKind, err)
					}
				}
			}
			if failed != tc.wantFailed {
				t.Fatalf("%d failed, want %d", failed, tc.wantFailed)
			}
			wantAttempts := int32(min(tc.failCalls, tc.retries+1))
			if tc.wantFailed == 0 {
				wantAttempts = int32(tc.failCalls + 1)
			}
			if got := attempts.Load(); got != wantAttempts {
				t.Fatalf("%d attempts, want %d", got, wantAttempts)
			}
		})
	}
}

func TestLeaderChangeRefreshesMetadata(t *testing.T) {
	t.Parallel()
	f := newFeat(2)
	f.brokers = 2
	moved := atomic.Bool{}
	f.inject = func(call int, b *Batch) (error, error) {
		if b.Partition == 1 && !moved.Load() {
			// The leader of partition 1 moves to broker 0.
			f.leaders[1] = 0
			moved.Store(true)
			return &SystemError{Kind: "broker:NOT_LEADER_OR_FOLLOWER", Retriable: true, Metadata: true}, nil
		}
		return nil, nil
	}
	cfg := DefaultConfig()
	cfg.RetryBackoff, cfg.MaxRetryBackoff = time.Millisecond, time.Millisecond
	p := newTest(t, cfg, f)
	errs := collect(t, p, 20, func(i int) *Record {
		return &Record{Topic: "t", Partition: int32(i % 2), UsePartition: true, Value: []byte("v")}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.fmu.Lock()
	refreshed := f.refresh
	f.fmu.Unlock()
	if refreshed == 0 {
		t.Fatal("no metadata refresh after NOT_LEADER_OR_FOLLOWER")
	}
	ts := (*p.topics.Load())["t"]
	ts.parts[1].mu.Lock()
	leader := ts.parts[1].sender.id
	ts.parts[1].mu.Unlock()
	if leader != 0 {
		t.Fatalf("partition 1 still sent to broker %d after the leader moved to 0", leader)
	}
}

// TestIdempotentLostAnswer: the broker appends a batch but the answer is
// lost; the resend is byte-identical, the broker reports it as a duplicate
// and the producer takes that as success: no loss, no duplicate, order
// kept.
func TestIdempotentLostAnswer(t *testing.T) {
	eachBool(t, "idempotent", func(t *testing.T, idem bool) {
		f := newFeat(3)
		f.inject = func(call int, b *Batch) (error, error) {
			if call%4 == 2 {
				return nil, &SystemError{Kind: "connection", Retriable: true, Metadata: true, Err: errors.New("connection reset after append")}
			}
			return nil, nil
		}
		cfg := DefaultConfig()
		cfg.Idempotent = idem
		cfg.Linger = time.Millisecond
		cfg.MaxBatchMessages = 7
		cfg.RetryBackoff, cfg.MaxRetryBackoff = time.Millisecond, 2*time.Millisecond
		p := newTest(t, cfg, f)
		const n = 600
		errs := collect(t, p, n, keyed("t"))
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		dups := 0
		for part := int32(0); part < 3; part++ {
			last := ""
			for _, k := range f.logKeys(part) {
				seen[k]++
				if seen[k] > 1 {
					dups++
					continue
				}
				if k <= last {
					t.Fatalf("partition %d: %s after %s: order broken", part, k, last)
				}
				last = k
			}
		}
		if len(seen) != n {
			t.Fatalf("%d distinct records in the log, want %d", len(seen), n)
		}
		if idem && dups != 0 {
			t.Fatalf("%d duplicates with the idempotent producer", dups)
		}
		if !idem && dups == 0 {
			t.Fatal("no duplicates without idempotence: the lost answers were not exercised")
		}
	})
}

func TestTransactionsHoldAcksUntilCommit(t *testing.T) {
	t.Parallel()
	f := newFeat(2)
	var failOnce atomic.Bool
	f.inject = func(call int, b *Batch) (error, error) {
		// One batch fails for good in the middle of the run: its
		// transaction must abort.
		if call == 12 && failOnce.CompareAndSwap(false, true) {
			return &SystemError{Kind: "broker:MESSAGE_TOO_LARGE"}, nil
		}
		return nil, nil
	}
	cfg := DefaultConfig()
	cfg.TransactionalID = "tx-test"
	cfg.TransactionMaxMessages = 50
	cfg.TransactionInterval = 20 * time.Millisecond // commits the last, partial transaction
	cfg.Linger = time.Millisecond
	cfg.MaxBatchMessages = 10
	p, err := New(cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	errs := collect(t, p, n, keyed("t"))
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	committed, aborted := p.TxnStats()
	if committed == 0 || aborted != 1 {
		t.Fatalf("committed %d aborted %d, want some and 1", committed, aborted)
	}
	ok := map[string]bool{}
	var kinds = map[string]int{}
	for i, err := range errs {
		if err == nil {
			ok[fmt.Sprintf("k%05d", i)] = true
		} else {
			kinds[ErrorKind(err)]++
		}
	}
	// The failed batch holds 1 to 10 records (linger may seal it before
	// max_batch_messages); later batches of its partition in the same
	// transaction may fail OUT_OF_ORDER_SEQUENCE_NUMBER before the abort.
	// Every other record of the aborted transaction is ErrTxnAborted;
	// there may be none: a transaction can end (at 50 records counted
	// or at the interval) when the failed batch is its only one, which
	// 14 runs of 300 did. That no record
	// of the aborted transaction is reported sent is what the log check
	// below proves.
	tl := kinds["broker:MESSAGE_TOO_LARGE"]
	if tl < 1 || tl > 10 || len(kinds) > 1+min(kinds["txn_aborted"], 1)+min(kinds["fake:out_of_order_sequence"], 1) {
		t.Fatalf("failure kinds %v", kinds)
	}
	// The committed log holds exactly the records reported as sent.
	inLog := map[string]bool{}
	for part := int32(0); part < 2; part++ {
		for _, k := range f.logKeys(part) {
			if inLog[k] {
				t.Fatalf("%s twice in the log", k)
			}
			inLog[k] = true
		}
	}
	if len(inLog) != len(ok) {
		t.Fatalf("log holds %d records, %d were reported sent", len(inLog), len(ok))
	}
	for k := range ok {
		if !inLog[k] {
			t.Fatalf("%s reported sent but not committed", k)
		}
	}
}

func TestQueueFullBlockOrFail(t *testing.T) {
	eachBool(t, "block", func(t *testing.T, block bool) {
		f := newStalledFake(1)
		cfg := DefaultConfig()
		cfg.MaxPendingMessages, cfg.BlockIfQueueFull, cfg.Linger = 10, block, 0
		p := newTest(t, cfg, f)
		var full atomic.Int32
		var done atomic.Int32
		for i := 0; i < 10; i++ {
			p.Send(context.Background(), &Record{Topic: "t", Value: []byte("v")}, func(Ack, error) { done.Add(1) })
		}
		returned := make(chan time.Duration, 1)
		start := time.Now()
		go func() {
			p.Send(context.Background(), &Record{Topic: "t", Value: []byte("v")}, func(a Ack, err error) {
				if errors.Is(err, ErrQueueFull) {
					full.Add(1)
				}
				done.Add(1)
			})
			returned <- time.Since(start)
		}()
		if !block {
			// The broker is stalled, so the 11th Send can only
			// return by failing: no wall-clock bound needed.
			if el := <-returned; full.Load() != 1 {
				t.Fatalf("11th send: returned after %v, queue-full errors %d; want ErrQueueFull while the broker stalls", el, full.Load())
			}
			close(f.stallCh)
			return
		}
		select {
		case el := <-returned:
			t.Fatalf("11th send returned after %v while the queue was full", el)
		case <-time.After(150 * time.Millisecond):
		}
		close(f.stallCh) // the broker answers: room frees up
		if el := <-returned; el < 150*time.Millisecond {
			t.Fatalf("blocked send returned after %v", el)
		}
		if err := p.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if done.Load() != 11 || full.Load() != 0 {
			t.Fatalf("done %d full %d", done.Load(), full.Load())
		}
		// The 11th Send waited for room once; the first 10 never did.
		if n := p.PendingWaits(); n != 1 {
			t.Fatalf("PendingWaits = %d, want 1", n)
		}
	})
}

func TestSendTimeoutCounted(t *testing.T) {
	t.Parallel()
	f := newStalledFake(1)
	cfg := DefaultConfig()
	cfg.SendTimeout, cfg.RequestTimeout = 100*time.Millisecond, 10*time.Second
	p := newTest(t, cfg, f)
	start := time.Now()
	errs := collect(t, p, 20, keyed("t"))
	el := time.Since(start)
	for _, err := range errs {
		if ErrorKind(err) != "send_timeout" {
			t.Fatalf("error %v (kind %q), want send_timeout", err, ErrorKind(err))
		}
	}
	if el < 90*time.Millisecond {
		t.Fatalf("send timeout of 100ms fired after %v", el)
	}
}

func TestPartitioners(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		cfg   func(*Config)
		rec   func(i int) *Record
		check func(perPart map[int32]int) error
	}{
		// round_robin ignores keys and spreads records evenly.
		{"round_robin", func(c *Config) { c.Partitioner = PartitionerRoundRobin }, keyed("t"), func(pp map[int32]int) error {
			for p := int32(0); p < 4; p++ {
				if pp[p] != 100 {
					return fmt.Errorf("partition %d got %d records, want 100", p, pp[p])
				}
			}
			return nil
		}},
		// sticky ignores keys: one batch fills one partition at a time.
		{"sticky", func(c *Config) { c.Partitioner = PartitionerSticky; c.MaxBatchMessages = 400 }, keyed("t"), func(pp map[int32]int) error {
			if len(pp) != 1 {
				return fmt.Errorf("records spread over %v, want one sticky partition for one batch", pp)
			}
			return nil
		}},
		// uniform_bytes switches partition after about max_batch_bytes.
		{"uniform_bytes", func(c *Config) { c.Partitioner = PartitionerUniformBytes; c.MaxBatchBytes = 1000 },
			func(i int) *Record { return &Record{Topic: "t", Value: make([]byte, 50)} }, func(pp map[int32]int) error {
				if len(pp) < 3 {
					return fmt.Errorf("uniform_bytes used only %v", pp)
				}
				return nil
			}},
		// A custom Partitioner decides every record.
		{"custom", func(c *Config) { c.CustomPartitioner = lastPartition{} }, keyed("t"), func(pp map[int32]int) error {
			if pp[3] != 400 {
				return fmt.Errorf("custom partitioner ignored: %v", pp)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.Linger = time.Hour
			tc.cfg(&cfg)
			p := newTest(t, cfg, newFake(4))
			perPart := map[int32]int{}
			var mu sync.Mutex
			sendEach(t, p, 400, tc.rec, true, func(_ int, a Ack, err error) {
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				perPart[a.Partition]++
				mu.Unlock()
			})
			if err := tc.check(perPart); err != nil {
				t.Fatal(err)
			}
		})
	}
}

type lastPartition struct{}

func (lastPartition) Partition(r *Record, n int32) int32 { return n - 1 }

func TestSyncModeAndNoBatching(t *testing.T) {
	t.Parallel()
	f := newFake(2)
	cfg := DefaultConfig()
	cfg.SendMode = SendSync
	cfg.Batching = false
	cfg.Linger = time.Hour // sync sends must not wait for linger
	p := newTest(t, cfg, f)
	start := time.Now()
	defer func() {
		// Linger is an hour: a sync send waiting for it would take that
		// long. 60 s is a deadlock guard, not a speed bound.
		if el := time.Since(start); el > 60*time.Second {
			t.Errorf("20 sync sends took %v: they waited for linger", el)
		}
	}()
	for i := 0; i < 20; i++ {
		called := false
		p.Send(context.Background(), &Record{Topic: "t", Key: []byte{byte(i)}, Value: []byte("v")}, func(a Ack, err error) {
			if err != nil {
				t.Fatal(err)
			}
			called = true
		})
		if !called {
			t.Fatal("sync Send returned before its callback ran")
		}
	}
	for _, b := range f.snapshot() {
		if b.records != 1 {
			t.Fatalf("batch of %d records with batching off", b.records)
		}
	}
	if st := p.Stats(); st.SealedSingle != 20 {
		t.Fatalf("sealed single %d, want 20", st.SealedSingle)
	}
}

func TestRecordTooLargeAndAutoCreate(t *testing.T) {
	t.Parallel()
	f := newFeat(2)
	cfg := DefaultConfig()
	cfg.MaxBatchBytes = 1024
	cfg.AutoCreateTopics, cfg.AutoCreatePartitions = true, 3
	p := newTest(t, cfg, f)
	for _, tc := range []struct {
		rec  *Record
		want string
	}{
		{&Record{Topic: "t", Value: make([]byte, 2000)}, "record_too_large"},      // larger than max_batch_bytes alone
		{&Record{Topic: "t", Value: make([]byte, 100)}, ""},                       // fits
		{&Record{Topic: "autocreate", Value: []byte("v")}, ""},                    // created on first use
		{&Record{Topic: "missing", Value: []byte("v")}, "topic"},                  // the broker refuses to create it
		{&Record{Topic: "autocreate", Partition: 2, UsePartition: true}, ""},      // created with 3 partitions
		{&Record{Topic: "autocreate", Partition: 3, UsePartition: true}, "topic"}, // out of range
	} {
		var got error
		var wg sync.WaitGroup
		wg.Add(1)
		p.Send(context.Background(), tc.rec, func(a Ack, err error) { got = err; wg.Done() })
		_ = p.Flush(context.Background())
		wg.Wait()
		if k := ErrorKind(got); k != tc.want {
			t.Errorf("%s/%d: kind %q (%v), want %q", tc.rec.Topic, tc.rec.Partition, k, got, tc.want)
		}
	}
	if p.Pending() != 0 {
		t.Fatalf("pending %d", p.Pending())
	}
}

func TestIncrementSequenceWraps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ seq, n, want int32 }{
		{0, 5, 5},                 // plain
		{1<<31 - 3, 2, 1<<31 - 1}, // up to MaxInt32
		{1<<31 - 3, 5, 2},         // MaxInt32-2 + 2 = MaxInt32, then 0, 1, 2 (Kafka's rule)
		{1<<31 - 1, 1, 0},         // MaxInt32 + 1 is 0
	} {
		if got := incrementSequence(tc.seq, tc.n); got != tc.want {
			t.Errorf("incrementSequence(%d, %d) = %d, want %d", tc.seq, tc.n, got, tc.want)
		}
	}
}
