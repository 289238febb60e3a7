package report

import (
	"maps"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// ns returns the Unix ns of t0+d.
func ns(d time.Duration) int64 { return t0.Add(d).UnixNano() }

// within reports whether got is want up to HdrHistogram's 3-significant-digit
// precision (0.1%, plus 1 ns for tiny values).
func within(got, want int64) bool {
	return math.Abs(float64(got-want)) <= float64(want)/1000+1
}

func TestRecorderPercentiles(t *testing.T) {
	t.Parallel()
	type want struct{ p50, p90, p99, p999, max, min int64 }
	tests := []struct {
		name string
		lats []int64 // latencies in ns, recorded in order
		want want
	}{
		// one value: every percentile is that value
		{"constant 1ms", repeat(int64(time.Millisecond), 1000), want{1e6, 1e6, 1e6, 1e6, 1e6, 1e6}},
		// 1..10000 µs uniformly: pX is X% of 10 ms
		{"uniform 1us..10ms", uniform(10000, int64(time.Microsecond)), want{5e6, 9e6, 9.9e6, 9.99e6, 10e6, 1e3}},
		// values below 2048 ns are exact
		{"uniform 1..1000ns", uniform(1000, 1), want{500, 900, 990, 999, 1000, 1}},
		// 99% at 1 ms, 1% at 100 ms: the tail shows from p99.9
		{"bimodal", append(repeat(int64(time.Millisecond), 9900), repeat(int64(100*time.Millisecond), 100)...), want{1e6, 1e6, 1e6, 1e8, 1e8, 1e6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := NewRecorder(t0, 0, time.Second)
			for i, lat := range tc.lats {
				intended := ns(time.Duration(i) * time.Microsecond)
				r.Sent(intended, 100)
				r.Success(intended, intended, intended+lat, 100)
			}
			s := r.Finish(t0.Add(10 * time.Second))
			if s.Acked != int64(len(tc.lats)) || s.Histogram.TotalCount() != int64(len(tc.lats)) {
				t.Fatalf("acked %d, histogram count %d, want %d", s.Acked, s.Histogram.TotalCount(), len(tc.lats))
			}
			res, err := NewResult(s)
			if err != nil {
				t.Fatal(err)
			}
			l := res.Latency
			for _, c := range []struct {
				name      string
				got, want int64
			}{
				{"p50", l.P50Ns, tc.want.p50}, {"p90", l.P90Ns, tc.want.p90},
				{"p99", l.P99Ns, tc.want.p99}, {"p99.9", l.P999Ns, tc.want.p999},
				{"max", l.MaxNs, tc.want.max}, {"min", l.MinNs, tc.want.min},
			} {
				if !within(c.got, c.want) {
					t.Errorf("%s = %d ns, want %d ns ±0.1%%", c.name, c.got, c.want)
				}
			}
		})
	}
}

func repeat(v int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// uniform returns step, 2*step, …, n*step.
func uniform(n int, step int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i+1) * step
	}
	return out
}

func TestRecorderClamps(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, 0, time.Second)
	r.Success(ns(0), ns(0), ns(2*time.Hour), 1)           // above 1 h: clamped high
	r.Success(ns(time.Second), ns(time.Second), ns(0), 1) // ack before intended: clamped to 0
	r.Success(ns(0), ns(0), ns(time.Millisecond), 1)      // normal
	s := r.Finish(t0.Add(time.Minute))
	if s.ClampedHigh != 1 || s.ClampedNegative != 1 {
		t.Errorf("clamped high %d negative %d, want 1 and 1", s.ClampedHigh, s.ClampedNegative)
	}
	if got := s.Histogram.Max(); !within(got, HighestLatencyNs) {
		t.Errorf("max %d, want %d", got, HighestLatencyNs)
	}
	if got := s.Histogram.Min(); got != 0 {
		t.Errorf("min %d, want 0", got)
	}
	if s.Acked != 3 {
		t.Errorf("acked %d, want 3", s.Acked)
	}
}

