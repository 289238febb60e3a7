package verdict

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/prodbench/prodbench/report"
)

// Record stores outcomes in res.Thresholds (replacing what was there), so
// that result.json, summary.txt, report.md and report.html all say which
// thresholds held and why the run exited ExitThresholdsCrossed. Call it
// before report.Write. A nil res is a no-op.
func Record(res *report.Result, outcomes []Outcome) {
	if res == nil {
		return
	}
	res.Thresholds = make([]report.ThresholdVerdict, len(outcomes))
	for i, o := range outcomes {
		res.Thresholds[i] = report.ThresholdVerdict{
			Threshold: o.Threshold.String(),
			Observed:  formatObserved(o.Threshold.Metric, o.Observed),
			OK:        o.OK,
		}
	}
}

// ExitCode returns the exit code a run's status and thresholds call for:
// 1 for report.StatusFailed (the target died or was unreachable),
// ExitThresholdsCrossed (99) for report.StatusDegraded or a crossed
// threshold in res.Thresholds, 0 otherwise (interrupted runs are the
// caller's to map). A nil res gives 0.
func ExitCode(res *report.Result) int {
	if res == nil {
		return 0
	}
	switch res.Status {
	case report.StatusFailed:
		return 1
	case report.StatusDegraded:
		return ExitThresholdsCrossed
	}
	for _, t := range res.Thresholds {
		if !t.OK {
			return ExitThresholdsCrossed
		}
	}
	return 0
}

// num is a float64 that encodes as JSON null when not finite (NaN for an
// empty side or no test, ±Inf for a change from 0).
type num float64

// MarshalJSON implements json.Marshaler.
func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// MarshalJSON encodes r with non-finite numbers (NaN: no data or no
// test; ±Inf: change from 0) as null, so a Comparison always encodes.
func (r Row) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(struct {
		Stat     Stat
		Base     num
		Cand     num
		BaseN    int
		CandN    int
		Delta    num
		Worse    num
		P        num
		LimitP   num
		HasLimit bool
		Limit    num
		Verdict  Verdict
	}{r.Stat, num(r.Base), num(r.Cand), r.BaseN, r.CandN, num(r.Delta), num(r.Worse), num(r.P), num(r.LimitP), r.HasLimit, num(r.Limit), r.Verdict})
	if err != nil {
		return nil, fmt.Errorf("verdict: encode row %s: %w", r.Stat, err)
	}
	return b, nil
}
