package report

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Run status values beyond StatusComplete and StatusInterrupted (see
// Judge).
const (
	// StatusDegraded marks a run whose error rate was above its error
	// budget, or whose target rate was missed because the system under
	// test pushed back (Send blocked on the pending limits). It exits 99,
	// like a crossed threshold.
	StatusDegraded = "degraded"
	// StatusFailed marks a run in which nothing was acked for a stretch of
	// FailedStretch or more, or nothing at all: the target died or was
	// unreachable. It exits 1.
	StatusFailed = "failed"
)

// DefaultMaxErrorRate is the default error budget (1%): failed / sent
// messages above it make a run StatusDegraded. NewResult sets
// Result.ErrorBudget.MaxErrorRate to it; 0 disables the budget.
const DefaultMaxErrorRate = 0.01

// FailedStretch is the shortest run of measured intervals without a single
// ack (while messages were sent or failed) that makes a run StatusFailed.
const FailedStretch = 3 * time.Second

// ErrorBudget is the error-budget verdict of a run.
type ErrorBudget struct {
	// MaxErrorRate is the budget: the highest acceptable failed / sent
	// ratio, in [0, 1]; 0 means no budget. Default DefaultMaxErrorRate.
	MaxErrorRate float64 `json:"max_error_rate"`
	// ErrorRate is failed / (acked + failed) of the measured window, or
	// failed / sent when nothing completed; 0 without messages.
	ErrorRate float64 `json:"error_rate"`
	// Exceeded is true when MaxErrorRate > 0 and ErrorRate > MaxErrorRate.
	Exceeded bool `json:"exceeded"`
}

// EngineCaps says which figures the run's engine reports (from the
// engine registry's Capabilities). Reports print "not applicable" for a
// figure the engine cannot have, instead of zeros.
type EngineCaps struct {
	// Batches is true when the engine reports batches and seal reasons.
	Batches bool `json:"batches"`
	// Compression is true when the engine compresses on the client.
	Compression bool `json:"compression"`
}

// ThresholdVerdict is one threshold's outcome, persisted in result.json and
// printed by every report. Package verdict fills it (verdict.Record).
type ThresholdVerdict struct {
	// Threshold is the threshold as written by verdict, e.g. "p99 < 20ms".
	Threshold string `json:"threshold"`
	// Observed is the run's value in the threshold's unit, as text
	// ("12.231ms", "19997.2 msg/s", "0.000%"); "n/a" when missing.
	Observed string `json:"observed"`
	// OK reports whether the threshold held.
	OK bool `json:"ok"`
}

// ProducerCounters are the producer's own counters over the run, filled by
// the caller from the engine's Stats.
type ProducerCounters struct {
	// Retries counts produce requests retried by the producer.
	Retries int64 `json:"retries"`
	// Reconnects counts connections re-established to the system under
	// test.
	Reconnects int64 `json:"reconnects"`
	// Resends counts records sent again after a failed or timed-out
	// request.
	Resends int64 `json:"resends"`
}

// KeySkew describes how unevenly the acked messages spread over keys.
type KeySkew struct {
	// DistinctKeys is the number of distinct keys seen.
	DistinctKeys int64 `json:"distinct_keys"`
	// Top10Share is the share of messages (0 to 1) carried by the ten most
	// frequent keys.
	Top10Share float64 `json:"top10_share"`
}

// NewKeySkew returns the KeySkew of per-key message counts.
func NewKeySkew(counts map[string]int64) KeySkew {
	vals := make([]int64, 0, len(counts))
	var total int64
	for _, v := range counts {
		vals = append(vals, v)
		total += v
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] > vals[j] })
	var top int64
	for i := 0; i < len(vals) && i < 10; i++ {
		top += vals[i]
	}
	return KeySkew{DistinctKeys: int64(len(counts)), Top10Share: ratio(top, total)}
}

// TimerFloor is this machine's timer wake-up jitter, measured before a run
// by MeasureTimerFloor: how late a sleeping goroutine wakes. A schedule
// lag at or below it is the platform, not the generator.
type TimerFloor struct {
	// Samples is the number of wake-ups measured; 0 means not measured.
	Samples int64 `json:"samples"`
	// P50Ns, P99Ns and MaxNs are percentiles of the oversleep, in ns.
	P50Ns int64 `json:"p50_ns"`
	P99Ns int64 `json:"p99_ns"`
	MaxNs int64 `json:"max_ns"`
}

// MeasureTimerFloor measures the timer wake-up jitter of this machine for
// about d (200 ms is enough): it sleeps 100 µs repeatedly and records how
// much later than asked each sleep returned. d <= 0 gives the zero
// TimerFloor.
func MeasureTimerFloor(d time.Duration) TimerFloor {
	if d <= 0 {
		return TimerFloor{}
	}
	const nap = 100 * time.Microsecond
	h := NewHistogram()
	end := time.Now().Add(d)
	for {
		t0 := time.Now()
		if !t0.Before(end) {
			break
		}
		time.Sleep(nap)
		_ = h.RecordValue(clampNs(int64(time.Since(t0) - nap)))
	}
	return timerFloorOf(h)
}

