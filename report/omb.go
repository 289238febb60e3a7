package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/prodbench/prodbench/workload/units"
)

// OMBPeriodNs is the length of one OMB result period: OMB's
// WorkloadGenerator collects its statistics every 10 s, and its chart
// script (bin/create_charts.py) plots list item x at 10·x seconds.
const OMBPeriodNs = int64(10e9)

// OMBResult is OpenMessaging Benchmark's result file, with the fields and
// JSON names of OMB's TestResult.java
// (github.com/openmessaging/benchmark, benchmark-framework), so that OMB's
// tools (bin/create_charts.py, ResultsToCsv) read prodbench results.
//
// Lists hold one item per 10 s period after warmup. Publish latencies are
// in milliseconds from the actual send to the ack (OMB's publishLatency,
// prodbench's service time); publish delay latencies are in microseconds
// from the intended to the actual send (OMB's publishDelayLatency,
// prodbench's schedule lag), whole numbers as OMB's longs. Their sum is
// what prodbench calls latency (from the intended send time). prodbench
// runs no consumers: consumeRate, backlog and the endToEnd fields are 0,
// as OMB writes them when nothing is consumed.
type OMBResult struct {
	Workload          string `json:"workload"`
	Driver            string `json:"driver"`
	MessageSize       int64  `json:"messageSize"`
	Topics            int    `json:"topics"`
	Partitions        int    `json:"partitions"`
	ProducersPerTopic int    `json:"producersPerTopic"`
	ConsumersPerTopic int    `json:"consumersPerTopic"`

	PublishRate      []float64 `json:"publishRate"`
	PublishErrorRate []float64 `json:"publishErrorRate"`
	ConsumeRate      []float64 `json:"consumeRate"`
	Backlog          []int64   `json:"backlog"`

	PublishLatencyAvg     []float64 `json:"publishLatencyAvg"`
	PublishLatency50pct   []float64 `json:"publishLatency50pct"`
	PublishLatency75pct   []float64 `json:"publishLatency75pct"`
	PublishLatency95pct   []float64 `json:"publishLatency95pct"`
	PublishLatency99pct   []float64 `json:"publishLatency99pct"`
	PublishLatency999pct  []float64 `json:"publishLatency999pct"`
	PublishLatency9999pct []float64 `json:"publishLatency9999pct"`
	PublishLatencyMax     []float64 `json:"publishLatencyMax"`

	PublishDelayLatencyAvg     []float64 `json:"publishDelayLatencyAvg"`
	PublishDelayLatency50pct   []int64   `json:"publishDelayLatency50pct"`
	PublishDelayLatency75pct   []int64   `json:"publishDelayLatency75pct"`
	PublishDelayLatency95pct   []int64   `json:"publishDelayLatency95pct"`
	PublishDelayLatency99pct   []int64   `json:"publishDelayLatency99pct"`
	PublishDelayLatency999pct  []int64   `json:"publishDelayLatency999pct"`
	PublishDelayLatency9999pct []int64   `json:"publishDelayLatency9999pct"`
	PublishDelayLatencyMax     []int64   `json:"publishDelayLatencyMax"`

	AggregatedPublishLatencyAvg     float64 `json:"aggregatedPublishLatencyAvg"`
	AggregatedPublishLatency50pct   float64 `json:"aggregatedPublishLatency50pct"`
	AggregatedPublishLatency75pct   float64 `json:"aggregatedPublishLatency75pct"`
	AggregatedPublishLatency95pct   float64 `json:"aggregatedPublishLatency95pct"`
	AggregatedPublishLatency99pct   float64 `json:"aggregatedPublishLatency99pct"`
	AggregatedPublishLatency999pct  float64 `json:"aggregatedPublishLatency999pct"`
	AggregatedPublishLatency9999pct float64 `json:"aggregatedPublishLatency9999pct"`
	AggregatedPublishLatencyMax     float64 `json:"aggregatedPublishLatencyMax"`

	AggregatedPublishDelayLatencyAvg     float64 `json:"aggregatedPublishDelayLatencyAvg"`
	AggregatedPublishDelayLatency50pct   int64   `json:"aggregatedPublishDelayLatency50pct"`
	AggregatedPublishDelayLatency75pct   int64   `json:"aggregatedPublishDelayLatency75pct"`
	AggregatedPublishDelayLatency95pct   int64   `json:"aggregatedPublishDelayLatency95pct"`
	AggregatedPublishDelayLatency99pct   int64   `json:"aggregatedPublishDelayLatency99pct"`
	AggregatedPublishDelayLatency999pct  int64   `json:"aggregatedPublishDelayLatency999pct"`
	AggregatedPublishDelayLatency9999pct int64   `json:"aggregatedPublishDelayLatency9999pct"`
	AggregatedPublishDelayLatencyMax     int64   `json:"aggregatedPublishDelayLatencyMax"`

	// The quantile maps are keyed by the percentile as Java's
	// Double.toString writes it ("50.0", "99.90234375").
	AggregatedPublishLatencyQuantiles      map[string]float64 `json:"aggregatedPublishLatencyQuantiles"`
	AggregatedPublishDelayLatencyQuantiles map[string]int64   `json:"aggregatedPublishDelayLatencyQuantiles"`

	EndToEndLatencyAvg     []float64 `json:"endToEndLatencyAvg"`
	EndToEndLatency50pct   []float64 `json:"endToEndLatency50pct"`
	EndToEndLatency75pct   []float64 `json:"endToEndLatency75pct"`
	EndToEndLatency95pct   []float64 `json:"endToEndLatency95pct"`
	EndToEndLatency99pct   []float64 `json:"endToEndLatency99pct"`
	EndToEndLatency999pct  []float64 `json:"endToEndLatency999pct"`
	EndToEndLatency9999pct []float64 `json:"endToEndLatency9999pct"`
	EndToEndLatencyMax     []float64 `json:"endToEndLatencyMax"`

	AggregatedEndToEndLatencyQuantiles map[string]float64 `json:"aggregatedEndToEndLatencyQuantiles"`

	AggregatedEndToEndLatencyAvg     float64 `json:"aggregatedEndToEndLatencyAvg"`
	AggregatedEndToEndLatency50pct   float64 `json:"aggregatedEndToEndLatency50pct"`
	AggregatedEndToEndLatency75pct   float64 `json:"aggregatedEndToEndLatency75pct"`
	AggregatedEndToEndLatency95pct   float64 `json:"aggregatedEndToEndLatency95pct"`
	AggregatedEndToEndLatency99pct   float64 `json:"aggregatedEndToEndLatency99pct"`
	AggregatedEndToEndLatency999pct  float64 `json:"aggregatedEndToEndLatency999pct"`
	AggregatedEndToEndLatency9999pct float64 `json:"aggregatedEndToEndLatency9999pct"`
	AggregatedEndToEndLatencyMax     float64 `json:"aggregatedEndToEndLatencyMax"`
}

