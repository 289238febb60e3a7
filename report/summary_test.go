package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// checkGolden compares got with testdata/name, rewriting it first with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (run go test -update if intended):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// variants returns the Results the golden tests render, by name.
func variants(t *testing.T) map[string]*Result {
	t.Helper()
	interrupted := sampleResult(t)
	interrupted.Status = StatusInterrupted
	interrupted.TargetRateMsgsPerSec = 0
	interrupted.Latency.ClampedHigh = 2
	interrupted.Latency.ClampedNegative = 1

	saturated := sampleResult(t)
	saturated.TargetRateMsgsPerSec = 2500 // achieved 1998 is below 99%
	saturated.ScheduleLag = Latency{Count: 16000, P50Ns: 240_000, P90Ns: 1_100_000, P99Ns: 3_456_789,
		P999Ns: 4_100_000, P9999Ns: 4_900_000, MaxNs: 5_000_000, MeanNs: 400_000, Histogram: saturated.ScheduleLag.Histogram}

	closed := sampleResult(t)
	closed.ClosedLoop = true
	closed.TargetRateMsgsPerSec = 0
	closed.ScheduleLag = saturated.ScheduleLag // never a warning in closed loop

	v1, err := ReadResult(filepath.Join("testdata", "result_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*Result{
		"complete":    sampleResult(t),
		"interrupted": interrupted,
		"saturated":   saturated,
		"closedloop":  closed,
		"v1":          v1,
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	vs := variants(t)
	tests := []struct {
		variant, golden string
	}{
		{"complete", "summary.golden"},                // complete run with failures of three kinds
		{"interrupted", "summary_interrupted.golden"}, // interrupted, unthrottled run with clamped latencies
		{"saturated", "summary_saturated.golden"},     // generator behind on both lag and rate
		{"closedloop", "summary_closedloop.golden"},   // closed loop: latency is service time
		{"v1", "summary_v1.golden"},                   // schema 1 file: no service time, lag or batch details
	}
	for _, tc := range tests {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteSummary(&buf, vs[tc.variant]); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestSummaryContents(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	var a, b bytes.Buffer
	if err := WriteSummary(&a, res); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&b, res); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("summary is not deterministic")
	}
	s := a.String()
	for _, want := range []string{
		"steady-1k", "MB = 10^6 B", "target 2000.0 msg/s",
		"broker:NOT_LEADER_OR_FOLLOWER", "p99.99", "ratio 3.195",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "INTERRUPTED") {
		t.Error("complete run flagged INTERRUPTED")
	}
	// Failure kinds are sorted.
	if i, j := strings.Index(s, "broker:"), strings.Index(s, "send_timeout"); i < 0 || j < i {
		t.Error("failure kinds not sorted")
	}
	res.Status = StatusInterrupted
	a.Reset()
	if err := WriteSummary(&a, res); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.String(), "!!! STATUS: INTERRUPTED: stopped before its planned end") {
		t.Errorf("interrupted run not flagged on the first line:\n%s", a.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSummaryErrors(t *testing.T) {
	t.Parallel()
	if err := WriteSummary(failWriter{}, sampleResult(t)); err == nil {
		t.Error("write error not returned")
	}
	if err := WriteSummary(&bytes.Buffer{}, nil); err == nil {
		t.Error("nil result accepted")
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, &Result{}); err != nil || buf.Len() == 0 {
		t.Errorf("zero result: %v, %d bytes", err, buf.Len())
	}
}
