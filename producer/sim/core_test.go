package sim_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/sim"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// TestProducerOverSim runs the producer core over the simulator: every
// record is acked once, with consecutive offsets per partition in send
// order, and the simulator saw every record.
func TestProducerOverSim(t *testing.T) {
	t.Parallel()
	const topic, parts, n = "core", 6, 3000
	tr := newSim(t, sim.Options{Brokers: 3, Topics: map[string]int32{topic: parts}, LatencyMedian: time.Millisecond, LatencyP99: 5 * time.Millisecond, Seed: 1})
	cfg := producer.DefaultConfig()
	cfg.Linger = time.Millisecond
	cfg.Compression = producer.CodecZlib // the simulator accepts every codec
	p, err := producer.New(cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	next := map[int32]int64{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		r := &producer.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%50), Value: fmt.Appendf(nil, "v%d", i)}
		p.Send(context.Background(), r, func(a producer.Ack, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("record %d: %v", i, err)
				return
			}
			if a.Offset != next[a.Partition] {
				t.Errorf("record %d: offset %d on partition %d, want %d", i, a.Offset, a.Partition, next[a.Partition])
			}
			next[a.Partition] = a.Offset + 1
		})
	}
	wg.Wait()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var total int64
	for part := int32(0); part < parts; part++ {
		hw, _ := tr.HighWatermark(topic, part)
		if hw != next[part] {
			t.Errorf("partition %d holds %d records, %d acked", part, hw, next[part])
		}
		total += hw
	}
	if st := tr.Stats(); total != n || st.Records != n || st.Errors != 0 {
		t.Errorf("%d records stored, stats %+v; want %d", total, st, n)
	}
}

// TestProducerOverSimErrors runs the core's retries against injected
// errors: with idempotence every record is stored exactly once; without
// it, batches timed out after their append are stored twice.
func TestProducerOverSimErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		idempotent bool
	}{
		{"idempotent", true},      // resends are answered DUPLICATE_SEQUENCE_NUMBER, not appended
		{"not-idempotent", false}, // resends after REQUEST_TIMED_OUT are appended again
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const topic, parts, n = "errs", 4, 2000
			tr := newSim(t, sim.Options{
				Brokers: 2, Topics: map[string]int32{topic: parts}, LatencyMedian: 200 * time.Microsecond, Seed: 5,
				ErrorRates: map[string]float64{"NOT_LEADER_OR_FOLLOWER": 0.05, "REQUEST_TIMED_OUT": 0.05},
			})
			cfg := producer.DefaultConfig()
			cfg.Idempotent = tc.idempotent
			cfg.Linger = time.Millisecond
			cfg.MaxBatchMessages = 20
			cfg.Retries = 20
			cfg.RetryBackoff, cfg.MaxRetryBackoff = time.Millisecond, 5*time.Millisecond
			p, err := producer.New(cfg, tr)
			if err != nil {
				t.Fatal(err)
			}
			var failed atomic.Int64
			for i := range n {
				r := &producer.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%40), Value: []byte("v")}
				p.Send(context.Background(), r, func(_ producer.Ack, err error) {
					if err != nil && failed.Add(1) == 1 {
						t.Errorf("record %d: %v", i, err)
					}
				})
			}
			if err := p.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			var stored int64
			for part := int32(0); part < parts; part++ {
				hw, _ := tr.HighWatermark(topic, part)
				stored += hw
			}
			st := tr.Stats()
			t.Logf("%d stored, stats %+v", stored, st)
			if failed.Load() != 0 || st.InjectedErrors == 0 {
				t.Fatalf("%d records failed, %d errors injected", failed.Load(), st.InjectedErrors)
			}
			if tc.idempotent && stored != n {
				t.Errorf("%d records stored, want exactly %d", stored, n)
			}
			if !tc.idempotent && stored <= n {
				t.Errorf("%d records stored, want duplicates beyond %d", stored, n)
			}
		})
	}
}

// TestConformance runs the conformance suite over the native core on the
// simulator (real clock, default latency).
func TestConformance(t *testing.T) {
	transporttest.RunTransport(t, transporttest.TransportHarness{
		Open: func(t testing.TB, topic string, partitions int) producer.Transport {
			return newSim(t, sim.Options{Topics: map[string]int32{topic: int32(partitions)}})
		},
	})
}
