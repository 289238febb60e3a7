package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/prodbench/prodbench/report/page"
)

// File names written by Comparison.Write.
const (
	// CompareMarkdownFile is the comparison table in Markdown.
	CompareMarkdownFile = "compare.md"
	// CompareHTMLFile is the self-contained comparison page.
	CompareHTMLFile = "compare.html"
	// CompareJSONFile is the Comparison as JSON.
	CompareJSONFile = "compare.json"
	// ComparePlotPrefix starts the names of the comparison plots
	// (compare-latency.png, compare-throughput.svg, …).
	ComparePlotPrefix = "compare-"
)

// WriteText writes the comparison as aligned plain-text tables: the runs,
// warnings, then every metric with each run's value and its change against
// the baseline. It returns the first write error.
func (c *Comparison) WriteText(w io.Writer) error {
	if c.empty() {
		return errNoRuns
	}
	bw := bufio.NewWriter(w)
	head, rows := c.runRows()
	WriteAligned(bw, head, rows, func(int) bool { return false })
	for _, l := range c.warnings() {
		fmt.Fprintf(bw, "!!! %s\n", l)
	}
	bw.WriteString("\n")
	head, rows = c.table()
	WriteAligned(bw, head, rows, func(col int) bool { return col >= 2 })
	fmt.Fprintf(bw, "\nΔ is the change against %s, the baseline. MB = 10^6 bytes.\n", c.Runs[0].Label)
	return bw.Flush()
}

