package report

import (
	"bytes"
	"errors"
	"flag"
	"io"
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

// goldenCase is one of the variants and the golden file of its output.
type goldenCase struct{ variant, golden string }

// checkGoldens writes each variant of tests with write, in parallel
// subtests named by variant, and compares the output with its golden file.
func checkGoldens(t *testing.T, write func(io.Writer, *Result) error, tests []goldenCase) {
	vs := variants(t)
	for _, tc := range tests {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := write(&buf, vs[tc.variant]); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	checkGoldens(t, WriteSummary, []goldenCase{
		{"complete", "summary.golden"},                // complete run with failures of three kinds
		{"interrupted", "summary_interrupted.golden"}, // interrupted, unthrottled run with clamped latencies
		{"saturated", "summary_saturated.golden"},     // generator behind on both lag and rate
		{"closedloop", "summary_closedloop.golden"},   // closed loop: latency is service time
		{"v1", "summary_v1.golden"},                   // schema 1 file: no service time, lag or batch details
	})
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

// checkWriteErrors checks that write fails on a nil result and returns the
// error of a failing writer when writing res.
func checkWriteErrors(t *testing.T, write func(io.Writer, *Result) error, res *Result) {
	t.Helper()
	if err := write(failWriter{}, res); err == nil {
		t.Error("write error not returned")
	}
	if err := write(&bytes.Buffer{}, nil); err == nil {
		t.Error("nil result accepted")
	}
}

func TestSummaryErrors(t *testing.T) {
	t.Parallel()
	checkWriteErrors(t, WriteSummary, sampleResult(t))
	var buf bytes.Buffer
	if err := WriteSummary(&buf, &Result{}); err != nil || buf.Len() == 0 {
		t.Errorf("zero result: %v, %d bytes", err, buf.Len())
	}
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	checkGoldens(t, WriteMarkdown, []goldenCase{
		{"complete", "report.golden.md"},                // complete run with failures of three kinds
		{"interrupted", "report_interrupted.golden.md"}, // interrupted, unthrottled, clamped latencies
		{"saturated", "report_saturated.golden.md"},     // generator behind on lag and rate
		{"closedloop", "report_closedloop.golden.md"},   // closed loop note
		{"v1", "report_v1.golden.md"},                   // schema 1 file
	})
}

func TestMarkdownEscapes(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	res.Scenario.Name = "a|b_c"
	res.Scenario.Description = "uses <script> and *stars* | pipes\nnewline"
	res.Counts.FailedByKind = map[string]int64{"broker:`X`|Y": 1}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`## prodbench: a\|b\_c`, `uses &lt;script&gt; and \*stars\* \| pipes newline`, "| `broker:'X'\\|Y` | 1 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Error("raw HTML leaked into the markdown")
	}
	// Every table row has as many cells as its header.
	cells := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("row %q has %d separators, header %d", line, n, cells)
		}
	}
	checkWriteErrors(t, WriteMarkdown, res)
}

// TestSummaryNotApplicable: an engine without batches or client-side
// compression (nats, pulsar-ws) gets "not applicable" in the batch and
// compression lines of every report, not zeros; an engine with both keeps
// its figures; a result without EngineCaps (older) is unchanged.
func TestSummaryNotApplicable(t *testing.T) {
	t.Parallel()
	none := sampleResult(t)
	none.Batches = Batches{}
	none.EngineCaps = &EngineCaps{}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, none); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"batches:     not applicable", "compression: not applicable"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ratio 0.000") || strings.Contains(out, "none recorded") {
		t.Errorf("summary prints zeros for figures the engine cannot have:\n%s", out)
	}
	buf.Reset()
	if err := WriteMarkdown(&buf, none); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "not applicable") {
		t.Errorf("report.md lacks not applicable")
	}

	batchesOnly := sampleResult(t)
	batchesOnly.EngineCaps = &EngineCaps{Batches: true}
	buf.Reset()
	if err := WriteSummary(&buf, batchesOnly); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "records/batch") || !strings.Contains(out, "compression: not applicable") {
		t.Errorf("batches without compression:\n%s", out)
	}

	full := sampleResult(t)
	full.EngineCaps = &EngineCaps{Batches: true, Compression: true}
	var a, b bytes.Buffer
	if err := WriteSummary(&a, full); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&b, sampleResult(t)); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || strings.Contains(a.String(), "not applicable") {
		t.Errorf("an engine with batches and compression changed the summary")
	}
}

// TestVerifyBlock: a verify block with a loss or corruption fails the run
// with the count in the reason; duplicates alone do not; the summary and
// the HTML show the block.
func TestVerifyBlock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		v      Verify
		failed string // want StatusFailed with this reason; "" for not failed
	}{
		{"clean", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 10}}, ""},
		{"duplicates only", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 12, Duplicated: 2}}, ""},
		{"lost", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 7, Lost: 3}}, "verify: 3 lost"},
		{"lost and corrupted", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 9, Lost: 1, Corrupted: 2}}, "verify: 1 lost, 2 corrupted"},
		{"read back failed", Verify{Error: "broker gone"}, "verify: read back failed: broker gone"},
	} {
		res := sampleResult(t)
		v := tc.v
		v.Partitions = []VerifyCounts{v.Total}
		v.Partitions[0].Topic = "t"
		res.Verify = &v
		status, reason := Judge(res)
		if tc.failed != "" && (status != StatusFailed || reason != tc.failed) {
			t.Errorf("%s: status %s %q, want failed %q", tc.name, status, reason, tc.failed)
		}
		if tc.failed == "" && status == StatusFailed {
			t.Errorf("%s: failed: %s", tc.name, reason)
		}
		var sum bytes.Buffer
		if err := WriteSummary(&sum, res); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sum.String(), "verify:      whole run") {
			t.Errorf("%s: summary has no verify line:\n%s", tc.name, sum.String())
		}
		var html bytes.Buffer
		if err := WriteHTML(&html, res); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html.String(), "Delivery verification") {
			t.Errorf("%s: HTML has no verification table", tc.name)
		}
	}
}
