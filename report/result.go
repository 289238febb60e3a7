package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/prodbench/prodbench/workload/verify/counts"
)

// SchemaVersion is the version of the result.json schema written by this
// package. It changes whenever a field is added, changes meaning or is
// removed. Version 2 added service time, schedule lag, per-interval
// histograms, batch details, in-flight requests, closed_loop and generator.
// Version 3 added status_reason, degraded and failed statuses, the error
// budget, threshold verdicts, failed-message latency, send blocked time,
// due-in-window, the timer floor, producer counters, acked counts per
// partition, key skew, the CPU model and the shard block. ReadResult reads
// versions 1 to 3.
const SchemaVersion = 3

// Status values of Result.Status.
const (
	// StatusComplete marks a run that ran its whole planned duration.
	StatusComplete = "complete"
	// StatusInterrupted marks a run stopped early (signal, fatal error); its
	// numbers cover only the part that ran.
	StatusInterrupted = "interrupted"
)

// Version is the prodbench version reported by CollectEnvironment. It
// defaults to "dev"; release builds set it with
// -ldflags "-X github.com/prodbench/prodbench/report.Version=v1.2.3".
var Version = "dev"

// Result is the versioned, machine-readable outcome of one run, written as
// result.json. See the package documentation for every field and its units.
type Result struct {
	// SchemaVersion is SchemaVersion when written by this package.
	SchemaVersion int `json:"schema_version"`
	// Status is StatusComplete, StatusDegraded, StatusFailed or
	// StatusInterrupted, as decided by Judge (MarshalResult and Finalize
	// apply it; the caller only sets StatusInterrupted).
	Status string `json:"status"`
	// StatusReason explains Status in one line. Schema 3.
	StatusReason string `json:"status_reason,omitempty"`
	// StartedAt and EndedAt bound the run (RFC 3339 with nanoseconds, UTC).
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	// Scenario identifies the workload; the caller fills it.
	Scenario Scenario `json:"scenario"`
	// Options is the producer configuration as the producer package
	// serialises it; the caller fills it. Omitted when empty.
	Options json.RawMessage `json:"options,omitempty"`
	// Environment describes the machine and build that ran the benchmark.
	Environment Environment `json:"environment"`
	// TargetRateMsgsPerSec is the scheduled (open-loop) send rate in
	// messages per second; 0 means unthrottled. The caller fills it.
	TargetRateMsgsPerSec float64 `json:"target_rate_msgs_per_sec"`
	// ClosedLoop is true when each send waited for an earlier ack (the
	// "max" rate profile) instead of following a schedule: latency is then
	// service time, not coordinated-omission-free. The caller fills it.
	ClosedLoop bool `json:"closed_loop"`
	// Generator says whether the load generator kept up with its
	// schedule. MarshalResult computes it (see CheckGenerator); a value set
	// by the caller is ignored.
	Generator Generator `json:"generator"`
	// ErrorBudget is the error-budget verdict; the caller may set
	// ErrorBudget.MaxErrorRate (NewResult: DefaultMaxErrorRate, 0
	// disables), MarshalResult computes the rest (CheckErrorBudget).
	ErrorBudget ErrorBudget `json:"error_budget"`
	// Thresholds lists the threshold verdicts, in the order given; the
	// caller fills them (verdict.Record). Omitted when none.
	Thresholds []ThresholdVerdict `json:"thresholds,omitempty"`
	// Verify is the delivery verification (run --verify): what was read
	// back against what was acked; nil when the run did not verify.
	Verify *Verify `json:"verify,omitempty"`
	// SendBlockedNs is the total time, summed over workers, that Send
	// spent blocked on the producer's pending limits during the measured
	// window, in ns; the caller fills it. See CheckGenerator.
	SendBlockedNs int64 `json:"send_blocked_ns"`
	// Workers is the number of worker goroutines that called Send (the
	// scenario's workers; summed over shards when merged); the caller
	// fills it. CheckGenerator divides SendBlockedNs by Workers × the
	// measured window. 0 (older results): counted as 1.
	Workers int `json:"workers,omitempty"`
	// EngineCaps says which figures the engine reports; nil when unknown
	// (older results): reports then print what was recorded.
	EngineCaps *EngineCaps `json:"engine_caps,omitempty"`
	// DueInWindow is the number of messages the schedule had due in the
	// measured window (intended send time in [start+warmup, end)); the
	// caller fills it, 0 means unknown. See WholeRunTarget.
	DueInWindow int64 `json:"due_in_window"`
	// TimerFloor is the platform's timer wake-up jitter measured before the
	// run (MeasureTimerFloor); the caller fills it.
	TimerFloor TimerFloor `json:"timer_floor"`
	// CPUNsPerRecord is the process's user+sys CPU time (getrusage) over
	// the whole run, warmup included, divided by every record acked in the
	// run, in ns; the caller fills it, 0 means unknown.
	CPUNsPerRecord float64 `json:"cpu_ns_per_record,omitempty"`
	// Producer holds the producer's retries, reconnects and resends; the
	// caller fills it.
	Producer ProducerCounters `json:"producer"`
	// Producers has one entry per producer instance of a run with
	// producers: N > 1; the caller fills it. Omitted for one producer.
	Producers []ProducerResult `json:"producers,omitempty"`
	// AckedByPartition counts acked messages by "topic/partition"; the
	// caller fills it. Omitted when empty.
	AckedByPartition map[string]int64 `json:"acked_by_partition,omitempty"`
	// KeySkew describes how unevenly messages spread over keys (NewKeySkew);
	// the caller fills it. Omitted when nil.
	KeySkew *KeySkew `json:"key_skew,omitempty"`
	// Faults are the scripted faults of the target's stand-in (the
	// embedded Kafka broker's `faults:` block) as they fired; the caller
	// fills it. Omitted without faults.
	Faults []Fault `json:"faults,omitempty"`
	// Shard identifies the shard of a distributed run (run --shard I/N) or
	// describes the shards of a merged result (Merge). Omitted for a
	// single-process run.
	Shard *Shard `json:"shard,omitempty"`
	// WarmupNs is the warmup period excluded from the totals, in ns.
	WarmupNs int64 `json:"warmup_ns"`
	// MeasuredNs is the measured window after warmup, in ns.
	MeasuredNs int64 `json:"measured_ns"`
	// IntervalNs is the nominal length of one interval row, in ns.
	IntervalNs int64 `json:"interval_ns"`
	// Counts holds message counts after warmup.
	Counts Counts `json:"counts"`
	// Throughput holds acked rates over the measured window.
	Throughput Throughput `json:"throughput"`
	// Latency holds latency statistics (intended send to ack) and the
	// encoded histogram.
	Latency Latency `json:"latency"`
	// ServiceTime holds service time statistics (actual send to ack) of
	// the acked messages. Schema 2; zero in version 1 files.
	ServiceTime Latency `json:"service_time"`
	// ScheduleLag holds schedule lag statistics (intended to actual send)
	// of the acked and failed messages. Schema 2; zero in version 1 files.
	ScheduleLag Latency `json:"schedule_lag"`
	// FailedLatency holds the times from intended send to failure of the
	// failed messages, beside the acked Latency. Schema 3.
	FailedLatency Latency `json:"failed_latency"`
	// Batches holds producer batch statistics, from Recorder.Batch.
	Batches Batches `json:"batches"`
	// InFlight summarises the produce requests in flight sampled at each
	// interval's end (see Recorder.SetInFlight).
	InFlight InFlight `json:"in_flight_requests"`
	// Intervals lists the per-interval rows, warmup included.
	Intervals []IntervalRow `json:"intervals"`
}

