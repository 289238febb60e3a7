package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"
)

// WriteSummary writes the human-readable summary of res to w (summary.txt):
// warnings first (INTERRUPTED, a saturated generator, a closed-loop run),
// then scenario, status, target and achieved rates in msg/s, throughput in
// MB/s (MB = 10^6 bytes), counts and failures by kind, the latency, service
// time and schedule lag percentiles side by side in ms with 3 decimals,
// batch statistics, requests in flight and the environment. Timings a
// version 1 result lacks print as "-". The output depends only on res (map
// keys are sorted), so it can be compared with a golden file. It returns the
// first write error, or an error for a nil res.
func WriteSummary(w io.Writer, res *Result) error {
	return writeBuffered(w, res, func(p func(format string, args ...any)) {
		interrupted := res.Status == StatusInterrupted
		for _, n := range notices(res) {
			switch {
			case n.level == "note" && n.title == "NOTE":
				p("NOTE: %s.\n", n.text)
			case n.level == "note":
				p("%s: %s\n", n.title, n.text)
			default:
				p("!!! %s: %s !!!\n", n.title, n.text)
			}
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
		p("window:      %s\n", windowString(res))
		p("\n")

		p("rate:        target %s, achieved %.1f msg/s (acked)\n", targetString(res), finite(res.Throughput.MsgsPerSec))
		p("throughput:  %.3f MB/s of acked record payload (MB = 10^6 B, key+value+headers), %.3f MB/s on the wire\n",
			finite(res.Throughput.MBPerSec), wireMBPerSec(res))
		p("messages:    sent %d, acked %d, failed %d (%s)\n", res.Counts.Sent, res.Counts.Acked, res.Counts.Failed, failedShare(res))
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
		writeProducers(p, res)
		p("\n")

		writeTimingTable(p, res)
		for _, n := range clampNotes(res) {
			p("  %s\n", n)
		}
		p("\n")

		for _, l := range batchLines(res) {
			p("%-12s %s\n", l[0]+":", l[1])
		}
		if s := inFlightString(res); s != "" {
			p("in flight:   %s\n", s)
		}
		for _, l := range verdictLines(res) {
			p("%-12s %s\n", l[0]+":", l[1])
		}
		for i, l := range faultLines(res) {
			head := "faults:"
			if i > 0 {
				head = ""
			}
			p("%-12s %s\n", head, l)
		}
		if v := res.Verify; v != nil {
			p("verify:      %s\n", verifyLine(v))
			for _, c := range v.Partitions {
				if c.Lost+c.Duplicated+c.Reordered+c.Corrupted+c.FailedPresent > 0 {
					p("  %s/%d: acked %d, read back %d, lost %d, duplicated %d, reordered %d, corrupted %d, failed-but-present %d\n",
						c.Topic, c.Partition, c.Acked, c.ReadBack, c.Lost, c.Duplicated, c.Reordered, c.Corrupted, c.FailedPresent)
				}
			}
		}
		p("environment: %s\n", environmentString(res.Environment))
	})
}

// writeBuffered is the frame of the text reports: it fails on a nil res,
// else calls body with a printf to a buffer on w and flushes it, returning
// the first write error.
func writeBuffered(w io.Writer, res *Result, body func(p func(format string, args ...any))) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	bw := bufio.NewWriter(w)
	body(func(format string, args ...any) { fmt.Fprintf(bw, format, args...) })
	return bw.Flush()
}

// writeTimingTable prints the three timings of res side by side, as wrk2
// prints corrected and uncorrected latency.
func writeTimingTable(p func(string, ...any), res *Result) {
	cols := timingColumns(res)
	const w = 20
	p("%-8s", "ms")
	for _, c := range cols {
		p("%*s", w, c.name)
	}
	p("\n%-8s", "")
	for _, c := range cols {
		p("%*s", w, "("+c.from+")")
	}
	p("\n")
	for _, r := range timingCells(cols, "-") {
		p("  %-6s", r[0])
		for _, v := range r[1:] {
			p("%*s", w, v)
		}
		p("\n")
	}
}

// writeProducers prints one line per producer of a run with several
// producers (whole run, warmup included); nothing for one producer.
func writeProducers(p func(string, ...any), res *Result) {
	if len(res.Producers) < 2 {
		return
	}
	p("producers:   %d (each its own connections and producer ID; counts include warmup)\n", len(res.Producers))
	for _, pr := range res.Producers {
		p("  #%-3d sent %d, acked %d, failed %d, retries %d\n", pr.Index, pr.Sent, pr.Acked, pr.Failed, pr.Retries)
	}
}
