package sweep

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/page"
)

// This file renders the sweep and capacity reports as Markdown (for pull
// requests and READMEs) and as self-contained HTML pages (inline CSS,
// plots as PNG data URIs, no scripts).

// table is a report table: header, rows and which columns are numeric
// (right-aligned).
type table struct {
	caption string
	head    []string
	right   []bool
	rows    [][]cell
}

// cell is one table cell; Href links it in HTML.
type cell = page.Cell

// textCells returns one unlinked cell per string.
var textCells = page.Texts

// newTable returns a table of head whose first column and columns
// firstNum to the last but one are numeric.
func newTable(caption string, head []string, firstNum int) table {
	t := table{caption: caption, head: head, right: make([]bool, len(head))}
	for i := firstNum; i < len(head)-1; i++ {
		t.right[i] = true
	}
	t.right[0] = true
	return t
}

// spreadHead returns the header h of a column that shows the min–max
// spread beside the median when there are repetitions.
func spreadHead(h string, reps bool) string {
	if reps {
		return h + " (min–max)"
	}
	return h
}

// dashRow returns row filled with "–" cells to n cells, the last one
// replaced by last: the row of a point or step without figures.
func dashRow(row []cell, n int, last string) []cell {
	for len(row) < n-1 {
		row = append(row, cell{Text: "–"})
	}
	return append(row, cell{Text: last})
}

// rateOrDash returns rateString(r), or "–" when r is not positive.
func rateOrDash(r float64) string {
	if r > 0 {
		return rateString(r)
	}
	return "–"
}

// spreads returns the ranges of ev's msg/s, p99 and rank latency over its
// repetitions, all nil without repetitions.
func (ev *Evaluation) spreads() (msgs, p99, rank *Range) {
	if sp := ev.Spread; sp != nil {
		return &sp.MsgsPerSec, &sp.P99Ns, &sp.RankLatencyNs
	}
	return nil, nil, nil
}

// paramHeads returns the table headers of the swept parameters: each
// path's last segment, or the whole path where two would collide.
func paramHeads(params []Param) []string {
	count := map[string]int{}
	for _, p := range params {
		count[shortPath(p.Path)]++
	}
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = shortPath(p.Path)
		if count[out[i]] > 1 {
			out[i] = p.Path
		}
	}
	return out
}

// extraPercentile reports whether the rank percentile needs its own
// column (it is not p50, p99 or p99.9).
func extraPercentile(pct float64) bool { return pct != 50 && pct != 99 && pct != 99.9 }

// pointsTable returns the table of every point; best is m.Best()'s
// choice (nil when none). With repetitions, msg/s and the latencies of the
// spread show their min–max beside the median.
func pointsTable(m *Manifest, best *Choice, links bool) table {
	bestIdx := -1
	if best.Declared() {
		bestIdx = best.Index
	}
	rank := m.SLO.RankPercentile()
	head := []string{"#"}
	head = append(head, paramHeads(m.Params)...)
	nParams := len(m.Params)
	reps := m.Reps() > 1
	if reps {
		head = append(head, "target msg/s", "msg/s (min–max)", "wire MB/s", "p50 ms", "p99 ms (min–max)", "p99.9 ms")
	} else {
		head = append(head, "target msg/s", "msg/s", "wire MB/s", "p50 ms", "p99 ms", "p99.9 ms")
	}
	if extraPercentile(rank) {
		head = append(head, spreadHead("p"+PercentileName(rank)+" ms", reps))
	}
	head = append(head, "max ms", "errors", "lag p99 ms", "records/batch", "batch KiB", "compression", "SLO")
	t := newTable(fmt.Sprintf("Points (%d)", len(m.Points)), head, 1+nParams)
	for i := range m.Points {
		pt := &m.Points[i]
		idx := cell{Text: strconv.Itoa(pt.Index)}
		switch {
		case links && len(pt.Reps) > 0 && pt.Reps[0].Dir != "" && pt.Reps[0].Status != StatusPending:
			idx.Href = path.Join(pt.Reps[0].Dir, "report.html")
		case links && len(pt.Reps) == 0 && pt.Dir != "" && pt.Status != StatusPending:
			idx.Href = path.Join(pt.Dir, "report.html")
		}
		row := []cell{idx}
		for _, p := range m.Params {
			row = append(row, cell{Text: pt.Value(p.Path)})
		}
		if !pt.Done() {
			status := pt.Status
			if reps && pt.Status == StatusPending && pt.RepsDone() > 0 {
				status = fmt.Sprintf("%s (%d of %d repetitions done)", status, pt.RepsDone(), m.Reps())
			}
			t.rows = append(t.rows, dashRow(row, len(head), strings.TrimSpace(status+" "+pt.Error)))
			continue
		}
		ev := pt.Evaluation
		mt := ev.Metrics
		tputSp, p99Sp, rankSp := ev.spreads()
		row = append(row, textCells(rateOrDash(mt.TargetMsgsPerSec), spreadText(mt.MsgsPerSec, tputSp, rateString), fmt.Sprintf("%.3f", mt.WireMBPerSec),
			ms3(mt.P50Ns), spreadText(float64(mt.P99Ns), p99Sp, ms3f), ms3(mt.P999Ns))...)
		if extraPercentile(rank) {
			row = append(row, cell{Text: spreadText(float64(ev.RankLatencyNs), rankSp, ms3f)})
		}
		verdict := "✓"
		switch {
		case pt.Index == bestIdx:
			verdict = "★ best"
		case best.IsTied(pt.Index):
			verdict = "≈ tied"
		case !ev.Pass:
			verdict = "✗ " + shortReason(ev)
		}
		row = append(row, textCells(ms3(mt.MaxNs), percentString(mt.ErrorRate), ms3(mt.LagP99Ns),
			fmt.Sprintf("%.1f", mt.MeanRecordsPerBatch), fmt.Sprintf("%.1f", mt.MeanBatchBytes/1024),
			fmt.Sprintf("%.3f", mt.CompressionRatio), verdict)...)
		t.rows = append(t.rows, row)
	}
	return t
}