// ombSpec is the part of Scenario.Spec the OMB header needs.
type ombSpec struct {
	Description string `json:"description"`
	Workers     int    `json:"workers"`
	Topics      []struct {
		Partitions int `json:"partitions"`
	} `json:"topics"`
	Message struct {
		Size json.RawMessage `json:"size"`
	} `json:"message"`
}

// OMBFromResult converts res to OMB's result format. Workload is OMB's
// workload name when the scenario was translated from an OMB workload
// (its description "OMB workload FILE: NAME"), else the scenario's name;
// driver is "prodbench " and the engine. The periods are res's intervals
// after warmup in groups of OMBPeriodNs (the last may be shorter). It
// fails when res has no per-interval histograms (schema 1 results without
// latency.hlog).
func OMBFromResult(res *Result) (*OMBResult, error) {
	o := &OMBResult{
		Workload:                               res.Scenario.Name,
		Driver:                                 "prodbench",
		AggregatedPublishLatencyQuantiles:      map[string]float64{},
		AggregatedPublishDelayLatencyQuantiles: map[string]int64{},
		AggregatedEndToEndLatencyQuantiles:     map[string]float64{},
	}
	var spec ombSpec
	if len(res.Scenario.Spec) > 0 {
		_ = json.Unmarshal(res.Scenario.Spec, &spec)
	}
	if rest, ok := strings.CutPrefix(spec.Description, "OMB workload "); ok {
		if _, name, ok := strings.Cut(rest, ": "); ok && name != "" {
			o.Workload = name
		}
	}
	var opts struct {
		Engine string `json:"engine"`
	}
	if len(res.Options) > 0 && json.Unmarshal(res.Options, &opts) == nil && opts.Engine != "" {
		o.Driver = "prodbench " + opts.Engine
	}
	o.Topics = len(spec.Topics)
	if o.Topics > 0 {
		o.Partitions = spec.Topics[0].Partitions
		o.ProducersPerTopic = max(1, spec.Workers/o.Topics)
	}
	// A fixed size is written as a plain size ("1KiB", 100); any other
	// distribution as a mapping.
	var fixed any
	if json.Unmarshal(spec.Message.Size, &fixed) == nil && fixed != nil && fmt.Sprint(fixed) != "" {
		if sz, err := units.ParseSize(fmt.Sprint(fixed)); err == nil && !strings.HasPrefix(string(spec.Message.Size), "{") {
			o.MessageSize = int64(sz)
		}
	}
	if o.MessageSize == 0 && res.Counts.Acked > 0 {
		o.MessageSize = res.Counts.AckedBytes / res.Counts.Acked
	}

	per := max(1, OMBPeriodNs/max(1, res.IntervalNs))
	var rows []IntervalRow
	for _, r := range res.Intervals {
		if !r.Warmup {
			rows = append(rows, r)
		}
	}
	for i := 0; i < len(rows); i += int(per) {
		group := rows[i:min(len(rows), i+int(per))]
		svc, lag := NewHistogram(), NewHistogram()
		var acked, failed int64
		for _, r := range group {
			if r.Histograms == nil {
				return nil, fmt.Errorf("report: OMB format: the result has no per-interval histograms")
			}
			for _, p := range []struct {
				enc string
				to  *hdrhistogram.Histogram
			}{{r.Histograms.Service, svc}, {r.Histograms.Lag, lag}} {
				h, err := DecodeHistogram(p.enc)
				if err != nil {
					return nil, err
				}
				p.to.Merge(h)
			}
			acked += r.Acked
			failed += r.Failed
		}
		secs := float64(group[len(group)-1].EndNs-group[0].StartNs) / 1e9
		rate := func(n int64) float64 {
			if secs <= 0 {
				return 0
			}
			return float64(n) / secs
		}
		o.PublishRate = append(o.PublishRate, rate(acked))
		o.PublishErrorRate = append(o.PublishErrorRate, rate(failed))
		o.ConsumeRate = append(o.ConsumeRate, 0)
		o.Backlog = append(o.Backlog, 0)
		ms := func(q float64) float64 { return float64(svc.ValueAtQuantile(q)) / 1e6 }
		o.PublishLatencyAvg = append(o.PublishLatencyAvg, finite(svc.Mean())/1e6)
		appendPercentiles(ms, &o.PublishLatency50pct, &o.PublishLatency75pct, &o.PublishLatency95pct,
			&o.PublishLatency99pct, &o.PublishLatency999pct, &o.PublishLatency9999pct)
		o.PublishLatencyMax = append(o.PublishLatencyMax, float64(svc.Max())/1e6)
		us := func(q float64) int64 { return lag.ValueAtQuantile(q) / 1000 }
		o.PublishDelayLatencyAvg = append(o.PublishDelayLatencyAvg, finite(lag.Mean())/1000)
		appendPercentiles(us, &o.PublishDelayLatency50pct, &o.PublishDelayLatency75pct, &o.PublishDelayLatency95pct,
			&o.PublishDelayLatency99pct, &o.PublishDelayLatency999pct, &o.PublishDelayLatency9999pct)
		o.PublishDelayLatencyMax = append(o.PublishDelayLatencyMax, lag.Max()/1000)
		for _, l := range []*[]float64{&o.EndToEndLatencyAvg, &o.EndToEndLatency50pct, &o.EndToEndLatency75pct,
			&o.EndToEndLatency95pct, &o.EndToEndLatency99pct, &o.EndToEndLatency999pct, &o.EndToEndLatency9999pct, &o.EndToEndLatencyMax} {
			*l = append(*l, 0)
		}
	}

	svc, err := DecodeHistogram(res.ServiceTime.Histogram)
	if err != nil {
		return nil, err
	}
	lag, err := DecodeHistogram(res.ScheduleLag.Histogram)
	if err != nil {
		return nil, err
	}
	ms := func(q float64) float64 { return float64(svc.ValueAtQuantile(q)) / 1e6 }
	o.AggregatedPublishLatencyAvg = finite(svc.Mean()) / 1e6
	setPercentiles(ms, &o.AggregatedPublishLatency50pct, &o.AggregatedPublishLatency75pct, &o.AggregatedPublishLatency95pct,
		&o.AggregatedPublishLatency99pct, &o.AggregatedPublishLatency999pct, &o.AggregatedPublishLatency9999pct)
	o.AggregatedPublishLatencyMax = float64(svc.Max()) / 1e6
	us := func(q float64) int64 { return lag.ValueAtQuantile(q) / 1000 }
	o.AggregatedPublishDelayLatencyAvg = finite(lag.Mean()) / 1000
	setPercentiles(us, &o.AggregatedPublishDelayLatency50pct, &o.AggregatedPublishDelayLatency75pct, &o.AggregatedPublishDelayLatency95pct,
		&o.AggregatedPublishDelayLatency99pct, &o.AggregatedPublishDelayLatency999pct, &o.AggregatedPublishDelayLatency9999pct)
	o.AggregatedPublishDelayLatencyMax = lag.Max() / 1000
	// OMB: histogram.percentiles(100), keyed by getPercentile() (the
	// share of values at or below the value iterated to).
	setQuantiles(o.AggregatedPublishLatencyQuantiles, svc, func(v int64) float64 { return float64(v) / 1e6 })
	setQuantiles(o.AggregatedPublishDelayLatencyQuantiles, lag, func(v int64) int64 { return v / 1000 })
	return o, nil
}

