package sweep

import (
	"fmt"
	"slices"

	"github.com/prodbench/prodbench/report/verdict"
)

// This file holds the repetitions of a sweep point or capacity step
// (--count N): each repetition is a full run in its own directory, and the
// point's figures are the medians of its repetitions'.

// MaxCount is the largest number of repetitions per sweep point or
// capacity step (--count).
const MaxCount = 100

// Alpha is the significance level of the best-point decision: the best
// point must beat the runner-up with a two-sided Mann-Whitney U p-value
// below it (verdict.DefaultAlpha, 0.05), else the leaders are tied within
// noise.
const Alpha = verdict.DefaultAlpha

// RepDir is the directory of repetition n (1-based) under a point's or a
// step's directory: "rep-1", as run --count writes.
func RepDir(n int) string { return fmt.Sprintf("rep-%d", n) }

// Outcome is what running a sweep point, a capacity step or one of
// their repetitions came to; Point, Step and Rep embed it, so its fields
// stand directly in each one's JSON object.
type Outcome struct {
	// Dir is the run directory, relative to the sweep or capacity
	// directory (a repetition's is "<point or step dir>/rep-N").
	Dir string `json:"dir"`
	// Status is StatusPending, StatusComplete, StatusInterrupted or
	// StatusFailed (a capacity step is never left pending).
	Status string `json:"status"`
	// Error is why a failed run failed.
	Error string `json:"error,omitempty"`
	// ElapsedNs is the run's wall time, ns (0 if not run); for a point or
	// step with repetitions, the sum of theirs.
	ElapsedNs int64 `json:"elapsed_ns,omitempty"`
	// Evaluation is the result judged against the SLO; nil until the run
	// completes. For a point or step with repetitions it is Combine of
	// theirs: the medians, with the spread (Settle).
	Evaluation *Evaluation `json:"evaluation,omitempty"`
}

// Done reports whether the run completed and was evaluated.
func (o *Outcome) Done() bool { return o.Status == StatusComplete && o.Evaluation != nil }

// Rep is one repetition of a sweep point or capacity step.
type Rep struct {
	// N is the repetition's number, 1-based.
	N int `json:"n"`
	Outcome
}

// Range is the lowest and highest value of a figure over repetitions.
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Spread is the spread of a point's or step's figures over its
// repetitions; the medians are the combined Evaluation's Metrics.
type Spread struct {
	// Reps is the number of repetitions combined; Passed how many of them
	// passed the SLO.
	Reps   int `json:"reps"`
	Passed int `json:"passed"`
	// MsgsPerSec is the acked throughput's range, msg/s.
	MsgsPerSec Range `json:"msgs_per_sec"`
	// P50Ns, P99Ns and RankLatencyNs are latency ranges, ns.
	P50Ns         Range `json:"p50_ns"`
	P99Ns         Range `json:"p99_ns"`
	RankLatencyNs Range `json:"rank_latency_ns"`
	// ErrorRate is the error rate's range, a ratio.
	ErrorRate Range `json:"error_rate"`
}

// rangeOf returns the range of f over evs (at least one).
func rangeOf(evs []Evaluation, f func(*Evaluation) float64) Range {
	r := Range{Min: f(&evs[0]), Max: f(&evs[0])}
	for i := range evs[1:] {
		v := f(&evs[i+1])
		r.Min, r.Max = min(r.Min, v), max(r.Max, v)
	}
	return r
}