func timerFloorOf(h *hdrhistogram.Histogram) TimerFloor {
	if h.TotalCount() == 0 {
		return TimerFloor{}
	}
	return TimerFloor{Samples: h.TotalCount(), P50Ns: h.ValueAtQuantile(50), P99Ns: h.ValueAtQuantile(99), MaxNs: h.Max()}
}

// Note returns the one-line note the reports print about the floor, or ""
// when it was not measured.
func (f TimerFloor) Note() string {
	if f.Samples == 0 {
		return ""
	}
	return fmt.Sprintf("platform timer floor: wake-up jitter p50 %s ms, p99 %s ms, max %s ms (%d sleeps); schedule lag up to about this is the machine, not the generator",
		msString(f.P50Ns), msString(f.P99Ns), msString(f.MaxNs), f.Samples)
}

// errorRate returns failed over completed (acked + failed) messages, or
// failed / sent when nothing completed, or 0.
func errorRate(c Counts) float64 {
	if d := c.Acked + c.Failed; d > 0 {
		return float64(c.Failed) / float64(d)
	}
	return ratio(c.Failed, c.Sent)
}

// CheckErrorBudget evaluates res's error budget: ErrorRate of the measured
// window against res.ErrorBudget.MaxErrorRate (0 disables it; negative or
// non-finite budgets count as 0).
func CheckErrorBudget(res *Result) ErrorBudget {
	b := ErrorBudget{MaxErrorRate: finite(res.ErrorBudget.MaxErrorRate), ErrorRate: errorRate(res.Counts)}
	b.MaxErrorRate = max(b.MaxErrorRate, 0)
	b.Exceeded = b.MaxErrorRate > 0 && b.ErrorRate > b.MaxErrorRate
	return b
}

