package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestHistogramLogReadBack writes the interval log of a run and reads it
// back with hdrhistogram-go's own reader: every interval and tag comes back
// with identical counts, percentiles and times.
func TestHistogramLogReadBack(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	var buf bytes.Buffer
	if err := WriteHistogramLog(&buf, res); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"#[Histogram log format version 1.3]", "#[StartTime: 1741064767 ", "#[BaseTime: 1741064767 ", `"StartTimestamp","Interval_Length"`} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	lr := hdrhistogram.NewHistogramLogReader(strings.NewReader(text))
	tags := []string{TagLatency, TagService, TagLag}
	n := 0
	for i, iv := range res.Intervals {
		for k, tag := range tags {
			h, err := lr.NextIntervalHistogram()
			if err != nil || h == nil {
				t.Fatalf("interval %d %s: %v, %v", i, tag, h, err)
			}
			n++
			want, err := DecodeHistogram([]string{iv.Histograms.Latency, iv.Histograms.Service, iv.Histograms.Lag}[k])
			if err != nil {
				t.Fatal(err)
			}
			if h.Tag() != tag {
				t.Errorf("line %d tag %q, want %q", n, h.Tag(), tag)
			}
			if h.TotalCount() != want.TotalCount() || h.TotalCount() == 0 {
				t.Errorf("interval %d %s: count %d, want %d (non-zero)", i, tag, h.TotalCount(), want.TotalCount())
			}
			for _, q := range []float64{0, 50, 90, 99, 99.9, 99.99, 100} {
				if got, w := h.ValueAtQuantile(q), want.ValueAtQuantile(q); got != w {
					t.Errorf("interval %d %s: p%v %d, want %d", i, tag, q, got, w)
				}
			}
			if !h.Equals(want) {
				t.Errorf("interval %d %s: histogram differs", i, tag)
			}
			start := res.StartedAt.UnixMilli() + iv.StartNs/1e6
			if h.StartTimeMs() != start || h.EndTimeMs() != start+(iv.EndNs-iv.StartNs)/1e6 {
				t.Errorf("interval %d %s: %d..%d ms, want %d..", i, tag, h.StartTimeMs(), h.EndTimeMs(), start)
			}
		}
	}
	if h, err := lr.NextIntervalHistogram(); h != nil || err != nil {
		t.Errorf("extra histogram after the intervals: %v, %v", h, err)
	}
	// The interval latency histograms after warmup merge to the run's.
	merged := NewHistogram()
	for _, iv := range res.Intervals {
		if !iv.Warmup {
			h, _ := DecodeHistogram(iv.Histograms.Latency)
			merged.Merge(h)
		}
	}
	run, _ := DecodeHistogram(res.Latency.Histogram)
	if !merged.Equals(run) {
		t.Errorf("merged intervals (%d values) differ from the run histogram (%d)", merged.TotalCount(), run.TotalCount())
	}
}

func TestHistogramLogEdges(t *testing.T) {
	t.Parallel()
	v1, err := ReadResult(filepath.Join("testdata", "result_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHistogramLog(&buf, v1); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadHistogramLog(&buf); err != nil || len(got) != 0 {
		t.Errorf("schema 1 result: %d histograms, %v; want a log without intervals", len(got), err)
	}
	bad := sampleResult(t)
	bad.Intervals[3].Histograms = &IntervalHistograms{Latency: "@@"}
	if err := WriteHistogramLog(&buf, bad); err == nil || !strings.Contains(err.Error(), "interval 3") {
		t.Errorf("bad histogram: %v, want an error naming interval 3", err)
	}
	if err := WriteHistogramLog(&buf, nil); err == nil {
		t.Error("nil result accepted")
	}
	if _, err := ReadHistogramLog(strings.NewReader("Tag=latency,0.1,1.0,2.0,HISTFAAAAnotbase64\n")); err == nil {
		t.Error("corrupt log accepted")
	}
}

// TestLoadFromLog renders a stored run whose result.json lost its interval
// histograms: Load takes them from latency.hlog.
func TestLoadFromLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := sampleResult(t)
	var log bytes.Buffer
	if err := WriteHistogramLog(&log, res); err != nil {
		t.Fatal(err)
	}
	stripped := *res
	stripped.Intervals = append([]IntervalRow(nil), res.Intervals...)
	for i := range stripped.Intervals {
		stripped.Intervals[i].Histograms = nil
	}
	js, err := MarshalResult(&stripped)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{ResultFile: js, HlogFile: log.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, iv := range back.Intervals {
		if iv.Histograms == nil {
			t.Fatalf("interval %d: no histograms after Load", i)
		}
		for k, enc := range []string{iv.Histograms.Latency, iv.Histograms.Service, iv.Histograms.Lag} {
			got, _ := DecodeHistogram(enc)
			want, _ := DecodeHistogram([]string{res.Intervals[i].Histograms.Latency, res.Intervals[i].Histograms.Service, res.Intervals[i].Histograms.Lag}[k])
			if !got.Equals(want) {
				t.Errorf("interval %d histogram %d differs after Load", i, k)
			}
		}
	}
	// A corrupt log is an error naming it.
	if err := os.WriteFile(filepath.Join(dir, HlogFile), []byte("Tag=latency,0,1,2,HISTFAAAAA@@\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), HlogFile) {
		t.Errorf("corrupt log: %v, want an error naming %s", err, HlogFile)
	}
}
