package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/report"
)

// cli runs Main and returns its exit code, stdout and stderr.
func cli(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// ranOK reports whether a run's exit code says it ran to its end: exit 0,
// or exit 99 for a run judged degraded only because it missed its target
// rate (stderr's status line says so). Tests of features other than the
// rate verdicts use it: on a machine loaded by the parallel race-detector
// tests an open-loop schedule can fall behind, and the verdicts rightly
// say so.
func ranOK(code int, stderr string) bool {
	return code == exitOK || code == exitThresholds && strings.Contains(stderr, "STATUS: DEGRADED: target rate missed")
}

// resultOK is ranOK judged from the written result instead of stderr.
func resultOK(code int, res *report.Result) bool {
	return code == exitOK || code == exitThresholds && res != nil && res.Status == report.StatusDegraded &&
		strings.HasPrefix(res.StatusReason, "target rate missed")
}

// scenarioFile writes body as name in a new temporary directory and
// returns its path.
func scenarioFile(t *testing.T, name, body string) string {
	t.Helper()
	return writeFile(t, filepath.Join(t.TempDir(), name), body)
}

// checkOutputs checks that dir holds non-empty files names.
func checkOutputs(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", n, err)
		}
	}
}

// mustRead returns the content of path, failing the test on error.
func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes body to path (mode 0644), creating its directory,
// failing the test on error, and returns path.
func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func shortWith(t *testing.T, from, to string) string {
	t.Helper()
	data := mustRead(t, "testdata/short.yaml")
	if !bytes.Contains(data, []byte(from)) {
		t.Fatalf("testdata/short.yaml has no %q", from)
	}
	return scenarioFile(t, "bad.yaml", strings.Replace(string(data), from, to, 1))
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		args     func(t *testing.T) []string
		code     int
		contains []string
	}{
		// A scenario file that does not exist is named.
		{"missing file", func(t *testing.T) []string { return []string{"run", "nope/missing.yaml"} },
			exitUsage, []string{"nope/missing.yaml"}},
		// A misspelled field names file:line and the field.
		{"unknown field", func(t *testing.T) []string {
			return []string{"run", shortWith(t, "  linger: 2ms", "  lingr: 2ms")}
		}, exitUsage, []string{"bad.yaml:20:", "producer.lingr", `"linger"`}},
		// A negative rate names its line and field.
		{"negative rate", func(t *testing.T) []string {
			return []string{"run", shortWith(t, "messages_per_second: 2000", "messages_per_second: -5")}
		}, exitUsage, []string{"bad.yaml:12:", "rate.messages_per_second"}},
		// A negative --rate flag is refused.
		{"negative rate flag", func(t *testing.T) []string { return []string{"run", "testdata/short.yaml", "--rate", "-3"} },
			exitUsage, []string{"--rate"}},
		// An unknown flag is refused.
		{"unknown flag", func(t *testing.T) []string { return []string{"run", "testdata/short.yaml", "--rat", "3"} },
			exitUsage, []string{"rat"}},
		// Brokers that are down: the address is named.
		{"unreachable brokers", func(t *testing.T) []string {
			return []string{"run", "testdata/short.yaml", "--brokers", "127.0.0.1:1", "--out", filepath.Join(t.TempDir(), "r")}
		}, exitFailure, []string{"127.0.0.1:1"}},
		// An unknown command.
		{"unknown command", func(t *testing.T) []string { return []string{"rnu"} }, exitUsage, []string{`"rnu"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := tc.args(t)
			start := time.Now()
			code, _, stderr := cli(context.Background(), args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.name != "unknown command" && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("want one error line, got:\n%s", stderr)
			}
			for _, want := range tc.contains {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q does not name %q", stderr, want)
				}
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
				t.Fatalf("panic output: %s", stderr)
			}
			if el := time.Since(start); el > 10*time.Second {
				t.Fatalf("took %v to fail", el)
			}
			for i, a := range args {
				if a == "--out" {
					if _, err := os.Stat(args[i+1]); !os.IsNotExist(err) {
						t.Fatalf("result directory %s exists after a failed start", args[i+1])
					}
				}
			}
		})
	}
}

func readResult(t *testing.T, dir string) *report.Result {
	t.Helper()
	res, err := report.ReadResult(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if checkOutputs(t, dir, "summary.txt", "latency.png"); t.Failed() {
		t.FailNow()
	}
	return res
}

func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := cli(context.Background(), "run", "testdata/short.yaml", "--out", dir, "--retain")
	if !ranOK(code, stderr) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	res := readResult(t, dir)
	if res.Status != report.StatusComplete || res.Counts.Failed != 0 || res.Counts.Acked != res.Counts.Sent {
		t.Fatalf("status %s counts %+v", res.Status, res.Counts)
	}
	// 1 s measured at 2,000 msg/s.
	if res.Counts.Sent < 1980 || res.Counts.Sent > 2020 {
		t.Fatalf("sent %d in the measured second, want 2000 ±1%%", res.Counts.Sent)
	}
	// Latency is measured, in ns, and ordered; no message can take longer
	// than the whole run (a wrong unit would). How fast the embedded
	// broker answers is not judged here: under a loaded parallel test run
	// p99 has reached 2.2 s.
	l := res.Latency
	if span := res.EndedAt.Sub(res.StartedAt); l.P50Ns <= 0 || l.P50Ns > l.P99Ns || l.P99Ns > l.MaxNs || l.MaxNs > int64(span) {
		t.Fatalf("latency p50 %d, p99 %d, max %d ns in a run of %v", l.P50Ns, l.P99Ns, l.MaxNs, span)
	}
	if res.Batches.MeanRecordsPerBatch < 1 || res.Batches.Count == 0 {
		t.Fatalf("batches %+v", res.Batches)
	}
	var spec map[string]any
	if err := json.Unmarshal(res.Scenario.Spec, &spec); err != nil || spec["name"] != "short" {
		t.Fatalf("scenario spec %s: %v", res.Scenario.Spec, err)
	}
	var opts map[string]any
	if err := json.Unmarshal(res.Options, &opts); err != nil || opts["compression"] != "lz4" || opts["linger"] != "2ms" {
		t.Fatalf("options %s: %v", res.Options, err)
	}
	if !strings.Contains(stdout, "short") || !strings.Contains(stderr, "results in") {
		t.Fatalf("stdout %q stderr %q", stdout, stderr)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupted at the first live line (1 s in, past the 200 ms
	// warmup): an event, not a wall-clock guess that a loaded machine
	// can beat before the first message.
	errw := &cancelOnWrite{want: "msg/s", cancel: cancel}
	code := Main(ctx, []string{"run", "testdata/short.yaml", "--out", dir, "--duration", "10s"}, io.Discard, errw)
	stderr := errw.String()
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, stderr)
	}
	res := readResult(t, dir)
	if res.Status != report.StatusInterrupted {
		t.Fatalf("status %q, want interrupted", res.Status)
	}
	// Everything sent was acked or counted as failed: nothing vanished.
	if res.Counts.Sent == 0 || res.Counts.Acked+res.Counts.Failed != res.Counts.Sent {
		t.Fatalf("counts %+v", res.Counts)
	}
}

// cancelOnWrite is a stderr that keeps what is written and calls cancel
// once the text contains want.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	want   string
	cancel context.CancelFunc
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.want) {
		c.cancel()
	}
	return len(p), nil
}

func (c *cancelOnWrite) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}