// WriteAligned writes head and rows as plain-text columns two spaces
// apart, each as wide as its widest cell (in runes), right-aligned where
// right(column) is true and left-aligned elsewhere, with trailing spaces
// trimmed. It ignores write errors (w buffers them, as bufio.Writer and
// strings.Builder do).
func WriteAligned(w io.StringWriter, head []string, rows [][]string, right func(col int) bool) {
	width := make([]int, len(head))
	for _, r := range append([][]string{head}, rows...) {
		for i, cell := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	for _, r := range append([][]string{head}, rows...) {
		var line strings.Builder
		for i, cell := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				line.WriteString("  ")
			}
			if right(i) {
				line.WriteString(pad + cell)
			} else {
				line.WriteString(cell + pad)
			}
		}
		w.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// WriteMarkdown writes the comparison as Markdown: a runs table, warnings
// as an alert block, and the metrics table with each run's value and delta
// against the baseline. It returns the first write error.
func (c *Comparison) WriteMarkdown(w io.Writer) error {
	if c.empty() {
		return errNoRuns
	}
	bw := bufio.NewWriter(w)
	names := make([]string, len(c.Runs))
	for i, r := range c.Runs {
		names[i] = mdEscape(r.Label)
	}
	fmt.Fprintf(bw, "## prodbench compare: %s\n\n", strings.Join(names, " vs "))
	if ws := c.warnings(); len(ws) > 0 {
		bw.WriteString("> [!WARNING]\n")
		for _, l := range ws {
			fmt.Fprintf(bw, "> %s<br>\n", mdEscape(l))
		}
		bw.WriteString("\n")
	}
	head, rows := c.runRows()
	writeMDTable(bw, head, rows, len(head))
	bw.WriteString("\n")
	head, rows = c.table()
	writeMDTable(bw, head, rows, 2)
	fmt.Fprintf(bw, "\nΔ is the change against %s, the baseline; latency is measured from each message's intended send time, service time from its actual send. MB = 10^6 bytes.\n", mdEscape(c.Runs[0].Label))
	return bw.Flush()
}

// writeMDTable writes a Markdown table, columns after the first left
// right-aligned.
func writeMDTable(w *bufio.Writer, head []string, rows [][]string, left int) {
	cell := func(s string) string { return mdEscape(s) }
	w.WriteString("|")
	for _, h := range head {
		w.WriteString(" " + cell(h) + " |")
	}
	w.WriteString("\n|")
	for i := range head {
		if i < left {
			w.WriteString(" --- |")
		} else {
			w.WriteString(" ---: |")
		}
	}
	w.WriteString("\n")
	for _, r := range rows {
		w.WriteString("|")
		for _, s := range r {
			w.WriteString(" " + cell(s) + " |")
		}
		w.WriteString("\n")
	}
}

// WriteHTML writes the comparison as a self-contained page: runs,
// warnings, the metrics table and the five plots with every run overlaid.
// It fails on an undecodable histogram or a write error.
func (c *Comparison) WriteHTML(w io.Writer) error {
	if c.empty() {
		return errNoRuns
	}
	plots, err := renderPlots(c.plotRuns(), ComparePlotPrefix, false)
	if err != nil {
		return err
	}
	return c.writeHTML(w, plots)
}

func (c *Comparison) plotRuns() []plotRun {
	runs := make([]plotRun, len(c.Runs))
	for i, r := range c.Runs {
		runs[i] = plotRun{label: r.Label, res: c.results[i]}
	}
	return runs
}

func (c *Comparison) writeHTML(w io.Writer, plots []plotFile) error {
	names := make([]string, len(c.Runs))
	for i, r := range c.Runs {
		names[i] = r.Label
	}
	pg := page.Page{
		Title:   "prodbench compare: " + strings.Join(names, " vs "),
		Heading: "prodbench compare: " + strings.Join(names, " vs "),
		Intro:   []string{fmt.Sprintf("Δ is the change against %s, the baseline. Latency is measured from each message's intended send time, service time from its actual send.", c.Runs[0].Label)},
		Footer:  "MB = 10^6 bytes; record payload = key+value+headers.",
		Links:   []string{CompareMarkdownFile, CompareJSONFile},
	}
	for _, l := range c.warnings() {
		pg.Alerts = append(pg.Alerts, page.Alert{Class: "warn", Text: l})
	}
	head, rows := c.runRows()
	pg.Tables = append(pg.Tables, page.Table{Caption: "Runs", Head: head, Right: make([]bool, len(head)), Rows: page.TextRows(rows)})
	head, rows = c.table()
	pg.Tables = append(pg.Tables, page.Table{Caption: "Metrics", Head: head, Right: page.RightFrom(len(head), 2), Rows: page.TextRows(rows)})
	for _, pl := range plots {
		pg.Plots = append(pg.Plots, page.Plot{Caption: pl.Title, Src: page.PNGSrc(pl.PNG), File: pl.Name + ".svg"})
	}
	if err := page.Write(w, &pg); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Write renders the comparison into dir: compare.md, the plots
// (compare-*.png and .svg), compare.html and compare.json, each written
// atomically, everything rendered before anything is written. dir must
// exist. It fails on an undecodable histogram or a write error.
func (c *Comparison) Write(dir string) error {
	if c.empty() {
		return errNoRuns
	}
	if err := checkDir(dir); err != nil {
		return err
	}
	var md, page bytes.Buffer
	if err := c.WriteMarkdown(&md); err != nil {
		return err
	}
	plots, err := renderPlots(c.plotRuns(), ComparePlotPrefix, true)
	if err != nil {
		return err
	}
	if err := c.writeHTML(&page, plots); err != nil {
		return err
	}
	js, err := indentJSON(c, "comparison")
	if err != nil {
		return err
	}
	files := append([]namedFile{{CompareMarkdownFile, md.Bytes()}}, plotFiles(plots)...)
	files = append(files, namedFile{CompareHTMLFile, page.Bytes()}, namedFile{CompareJSONFile, js})
	return writeFiles(dir, files)
}

// errNoRuns is returned by Comparison methods on a nil or zero
// Comparison.
var errNoRuns = errors.New("report: empty comparison (build it with Compare)")

func (c *Comparison) empty() bool {
	return c == nil || len(c.Runs) == 0 || len(c.results) != len(c.Runs)
}
