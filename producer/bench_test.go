package producer

import (
	"context"
	"testing"
	"time"
)

// nopTransport acknowledges every batch at once and keeps nothing: the
// benchmarks below measure the core alone.
type nopTransport struct{ fakeTransport }

func (*nopTransport) Produce(_ context.Context, _ int32, _ Acks, _ time.Duration, bs []*Batch) error {
	for _, b := range bs {
		b.BaseOffset = 0
	}
	return nil
}

// BenchmarkSend measures Send → accumulator → sender → callback for 100 B
// records with 16 B keys over 6 partitions, linger 1ms, 64 KiB batches. The
// allocs/op figure is allocations per record.
func BenchmarkSend(b *testing.B) {
	for _, codec := range []Codec{CodecNone, CodecLZ4} {
		b.Run(codec.String(), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Linger = time.Millisecond
			cfg.MaxBatchBytes = 64 << 10
			cfg.Compression = codec
			p, err := New(cfg, &nopTransport{fakeTransport{partitions: 6, brokers: 1}})
			if err != nil {
				b.Fatal(err)
			}
			recs := make([]Record, 4096)
			keys := make([][]byte, 1000)
			for i := range keys {
				keys[i] = []byte("key-0000000000" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)))
			}
			val := make([]byte, 100)
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