// Scenario identifies the workload of a run.
type Scenario struct {
	// Name is the scenario's short name.
	Name string `json:"name"`
	// Description is the scenario's one-line description.
	Description string `json:"description,omitempty"`
	// File is the path of the scenario file, if the scenario came from one.
	File string `json:"file,omitempty"`
	// Spec is the full scenario as the workload package serialises it.
	// Omitted when empty; must be valid JSON otherwise.
	Spec json.RawMessage `json:"spec,omitempty"`
}

// Environment describes the machine and build that ran the benchmark.
type Environment struct {
	// GitCommit is the commit of the working directory, or "unknown".
	GitCommit string `json:"git_commit"`
	// GoVersion is runtime.Version() of the benchmark binary.
	GoVersion string `json:"go_version"`
	// CPUModel is the CPU's model name (/proc/cpuinfo), or "unknown".
	// Schema 3. With NumCPU, GoVersion and GOMAXPROCS it is the machine
	// block MachineMismatch compares.
	CPUModel string `json:"cpu_model,omitempty"`
	// NumCPU is runtime.NumCPU(); GOMAXPROCS is runtime.GOMAXPROCS(0).
	NumCPU     int `json:"num_cpu"`
	GOMAXPROCS int `json:"gomaxprocs"`
	// Hostname is os.Hostname(), or "unknown".
	Hostname string `json:"hostname"`
	// OS and Arch are runtime.GOOS and runtime.GOARCH.
	OS   string `json:"os"`
	Arch string `json:"arch"`
	// Version is the prodbench version (see Version).
	Version string `json:"prodbench_version"`
}