// shortReason is a table-cell version of a failing evaluation's reason:
// "p99 23.8 > 20 ms", "errors 1.2% > 0.1%", "generator: lag p99 12 ms".
func shortReason(ev *Evaluation) string {
	switch ev.Limit {
	case LimitSLO:
		var parts []string
		for _, c := range ev.Objectives {
			if !c.Met {
				parts = append(parts, fmt.Sprintf("p%s %s > %s ms", PercentileName(c.Percentile), oneDecimalMs(c.LatencyNs), msString(c.MaxNs)))
			}
		}
		if len(parts) == 0 {
			return ev.Reason
		}
		return strings.Join(parts, ", ")
	case LimitErrors:
		return "errors " + percentString(ev.Metrics.ErrorRate)
	case LimitGenerator:
		if ev.Metrics.OfferedMsgsPerSec > 0 && ev.Metrics.OfferedMsgsPerSec < MinOfferedFraction*ev.Metrics.TargetMsgsPerSec {
			return "generator: sent " + rateString(ev.Metrics.OfferedMsgsPerSec) + " msg/s"
		}
		return "generator: lag p99 " + oneDecimalMs(ev.Metrics.LagP99Ns) + " ms"
	case LimitBackpressure:
		return "pushed back: sent " + rateString(ev.Metrics.OfferedMsgsPerSec) + " msg/s"
	}
	return ev.Reason
}

// ms3f formats ns (a float) as ms with exactly three decimals.
func ms3f(ns float64) string { return ms3(int64(ns)) }

// oneDecimalMs formats ns as ms with one decimal.
func oneDecimalMs(ns int64) string { return strconv.FormatFloat(float64(ns)/1e6, 'f', 1, 64) }

// sweepIntro returns the intro line of a sweep report.
func sweepIntro(m *Manifest) []string {
	var parts []string
	if m.Description != "" {
		parts = append(parts, m.Description)
	}
	var ps []string
	for _, p := range m.Params {
		ps = append(ps, fmt.Sprintf("%s ∈ {%s}", p.Path, strings.Join(p.Values, ", ")))
	}
	mode := m.Mode
	if mode == "" {
		mode = "product"
	}
	parts = append(parts, fmt.Sprintf("sweep (%s) of %s: %d points, %d complete", mode, strings.Join(ps, " × "), len(m.Points), m.Done()))
	if m.Reps() > 1 {
		parts = append(parts, fmt.Sprintf("%d repetitions per point, alternated", m.Reps()))
	}
	return append(parts, "SLO: "+m.SLO.String())
}

