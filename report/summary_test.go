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

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	interrupted := sampleResult(t)
	interrupted.Status = StatusInterrupted
	interrupted.TargetRateMsgsPerSec = 0
	interrupted.Latency.ClampedHigh = 2
	interrupted.Latency.ClampedNegative = 1
	tests := []struct {
		name   string
		golden string
		res    *Result
	}{
		// complete run with failures of three kinds
		{"complete", "summary.golden", sampleResult(t)},
		// interrupted, unthrottled run with clamped latencies
		{"interrupted", "summary_interrupted.golden", interrupted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteSummary(&buf, tc.res); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("summary differs from %s (run go test -update if intended):\n--- got\n%s--- want\n%s", path, got, want)
			}
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
		"broker:NOT_LEADER_OR_FOLLOWER", "p99.99", "ratio 3.275",
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
	if !strings.HasPrefix(a.String(), "!!! INTERRUPTED") {
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