func TestRecorderWarmup(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, time.Second, time.Second)
	// Warmup: intended at 0.5 s, slow (100 ms), plus one failure.
	r.Sent(ns(500*time.Millisecond), 10)
	r.Success(ns(500*time.Millisecond), ns(500*time.Millisecond), ns(600*time.Millisecond), 10)
	r.Sent(ns(700*time.Millisecond), 10)
	r.Failure(ns(700*time.Millisecond), ns(700*time.Millisecond), ns(800*time.Millisecond), "queue_full")
	// Intended exactly at the end of warmup: measured.
	r.Sent(ns(time.Second), 10)
	r.Success(ns(time.Second), ns(time.Second), ns(time.Second+time.Millisecond), 10)
	// Intended in warmup, acked after it: still warmup.
	r.Sent(ns(999*time.Millisecond), 10)
	r.Success(ns(999*time.Millisecond), ns(999*time.Millisecond), ns(1500*time.Millisecond), 10)
	iv1 := r.Tick(t0.Add(1200 * time.Millisecond))
	// Measured.
	r.Sent(ns(1500*time.Millisecond), 10)
	r.Success(ns(1500*time.Millisecond), ns(1500*time.Millisecond), ns(1501*time.Millisecond), 10)
	r.Sent(ns(1600*time.Millisecond), 10)
	r.Failure(ns(1600*time.Millisecond), ns(1600*time.Millisecond), ns(1700*time.Millisecond), "send_timeout")
	s := r.Finish(t0.Add(3 * time.Second))

	if !iv1.Warmup || iv1.Sent != 4 || iv1.Acked != 3 || iv1.Failed != 1 {
		t.Errorf("interval 1 = %+v, want warmup with sent 4 acked 3 failed 1", iv1.IntervalRow)
	}
	if iv1.Histogram.TotalCount() != 3 {
		t.Errorf("interval 1 histogram count %d, want 3", iv1.Histogram.TotalCount())
	}
	if len(s.Intervals) != 2 || s.Intervals[1].Warmup {
		t.Fatalf("intervals %+v, want 2 with the second not warmup", s.Intervals)
	}
	if s.Sent != 3 || s.Acked != 2 || s.Failed != 1 || s.SentBytes != 30 || s.AckedBytes != 20 {
		t.Errorf("summary sent %d acked %d failed %d sentB %d ackedB %d, want 3 2 1 30 20",
			s.Sent, s.Acked, s.Failed, s.SentBytes, s.AckedBytes)
	}
	if len(s.FailedByKind) != 1 || s.FailedByKind["send_timeout"] != 1 {
		t.Errorf("failed by kind %v, want only send_timeout:1", s.FailedByKind)
	}
	if s.Histogram.TotalCount() != 2 || !within(s.Histogram.Max(), int64(time.Millisecond)) {
		t.Errorf("histogram count %d max %d, want 2 and 1ms (warmup latencies excluded)",
			s.Histogram.TotalCount(), s.Histogram.Max())
	}
	if s.Measured != 2*time.Second {
		t.Errorf("measured %v, want 2s", s.Measured)
	}
	if s.MsgsPerSec != 1 || s.MBPerSec != 10e-6 {
		t.Errorf("rates %v msg/s %v MB/s, want 1 and 1e-5", s.MsgsPerSec, s.MBPerSec)
	}
}

