package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/prodbench/prodbench/report"
)

const compareUsage = `Usage: prodbench compare DIR DIR... [flags]
       prodbench compare --baseline BASE CANDIDATE [--max-regression METRIC=PCT]... [flags]

Compares stored runs (each DIR holds a result.json), the first DIR being
the baseline. Writes into --out a side-by-side table of every metric for
every run with its change in %% against the baseline, as compare.md and
compare.html (self-contained, with the runs overlaid on the same plots:
percentile spectrum, latency over time, throughput, records per batch,
compression ratio, also as compare-*.png and .svg) and compare.json. Then
prints to stdout in --format:

  text     the table, aligned
  json     the comparison (as compare.json)
  gobench  Go benchmark lines of every run, each after a "run: LABEL"
           line; compare them with 'benchstat -col run FILE'

With --baseline, compare is a CI verdict: BASE and CANDIDATE each hold one
result.json or repetitions in rep-*/ (from 'prodbench run --count N'). It
prints metric, baseline, candidate, delta, p-value and verdict per metric
and exits 0 (no regression), 1 (regression) or 2 (usage error). With at
least 4 repetitions a side the change must be significant (two-sided
Mann-Whitney U, as benchstat) and significantly beyond the limit, so noise
alone does not fail a build; with one run a side the delta alone is judged.
Default limits: throughput=5%%, p99=10%%; metrics: throughput, mb_per_s,
p50, p90, p99, p999, p9999, max, mean, error_rate.

Flags:
%s
Examples:
  prodbench compare --baseline results/baselines/ci-quick results/regress/ci-quick --max-regression p99=10%%
  prodbench compare results/quickstart-A results/quickstart-B
  prodbench compare base/ new/ --labels before,after --out /tmp/cmp
  prodbench compare a/ b/ --format gobench --no-files > ab.txt && benchstat -col run ab.txt
`

func init() {
	register(command{name: "compare", summary: "compare stored runs side by side (table and overlaid plots)", run: cmdCompare})
}

func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compare")
	format := fs.String("format", formatText, "stdout format: text, json or gobench")
	out := fs.String("out", "", "output directory (default results/compare-<UTC timestamp>)")
	labels := fs.StringSlice("labels", nil, "run labels, one per DIR, comma-separated (default: each DIR's base name)")
	noFiles := fs.Bool("no-files", false, "only print; write no files")
	baseline := fs.String("baseline", "", "baseline result directory: compare CANDIDATE against it and exit 1 on a regression")
	limits := fs.StringArray("max-regression", nil, "with --baseline: largest tolerated change, METRIC=PCT (repeatable)")
	alpha := fs.Float64("alpha", 0.05, "with --baseline: significance level of the Mann-Whitney U test")
	if code, done := parseFlags(fs, args, compareUsage, stdout, stderr); done {
		return code
	}
	if fs.Changed("baseline") {
		return compareBaseline(*baseline, fs.Args(), *limits, *alpha, *format, stdout, stderr)
	}
	if len(*limits) > 0 {
		return fail(stderr, exitUsage, "compare: --max-regression needs --baseline")
	}
	if err := checkFormat(*format); err != nil {
		return fail(stderr, exitUsage, "compare: %v", err)
	}
	dirs := fs.Args()
	if len(dirs) < 2 {
		return fail(stderr, exitUsage, "compare: want at least two result directories, got %d (see 'prodbench help compare')", len(dirs))
	}
	if fs.Changed("labels") && len(*labels) != len(dirs) {
		return fail(stderr, exitUsage, "compare: --labels has %d labels for %d directories", len(*labels), len(dirs))
	}
	if !fs.Changed("labels") {
		*labels = make([]string, len(dirs))
		for i, d := range dirs {
			(*labels)[i] = filepath.Base(filepath.Clean(d))
		}
	}
	runs, err := loadRuns(dirs)
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	cmp, err := report.Compare(runs, *labels)
	if err != nil {
		return fail(stderr, exitUsage, "compare: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return fail(stderr, exitInterrupted, "compare: interrupted")
	}
	dir := *out
	if !*noFiles {
		if dir == "" {
			dir = resultsDir("compare")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fail(stderr, exitFailure, "compare: %v", err)
		}
		if err := cmp.Write(dir); err != nil {
			return fail(stderr, exitFailure, "compare: %v", err)
		}
	}
	switch *format {
	case formatJSON:
		js, err := json.MarshalIndent(cmp, "", "  ")
		if err == nil {
			_, err = stdout.Write(append(js, '\n'))
		}
		if err != nil {
			return fail(stderr, exitFailure, "compare: %v", err)
		}
	case formatGobench:
		labelsOut := make([]string, len(cmp.Runs))
		for i, r := range cmp.Runs {
			labelsOut[i] = r.Label
		}
		if err := printRuns(stdout, formatGobench, runs, labelsOut); err != nil {
			return fail(stderr, exitFailure, "compare: %v", err)
		}
	default:
		if err := cmp.WriteText(stdout); err != nil {
			return fail(stderr, exitFailure, "compare: %v", err)
		}
	}
	if !*noFiles {
		fmt.Fprintf(stderr, "prodbench: comparison in %s\n", dir)
	}
	return exitOK
}