// Counts holds message counts of the measured window (after warmup).
type Counts struct {
	// Sent counts messages handed to the producer.
	Sent int64 `json:"sent"`
	// Acked counts messages acknowledged by the broker.
	Acked int64 `json:"acked"`
	// Failed counts messages whose send failed.
	Failed int64 `json:"failed"`
	// FailedByKind splits Failed by failure kind; never null in JSON.
	FailedByKind map[string]int64 `json:"failed_by_kind"`
	// SentBytes and AckedBytes sum the record payload (key+value+headers)
	// of sent and acked messages, in bytes.
	SentBytes  int64 `json:"sent_bytes"`
	AckedBytes int64 `json:"acked_bytes"`
}

// Throughput holds rates over the measured window.
type Throughput struct {
	// MsgsPerSec is acked messages per second.
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// MBPerSec is acked record payload (key+value+headers) in MB per
	// second, where MB = 10^6 bytes.
	MBPerSec float64 `json:"mb_per_sec"`
	// WireMBPerSec is batch bytes on the wire (Batches.CompressedBytes)
	// in MB per second; MarshalResult recomputes it from Batches and
	// MeasuredNs.
	WireMBPerSec float64 `json:"wire_mb_per_sec"`
}

// Generator says whether the load generator kept up with its schedule.
type Generator struct {
	// Saturated is true when the schedule lag p99 exceeded
	// MaxScheduleLagP99Ns or the achieved rate fell below
	// MinAchievedFraction of the target: the numbers may then describe
	// the generator rather than the system under test.
	Saturated bool `json:"saturated"`
	// Reason explains Saturated in one sentence; empty when false.
	Reason string `json:"reason,omitempty"`
	// Backpressure is true when the system under test pushed back: Send
	// blocked on the pending limits, or queue_full / send_timeout
	// failures (see CheckGenerator). Saturated is then false.
	Backpressure bool `json:"backpressure"`
	// BackpressureReason explains Backpressure; empty when false.
	BackpressureReason string `json:"backpressure_reason,omitempty"`
	// TargetMissed is true when fewer messages were offered than
	// MinAchievedFraction of the whole-run target.
	TargetMissed bool `json:"target_missed"`
}

// InFlight summarises the produce requests in flight, sampled at the end
// of every interval.
type InFlight struct {
	// Sampled is false when nothing was sampled (no sampler was set); the
	// other fields are then 0.
	Sampled bool `json:"sampled"`
	// Mean and Max are over the intervals after warmup.
	Mean float64 `json:"mean"`
	Max  int64   `json:"max"`
}

// Latency holds latency statistics, in nanoseconds, from intended send time
// to ack, of the messages acked in the measured window.
type Latency struct {
	// Count is the number of recorded latencies.
	Count int64 `json:"count"`
	// MinNs, MeanNs and MaxNs are the minimum, mean and maximum, in ns.
	MinNs  int64 `json:"min_ns"`
	MeanNs int64 `json:"mean_ns"`
	MaxNs  int64 `json:"max_ns"`
	// P50Ns … P9999Ns are the 50th, 90th, 99th, 99.9th and 99.99th
	// percentiles, in ns.
	P50Ns   int64 `json:"p50_ns"`
	P90Ns   int64 `json:"p90_ns"`
	P99Ns   int64 `json:"p99_ns"`
	P999Ns  int64 `json:"p999_ns"`
	P9999Ns int64 `json:"p9999_ns"`
	// ClampedHigh counts latencies above HighestLatencyNs, recorded as
	// HighestLatencyNs; ClampedNegative counts negative latencies, recorded
	// as 0.
	ClampedHigh     int64 `json:"clamped_high"`
	ClampedNegative int64 `json:"clamped_negative"`
	// Histogram is the whole-run HdrHistogram in the V2 compressed encoding,
	// base64 (hdrhistogram-go's Encode); decode it with DecodeHistogram.
	// Empty means no histogram.
	Histogram string `json:"histogram"`
}

