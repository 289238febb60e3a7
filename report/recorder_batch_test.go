package report

import (
	"maps"
	"sync"
	"testing"
	"time"
)

func TestSealIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason string
		want   string
	}{
		{"linger", SealLinger}, // each known reason has its slot
		{"size", SealSize},
		{"count", SealCount},
		{"flush", SealFlush},
		{"single", SealSingle},
		{"other", SealOther},   // "other" itself
		{"Linger", SealOther},  // reasons are case-sensitive
		{"", SealOther},        // empty
		{"timeout", SealOther}, // unknown
	}
	for _, tc := range tests {
		if got := sealReasons[sealIndex(tc.reason)]; got != tc.want {
			t.Errorf("sealIndex(%q) is %q, want %q", tc.reason, got, tc.want)
		}
	}
}

func TestRecorderBatch(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, time.Second, time.Second)
	var clock int64
	r.now = func() int64 { return clock }
	// Warmup: counted in the interval only.
	clock = ns(500 * time.Millisecond)
	r.Batch(100, 1000, 400, SealSize)
	iv1 := r.Tick(t0.Add(time.Second))
	// Measured.
	clock = ns(1500 * time.Millisecond)
	r.Batch(10, 2000, 500, SealLinger)
	r.Batch(30, 3000, 1500, SealLinger)
	r.Batch(1, -5, -1, "bogus") // negative sizes count as 0
	r.Batch(MaxRecordsPerBatch*2, 10, 10, SealFlush)
	s := r.Finish(t0.Add(2 * time.Second))
	iv2 := s.Intervals[1]

	if iv1.Batches != 1 || iv1.BatchRecords != 100 || iv1.CompressionRatio != 2.5 || iv1.SealedBy[SealSize] != 1 {
		t.Errorf("warmup interval %+v", iv1.IntervalRow)
	}
	if iv1.WireMBPerSec != 400e-6 || iv1.MeanRecordsPerBatch != 100 || iv1.MeanBatchBytes != 1000 || iv1.MeanBatchWireBytes != 400 {
		t.Errorf("warmup interval rates and means %+v", iv1.IntervalRow)
	}
	want := map[string]int64{SealLinger: 2, SealOther: 1, SealFlush: 1}
	if iv2.Batches != 4 || iv2.BatchUncompressedBytes != 5010 || iv2.BatchWireBytes != 2010 || !maps.Equal(iv2.SealedBy, want) {
		t.Errorf("measured interval %+v, sealed want %v", iv2, want)
	}
	b := s.Batches
	if b.Batches != 4 || b.Records != 41+2*MaxRecordsPerBatch || b.UncompressedBytes != 5010 || b.WireBytes != 2010 || !maps.Equal(b.SealedBy, want) {
		t.Errorf("run totals %+v (warmup batch must be excluded)", b)
	}
	h := b.RecordsPerBatch
	if h.TotalCount() != 4 || h.Min() != 1 || !within(h.Max(), MaxRecordsPerBatch) || !within(h.ValueAtQuantile(50), 10) {
		t.Errorf("records histogram count %d min %d max %d p50 %d", h.TotalCount(), h.Min(), h.Max(), h.ValueAtQuantile(50))
	}
	res, err := NewResult(s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Batches.RecordsPerBatch.Histogram == "" || res.Batches.RecordsPerBatch.P50 != h.ValueAtQuantile(50) || res.Batches.MeanCompressedBytes != 2010.0/4 {
		t.Errorf("result batches %+v", res.Batches)
	}
	if res.Throughput.WireMBPerSec != 2010e-6 {
		t.Errorf("wire MB/s %v, want 2010 B over 1 s", res.Throughput.WireMBPerSec)
	}
}

func TestRecorderBatchOnlyInterval(t *testing.T) {
	t.Parallel()
	// Batches acked after the last tick, with no messages, still close an
	// interval in Finish.
	r := NewRecorder(t0, 0, time.Second)
	r.now = func() int64 { return ns(time.Second) }
	_ = r.Tick(t0.Add(time.Second))
	r.Batch(5, 50, 50, SealLinger)
	s := r.Finish(t0.Add(time.Second))
	if len(s.Intervals) != 2 || s.Intervals[1].Batches != 1 {
		t.Errorf("intervals %+v: want the batch in a second interval", s.Intervals)
	}
}

func TestRecorderInFlight(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, time.Second, time.Second)
	samples := []int{9, 2, 4, 6} // the first falls in warmup
	i := 0
	r.SetInFlight(func() int { v := samples[i]; i++; return v })
	var rows []IntervalRow
	for k := 1; k <= 3; k++ {
		rows = append(rows, r.Tick(t0.Add(time.Duration(k)*time.Second)).IntervalRow)
	}
	r.SetInFlight(nil) // stops sampling
	rows = append(rows, r.Tick(t0.Add(4*time.Second)).IntervalRow)
	s := r.Finish(t0.Add(4 * time.Second))
	if rows[0].InFlightRequests != 9 || rows[2].InFlightRequests != 4 || rows[3].InFlightRequests != 0 {
		t.Errorf("rows %+v", rows)
	}
	if !s.InFlightSampled || s.InFlightMean != 3 || s.InFlightMax != 4 {
		t.Errorf("sampled %v mean %v max %d, want true 3 4 (warmup sample 9 excluded)", s.InFlightSampled, s.InFlightMean, s.InFlightMax)
	}
	none := NewRecorder(t0, 0, time.Second).Finish(t0.Add(time.Second))
	if none.InFlightSampled {
		t.Error("a recorder without sampler reports samples")
	}
}

func TestRecorderBatchConcurrent(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 0, time.Millisecond)
	r.now = func() int64 { return ns(time.Second) }
	const goroutines, perG = 4, 1800 // perG divisible by numSealReasons
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var rows int64
	var tickWG sync.WaitGroup
	tickWG.Add(1)
	go func() {
		defer tickWG.Done()
		for k := 1; ; k++ {
			select {
			case <-stop:
				return
			default:
				rows += r.Tick(t0.Add(time.Duration(k) * time.Microsecond)).Batches
			}
		}
	}()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				r.Batch(g+1, 100, 50, sealReasons[i%numSealReasons])
			}
		}()
	}
	wg.Wait()
	close(stop)
	tickWG.Wait()
	s := r.Finish(t0.Add(time.Second))
	rows += s.Intervals[len(s.Intervals)-1].Batches
	if s.Batches.Batches != goroutines*perG || rows != s.Batches.Batches || s.Batches.Records != perG*(1+2+3+4) {
		t.Errorf("batches %d (rows %d), records %d", s.Batches.Batches, rows, s.Batches.Records)
	}
	for _, reason := range sealReasons {
		if s.Batches.SealedBy[reason] != int64(goroutines*perG/numSealReasons) {
			t.Errorf("sealed by %s: %d", reason, s.Batches.SealedBy[reason])
		}
	}
}
