package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/report"
)

// storeRun stores a small deterministic run (2 s, 1 s warmup, rate msg/s,
// latencies base..base+1ms) as result.json alone in a new directory named
// name, and returns the directory.
func storeRun(t *testing.T, name string, rate float64, base time.Duration) string {
	t.Helper()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := report.NewRecorder(start, time.Second, time.Second)
	n := int(2 * rate)
	for i := range n {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second))).UnixNano()
		rec.Sent(at, 100)
		rec.Success(at, at+int64(i%10)*1000, at+int64(base)+int64(i%1000)*1000, 100)
		if i == n/2-1 {
			rec.Tick(start.Add(time.Second))
		}
	}
	res, err := report.NewResult(rec.Finish(start.Add(2 * time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	res.Scenario = report.Scenario{Name: "quickstart", Description: "test run"}
	res.TargetRateMsgsPerSec = rate
	js, err := report.MarshalResult(res)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(writeFile(t, filepath.Join(t.TempDir(), name, report.ResultFile), string(js)))
}

func TestReportCommand(t *testing.T) {
	t.Parallel()
	dir := storeRun(t, "a", 1000, 2*time.Millisecond) // result.json only
	before, _ := os.ReadFile(filepath.Join(dir, report.ResultFile))
	code, stdout, stderr := cli(context.Background(), "report", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "scenario:    quickstart") || !strings.Contains(stdout, "schedule lag") {
		t.Errorf("stdout is not the summary:\n%s", stdout)
	}
	checkOutputs(t, dir, report.SummaryFile, report.MarkdownFile, report.HTMLFile, report.TimeseriesFile,
		report.HlogFile, report.HgrmFile, report.LagHgrmFile, report.PlotFile, "throughput.svg")
	if after, _ := os.ReadFile(filepath.Join(dir, report.ResultFile)); string(after) != string(before) {
		t.Error("report changed result.json")
	}
	if !strings.Contains(stderr, "rendered 1 result directory") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestReportFormats(t *testing.T) {
	t.Parallel()
	a := storeRun(t, "a", 1000, 2*time.Millisecond)
	b := storeRun(t, "b", 2000, 4*time.Millisecond)
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		// JSON Lines: one result per line, in argument order
		{"json", []string{"report", "--format", "json", "--no-files", a, b}, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("%d lines, want 2", len(lines))
			}
			for i, want := range []float64{1000, 2000} {
				var res report.Result
				if err := json.Unmarshal([]byte(lines[i]), &res); err != nil || res.TargetRateMsgsPerSec != want || res.SchemaVersion != report.SchemaVersion {
					t.Errorf("line %d: %v, target %v", i, err, res.TargetRateMsgsPerSec)
				}
			}
		}},
		// gobench: one benchmark line per run, same name so benchstat pairs them
		{"gobench", []string{"report", "--format=gobench", "--no-files", a, b}, func(t *testing.T, out string) {
			var names []string
			sc := bufio.NewScanner(strings.NewReader(out))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) > 0 && strings.HasPrefix(f[0], "Benchmark") {
					names = append(names, f[0])
					if len(f)%2 != 0 || f[1] != "1" || !strings.Contains(sc.Text(), " p99-ns ") {
						t.Errorf("bad benchmark line %q", sc.Text())
					}
				}
			}
			if len(names) != 2 || names[0] != "BenchmarkQuickstart" || names[1] != names[0] {
				t.Errorf("benchmark names %v", names)
			}
		}},
		// text: both summaries
		{"text", []string{"report", "--no-files", a, b}, func(t *testing.T, out string) {
			if strings.Count(out, "scenario:    quickstart") != 2 {
				t.Errorf("want two summaries:\n%s", out)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := cli(context.Background(), tc.args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			tc.check(t, stdout)
		})
	}
}