// Batches holds producer batch statistics of the run: batches acknowledged
// after warmup.
type Batches struct {
	// Count is the number of record batches produced.
	Count int64 `json:"count"`
	// Records is the number of records in those batches.
	Records int64 `json:"records"`
	// UncompressedBytes is the record bytes before compression.
	UncompressedBytes int64 `json:"uncompressed_bytes"`
	// CompressedBytes is the batch bytes on the wire after compression.
	CompressedBytes int64 `json:"compressed_bytes"`
	// CompressionRatio is UncompressedBytes/CompressedBytes (0 if no bytes).
	CompressionRatio float64 `json:"compression_ratio"`
	// MeanRecordsPerBatch is Records/Count (0 if no batches).
	MeanRecordsPerBatch float64 `json:"mean_records_per_batch"`
	// MeanUncompressedBytes and MeanCompressedBytes are the mean bytes per
	// batch before compression and on the wire (0 if no batches).
	MeanUncompressedBytes float64 `json:"mean_uncompressed_bytes_per_batch"`
	MeanCompressedBytes   float64 `json:"mean_compressed_bytes_per_batch"`
	// SealedBy counts batches by why they were sealed: "linger", "size",
	// "count", "flush", "single" (batching off) or "other"; absent reasons
	// are 0. Omitted when empty.
	SealedBy map[string]int64 `json:"sealed_by,omitempty"`
	// RecordsPerBatch holds the distribution of records per batch.
	RecordsPerBatch RecordsPerBatch `json:"records_per_batch"`
}

// RecordsPerBatch is the distribution of records per batch.
type RecordsPerBatch struct {
	// P50, P99 and Max are records per batch (0 if no batches).
	P50 int64 `json:"p50"`
	P99 int64 `json:"p99"`
	Max int64 `json:"max"`
	// Histogram is the HdrHistogram of records per batch (see
	// NewRecordsHistogram), encoded as Latency.Histogram; empty when no
	// batch was recorded.
	Histogram string `json:"histogram,omitempty"`
}

// IntervalRow is one per-interval row of a run.
type IntervalRow struct {
	// StartNs and EndNs are the interval bounds as offsets from the run
	// start, in ns.
	StartNs int64 `json:"start_ns"`
	EndNs   int64 `json:"end_ns"`
	// Sent, Acked and Failed count the interval's messages.
	Sent   int64 `json:"sent"`
	Acked  int64 `json:"acked"`
	Failed int64 `json:"failed"`
	// FailedByKind splits Failed by kind; omitted when empty.
	FailedByKind map[string]int64 `json:"failed_by_kind,omitempty"`
	// MsgsPerSec is acked messages per second; MBPerSec acked payload in
	// 10^6 bytes per second.
	MsgsPerSec float64 `json:"msgs_per_sec"`
	MBPerSec   float64 `json:"mb_per_sec"`
	// P50Ns, P99Ns and MaxNs are latency percentiles of the interval's acked
	// messages, in ns (0 if none).
	P50Ns int64 `json:"p50_ns"`
	P99Ns int64 `json:"p99_ns"`
	MaxNs int64 `json:"max_ns"`
	// Warmup is true when the interval overlaps the warmup period.
	Warmup bool `json:"warmup"`

	// Fields below were added in schema 2.

	// TargetMsgsPerSec is the scheduled send rate during the interval, in
	// messages per second; 0 means unknown (the Result's target applies).
	// The caller fills it.
	TargetMsgsPerSec float64 `json:"target_msgs_per_sec,omitempty"`
	// ServiceP50Ns, ServiceP99Ns and ServiceMaxNs are service time
	// percentiles of the interval's acked messages, in ns.
	ServiceP50Ns int64 `json:"service_p50_ns"`
	ServiceP99Ns int64 `json:"service_p99_ns"`
	ServiceMaxNs int64 `json:"service_max_ns"`
	// LagP50Ns, LagP99Ns and LagMaxNs are schedule lag percentiles of the
	// interval's acked and failed messages, in ns.
	LagP50Ns int64 `json:"lag_p50_ns"`
	LagP99Ns int64 `json:"lag_p99_ns"`
	LagMaxNs int64 `json:"lag_max_ns"`
	// Batches counts the batches acknowledged in the interval,
	// BatchRecords their records, BatchUncompressedBytes their record
	// bytes before compression and BatchWireBytes their bytes on the wire.
	Batches                int64 `json:"batches"`
	BatchRecords           int64 `json:"batch_records"`
	BatchUncompressedBytes int64 `json:"batch_uncompressed_bytes"`
	BatchWireBytes         int64 `json:"batch_wire_bytes"`
	// MeanRecordsPerBatch, MeanBatchBytes (uncompressed) and
	// MeanBatchWireBytes are per-batch means; CompressionRatio is
	// BatchUncompressedBytes/BatchWireBytes; WireMBPerSec is wire bytes in
	// 10^6 bytes per second. All 0 without batches.
	MeanRecordsPerBatch float64 `json:"mean_records_per_batch"`
	MeanBatchBytes      float64 `json:"mean_batch_bytes"`
	MeanBatchWireBytes  float64 `json:"mean_batch_wire_bytes"`
	CompressionRatio    float64 `json:"compression_ratio"`
	WireMBPerSec        float64 `json:"wire_mb_per_sec"`
	// SealedBy counts the interval's batches by seal reason; omitted when
	// empty.
	SealedBy map[string]int64 `json:"sealed_by,omitempty"`
	// InFlightRequests is the number of produce requests in flight at the
	// interval's end (0 when not sampled; see InFlight.Sampled).
	InFlightRequests int64 `json:"in_flight_requests"`
	// Histograms holds the interval's encoded histograms; nil in version 1
	// files.
	Histograms *IntervalHistograms `json:"histograms,omitempty"`
}

