package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := sampleResult(t)
	if err := Write(dir, res); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{PlotFile, ResultFile, SummaryFile}; !slices.Equal(names, want) {
		t.Errorf("dir holds %v, want exactly %v (no temp files)", names, want)
	}
	back, err := ReadResult(filepath.Join(dir, ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if back.Latency != res.Latency || back.Counts.Sent != res.Counts.Sent || back.Scenario.Name != res.Scenario.Name {
		t.Error("result.json does not hold the result")
	}
	var spec bytes.Buffer
	if err := json.Compact(&spec, back.Scenario.Spec); err != nil || spec.String() != `{"rate":2000,"size":1000}` || !json.Valid(back.Options) {
		t.Errorf("raw JSON not preserved: options %s spec %s (%v)", back.Options, back.Scenario.Spec, err)
	}
	for _, name := range []string{SummaryFile, PlotFile, ResultFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, %v", name, fi, err)
		}
	}
	// Writing again replaces the files and still leaves no temp files.
	res.Status = StatusInterrupted
	if err := Write(dir, res); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d entries after rewrite, want 3", len(entries))
	}
	if back, _ := ReadResult(filepath.Join(dir, ResultFile)); back == nil || back.Status != StatusInterrupted {
		t.Error("rewrite did not replace result.json")
	}
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	badOpts := sampleResult(t)
	badOpts.Options = json.RawMessage(`{`)
	badHist := sampleResult(t)
	badHist.Latency.Histogram = "@@@"
	tests := []struct {
		name string
		dir  string
		res  *Result
	}{
		// dir must exist
		{"missing dir", filepath.Join(base, "missing"), sampleResult(t)},
		// dir must be a directory
		{"not a dir", file, sampleResult(t)},
		// nothing to write
		{"nil result", base, nil},
		// invalid raw JSON: fails before writing anything
		{"bad options", base, badOpts},
		// undecodable histogram: fails before writing anything
		{"bad histogram", base, badHist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := Write(tc.dir, tc.res); err == nil {
				t.Error("want an error")
			}
		})
	}
	if entries, _ := os.ReadDir(base); len(entries) != 1 {
		t.Errorf("failed writes left %d entries in %s, want only the plain file", len(entries), base)
	}
}

func TestWriteFileAtomicFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The target is an existing non-empty directory: the rename fails.
	target := filepath.Join(dir, ResultFile)
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(target, []byte("{}")); err == nil {
		t.Fatal("want an error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != ResultFile {
		t.Errorf("temp file left behind: %v", entries)
	}
}
