package report

import (
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLaneBatchEqualsSingle: a batch of acks through a worker's Lane
// records exactly what single Success calls record, from many workers at
// once.
func TestLaneBatchEqualsSingle(t *testing.T) {
	t.Parallel()
	start := time.Unix(2000, 0)
	base := start.UnixNano()
	a, b := NewRecorder(start, 100*time.Millisecond, time.Second), NewRecorder(start, 100*time.Millisecond, time.Second)
	const workers, batches, per = 4, 50, 20
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lane := b.Lane(w)
			msgs := make([]Done, per)
			for k := 0; k < batches; k++ {
				ack := base + int64(k)*10e6 + 5e6 + int64(w)*1000
				for i := range msgs {
					at := base + int64(k)*10e6 + int64(i)*1000
					msgs[i] = Done{IntendedNs: at, SentNs: at + 500, Bytes: 100}
					a.Sent(at, 100)
					a.Success(at, at+500, ack, 100)
					lane.Sent(at, 100)
				}
				lane.SuccessBatch(ack, msgs)
			}
			lane.Failure(base+2e8, base+2e8, base+3e8, "queue_full")
			a.Failure(base+2e8, base+2e8, base+3e8, "queue_full")
		}(w)
	}
	wg.Wait()
	end := start.Add(time.Second)
	sa, sb := a.Finish(end), b.Finish(end)
	if sa.Sent != sb.Sent || sa.Acked != sb.Acked || sa.AckedBytes != sb.AckedBytes || !reflect.DeepEqual(sa.FailedByKind, sb.FailedByKind) {
		t.Errorf("counts differ: %+v vs %+v", sa, sb)
	}
	for name, h := range map[string][2]interface{ TotalCount() int64 }{"latency": {sa.Histogram, sb.Histogram}} {
		if h[0].TotalCount() != h[1].TotalCount() {
			t.Errorf("%s: %d vs %d", name, h[0].TotalCount(), h[1].TotalCount())
		}
	}
	if !reflect.DeepEqual(sa.Histogram.Distribution(), sb.Histogram.Distribution()) ||
		!reflect.DeepEqual(sa.Service.Distribution(), sb.Service.Distribution()) ||
		!reflect.DeepEqual(sa.Lag.Distribution(), sb.Lag.Distribution()) {
		t.Error("batched histograms differ from single records")
	}
	if sb.Acked != workers*(batches-10)*per { // the first 10 batches (100 ms) are warmup
		t.Errorf("acked %d", sb.Acked)
	}
}

// BenchmarkLaneSuccessBatchParallel measures Lane.SuccessBatch (one lock
// per batch of 64, shard by worker) from parallel goroutines; ns/op is per
// record.
func BenchmarkLaneSuccessBatchParallel(b *testing.B) {
	r := NewRecorder(time.Unix(0, 0), 0, time.Second)
	var worker atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		lane := r.Lane(int(worker.Add(1) - 1))
		msgs := make([]Done, 0, 64)
		at := time.Now().UnixNano()
		for pb.Next() {
			at += 1000
			msgs = append(msgs, Done{IntendedNs: at, SentNs: at + 100, Bytes: 100})
			if len(msgs) == cap(msgs) {
				lane.SuccessBatch(at+2_000_000, msgs)
				msgs = msgs[:0]
			}
		}
		lane.SuccessBatch(at+2_000_000, msgs)
	})
}