// IntervalHistograms holds one interval's HdrHistograms (ns), each encoded
// as Latency.Histogram.
type IntervalHistograms struct {
	// Latency is intended send to ack, of the acked messages.
	Latency string `json:"latency"`
	// Service is actual send to ack, of the acked messages.
	Service string `json:"service"`
	// Lag is intended to actual send, of the acked and failed messages.
	Lag string `json:"lag"`
	// Failed is intended send to failure, of the failed messages. Schema
	// 3; empty before.
	Failed string `json:"failed,omitempty"`
}

// NewBatches returns Batches for count batches holding records records of
// uncompressed record bytes, sent as compressed wire bytes, with the ratio
// and means computed. Each is 0 when its divisor is 0 or an input is
// negative. It leaves SealedBy and RecordsPerBatch empty. NewResult fills
// Batches from the Recorder; NewBatches remains for callers with only
// totals.
func NewBatches(count, records, uncompressed, compressed int64) Batches {
	return Batches{
		Count:                 count,
		Records:               records,
		UncompressedBytes:     uncompressed,
		CompressedBytes:       compressed,
		CompressionRatio:      ratio(uncompressed, compressed),
		MeanRecordsPerBatch:   ratio(records, count),
		MeanUncompressedBytes: ratio(uncompressed, count),
		MeanCompressedBytes:   ratio(compressed, count),
	}
}

// batchesFromTotals returns the Batches of t, with the encoded
// records-per-batch histogram.
func batchesFromTotals(t BatchTotals) (Batches, error) {
	b := NewBatches(t.Batches, t.Records, t.UncompressedBytes, t.WireBytes)
	if len(t.SealedBy) > 0 {
		b.SealedBy = make(map[string]int64, len(t.SealedBy))
		for k, v := range t.SealedBy {
			b.SealedBy[k] = v
		}
	}
	if h := t.RecordsPerBatch; h != nil && h.TotalCount() > 0 {
		enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return Batches{}, fmt.Errorf("report: encode records-per-batch histogram: %w", err)
		}
		b.RecordsPerBatch = RecordsPerBatch{
			P50:       h.ValueAtQuantile(50),
			P99:       h.ValueAtQuantile(99),
			Max:       h.Max(),
			Histogram: string(enc),
		}
	}
	return b, nil
}