func TestRecorderIntervalsSumToTotals(t *testing.T) {
	t.Parallel()
	kinds := []string{"queue_full", "send_timeout", "closed", "broker:NOT_LEADER_OR_FOLLOWER", "connection"}
	r := NewRecorder(t0, 0, 100*time.Millisecond)
	var histSum int64
	for tick := 1; tick <= 10; tick++ {
		for i := range 100 * tick {
			at := ns(time.Duration(tick-1)*100*time.Millisecond + time.Duration(i)*time.Microsecond)
			r.Sent(at, i)
			switch i % 7 {
			case 0:
				r.Failure(at, at, at+1000, kinds[(i+tick)%len(kinds)])
			case 1:
				// in flight: sent, never acked
			default:
				r.Success(at, at, at+int64(i)*1000, i)
			}
		}
		if tick < 10 {
			iv := r.Tick(t0.Add(time.Duration(tick) * 100 * time.Millisecond))
			histSum += iv.Histogram.TotalCount()
			if iv.Histogram.TotalCount() != iv.Acked {
				t.Errorf("tick %d: histogram %d != acked %d", tick, iv.Histogram.TotalCount(), iv.Acked)
			}
			if !(iv.MsgsPerSec > 0) || iv.P99Ns < iv.P50Ns || iv.MaxNs < iv.P99Ns {
				t.Errorf("tick %d: implausible row %+v", tick, iv.IntervalRow)
			}
		}
	}
	s := r.Finish(t0.Add(time.Second))
	if len(s.Intervals) != 10 {
		t.Fatalf("%d intervals, want 10", len(s.Intervals))
	}
	var sent, acked, failed int64
	byKind := map[string]int64{}
	for i, iv := range s.Intervals {
		sent += iv.Sent
		acked += iv.Acked
		failed += iv.Failed
		for k, v := range iv.FailedByKind {
			byKind[k] += v
		}
		if iv.Warmup {
			t.Errorf("interval %d marked warmup with no warmup", i)
		}
		if want := int64(i) * int64(100*time.Millisecond); iv.StartNs != want {
			t.Errorf("interval %d starts at %d, want %d", i, iv.StartNs, want)
		}
	}
	histSum += s.Intervals[9].Acked
	if sent != s.Sent || acked != s.Acked || failed != s.Failed {
		t.Errorf("intervals sum sent %d acked %d failed %d, summary %d %d %d", sent, acked, failed, s.Sent, s.Acked, s.Failed)
	}
	if histSum != s.Histogram.TotalCount() {
		t.Errorf("interval histograms sum %d, summary histogram %d", histSum, s.Histogram.TotalCount())
	}
	if s.Sent != 5500 || s.Failed+s.Acked >= s.Sent {
		t.Errorf("sent %d acked %d failed %d: want 5500 sent with some in flight", s.Sent, s.Acked, s.Failed)
	}
	var kindSum int64
	for _, k := range kinds {
		if byKind[k] != s.FailedByKind[k] || s.FailedByKind[k] == 0 {
			t.Errorf("kind %s: intervals %d, summary %d", k, byKind[k], s.FailedByKind[k])
		}
		kindSum += s.FailedByKind[k]
	}
	if kindSum != s.Failed || len(s.FailedByKind) != len(kinds) {
		t.Errorf("failed by kind %v sums to %d, failed %d", s.FailedByKind, kindSum, s.Failed)
	}
}

// raceTicker runs work(g) for each g below goroutines at once while a
// ticker races them, calling r.Tick at 1 µs, 2 µs, … after t0 (pause
// apart) and passing each interval to tick. It returns when the workers
// are done and the ticker has stopped.
func raceTicker(r *Recorder, goroutines int, pause time.Duration, tick func(Interval), work func(g int)) {
	var wg, tickWG sync.WaitGroup
	stop := make(chan struct{})
	tickWG.Add(1)
	go func() {
		defer tickWG.Done()
		for k := 1; ; k++ {
			select {
			case <-stop:
				return
			default:
				tick(r.Tick(t0.Add(time.Duration(k) * time.Microsecond)))
				if pause > 0 {
					time.Sleep(pause)
				}
			}
		}
	}()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(g)
		}()
	}
	wg.Wait()
	close(stop)
	tickWG.Wait()
}

func TestRecorderConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, perG = 8, 5000
	r := NewRecorder(t0, 0, time.Millisecond)
	var ticked []Interval
	raceTicker(r, goroutines, 100*time.Microsecond, func(iv Interval) { ticked = append(ticked, iv) }, func(g int) {
		for i := range perG {
			at := ns(time.Duration(g*perG+i) * time.Microsecond)
			r.Sent(at, 3)
			if i%100 == 0 {
				r.Failure(at, at, at, "closed")
				continue
			}
			r.Success(at, at, at+int64(g+1)*int64(time.Millisecond), 3)
		}
	})
	s := r.Finish(t0.Add(time.Second))
	const wantFailed = goroutines * perG / 100
	const wantAcked = goroutines*perG - wantFailed
	if s.Sent != goroutines*perG || s.Acked != wantAcked || s.Failed != wantFailed || s.FailedByKind["closed"] != wantFailed {
		t.Errorf("sent %d acked %d failed %d (%v), want %d %d %d", s.Sent, s.Acked, s.Failed, s.FailedByKind, goroutines*perG, wantAcked, wantFailed)
	}
	if s.Histogram.TotalCount() != wantAcked || s.AckedBytes != 3*wantAcked {
		t.Errorf("histogram count %d acked bytes %d, want %d and %d", s.Histogram.TotalCount(), s.AckedBytes, wantAcked, 3*wantAcked)
	}
	if !within(s.Histogram.Max(), 8*int64(time.Millisecond)) || !within(s.Histogram.Min(), int64(time.Millisecond)) {
		t.Errorf("min %d max %d, want 1ms and 8ms", s.Histogram.Min(), s.Histogram.Max())
	}
	var sent, acked, failed, hist int64
	for _, iv := range s.Intervals {
		sent, acked, failed = sent+iv.Sent, acked+iv.Acked, failed+iv.Failed
	}
	for i, iv := range ticked {
		hist += iv.Histogram.TotalCount()
		if iv.Histogram.TotalCount() != iv.Acked {
			t.Errorf("tick %d: histogram count %d != acked %d", i, iv.Histogram.TotalCount(), iv.Acked)
		}
	}
	// The last interval is closed by Finish; its histogram is not returned
	// but matches its acked count.
	hist += s.Intervals[len(s.Intervals)-1].Acked
	if sent != s.Sent || acked != s.Acked || failed != s.Failed || hist != s.Histogram.TotalCount() {
		t.Errorf("intervals sum sent %d acked %d failed %d hist %d; summary %d %d %d %d",
			sent, acked, failed, hist, s.Sent, s.Acked, s.Failed, s.Histogram.TotalCount())
	}
}

