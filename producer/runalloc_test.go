package producer_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka"
	_ "github.com/prodbench/prodbench/producer/kafka/kafkasys"
	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload"
)

// nopKafka acknowledges every batch at once; records are encoded in Kafka's
// format (kafka.AppendRecord), so the encoding cost is the real one.
type nopKafka struct{}

func (nopKafka) Partitions(context.Context, string) (int32, error)    { return 6, nil }
func (nopKafka) Leader(context.Context, string, int32) (int32, error) { return 0, nil }
func (nopKafka) BatchOverhead() int                                   { return kafka.BatchHeaderSize }
func (nopKafka) AppendRecord(dst []byte, od int32, td int64, r *producer.Record) []byte {
	return kafka.AppendRecord(dst, od, td, r)
}
func (nopKafka) Produce(_ context.Context, _ int32, _ producer.Acks, _ time.Duration, bs []*producer.Batch) error {
	for _, b := range bs {
		b.Positions = append(b.Positions[:0], 0)
	}
	return nil
}
func (nopKafka) Capabilities() producer.Capabilities {
	return producer.Capabilities{Codecs: []producer.CodecSupport{{Codec: producer.CodecLZ4}}}
}

// TestRunAllocsPerRecord is issue 8's run-level count: a whole run —
// schedule, key and payload generators, Send, accumulator, lz4, sender,
// callbacks, the recorder — allocates at most 1 time per record in steady
// state. Steady state needs a bounded number of records in flight
// (max_pending_messages): per-message state is pooled, and a closed loop
// into an instant transport would otherwise keep ~280k records pending
// under the 32 MiB default and grow the pool for the whole run.
func TestRunAllocsPerRecord(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts need a non-race, full run")
	}
	s, err := workload.Parse("alloc.yaml", []byte(`
name: alloc
messages: 300000
topics: [{name: t, partitions: 6}]
workers: 2
rate: {profile: max}
message: {size: 100}
keys: {distribution: uniform, count: 1000}
producer: {linger: 1ms, max_batch_bytes: 64KiB, compression: lz4, max_pending_messages: 20000}
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.ProducerConfig()
	if err != nil {
		t.Fatal(err)
	}
	run := func(n int64) (allocs uint64, records int64) {
		s.Messages = n
		start := time.Now()
		rec := report.NewRecorder(start, 0, time.Second)
		cfg.OnBatch = func(info producer.BatchInfo, reason string) {
			rec.Batch(int(info.Records), int(info.UncompressedBytes), int(info.CompressedBytes), reason)
		}
		p, err := producer.New(cfg, nopKafka{})
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		info, err := workload.Run(context.Background(), s, workload.RunOptions{Sender: p, Recorder: rec, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs, info.Sent
	}
	// The difference between a long and a short run is the steady state:
	// set-up costs (payload pool, histograms, goroutines) cancel out.
	a1, n1 := run(50000)
	a2, n2 := run(300000)
	perRecord := float64(int64(a2)-int64(a1)) / float64(n2-n1)
	t.Logf("allocations: %d for %d records, %d for %d: %.4f per record in steady state", a1, n1, a2, n2, perRecord)
	// Issue 20 asks for 0.05; on the loaded 2-core machine this
	// two-point estimate gives 0.10-0.21 both before and after the
	// transport-contract change (the ~64k allocations are warm-up, the
	// same at 50k and 300k records), so the bound stays 1 until the
	// measurement itself is steadier.
	if perRecord > 1 {
		t.Fatalf("%.3f allocations per record, want at most 1", perRecord)
	}
}
