package producer

import "sync/atomic"

// Stats is a snapshot of the producer's counters since New. Byte counts
// are in bytes; counts of batches and records include only batches the
// broker acknowledged, except FailedRecords.
type Stats struct {
	// Requests is the number of produce requests completed, and
	// RequestErrors how many of them failed as a whole.
	Requests      int64
	RequestErrors int64
	// Retries is the number of batch resends after retriable errors.
	Retries int64
	// Pipelined is the number of batch sends that went while an earlier
	// batch of the same partition was in flight (Capabilities.Pipelining:
	// the idempotent producer on Kafka); 0 without pipelining.
	Pipelined int64
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
	// SealedLinger, SealedSize, SealedCount, SealedFlush and SealedSingle
	// count acknowledged batches by why they stopped taking records (see
	// the Seal constants).
	SealedLinger int64
	SealedSize   int64
	SealedCount  int64
	SealedFlush  int64
	SealedSingle int64
}

// Add returns the field-by-field sum of s and o: the counters of
// several producers (for example --producers N) as one.
func (s Stats) Add(o Stats) Stats {
	s.Requests += o.Requests
	s.RequestErrors += o.RequestErrors
	s.Retries += o.Retries
	s.Pipelined += o.Pipelined
	s.Batches += o.Batches
	s.Records += o.Records
	s.UncompressedBytes += o.UncompressedBytes
	s.WireBytes += o.WireBytes
	s.FailedRecords += o.FailedRecords
	s.SealedLinger += o.SealedLinger
	s.SealedSize += o.SealedSize
	s.SealedCount += o.SealedCount
	s.SealedFlush += o.SealedFlush
	s.SealedSingle += o.SealedSingle
	return s
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
		Retries:           s.Retries - o.Retries,
		Pipelined:         s.Pipelined - o.Pipelined,
		Batches:           s.Batches - o.Batches,
		Records:           s.Records - o.Records,
		UncompressedBytes: s.UncompressedBytes - o.UncompressedBytes,
		WireBytes:         s.WireBytes - o.WireBytes,
		FailedRecords:     s.FailedRecords - o.FailedRecords,
		SealedLinger:      s.SealedLinger - o.SealedLinger,
		SealedSize:        s.SealedSize - o.SealedSize,
		SealedCount:       s.SealedCount - o.SealedCount,
		SealedFlush:       s.SealedFlush - o.SealedFlush,
		SealedSingle:      s.SealedSingle - o.SealedSingle,
	}
}

type statsCounters struct {
	requests, requestErrors, retries     atomic.Int64
	pipelined                            atomic.Int64
	batches, records, uncompressed, wire atomic.Int64
	failed                               atomic.Int64
	linger, size, count, flush, single   atomic.Int64
}

func (c *statsCounters) request(ok bool) {
	c.requests.Add(1)
	if !ok {
		c.requestErrors.Add(1)
	}
}

func (c *statsCounters) batchDone(records, uncompressed, wire int64, reason string) {
	c.batches.Add(1)
	c.records.Add(records)
	c.uncompressed.Add(uncompressed)
	c.wire.Add(wire)
	switch reason {
	case SealLinger:
		c.linger.Add(1)
	case SealSize:
		c.size.Add(1)
	case SealCount:
		c.count.Add(1)
	case SealFlush:
		c.flush.Add(1)
	case SealSingle:
		c.single.Add(1)
	}
}

func (c *statsCounters) batchFailed(records int64) { c.failed.Add(records) }

// Stats returns a snapshot of the producer's counters.
func (p *Producer) Stats() Stats {
	c := &p.stats
	return Stats{
		Requests:          c.requests.Load(),
		RequestErrors:     c.requestErrors.Load(),
		Retries:           c.retries.Load(),
		Pipelined:         c.pipelined.Load(),
		Batches:           c.batches.Load(),
		Records:           c.records.Load(),
		UncompressedBytes: c.uncompressed.Load(),
		WireBytes:         c.wire.Load(),
		FailedRecords:     c.failed.Load(),
		SealedLinger:      c.linger.Load(),
		SealedSize:        c.size.Load(),
		SealedCount:       c.count.Load(),
		SealedFlush:       c.flush.Load(),
		SealedSingle:      c.single.Load(),
	}
}

// PendingWaits returns how many times a Send has waited for room under
// the pending limits (MaxPendingMessages, MaxPendingBytes, with
// BlockIfQueueFull) since the producer was created: a Send that waits
// twice counts twice. It grows only while the system under test is
// slower than the offered load (records stay pending until acked), so a
// load generator reads it to tell a Send blocked by backpressure from
// one that was merely descheduled. Safe for concurrent use.
func (p *Producer) PendingWaits() int64 { return p.roomWaits.Load() }

// InFlight returns the number of produce requests outstanding now.
func (p *Producer) InFlight() int { return int(p.inFlight.Load()) }
