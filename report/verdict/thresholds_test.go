package verdict

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prodbench/prodbench/report"
)

// parseCase is good input to a parser, the value it must give and, when
// not "", the value's String.
type parseCase[T any] struct {
	in    string
	want  T
	canon string
}

// checkParses checks that parse (named name in messages) reads each case
// as its want (compared with eq), that the value's String is the case's
// canon when one is given, and that the String parses back to the same
// value.
func checkParses[T interface {
	comparable
	fmt.Stringer
}](t *testing.T, name string, parse func(string) (T, error), eq func(got, want T) bool, tests []parseCase[T]) {
	t.Helper()
	for _, tt := range tests {
		got, err := parse(tt.in)
		if err != nil {
			t.Errorf("%s(%q): %v", name, tt.in, err)
			continue
		}
		if !eq(got, tt.want) {
			t.Errorf("%s(%q) = %+v, want %+v", name, tt.in, got, tt.want)
		}
		if s := got.String(); tt.canon != "" && s != tt.canon {
			t.Errorf("%s(%q).String() = %q, want %q", name, tt.in, s, tt.canon)
		}
		if again, err := parse(got.String()); err != nil || again != got {
			t.Errorf("%s(%q): canonical %q reparses to %+v, %v; want %+v", name, tt.in, got.String(), again, err, got)
		}
	}
}

func TestParseThreshold(t *testing.T) {
	t.Parallel()
	ms := float64(time.Millisecond)
	pct := func(q float64) Metric { return Metric{Kind: MetricPercentile, Percentile: q} }
	checkParses(t, "ParseThreshold", ParseThreshold, func(got, want Threshold) bool { return got == want }, []parseCase[Threshold]{
		// The five examples.
		{"p(99) < 20ms", Threshold{pct(99), OpLess, 20 * ms}, "p99 < 20ms"},
		{"p(99.9) < 100ms", Threshold{pct(99.9), OpLess, 100 * ms}, "p99.9 < 100ms"},
		{"throughput > 50000", Threshold{Metric{Kind: MetricThroughput}, OpGreater, 50000}, "throughput > 50000"},
		{"mb_per_s > 40", Threshold{Metric{Kind: MetricMBPerSec}, OpGreater, 40}, "mb_per_s > 40"},
		{"error_rate < 0.1%", Threshold{Metric{Kind: MetricErrorRate}, OpLess, 0.001}, "error_rate < 0.1%"},
		// No spaces at all, k6 style.
		{"p(99)<20ms", Threshold{pct(99), OpLess, 20 * ms}, "p99 < 20ms"},
		// Tabs and surrounding spaces are skipped.
		{"\t max  <=\t1.5s ", Threshold{Metric{Kind: MetricMax}, OpLessEq, 1.5e9}, "max <= 1.5s"},
		// Four nines, >=, microseconds spelled us and µs.
		{"p(99.99) >= 500us", Threshold{pct(99.99), OpGreaterEq, 500e3}, "p99.99 >= 500us"},
		{"mean < 250µs", Threshold{Metric{Kind: MetricMean}, OpLess, 250e3}, "mean < 250us"},
		// Aliases resolve to canonical names.
		{"p999 < 1s", Threshold{pct(99.9), OpLess, 1e9}, "p99.9 < 1s"},
		{"p50 < 2ms", Threshold{pct(50), OpLess, 2 * ms}, "p50 < 2ms"},
		{"med < 2ms", Threshold{pct(50), OpLess, 2 * ms}, "p50 < 2ms"},
		{"avg < 3ms", Threshold{Metric{Kind: MetricMean}, OpLess, 3 * ms}, "mean < 3ms"},
		// A percentile outside the stored set.
		{"p(95) < 12.5ms", Threshold{pct(95), OpLess, 12.5 * ms}, "p95 < 12.5ms"},
		// Minutes become seconds; sub-millisecond fractions stay exact.
		{"max < 1m", Threshold{Metric{Kind: MetricMax}, OpLess, 60e9}, "max < 60s"},
		{"p(90) < 1.234567ms", Threshold{pct(90), OpLess, 1234567}, "p90 < 1.234567ms"},
		{"max < 7ns", Threshold{Metric{Kind: MetricMax}, OpLess, 7}, "max < 7ns"},
		// Zero duration with a unit is fine.
		{"max < 0s", Threshold{Metric{Kind: MetricMax}, OpLess, 0}, "max < 0ns"},
		// Rates: fractions and exponents.
		{"throughput >= 2.5e4", Threshold{Metric{Kind: MetricThroughput}, OpGreaterEq, 25000}, "throughput >= 25000"},
		{"mb_per_s > .5", Threshold{Metric{Kind: MetricMBPerSec}, OpGreater, 0.5}, "mb_per_s > 0.5"},
		// error_rate as a fraction, and the 0% and 100% ends.
		{"error_rate <= 0.001", Threshold{Metric{Kind: MetricErrorRate}, OpLessEq, 0.001}, "error_rate <= 0.1%"},
		{"error_rate < 0%", Threshold{Metric{Kind: MetricErrorRate}, OpLess, 0}, "error_rate < 0%"},
		{"error_rate <= 100%", Threshold{Metric{Kind: MetricErrorRate}, OpLessEq, 1}, "error_rate <= 100%"},
		{"error_rate < 1", Threshold{Metric{Kind: MetricErrorRate}, OpLess, 1}, "error_rate < 100%"},
	})
}

