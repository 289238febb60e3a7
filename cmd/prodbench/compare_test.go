package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/report"
)

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
	for _, f := range []string{report.CompareHTMLFile, report.CompareMarkdownFile, report.CompareJSONFile, "compare-latency.png", "compare-throughput.svg"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
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
