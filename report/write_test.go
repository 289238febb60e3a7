package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// runFiles lists the files Write puts in a result directory, sorted.
func runFiles(withHlog bool) []string {
	names := []string{ResultFile, SummaryFile, MarkdownFile, HTMLFile, TimeseriesFile, HgrmFile, ServiceHgrmFile, LagHgrmFile}
	if withHlog {
		names = append(names, HlogFile)
	}
	for _, b := range plotBuilders {
		names = append(names, b.name+".png", b.name+".svg")
	}
	slices.Sort(names)
	return names
}

// dirNames returns the sorted entries of dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := sampleResult(t)
	if err := Write(dir, res); err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, dir), runFiles(true); !slices.Equal(got, want) {
		t.Errorf("dir holds %v, want exactly %v (no temp files)", got, want)
	}
	back, err := ReadResult(filepath.Join(dir, ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if back.Latency != res.Latency || back.ServiceTime != res.ServiceTime || back.ScheduleLag != res.ScheduleLag ||
		back.Counts.Sent != res.Counts.Sent || back.Scenario.Name != res.Scenario.Name || back.SchemaVersion != SchemaVersion {
		t.Error("result.json does not hold the result")
	}
	var spec bytes.Buffer
	if err := json.Compact(&spec, back.Scenario.Spec); err != nil || spec.String() != `{"rate":2000,"size":1000}` || !json.Valid(back.Options) {
		t.Errorf("raw JSON not preserved: options %s spec %s (%v)", back.Options, back.Scenario.Spec, err)
	}
	for _, name := range runFiles(true) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Size() == 0 || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, %v", name, fi, err)
		}
	}
	// Rendering again from result.json alone gives the same files.
	before := map[string][]byte{}
	for _, name := range runFiles(true) {
		before[name], _ = os.ReadFile(filepath.Join(dir, name))
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range runFiles(true) {
		if name != ResultFile {
			os.Remove(filepath.Join(dir, name))
		}
	}
	if err := RenderFiles(dir, loaded); err != nil {
		t.Fatal(err)
	}
	for _, name := range runFiles(true) {
		after, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(after, before[name]) {
			t.Errorf("%s differs when rendered again from result.json", name)
		}
	}
	// Rendering again replaced the files and left no temp files.
	if got, want := dirNames(t, dir), runFiles(true); !slices.Equal(got, want) {
		t.Errorf("after rendering again dir holds %v, want %v", got, want)
	}
}

// TestRenderFilesV1 renders a schema 1 result.json again: no log (no
// interval histograms), no service or lag distributions, no error.
func TestRenderFilesV1(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v1, err := os.ReadFile(filepath.Join("testdata", "result_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ResultFile), v1, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := RenderFiles(dir, res); err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(runFiles(false), func(n string) bool { return n == ServiceHgrmFile || n == LagHgrmFile })
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("dir holds %v, want %v", got, want)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ResultFile)); !bytes.Equal(after, v1) {
		t.Error("RenderFiles changed result.json")
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	mk := func(name, content string) string {
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if content != "-" {
			if err := os.WriteFile(filepath.Join(dir, ResultFile), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tests := []struct {
		name, dir, want string
	}{
		// no result.json: the error names it
		{"missing", mk("missing", "-"), "missing/result.json"},
		// empty file
		{"empty", mk("empty", ""), "empty/result.json is empty"},
		// not JSON
		{"garbage", mk("garbage", "{nope"), "parse " + filepath.Join(base, "garbage", ResultFile)},
		// from the future
		{"schema 4", mk("future", `{"schema_version": 4}`), "schema_version 4, want 1..3"},
		// no version at all
		{"schema 0", mk("zero", `{}`), "schema_version 0"},
		// directory does not exist
		{"no dir", filepath.Join(base, "nope"), "nope/result.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Load(tc.dir)
			if err == nil || res != nil {
				t.Fatalf("Load = %v, %v; want an error", res, err)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error %q, want one line containing %q", err, tc.want)
			}
		})
	}
}

// refusal is a path (a file or a directory) and a result that a writer
// must refuse.
type refusal struct {
	name, path string
	res        *Result
}

// checkRefusals calls write with each case's path and result in a
// parallel subtest named by the case and wants an error; after, when not
// nil, then checks the case's path.
func checkRefusals(t *testing.T, write func(string, *Result) error, tests []refusal, after func(t *testing.T, path string)) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := write(tc.path, tc.res); err == nil {
				t.Error("want an error")
			}
			if after != nil {
				after(t, tc.path)
			}
		})
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
	// The refusals are parallel subtests, which run after this function
	// returns: check what they left once they are done (a cleanup runs
	// after the subtests, and before TempDir's removal).
	t.Cleanup(func() {
		if entries, _ := os.ReadDir(base); len(entries) != 1 {
			t.Errorf("failed writes left %d entries in %s, want only the plain file", len(entries), base)
		}
	})
	checkRefusals(t, Write, []refusal{
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
	}, nil)
}

func TestWriteFileAtomicFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The target is an existing non-empty directory: the rename fails.
	target := filepath.Join(dir, ResultFile)
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(target, []byte("{}")); err == nil {
		t.Fatal("want an error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != ResultFile {
		t.Errorf("temp file left behind: %v", entries)
	}
}

func TestWriteTimeseries(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	res.Intervals[4].TargetMsgsPerSec = 1500 // the caller's per-interval target wins
	var buf bytes.Buffer
	if err := WriteTimeseries(&buf, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], TimeseriesColumns) || len(recs) != len(res.Intervals)+1 {
		t.Fatalf("header %v and %d rows, want %v and %d", recs[0], len(recs)-1, TimeseriesColumns, len(res.Intervals))
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	for i, iv := range res.Intervals {
		row := recs[i+1]
		if len(row) != len(TimeseriesColumns) {
			t.Fatalf("row %d has %d fields", i, len(row))
		}
		for name, want := range map[string]int64{
			"sent": iv.Sent, "acked": iv.Acked, "failed": iv.Failed, "latency_p99_ns": iv.P99Ns,
			"service_max_ns": iv.ServiceMaxNs, "lag_p50_ns": iv.LagP50Ns, "batches": iv.Batches,
			"sealed_linger": iv.SealedBy[SealLinger], "sealed_flush": iv.SealedBy[SealFlush], "in_flight_requests": iv.InFlightRequests,
		} {
			if got, err := strconv.ParseInt(row[col[name]], 10, 64); err != nil || got != want {
				t.Errorf("row %d %s = %q, want %d", i, name, row[col[name]], want)
			}
		}
		if got := row[col["warmup"]]; got != strconv.FormatBool(iv.Warmup) {
			t.Errorf("row %d warmup %q", i, got)
		}
		wantTarget := "2000.0"
		if i == 4 {
			wantTarget = "1500.0"
		}
		if got := row[col["target_msgs_per_sec"]]; got != wantTarget {
			t.Errorf("row %d target %q, want %s", i, got, wantTarget)
		}
		if f, err := strconv.ParseFloat(row[col["compression_ratio"]], 64); err != nil || f < 3 || f > 3.4 {
			t.Errorf("row %d compression ratio %q", i, row[col["compression_ratio"]])
		}
	}
	if got := recs[1][col["failed_by_kind"]]; got != "broker:NOT_LEADER_OR_FOLLOWER=1;queue_full=1;send_timeout=1" {
		t.Errorf("failed_by_kind %q, want sorted kind=count pairs", got)
	}
	checkWriteErrors(t, WriteTimeseries, res)
}

// TestWriteFileAtomicRemovesStaleTemps: a temporary file left by a write
// killed before its rename is removed by the next write of that file, and
// temporary files of other names are left alone.
func TestWriteFileAtomicRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, ".result.json.tmp-123")
	other := filepath.Join(dir, ".other.tmp-1")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, "result.json"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another name's temp file was removed: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "result.json")); err != nil || string(b) != "{}" {
		t.Errorf("result %q, %v", b, err)
	}
}
