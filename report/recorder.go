package report

import (
	"math/bits"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry used for every latency histogram the package creates.
const (
	// LowestLatencyNs is the lowest discernible latency, in nanoseconds (1 ns).
	LowestLatencyNs int64 = 1
	// HighestLatencyNs is the highest trackable latency, in nanoseconds (1 hour).
	// Larger latencies are recorded as HighestLatencyNs and counted in
	// Summary.ClampedHigh.
	HighestLatencyNs int64 = int64(time.Hour)
	// SignificantDigits is the number of significant decimal digits kept by the
	// latency histograms (3: values are exact to within 0.1%).
	SignificantDigits = 3
)

// NewHistogram returns an empty latency histogram with the package geometry
// (LowestLatencyNs, HighestLatencyNs, SignificantDigits). Values are in
// nanoseconds.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestLatencyNs, HighestLatencyNs, SignificantDigits)
}

// maxShards bounds the number of recorder shards (each holds nine
// histograms of about 270 KB).
const maxShards = 8

// Kinds of timing histogram kept for every message, indexes of histSet.
const (
	kindLatency = iota // ack - intended send time
	kindService        // ack - actual send time
	kindLag            // actual - intended send time
	kindFailed         // failure report - intended send time, of failed messages
	numKinds
)

// histSet holds one histogram per timing kind (kindLatency, kindService,
// kindLag).
type histSet [numKinds]*hdrhistogram.Histogram

func newHistSet() histSet {
	var s histSet
	for i := range s {
		s[i] = NewHistogram()
	}
	return s
}

// shard is one slice of a Recorder's state. Hot-path goroutines pick a shard
// by hashing the message's timestamps, so goroutines rarely contend on the
// same mutex or counter cache line.
type shard struct {
	// Send side, written by the workers' Sends (Sent, SendBlocked), on
	// cache lines of their own: the ack side below is written by the
	// producer's callback goroutines, and sharing a line made every
	// send and every ack miss the other's write.
	//
	// aSent counts every message sent, warmup or not, and wSent those of
	// the warmup: the run's count after warmup is aSent - wSent, and an
	// interval's is aSent less what the ticks before took (ticked), so a
	// message after warmup costs two atomic adds (aSent, tSentBytes), not
	// three. tSentBytes counts the run's payload bytes after warmup;
	// tBlocked sums the ns Send was blocked (SendBlocked), after warmup.
	aSent, wSent, tSentBytes, tBlocked atomic.Int64
	_                                  [cacheLinePad - 32]byte

	// Ack side. iFailed counts the current interval's failures (swapped
	// to zero by Tick under mu); tFailed counts the whole run's, after
	// warmup only.
	iFailed, tFailed atomic.Int64

	mu sync.Mutex
	// tAcked and tAckedBytes count the whole run's acked messages and
	// payload bytes, after warmup only, and clampedHigh and clampedNeg
	// its latencies clamped above HighestLatencyNs and below zero:
	// guarded by mu, which every ack takes anyway (atomics here were two
	// locked instructions more per ack).
	tAcked, tAckedBytes     int64
	clampedHigh, clampedNeg int64
	// ticked is the part of aSent the intervals so far counted, guarded
	// by mu.
	ticked int64
	// Acked messages and payload bytes of the current interval, guarded by
	// mu so they always match ihist.
	iAcked, iAckedBytes int64
	ihist               histSet // current interval, guarded by mu
	thist               histSet // whole run after warmup, guarded by mu
	// kinds counts this shard's failures by kind, guarded by mu: no
	// global lock on the failure path.
	kinds map[string]*kindCount

	// spare is an empty set swapped in for ihist at Tick. Only the ticking
	// goroutine touches it (under Recorder.tickMu).
	spare histSet

	_ [cacheLinePad]byte // keep neighbouring shards off this shard's cache lines
}

// cacheLinePad is the padding, in bytes, that keeps counters written by
// different goroutines apart: two 64-byte lines, as x86 CPUs fetch lines
// in adjacent pairs.
const cacheLinePad = 128

// kindCount counts failures of one kind in one shard. Guarded by the
// shard's mu.
type kindCount struct {
	interval, total int64
}