// syntaxCase is bad input to a parser: the column its *SyntaxError names
// and a substring of the message.
type syntaxCase struct {
	in   string
	col  int
	want string
}

// checkSyntaxErrors checks that parse (named name in messages) fails on
// each case with a *SyntaxError of kind what at the case's column, whose
// message is one line `WHAT "IN": column N: ...` containing the case's
// want.
func checkSyntaxErrors[T any](t *testing.T, name, what string, parse func(string) (T, error), tests []syntaxCase) {
	t.Helper()
	for _, tt := range tests {
		_, err := parse(tt.in)
		if err == nil {
			t.Errorf("%s(%q) succeeded, want an error at column %d", name, tt.in, tt.col)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s(%q) error %T is not a *SyntaxError", name, tt.in, err)
			continue
		}
		if se.Column != tt.col || se.What != what {
			t.Errorf("%s(%q): column %d, what %q, want %d and %q (%v)", name, tt.in, se.Column, se.What, tt.col, what, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s(%q) = %q, want it to contain %q", name, tt.in, msg, tt.want)
		}
		if !strings.HasPrefix(msg, fmt.Sprintf("%s %q: column %d: ", what, tt.in, tt.col)) || strings.Contains(msg, "\n") {
			t.Errorf("%s(%q) = %q: not one line `%s \"...\": column N: ...`", name, tt.in, msg, what)
		}
	}
}

func TestParseThresholdErrors(t *testing.T) {
	t.Parallel()
	// want is a substring of the message.
	checkSyntaxErrors(t, "ParseThreshold", "threshold", ParseThreshold, []syntaxCase{
		// The brief's example, whole: a latency without a unit.
		{"p(99) < 20", 9, `threshold "p(99) < 20": column 9: latency needs a unit, e.g. 20ms`},
		// Empty and blank input.
		{"", 1, "empty; want METRIC OP VALUE"},
		{"   ", 4, "empty; want METRIC OP VALUE"},
		// Unknown metric, with and without a suggestion.
		{"throughtput > 5", 1, `unknown metric "throughtput" (did you mean "throughput"?)`},
		{"latency < 5ms", 1, `unknown metric "latency"; want pN`},
		{"  p100 < 5ms", 3, `write the percentile as pN or p(N), e.g. p99.9`},
		{"P99 < 5ms", 1, "metric names are lower case: write p99"},
		{"min < 1ms", 1, `unknown metric "min"`},
		// Not a metric at all.
		{"< 5ms", 1, `want a metric (pN (p99, p99.9), max, mean, throughput, mb_per_s or error_rate), got '<'`},
		// Percentile problems point inside p(...).
		{"p(100) < 5ms", 3, "not between 0 and 100 exclusive (max is the largest latency)"},
		{"p(0) < 5ms", 3, "not between 0 and 100"},
		{"p(abc) < 5ms", 3, `percentile "abc" is not a plain number`},
		{"p(-1) < 5ms", 3, `percentile "-1" is not a plain number`},
		{"p(99 < 5ms", 11, "missing ) after the percentile"},
		// Operator problems.
		{"p(99)", 6, "missing operator"},
		{"p(99) == 5ms", 7, `operator "==" is not supported`},
		{"p(99) = 5ms", 7, `operator "=" is not supported`},
		{"p(99) ~ 5ms", 7, "want an operator <, <=, > or >=, got '~'"},
		// Value problems.
		{"p(99) <", 8, "missing value, e.g. 20ms"},
		{"p(99) < 20 ms", 12, "no space between a number and its unit: write 20ms"},
		{"p(99) < 20ms 5", 14, `unexpected "5" after the value`},
		{"p(99) < 20parsecs", 9, `bad duration "20parsecs"`},
		{"p(99) < -5ms", 9, "p99 must not be negative"},
		{"throughput > 50k", 14, "throughput is a plain number of acked messages per second, e.g. 50000"},
		{"mb_per_s > 4MB", 12, "mb_per_s is a plain number of MB (10^6 B) per second"},
		{"throughput > 50000 msg/s", 20, "throughput takes a plain number without a unit: write 50000"},
		{"throughput > 1e999", 14, "plain number"},
		{"throughput > -1", 14, "throughput must not be negative"},
		{"error_rate < 1.5", 14, "error_rate fraction 1.5 is more than 1; write 1.5% for a percentage"},
		{"error_rate < 101%", 14, "more than 100%"},
		{"error_rate < x%", 14, `bad percentage "x%"`},
		{"error_rate < 0.1 %", 18, "no space between a number and its unit: write 0.1%"},
		{"error_rate < lots", 14, `bad error_rate "lots"`},
		// Columns count characters, not bytes.
		{"p(99) < 5µs µ", 13, `unexpected "µ"`},
	})
}

func TestParseThresholds(t *testing.T) {
	t.Parallel()
	ts, err := ParseThresholds([]string{"p(99) < 20ms", "throughput > 100"})
	if err != nil || len(ts) != 2 || ts[1].Metric.Kind != MetricThroughput {
		t.Fatalf("ParseThresholds = %v, %v", ts, err)
	}
	ts, err = ParseThresholds([]string{"p(99) < 20", "max < 1s", "bogus > 1"})
	if err == nil || ts != nil {
		t.Fatalf("ParseThresholds with two bad = %v, %v; want nil and an error", ts, err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "column 9") || !strings.Contains(lines[1], `"bogus"`) {
		t.Errorf("ParseThresholds error lines = %q, want one per bad threshold", lines)
	}
	if ts, err := ParseThresholds(nil); err != nil || len(ts) != 0 {
		t.Errorf("ParseThresholds(nil) = %v, %v", ts, err)
	}
}

// histResult returns a Result whose latencies are the n values 1..n µs and
// whose counts are sent, acked, failed.
func histResult(t testing.TB, n int, sent, failed int64) *report.Result {
	t.Helper()
	h := report.NewHistogram()
	for i := 1; i <= n; i++ {
		if err := h.RecordValue(int64(i) * 1000); err != nil {
			t.Fatal(err)
		}
	}
	lat, err := report.LatencyFromHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	return &report.Result{
		Counts:     report.Counts{Sent: sent, Acked: int64(n), Failed: failed},
		Throughput: report.Throughput{MsgsPerSec: 1000, MBPerSec: 0.5},
		Latency:    lat,
	}
}

func TestMetricsFromResult(t *testing.T) {
	t.Parallel()
	res := histResult(t, 10000, 10010, 10)
	m, err := MetricsFromResult(res)
	if err != nil {
		t.Fatal(err)
	}
	h, err := report.DecodeHistogram(res.Latency.Histogram)
	if err != nil {
		t.Fatal(err)
	}
	pct := func(q float64) Metric { return Metric{Kind: MetricPercentile, Percentile: q} }
	tests := []struct {
		metric Metric
		want   float64
	}{
		// Stored fields.
		{pct(99), float64(res.Latency.P99Ns)},
		{pct(99.9), float64(res.Latency.P999Ns)},
		{Metric{Kind: MetricMax}, float64(res.Latency.MaxNs)},
		{Metric{Kind: MetricMean}, float64(res.Latency.MeanNs)},
		{Metric{Kind: MetricThroughput}, 1000},
		{Metric{Kind: MetricMBPerSec}, 0.5},
		// failed / sent.
		{Metric{Kind: MetricErrorRate}, 10.0 / 10010},
		// Not stored: from the histogram, about 9.5 ms and 7.5 ms.
		{pct(95), float64(h.ValueAtQuantile(95))},
		{pct(75), float64(h.ValueAtQuantile(75))},
	}
	for _, tt := range tests {
		v, ok := m.Value(tt.metric)
		if !ok || v != tt.want {
			t.Errorf("Value(%s) = %v, %v; want %v", tt.metric, v, ok, tt.want)
		}
	}
	// The stored fields are used, not the histogram.
	res.Latency.P99Ns = 123
	if m, _ := MetricsFromResult(res); m.PercentileNs[99] != 123 {
		t.Errorf("p(99) = %v, want the stored 123", m.PercentileNs[99])
	}
	if v, _ := m.Value(Metric{Kind: MetricPercentile, Percentile: 95}); math.Abs(v-9.5e6) > 0.01*9.5e6 {
		t.Errorf("p(95) of 1..10000 µs = %v ns, want about 9.5e6", v)
	}
}

func TestMetricsFromResultErrors(t *testing.T) {
	t.Parallel()
	if _, err := MetricsFromResult(nil); err == nil {
		t.Error("MetricsFromResult(nil) succeeded")
	}
	res := histResult(t, 10, 10, 0)
	res.Latency.Histogram = "not a histogram"
	if _, err := MetricsFromResult(res); err == nil || !strings.HasPrefix(err.Error(), "verdict: ") {
		t.Errorf("MetricsFromResult(bad histogram) = %v, want a verdict: error", err)
	}
}

func TestMetricsUnavailable(t *testing.T) {
	t.Parallel()
	// No histogram: stored percentiles only.
	res := histResult(t, 100, 100, 0)
	res.Latency.Histogram = ""
	m, err := MetricsFromResult(res)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Value(Metric{Kind: MetricPercentile, Percentile: 99}); !ok {
		t.Error("stored p(99) unavailable without a histogram")
	}
	if v, ok := m.Value(Metric{Kind: MetricPercentile, Percentile: 95}); ok || !math.IsNaN(v) {
		t.Errorf("p(95) without a histogram = %v, %v; want NaN, false", v, ok)
	}
	// Nothing acked: no latency, but rates and errors are there.
	none := &report.Result{Counts: report.Counts{Sent: 5, Failed: 5}}
	m, err = MetricsFromResult(none)
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range []Metric{{Kind: MetricMax}, {Kind: MetricMean}, {Kind: MetricPercentile, Percentile: 50}} {
		if _, ok := m.Value(mt); ok {
			t.Errorf("%s of a run that acked nothing is available", mt)
		}
	}
	if v, ok := m.Value(Metric{Kind: MetricErrorRate}); !ok || v != 1 {
		t.Errorf("error_rate of 5 sent 5 failed = %v, %v; want 1", v, ok)
	}
	if _, ok := m.Value(Metric{}); ok {
		t.Error("the zero Metric is available")
	}
}

func TestErrorRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    report.Counts
		want float64
	}{
		{report.Counts{Sent: 1000, Failed: 1}, 0.001}, // failed / sent
		{report.Counts{Sent: 1000}, 0},                // no failures
		{report.Counts{}, 0},                          // nothing sent, nothing failed
		{report.Counts{Failed: 3}, 1},                 // nothing sent but failures: all bad
	}
	for _, tt := range tests {
		if got := ErrorRate(tt.c); got != tt.want {
			t.Errorf("ErrorRate(%+v) = %v, want %v", tt.c, got, tt.want)
		}
	}
}

