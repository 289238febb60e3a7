package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File names written by Write, in a run's result directory.
const (
	// ResultFile is the machine-readable result; written last.
	ResultFile = "result.json"
	// SummaryFile is the text summary (see WriteSummary).
	SummaryFile = "summary.txt"
	// MarkdownFile is the Markdown report (see WriteMarkdown).
	MarkdownFile = "report.md"
	// HTMLFile is the self-contained HTML report (see WriteHTML).
	HTMLFile = "report.html"
	// TimeseriesFile has one CSV row per interval (see WriteTimeseries).
	TimeseriesFile = "timeseries.csv"
	// HlogFile is the HdrHistogram interval log (see WriteHistogramLog).
	HlogFile = "latency.hlog"
	// HgrmFile, ServiceHgrmFile and LagHgrmFile are the whole-run
	// percentile distributions of latency, service time and schedule lag
	// in ms (see WritePercentileDistribution).
	HgrmFile        = "latency.hgrm"
	ServiceHgrmFile = "service.hgrm"
	LagHgrmFile     = "lag.hgrm"
	// PlotFile is the percentile spectrum (see PlotLatency); the other
	// plots are latency-over-time, throughput, batch-records and
	// compression, each as .png and .svg, and latency.svg.
	PlotFile = "latency.png"
)

// namedFile is one rendered output file.
type namedFile struct {
	name string
	data []byte
}

// Write renders res into dir: summary.txt, report.md, timeseries.csv,
// latency.hlog (when the intervals carry histograms), latency.hgrm,
// service.hgrm and lag.hgrm (when recorded), the five plots as PNG and SVG,
// report.html and finally result.json. Each file is written to a temporary
// file in dir, synced and renamed over its final name, so readers never see
// a partial file; result.json is written last, so its presence marks a
// finished write. Everything is rendered before anything is written, so a
// rendering error (nil res, invalid raw JSON in Options or Scenario.Spec, an
// undecodable histogram) leaves dir untouched. dir must exist; Write does
// not create it. On error no temporary file is left behind.
func Write(dir string, res *Result) error {
	return write(dir, res, true)
}

// RenderFiles writes every file Write writes except result.json, from res
// alone: `prodbench report` uses it to render a stored run again. Errors
// and atomicity are as for Write.
func RenderFiles(dir string, res *Result) error {
	return write(dir, res, false)
}

func write(dir string, res *Result, withResult bool) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	if err := checkDir(dir); err != nil {
		return err
	}
	var js []byte
	if withResult {
		var err error
		if js, err = MarshalResult(res); err != nil {
			return err
		}
	}
	files, err := render(res)
	if err != nil {
		return err
	}
	if withResult {
		files = append(files, namedFile{ResultFile, js}) // last: marks a finished write
	}
	return writeFiles(dir, files)
}

// checkDir returns an error unless dir is an existing directory.
func checkDir(dir string) error {
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("report: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("report: %s is not a directory", dir)
	}
	return nil
}

// writeFiles writes files into dir in order, each atomically
// (WriteFileAtomic), stopping at the first error, then syncs dir.
func writeFiles(dir string, files []namedFile) error {
	for _, f := range files {
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	syncDir(dir)
	return nil
}

// plotFiles returns the PNG and SVG files of plots, in order.
func plotFiles(plots []plotFile) []namedFile {
	var files []namedFile
	for _, p := range plots {
		files = append(files, namedFile{p.Name + ".png", p.PNG}, namedFile{p.Name + ".svg", p.SVG})
	}
	return files
}

// render returns every file of a result directory but result.json.
func render(res *Result) ([]namedFile, error) {
	type step struct {
		name string
		fn   func(w io.Writer) error
	}
	steps := []step{
		{SummaryFile, func(w io.Writer) error { return WriteSummary(w, res) }},
		{MarkdownFile, func(w io.Writer) error { return WriteMarkdown(w, res) }},
		{TimeseriesFile, func(w io.Writer) error { return WriteTimeseries(w, res) }},
	}
	if hasIntervalHistograms(res) {
		steps = append(steps, step{HlogFile, func(w io.Writer) error { return WriteHistogramLog(w, res) }})
	}
	hgrm := func(name, encoded string) step {
		return step{name, func(w io.Writer) error {
			h, err := DecodeHistogram(encoded)
			if err != nil {
				return fmt.Errorf("report: %s: %w", name, err)
			}
			return WritePercentileDistribution(w, h, 1e6)
		}}
	}
	steps = append(steps, hgrm(HgrmFile, res.Latency.Histogram))
	cols := timingColumns(res)
	if cols[1].recorded() {
		steps = append(steps, hgrm(ServiceHgrmFile, res.ServiceTime.Histogram))
	}
	if cols[2].recorded() {
		steps = append(steps, hgrm(LagHgrmFile, res.ScheduleLag.Histogram))
	}
	var files []namedFile
	for _, s := range steps {
		var buf bytes.Buffer
		if err := s.fn(&buf); err != nil {
			return nil, err
		}
		files = append(files, namedFile{s.name, buf.Bytes()})
	}
	plots, err := renderPlots([]plotRun{{res: res}}, "", true)
	if err != nil {
		return nil, err
	}
	files = append(files, plotFiles(plots)...)
	var page bytes.Buffer
	if err := writeRunHTML(&page, res, plots); err != nil {
		return nil, err
	}
	return append(files, namedFile{HTMLFile, page.Bytes()}), nil
}

// Load reads the run stored in dir: its result.json (see ReadResult) and,
// when the intervals lack their histograms and dir holds latency.hlog, the
// interval histograms from that log. It fails, naming the file, when
// result.json is missing or invalid or the log cannot be read.
func Load(dir string) (*Result, error) {
	res, err := ReadResult(filepath.Join(dir, ResultFile))
	if err != nil {
		return nil, err
	}
	if len(res.Intervals) == 0 || hasIntervalHistograms(res) {
		return res, nil
	}
	path := filepath.Join(dir, HlogFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	} else if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	hist, err := ReadHistogramLog(f)
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	if err := attachLogHistograms(res, hist); err != nil {
		return nil, err
	}
	return res, nil
}

// WriteFileAtomic writes data to a temporary file next to path, syncs it and
// renames it to path (mode 0644), so readers see the old file or the whole
// new one, never a part. On error the temporary file is removed and the
// error names path. Temporary files of path left by an earlier write that
// was killed (SIGKILL, power loss) are removed first, so two writers of
// the same path at once are not supported. The sweep and capacity reports
// use it too.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	removeStaleTemps(dir, base)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("report: write %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// removeStaleTemps removes the temporary files WriteFileAtomic left for
// base in dir when a write was killed before its rename. Errors are
// ignored: a leftover is untidy, not wrong.
func removeStaleTemps(dir, base string) {
	stale, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
	for _, p := range stale {
		_ = os.Remove(p)
	}
}

// globEscape escapes the filepath.Match metacharacters in s.
func globEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// syncDir fsyncs dir so the renames are durable; errors are ignored (some
// file systems cannot sync directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
