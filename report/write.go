package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names written by Write.
const (
	// ResultFile is the machine-readable result; written last.
	ResultFile = "result.json"
	// SummaryFile is the text summary (see WriteSummary).
	SummaryFile = "summary.txt"
	// PlotFile is the latency percentile spectrum (see PlotLatency).
	PlotFile = "latency.png"
)

// Write renders res into dir as summary.txt, latency.png and result.json, in
// that order. Each file is written to a temporary file in dir, synced and
// renamed over its final name, so readers never see a partial file;
// result.json is written last, so its presence marks a finished write.
// Everything is rendered before anything is written, so a rendering error
// (nil res, invalid raw JSON in Options or Scenario.Spec, an undecodable
// histogram) leaves dir untouched. dir must exist; Write does not create it.
// On error no temporary file is left behind.
func Write(dir string, res *Result) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	if fi, err := os.Stat(dir); err != nil {
		return fmt.Errorf("report: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("report: %s is not a directory", dir)
	}
	js, err := MarshalResult(res)
	if err != nil {
		return err
	}
	var sum bytes.Buffer
	if err := WriteSummary(&sum, res); err != nil {
		return err
	}
	png, err := renderLatencyPNG(res)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{SummaryFile, sum.Bytes()},
		{PlotFile, png},
		{ResultFile, js}, // last: marks a finished write
	} {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	syncDir(dir)
	return nil
}

// writeFileAtomic writes data to a temporary file next to path, syncs it and
// renames it to path (mode 0644). On error the temporary file is removed.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
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

// syncDir fsyncs dir so the renames are durable; errors are ignored (some
// file systems cannot sync directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
