package producer

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSendParallel is BenchmarkSend from GOMAXPROCS goroutines at
// once (b.RunParallel): the contention of Send, the accumulator and the
// pending counters. Each goroutine owns its records and flushes when it
// wraps around them. allocs/op is allocations per record.
func BenchmarkSendParallel(b *testing.B) {
	for _, codec := range []Codec{CodecNone, CodecLZ4} {
		b.Run(codec.String(), func(b *testing.B) {
			p, keys, val := benchProducer(b, codec)
			var worker atomic.Int32
			b.SetBytes(116)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := int(worker.Add(1))
				recs := make([]Record, 1024)
				var done atomic.Int64
				cb := func(Ack, error) { done.Add(1) }
				var sent int64
				for i := w * 7919; pb.Next(); i++ {
					r := &recs[sent%int64(len(recs))]
					if sent >= int64(len(recs)) {
						// Reuse a record only after its callback ran.
						for done.Load() <= sent-int64(len(recs)) {
							_ = p.Flush(context.Background())
						}
					}
					r.Topic, r.Key, r.Value = "t", keys[i%len(keys)], val
					p.Send(context.Background(), r, cb)
					sent++
				}
			})
			_ = p.Flush(context.Background())
			b.StopTimer()
			_ = p.Close(context.Background())
		})
	}
}

// BenchmarkQueueFull measures a Send refused at a pending limit
// (block_if_queue_full false): the failure path of a queue-full storm,
// from GOMAXPROCS goroutines. It must allocate nothing and take no lock.
func BenchmarkQueueFull(b *testing.B) {
	f := newStalledFake(1)
	cfg := DefaultConfig()
	cfg.Linger = 0
	cfg.MaxPendingMessages = 1
	cfg.BlockIfQueueFull = false
	p, err := New(cfg, f)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { close(f.stallCh); _ = p.Close(context.Background()) }()
	p.Send(context.Background(), &Record{Topic: "t", Value: []byte("held")}, func(Ack, error) {})
	var full atomic.Int64
	cb := func(_ Ack, err error) {
		if err == ErrQueueFull {
			full.Add(1)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := &Record{Topic: "t", Value: []byte("v")}
		for pb.Next() {
			p.Send(context.Background(), r, cb)
		}
	})
	b.StopTimer()
	if full.Load() != int64(b.N) {
		b.Fatalf("%d of %d Sends failed queue_full", full.Load(), b.N)
	}
}

// BenchmarkDonePending measures completing pending records with a Send
// waiting for room (the block_if_queue_full wake-up): one waiter listed
// and woken per op, through pooled channels.
func BenchmarkDonePending(b *testing.B) {
	p, err := New(DefaultConfig(), newFake(1))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.pending.Add(2)
		ch := p.room.add()
		p.donePending(1, 0)
		<-ch
		p.room.remove(ch)
		p.donePending(1, 0)
	}
}

// BenchmarkDeliver measures completing one batch of 100 records: Ack per
// record from the batch entry, callbacks, recycling.
func BenchmarkDeliver(b *testing.B) {
	p, err := New(DefaultConfig(), newFake(1))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close(context.Background())
	ts, err := p.topic(context.Background(), "t")
	if err != nil {
		b.Fatal(err)
	}
	ps := ts.parts[0]
	recs := make([]Record, 100)
	cb := func(Ack, error) {}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bt, _ := p.batchPool.Get().(*batch)
		if bt == nil {
			bt = &batch{}
		}
		bt.part = ps
		bt.wire.Positions = bt.positions[:0]
		for j := range recs {
			bt.entries = append(bt.entries, entry{rec: &recs[j], cb: cb, bytes: 0, ms: int64(j)})
			bt.wire.Positions = append(bt.wire.Positions, int64(j))
		}
		bt.wire.LogAppendTime = -1
		p.pending.Add(int64(len(recs)))
		p.deliver(bt, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkSendPendingLimit measures a max-rate closed loop (the
// transport acknowledges at once, so the records pending are bounded only
// by the limits) under pending limits: max_pending_messages 0 (only the 32
// MiB max_pending_bytes, ~290k records of 116 B), 10000 and 2000. Each
// record is distinct memory (a ring larger than any limit), as in a run,
// so the working set is what the limit lets wait.
func BenchmarkSendPendingLimit(b *testing.B) {
	const ring = 1 << 19
	recs := make([]Record, ring)
	vals := make([]byte, ring*100)
	keys := make([][]byte, 1000)
	for i := range keys {
		keys[i] = []byte("key-" + strconv.Itoa(1000000000+i))
	}
	for _, limit := range []int{0, 10000, 2000} {
		b.Run("max_pending_messages="+strconv.Itoa(limit), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Linger = 5 * time.Millisecond
			cfg.MaxBatchBytes = 64 << 10
			cfg.Compression = CodecLZ4
			cfg.MaxPendingMessages = limit
			p, err := New(cfg, &nopTransport{fakeTransport{partitions: 6, brokers: 1}})
			if err != nil {
				b.Fatal(err)
			}
			var done atomic.Int64
			cb := func(Ack, error) { done.Add(1) }
			b.SetBytes(116)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i >= ring {
					for done.Load() <= int64(i-ring) {
						_ = p.Flush(context.Background())
					}
				}
				r := &recs[i%ring]
				r.Topic, r.Key, r.Value = "t", keys[i%len(keys)], vals[(i%ring)*100:(i%ring+1)*100]
				p.Send(context.Background(), r, cb)
			}
			_ = p.Flush(context.Background())
			b.StopTimer()
			_ = p.Close(context.Background())
		})
	}
}
