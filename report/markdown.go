package report

import (
	"io"
	"strings"
)

// WriteMarkdown writes res as report.md, Markdown for pasting into a pull
// request (GitHub-flavoured: tables and alert blocks): warnings first
// (interrupted, saturated generator, closed loop), then the scenario, a
// rates and counts table, failures by kind, the latency, service time and
// schedule lag percentiles side by side in ms, batch statistics and the
// environment. Plots are not embedded (report.html has them). The output
// depends only on res, so it can be compared with a golden file. It returns
// the first write error, or an error for a nil res.
func WriteMarkdown(w io.Writer, res *Result) error {
	return writeBuffered(w, res, func(p func(format string, args ...any)) {
		p("## prodbench: %s\n\n", mdEscape(orDash(res.Scenario.Name)))
		for _, n := range notices(res) {
			kind := map[string]string{"bad": "CAUTION", "warn": "WARNING", "note": "NOTE"}[n.level]
			p("> [!%s]\n> **%s:** %s.\n\n", kind, mdEscape(n.title), mdEscape(n.text))
		}
		var intro []string
		if d := res.Scenario.Description; d != "" {
			intro = append(intro, mdEscape(d))
		}
		if f := res.Scenario.File; f != "" {
			intro = append(intro, mdCode(f))
		}
		intro = append(intro, "status **"+mdEscape(orDash(res.Status))+"**", windowString(res))
		p("%s\n\n", strings.Join(intro, " · "))

		p("| | |\n| --- | ---: |\n")
		p("| target rate | %s |\n", targetString(res))
		p("| achieved rate (acked) | %.1f msg/s |\n", finite(res.Throughput.MsgsPerSec))
		p("| record payload throughput | %.3f MB/s |\n", finite(res.Throughput.MBPerSec))
		p("| wire throughput | %.3f MB/s |\n", wireMBPerSec(res))
		p("| sent / acked / failed | %d / %d / %d (%s) |\n\n", res.Counts.Sent, res.Counts.Acked, res.Counts.Failed, failedShare(res))

		if len(res.Counts.FailedByKind) > 0 {
			p("| failure kind | count |\n| --- | ---: |\n")
			for _, k := range sortedKeys(res.Counts.FailedByKind) {
				p("| %s | %d |\n", mdCode(k), res.Counts.FailedByKind[k])
			}
			p("\n")
		}

		cols := timingColumns(res)
		p("| ms |")
		for _, c := range cols {
			p(" %s<br>(%s) |", c.name, strings.ReplaceAll(c.from, "->", "→"))
		}
		p("\n| --- |%s\n", strings.Repeat(" ---: |", len(cols)))
		for _, r := range timingCells(cols, "–") {
			p("| %s |", r[0])
			for _, v := range r[1:] {
				p(" %s |", v)
			}
			p("\n")
		}
		p("\n")
		for _, n := range clampNotes(res) {
			p("- %s\n", n)
		}
		if len(clampNotes(res)) > 0 {
			p("\n")
		}

		p("| producer | |\n| --- | --- |\n")
		for _, l := range batchLines(res) {
			p("| %s | %s |\n", l[0], l[1])
		}
		if s := inFlightString(res); s != "" {
			p("| in flight | %s |\n", s)
		}
		for _, l := range verdictLines(res) {
			p("| %s | %s |\n", l[0], mdEscape(l[1]))
		}
		p("\n<sub>MB = 10^6 bytes; record payload = key+value+headers. %s.</sub>\n", mdEscape(environmentString(res.Environment)))
	})
}

// mdEscape escapes text for Markdown: characters that would start
// formatting, links, tables or HTML are backslash-escaped.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '#', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode returns s as a Markdown code span, safe inside a table cell.
func mdCode(s string) string {
	s = strings.NewReplacer("`", "'", "|", "\\|", "\n", " ").Replace(s)
	return "`" + s + "`"
}

// upperFirst returns s with its first byte upper-cased (ASCII).
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
