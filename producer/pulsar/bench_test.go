package pulsar

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/pulsar/standin"
	"github.com/prodbench/prodbench/producer/registry"
)

// BenchmarkSendAsync: 100 B keyed records through the engine to the
// stand-in (6 partitions, batching, 1 ms linger), Flush at the end.
// Allocations per op include pulsar-client-go's own per-message ones.
//
//	go test -run '^$' -bench SendAsync -benchmem ./producer/pulsar/
func BenchmarkSendAsync(b *testing.B) {
	for _, codec := range []producer.Codec{producer.CodecNone, producer.CodecLZ4} {
		b.Run(codec.String(), func(b *testing.B) {
			srv := startStandin(b, standin.Options{Topics: map[string]int{"bench": 6}})
			cfg := testConfig()
			cfg.Linger = time.Millisecond
			cfg.Compression = codec
			op := openSys(b, srv.URL(), nil, cfg, registry.Topic{Name: "bench", Partitions: 6})
			keys := make([][]byte, 64)
			for i := range keys {
				keys[i] = []byte{'k', byte('a' + i%26), byte('a' + i/26)}
			}
			val := make([]byte, 100)
			recs := make([]producer.Record, 4096)
			var failed atomic.Int64
			cb := func(_ producer.Ack, err error) {
				if err != nil {
					failed.Add(1)
				}
			}
			ctx := context.Background()
			b.SetBytes(int64(len(val)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := &recs[i%len(recs)]
				if i >= len(recs) && i%len(recs) == 0 {
					// Records are reused: wait until the previous round's
					// callbacks have run.
					if err := op.Engine.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
				*r = producer.Record{Topic: "bench", Key: keys[i%len(keys)], Value: val}
				op.Engine.Send(ctx, r, cb)
			}
			if err := op.Engine.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if failed.Load() != 0 {
				b.Fatalf("%d sends failed", failed.Load())
			}
		})
	}
}
