package franz

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka"
)

// BenchmarkSend measures Send through kgo to an embedded broker that
// discards the data, 100-byte keyed values over 6 partitions, reusing a
// small set of producer.Records as the workload engine does; allocs/op is
// allocations per record (kgo's, the engine's and the broker's, which runs
// in the same process).
func BenchmarkSend(b *testing.B) {
	const slots = 4096
	for _, bc := range []struct {
		name  string
		codec producer.Codec
		opts  []Option
	}{
		{"none", producer.CodecNone, nil},
		{"none-zerocopy", producer.CodecNone, []Option{WithZeroCopy()}},
		{"lz4-zerocopy", producer.CodecLZ4, []Option{WithZeroCopy()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const topic = "bench"
			emb := startEmbedded(b, kafka.EmbeddedOptions{Topics: map[string]int32{topic: 6}})
			cfg := producer.DefaultConfig()
			cfg.Compression = bc.codec
			cfg.MaxBatchBytes = 64 << 10
			// Bound the records in flight, as a rate-limited run does, so
			// that the item pool covers them after the warmup.
			cfg.MaxPendingMessages = slots
			e := newEngine(b, emb, cfg, bc.opts...)
			recs := make([]producer.Record, slots)
			keys := make([][]byte, 1000)
			for i := range keys {
				keys[i] = []byte(fmt.Sprintf("key-%d", i))
			}
			val := make([]byte, 100)
			var failed atomic.Int64
			cb := func(_ producer.Ack, err error) {
				if err != nil {
					failed.Add(1)
				}
			}
			// Warm up: metadata, connections, pools.
			for i := 0; i < slots; i++ {
				recs[i] = producer.Record{Topic: topic, Key: keys[i%len(keys)], Value: val}
				e.Send(context.Background(), &recs[i], cb)
			}
			if err := e.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(val)))
			b.ReportAllocs()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				// Records are never modified, so a slot may be pending twice.
				e.Send(context.Background(), &recs[i%slots], cb)
			}
			if err := e.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			runtime.ReadMemStats(&m1)
			b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "allocs/record")
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d records failed", n)
			}
		})
	}
}

// BenchmarkSendParallel is BenchmarkSend's zero-copy lz4 case with Send
// called from GOMAXPROCS goroutines at once (b.RunParallel), as the
// workload's workers do: it shows what the engine's shared state (item
// pool, pending counter, kgo's per-partition buffers) costs under
// contention. allocs/op is allocations per record.
func BenchmarkSendParallel(b *testing.B) {
	const topic, slots = "bench", 4096
	emb := startEmbedded(b, kafka.EmbeddedOptions{Topics: map[string]int32{topic: 6}})
	cfg := producer.DefaultConfig()
	cfg.Compression = producer.CodecLZ4
	cfg.MaxBatchBytes = 64 << 10
	cfg.MaxPendingMessages = slots
	e := newEngine(b, emb, cfg, WithZeroCopy())
	keys := make([][]byte, 1000)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key-%d", i))
	}
	val := make([]byte, 100)
	recs := make([]producer.Record, slots)
	for i := range recs {
		recs[i] = producer.Record{Topic: topic, Key: keys[i%len(keys)], Value: val}
	}
	var failed atomic.Int64
	cb := func(_ producer.Ack, err error) {
		if err != nil {
			failed.Add(1)
		}
	}
	for i := range recs {
		e.Send(context.Background(), &recs[i], cb)
	}
	if err := e.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(val)))
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) * 7919
		for pb.Next() {
			// Records are never modified, so a slot may be pending twice.
			e.Send(context.Background(), &recs[i%slots], cb)
			i++
		}
	})
	if err := e.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d records failed", n)
	}
}
