package verdict

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/prodbench/prodbench/report"
)

// Format is a table format of WriteTable.
type Format string

// The table formats.
const (
	// FormatText is a plain table aligned with spaces, for terminals and CI
	// logs.
	FormatText Format = "text"
	// FormatMarkdown is a GitHub-flavoured Markdown table, for pull-request
	// comments and job summaries.
	FormatMarkdown Format = "markdown"
)

// ParseFormat returns the Format named s: "text", or "markdown" (also
// "md"). It fails on any other name.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text":
		return FormatText, nil
	case "markdown", "md":
		return FormatMarkdown, nil
	}
	return "", fmt.Errorf("verdict: unknown table format %q; want text or markdown", s)
}

var tableHeader = []string{"metric", "baseline", "candidate", "delta", "p-value", "verdict"}

// rightAligned marks the numeric columns of tableHeader.
var rightAligned = []bool{false, true, true, true, true, false}

// WriteTable writes c as a table in format f: one row per metric with the
// columns metric, baseline and candidate (medians: latencies in ms, msg/s,
// MB/s, error rate in %), delta (signed relative change of the medians;
// percentage points for error_rate), p-value ("-" without a test) and
// verdict, followed by notes (a bullet list in Markdown) on the run counts, alpha and limits and,
// when they apply, on "ok" rows whose median change exceeds the limit,
// single runs and insufficient samples. It returns the
// first write error, or an error for an unknown format.
func WriteTable(w io.Writer, c Comparison, f Format) error {
	rows := make([][]string, 0, len(c.Rows))
	for _, r := range c.Rows {
		rows = append(rows, []string{
			string(r.Stat),
			formatStat(r.Stat, r.Base),
			formatStat(r.Stat, r.Cand),
			formatDelta(r.Stat, r.Delta),
			formatP(r.P),
			string(r.Verdict),
		})
	}
	var b strings.Builder
	switch f {
	case FormatText:
		report.WriteAligned(&b, tableHeader, rows, func(col int) bool { return rightAligned[col] })
		b.WriteString("\n")
		for _, n := range notes(c) {
			b.WriteString(n + "\n")
		}
	case FormatMarkdown:
		writeMarkdown(&b, rows)
		b.WriteString("\n")
		for _, n := range notes(c) {
			b.WriteString("- " + n + "\n")
		}
	default:
		return fmt.Errorf("verdict: unknown table format %q; want text or markdown", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeMarkdown writes a Markdown table, numeric columns right-aligned.
func writeMarkdown(b *strings.Builder, rows [][]string) {
	b.WriteString("| " + strings.Join(tableHeader, " | ") + " |\n|")
	for _, right := range rightAligned {
		if right {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
}

// notes returns the lines under the table.
func notes(c Comparison) []string {
	limits := make([]string, len(c.Limits))
	for i, l := range c.Limits {
		limits[i] = l.String()
	}
	out := []string{fmt.Sprintf("baseline %s, candidate %s; alpha %g; limits %s",
		plural(c.BaseN, "run"), plural(c.CandN, "run"), c.Alpha, strings.Join(limits, ", "))}
	for _, w := range c.Warnings {
		out = append(out, "WARNING: "+w)
	}
	insufficient := false
	for _, r := range c.Rows {
		insufficient = insufficient || r.Verdict == VerdictInsufficient
		if r.Verdict == VerdictOK && math.Abs(r.Worse) > r.Limit && !math.IsNaN(r.LimitP) {
			out = append(out, fmt.Sprintf("%s: ok: the change is significant, but not significantly beyond the %s limit "+
				"(one-sided p = %.3f against the baseline moved by the limit)", r.Stat, formatPercent(r.Limit), r.LimitP))
		}
	}
	switch {
	case c.SingleRun():
		out = append(out, "one run on each side: no significance test; a change beyond its limit is a regression, "+
			"but noise alone can cross it: repeat each build 5 or more times when the result gates a merge")
	case insufficient && (c.BaseN == 0 || c.CandN == 0):
		out = append(out, "insufficient samples: a side has no runs")
	case insufficient:
		out = append(out, fmt.Sprintf("insufficient samples: %d and %d runs cannot reach p < %g whatever the values; "+
			"use at least %d runs on each side", c.BaseN, c.CandN, c.Alpha, runsNeeded(c.Alpha)))
	}
	return out
}

// runsNeeded returns the smallest n for which n runs against n can reach
// p < alpha.
func runsNeeded(alpha float64) int {
	n := 2
	for ; n < MannWhitneyExactLimit && MinPValue(n, n) >= alpha; n++ {
	}
	return n
}

// plural returns "1 run" or "n runs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// formatStat writes a median of st for people.
func formatStat(st Stat, v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case st.IsLatency():
		return fmt.Sprintf("%.3fms", v/1e6)
	case st == StatThroughput:
		return fmt.Sprintf("%.1f msg/s", v)
	case st == StatMBPerSec:
		return fmt.Sprintf("%.3f MB/s", v)
	}
	return fmt.Sprintf("%.3f%%", v*100)
}

// formatDelta writes a Row.Delta of st: a signed percentage, or signed
// percentage points for error_rate.
func formatDelta(st Stat, d float64) string {
	switch {
	case math.IsNaN(d):
		return "-"
	case st == StatErrorRate:
		return fmt.Sprintf("%+.3fpp", d*100)
	case math.IsInf(d, 1):
		return "+inf%"
	case math.IsInf(d, -1):
		return "-inf%"
	}
	return fmt.Sprintf("%+.2f%%", d*100)
}

// formatP writes a p-value to 3 decimals, "<0.001" below that, "-" for
// none.
func formatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "-"
	case p < 0.001:
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}
