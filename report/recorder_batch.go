package report

import (
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Seal reasons accepted by Recorder.Batch: why a producer batch stopped
// taking records.
const (
	// SealLinger: the linger time elapsed (or linger 0 and a request slot
	// was free).
	SealLinger = "linger"
	// SealSize: the next record would have exceeded the batch byte limit.
	SealSize = "size"
	// SealCount: the batch reached its record-count limit.
	SealCount = "count"
	// SealFlush: Flush or Close sealed it.
	SealFlush = "flush"
	// SealSingle: batching is off; every record is its own batch.
	SealSingle = "single"
	// SealOther counts any other reason string given to Batch.
	SealOther = "other"
)

// sealReasons lists the reasons in report order; the index is the counter
// slot.
var sealReasons = [...]string{SealLinger, SealSize, SealCount, SealFlush, SealSingle, SealOther}

const numSealReasons = len(sealReasons)

// sealIndex returns the counter slot of reason, without allocating.
func sealIndex(reason string) int {
	for i, r := range sealReasons[:numSealReasons-1] {
		if r == reason {
			return i
		}
	}
	return numSealReasons - 1
}

// MaxRecordsPerBatch is the highest value the records-per-batch histogram
// tracks (2^24 records); larger batches are recorded as this value.
const MaxRecordsPerBatch = 1 << 24

// NewRecordsHistogram returns an empty records-per-batch histogram: 1 to
// MaxRecordsPerBatch records, 3 significant digits.
func NewRecordsHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, MaxRecordsPerBatch, SignificantDigits)
}

// BatchTotals sums producer batches reported through Recorder.Batch.
type BatchTotals struct {
	// Batches counts batches; Records the records in them.
	Batches, Records int64
	// UncompressedBytes is the record bytes before compression;
	// WireBytes the batch bytes on the wire (compressed, headers
	// included).
	UncompressedBytes, WireBytes int64
	// SealedBy counts batches by seal reason (SealLinger, …); reasons
	// never seen are absent. Never nil in a Summary.
	SealedBy map[string]int64
	// RecordsPerBatch is the distribution of records per batch. Never nil
	// in a Summary.
	RecordsPerBatch *hdrhistogram.Histogram
}

// batchCounts is one window's batch counters.
type batchCounts struct {
	batches, records, uncompressed, wire int64
	sealed                               [numSealReasons]int64
}

// batchStats is the Recorder's batch state: the current interval's and the
// whole run's counters, the whole run's records-per-batch histogram, and
// the in-flight samples. Batches are far fewer than records, so one mutex
// suffices.
type batchStats struct {
	mu       sync.Mutex
	interval batchCounts
	total    batchCounts
	hist     *hdrhistogram.Histogram // records per batch, after warmup

	// In-flight samples of intervals after warmup; guarded by
	// Recorder.tickMu (only Tick and Finish touch them).
	inFlightSampled bool
	inFlightN       int64
	inFlightSum     int64
	inFlightMax     int64
}

func newBatchStats() batchStats {
	return batchStats{hist: NewRecordsHistogram()}
}

// Batch records one acknowledged producer batch: records records holding
// uncompressedBytes of record bytes before compression, sent as wireBytes
// bytes on the wire, sealed for reason (SealLinger, SealSize, SealCount,
// SealFlush or SealSingle; anything else counts as SealOther). Negative
// sizes count as 0. A batch reported before start+warmup (by the wall
// clock) counts only in its interval. Batch is safe for concurrent use and
// does not allocate.
func (r *Recorder) Batch(records, uncompressedBytes, wireBytes int, reason string) {
	measured := r.now() >= r.warmupEnd
	rec, unc, wire := int64(max(records, 0)), int64(max(uncompressedBytes, 0)), int64(max(wireBytes, 0))
	i := sealIndex(reason)
	b := &r.batches
	b.mu.Lock()
	b.interval.add(rec, unc, wire, i)
	if measured {
		b.total.add(rec, unc, wire, i)
		// rec is clamped into the histogram's range, so this cannot fail.
		_ = b.hist.RecordValue(min(rec, MaxRecordsPerBatch))
	}
	b.mu.Unlock()
}

func (c *batchCounts) add(records, uncompressed, wire int64, reason int) {
	c.batches++
	c.records += records
	c.uncompressed += uncompressed
	c.wire += wire
	c.sealed[reason]++
}

// sealedMap returns the non-zero seal counters by reason name, or nil when
// all are zero.
func (c *batchCounts) sealedMap() map[string]int64 {
	var m map[string]int64
	for i, n := range c.sealed {
		if n != 0 {
			if m == nil {
				m = make(map[string]int64, numSealReasons)
			}
			m[sealReasons[i]] = n
		}
	}
	return m
}

// tick moves the interval's batch counters into row, over an interval of
// secs seconds.
func (b *batchStats) tick(row *IntervalRow, secs float64) {
	b.mu.Lock()
	c := b.interval
	b.interval = batchCounts{}
	b.mu.Unlock()
	row.Batches = c.batches
	row.BatchRecords = c.records
	row.BatchUncompressedBytes = c.uncompressed
	row.BatchWireBytes = c.wire
	row.SealedBy = c.sealedMap()
	row.MeanRecordsPerBatch = ratio(c.records, c.batches)
	row.MeanBatchBytes = ratio(c.uncompressed, c.batches)
	row.MeanBatchWireBytes = ratio(c.wire, c.batches)
	row.CompressionRatio = ratio(c.uncompressed, c.wire)
	row.WireMBPerSec = rate(float64(c.wire)/1e6, secs)
}

// pending returns the number of batches not yet in a closed interval.
func (b *batchStats) pending() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.interval.batches
}

// sampleInFlight adds one in-flight sample; samples of warmup intervals
// only mark the run as sampled.
func (b *batchStats) sampleInFlight(n int64, warmup bool) {
	b.inFlightSampled = true
	if warmup {
		return
	}
	b.inFlightN++
	b.inFlightSum += n
	b.inFlightMax = max(b.inFlightMax, n)
}

// finish fills the batch and in-flight fields of sum.
func (b *batchStats) finish(sum *Summary) {
	b.mu.Lock()
	c := b.total
	h := NewRecordsHistogram()
	h.Merge(b.hist)
	b.mu.Unlock()
	sum.Batches = BatchTotals{
		Batches:           c.batches,
		Records:           c.records,
		UncompressedBytes: c.uncompressed,
		WireBytes:         c.wire,
		SealedBy:          c.sealedMap(),
		RecordsPerBatch:   h,
	}
	if sum.Batches.SealedBy == nil {
		sum.Batches.SealedBy = map[string]int64{}
	}
	sum.InFlightSampled = b.inFlightSampled
	sum.InFlightMean = ratio(b.inFlightSum, b.inFlightN)
	sum.InFlightMax = b.inFlightMax
}

// ratio returns a/b, or 0 when b is not positive or a is negative.
func ratio(a, b int64) float64 {
	if b <= 0 || a < 0 {
		return 0
	}
	return float64(a) / float64(b)
}
