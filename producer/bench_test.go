package producer

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// nopTransport acknowledges every batch at once and keeps nothing: the
// benchmarks below measure the core alone.
type nopTransport struct{ fakeTransport }

func (*nopTransport) Produce(_ context.Context, _ int32, _ Acks, _ time.Duration, bs []*Batch) error {
	for _, b := range bs {
		b.Positions = append(b.Positions[:0], 0)
	}
	return nil
}

// BenchmarkSend measures Send → accumulator → sender → callback for 100 B
// records with 16 B keys over 6 partitions, linger 1ms, 64 KiB batches. The
// allocs/op figure is allocations per record.
func BenchmarkSend(b *testing.B) {
	for _, codec := range []Codec{CodecNone, CodecLZ4} {
		b.Run(codec.String(), func(b *testing.B) {
			p, keys, val := benchProducer(b, codec)
			recs := make([]Record, 4096)
			cb := func(Ack, error) {}
			b.SetBytes(116)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := &recs[i%len(recs)]
				r.Topic, r.Key, r.Value = "t", keys[i%len(keys)], val
				p.Send(context.Background(), r, cb)
				if i%len(recs) == len(recs)-1 {
					// Records are reused: wait until they are done.
					_ = p.Flush(context.Background())
				}
			}
			_ = p.Flush(context.Background())
			b.StopTimer()
			_ = p.Close(context.Background())
		})
	}
}

// benchProducer is the producer of the Send benchmarks (linger 1ms, 64 KiB
// batches, codec, 6 partitions of nopTransport) with 1,000 16 B keys and a
// 100 B value.
func benchProducer(b *testing.B, codec Codec) (p *Producer, keys [][]byte, val []byte) {
	cfg := DefaultConfig()
	cfg.Linger = time.Millisecond
	cfg.MaxBatchBytes = 64 << 10
	cfg.Compression = codec
	p, err := New(cfg, &nopTransport{fakeTransport{partitions: 6, brokers: 1}})
	if err != nil {
		b.Fatal(err)
	}
	keys = make([][]byte, 1000)
	for i := range keys {
		keys[i] = []byte("key-" + strconv.Itoa(100000000000+i)) // 16 B
	}
	return p, keys, make([]byte, 100)
}

// benchRecords is a 64 KiB records section of JSON-like values: the
// compressible shape the codec benchmarks measure.
func benchRecords() []byte {
	var buf []byte
	for i := 0; len(buf) < 64<<10; i++ {
		buf = fmt.Appendf(buf, `{"id":%d,"user":"user-%d","event":"click","ts":%d,"ok":true}`, i, i%977, 1700000000000+i)
	}
	return buf[:64<<10]
}

// BenchmarkCompress measures each codec on a 64 KiB records section, with
// the pooled encoders the producer uses; MB/s is of uncompressed input
// (MB = 10^6 B), and the ratio is reported as a metric.
func BenchmarkCompress(b *testing.B) {
	src := benchRecords()
	for _, c := range Codecs {
		b.Run(c.String(), func(b *testing.B) {
			cp, err := newCompressor(c, FramingStandard, 0)
			if err != nil {
				b.Fatal(err)
			}
			var dst, out []byte
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				out, err = cp.compress(dst, src)
				if err != nil {
					b.Fatal(err)
				}
				if c != CodecNone {
					dst = out
				}
			}
			b.ReportMetric(float64(len(src))/float64(max(len(out), 1)), "ratio")
		})
	}
}

// BenchmarkPartition measures each partitioner's choice for a 16 B key
// over 12 partitions.
func BenchmarkPartition(b *testing.B) {
	for _, name := range Partitioners {
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Partitioner = name
			p, err := New(cfg, newFake(12))
			if err != nil {
				b.Fatal(err)
			}
			ts, err := p.topic(context.Background(), "t")
			if err != nil {
				b.Fatal(err)
			}
			r := &Record{Topic: "t", Key: []byte("key-000000000042"), Value: make([]byte, 100)}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := p.partition(ts, r, 116); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAccumulatorAppend measures appending one 100 B record to an
// open batch (encoding included), sealing by size; the sealed batches are
// dropped without sending.
func BenchmarkAccumulatorAppend(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Linger = time.Hour
	cfg.MaxBatchBytes = 64 << 10
	f := newFake(1)
	p, err := New(cfg, f)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := p.topic(context.Background(), "t")
	if err != nil {
		b.Fatal(err)
	}
	ps := ts.parts[0]
	ps.sender.stop() // nothing is sent: the benchmark drops sealed batches itself
	r := &Record{Topic: "t", Key: []byte("key-000000000042"), Value: make([]byte, 100), Timestamp: time.Unix(1700000000, 0)}
	cb := func(Ack, error) {}
	b.SetBytes(116)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ps.append(r, cb, 116, false); err != nil {
			b.Fatal(err)
		}
		if len(ps.sealed) > 0 {
			ps.mu.Lock()
			for _, sb := range ps.sealed {
				p.recycle(sb)
			}
			ps.sealed = ps.sealed[:0]
			ps.queued = false
			ps.mu.Unlock()
		}
	}
}