// Recorder measures one benchmark run: message counts, payload bytes,
// failures by kind, producer batches and three timings per message, each in
// HdrHistograms per interval and for the whole run:
//
//   - latency, from the message's intended send time to its ack
//     (coordinated-omission free);
//   - service time, from the actual send (the producer call) to its ack;
//   - schedule lag, from the intended to the actual send time.
//
// Sent, Success, Failure and Batch may be called concurrently from any
// number of goroutines and do not allocate in steady state; Tick and Finish
// must be called from one goroutine at a time.
//
// Messages whose intended send time is before start+warmup count in the
// intervals but not in the Summary; batches acknowledged before
// start+warmup likewise.
//
// State is split into up to 8 shards (a power of two not above GOMAXPROCS),
// chosen by hashing the message's timestamps, or by worker through a Lane
// (ForWorker, as the workload engine records); each shard holds twelve
// histograms of about 270 KB, so a Recorder uses at most about 26 MB.
type Recorder struct {
	startNs    int64
	warmupEnd  int64 // Unix ns; messages intended before this are warmup
	warmup     time.Duration
	interval   time.Duration
	shards     []shard
	shardShift uint // 64 - log2(len(shards))

	batches  batchStats
	inFlight atomic.Pointer[func() int]
	// now returns the current Unix ns; Batch uses it to tell warmup
	// batches. Tests replace it.
	now func() int64

	tickMu    sync.Mutex
	lastTick  time.Time // end of the last closed interval
	intervals []IntervalRow
	finished  bool
	summary   Summary
}

// NewRecorder returns a Recorder for a run that starts at start. Messages
// intended before start+warmup are warmup: they appear in intervals but are
// excluded from the Summary. interval is the nominal interval length the
// caller ticks at; it is reported in Summary.Interval and never used to cut
// intervals (Tick does that). Negative warmup or interval are treated as 0.
func NewRecorder(start time.Time, warmup, interval time.Duration) *Recorder {
	warmup = max(warmup, 0)
	interval = max(interval, 0)
	n := 1
	for n < runtime.GOMAXPROCS(0) && n < maxShards {
		n *= 2
	}
	r := &Recorder{
		startNs:    start.UnixNano(),
		warmupEnd:  start.UnixNano() + int64(warmup),
		warmup:     warmup,
		interval:   interval,
		shards:     make([]shard, n),
		shardShift: uint(64 - bits.TrailingZeros(uint(n))),
		batches:    newBatchStats(),
		now:        func() int64 { return time.Now().UnixNano() },
		lastTick:   start,
	}
	for i := range r.shards {
		s := &r.shards[i]
		s.ihist = newHistSet()
		s.thist = newHistSet()
		s.spare = newHistSet()
		s.kinds = make(map[string]*kindCount)
	}
	return r
}

// shardFor picks a shard by Fibonacci-hashing the timestamps, which spreads
// evenly spaced schedules across shards.
func (r *Recorder) shardFor(a, b int64) *shard {
	if len(r.shards) == 1 {
		return &r.shards[0]
	}
	h := uint64(a^(b<<17)) * 0x9E3779B97F4A7C15
	return &r.shards[h>>r.shardShift]
}

// clampNs returns v limited to [0, HighestLatencyNs].
func clampNs(v int64) int64 {
	return min(max(v, 0), HighestLatencyNs)
}

// Sent counts one message handed to the producer. intendedNs is the message's
// intended send time (Unix ns); bytes is its record payload size
// (key+value+headers). It never allocates.
func (r *Recorder) Sent(intendedNs int64, bytes int) {
	r.sentIn(r.shardFor(intendedNs, 0), intendedNs, bytes)
}

// sentIn counts one sent message in s (see Sent).
func (r *Recorder) sentIn(s *shard, intendedNs int64, bytes int) {
	s.aSent.Add(1)
	if intendedNs >= r.warmupEnd {
		s.tSentBytes.Add(int64(bytes))
	} else {
		s.wSent.Add(1)
	}
}

// SendBlocked adds blockedNs, the time one Send call was blocked on the
// producer's pending limits, to the run's send blocked time when the
// message (intended at intendedNs, Unix ns) is after warmup
// (Summary.SendBlocked). It implements workload.BlockObserver and never
// allocates.
func (r *Recorder) SendBlocked(intendedNs, blockedNs int64) {
	if intendedNs >= r.warmupEnd && blockedNs > 0 {
		r.shardFor(intendedNs, 0).tBlocked.Add(blockedNs)
	}
}

