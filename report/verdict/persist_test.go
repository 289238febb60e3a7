package verdict

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/report"
)

func run(acked, failed int64, p99 int64, env report.Environment) *report.Result {
	return &report.Result{
		MeasuredNs: 1e9, Counts: report.Counts{Sent: acked + failed, Acked: acked, Failed: failed},
		Throughput: report.Throughput{MsgsPerSec: float64(acked)}, Latency: report.Latency{Count: acked, P99Ns: p99},
		Environment: env,
	}
}

// TestCompareJSONNaNFree: comparing a baseline with itself, with an empty
// side, or with zero values encodes as JSON (NaN and Inf become null).
func TestCompareJSONNaNFree(t *testing.T) {
	t.Parallel()
	a := run(1000, 0, 5e6, report.Environment{})
	zero := run(0, 0, 0, report.Environment{})
	for name, c := range map[string]Comparison{
		"itself":     Compare([]*report.Result{a}, []*report.Result{a}, nil, 0),
		"empty side": Compare([]*report.Result{a}, nil, nil, 0),
		"from zero":  Compare([]*report.Result{zero}, []*report.Result{a}, nil, 0),
		"repeated":   Compare([]*report.Result{a, a, a}, []*report.Result{a, a, a}, nil, 0),
	} {
		js, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.Contains(string(js), "NaN") || !strings.Contains(string(js), `"Stat": "throughput"`) {
			t.Errorf("%s: %s", name, js)
		}
		var md bytes.Buffer
		if err := WriteTable(&md, c, FormatMarkdown); err != nil || strings.Contains(md.String(), "NaN") {
			t.Errorf("%s markdown: %v\n%s", name, err, md.String())
		}
	}
}

func TestCompareFlagsMachineAndSaturation(t *testing.T) {
	t.Parallel()
	envA := report.Environment{CPUModel: "AMD EPYC", NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8"}
	envB := report.Environment{CPUModel: "Intel Xeon", NumCPU: 16, GOMAXPROCS: 16, GoVersion: "go1.26.8"}
	a, b := run(1000, 0, 5e6, envA), run(1000, 0, 5e6, envB)
	c := Compare([]*report.Result{a}, []*report.Result{b}, nil, 0)
	if c.Saturated || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "MACHINE MISMATCH") {
		t.Fatalf("warnings %q saturated %v", c.Warnings, c.Saturated)
	}
	for _, f := range []Format{FormatText, FormatMarkdown} {
		var buf bytes.Buffer
		_ = WriteTable(&buf, c, f)
		if !strings.Contains(buf.String(), "WARNING: MACHINE MISMATCH") {
			t.Errorf("%s output lacks the machine warning", f)
		}
	}
	js, _ := json.Marshal(c)
	if !strings.Contains(string(js), "MACHINE MISMATCH") {
		t.Error("json lacks the machine warning")
	}
	sat := run(1000, 0, 5e6, envA)
	sat.ScheduleLag = report.Latency{Count: 1000, P99Ns: 50e6}
	c = Compare([]*report.Result{sat}, []*report.Result{a}, nil, 0)
	if !c.Saturated || !strings.Contains(strings.Join(c.Warnings, "\n"), "baseline run 1: GENERATOR SATURATED") {
		t.Errorf("saturated side not flagged: %v %q", c.Saturated, c.Warnings)
	}
}

func TestRecordAndExitCode(t *testing.T) {
	t.Parallel()
	res := run(1000, 0, 5e6, report.Environment{})
	ts, err := ParseThresholds([]string{"p99 < 1ms", "error_rate < 1%"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := MetricsFromResult(res)
	if err != nil {
		t.Fatal(err)
	}
	out, crossed := Evaluate(ts, m)
	Record(res, out)
	if !crossed || len(res.Thresholds) != 2 || res.Thresholds[0].OK || res.Thresholds[0].Observed != "5.000ms" || res.Thresholds[0].Threshold != "p99 < 1ms" {
		t.Errorf("recorded %+v", res.Thresholds)
	}
	if ExitCode(res) != ExitThresholdsCrossed {
		t.Errorf("exit %d", ExitCode(res))
	}
	res.Thresholds = nil
	for st, want := range map[string]int{report.StatusComplete: 0, report.StatusDegraded: 99, report.StatusFailed: 1} {
		res.Status = st
		if got := ExitCode(res); got != want {
			t.Errorf("ExitCode(%s) = %d, want %d", st, got, want)
		}
	}
}