func TestThresholdEval(t *testing.T) {
	t.Parallel()
	m := Metrics{
		MsgsPerSec: 50000, MBPerSec: 25.6, ErrorRate: 0.002, Acked: 1,
		MeanNs: 3e6, MaxNs: 40e6,
		PercentileNs: map[float64]float64{50: 2e6, 90: 5e6, 99: 12e6, 99.9: 21e6, 99.99: 29e6},
	}
	tests := []struct {
		in       string
		ok       bool
		observed float64
	}{
		{"p(99) < 20ms", true, 12e6},       // 12 ms under 20 ms
		{"p(99) < 12ms", false, 12e6},      // equal is not less
		{"p(99) <= 12ms", true, 12e6},      // equal is at most
		{"p(99.9) > 21ms", false, 21e6},    // equal is not more
		{"p(99.9) >= 21ms", true, 21e6},    // equal is at least
		{"max < 30ms", false, 40e6},        // 40 ms over
		{"mean < 5ms", true, 3e6},          // mean
		{"throughput > 50000", false, 5e4}, // equal is not more
		{"throughput >= 50000", true, 5e4}, // equal is at least
		{"mb_per_s > 40", false, 25.6},     // too slow
		{"error_rate < 0.1%", false, 0.002},
		{"error_rate < 1%", true, 0.002},
		{"p(95) < 1s", false, math.NaN()}, // not stored, no histogram: crossed
	}
	for _, tt := range tests {
		th, err := ParseThreshold(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		ok, obs := th.Eval(m)
		if ok != tt.ok || !(obs == tt.observed || math.IsNaN(obs) && math.IsNaN(tt.observed)) {
			t.Errorf("%q.Eval = %v, %v; want %v, %v", tt.in, ok, obs, tt.ok, tt.observed)
		}
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	m, err := MetricsFromResult(histResult(t, 1000, 1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ParseThresholds([]string{"p(99) < 20ms", "throughput > 50000", "error_rate < 0.1%"})
	if err != nil {
		t.Fatal(err)
	}
	outs, crossed := Evaluate(ts, m)
	if !crossed || len(outs) != 3 || !outs[0].OK || outs[1].OK || !outs[2].OK {
		t.Fatalf("Evaluate = %+v, crossed %v; want only throughput crossed", outs, crossed)
	}
	if _, crossed := Evaluate(ts[:1], m); crossed {
		t.Error("Evaluate of a passing threshold reports crossed")
	}
	var b strings.Builder
	if err := WriteOutcomes(&b, outs); err != nil {
		t.Fatal(err)
	}
	want := "ok       p99 < 20ms           observed 0.990ms\n" +
		"CROSSED  throughput > 50000   observed 1000.0 msg/s\n" +
		"ok       error_rate < 0.1%    observed 0.000%\n"
	if b.String() != want {
		t.Errorf("WriteOutcomes =\n%s\nwant\n%s", b.String(), want)
	}
	if err := WriteOutcomes(failWriter{}, outs); err == nil {
		t.Error("WriteOutcomes to a failing writer succeeded")
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestThresholdText(t *testing.T) {
	t.Parallel()
	// A scenario's thresholds decode straight into []Threshold.
	var ts []Threshold
	if err := json.Unmarshal([]byte(`["p(99)<20ms", "error_rate < 0.1%"]`), &ts); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(ts)
	if err != nil || string(out) != `["p99 \u003c 20ms","error_rate \u003c 0.1%"]` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
	err = json.Unmarshal([]byte(`["p(99) < 20"]`), &ts)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Column != 9 {
		t.Errorf("Unmarshal of a bad threshold = %v, want a SyntaxError at column 9", err)
	}
	// Thresholds that ParseThreshold cannot produce do not marshal.
	for _, bad := range []Threshold{
		{},                                    // zero
		{Metric{Kind: MetricMax}, "!", 1},     // bad operator
		{Metric{Kind: MetricMax}, OpLess, -1}, // negative
		{Metric{Kind: MetricPercentile, Percentile: 100}, OpLess, 1},        // percentile out of range
		{Metric{Kind: MetricErrorRate}, OpLess, 2},                          // error rate above 1
		{Metric{Kind: MetricThroughput}, OpLess, math.Inf(1)},               // infinite
		{Metric{Kind: MetricErrorRate + 1}, OpLess, 1},                      // unknown kind
		{Metric{Kind: MetricThroughput}, OpGreaterEq, math.NaN()},           // NaN
		{Metric{Kind: MetricPercentile, Percentile: math.NaN()}, OpLess, 1}, // NaN percentile
	} {
		if b, err := bad.MarshalText(); err == nil {
			t.Errorf("MarshalText(%+v) = %q, want an error", bad, b)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for ns, want := range map[float64]string{
		0:                      "0ns",                   // zero
		999:                    "999ns",                 // below 1 us
		1000:                   "1us",                   // exactly 1 us
		1500:                   "1.5us",                 // fraction
		20e6:                   "20ms",                  // whole ms
		1000001:                "1.000001ms",            // keeps every nanosecond
		1.5e9:                  "1.5s",                  // seconds
		3600e9:                 "3600s",                 // an hour stays in seconds
		1e30:                   "9223372036.854775807s", // beyond int64: clamped
		math.NaN():             "0ns",                   // NaN
		-5:                     "0ns",                   // negative
		2.4:                    "2ns",                   // rounded to whole ns
		float64(math.MaxInt64): "9223372036.854775807s", // the largest
	} {
		if got := formatDuration(ns); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", ns, got, want)
		}
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{
		"p(99) < 20ms", "p(99.9)<100ms", "throughput > 50000", "mb_per_s >= 4e1",
		"error_rate < 0.1%", "error_rate<=0.001", "max < 2562047h", "p(99) < 20",
		"p(", "p(99", "", "µ", "p(99) < 5µs µ", "mean\t<\t1.5s", "p999 > 1ns", "error_rate < 1e-320%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseThreshold(%q) error %T is not a *SyntaxError", s, err)
			}
			if n := utf8.RuneCountInString(s); se.Column < 1 || se.Column > n+1 {
				t.Fatalf("ParseThreshold(%q): column %d outside 1..%d", s, se.Column, n+1)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, fmt.Sprintf(": column %d: ", se.Column)) {
				t.Fatalf("ParseThreshold(%q) error %q is not one line with its column", s, msg)
			}
			return
		}
		canon := th.String()
		again, err := ParseThreshold(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again != th {
			t.Fatalf("canonical form %q of %q parses to %+v, want %+v", canon, s, again, th)
		}
		if _, err := th.MarshalText(); err != nil {
			t.Fatalf("MarshalText of parsed %q: %v", s, err)
		}
	})
}

// TestMetricNameRoundTrip: a metric prints by the one name the reports use
// (p99, p99.9) and that name parses back to the same metric.
func TestMetricNameRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"p(99.9) < 1ms", "p99.9 < 1ms", "p999 < 1ms", "p(75) < 1ms", "p75 < 1ms", "p(99.99) < 1ms", "p50<1ms"} {
		th, err := ParseThreshold(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		back, err := ParseThreshold(th.String())
		if err != nil || back != th {
			t.Errorf("%q printed as %q parses back to %v, %v", in, th.String(), back, err)
		}
		if strings.Contains(th.String(), "(") {
			t.Errorf("%q prints as %q, want the pN name", in, th.String())
		}
	}
	if StatP999 != "p99.9" || StatP9999 != "p99.99" {
		t.Errorf("compare names %q %q, want p99.9 p99.99", StatP999, StatP9999)
	}
}