// WriteMarkdown writes the sweep report of m as Markdown: the best point
// and why (a GitHub alert block), the table of every point and the plots
// as images beside the file (sweep-*.png). It returns the first write
// error.
func WriteMarkdown(w io.Writer, m *Manifest) error {
	if m == nil {
		return errors.New("sweep: nil manifest")
	}
	intro := sweepIntro(m)
	if m.File != "" {
		intro = append(intro[:len(intro)-1], mdCode(m.File), intro[len(intro)-1])
	}
	for i := range intro {
		if !strings.HasPrefix(intro[i], "`") {
			intro[i] = mdEscape(intro[i])
		}
	}
	bw, p := mdStart(w, "sweep", m.Scenario, intro)
	best, why := m.Best()
	switch {
	case best.Declared():
		p("> [!TIP]\n> **Best: #%d, %s.** %s\n\n", best.Index, mdEscape(m.Points[best.Index].ShortLabel()), mdEscape(best.Reason))
	case best != nil:
		p("> [!NOTE]\n> **No best point: tied within noise.** %s\n\n", mdEscape(best.Reason))
	default:
		p("> [!WARNING]\n> **No best point:** %s.\n\n", mdEscape(why))
	}
	if n := len(m.Points) - m.Done(); n > 0 {
		p("> [!NOTE]\n> %d of %d points have not completed; run `prodbench sweep` again with the same `--out` to resume.\n\n", n, len(m.Points))
	}
	return mdFinish(bw, pointsTable(m, best, false), func() ([]figure, error) { return sweepFigures(m) },
		fmt.Sprintf("Latency is from each message's intended send time to its ack (p%s ranks the points); throughput is acked messages per second of each run's measured window; errors are failed / sent; lag is the schedule lag (intended to actual send); batch KiB is the mean uncompressed batch. MB = 10^6 B. Each point's full report is in its directory.",
			PercentileName(m.SLO.RankPercentile())),
		repsNote(m.Reps()))
}

// WriteCapacityMarkdown writes the capacity report of c as Markdown: the
// verdict (a GitHub alert block), the capacity, the limit, the steps and
// the plots as images beside the file (capacity-*.png). c should be
// concluded (see Conclude). It returns the first write error.
func WriteCapacityMarkdown(w io.Writer, c *Capacity) error {
	if c == nil {
		return errors.New("sweep: nil capacity")
	}
	var intro []string
	for _, s := range capacityIntro(c) {
		intro = append(intro, mdEscape(s))
	}
	if c.File != "" {
		intro = append([]string{mdCode(c.File)}, intro...)
	}
	bw, p := mdStart(w, "capacity", c.Scenario, intro)
	kind, title := capacityAlert(c)
	p("> [!%s]\n> **%s** %s\n\n", strings.ToUpper(kind), mdEscape(title), mdEscape(c.Verdict))
	p("| | |\n| --- | ---: |\n")
	for _, r := range capacitySummary(c) {
		p("| %s | %s |\n", mdEscape(r[0]), mdEscape(r[1]))
	}
	p("\n")
	return mdFinish(bw, stepsTable(c, false), func() ([]figure, error) { return capacityFigures(c) },
		"Each step is a full constant-rate run with its own warmup; latency is from each message's intended send time to its ack; a step fails when it misses the SLO, when more messages fail than allowed, or when the load generator does not offer its load. MB = 10^6 B.",
		capacityRepsNote(c.Search.Count))
}

// mdStart begins a Markdown report of kind ("sweep", "capacity") on
// scenario: it returns a buffered writer on w and a printf to it, having
// written the heading and the intro (already escaped) on one line.
func mdStart(w io.Writer, kind, scenario string, intro []string) (*bufio.Writer, func(format string, args ...any)) {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("## prodbench %s: %s\n\n", kind, mdEscape(orDash(scenario)))
	p("%s\n\n", strings.Join(intro, " · "))
	return bw, p
}

// mdFinish ends a Markdown report begun by mdStart: the table t, the
// figures figs returns as images beside the file (NAME.png), the footer
// and, when not "", the repetitions note; then it flushes bw. It returns
// figs' error or the first write error.
func mdFinish(bw *bufio.Writer, t table, figs func() ([]figure, error), footer, note string) error {
	writeMDTable(bw, t)
	fs, err := figs()
	if err != nil {
		return err
	}
	bw.WriteString("\n")
	for _, f := range fs {
		fmt.Fprintf(bw, "![%s](%s.png)\n\n", mdEscape(f.caption), f.name)
	}
	bw.WriteString(footer + "\n")
	if note != "" {
		bw.WriteString("\n" + note + "\n")
	}
	return bw.Flush()
}

