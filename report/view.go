package report

import (
	"fmt"
	"strings"
	"time"
)

// This file holds what summary.txt, report.md and report.html share: the
// rows of the timing table and the wording of notes.

// timingColumn is one column of the timing table.
type timingColumn struct {
	name string // "latency", "service time", "schedule lag"
	from string // what the interval measures
	l    Latency
}

// timingColumns returns the latency, service time and schedule lag columns
// of res.
func timingColumns(res *Result) []timingColumn {
	cols := []timingColumn{
		{"latency", "intended -> ack", res.Latency},
		{"service time", "sent -> ack", res.ServiceTime},
		{"schedule lag", "intended -> sent", res.ScheduleLag},
	}
	if res.FailedLatency.Count > 0 {
		cols = append(cols, timingColumn{"failed", "intended -> failure", res.FailedLatency})
	}
	return cols
}

// recorded reports whether the column holds data: a version 1 result has no
// service time or schedule lag.
func (c timingColumn) recorded() bool { return c.l.Count > 0 || c.l.Histogram != "" }

// timingRow is one percentile row of the timing table.
type timingRow struct {
	name string
	get  func(Latency) int64
}

// timingRows are the rows of the timing table, in order.
var timingRows = []timingRow{
	{"p50", func(l Latency) int64 { return l.P50Ns }},
	{"p90", func(l Latency) int64 { return l.P90Ns }},
	{"p99", func(l Latency) int64 { return l.P99Ns }},
	{"p99.9", func(l Latency) int64 { return l.P999Ns }},
	{"p99.99", func(l Latency) int64 { return l.P9999Ns }},
	{"max", func(l Latency) int64 { return l.MaxNs }},
	{"mean", func(l Latency) int64 { return l.MeanNs }},
}

// timingCells returns the rows of the timing table of cols: each of
// timingRows in ms, then the counts, each row its name then one cell per
// column (dash for a column not recorded).
func timingCells(cols []timingColumn, dash string) [][]string {
	cell := func(c timingColumn, v func() string) string {
		if c.recorded() {
			return v()
		}
		return dash
	}
	var rows [][]string
	for _, row := range timingRows {
		r := []string{row.name}
		for _, c := range cols {
			r = append(r, cell(c, func() string { return msString(row.get(c.l)) }))
		}
		rows = append(rows, r)
	}
	r := []string{"count"}
	for _, c := range cols {
		r = append(r, cell(c, func() string { return fmt.Sprint(c.l.Count) }))
	}
	return append(rows, r)
}

// msString formats ns as milliseconds with 3 decimals.
func msString(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e6) }

// targetString describes the target rate of res.
func targetString(res *Result) string {
	switch t := finite(res.TargetRateMsgsPerSec); {
	case res.ClosedLoop:
		return "none (closed loop)"
	case t > 0:
		return fmt.Sprintf("%.1f msg/s", t)
	default:
		return "unthrottled"
	}
}