// Success records one acked message. intendedNs is its intended send time,
// sentNs when it was actually handed to the producer, and ackNs the time its
// ack arrived (all Unix ns). It records latency = ackNs-intendedNs, service
// time = ackNs-sentNs and schedule lag = sentNs-intendedNs. Timings below 0
// are recorded as 0 and above HighestLatencyNs as HighestLatencyNs; for
// latency both are counted in the Summary. bytes is the record payload size
// (key+value+headers). It never allocates.
func (r *Recorder) Success(intendedNs, sentNs, ackNs int64, bytes int) {
	s := r.shardFor(intendedNs, ackNs)
	s.mu.Lock()
	r.successLocked(s, intendedNs, sentNs, ackNs, bytes)
	s.mu.Unlock()
}

// successLocked records one ack into s, whose mu the caller holds.
func (r *Recorder) successLocked(s *shard, intendedNs, sentNs, ackNs int64, bytes int) {
	lat := ackNs - intendedNs
	if intendedNs >= r.warmupEnd {
		switch {
		case lat < 0:
			s.clampedNeg++
		case lat > HighestLatencyNs:
			s.clampedHigh++
		}
		s.tAcked++
		s.tAckedBytes += int64(bytes)
		lat, svc, lag := clampNs(lat), clampNs(ackNs-sentNs), clampNs(sentNs-intendedNs)
		// Values are within [0, HighestLatencyNs], so RecordValue cannot fail.
		_ = s.thist[kindLatency].RecordValue(lat)
		_ = s.thist[kindService].RecordValue(svc)
		_ = s.thist[kindLag].RecordValue(lag)
	}
	s.iAcked++
	s.iAckedBytes += int64(bytes)
	_ = s.ihist[kindLatency].RecordValue(clampNs(lat))
	_ = s.ihist[kindService].RecordValue(clampNs(ackNs - sentNs))
	_ = s.ihist[kindLag].RecordValue(clampNs(sentNs - intendedNs))
}

// Done is one acked message of a batch given to Lane.SuccessBatch.
type Done struct {
	// IntendedNs and SentNs are the message's intended and actual send
	// times (Unix ns).
	IntendedNs, SentNs int64
	// Bytes is the record payload size (key+value+headers).
	Bytes int
}

// Lane is one worker's view of a Recorder: the shard the worker records
// into, so that workers contend on no shared lock or counter cache line
// and a whole batch of acks takes the shard's lock once. Lanes are
// returned by Recorder.Lane; a Lane may be used from any goroutine, but
// one Lane per worker spreads the load.
type Lane struct {
	r *Recorder
	s *shard
}

// Lane returns the lane of worker (0, 1, …): worker modulo the number of
// shards. Negative workers use lane 0. It never allocates beyond the
// returned value.
func (r *Recorder) Lane(worker int) Lane {
	if worker < 0 {
		worker = 0
	}
	return Lane{r: r, s: &r.shards[worker%len(r.shards)]}
}

// ForWorker returns worker's Lane (see Lane) as the per-worker observer
// the workload engine asks for (workload.WorkerObserver; the result type
// is unnamed so that report does not import workload). It allocates once
// per call, not per message.
func (r *Recorder) ForWorker(worker int) interface {
	Sent(intendedNs int64, bytes int)
	Success(intendedNs, sentNs, ackNs int64, bytes int)
	Failure(intendedNs, sentNs, ackNs int64, kind string)
} {
	return r.Lane(worker)
}

// Sent counts one message handed to the producer, as Recorder.Sent.
func (l Lane) Sent(intendedNs int64, bytes int) {
	l.r.sentIn(l.s, intendedNs, bytes)
}

// Success records one acked message, as Recorder.Success.
func (l Lane) Success(intendedNs, sentNs, ackNs int64, bytes int) {
	l.s.mu.Lock()
	l.r.successLocked(l.s, intendedNs, sentNs, ackNs, bytes)
	l.s.mu.Unlock()
}