// NewResult returns a Result filled from a Recorder Summary: schema version,
// status StatusComplete, times (UTC), warmup, measured window, interval,
// counts, throughput, latency, service time and schedule lag (with the
// encoded histograms), batches, in-flight requests and intervals. The caller
// fills Scenario, Options, Environment, TargetRateMsgsPerSec, ClosedLoop,
// the intervals' TargetMsgsPerSec and, when the run stopped early, Status.
// It fails only if a histogram cannot be encoded.
func NewResult(s Summary) (*Result, error) {
	var lat, svc, lag, failed Latency
	for _, f := range []struct {
		dst *Latency
		h   *hdrhistogram.Histogram
	}{{&lat, s.Histogram}, {&svc, s.Service}, {&lag, s.Lag}, {&failed, s.FailedLatency}} {
		l, err := LatencyFromHistogram(f.h)
		if err != nil {
			return nil, err
		}
		*f.dst = l
	}
	batches, err := batchesFromTotals(s.Batches)
	if err != nil {
		return nil, err
	}
	lat.ClampedHigh = s.ClampedHigh
	lat.ClampedNegative = s.ClampedNegative
	byKind := make(map[string]int64, len(s.FailedByKind))
	for k, v := range s.FailedByKind {
		byKind[k] = v
	}
	intervals := make([]IntervalRow, len(s.Intervals))
	copy(intervals, s.Intervals)
	for i := range intervals {
		if h := intervals[i].Histograms; h != nil {
			c := *h
			intervals[i].Histograms = &c
		}
		intervals[i].FailedByKind = copyMap(intervals[i].FailedByKind)
		intervals[i].SealedBy = copyMap(intervals[i].SealedBy)
	}
	return &Result{
		SchemaVersion: SchemaVersion,
		Status:        StatusComplete,
		StartedAt:     s.Start.UTC(),
		EndedAt:       s.End.UTC(),
		WarmupNs:      int64(s.Warmup),
		MeasuredNs:    int64(s.Measured),
		IntervalNs:    int64(s.Interval),
		Counts: Counts{
			Sent:         s.Sent,
			Acked:        s.Acked,
			Failed:       s.Failed,
			FailedByKind: byKind,
			SentBytes:    s.SentBytes,
			AckedBytes:   s.AckedBytes,
		},
		Throughput: Throughput{
			MsgsPerSec:   finite(s.MsgsPerSec),
			MBPerSec:     finite(s.MBPerSec),
			WireMBPerSec: rate(float64(s.Batches.WireBytes)/1e6, s.Measured.Seconds()),
		},
		Latency:       lat,
		ServiceTime:   svc,
		ScheduleLag:   lag,
		FailedLatency: failed,
		ErrorBudget:   ErrorBudget{MaxErrorRate: DefaultMaxErrorRate},
		Batches:       batches,
		InFlight: InFlight{
			Sampled: s.InFlightSampled,
			Mean:    finite(s.InFlightMean),
			Max:     s.InFlightMax,
		},
		Intervals:     intervals,
		SendBlockedNs: int64(s.SendBlocked),
	}, nil
}