func TestReportCompareBadInput(t *testing.T) {
	t.Parallel()
	good := storeRun(t, "good", 1000, time.Millisecond)
	empty := t.TempDir()
	garbage := t.TempDir()
	writeFile(t, filepath.Join(garbage, report.ResultFile), "{not json")
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		// no directory
		{"report nothing", []string{"report"}, exitUsage, "at least one result directory"},
		// a directory without result.json is named with the file
		{"report empty dir", []string{"report", empty}, exitUsage, filepath.Join(empty, "result.json")},
		// unparsable result.json
		{"report garbage", []string{"report", garbage}, exitUsage, "parse " + filepath.Join(garbage, "result.json")},
		// unknown format
		{"report format", []string{"report", "--format", "xml", good}, exitUsage, `--format "xml"`},
		// unknown flag
		{"report flag", []string{"report", "--formt", "json", good}, exitUsage, "formt"},
		// compare needs two runs
		{"compare one", []string{"compare", good}, exitUsage, "at least two result directories, got 1"},
		// a bad directory among good ones
		{"compare missing", []string{"compare", good, filepath.Join(empty, "x")}, exitUsage, filepath.Join(empty, "x", "result.json")},
		// labels must match the directories
		{"compare labels", []string{"compare", good, good, "--labels", "a"}, exitUsage, "--labels has 1 labels for 2 directories"},
		// unknown format
		{"compare format", []string{"compare", good, good, "--format", "csv"}, exitUsage, `--format "csv"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := cli(context.Background(), tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.contains) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr %q: want one line naming %q", stderr, tc.contains)
			}
			if stdout != "" || strings.Contains(stderr, "panic") {
				t.Errorf("stdout %q", stdout)
			}
		})
	}
}

func TestReportCompareHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"report", "compare"} {
		code, stdout, _ := cli(context.Background(), "help", c)
		if code != exitOK || !strings.Contains(stdout, "Usage: prodbench "+c) || !strings.Contains(stdout, "--format") || strings.Contains(stdout, "%!") {
			t.Errorf("help %s: exit %d\n%s", c, code, stdout)
		}
	}
}

func TestCompareCommand(t *testing.T) {
	t.Parallel()
	a := storeRun(t, "rate-1k", 1000, 2*time.Millisecond)
	b := storeRun(t, "rate-2k", 2000, 4*time.Millisecond)
	out := filepath.Join(t.TempDir(), "cmp")
	code, stdout, stderr := cli(context.Background(), "compare", a, b, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"rate-1k", "Δ rate-2k", "achieved rate (acked)", "+100.0%"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	checkOutputs(t, out, report.CompareHTMLFile, report.CompareMarkdownFile, report.CompareJSONFile, "compare-latency.png", "compare-throughput.svg")
	if !strings.Contains(stderr, "comparison in "+out) {
		t.Errorf("stderr %q", stderr)
	}
}

func TestCompareFormats(t *testing.T) {
	t.Parallel()
	a := storeRun(t, "a", 1000, 2*time.Millisecond)
	b := storeRun(t, "b", 1000, 3*time.Millisecond)
	code, stdout, stderr := cli(context.Background(), "compare", a, b, "--no-files", "--format", "json", "--labels", "before,after")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var cmp report.Comparison
	if err := json.Unmarshal([]byte(stdout), &cmp); err != nil || len(cmp.Runs) != 2 || cmp.Runs[1].Label != "after" {
		t.Fatalf("json: %v %+v", err, cmp.Runs)
	}
	for _, m := range cmp.Metrics {
		if m.Name == "latency p50" && (m.DeltaPct[1] == nil || *m.DeltaPct[1] < 20) {
			t.Errorf("latency p50 delta %v, want about +40%%", m.DeltaPct[1])
		}
	}
	code, stdout, _ = cli(context.Background(), "compare", a, b, "--no-files", "--format", "gobench", "--labels", "before,after")
	if code != exitOK || !strings.Contains(stdout, "run: before\n") || !strings.Contains(stdout, "run: after\n") || strings.Count(stdout, "\nBenchmarkQuickstart 1 ") != 2 {
		t.Errorf("gobench output:\n%s", stdout)
	}
	// --no-files writes nothing, not even the default results/ directory.
	if _, err := os.Stat("results"); err == nil {
		t.Error("--no-files created results/")
	}
}