func TestRecorderZeroDurations(t *testing.T) {
	t.Parallel()
	r := NewRecorder(t0, time.Second, 0)
	r.Sent(ns(0), 10)
	r.Success(ns(0), ns(0), ns(time.Millisecond), 10)
	iv := r.Tick(t0) // zero-length interval
	if iv.MsgsPerSec != 0 || iv.MBPerSec != 0 || iv.Acked != 1 {
		t.Errorf("zero-length interval %+v: want acked 1 and zero rates", iv.IntervalRow)
	}
	empty := r.Tick(t0) // empty and zero-length
	if empty.P50Ns != 0 || empty.MaxNs != 0 || empty.Histogram.TotalCount() != 0 {
		t.Errorf("empty interval %+v, want zeros", empty.IntervalRow)
	}
	s := r.Finish(t0.Add(500 * time.Millisecond)) // ends inside warmup
	if s.Measured != 0 || s.MsgsPerSec != 0 || s.MBPerSec != 0 || s.Acked != 0 {
		t.Errorf("summary measured %v rates %v %v acked %d, want zeros", s.Measured, s.MsgsPerSec, s.MBPerSec, s.Acked)
	}
	res, err := NewResult(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MarshalResult(res); err != nil {
		t.Fatalf("marshal of a run without measurements: %v", err)
	}
	if again := r.Finish(t0.Add(time.Hour)); again.End != s.End || len(again.Intervals) != len(s.Intervals) {
		t.Errorf("second Finish changed the summary")
	}
	if late := r.Tick(t0.Add(time.Hour)); late.Acked != 0 || late.Histogram == nil {
		t.Errorf("Tick after Finish = %+v, want an empty interval", late.IntervalRow)
	}
}

// TestRecorderNoAllocs must not run in parallel: testing.AllocsPerRun counts
// the allocations of the whole process.
func TestRecorderNoAllocs(t *testing.T) {
	r := NewRecorder(t0, time.Second, time.Second)
	r.Failure(ns(0), ns(0), ns(1), "queue_full") // first occurrence of the kind allocates
	r.Failure(ns(2*time.Second), ns(2*time.Second), ns(2*time.Second), "queue_full")
	var i int64
	tests := []struct {
		name string
		f    func()
	}{
		// measured message
		{"Sent", func() { i++; r.Sent(ns(2*time.Second)+i, 100) }},
		// warmup message
		{"Sent warmup", func() { i++; r.Sent(ns(0)+i, 100) }},
		// measured ack with a varying latency
		{"Success", func() { i++; r.Success(ns(2*time.Second)+i, ns(2*time.Second)+i, ns(2*time.Second)+i*997, 100) }},
		// clamped latency
		{"Success clamped", func() { i++; r.Success(ns(2*time.Second)+i, ns(2*time.Second)+i, ns(3*time.Hour), 100) }},
		// failure of a kind already seen, with a schedule lag
		{"Failure", func() { i++; r.Failure(ns(2*time.Second)+i, ns(2*time.Second)+i*3, ns(3*time.Second), "queue_full") }},
		// acknowledged batch, known reason
		{"Batch", func() { i++; r.Batch(int(i%500), 1000, 400, SealLinger) }},
		// acknowledged batch, unknown reason
		{"Batch other", func() { i++; r.Batch(int(i%500), 1000, 400, "whatever") }},
	}
	for _, tc := range tests {
		if got := testing.AllocsPerRun(1000, tc.f); got != 0 {
			t.Errorf("%s: %v allocs/op, want 0", tc.name, got)
		}
	}
}

func BenchmarkRecorderSuccess(b *testing.B) {
	r := NewRecorder(t0, 0, time.Second)
	base := ns(0)
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		i++
		r.Success(base+i*1000, base+i*1000, base+i*1000+int64(time.Millisecond)+i%1000, 100)
	}
}

func BenchmarkRecorderSuccessParallel(b *testing.B) {
	r := NewRecorder(t0, 0, time.Second)
	base := ns(0)
	b.ReportAllocs()
	var gid atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine walks its own schedule, as producers do.
		off := gid.Add(1) * 7919
		var i int64
		for pb.Next() {
			i++
			r.Success(base+i*1000+off, base+i*1000+off, base+i*1000+off+int64(time.Millisecond)+i%1000, 100)
		}
	})
}

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
	var rows int64
	raceTicker(r, goroutines, 0, func(iv Interval) { rows += iv.Batches }, func(g int) {
		for i := range perG {
			r.Batch(g+1, 100, 50, sealReasons[i%numSealReasons])
		}
	})
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

