package report

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// MergeOptions tunes MergeWith.
type MergeOptions struct {
	// AllowMissing merges fewer shards than Shard.Count; the merged result
	// is then marked partial (Shard.Partial, Shard.Missing).
	AllowMissing bool
}

// Merge merges the results of the shards of one distributed run exactly
// (see MergeWith); every shard must be present.
func Merge(results ...*Result) (*Result, error) {
	return MergeWith(MergeOptions{}, results...)
}

// MergeWith merges the results of the shards of one distributed run (run
// --shard I/N) into one Result, exactly:
//
//   - the whole-run HdrHistograms (latency, service time, schedule lag,
//     failed) are added with hdrhistogram-go's Merge and the statistics
//     recomputed from the sum;
//   - intervals are aligned on the shared timeline (each shard's interval
//     start at its own StartedAt + StartNs, in units of IntervalNs from
//     the earliest shard start) and their counts and histograms added;
//   - counts, bytes, failure kinds, batches, send blocked time, due
//     messages, producer counters and per-partition acks are summed;
//   - every shard's generator verdict is kept in Shard.Merged, and one
//     saturated shard flags the merged run (CheckGenerator);
//   - the merged Shard block lists the shards' start times and the largest
//     start skew between them.
//
// It refuses results without a shard block, of different scenarios (name,
// file or spec), of different shard counts, warmups or intervals, and
// repeated indexes; a missing shard is an error unless opts.AllowMissing.
// Derived fields (status, generator, error budget) are recomputed when the
// result is written (MarshalResult) or by Finalize.
func MergeWith(opts MergeOptions, results ...*Result) (*Result, error) {
	if len(results) == 0 {
		return nil, errors.New("report: merge: no results")
	}
	first := results[0]
	seen := map[int]bool{}
	for i, r := range results {
		if r == nil {
			return nil, fmt.Errorf("report: merge: result %d is nil", i+1)
		}
		if r.Shard == nil || r.Shard.Index < 0 {
			return nil, fmt.Errorf("report: merge: result %d (%s) is not a shard result (no shard block; run with --shard I/N)", i+1, orDash(r.Scenario.Name))
		}
		switch {
		case r.Scenario.Name != first.Scenario.Name || r.Scenario.File != first.Scenario.File || string(r.Scenario.Spec) != string(first.Scenario.Spec):
			return nil, fmt.Errorf("report: merge: shard %d ran scenario %q, shard %d ran %q: not one run", r.Shard.Index, r.Scenario.Name, first.Shard.Index, first.Scenario.Name)
		case r.Shard.Count != first.Shard.Count:
			return nil, fmt.Errorf("report: merge: shard %d is one of %d shards, shard %d one of %d", r.Shard.Index, r.Shard.Count, first.Shard.Index, first.Shard.Count)
		case r.WarmupNs != first.WarmupNs || r.IntervalNs != first.IntervalNs:
			return nil, fmt.Errorf("report: merge: shard %d has warmup %v and interval %v, shard %d %v and %v", r.Shard.Index,
				time.Duration(r.WarmupNs), time.Duration(r.IntervalNs), first.Shard.Index, time.Duration(first.WarmupNs), time.Duration(first.IntervalNs))
		case r.Shard.Index >= r.Shard.Count:
			return nil, fmt.Errorf("report: merge: shard index %d is not below the shard count %d", r.Shard.Index, r.Shard.Count)
		case seen[r.Shard.Index]:
			return nil, fmt.Errorf("report: merge: shard %d given twice", r.Shard.Index)
		}
		seen[r.Shard.Index] = true
	}
	var missing []int
	for i := 0; i < first.Shard.Count; i++ {
		if !seen[i] {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 && !opts.AllowMissing {
		return nil, fmt.Errorf("report: merge: shards %v of %d are missing (allow with --allow-missing, which marks the result partial)", missing, first.Shard.Count)
	}
	shards := append([]*Result(nil), results...)
	sort.Slice(shards, func(i, j int) bool { return shards[i].Shard.Index < shards[j].Shard.Index })

	m := &Result{
		SchemaVersion: SchemaVersion,
		Status:        StatusComplete,
		Scenario:      first.Scenario,
		Options:       first.Options,
		Environment:   first.Environment,
		ClosedLoop:    first.ClosedLoop,
		WarmupNs:      first.WarmupNs,
		IntervalNs:    first.IntervalNs,
		ErrorBudget:   ErrorBudget{MaxErrorRate: first.ErrorBudget.MaxErrorRate},
		Thresholds:    nil,
		Counts:        Counts{FailedByKind: map[string]int64{}},
		Shard:         &Shard{Index: -1, Count: first.Shard.Count, Partial: len(missing) > 0, Missing: missing},
	}
	start, end := shards[0].StartedAt, shards[0].EndedAt
	minStart, maxStart := shards[0].Shard.StartedAt, shards[0].Shard.StartedAt
	for _, r := range shards {
		if r.StartedAt.Before(start) {
			start = r.StartedAt
		}
		if r.EndedAt.After(end) {
			end = r.EndedAt
		}
		if r.Shard.StartedAt.Before(minStart) {
			minStart = r.Shard.StartedAt
		}
		if r.Shard.StartedAt.After(maxStart) {
			maxStart = r.Shard.StartedAt
		}
		g := CheckGenerator(r)
		m.Shard.Merged = append(m.Shard.Merged, ShardStart{Index: r.Shard.Index, StartedAt: r.Shard.StartedAt.UTC(),
			Saturated: g.Saturated, Reason: g.Reason, Backpressure: g.Backpressure})
		if r.Status == StatusInterrupted {
			m.Status = StatusInterrupted
		}
		sumCounts(&m.Counts, r.Counts)
		m.TargetRateMsgsPerSec += finite(r.TargetRateMsgsPerSec)
		m.DueInWindow += r.DueInWindow
		m.SendBlockedNs += r.SendBlockedNs
		m.Workers += r.Workers
		m.Producer.Retries += r.Producer.Retries
		m.Producer.Reconnects += r.Producer.Reconnects
		m.Producer.Resends += r.Producer.Resends
		addCounts(&m.AckedByPartition, r.AckedByPartition)
		if r.TimerFloor.P99Ns >= m.TimerFloor.P99Ns {
			m.TimerFloor = r.TimerFloor
		}
		m.InFlight.Sampled = m.InFlight.Sampled || r.InFlight.Sampled
		m.InFlight.Mean += finite(r.InFlight.Mean)
		m.InFlight.Max += r.InFlight.Max
	}
	if len(shards) == 1 {
		m.KeySkew = shards[0].KeySkew
	}
	m.Shard.MaxStartSkewNs = int64(maxStart.Sub(minStart))
	m.StartedAt, m.EndedAt = start.UTC(), end.UTC()
	if w := int64(end.Sub(start)) - m.WarmupNs; w > 0 {
		m.MeasuredNs = w
	}
	var err error
	for _, t := range []struct {
		dst *Latency
		get func(*Result) Latency
	}{
		{&m.Latency, func(r *Result) Latency { return r.Latency }},
		{&m.ServiceTime, func(r *Result) Latency { return r.ServiceTime }},
		{&m.ScheduleLag, func(r *Result) Latency { return r.ScheduleLag }},
		{&m.FailedLatency, func(r *Result) Latency { return r.FailedLatency }},
	} {
		h := NewHistogram()
		var high, neg int64
		for _, r := range shards {
			l := t.get(r)
			if err := mergeEncoded(h, l.Histogram); err != nil {
				return nil, fmt.Errorf("report: merge: shard %d: %w", r.Shard.Index, err)
			}
			high += l.ClampedHigh
			neg += l.ClampedNegative
		}
		if *t.dst, err = LatencyFromHistogram(h); err != nil {
			return nil, err
		}
		t.dst.ClampedHigh, t.dst.ClampedNegative = high, neg
	}
	if m.Batches, err = mergeBatches(shards); err != nil {
		return nil, err
	}
	secs := float64(m.MeasuredNs) / 1e9
	m.Throughput = Throughput{
		MsgsPerSec:   rate(float64(m.Counts.Acked), secs),
		MBPerSec:     rate(float64(m.Counts.AckedBytes)/1e6, secs),
		WireMBPerSec: rate(float64(m.Batches.CompressedBytes)/1e6, secs),
	}
	if m.Intervals, err = mergeIntervals(shards, start, m.IntervalNs, m.WarmupNs); err != nil {
		return nil, err
	}
	return m, nil
}

func sumCounts(dst *Counts, c Counts) {
	dst.Sent += c.Sent
	dst.Acked += c.Acked
	dst.Failed += c.Failed
	dst.SentBytes += c.SentBytes
	dst.AckedBytes += c.AckedBytes
	addCounts(&dst.FailedByKind, c.FailedByKind)
}

// mergeEncoded adds the encoded histogram enc (empty: none) to h.
func mergeEncoded(h *hdrhistogram.Histogram, enc string) error {
	if enc == "" {
		return nil
	}
	d, err := DecodeHistogram(enc)
	if err != nil {
		return err
	}
	if dropped := h.Merge(d); dropped != 0 {
		return fmt.Errorf("%d values outside the histogram's range", dropped)
	}
	return nil
}

// mergeBatches sums the shards' batch statistics.
func mergeBatches(shards []*Result) (Batches, error) {
	t := BatchTotals{SealedBy: map[string]int64{}, RecordsPerBatch: NewRecordsHistogram()}
	for _, r := range shards {
		b := r.Batches
		t.Batches += b.Count
		t.Records += b.Records
		t.UncompressedBytes += b.UncompressedBytes
		t.WireBytes += b.CompressedBytes
		addCounts(&t.SealedBy, b.SealedBy)
		if b.RecordsPerBatch.Histogram != "" {
			d, err := hdrhistogram.Decode([]byte(b.RecordsPerBatch.Histogram))
			if err != nil {
				return Batches{}, fmt.Errorf("report: merge: shard %d records per batch: %w", r.Shard.Index, err)
			}
			t.RecordsPerBatch.Merge(d)
		}
	}
	return batchesFromTotals(t)
}

// mergeIntervals aligns the shards' intervals on the shared timeline
// starting at start, in slots of intervalNs, and adds each slot's counts
// and histograms.
func mergeIntervals(shards []*Result, start time.Time, intervalNs, warmupNs int64) ([]IntervalRow, error) {
	type slot struct {
		row      IntervalRow
		hs       [4]*hdrhistogram.Histogram
		hasHist  bool
		bytesSum float64
	}
	slots := map[int64]*slot{}
	step := intervalNs
	if step <= 0 {
		step = int64(time.Second)
	}
	for _, r := range shards {
		off := int64(r.StartedAt.Sub(start))
		for _, iv := range r.Intervals {
			s0, s1 := iv.StartNs+off, iv.EndNs+off
			k := int64(math.Round(float64(s1)/float64(step))) - 1
			sl := slots[k]
			if sl == nil {
				sl = &slot{row: IntervalRow{StartNs: s0, EndNs: s1}}
				for i := range sl.hs {
					sl.hs[i] = NewHistogram()
				}
				slots[k] = sl
			}
			row := &sl.row
			row.StartNs, row.EndNs = min(row.StartNs, s0), max(row.EndNs, s1)
			row.Sent += iv.Sent
			row.Acked += iv.Acked
			row.Failed += iv.Failed
			addCounts(&row.FailedByKind, iv.FailedByKind)
			addCounts(&row.SealedBy, iv.SealedBy)
			sl.bytesSum += finite(iv.MBPerSec) * float64(iv.EndNs-iv.StartNs) / 1e9
			row.TargetMsgsPerSec += finite(iv.TargetMsgsPerSec)
			row.Batches += iv.Batches
			row.BatchRecords += iv.BatchRecords
			row.BatchUncompressedBytes += iv.BatchUncompressedBytes
			row.BatchWireBytes += iv.BatchWireBytes
			row.InFlightRequests += iv.InFlightRequests
			if h := iv.Histograms; h != nil {
				sl.hasHist = true
				for i, enc := range []string{h.Latency, h.Service, h.Lag, h.Failed} {
					if err := mergeEncoded(sl.hs[i], enc); err != nil {
						return nil, fmt.Errorf("report: merge: shard %d interval at %.3f s: %w", r.Shard.Index, float64(iv.EndNs)/1e9, err)
					}
				}
			}
		}
	}
	keys := make([]int64, 0, len(slots))
	for k := range slots {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]IntervalRow, 0, len(keys))
	for _, k := range keys {
		sl := slots[k]
		row := sl.row
		secs := float64(row.EndNs-row.StartNs) / 1e9
		row.Warmup = row.StartNs < warmupNs
		row.MsgsPerSec = rate(float64(row.Acked), secs)
		row.MBPerSec = rate(sl.bytesSum, secs)
		row.MeanRecordsPerBatch = ratio(row.BatchRecords, row.Batches)
		row.MeanBatchBytes = ratio(row.BatchUncompressedBytes, row.Batches)
		row.MeanBatchWireBytes = ratio(row.BatchWireBytes, row.Batches)
		row.CompressionRatio = ratio(row.BatchUncompressedBytes, row.BatchWireBytes)
		row.WireMBPerSec = rate(float64(row.BatchWireBytes)/1e6, secs)
		if sl.hasHist {
			row.P50Ns, row.P99Ns, row.MaxNs = p50p99max(sl.hs[0])
			row.ServiceP50Ns, row.ServiceP99Ns, row.ServiceMaxNs = p50p99max(sl.hs[1])
			row.LagP50Ns, row.LagP99Ns, row.LagMaxNs = p50p99max(sl.hs[2])
			row.Histograms = encodeSet(histSet{sl.hs[0], sl.hs[1], sl.hs[2], sl.hs[3]})
		}
		out = append(out, row)
	}
	return out, nil
}

// addCounts adds src's counts into *dst, making *dst when needed.
func addCounts(dst *map[string]int64, src map[string]int64) {
	for k, v := range src {
		if *dst == nil {
			*dst = map[string]int64{}
		}
		(*dst)[k] += v
	}
}
