package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/report"
)

func writeResult(t *testing.T, root, rel string, msgs, mb float64, failed int64) {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	res := report.Result{
		SchemaVersion: report.SchemaVersion,
		Status:        report.StatusComplete,
		Environment:   report.Environment{GitCommit: "abc123", GOMAXPROCS: 2, OS: "linux", Arch: "amd64", GoVersion: "go1.26"},
		Throughput:    report.Throughput{MsgsPerSec: msgs, MBPerSec: mb},
		Counts:        report.Counts{Failed: failed, FailedByKind: map[string]int64{}},
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSummarise checks medians, ranges, the ratio and the exit code.
func TestSummarise(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for i, v := range []float64{100, 300, 200} {
		writeResult(t, root, "peer-100b/lz4/native/"+string(rune('1'+i)), v*1000, v/10, 0)
	}
	for i, v := range []float64{50, 100, 400} {
		writeResult(t, root, "peer-100b/lz4/franz-go/"+string(rune('1'+i)), v*1000, v/10, 1)
	}
	var out, errs bytes.Buffer
	if code := summarise(&out, &errs, root); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	got := out.String()
	for _, want := range []string{
		"200000 [100000-300000]", // native median and range
		"100000 [50000-400000]",  // franz-go
		"2.00",                   // native / franz-go
		"20.0 [10.0-30.0]",       // native MB/s
		"abc123",
		"3 native, 3 franz-go",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(got, "  3\n") { // failed: 0 + 3×1
		t.Errorf("failed column not 3:\n%s", got)
	}

	// A codec with one engine only is an error.
	writeResult(t, root, "peer-100b/none/native/1", 1, 1, 0)
	out.Reset()
	errs.Reset()
	if code := summarise(&out, &errs, root); code != 1 || !strings.Contains(errs.String(), "peer-100b/none: 1 native and 0 franz-go runs") {
		t.Fatalf("missing engine: exit %d, stderr %q", code, errs.String())
	}
	if code := summarise(&out, &errs, t.TempDir()); code != 1 {
		t.Fatalf("empty root: exit %d", code)
	}
}
