package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/prodbench/prodbench/report"
)

const reportUsage = `Usage: prodbench report DIR... [flags]

Renders each stored run again from DIR/result.json (and DIR/latency.hlog
when the result lacks its interval histograms): summary.txt, report.md,
report.html, timeseries.csv, latency.hlog, latency.hgrm, service.hgrm,
lag.hgrm and the plots as PNG and SVG. result.json is never changed, so
older results (schema 1) are rendered with what they hold. Then prints
every run to stdout in --format:

  text     the summary (as summary.txt)
  json     result.json, one compact JSON object per run and line (JSON Lines)
  gobench  Go benchmark lines; save two runs' output to files and compare
           them with 'benchstat a.txt b.txt'
  omb      OpenMessaging Benchmark's result JSON (TestResult), also written
           as DIR/omb-result.json unless --no-files; OMB's create_charts.py
           reads it (see docs/coming-from-omb.md)

Flags:
%s
Examples:
  prodbench report results/quickstart-20260101T120000Z
  prodbench report --format gobench --no-files results/run-a > a.txt
  prodbench report --format json --no-files results/* | jq .latency.p99_ns
`

// Output formats of report and compare.
const (
	formatText    = "text"
	formatJSON    = "json"
	formatGobench = "gobench"
	formatOMB     = "omb" // report only (omb.go)
)

func init() {
	register(command{name: "report", summary: "render stored runs again (text, json, gobench)", run: cmdReport})
}

// checkFormat returns an error unless f is a known output format.
func checkFormat(f string) error {
	switch f {
	case formatText, formatJSON, formatGobench, formatOMB:
		return nil
	}
	return fmt.Errorf("--format %q: want text, json, gobench or omb", f)
}

// loadRuns loads the run stored in each of dirs.
func loadRuns(dirs []string) ([]*report.Result, error) {
	runs := make([]*report.Result, len(dirs))
	for i, d := range dirs {
		res, err := report.Load(d)
		if err != nil {
			return nil, err
		}
		runs[i] = res
	}
	return runs, nil
}

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report")
	format := fs.String("format", formatText, "stdout format: text, json, gobench or omb")
	noFiles := fs.Bool("no-files", false, "only print; do not render the files in DIR again")
	if code, done := parseFlags(fs, args, reportUsage, stdout, stderr); done {
		return code
	}
	if err := checkFormat(*format); err != nil {
		return fail(stderr, exitUsage, "report: %v", err)
	}
	if fs.NArg() == 0 {
		return fail(stderr, exitUsage, "report: want at least one result directory (see 'prodbench help report')")
	}
	runs, err := loadRuns(fs.Args())
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if !*noFiles {
		for i, res := range runs {
			if err := ctx.Err(); err != nil {
				return fail(stderr, exitInterrupted, "report: interrupted")
			}
			if err := report.RenderFiles(fs.Arg(i), res); err != nil {
				return fail(stderr, exitFailure, "report: %s: %v", fs.Arg(i), err)
			}
		}
	}
	if *format == formatOMB {
		return printOMB(stdout, stderr, fs.Args(), runs, !*noFiles)
	}
	if err := printRuns(stdout, *format, runs, nil); err != nil {
		return fail(stderr, exitFailure, "report: %v", err)
	}
	if !*noFiles && *format == formatText {
		fmt.Fprintf(stderr, "prodbench: rendered %d result director%s\n", len(runs), plural(len(runs), "y", "ies"))
	}
	return exitOK
}

// compactResult is res as result.json on one line (JSON Lines, or between
// the result markers of --emit-result).
func compactResult(res *report.Result) ([]byte, error) {
	data, err := report.MarshalResult(res)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}

// printRuns writes runs to w in format: summaries separated by blank lines,
// JSON Lines, or Go benchmark lines (with "run: label" lines when labels
// are given).
func printRuns(w io.Writer, format string, runs []*report.Result, labels []string) error {
	switch format {
	case formatJSON:
		for _, res := range runs {
			line, err := compactResult(res)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				return err
			}
		}
		return nil
	case formatGobench:
		return report.WriteGobench(w, runs, labels)
	default:
		for i, res := range runs {
			if i > 0 {
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			if err := report.WriteSummary(w, res); err != nil {
				return err
			}
		}
		return nil
	}
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