// SuccessBatch records the acked messages of one batch, all acked at ackNs
// (Unix ns; the ack time is read once per batch), under one lock. Each
// message is recorded exactly as by Recorder.Success. It does not
// allocate.
func (l Lane) SuccessBatch(ackNs int64, msgs []Done) {
	l.s.mu.Lock()
	for i := range msgs {
		m := &msgs[i]
		l.r.successLocked(l.s, m.IntendedNs, m.SentNs, ackNs, m.Bytes)
	}
	l.s.mu.Unlock()
}

// Failure counts one failed send, as Recorder.Failure.
func (l Lane) Failure(intendedNs, sentNs, ackNs int64, kind string) {
	l.r.failureIn(l.s, intendedNs, sentNs, ackNs, kind)
}

// Failure counts one failed send of the given kind (for example "queue_full",
// "send_timeout", "closed", "connection" or "broker:NOT_LEADER_OR_FOLLOWER").
// intendedNs (Unix ns) decides whether the failure falls in warmup; sentNs is
// when the message was handed to the producer, and its schedule lag
// sentNs-intendedNs is recorded (clamped as in Success); ackNs, when the
// failure was reported, gives the time to failure ackNs-intendedNs,
// recorded in the failed-message histogram (Summary.Failed). Failures are
// never dropped. It allocates
// only the first time a kind is seen.
func (r *Recorder) Failure(intendedNs, sentNs, ackNs int64, kind string) {
	r.failureIn(r.shardFor(intendedNs, ackNs), intendedNs, sentNs, ackNs, kind)
}

// failureIn records one failure into shard s.
func (r *Recorder) failureIn(s *shard, intendedNs, sentNs, ackNs int64, kind string) {
	measured := intendedNs >= r.warmupEnd
	s.iFailed.Add(1)
	if measured {
		s.tFailed.Add(1)
	}
	lag := clampNs(sentNs - intendedNs)
	toFail := clampNs(ackNs - intendedNs)
	s.mu.Lock()
	_ = s.ihist[kindLag].RecordValue(lag)
	_ = s.ihist[kindFailed].RecordValue(toFail)
	if measured {
		_ = s.thist[kindLag].RecordValue(lag)
		_ = s.thist[kindFailed].RecordValue(toFail)
	}
	k := s.kinds[kind]
	if k == nil {
		k = &kindCount{}
		s.kinds[kind] = k
	}
	k.interval++
	if measured {
		k.total++
	}
	s.mu.Unlock()
}

// SetInFlight sets the function Tick calls, once at the end of every
// interval, to sample the number of produce requests in flight; nil stops
// sampling. Intervals closed without a sampler report
// InFlightRequests 0 and Summary.InFlightSampled stays false unless some
// interval was sampled. fn must be safe to call from the ticking goroutine.
func (r *Recorder) SetInFlight(fn func() int) {
	if fn == nil {
		r.inFlight.Store(nil)
		return
	}
	r.inFlight.Store(&fn)
}

// Interval is the snapshot of one closed interval returned by Tick. The
// embedded IntervalRow holds the counts, rates, percentiles and the encoded
// histograms; Start and End are the wall-clock bounds and Histogram, Service
// and Lag the interval's timings (ns), warmup messages included. The
// Interval is owned by the caller.
type Interval struct {
	IntervalRow
	// Start and End bound the interval.
	Start, End time.Time
	// Histogram holds the latencies (intended send to ack, ns) of the
	// messages acked in the interval. Never nil.
	Histogram *hdrhistogram.Histogram
	// Service holds their service times (actual send to ack, ns). Never
	// nil.
	Service *hdrhistogram.Histogram
	// Lag holds the schedule lags (intended to actual send, ns) of the
	// messages acked or failed in the interval. Never nil.
	Lag *hdrhistogram.Histogram
	// FailedHist holds the times from intended send to failure (ns) of
	// the messages failed in the interval. Never nil.
	FailedHist *hdrhistogram.Histogram
}

// Tick closes the current interval at now and returns its snapshot. Rates are
// 0 when the interval has zero or negative length. The interval is marked
// Warmup when it starts before start+warmup. If SetInFlight gave a sampler,
// Tick calls it once. Tick must not be called concurrently with itself or
// Finish; after Finish it returns an empty Interval.
func (r *Recorder) Tick(now time.Time) Interval {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	if r.finished {
		return Interval{Start: now, End: now, Histogram: NewHistogram(), Service: NewHistogram(), Lag: NewHistogram(), FailedHist: NewHistogram()}
	}
	return r.tickLocked(now)
}