// capacityIntro returns the intro parts of a capacity report.
func capacityIntro(c *Capacity) []string {
	var out []string
	if c.Description != "" {
		out = append(out, c.Description)
	}
	if c.Target != "" {
		out = append(out, "target "+c.Target)
	}
	s := c.Search
	out = append(out, "SLO: "+c.SLO.String(),
		fmt.Sprintf("steps of %v (warmup %v), ramp ×2 from %s msg/s, then bisection to %s",
			time.Duration(s.StepDurationNs), time.Duration(s.StepWarmupNs), rateString(s.StartMsgsPerSec), percentString(s.Precision)))
	if s.Count > 1 {
		out = append(out, fmt.Sprintf("%d repetitions per step, back to back; a step passes when more than half of them do", s.Count))
	}
	if c.Status != StatusComplete {
		out = append(out, "status "+orDash(c.Status))
	}
	return out
}

// capacityAlert returns the alert kind and title of the verdict.
func capacityAlert(c *Capacity) (kind, title string) {
	switch {
	case !c.Found:
		return "caution", "No capacity found."
	case c.Limit == LimitGenerator:
		return "warning", "Limited by the load generator, not the broker."
	case c.Limit == LimitNone:
		return "note", fmt.Sprintf("At least %s msg/s.", rateString(c.KneeMsgsPerSec))
	}
	return "tip", fmt.Sprintf("Capacity: %s msg/s.", rateString(c.KneeMsgsPerSec))
}

// capacitySummary returns the label/value rows of the conclusion.
func capacitySummary(c *Capacity) [][2]string {
	knee := "–"
	if c.Found {
		knee = rateString(c.KneeMsgsPerSec) + " msg/s"
		if c.Limit == LimitGenerator || c.Limit == LimitNone {
			knee = "≥ " + knee
		}
	}
	fail, bracket, limit := "–", "–", "none"
	if c.FailMsgsPerSec > 0 {
		fail = rateString(c.FailMsgsPerSec) + " msg/s"
		for i := range c.Steps {
			if s := &c.Steps[i]; s.failed() && s.RateMsgsPerSec == c.FailMsgsPerSec {
				limit = s.Evaluation.LimitName()
				break
			}
		}
	}
	if c.Found && c.FailMsgsPerSec > 0 {
		bracket = fmt.Sprintf("%s – %s msg/s (%.1f%%)", rateString(c.KneeMsgsPerSec), rateString(c.FailMsgsPerSec),
			bracketWidth(c.KneeMsgsPerSec, c.FailMsgsPerSec)*100)
	}
	return [][2]string{
		{"capacity (highest passing rate)", knee},
		{"lowest failing rate", fail},
		{"bracket", bracket},
		{"stopped by", limit},
		{"steps", strconv.Itoa(len(c.Steps))},
	}
}

// stepsTable returns the table of a capacity search's steps.
func stepsTable(c *Capacity, links bool) table {
	pct := c.SLO.RankPercentile()
	reps := c.Search.Count > 1
	head := []string{"step", "phase", "offered msg/s", "sent msg/s", "achieved msg/s", "p50 ms", "p99 ms"}
	if reps {
		head[4], head[6] = "achieved msg/s (min–max)", "p99 ms (min–max)"
	}
	if pct != 99 {
		head = append(head, spreadHead("p"+PercentileName(pct)+" ms", reps))
	}
	head = append(head, "max ms", "errors", "lag p99 ms", "result")
	t := newTable(fmt.Sprintf("Steps (%d)", len(c.Steps)), head, 2)
	for i := range c.Steps {
		s := &c.Steps[i]
		idx := cell{Text: strconv.Itoa(s.Index + 1)}
		switch {
		case links && len(s.Reps) > 0 && s.Reps[0].Dir != "":
			idx.Href = path.Join(s.Reps[0].Dir, "report.html")
		case links && len(s.Reps) == 0 && s.Dir != "":
			idx.Href = path.Join(s.Dir, "report.html")
		}
		row := []cell{idx, {Text: s.Phase}, {Text: rateString(s.RateMsgsPerSec)}}
		if s.Evaluation == nil {
			t.rows = append(t.rows, dashRow(row, len(head), orDash(s.Status)+" "+s.Error))
			continue
		}
		ev := s.Evaluation
		mt := ev.Metrics
		tputSp, p99Sp, rankSp := ev.spreads()
		row = append(row, textCells(rateOrDash(mt.OfferedMsgsPerSec), spreadText(mt.MsgsPerSec, tputSp, rateString), ms3(mt.P50Ns), spreadText(float64(mt.P99Ns), p99Sp, ms3f))...)
		if pct != 99 {
			row = append(row, cell{Text: spreadText(float64(ev.RankLatencyNs), rankSp, ms3f)})
		}
		res := "✓ pass"
		if !ev.Pass {
			res = "✗ " + ev.Limit + ": " + shortReason(ev)
		}
		if sp := ev.Spread; sp != nil {
			res += fmt.Sprintf(" (%d of %d passed)", sp.Passed, sp.Reps)
		}
		row = append(row, textCells(ms3(mt.MaxNs), percentString(mt.ErrorRate), ms3(mt.LagP99Ns), res)...)
		t.rows = append(t.rows, row)
	}
	return t
}

