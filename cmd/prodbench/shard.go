package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload"
)

// Markers framing a result.json in a log (--emit-result), so that
// `kubectl logs ... | prodbench merge -` finds each shard's result among
// the other lines.
const (
	resultBegin = "----- BEGIN PRODBENCH RESULT -----"
	resultEnd   = "----- END PRODBENCH RESULT -----"
)

// shardFlags reads --shard, --shards (index from JOB_COMPLETION_INDEX)
// and --start-at. The zero Shard is the whole workload; a zero time means
// "now".
func shardFlags(f *runFlags) (workload.Shard, time.Time, error) {
	var sh workload.Shard
	var err error
	switch {
	case f.shard != "" && f.shards != 0:
		return sh, time.Time{}, fmt.Errorf("--shard and --shards both given: use one")
	case f.shard != "":
		if sh, err = workload.ParseShard(f.shard); err != nil {
			return sh, time.Time{}, fmt.Errorf("--shard: %v", err)
		}
	case f.shards != 0:
		v, ok := os.LookupEnv("JOB_COMPLETION_INDEX")
		if !ok {
			return sh, time.Time{}, fmt.Errorf("--shards needs JOB_COMPLETION_INDEX in the environment (set by Kubernetes Indexed Jobs); use --shard I/N elsewhere")
		}
		i, perr := strconv.Atoi(v)
		if perr != nil {
			return sh, time.Time{}, fmt.Errorf("JOB_COMPLETION_INDEX %q is not a number", v)
		}
		if sh, err = workload.ParseShard(fmt.Sprintf("%d/%d", i, f.shards)); err != nil {
			return sh, time.Time{}, fmt.Errorf("--shards with JOB_COMPLETION_INDEX: %v", err)
		}
	}
	var at time.Time
	if f.startAt != "" {
		if at, err = time.Parse(time.RFC3339Nano, f.startAt); err != nil {
			return sh, time.Time{}, fmt.Errorf("--start-at %q: want an RFC 3339 instant such as 2026-12-04T10:00:00Z", f.startAt)
		}
	}
	return sh, at, nil
}

// emitResult prints res as result.json between the result markers.
func emitResult(w io.Writer, res *report.Result) error {
	compact, err := compactResult(res)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n%s\n%s\n", resultBegin, compact, resultEnd)
	return err
}

// resultsInLog returns the results framed by the result markers in a log
// (each on the line after a begin marker; kubectl may prefix lines, so a
// marker is found anywhere in its line).
func resultsInLog(name string, data []byte) ([]*report.Result, error) {
	var out []*report.Result
	lines := bytes.Split(data, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		if !bytes.Contains(lines[i], []byte(resultBegin)) {
			continue
		}
		if i+2 >= len(lines) || !bytes.Contains(lines[i+2], []byte(resultEnd)) {
			return nil, fmt.Errorf("%s:%d: result marker without a result and end marker", name, i+1)
		}
		line := lines[i+1]
		if j := bytes.IndexByte(line, '{'); j > 0 {
			line = line[j:]
		}
		res, err := report.UnmarshalResult(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, i+2, err)
		}
		out = append(out, res)
		i += 2
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no result between %q markers (run shards with --emit-result)", name, resultBegin)
	}
	return out, nil
}