// copyMap returns a copy of m, or nil for an empty m.
func copyMap(m map[string]int64) map[string]int64 {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// LatencyFromHistogram returns the statistics of h (ns) and its encoding.
// A nil or empty histogram gives all zeros (and the encoding of an empty
// histogram for an empty one). It fails only if encoding fails.
func LatencyFromHistogram(h *hdrhistogram.Histogram) (Latency, error) {
	if h == nil {
		return Latency{}, nil
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return Latency{}, fmt.Errorf("report: encode histogram: %w", err)
	}
	l := Latency{Count: h.TotalCount(), Histogram: string(enc)}
	if l.Count == 0 {
		return l, nil
	}
	l.MinNs = h.Min()
	l.MaxNs = h.Max()
	l.MeanNs = int64(math.Round(finite(h.Mean())))
	l.P50Ns = h.ValueAtQuantile(50)
	l.P90Ns = h.ValueAtQuantile(90)
	l.P99Ns = h.ValueAtQuantile(99)
	l.P999Ns = h.ValueAtQuantile(99.9)
	l.P9999Ns = h.ValueAtQuantile(99.99)
	return l, nil
}

// DecodeHistogram decodes a histogram encoded as in Latency.Histogram. An
// empty string gives an empty histogram with the package geometry. It fails
// on malformed input.
func DecodeHistogram(encoded string) (*hdrhistogram.Histogram, error) {
	if encoded == "" {
		return NewHistogram(), nil
	}
	h, err := hdrhistogram.Decode([]byte(encoded))
	if err != nil {
		return nil, fmt.Errorf("report: decode histogram: %w", err)
	}
	return h, nil
}

// MarshalResult returns res as indented JSON (with a trailing newline), the
// exact bytes Write puts in result.json. The encoding is normalised without
// changing res: schema_version SchemaVersion, times in UTC, non-finite
// floats as 0, a null failed_by_kind as {}, null intervals as [], and the
// derived fields recomputed: generator (CheckGenerator) and
// throughput.wire_mb_per_sec. It fails on nil res or invalid raw JSON in
// Options or Scenario.Spec.
func MarshalResult(res *Result) ([]byte, error) {
	if res == nil {
		return nil, errors.New("report: nil result")
	}
	c := *res
	c.SchemaVersion = SchemaVersion
	Finalize(&c)
	c.Throughput.WireMBPerSec = wireMBPerSec(res)
	c.StartedAt = c.StartedAt.UTC()
	c.EndedAt = c.EndedAt.UTC()
	c.ErrorBudget.ErrorRate = finite(c.ErrorBudget.ErrorRate)
	if c.KeySkew != nil {
		k := *c.KeySkew
		k.Top10Share = finite(k.Top10Share)
		c.KeySkew = &k
	}
	c.Throughput.MsgsPerSec = finite(c.Throughput.MsgsPerSec)
	c.Throughput.MBPerSec = finite(c.Throughput.MBPerSec)
	c.Batches.CompressionRatio = finite(c.Batches.CompressionRatio)
	c.Batches.MeanRecordsPerBatch = finite(c.Batches.MeanRecordsPerBatch)
	c.Batches.MeanUncompressedBytes = finite(c.Batches.MeanUncompressedBytes)
	c.Batches.MeanCompressedBytes = finite(c.Batches.MeanCompressedBytes)
	c.InFlight.Mean = finite(c.InFlight.Mean)
	if c.Counts.FailedByKind == nil {
		c.Counts.FailedByKind = map[string]int64{}
	}
	c.Intervals = make([]IntervalRow, len(res.Intervals))
	for i, iv := range res.Intervals {
		iv.MsgsPerSec = finite(iv.MsgsPerSec)
		iv.MBPerSec = finite(iv.MBPerSec)
		iv.TargetMsgsPerSec = finite(iv.TargetMsgsPerSec)
		iv.MeanRecordsPerBatch = finite(iv.MeanRecordsPerBatch)
		iv.MeanBatchBytes = finite(iv.MeanBatchBytes)
		iv.MeanBatchWireBytes = finite(iv.MeanBatchWireBytes)
		iv.CompressionRatio = finite(iv.CompressionRatio)
		iv.WireMBPerSec = finite(iv.WireMBPerSec)
		c.Intervals[i] = iv
	}
	return indentJSON(&c, "result")
}

// indentJSON returns v as indented JSON ending in a newline; an encoding
// error names what was encoded.
func indentJSON(v any, what string) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encode %s: %w", what, err)
	}
	return append(b, '\n'), nil
}

// ReadResult reads a result.json written by Write, of schema version 1 or
// 2; fields a version 1 file lacks stay zero (no service time, schedule lag
// or interval histograms). It fails, naming path, if the file cannot be
// read or parsed, or its schema_version is not between 1 and SchemaVersion.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("report: %s is empty", path)
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("report: parse %s: %w", path, err)
	}
	if res.SchemaVersion < 1 || res.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("report: %s has schema_version %d, want 1..%d", path, res.SchemaVersion, SchemaVersion)
	}
	return &res, nil
}

// UnmarshalResult parses a result.json's content (as MarshalResult writes
// it); it fails if data is not a result of schema version 1 to
// SchemaVersion.
func UnmarshalResult(data []byte) (*Result, error) {
	var res Result
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("parse result: %w", err)
	}
	if res.SchemaVersion < 1 || res.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("schema_version %d, want 1..%d", res.SchemaVersion, SchemaVersion)
	}
	return &res, nil
}

