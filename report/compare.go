package report

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Comparison is the side-by-side comparison of runs: every metric of every
// run and its change relative to the first run (the baseline). Build it with
// Compare; render it with WriteText, WriteMarkdown, WriteHTML or Write; its
// JSON encoding is the `prodbench compare --format json` output.
type Comparison struct {
	// Runs identifies the compared runs, baseline first.
	Runs []CompareRun `json:"runs"`
	// Metrics lists the compared metrics in report order.
	Metrics []CompareMetric `json:"metrics"`

	results []*Result
}

// CompareRun identifies one compared run.
type CompareRun struct {
	// Label names the run in tables and legends; unique in a Comparison.
	Label string `json:"label"`
	// Scenario, Status, StartedAt, TargetRateMsgsPerSec and ClosedLoop
	// are copied from the run's Result.
	Scenario             string    `json:"scenario"`
	Status               string    `json:"status"`
	StartedAt            time.Time `json:"started_at"`
	TargetRateMsgsPerSec float64   `json:"target_rate_msgs_per_sec"`
	ClosedLoop           bool      `json:"closed_loop"`
	// Generator is CheckGenerator of the run.
	Generator Generator `json:"generator"`
}

// CompareMetric is one compared metric.
type CompareMetric struct {
	// Name describes the metric, e.g. "latency p99".
	Name string `json:"name"`
	// Unit is the values' unit: "msg/s", "MB/s", "ms", "msgs", "records",
	// "B", "ratio" or "requests".
	Unit string `json:"unit"`
	// Better is "higher" or "lower" when a change has a direction, else
	// empty.
	Better string `json:"better,omitempty"`
	// Values has one value per run, in Runs order; null when the run did
	// not record the metric (e.g. service time in a version 1 result).
	Values []*float64 `json:"values"`
	// DeltaPct has, per run, 100*(value-baseline)/baseline; null for the
	// baseline itself, a missing value or a zero baseline.
	DeltaPct []*float64 `json:"delta_pct"`
}

// compareMetric defines one metric: get returns the value and whether the
// run has it.
type compareMetric struct {
	name, unit, better string
	get                func(*Result) (float64, bool)
}

// timingMetric returns the metric of one timing percentile, in ms.
func timingMetric(name string, col int, row timingRow) compareMetric {
	return compareMetric{name + " " + row.name, "ms", "lower", func(r *Result) (float64, bool) {
		c := timingColumns(r)[col]
		return float64(row.get(c.l)) / 1e6, c.recorded()
	}}
}

// compareMetrics lists the compared metrics in order.
var compareMetrics = func() []compareMetric {
	always := func(f func(*Result) float64) func(*Result) (float64, bool) {
		return func(r *Result) (float64, bool) { return f(r), true }
	}
	batched := func(f func(*Result) float64) func(*Result) (float64, bool) {
		return func(r *Result) (float64, bool) { return f(r), r.Batches.Count > 0 }
	}
	ms := []compareMetric{
		{"target rate", "msg/s", "", func(r *Result) (float64, bool) {
			t := finite(r.TargetRateMsgsPerSec)
			return t, t > 0 && !r.ClosedLoop
		}},
		{"achieved rate (acked)", "msg/s", "higher", always(func(r *Result) float64 { return r.Throughput.MsgsPerSec })},
		{"record payload throughput", "MB/s", "higher", always(func(r *Result) float64 { return r.Throughput.MBPerSec })},
		{"wire throughput", "MB/s", "higher", batched(wireMBPerSec)},
		{"sent", "msgs", "", always(func(r *Result) float64 { return float64(r.Counts.Sent) })},
		{"acked", "msgs", "", always(func(r *Result) float64 { return float64(r.Counts.Acked) })},
		{"failed", "msgs", "lower", always(func(r *Result) float64 { return float64(r.Counts.Failed) })},
	}
	for col, name := range []string{"latency", "service time", "schedule lag"} {
		for _, row := range timingRows {
			if col > 0 && row.name != "p50" && row.name != "p99" && row.name != "max" {
				continue
			}
			ms = append(ms, timingMetric(name, col, row))
		}
	}
	return append(ms,
		compareMetric{"batches", "batches", "", batched(func(r *Result) float64 { return float64(r.Batches.Count) })},
		compareMetric{"mean records per batch", "records", "", batched(func(r *Result) float64 { return r.Batches.MeanRecordsPerBatch })},
		compareMetric{"mean batch size on the wire", "B", "", batched(func(r *Result) float64 { return r.Batches.MeanCompressedBytes })},
		compareMetric{"compression ratio", "ratio", "higher", batched(func(r *Result) float64 { return r.Batches.CompressionRatio })},
		compareMetric{"requests in flight, mean", "requests", "", func(r *Result) (float64, bool) {
			return r.InFlight.Mean, r.InFlight.Sampled
		}},
	)
}()