// writeMDTable writes t as a Markdown table.
func writeMDTable(w *bufio.Writer, t table) {
	w.WriteString("|")
	for _, h := range t.head {
		w.WriteString(" " + mdEscape(h) + " |")
	}
	w.WriteString("\n|")
	for i := range t.head {
		if t.right[i] {
			w.WriteString(" ---: |")
		} else {
			w.WriteString(" --- |")
		}
	}
	w.WriteString("\n")
	for _, r := range t.rows {
		w.WriteString("|")
		for _, c := range r {
			w.WriteString(" " + mdEscape(c.Text) + " |")
		}
		w.WriteString("\n")
	}
}

// mdEscape escapes Markdown table and emphasis characters, "<" (no raw
// HTML) and newlines.
func mdEscape(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "|", "\\|", "*", "\\*", "_", "\\_", "`", "\\`", "<", "&lt;", "\n", " ", "[", "\\[", "]", "\\]")
	return r.Replace(s)
}

// mdCode returns s as inline code.
func mdCode(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

func toHTMLTable(t table) page.Table {
	return page.Table{Caption: t.caption, Head: t.head, Right: t.right, Rows: t.rows}
}

// htmlPlots returns the page figures of figs, with their PNGs from files.
func htmlPlots(figs []figure, files []namedFile) []page.Plot {
	pngs := map[string][]byte{}
	for _, f := range files {
		pngs[f.name] = f.data
	}
	var out []page.Plot
	for _, f := range figs {
		out = append(out, page.Plot{Caption: f.caption, Src: page.PNGSrc(pngs[f.name+".png"]), File: f.name + ".svg"})
	}
	return out
}

// repsNote explains the figures of a sweep with n repetitions per point;
// it is "" for one run per point.
func repsNote(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf("Each point ran %d times, alternated (every point once, then every point again, so drift hits all points alike), each repetition in its own rep-N directory; a point's figures are the medians of its repetitions, with the min–max in brackets, and it meets the SLO when more than half of its repetitions do. The best point must differ from the runner-up significantly (two-sided Mann-Whitney U test, p < %s) on what decided, or the leaders are tied within noise.",
		n, pString(Alpha))
}

// capacityRepsNote explains the figures of a search with n repetitions
// per step; it is "" for one run per step.
func capacityRepsNote(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf("Each step ran %d times back to back (the next rate depends on the step's verdict, so steps cannot be alternated), each repetition in its own rep-N directory; a step's figures are the medians of its repetitions, with the min–max in brackets, and it passes when more than half of its repetitions pass (the median repetition's verdict).", n)
}

// writeSweepHTML writes sweep.html.
func writeSweepHTML(w io.Writer, m *Manifest, figs []figure, files []namedFile) error {
	pg := page.Page{Title: "prodbench sweep: " + orDash(m.Scenario), Intro: sweepIntro(m),
		Footer: "Latency is from each message's intended send time to its ack; throughput is acked messages per second of each run's measured window; errors are failed / sent. MB = 10^6 bytes. Point numbers link to each run's report."}
	best, why := m.Best()
	switch {
	case best.Declared():
		pg.Alerts = append(pg.Alerts, page.Alert{Class: "tip", Title: fmt.Sprintf("Best: #%d, %s.", best.Index, m.Points[best.Index].ShortLabel()), Text: best.Reason})
	case best != nil:
		pg.Alerts = append(pg.Alerts, page.Alert{Class: "note", Title: "No best point: tied within noise.", Text: best.Reason})
	default:
		pg.Alerts = append(pg.Alerts, page.Alert{Class: "warn", Title: "No best point:", Text: why + "."})
	}
	if n := len(m.Points) - m.Done(); n > 0 {
		pg.Alerts = append(pg.Alerts, page.Alert{Class: "note", Title: "Incomplete sweep:", Text: fmt.Sprintf("%d of %d points have not completed; run prodbench sweep again with the same --out to resume.", n, len(m.Points))})
	}
	pg.Tables = []page.Table{toHTMLTable(pointsTable(m, best, true))}
	return writePage(w, pg, m.File, repsNote(m.Reps()), figs, files, ManifestFile, MarkdownFile)
}

// writePage finishes pg and writes it to w: the scenario file (when not
// "") at the end of the intro, the repetitions note (when not "") at the
// end of the footer, the plots of figs with their PNGs from files, and the
// links.
func writePage(w io.Writer, pg page.Page, file, note string, figs []figure, files []namedFile, links ...string) error {
	if file != "" {
		pg.Intro = append(pg.Intro, "scenario file "+file)
	}
	if note != "" {
		pg.Footer += " " + note
	}
	pg.Plots = htmlPlots(figs, files)
	pg.Links = links
	if err := page.Write(w, &pg); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}

// writeCapacityHTML writes capacity.html.
func writeCapacityHTML(w io.Writer, c *Capacity, figs []figure, files []namedFile) error {
	pg := page.Page{Title: "prodbench capacity: " + orDash(c.Scenario), Intro: capacityIntro(c),
		Footer: "Each step is a full constant-rate run with its own warmup; latency is from each message's intended send time to its ack. MB = 10^6 bytes. Step numbers link to each run's report."}
	kind, title := capacityAlert(c)
	class := map[string]string{"caution": "bad", "warning": "warn", "note": "note", "tip": "tip"}[kind]
	pg.Alerts = []page.Alert{{Class: class, Title: title, Text: c.Verdict}}
	sum := table{caption: "Result", head: []string{"", ""}, right: []bool{false, true}}
	for _, r := range capacitySummary(c) {
		sum.rows = append(sum.rows, textCells(r[0], r[1]))
	}
	pg.Tables = []page.Table{toHTMLTable(sum), toHTMLTable(stepsTable(c, true))}
	return writePage(w, pg, c.File, capacityRepsNote(c.Search.Count), figs, files, CapacityFile, CapacityMarkdownFile)
}

// Write renders the sweep report into dir: sweep.md, sweep.html, the plots
// (sweep-*.png and .svg) and finally sweep.json. Everything is rendered
// before anything is written; each file is written atomically. dir must
// exist.
func Write(dir string, m *Manifest) error {
	if m == nil {
		return errors.New("sweep: nil manifest")
	}
	figs, err := sweepFigures(m)
	if err != nil {
		return err
	}
	err = writeReport(dir, figs,
		MarkdownFile, func(w io.Writer) error { return WriteMarkdown(w, m) },
		HTMLFile, func(w io.Writer, figs []figure, files []namedFile) error {
			return writeSweepHTML(w, m, figs, files)
		})
	if err != nil {
		return err
	}
	return WriteManifest(dir, m)
}

// writeReport renders figs (PNG and SVG), the Markdown page mdFile with md
// and the HTML page htmlFile with html, then writes them and last into dir,
// each atomically, last files at the end. Nothing is written when
// rendering fails.
func writeReport(dir string, figs []figure, mdFile string, md func(io.Writer) error,
	htmlFile string, html func(io.Writer, []figure, []namedFile) error, last ...namedFile) error {
	files, err := renderFigures(figs)
	if err != nil {
		return err
	}
	var mdBuf, pageBuf bytes.Buffer
	if err := md(&mdBuf); err != nil {
		return err
	}
	if err := html(&pageBuf, figs, files); err != nil {
		return err
	}
	files = append(files, namedFile{mdFile, mdBuf.Bytes()}, namedFile{htmlFile, pageBuf.Bytes()})
	for _, f := range append(files, last...) {
		if err := report.WriteFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}
