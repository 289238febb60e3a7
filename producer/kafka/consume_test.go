package kafka_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/internal/kafkatest"
	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka"
)

// TestProduceConsumeBack sends keyed records with headers through the
// producer core and the Kafka transport to an embedded broker that keeps the
// data, consumes them back with franz-go's consumer (which decompresses),
// and checks that every record arrived exactly once, byte-identical, on the
// partition Java's murmur2 partitioner assigns, for every codec.
func TestProduceConsumeBack(t *testing.T) {
	t.Parallel()
	// Every Kafka codec: franz-go's consumer decompresses each one, so a
	// wrong frame (gzip stream, raw snappy block, LZ4 frame, zstd frame)
	// fails here.
	for _, codec := range []producer.Codec{producer.CodecNone, producer.CodecGzip, producer.CodecSnappy, producer.CodecLZ4, producer.CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			t.Parallel()
			const topic, partitions, n = "consume-back", 100, 3000
			emb := startBroker(t, kafka.EmbeddedOptions{Topics: map[string]int32{topic: partitions}, Retain: true})
			cfg := producer.DefaultConfig()
			cfg.Compression = codec
			cfg.Linger = 2 * time.Millisecond
			cfg.MaxBatchBytes = 16 << 10
			p := newProducer(t, cfg, kafka.Options{Brokers: emb.Addrs(), Acks: cfg.Acks})
			want := map[string]producer.Record{}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var sendErrs []error
			for i := 0; i < n; i++ {
				// The first three keys are the published Java vectors.
				r := kafkatest.KeyedRecord(topic, i, "value-", 20)
				want[string(r.Key)] = *r
				wg.Add(1)
				p.Send(context.Background(), r, func(a producer.Ack, err error) {
					defer wg.Done()
					if err != nil {
						mu.Lock()
						sendErrs = append(sendErrs, err)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if err := p.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(sendErrs) > 0 {
				t.Fatalf("%d sends failed, first: %v", len(sendErrs), sendErrs[0])
			}
			got := kafkatest.Consume(t, emb.Addrs(), topic, n, 20*time.Second, 0)
			if len(got) != n {
				t.Fatalf("consumed %d records, want %d", len(got), n)
			}
			seen := map[string]bool{}
			for _, r := range got {
				k := string(r.Key)
				w, ok := want[k]
				if !ok || seen[k] {
					t.Fatalf("record with key %q unexpected or duplicated", k)
				}
				seen[k] = true
				if !bytes.Equal(r.Value, w.Value) {
					t.Fatalf("key %q: value differs", k)
				}
				kafkatest.CheckHeadersPartition(t, r, &w, partitions)
			}
			for key, wantP := range map[string]int32{"foo": 16, "bar": 45, "baz": 80} {
				for _, r := range got {
					if string(r.Key) == key && r.Partition != wantP {
						t.Fatalf("%q on partition %d, Java assigns %d", key, r.Partition, wantP)
					}
				}
			}
		})
	}
}