// median returns the median of f over evs: for an even count the point
// halfway between the middle two (the mean for float64; rounded toward the
// lower one for int64).
func median[T int64 | float64](evs []Evaluation, f func(*Evaluation) T) T {
	v := make([]T, len(evs))
	for i := range evs {
		v[i] = f(&evs[i])
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return v[n/2-1] + (v[n/2]-v[n/2-1])/2
}

// Combine returns the evaluation of a point or step from its repetitions'
// evaluations (at least one; the first is returned as it is when alone):
// every figure of Metrics, each objective's latency and service time and
// the rank latency are the medians of the repetitions' (the mean of the
// middle two for an even count), and Spread holds their ranges.
//
// The combined evaluation passes when more than half of the repetitions
// passed: the verdict of the median repetition (for a single latency
// objective, the same as the median latency meeting the bound). A failing
// one takes the Limit most common among the failing repetitions (the
// earliest on a draw) and a Reason saying how many failed and why the
// first with that limit did. The repetitions' notes are kept, each once.
func Combine(evs []Evaluation) Evaluation {
	if len(evs) == 0 {
		return Evaluation{}
	}
	if len(evs) == 1 {
		return evs[0]
	}
	fl := func(f func(*Metrics) float64) float64 {
		return median(evs, func(e *Evaluation) float64 { return f(&e.Metrics) })
	}
	in := func(f func(*Metrics) int64) int64 {
		return median(evs, func(e *Evaluation) int64 { return f(&e.Metrics) })
	}
	first := &evs[0]
	m := Metrics{
		Status:              first.Metrics.Status,
		ClosedLoop:          first.Metrics.ClosedLoop,
		TargetMsgsPerSec:    fl(func(m *Metrics) float64 { return m.TargetMsgsPerSec }),
		OfferedMsgsPerSec:   fl(func(m *Metrics) float64 { return m.OfferedMsgsPerSec }),
		MsgsPerSec:          fl(func(m *Metrics) float64 { return m.MsgsPerSec }),
		MBPerSec:            fl(func(m *Metrics) float64 { return m.MBPerSec }),
		WireMBPerSec:        fl(func(m *Metrics) float64 { return m.WireMBPerSec }),
		Sent:                in(func(m *Metrics) int64 { return m.Sent }),
		Acked:               in(func(m *Metrics) int64 { return m.Acked }),
		Failed:              in(func(m *Metrics) int64 { return m.Failed }),
		ErrorRate:           fl(func(m *Metrics) float64 { return m.ErrorRate }),
		P50Ns:               in(func(m *Metrics) int64 { return m.P50Ns }),
		P90Ns:               in(func(m *Metrics) int64 { return m.P90Ns }),
		P99Ns:               in(func(m *Metrics) int64 { return m.P99Ns }),
		P999Ns:              in(func(m *Metrics) int64 { return m.P999Ns }),
		MaxNs:               in(func(m *Metrics) int64 { return m.MaxNs }),
		ServiceP99Ns:        in(func(m *Metrics) int64 { return m.ServiceP99Ns }),
		LagP50Ns:            in(func(m *Metrics) int64 { return m.LagP50Ns }),
		LagP99Ns:            in(func(m *Metrics) int64 { return m.LagP99Ns }),
		Batches:             in(func(m *Metrics) int64 { return m.Batches }),
		MeanRecordsPerBatch: fl(func(m *Metrics) float64 { return m.MeanRecordsPerBatch }),
		MeanBatchBytes:      fl(func(m *Metrics) float64 { return m.MeanBatchBytes }),
		MeanBatchWireBytes:  fl(func(m *Metrics) float64 { return m.MeanBatchWireBytes }),
		CompressionRatio:    fl(func(m *Metrics) float64 { return m.CompressionRatio }),
	}
	ev := Evaluation{Metrics: m, RankPercentile: first.RankPercentile,
		RankLatencyNs: median(evs, func(e *Evaluation) int64 { return e.RankLatencyNs })}
	for k, o := range first.Objectives {
		at := func(e *Evaluation) *ObjectiveCheck {
			if k < len(e.Objectives) {
				return &e.Objectives[k]
			}
			return &ObjectiveCheck{}
		}
		c := ObjectiveCheck{Percentile: o.Percentile, MaxNs: o.MaxNs,
			LatencyNs: median(evs, func(e *Evaluation) int64 { return at(e).LatencyNs }),
			ServiceNs: median(evs, func(e *Evaluation) int64 { return at(e).ServiceNs })}
		c.Met = m.Acked > 0 && c.LatencyNs <= c.MaxNs
		ev.Objectives = append(ev.Objectives, c)
	}
	sp := &Spread{Reps: len(evs),
		MsgsPerSec:    rangeOf(evs, func(e *Evaluation) float64 { return e.Metrics.MsgsPerSec }),
		P50Ns:         rangeOf(evs, func(e *Evaluation) float64 { return float64(e.Metrics.P50Ns) }),
		P99Ns:         rangeOf(evs, func(e *Evaluation) float64 { return float64(e.Metrics.P99Ns) }),
		RankLatencyNs: rangeOf(evs, func(e *Evaluation) float64 { return float64(e.RankLatencyNs) }),
		ErrorRate:     rangeOf(evs, func(e *Evaluation) float64 { return e.Metrics.ErrorRate }),
	}
	limits := map[string]int{}
	var firstFail *Evaluation
	for i := range evs {
		e := &evs[i]
		if e.Pass {
			sp.Passed++
		} else {
			limits[e.Limit]++
		}
		for _, n := range e.Notes {
			if !slices.Contains(ev.Notes, n) {
				ev.Notes = append(ev.Notes, n)
			}
		}
	}
	ev.Spread = sp
	ev.Pass = 2*sp.Passed > len(evs)
	// The most common limit among the failing repetitions, the earliest
	// on a draw.
	for i := range evs {
		if e := &evs[i]; !e.Pass && (firstFail == nil || limits[e.Limit] > limits[firstFail.Limit]) {
			firstFail = e
		}
	}
	failed := len(evs) - sp.Passed
	switch {
	case ev.Pass && failed > 0:
		ev.Notes = append(ev.Notes, fmt.Sprintf("%d of %d repetitions failed (%s)", failed, len(evs), firstFail.Reason))
	case !ev.Pass:
		ev.Limit = firstFail.Limit
		ev.Reason = fmt.Sprintf("%d of %d repetitions failed: %s", failed, len(evs), firstFail.Reason)
	}
	return ev
}

// settle derives the status, error, wall time and combined evaluation of a
// point or step from its repetitions, count of them planned: complete with
// Combine of their evaluations when all count completed; failed or
// interrupted (with the error) when one was; pending otherwise.
func settle(reps []Rep, count int) (status, errText string, elapsedNs int64, ev *Evaluation) {
	var evs []Evaluation
	status = StatusPending
	for i := range reps {
		r := &reps[i]
		elapsedNs += r.ElapsedNs
		switch {
		case r.Done():
			evs = append(evs, *r.Evaluation)
		case r.Status == StatusFailed:
			if status != StatusFailed {
				status, errText = StatusFailed, fmt.Sprintf("repetition %d: %s", r.N, r.Error)
			}
		case r.Status == StatusInterrupted && status == StatusPending:
			status = StatusInterrupted
		}
	}
	if status == StatusPending && len(evs) == count && count > 0 {
		c := Combine(evs)
		return StatusComplete, "", elapsedNs, &c
	}
	return status, errText, elapsedNs, nil
}

// Settle sets the point's Status, Error, ElapsedNs and Evaluation from
// its Reps, count of them planned (see Combine): the point is complete
// when all count repetitions are.
func (p *Point) Settle(count int) { p.settle(p.Reps, count) }

// Settle sets the step's Status, Error, ElapsedNs and Evaluation from its
// Reps, count of them planned (see Combine).
func (s *Step) Settle(count int) { s.settle(s.Reps, count) }

// settle sets o from reps, count of them planned.
func (o *Outcome) settle(reps []Rep, count int) {
	o.Status, o.Error, o.ElapsedNs, o.Evaluation = settle(reps, count)
}

// RepsDone returns the number of the point's repetitions that completed.
func (p *Point) RepsDone() int { return countDone(p.Reps, (*Rep).Done) }

// samples returns f of each completed repetition of p, or nil when p has
// fewer than two.
func (p *Point) samples(f func(*Evaluation) float64) []float64 {
	var out []float64
	for i := range p.Reps {
		if r := &p.Reps[i]; r.Done() {
			out = append(out, f(r.Evaluation))
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// spreadText formats a median and its range for table cells:
// "12,345 (12,001–12,600)", with format formatting each value; just the
// median without a spread.
func spreadText(median float64, sp *Range, format func(float64) string) string {
	if sp == nil {
		return format(median)
	}
	return fmt.Sprintf("%s (%s–%s)", format(median), format(sp.Min), format(sp.Max))
}