func (r *Recorder) tickLocked(now time.Time) Interval {
	iv := Interval{Start: r.lastTick, End: now}
	hs := newHistSet()
	var ackedBytes int64
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		h := s.ihist
		s.ihist = s.spare
		iv.Acked += s.iAcked
		ackedBytes += s.iAckedBytes
		s.iAcked, s.iAckedBytes = 0, 0
		// Every count lands in exactly one interval. Acked counts always
		// match the latency histogram; a Sent or Failure racing with the
		// tick may land in the interval after its message's ack.
		a := s.aSent.Load()
		iv.Sent += a - s.ticked
		s.ticked = a
		iv.Failed += s.iFailed.Swap(0)
		for kind, k := range s.kinds {
			if k.interval != 0 {
				if iv.FailedByKind == nil {
					iv.FailedByKind = make(map[string]int64)
				}
				iv.FailedByKind[kind] += k.interval
				k.interval = 0
			}
		}
		s.mu.Unlock()
		for k := range h {
			hs[k].Merge(h[k])
			h[k].Reset()
		}
		s.spare = h
	}
	iv.Histogram, iv.Service, iv.Lag, iv.FailedHist = hs[kindLatency], hs[kindService], hs[kindLag], hs[kindFailed]

	startNs, endNs := iv.Start.UnixNano(), now.UnixNano()
	iv.StartNs = startNs - r.startNs
	iv.EndNs = endNs - r.startNs
	iv.Warmup = startNs < r.warmupEnd
	secs := float64(endNs-startNs) / 1e9
	iv.MsgsPerSec = rate(float64(iv.Acked), secs)
	iv.MBPerSec = rate(float64(ackedBytes)/1e6, secs)
	iv.P50Ns, iv.P99Ns, iv.MaxNs = p50p99max(iv.Histogram)
	iv.ServiceP50Ns, iv.ServiceP99Ns, iv.ServiceMaxNs = p50p99max(iv.Service)
	iv.LagP50Ns, iv.LagP99Ns, iv.LagMaxNs = p50p99max(iv.Lag)
	iv.Histograms = encodeSet(hs)
	r.batches.tick(&iv.IntervalRow, secs)
	if fn := r.inFlight.Load(); fn != nil {
		n := int64((*fn)())
		iv.InFlightRequests = n
		r.batches.sampleInFlight(n, iv.Warmup)
	}
	if now.After(r.lastTick) {
		r.lastTick = now
	}
	r.intervals = append(r.intervals, iv.IntervalRow)
	return iv
}

// p50p99max returns the 50th and 99th percentiles and the maximum of h, all
// 0 for an empty histogram.
func p50p99max(h *hdrhistogram.Histogram) (p50, p99, mx int64) {
	if h.TotalCount() == 0 {
		return 0, 0, 0
	}
	return h.ValueAtQuantile(50), h.ValueAtQuantile(99), h.Max()
}

// encodeSet returns the encodings of hs. Encoding an in-memory histogram
// does not fail; if it ever did, the string is left empty (no histogram).
func encodeSet(hs histSet) *IntervalHistograms {
	enc := func(h *hdrhistogram.Histogram) string {
		b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return ""
		}
		return string(b)
	}
	return &IntervalHistograms{
		Latency: enc(hs[kindLatency]),
		Service: enc(hs[kindService]),
		Lag:     enc(hs[kindLag]),
		Failed:  enc(hs[kindFailed]),
	}
}

