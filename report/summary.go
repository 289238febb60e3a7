package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"
)

// WriteSummary writes the human-readable summary of res to w: scenario,
// status (INTERRUPTED is flagged loudly), target and achieved rates in msg/s,
// throughput in MB/s (MB = 10^6 bytes), counts and failures by kind, latency
// percentiles in ms with 3 decimals, batch statistics and the environment.
// The output depends only on res (map keys are sorted), so it can be
// compared with a golden file. It returns the first write error, or an error
// for a nil res.
func WriteSummary(w io.Writer, res *Result) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	interrupted := res.Status == StatusInterrupted
	if interrupted {
		p("!!! INTERRUPTED RUN: stopped before its planned end; numbers cover only the part that ran !!!\n")
	}
	p("scenario:    %s\n", orDash(res.Scenario.Name))
	if res.Scenario.Description != "" {
		p("description: %s\n", res.Scenario.Description)
	}
	if res.Scenario.File != "" {
		p("file:        %s\n", res.Scenario.File)
	}
	if interrupted {
		p("status:      INTERRUPTED\n")
	} else {
		p("status:      %s\n", orDash(res.Status))
	}
	p("started:     %s\n", res.StartedAt.UTC().Format(time.RFC3339Nano))
	p("ended:       %s\n", res.EndedAt.UTC().Format(time.RFC3339Nano))
	p("window:      warmup %.3f s, measured %.3f s\n",
		float64(res.WarmupNs)/1e9, float64(res.MeasuredNs)/1e9)
	p("\n")

	target := "unthrottled"
	if t := finite(res.TargetRateMsgsPerSec); t > 0 {
		target = fmt.Sprintf("%.1f msg/s", t)
	}
	p("rate:        target %s, achieved %.1f msg/s (acked)\n", target, finite(res.Throughput.MsgsPerSec))
	p("throughput:  %.3f MB/s of acked record payload (MB = 10^6 B, key+value+headers)\n", finite(res.Throughput.MBPerSec))
	p("messages:    sent %d, acked %d, failed %d\n", res.Counts.Sent, res.Counts.Acked, res.Counts.Failed)
	if len(res.Counts.FailedByKind) > 0 {
		p("failures by kind:\n")
		keys := sortedKeys(res.Counts.FailedByKind)
		width := 0
		for _, k := range keys {
			width = max(width, len(k))
		}
		for _, k := range keys {
			p("  %-*s  %d\n", width, k, res.Counts.FailedByKind[k])
		}
	}
	p("\n")

	l := res.Latency
	p("latency (intended send time -> ack), ms, %d samples:\n", l.Count)
	for _, row := range []struct {
		name string
		ns   int64
	}{
		{"p50", l.P50Ns}, {"p90", l.P90Ns}, {"p99", l.P99Ns},
		{"p99.9", l.P999Ns}, {"p99.99", l.P9999Ns}, {"max", l.MaxNs},
	} {
		p("  %-7s %12.3f\n", row.name, float64(row.ns)/1e6)
	}
	if l.ClampedHigh > 0 {
		p("  %d latencies above %s were clamped to it\n", l.ClampedHigh, time.Duration(HighestLatencyNs))
	}
	if l.ClampedNegative > 0 {
		p("  %d negative latencies (ack before intended send time) were clamped to 0\n", l.ClampedNegative)
	}
	p("\n")

	b := res.Batches
	p("batches:     %d batches, %d records, mean %.1f records/batch\n", b.Count, b.Records, finite(b.MeanRecordsPerBatch))
	p("compression: ratio %.3f (%d uncompressed record B / %d compressed batch B)\n",
		finite(b.CompressionRatio), b.UncompressedBytes, b.CompressedBytes)
	e := res.Environment
	p("environment: prodbench %s, commit %s, %s %s/%s, %d CPU, GOMAXPROCS %d, host %s\n",
		orDash(e.Version), orDash(e.GitCommit), orDash(e.GoVersion), orDash(e.OS), orDash(e.Arch),
		e.NumCPU, e.GOMAXPROCS, orDash(e.Hostname))
	return bw.Flush()
}

// orDash returns s, or "-" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
