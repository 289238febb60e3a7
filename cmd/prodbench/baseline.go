package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/verdict"
)

// Exit codes of compare --baseline, as documented in its usage text.
const (
	exitNoRegression = exitOK
	exitRegression   = verdict.ExitRegression
)

// compareBaseline is compare --baseline BASE CANDIDATE: a verdict for CI.
func compareBaseline(base string, args, limitSpecs []string, alpha float64, format string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		return fail(stderr, exitUsage, "compare: --baseline BASE takes exactly one CANDIDATE directory, got %d", len(args))
	}
	if !(alpha > 0 && alpha < 1) {
		return fail(stderr, exitUsage, "compare: --alpha must be in (0, 1), got %v", alpha)
	}
	var tf verdict.Format
	switch format {
	case formatText, "markdown", formatJSON:
		if format != formatJSON {
			f, err := verdict.ParseFormat(format)
			if err != nil {
				return fail(stderr, exitUsage, "compare: %v", err)
			}
			tf = f
		}
	default:
		return fail(stderr, exitUsage, "compare: --format with --baseline is text, markdown or json, got %q", format)
	}
	limits := verdict.DefaultLimits()
	if len(limitSpecs) > 0 {
		var err error
		if limits, err = verdict.ParseLimits(limitSpecs); err != nil {
			return fail(stderr, exitUsage, "compare: --max-regression: %v", err)
		}
	}
	baseRuns, err := loadRepetitions(base)
	if err != nil {
		return fail(stderr, exitUsage, "compare: baseline: %v", err)
	}
	candRuns, err := loadRepetitions(args[0])
	if err != nil {
		return fail(stderr, exitUsage, "compare: candidate: %v", err)
	}
	c := verdict.Compare(baseRuns, candRuns, limits, alpha)
	if format == formatJSON {
		js, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return fail(stderr, exitFailure, "compare: %v", err)
		}
		fmt.Fprintf(stdout, "%s\n", js)
	} else if err := verdict.WriteTable(stdout, c, tf); err != nil {
		return fail(stderr, exitFailure, "compare: %v", err)
	}
	if c.Regressed() {
		fmt.Fprintf(stderr, "prodbench: regression: %s is worse than baseline %s (exit %d)\n", args[0], base, exitRegression)
		return exitRegression
	}
	return exitNoRegression
}

// loadRepetitions reads dir/result.json, or every dir/rep-*/result.json
// written by run --count, in repetition order.
func loadRepetitions(dir string) ([]*report.Result, error) {
	single := filepath.Join(dir, report.ResultFile)
	if _, err := os.Stat(single); err == nil {
		res, err := report.ReadResult(single)
		if err != nil {
			return nil, err
		}
		return []*report.Result{res}, nil
	}
	paths, err := filepath.Glob(filepath.Join(dir, "rep-*", report.ResultFile))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no %s, and no rep-*/%s from run --count", dir, report.ResultFile, report.ResultFile)
	}
	sort.Slice(paths, func(i, j int) bool { return repNumber(paths[i]) < repNumber(paths[j]) })
	out := make([]*report.Result, 0, len(paths))
	for _, p := range paths {
		res, err := report.ReadResult(p)
		if err != nil {
			return nil, err
		}
		if res.Status != report.StatusComplete {
			return nil, fmt.Errorf("%s: status %s: only complete runs can be compared", p, res.Status)
		}
		out = append(out, res)
	}
	return out, nil
}

// repNumber is N of ".../rep-N/result.json", for numeric ordering.
func repNumber(path string) int {
	var n int
	_, _ = fmt.Sscanf(filepath.Base(filepath.Dir(path)), "rep-%d", &n)
	return n
}