func TestRecorderTimings(t *testing.T) {
	t.Parallel()
	ms := int64(time.Millisecond)
	tests := []struct {
		name                       string
		lagNs, serviceNs           int64 // sent-intended, ack-sent
		wantLat, wantSvc, wantLag  int64
		failure                    bool
		wantLatCount, wantLagCount int64
	}{
		// a late send: lag and service add up to latency
		{"late send", 3 * ms, 2 * ms, 5 * ms, 2 * ms, 3 * ms, false, 1, 1},
		// on time: latency equals service time
		{"on time", 0, 4 * ms, 4 * ms, 4 * ms, 0, false, 1, 1},
		// sent before its slot (clock skew): lag clamps to 0, latency stays ack-intended
		{"early send", -ms, 4 * ms, 3 * ms, 4 * ms, 0, false, 1, 1},
		// ack stamped before the send: service clamps to 0
		{"ack before send", 2 * ms, -ms, ms, 0, 2 * ms, false, 1, 1},
		// a failure records its lag only
		{"failure", 7 * ms, ms, 0, 0, 7 * ms, true, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := NewRecorder(t0, time.Second, time.Second)
			for _, at := range []int64{ns(500 * time.Millisecond), ns(1500 * time.Millisecond)} { // warmup, measured
				sent := at + tc.lagNs
				if tc.failure {
					r.Failure(at, sent, sent+tc.serviceNs, "closed")
				} else {
					r.Success(at, sent, sent+tc.serviceNs, 10)
				}
			}
			iv := r.Tick(t0.Add(2 * time.Second))
			s := r.Finish(t0.Add(2 * time.Second))
			for _, c := range []struct {
				name       string
				count, max int64
				wantCount  int64
				want       int64
			}{
				{"interval latency", iv.Histogram.TotalCount(), iv.Histogram.Max(), 2 * tc.wantLatCount, tc.wantLat},
				{"interval service", iv.Service.TotalCount(), iv.Service.Max(), 2 * tc.wantLatCount, tc.wantSvc},
				{"interval lag", iv.Lag.TotalCount(), iv.Lag.Max(), 2 * tc.wantLagCount, tc.wantLag},
				{"run latency", s.Histogram.TotalCount(), s.Histogram.Max(), tc.wantLatCount, tc.wantLat},
				{"run service", s.Service.TotalCount(), s.Service.Max(), tc.wantLatCount, tc.wantSvc},
				{"run lag", s.Lag.TotalCount(), s.Lag.Max(), tc.wantLagCount, tc.wantLag},
			} {
				if c.count != c.wantCount {
					t.Errorf("%s: count %d, want %d", c.name, c.count, c.wantCount)
				}
				if c.wantCount > 0 && !within(c.max, c.want) {
					t.Errorf("%s: max %d ns, want %d", c.name, c.max, c.want)
				}
			}
			if iv.LagMaxNs != iv.Lag.Max() || iv.ServiceP99Ns != iv.Service.ValueAtQuantile(99) || iv.ServiceMaxNs != iv.Service.Max() {
				t.Errorf("row %+v does not match the interval histograms", iv.IntervalRow)
			}
			if tc.wantLatCount == 0 && (iv.ServiceMaxNs != 0 || iv.MaxNs != 0) {
				t.Errorf("row %+v: timings without acks", iv.IntervalRow)
			}
		})
	}
}

func TestRecorderIntervalHistograms(t *testing.T) {
	t.Parallel()
	s := sampleSummary()
	var lat, svc, lag int64
	for i, row := range s.Intervals {
		if row.Histograms == nil {
			t.Fatalf("interval %d has no histograms", i)
		}
		for _, c := range []struct {
			name      string
			enc       string
			want, max int64
			sum       *int64
		}{
			{"latency", row.Histograms.Latency, row.Acked, row.MaxNs, &lat},
			{"service", row.Histograms.Service, row.Acked, row.ServiceMaxNs, &svc},
			{"lag", row.Histograms.Lag, row.Acked + row.Failed, row.LagMaxNs, &lag},
		} {
			h, err := DecodeHistogram(c.enc)
			if err != nil {
				t.Fatalf("interval %d %s: %v", i, c.name, err)
			}
			if h.TotalCount() != c.want || h.Max() != c.max {
				t.Errorf("interval %d %s: count %d max %d, want %d and %d", i, c.name, h.TotalCount(), h.Max(), c.want, c.max)
			}
			if !row.Warmup {
				*c.sum += h.TotalCount()
			}
		}
	}
	if lat != s.Histogram.TotalCount() || svc != s.Service.TotalCount() || lag != s.Lag.TotalCount() {
		t.Errorf("measured intervals hold %d/%d/%d values, the run %d/%d/%d",
			lat, svc, lag, s.Histogram.TotalCount(), s.Service.TotalCount(), s.Lag.TotalCount())
	}
}

// BenchmarkLaneSentParallel measures the send side of the recorder: every
// goroutine counts its messages on its own worker's Lane, with as many
// workers as goroutines sharing its shard as a run has (4 workers).
func BenchmarkLaneSentParallel(b *testing.B) {
	r, base := NewRecorder(t0, 0, time.Second), ns(0)
	var lane atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		l := r.Lane(int(lane.Add(1)))
		var i int64
		for pb.Next() {
			i++
			l.Sent(base+i*1000, 100)
		}
	})
}
