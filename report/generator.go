package report

import (
	"fmt"
	"strings"
)

// Thresholds of CheckGenerator.
const (
	// MaxScheduleLagP99Ns is the highest schedule lag p99 (1 ms, in ns) of
	// a generator that kept up with its schedule.
	MaxScheduleLagP99Ns int64 = 1_000_000
	// MinAchievedFraction is the lowest achieved/target rate ratio (99%)
	// of a generator that kept up with its schedule.
	MinAchievedFraction = 0.99
)

// ClosedLoopNote is the plain statement the reports print for a closed-loop
// run (Result.ClosedLoop).
const ClosedLoopNote = "closed loop: each send waited for an earlier ack, so latency here is " +
	"service time (from the actual send), not coordinated-omission-free"

// CheckGenerator says whether the load generator of res could not keep up
// with its schedule: the schedule lag p99 above MaxScheduleLagP99Ns, or the
// achieved (acked) rate below MinAchievedFraction of a non-zero target. A
// saturated generator makes a broker look slower than it is, so the reports
// warn loudly. Closed-loop runs have no schedule and are never saturated;
// a check without data (no lag samples, no measured window) does not fire.
// A nil res gives the zero Generator.
func CheckGenerator(res *Result) Generator {
	if res == nil || res.ClosedLoop {
		return Generator{}
	}
	var reasons []string
	if l := res.ScheduleLag; l.Count > 0 && l.P99Ns > MaxScheduleLagP99Ns {
		reasons = append(reasons, fmt.Sprintf("schedule lag p99 %.3f ms is above %.0f ms",
			float64(l.P99Ns)/1e6, float64(MaxScheduleLagP99Ns)/1e6))
	}
	target, got := finite(res.TargetRateMsgsPerSec), finite(res.Throughput.MsgsPerSec)
	if target > 0 && res.MeasuredNs > 0 && got < MinAchievedFraction*target {
		reasons = append(reasons, fmt.Sprintf("achieved %.1f msg/s is below %.0f%% of the target %.1f msg/s",
			got, MinAchievedFraction*100, target))
	}
	if len(reasons) == 0 {
		return Generator{}
	}
	return Generator{
		Saturated: true,
		Reason: "the load generator could not keep up: " + strings.Join(reasons, "; ") +
			"; these numbers may describe the generator, not the system under test",
	}
}

// wireMBPerSec returns the batch bytes on the wire of res in 10^6 bytes per
// second of measured window (0 without either).
func wireMBPerSec(res *Result) float64 {
	return rate(float64(res.Batches.CompressedBytes)/1e6, float64(res.MeasuredNs)/1e9)
}