// ombPercentiles are the percentiles of OMB's per-percentile fields, in
// their order (50pct to 9999pct).
var ombPercentiles = []float64{50, 75, 95, 99, 99.9, 99.99}

// appendPercentiles appends q of each of ombPercentiles to the slice dst
// of the same index.
func appendPercentiles[T any](q func(float64) T, dst ...*[]T) {
	for i, p := range ombPercentiles {
		*dst[i] = append(*dst[i], q(p))
	}
}

// setPercentiles sets dst of each index to q of ombPercentiles there.
func setPercentiles[T any](q func(float64) T, dst ...*T) {
	for i, p := range ombPercentiles {
		*dst[i] = q(p)
	}
}

// setQuantiles fills m as OMB's histogram.percentiles(100) does: each
// value of h, converted by conv, keyed by getPercentile() (the share of
// values at or below it). It leaves m alone for an empty h.
func setQuantiles[T any](m map[string]T, h *hdrhistogram.Histogram, conv func(int64) T) {
	n := h.TotalCount()
	if n == 0 {
		return
	}
	for _, b := range h.CumulativeDistributionWithTicks(100) {
		m[javaDouble(100*float64(b.Count)/float64(n))] = conv(b.ValueAt)
	}
}

// WriteOMB writes res in OMB's result format (OMBFromResult) as indented
// JSON with a trailing newline.
func WriteOMB(w io.Writer, res *Result) error {
	o, err := OMBFromResult(res)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// javaDouble formats x as Java's Double.toString does for the values a
// percentile takes (0 to 100): at least one decimal ("50.0"), the
// shortest digits that read back as x, and computerized scientific
// notation below 10^-3 ("1.0E-4").
func javaDouble(x float64) string {
	if x == 0 {
		return "0.0"
	}
	if math.Abs(x) < 1e-3 || math.Abs(x) >= 1e7 {
		m := strconv.FormatFloat(x, 'E', -1, 64)
		mant, exp, _ := strings.Cut(m, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		e, _ := strconv.Atoi(exp)
		return mant + "E" + strconv.Itoa(e)
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