// topKinds returns "kind n, kind n" of the three most frequent kinds.
func topKinds(m map[string]int64) string {
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	var parts []string
	for i, k := range keys {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// deadStretch returns the longest run of measured intervals with attempts
// (sent or failed) and no ack, as its start offset and length.
func deadStretch(res *Result) (startNs, lengthNs int64) {
	var curStart, curLen int64
	for _, iv := range res.Intervals {
		if iv.Warmup {
			continue
		}
		if iv.Acked == 0 && (iv.Sent > 0 || iv.Failed > 0) {
			if curLen == 0 {
				curStart = iv.StartNs
			}
			curLen += iv.EndNs - iv.StartNs
			if curLen > lengthNs {
				startNs, lengthNs = curStart, curLen
			}
			continue
		}
		curLen = 0
	}
	return startNs, lengthNs
}

// Judge returns the run status of res and its one-line reason, from the
// counts, intervals, error budget and generator check:
//
//   - StatusFailed: messages were sent or failed but none was acked, or no
//     measured interval acked anything for FailedStretch or more;
//   - StatusInterrupted: the caller marked the run interrupted (kept when
//     not failed);
//   - StatusDegraded: the error rate is above the budget, or the target
//     rate was missed while the system under test pushed back
//     (Generator.Backpressure);
//   - StatusComplete otherwise.
//
// The caller's Status only matters as StatusInterrupted. MarshalResult
// stores the verdict; Finalize applies it to res in memory.
func Judge(res *Result) (status, reason string) {
	c := res.Counts
	attempts := c.Sent + c.Failed
	failedPct := 100 * errorRate(c)
	if r := verifyFailure(res.Verify); r != "" {
		return StatusFailed, r
	}
	switch {
	case attempts > 0 && c.Acked == 0:
		r := fmt.Sprintf("nothing acked: %d of %d sent messages failed (%.1f%%)", c.Failed, c.Sent, failedPct)
		if k := topKinds(c.FailedByKind); k != "" {
			r += ": " + k
		}
		return StatusFailed, r
	}
	if start, n := deadStretch(res); n >= int64(FailedStretch) {
		r := fmt.Sprintf("nothing acked for %.1f s from %.1f s into the run; %d of %d sent messages failed (%.1f%%)",
			float64(n)/1e9, float64(start)/1e9, c.Failed, c.Sent, failedPct)
		if k := topKinds(c.FailedByKind); k != "" {
			r += ": " + k
		}
		return StatusFailed, r
	}
	if res.Status == StatusInterrupted {
		return StatusInterrupted, "stopped before its planned end; numbers cover only the part that ran"
	}
	if b := CheckErrorBudget(res); b.Exceeded {
		r := fmt.Sprintf("error rate %.2f%% is above the budget of %s (max_error_rate)", 100*b.ErrorRate, pctString(b.MaxErrorRate))
		if k := topKinds(c.FailedByKind); k != "" {
			r += ": " + k
		}
		return StatusDegraded, r
	}
	if g := CheckGenerator(res); g.Backpressure && g.TargetMissed {
		return StatusDegraded, "target rate missed: " + g.BackpressureReason
	}
	r := fmt.Sprintf("%d of %d messages acked, %.2f%% failed", c.Acked, c.Sent, failedPct)
	if b := CheckErrorBudget(res); b.MaxErrorRate > 0 {
		r += " (budget " + pctString(b.MaxErrorRate) + ")"
	}
	return StatusComplete, r
}

// pctString prints a ratio as a percentage with as few digits as needed.
func pctString(r float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", 100*r), "0"), ".") + "%"
}

// Finalize applies the derived verdicts to res in memory, as MarshalResult
// writes them: the whole-run target (WholeRunTarget), Generator
// (CheckGenerator), ErrorBudget (CheckErrorBudget), Status and
// StatusReason (Judge). Call it after filling the result and before
// reading res.Status. A nil res is a no-op.
func Finalize(res *Result) {
	if res == nil {
		return
	}
	res.TargetRateMsgsPerSec = WholeRunTarget(res)
	res.Generator = CheckGenerator(res)
	res.ErrorBudget = CheckErrorBudget(res)
	res.Status, res.StatusReason = Judge(res)
}

// WholeRunTarget returns the target rate of the measured window: DueInWindow
// messages over the measured window when the caller supplied the count of
// messages the schedule had due in it (right for every rate profile: ramp,
// sine, steps), else TargetRateMsgsPerSec.
func WholeRunTarget(res *Result) float64 {
	if res.DueInWindow > 0 && res.MeasuredNs > 0 {
		return finite(float64(res.DueInWindow) / (float64(res.MeasuredNs) / 1e9))
	}
	return finite(res.TargetRateMsgsPerSec)
}

// StatusLine returns the one line every report opens with: the status in
// capitals and its reason, e.g. "STATUS: DEGRADED: error rate 20.00% is
// above the budget of 1% (max_error_rate): MESSAGE_TOO_LARGE 4000".
func StatusLine(res *Result) string {
	status, reason := res.Status, res.StatusReason
	if reason == "" {
		status, reason = Judge(res)
	}
	return "STATUS: " + strings.ToUpper(orDash(status)) + ": " + reason
}

// cpuModel returns the CPU model name from /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// MachineMismatch returns a warning when a and b describe different
// machines (CPU model, CPU count, Go version or GOMAXPROCS), naming what
// differs; "" when they match or either side lacks the fields (schema 1
// and 2 results have no CPU model: it is then not compared).
func MachineMismatch(a, b Environment) string {
	var diffs []string
	if a.CPUModel != "" && b.CPUModel != "" && a.CPUModel != b.CPUModel {
		diffs = append(diffs, fmt.Sprintf("CPU %q vs %q", a.CPUModel, b.CPUModel))
	}
	if a.NumCPU != 0 && b.NumCPU != 0 && a.NumCPU != b.NumCPU {
		diffs = append(diffs, fmt.Sprintf("%d vs %d CPUs", a.NumCPU, b.NumCPU))
	}
	if a.GOMAXPROCS != 0 && b.GOMAXPROCS != 0 && a.GOMAXPROCS != b.GOMAXPROCS {
		diffs = append(diffs, fmt.Sprintf("GOMAXPROCS %d vs %d", a.GOMAXPROCS, b.GOMAXPROCS))
	}
	if a.GoVersion != "" && b.GoVersion != "" && a.GoVersion != b.GoVersion {
		diffs = append(diffs, fmt.Sprintf("Go %s vs %s", a.GoVersion, b.GoVersion))
	}
	if len(diffs) == 0 {
		return ""
	}
	return "MACHINE MISMATCH: the two sides ran on different machines (" + strings.Join(diffs, "; ") +
		"): differences may be the machine, not the build"
}

// Shard identifies one shard of a distributed run, or, in a merged result,
// the shards merged.
type Shard struct {
	// Index is the shard's index in [0, Count); -1 in a merged result.
	Index int `json:"index"`
	// Count is the number of shards the schedule was split into.
	Count int `json:"count"`
	// StartedAt is the wall-clock start of this shard's timeline (the
	// --start-at instant it actually started at); zero in a merged result.
	StartedAt time.Time `json:"started_at"`
	// Merged lists the shards of a merged result (index and start time),
	// in index order; empty for a single shard.
	Merged []ShardStart `json:"merged,omitempty"`
	// MaxStartSkewNs is the largest difference between the shards' start
	// times, in ns (merged results only).
	MaxStartSkewNs int64 `json:"max_start_skew_ns,omitempty"`
	// Partial is true when a merged result lacks some shards (merge
	// --allow-missing); Missing lists their indexes.
	Partial bool  `json:"partial,omitempty"`
	Missing []int `json:"missing,omitempty"`
}

// ShardStart is one merged shard's index, start time and generator
// verdict.
type ShardStart struct {
	Index     int       `json:"index"`
	StartedAt time.Time `json:"started_at"`
	// Saturated and Reason are the shard's own generator verdict
	// (CheckGenerator); one saturated shard flags the merged run.
	Saturated bool   `json:"saturated"`
	Reason    string `json:"reason,omitempty"`
	// Backpressure is the shard's own backpressure verdict.
	Backpressure bool `json:"backpressure"`
}