// Compare builds the Comparison of runs, the first being the baseline.
// labels name the runs (len(labels) == len(runs)); an empty label becomes
// "run N", and repeated labels get a "#N" suffix. It fails on no runs, a
// nil run or a label count mismatch.
func Compare(runs []*Result, labels []string) (*Comparison, error) {
	if len(runs) == 0 {
		return nil, errors.New("report: nothing to compare")
	}
	if len(labels) != len(runs) {
		return nil, fmt.Errorf("report: %d labels for %d runs", len(labels), len(runs))
	}
	c := &Comparison{results: runs}
	seen := map[string]int{}
	for i, r := range runs {
		if r == nil {
			return nil, fmt.Errorf("report: run %d is nil", i+1)
		}
		label := labels[i]
		if label == "" {
			label = "run " + strconv.Itoa(i+1)
		}
		if seen[label]++; seen[label] > 1 {
			label += "#" + strconv.Itoa(seen[label])
		}
		c.Runs = append(c.Runs, CompareRun{
			Label: label, Scenario: r.Scenario.Name, Status: r.Status, StartedAt: r.StartedAt.UTC(),
			TargetRateMsgsPerSec: finite(r.TargetRateMsgsPerSec), ClosedLoop: r.ClosedLoop, Generator: CheckGenerator(r),
		})
	}
	for _, m := range compareMetrics {
		cm := CompareMetric{Name: m.name, Unit: m.unit, Better: m.better}
		for _, r := range runs {
			var v *float64
			if x, ok := m.get(r); ok {
				x = finite(x)
				v = &x
			}
			cm.Values = append(cm.Values, v)
		}
		base := cm.Values[0]
		for i, v := range cm.Values {
			var d *float64
			if i > 0 && v != nil && base != nil && *base != 0 {
				x := finite((*v - *base) / math.Abs(*base) * 100)
				d = &x
			}
			cm.DeltaPct = append(cm.DeltaPct, d)
		}
		c.Metrics = append(c.Metrics, cm)
	}
	return c, nil
}

// formatValue formats v for unit: ms with 3 decimals, rates and means with
// 1, MB/s and ratios with 3, counts as integers; "–" for nil.
func formatValue(v *float64, unit string) string {
	if v == nil {
		return "–"
	}
	switch unit {
	case "ms", "MB/s", "ratio":
		return strconv.FormatFloat(*v, 'f', 3, 64)
	case "msgs", "batches", "B":
		return strconv.FormatFloat(*v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
}

// formatDelta formats a change in percent with a sign, "–" for nil.
func formatDelta(d *float64) string {
	if d == nil {
		return "–"
	}
	return fmt.Sprintf("%+.1f%%", *d)
}

// table returns the comparison as a header and rows of strings: metric,
// unit, the baseline's value, then each other run's value and delta.
func (c *Comparison) table() (head []string, rows [][]string) {
	head = []string{"metric", "unit", c.Runs[0].Label}
	for _, r := range c.Runs[1:] {
		head = append(head, r.Label, "Δ "+r.Label)
	}
	for _, m := range c.Metrics {
		row := []string{m.Name, m.Unit, formatValue(m.Values[0], m.Unit)}
		for i := 1; i < len(c.Runs); i++ {
			row = append(row, formatValue(m.Values[i], m.Unit), formatDelta(m.DeltaPct[i]))
		}
		rows = append(rows, row)
	}
	return head, rows
}

// runRows describes each run: label, scenario, status, target, start and
// the generator check.
func (c *Comparison) runRows() (head []string, rows [][]string) {
	head = []string{"run", "scenario", "status", "target rate", "started", "generator"}
	for i, r := range c.Runs {
		gen := "kept up"
		if r.Generator.Saturated {
			gen = "SATURATED"
		}
		if r.ClosedLoop {
			gen = "closed loop"
		}
		rows = append(rows, []string{r.Label, orDash(r.Scenario), orDash(r.Status), targetString(c.results[i]),
			r.StartedAt.Format(time.RFC3339), gen})
	}
	return head, rows
}

// warnings returns one line per run that was interrupted, saturated or
// closed loop.
func (c *Comparison) warnings() []string {
	var out []string
	for _, r := range c.Runs {
		if r.Status == StatusInterrupted {
			out = append(out, r.Label+": "+interruptedNote)
		}
		if r.Generator.Saturated {
			out = append(out, r.Label+": GENERATOR SATURATED: "+r.Generator.Reason)
		}
		if r.ClosedLoop {
			out = append(out, r.Label+": "+ClosedLoopNote)
		}
	}
	return out
}
