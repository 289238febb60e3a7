package report

import (
	"fmt"
	"strings"
)

// Thresholds of CheckGenerator.
const (
	// MaxScheduleLagP99Ns is the highest schedule lag p99 (1 ms, in ns) of
	// a generator that kept up with its schedule; when the measured timer
	// floor's p99 (Result.TimerFloor) is higher, twice the floor's p99 is
	// the bound instead.
	MaxScheduleLagP99Ns int64 = 1_000_000
	// MinAchievedFraction is the lowest offered/target rate ratio (99%)
	// of a generator that kept up with its schedule; offered counts every
	// message handed to the producer (acked or failed).
	MinAchievedFraction = 0.99
	// MinBlockedFraction is the share of the workers' time (10% of
	// Result.Workers × the measured window) Send must have spent blocked
	// on the pending limits (Result.SendBlockedNs, summed over workers)
	// for the run to count as pushed back by the system under test. The
	// engine times every Send of 50 µs or more, which on an overloaded
	// machine includes a worker descheduled inside Send (a few % of its
	// time); a system under test that pushes back holds the workers in
	// Send for much of the window.
	MinBlockedFraction = 0.10
)

// ClosedLoopNote is the plain statement the reports print for a closed-loop
// run (Result.ClosedLoop).
const ClosedLoopNote = "closed loop: each send waited for an earlier ack, so latency here is " +
	"service time (from the actual send), not coordinated-omission-free"

// backpressureKinds are failure kinds that mean the producer's pending
// limits were full or a send waited too long: the system under test was
// slow or down.
var backpressureKinds = []string{"queue_full", "send_timeout"}

// CheckGenerator tells apart the three reasons a run can fall behind its
// schedule:
//
//   - the platform's timer floor: schedule lag within twice the measured
//     wake-up jitter (Result.TimerFloor) is the machine, and only noted;
//   - generator saturation (Saturated): the schedule lag p99 above
//     max(MaxScheduleLagP99Ns, 2 × floor p99), or the offered rate (sent
//     messages per second of the measured window) below
//     MinAchievedFraction of the whole-run target, while Send was not
//     blocked;
//   - backpressure (Backpressure): Send spent at least MinBlockedFraction
//     of the workers' time (Workers × the window) blocked on the pending limits (Result.SendBlockedNs,
//     supplied by the caller), or more than 1% of the messages failed as
//     queue_full or send_timeout: the system under test pushed back, and
//     the lag is its doing, not the generator's.
//
// Closed-loop runs have no schedule and are never flagged; a check without
// data (no lag samples, no measured window) does not fire. A nil res gives
// the zero Generator.
func CheckGenerator(res *Result) Generator {
	if res == nil || res.ClosedLoop {
		return Generator{}
	}
	var g Generator
	var behind []string
	bound := max(MaxScheduleLagP99Ns, 2*res.TimerFloor.P99Ns)
	if l := res.ScheduleLag; l.Count > 0 && l.P99Ns > bound {
		behind = append(behind, fmt.Sprintf("schedule lag p99 %.3f ms is above %.3f ms",
			float64(l.P99Ns)/1e6, float64(bound)/1e6))
	}
	target := WholeRunTarget(res)
	secs := float64(res.MeasuredNs) / 1e9
	offered := rate(float64(res.Counts.Sent), secs)
	if target > 0 && res.MeasuredNs > 0 && offered < MinAchievedFraction*target {
		g.TargetMissed = true
		behind = append(behind, fmt.Sprintf("offered %.1f msg/s is below %.0f%% of the target %.1f msg/s",
			offered, MinAchievedFraction*100, target))
	}
	var bp []string
	workers := max(res.Workers, 1)
	if res.MeasuredNs > 0 && float64(res.SendBlockedNs) >= MinBlockedFraction*float64(workers)*float64(res.MeasuredNs) {
		bp = append(bp, fmt.Sprintf("Send was blocked on the pending limits for %.1f%% of the workers' time (%.3f s over %d worker(s) × the %.3f s window)",
			100*float64(res.SendBlockedNs)/(float64(workers)*float64(res.MeasuredNs)), float64(res.SendBlockedNs)/1e9, workers, secs))
	}
	var bpFailed int64
	for _, k := range backpressureKinds {
		bpFailed += res.Counts.FailedByKind[k]
	}
	if bpFailed > 0 && ratio(bpFailed, res.Counts.Sent) > 0.01 {
		bp = append(bp, fmt.Sprintf("%d messages failed as queue_full or send_timeout", bpFailed))
	}
	if len(bp) > 0 {
		g.Backpressure = true
		g.BackpressureReason = "the system under test pushed back: " + strings.Join(bp, "; ")
		if len(behind) > 0 {
			g.BackpressureReason += " (" + strings.Join(behind, "; ") + ")"
		}
		return g
	}
	if res.Shard != nil {
		for _, sh := range res.Shard.Merged {
			if sh.Saturated {
				behind = append(behind, fmt.Sprintf("shard %d: %s", sh.Index, strings.TrimPrefix(sh.Reason, "the load generator could not keep up: ")))
			}
		}
	}
	if len(behind) == 0 {
		return g
	}
	g.Saturated = true
	g.Reason = "the load generator could not keep up: " + strings.Join(behind, "; ") +
		"; these numbers may describe the generator, not the system under test"
	return g
}

// wireMBPerSec returns the batch bytes on the wire of res in 10^6 bytes per
// second of measured window (0 without either).
func wireMBPerSec(res *Result) float64 {
	return rate(float64(res.Batches.CompressedBytes)/1e6, float64(res.MeasuredNs)/1e9)
}
