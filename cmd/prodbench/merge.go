package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/verdict"
)

const mergeUsage = `Usage: prodbench merge SOURCE... [flags]

Merges the results of the shards of one distributed run (run --shard I/N,
or the pods of 'prodbench k8s') into one result directory: HdrHistograms
added exactly, per interval (aligned on the shared timeline) and for the
whole run; counts and failure kinds summed; every shard's generator verdict
kept (one saturated shard flags the merged run); the largest start skew
between shards stated. Every report file is rendered from the merged
result, and report, compare, compare --baseline and thresholds take it.

A SOURCE is a result directory (with result.json), or a log file holding
results framed by --emit-result's markers ('-' reads standard input), such
as the output of kubectl logs -l batch.kubernetes.io/job-name=NAME.

Results of different scenarios or shard counts are refused; a missing shard
is an error unless --allow-missing, which marks the result partial.

Flags:
%s
Examples:
  prodbench merge results/shard-0 results/shard-1 results/shard-2 --out results/merged
  kubectl logs -l batch.kubernetes.io/job-name=prodbench-quickstart --tail=-1 | prodbench merge - --out results/merged
`

func init() {
	register(command{name: "merge", summary: "merge the shards of a distributed run into one result", run: cmdMerge})
}

func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge")
	out := fs.String("out", "", "merged result directory (default results/<scenario>-merged-<UTC timestamp>)")
	allowMissing := fs.Bool("allow-missing", false, "merge although shards are missing; the result is marked partial")
	if code, done := parseFlags(fs, args, mergeUsage, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		return fail(stderr, exitUsage, "merge: want at least one result directory or log file")
	}
	var rs []*report.Result
	for _, src := range fs.Args() {
		got, err := readSource(src)
		if err != nil {
			return fail(stderr, exitUsage, "merge: %v", err)
		}
		rs = append(rs, got...)
	}
	merged, err := report.MergeWith(report.MergeOptions{AllowMissing: *allowMissing}, rs...)
	if err != nil {
		return fail(stderr, exitUsage, "merge: %v", err)
	}
	report.Finalize(merged)
	dir := *out
	if dir == "" {
		dir = resultsDir(merged.Scenario.Name + "-merged")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(stderr, exitFailure, "merge: %v", err)
	}
	if err := report.Write(dir, merged); err != nil {
		return fail(stderr, exitFailure, "merge: writing %s: %v", dir, err)
	}
	_ = report.WriteSummary(stdout, merged)
	fmt.Fprintf(stderr, "prodbench: merged %d shard results into %s\n", len(rs), dir)
	if code := verdict.ExitCode(merged); code != 0 {
		return code
	}
	return exitOK
}

// readSource reads one merge source: a result directory, a log file, or
// '-' for standard input.
func readSource(src string) ([]*report.Result, error) {
	if src == "-" {
		data, err := io.ReadAll(io.LimitReader(os.Stdin, 1<<30))
		if err != nil {
			return nil, fmt.Errorf("standard input: %v", err)
		}
		return resultsInLog("standard input", data)
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		r, err := report.ReadResult(filepath.Join(src, "result.json"))
		if err != nil {
			return nil, err
		}
		return []*report.Result{r}, nil
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is neither a result directory nor a regular file", src)
	}
	if st.Size() > 1<<30 {
		return nil, fmt.Errorf("%s is larger than 1 GiB", src)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	return resultsInLog(src, data)
}
