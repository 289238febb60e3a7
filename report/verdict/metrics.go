package verdict

import (
	"errors"
	"fmt"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/prodbench/prodbench/report"
)

// Metrics are the values of one run that thresholds check, in the units of
// Threshold.Value. Build them with MetricsFromResult; a Metrics built by
// hand has no histogram, so only the stored percentiles are available.
type Metrics struct {
	// MsgsPerSec is acked messages per second (report.Throughput.MsgsPerSec).
	MsgsPerSec float64
	// MBPerSec is acked record payload in MB (10^6 B) per second
	// (report.Throughput.MBPerSec).
	MBPerSec float64
	// ErrorRate is failed / sent messages (see ErrorRate).
	ErrorRate float64
	// Acked is the number of acked messages, which is the number of
	// latency samples; latency metrics are unavailable when it is 0.
	Acked int64
	// MeanNs and MaxNs are the mean and largest latency, in ns.
	MeanNs float64
	MaxNs  float64
	// PercentileNs maps a percentile (50, 90, 99, 99.9, 99.99) to its
	// latency in ns, as stored in the result.
	PercentileNs map[float64]float64

	// hist is the decoded whole-run histogram, for other percentiles; nil
	// when the result carried none.
	hist *hdrhistogram.Histogram
}

// ErrorRate returns failed / sent of c, a fraction. With nothing sent it is
// 0 when nothing failed and 1 otherwise, so a run that sent nothing but
// failed still fails an error_rate threshold.
func ErrorRate(c report.Counts) float64 {
	if c.Sent <= 0 {
		if c.Failed > 0 {
			return 1
		}
		return 0
	}
	return float64(c.Failed) / float64(c.Sent)
}

// MetricsFromResult returns the threshold metrics of res: throughput,
// MB/s, error rate, mean, max and the stored percentiles, and the decoded
// latency histogram for any other percentile. It fails on a nil res or a
// malformed encoded histogram. It reads only Throughput, Counts.Sent,
// Acked and Failed, and Latency's percentiles, mean, max and histogram.
func MetricsFromResult(res *report.Result) (Metrics, error) {
	if res == nil {
		return Metrics{}, errors.New("verdict: nil result")
	}
	l := res.Latency
	m := Metrics{
		MsgsPerSec: res.Throughput.MsgsPerSec,
		MBPerSec:   res.Throughput.MBPerSec,
		ErrorRate:  ErrorRate(res.Counts),
		Acked:      res.Counts.Acked,
		MeanNs:     float64(l.MeanNs),
		MaxNs:      float64(l.MaxNs),
		PercentileNs: map[float64]float64{
			50:    float64(l.P50Ns),
			90:    float64(l.P90Ns),
			99:    float64(l.P99Ns),
			99.9:  float64(l.P999Ns),
			99.99: float64(l.P9999Ns),
		},
	}
	if l.Histogram != "" {
		h, err := report.DecodeHistogram(l.Histogram)
		if err != nil {
			return Metrics{}, fmt.Errorf("verdict: %w", err)
		}
		if h.TotalCount() > 0 {
			m.hist = h
		}
	}
	return m, nil
}

// Value returns metric mt of m in Threshold.Value's unit. ok is false when
// m does not have it: a latency when nothing was acked, or a percentile
// outside PercentileNs when m has no histogram. Percentiles outside the
// stored set are the histogram's value at that percentile (the highest
// value equivalent to it within 3 significant digits, as the stored ones).
func (m Metrics) Value(mt Metric) (v float64, ok bool) {
	switch mt.Kind {
	case MetricThroughput:
		return m.MsgsPerSec, true
	case MetricMBPerSec:
		return m.MBPerSec, true
	case MetricErrorRate:
		return m.ErrorRate, true
	}
	if !mt.IsLatency() || m.Acked <= 0 {
		return math.NaN(), false
	}
	switch mt.Kind {
	case MetricMax:
		return m.MaxNs, true
	case MetricMean:
		return m.MeanNs, true
	}
	if v, ok := m.PercentileNs[mt.Percentile]; ok {
		return v, true
	}
	if m.hist == nil {
		return math.NaN(), false
	}
	return float64(m.hist.ValueAtQuantile(mt.Percentile)), true
}