// sealedString lists the seal reasons of m in report order, e.g.
// "linger 10, size 2"; "" when m is empty.
func sealedString(m map[string]int64) string {
	var parts []string
	for _, r := range sealReasons {
		if n := m[r]; n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	// Reasons this version does not know (from a newer writer).
	for _, k := range sortedKeys(m) {
		if sealIndex(k) == numSealReasons-1 && k != SealOther && m[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// windowString describes the warmup and measured window of res.
func windowString(res *Result) string {
	return fmt.Sprintf("warmup %.3f s, measured %.3f s", float64(res.WarmupNs)/1e9, float64(res.MeasuredNs)/1e9)
}

// environmentString describes the environment of res on one line.
func environmentString(e Environment) string {
	return fmt.Sprintf("prodbench %s, commit %s, %s %s/%s, %d CPU, GOMAXPROCS %d, host %s",
		orDash(e.Version), orDash(e.GitCommit), orDash(e.GoVersion), orDash(e.OS), orDash(e.Arch),
		e.NumCPU, e.GOMAXPROCS, orDash(e.Hostname))
}

// batchLines returns the batch statistics of res as (label, text) lines.
func batchLines(res *Result) [][2]string {
	b := res.Batches
	if c := res.EngineCaps; c != nil && !c.Batches && b.Count == 0 {
		lines := [][2]string{{"batches", "not applicable (the engine sends no batches)"}}
		if !c.Compression {
			lines = append(lines, [2]string{"compression", "not applicable (the engine does not compress)"})
		}
		return lines
	}
	if b.Count == 0 {
		return [][2]string{{"batches", "none recorded"}}
	}
	dist := ""
	if r := b.RecordsPerBatch; r.Histogram != "" {
		dist = fmt.Sprintf(" (p50 %d, p99 %d, max %d)", r.P50, r.P99, r.Max)
	}
	lines := [][2]string{
		{"batches", fmt.Sprintf("%d batches, %d records, mean %.1f records/batch%s",
			b.Count, b.Records, finite(b.MeanRecordsPerBatch), dist)},
		{"batch size", fmt.Sprintf("mean %.0f B uncompressed, %.0f B on the wire",
			ratio(b.UncompressedBytes, b.Count), ratio(b.CompressedBytes, b.Count))},
	}
	if s := sealedString(b.SealedBy); s != "" {
		lines = append(lines, [2]string{"sealed by", s})
	}
	if c := res.EngineCaps; c != nil && !c.Compression {
		lines = append(lines, [2]string{"compression", "not applicable (the engine does not compress)"})
		return lines
	}
	lines = append(lines, [2]string{"compression", fmt.Sprintf("ratio %.3f (%d uncompressed record B / %d compressed batch B)",
		finite(b.CompressionRatio), b.UncompressedBytes, b.CompressedBytes)})
	return lines
}

// inFlightString describes res.InFlight, or "" when it was not sampled.
func inFlightString(res *Result) string {
	if !res.InFlight.Sampled {
		return ""
	}
	return fmt.Sprintf("mean %.1f, max %d produce requests (sampled at each interval's end)",
		finite(res.InFlight.Mean), res.InFlight.Max)
}

// clampNotes returns the notes on clamped latencies of res.
func clampNotes(res *Result) []string {
	var notes []string
	if n := res.Latency.ClampedHigh; n > 0 {
		notes = append(notes, fmt.Sprintf("%d latencies above %s were clamped to it", n, time.Duration(HighestLatencyNs)))
	}
	if n := res.Latency.ClampedNegative; n > 0 {
		notes = append(notes, fmt.Sprintf("%d negative latencies (ack before intended send time) were clamped to 0", n))
	}
	return notes
}

// interruptedNote is printed for interrupted runs.
const interruptedNote = "INTERRUPTED RUN: stopped before its planned end; numbers cover only the part that ran"

// orDash returns s, or "-" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// notice is one line a report opens with: level "bad", "warn" or "note",
// a title in capitals and the text.
type notice struct{ level, title, text string }

// notices returns what every report of res opens with, in order: the run
// status and its reason, then the generator / backpressure / timer-floor
// and closed-loop notes and crossed thresholds.
func notices(res *Result) []notice {
	status, reason := res.Status, res.StatusReason
	if reason == "" || status == "" {
		status, reason = Judge(res)
	}
	lvl := map[string]string{StatusComplete: "note", StatusDegraded: "warn", StatusFailed: "bad", StatusInterrupted: "bad"}[status]
	if lvl == "" {
		lvl = "warn"
	}
	out := []notice{{lvl, "STATUS: " + strings.ToUpper(orDash(status)), reason}}
	g := CheckGenerator(res)
	if g.Saturated {
		out = append(out, notice{"warn", "GENERATOR SATURATED", g.Reason})
	}
	if g.Backpressure {
		out = append(out, notice{"warn", "SYSTEM UNDER TEST PUSHED BACK", g.BackpressureReason})
	}
	if n := res.TimerFloor.Note(); n != "" {
		out = append(out, notice{"note", "NOTE", n})
	}
	if res.ClosedLoop {
		out = append(out, notice{"note", "NOTE", ClosedLoopNote})
	}
	var crossed []string
	for _, t := range res.Thresholds {
		if !t.OK {
			crossed = append(crossed, t.Threshold+" (observed "+t.Observed+")")
		}
	}
	if len(crossed) > 0 {
		out = append(out, notice{"bad", "THRESHOLDS CROSSED", strings.Join(crossed, "; ")})
	}
	return out
}

// verdictLines returns the label/value lines of the verdicts and the
// producer's own figures: error budget, thresholds, retries, reconnects,
// resends, acked per partition and key skew.
func verdictLines(res *Result) [][2]string {
	b := CheckErrorBudget(res)
	budget := "off (max_error_rate 0)"
	if b.MaxErrorRate > 0 {
		verdict := "within"
		if b.Exceeded {
			verdict = "EXCEEDED"
		}
		budget = fmt.Sprintf("%s: %.3f%% failed, budget %s", verdict, 100*b.ErrorRate, pctString(b.MaxErrorRate))
	}
	out := [][2]string{{"error budget", budget}}
	for _, t := range res.Thresholds {
		v := "ok"
		if !t.OK {
			v = "CROSSED"
		}
		out = append(out, [2]string{"threshold", fmt.Sprintf("%s %s, observed %s", v, t.Threshold, t.Observed)})
	}
	pr := res.Producer
	out = append(out, [2]string{"retries", fmt.Sprintf("%d retries, %d reconnects, %d resends", pr.Retries, pr.Reconnects, pr.Resends)})
	if len(res.AckedByPartition) > 0 {
		var parts []string
		for _, k := range sortedKeys(res.AckedByPartition) {
			parts = append(parts, fmt.Sprintf("%s %d", k, res.AckedByPartition[k]))
		}
		out = append(out, [2]string{"partitions", "acked " + strings.Join(parts, ", ")})
	}
	if k := res.KeySkew; k != nil {
		out = append(out, [2]string{"key skew", fmt.Sprintf("top-10 keys carry %.1f%% of %d distinct keys' messages", 100*finite(k.Top10Share), k.DistinctKeys)})
	}
	return out
}

// failedShare returns "x.xxx% of sent" for the failed count of res.
func failedShare(res *Result) string {
	return fmt.Sprintf("%.3f%% failed", 100*errorRate(res.Counts))
}
