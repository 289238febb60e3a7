package producer

import "sync/atomic"

// sealReason says why a batch stopped taking records.
type sealReason int

const (
	sealFull   sealReason = iota // max_batch_bytes or max_batch_messages reached
	sealLinger                   // linger elapsed (or linger 0) and a request slot was free
	sealFlush                    // Flush or Close
	numSealReasons
)

// Stats is a snapshot of the producer's counters since New. Byte counts
// are in bytes; counts of batches and records include only batches the
// broker acknowledged, except FailedRecords.
type Stats struct {
	// Requests is the number of produce requests completed, and
	// RequestErrors how many of them failed as a whole.
	Requests      int64
	RequestErrors int64
	// Batches and Records count acknowledged batches and their records.
	Batches int64
	Records int64
	// UncompressedBytes is the total size of the acknowledged batches'
	// records sections before compression; WireBytes their size on the
	// wire, batch headers included.
	UncompressedBytes int64
	WireBytes         int64
	// FailedRecords counts records completed with an error.
	FailedRecords int64
	// SealedFull, SealedLinger and SealedFlush count batches by why they
	// stopped taking records: size or count limit, linger (or linger 0
	// with a free request slot), and Flush/Close.
	SealedFull   int64
	SealedLinger int64
	SealedFlush  int64
}

// CompressionRatio returns UncompressedBytes / WireBytes, or 0 when
// nothing was sent.
func (s Stats) CompressionRatio() float64 {
	if s.WireBytes == 0 {
		return 0
	}
	return float64(s.UncompressedBytes) / float64(s.WireBytes)
}

// RecordsPerBatch returns the mean number of records per acknowledged
// batch, or 0 when none was.
func (s Stats) RecordsPerBatch() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Records) / float64(s.Batches)
}

// Sub returns s - o, field by field: the counters of a window between two
// snapshots.
func (s Stats) Sub(o Stats) Stats {
	return Stats{
		Requests:          s.Requests - o.Requests,
		RequestErrors:     s.RequestErrors - o.RequestErrors,
		Batches:           s.Batches - o.Batches,
		Records:           s.Records - o.Records,
		UncompressedBytes: s.UncompressedBytes - o.UncompressedBytes,
		WireBytes:         s.WireBytes - o.WireBytes,
		FailedRecords:     s.FailedRecords - o.FailedRecords,
		SealedFull:        s.SealedFull - o.SealedFull,
		SealedLinger:      s.SealedLinger - o.SealedLinger,
		SealedFlush:       s.SealedFlush - o.SealedFlush,
	}
}

type statsCounters struct {
	requests, requestErrors              atomic.Int64
	batches, records, uncompressed, wire atomic.Int64
	failed                               atomic.Int64
	seals                                [numSealReasons]atomic.Int64
}

func (c *statsCounters) request(ok bool) {
	c.requests.Add(1)
	if !ok {
		c.requestErrors.Add(1)
	}
}

func (c *statsCounters) sealed(r sealReason) { c.seals[r].Add(1) }

func (c *statsCounters) batchDone(records, uncompressed, wire int64) {
	c.batches.Add(1)
	c.records.Add(records)
	c.uncompressed.Add(uncompressed)
	c.wire.Add(wire)
}

func (c *statsCounters) batchFailed(records int64) { c.failed.Add(records) }

// Stats returns a snapshot of the producer's counters.
func (p *Producer) Stats() Stats {
	c := &p.stats
	return Stats{
		Requests:          c.requests.Load(),
		RequestErrors:     c.requestErrors.Load(),
		Batches:           c.batches.Load(),
		Records:           c.records.Load(),
		UncompressedBytes: c.uncompressed.Load(),
		WireBytes:         c.wire.Load(),
		FailedRecords:     c.failed.Load(),
		SealedFull:        c.seals[sealFull].Load(),
		SealedLinger:      c.seals[sealLinger].Load(),
		SealedFlush:       c.seals[sealFlush].Load(),
	}
}