// CollectEnvironment describes the current process: git commit of the
// working directory (`git rev-parse HEAD`, 2 s timeout, "unknown" on any
// failure), Go version, CPU counts, hostname ("unknown" on failure), OS,
// architecture and prodbench version. It never fails.
func CollectEnvironment() Environment {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return Environment{
		GitCommit:  gitCommit(),
		GoVersion:  runtime.Version(),
		CPUModel:   cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Hostname:   host,
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Version:    version(),
	}
}

// gitCommit returns `git rev-parse HEAD` of the current directory, or
// "unknown".
func gitCommit() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if c == "" {
		return "unknown"
	}
	return c
}

// version returns Version, or the main module's version when Version was
// left at "dev" and the binary was built from a tagged module.
func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
	}
	return Version
}

// finite returns x, or 0 when x is NaN or infinite (JSON cannot encode them).
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// rate returns n/secs, or 0 when secs is not positive or the result is not
// finite.
func rate(n, secs float64) float64 {
	if !(secs > 0) {
		return 0
	}
	return finite(n / secs)
}

// ProducerResult is one producer instance's share of a run with several
// producers. Sent, Acked and Failed count records over the whole run,
// warmup included (Counts excludes the warmup); they sum to the run's
// records sent, acked and failed. Retries and Batches are the
// producer's own counters (0 when its engine does not report them).
type ProducerResult struct {
	// Index is the producer's number, 0 to N−1; worker w sends through
	// producer w mod N.
	Index int `json:"index"`
	// Sent, Acked and Failed count the producer's records.
	Sent   int64 `json:"sent"`
	Acked  int64 `json:"acked"`
	Failed int64 `json:"failed"`
	// Retries is the producer's batch resends; Batches its acknowledged
	// batches.
	Retries int64 `json:"retries"`
	Batches int64 `json:"batches"`
}

// Verify is the delivery verification block of result.json: every record
// carried a stamp (run ID, sequence, worker, CRC-32C of the value), the
// run kept each record's outcome, and the topics were read back after the
// run (see workload/verify). Lost or corrupted records fail the run.
type Verify struct {
	// RunID is the run's stamp ID, 16 hex digits.
	RunID string `json:"run_id"`
	// Total sums Partitions (its Partition is -1).
	Total VerifyCounts `json:"total"`
	// Partitions are the counts per topic partition; failed records
	// never read back are under partition -1 of their topic.
	Partitions []VerifyCounts `json:"partitions,omitempty"`
	// Tracked is how many record sequences were tracked; Untracked the
	// outcomes above that cap (sent, not checked).
	Tracked   int64 `json:"tracked"`
	Untracked int64 `json:"untracked,omitempty"`
	// Foreign counts records read back with another run's stamp,
	// Unstamped those without one; neither is checked.
	Foreign   int64 `json:"foreign,omitempty"`
	Unstamped int64 `json:"unstamped,omitempty"`
	// Error is why the read back failed, if it did (the counts are then
	// incomplete and the run fails).
	Error string `json:"error,omitempty"`
}

// VerifyCounts are the verification figures of one partition, or of the
// whole run: workload/verify.Counts, from the leaf package both import.
type VerifyCounts = counts.Counts

// verifyFailure returns why v fails the run ("verify: 3 lost, 1
// corrupted"), or "" when it does not.
func verifyFailure(v *Verify) string {
	if v == nil {
		return ""
	}
	if v.Error != "" {
		return "verify: read back failed: " + v.Error
	}
	var parts []string
	if n := v.Total.Lost; n > 0 {
		parts = append(parts, fmt.Sprintf("%d lost", n))
	}
	if n := v.Total.Corrupted; n > 0 {
		parts = append(parts, fmt.Sprintf("%d corrupted", n))
	}
	if len(parts) == 0 {
		return ""
	}
	return "verify: " + strings.Join(parts, ", ")
}

// verifyLine is the one-line verification summary.
func verifyLine(v *Verify) string {
	t := v.Total
	s := fmt.Sprintf("whole run (warmup included): read back %d of %d acked: lost %d, duplicated %d, reordered %d, corrupted %d; failed %d, of which present %d",
		t.ReadBack, t.Acked, t.Lost, t.Duplicated, t.Reordered, t.Corrupted, t.Failed, t.FailedPresent)
	if v.Untracked > 0 {
		s += fmt.Sprintf("; %d untracked (above %d)", v.Untracked, v.Tracked)
	}
	if v.Error != "" {
		s += "; READ BACK FAILED: " + v.Error
	}
	return s
}