// Summary is the whole-run measurement returned by Recorder.Finish. Counts,
// bytes, rates and histograms cover messages intended at or after
// Start+Warmup only (batches: acknowledged at or after it); Intervals cover
// everything.
type Summary struct {
	// Start and End bound the run; Start is the time given to NewRecorder.
	Start, End time.Time
	// Warmup is the excluded warmup period; Interval the nominal interval
	// length given to NewRecorder.
	Warmup, Interval time.Duration
	// Measured is End-(Start+Warmup), or 0 if the run ended within warmup.
	Measured time.Duration
	// Sent, Acked and Failed count messages; SentBytes and AckedBytes sum
	// their record payload (key+value+headers) in bytes.
	Sent, Acked, Failed, SentBytes, AckedBytes int64
	// FailedByKind counts failures by kind. Never nil.
	FailedByKind map[string]int64
	// MsgsPerSec is Acked/Measured in messages per second; MBPerSec is
	// AckedBytes/Measured in 10^6 bytes per second. Both 0 when Measured
	// is 0.
	MsgsPerSec, MBPerSec float64
	// ClampedHigh counts latencies above HighestLatencyNs (recorded as
	// HighestLatencyNs); ClampedNegative counts negative latencies (ack
	// before intended time, recorded as 0).
	ClampedHigh, ClampedNegative int64
	// Histogram holds every measured latency (intended send to ack) in ns.
	// Never nil.
	Histogram *hdrhistogram.Histogram
	// Service holds the service times (actual send to ack) of the acked
	// messages, in ns. Never nil.
	Service *hdrhistogram.Histogram
	// Lag holds the schedule lags (intended to actual send) of the acked
	// and failed messages, in ns. Never nil.
	Lag *hdrhistogram.Histogram
	// FailedLatency holds the times from intended send to failure of the
	// failed messages, in ns. Never nil.
	FailedLatency *hdrhistogram.Histogram
	// Batches sums the batches reported through Batch.
	Batches BatchTotals
	// SendBlocked is the time, summed over workers, that Send calls of
	// measured messages were blocked on the producer's pending limits
	// (see SendBlocked).
	SendBlocked time.Duration
	// InFlightSampled is true when some interval sampled the produce
	// requests in flight (see SetInFlight); InFlightMean and InFlightMax
	// are the mean and maximum of the samples of intervals after warmup.
	InFlightSampled bool
	InFlightMean    float64
	InFlightMax     int64
	// Intervals lists every interval closed by Tick and Finish, in order.
	Intervals []IntervalRow
}

// Finish closes the last (partial) interval at end, unless it is empty and of
// zero length, and returns the whole-run Summary. It must be called after the
// producer stopped calling Sent, Success, Failure and Batch; anything
// recorded later is not reported. Later calls return the first call's
// Summary.
func (r *Recorder) Finish(end time.Time) Summary {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	if r.finished {
		return r.summary
	}
	var pending int64
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		pending += s.aSent.Load() - s.ticked + s.iAcked + s.iFailed.Load()
		s.mu.Unlock()
	}
	pending += r.batches.pending()
	if end.After(r.lastTick) || pending != 0 {
		r.tickLocked(end)
	}
	sum := Summary{
		Start:        time.Unix(0, r.startNs),
		End:          end,
		Warmup:       r.warmup,
		Interval:     r.interval,
		FailedByKind: make(map[string]int64),
		Intervals:    r.intervals,
	}
	hs := newHistSet()
	if m := end.UnixNano() - r.warmupEnd; m > 0 {
		sum.Measured = time.Duration(m)
	}
	for i := range r.shards {
		s := &r.shards[i]
		sum.Sent += s.aSent.Load() - s.wSent.Load()
		sum.SentBytes += s.tSentBytes.Load()
		sum.Failed += s.tFailed.Load()
		sum.SendBlocked += time.Duration(s.tBlocked.Load())
		s.mu.Lock()
		sum.Acked += s.tAcked
		sum.AckedBytes += s.tAckedBytes
		sum.ClampedHigh += s.clampedHigh
		sum.ClampedNegative += s.clampedNeg
		for k := range hs {
			hs[k].Merge(s.thist[k])
		}
		for kind, k := range s.kinds {
			if k.total != 0 {
				sum.FailedByKind[kind] += k.total
			}
		}
		s.mu.Unlock()
	}
	sum.Histogram, sum.Service, sum.Lag, sum.FailedLatency = hs[kindLatency], hs[kindService], hs[kindLag], hs[kindFailed]
	r.batches.finish(&sum)
	secs := sum.Measured.Seconds()
	sum.MsgsPerSec = rate(float64(sum.Acked), secs)
	sum.MBPerSec = rate(float64(sum.AckedBytes)/1e6, secs)
	r.finished = true
	r.summary = sum
	return sum
}

// sortedKeys returns m's keys in ascending order.
func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
