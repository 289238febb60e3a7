package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// This file renders report.html and compare.html: one self-contained page
// (inline CSS, plots as data: URIs, no scripts, nothing fetched), under a
// Content-Security-Policy that would block anything else.

// htmlPage is the view model of a page.
type htmlPage struct {
	Title, Heading string
	Alerts         []htmlAlert
	Intro          []string
	Tables         []htmlTable
	Plots          []htmlPlot
	Details        []htmlTable // tables folded in <details>
	Pre            []htmlPre
	Links          []string
	Footer         string
}

type htmlAlert struct{ Class, Title, Text string }

// htmlTable is a table; Right marks right-aligned (numeric) columns.
type htmlTable struct {
	Caption string
	Head    []string
	Right   []bool
	Rows    [][]string
}

// HasHead reports whether some header cell is not empty; a table of label
// and value pairs has none.
func (t htmlTable) HasHead() bool {
	for _, h := range t.Head {
		if h != "" {
			return true
		}
	}
	return false
}

type htmlPlot struct {
	Caption string
	Src     template.HTMLAttr // src="data:image/png;base64,…"
	Alt     string
	File    string // the SVG file beside the page
}

type htmlPre struct{ Title, Text string }

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #1b1f24; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
.intro { color: #57606a; }
.alert { border-left: 5px solid; padding: .6em 1em; margin: 1em 0; border-radius: 4px; }
.alert.warn { border-color: #d4a72c; background: #fff8c5; } .alert.bad { border-color: #cf222e; background: #ffebe9; } .alert.note { border-color: #0969da; background: #ddf4ff; }
table { border-collapse: collapse; margin: .8em 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .3em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.r, th.r { text-align: right; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #d0d7de; }
figcaption { color: #57606a; font-size: .9em; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .85em; }
details { margin: 1em 0; } summary { cursor: pointer; font-weight: 600; }
footer { margin-top: 2em; color: #57606a; font-size: .85em; }
</style>
</head>
<body>
<h1>{{.Heading}}</h1>
{{range .Intro}}<p class="intro">{{.}}</p>
{{end}}{{range .Alerts}}<div class="alert {{.Class}}" role="alert"><strong>{{.Title}}</strong> {{.Text}}</div>
{{end}}{{range .Tables}}{{template "table" .}}{{end}}
{{if .Plots}}<h2>Plots</h2>
{{range .Plots}}<figure><img {{.Src}} alt="{{.Alt}}" width="768" height="480"><figcaption>{{.Caption}}{{if .File}} (<a href="{{.File}}">SVG</a>){{end}}</figcaption></figure>
{{end}}{{end}}{{range .Details}}<details><summary>{{.Caption}}</summary>{{template "table" .}}</details>
{{end}}{{range .Pre}}<h2>{{.Title}}</h2>
<pre>{{.Text}}</pre>
{{end}}{{if .Links}}<h2>Files</h2>
<p>{{range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l}}">{{$l}}</a>{{end}}</p>
{{end}}<footer>{{.Footer}}</footer>
</body>
</html>
{{define "table"}}<table>{{if .Caption}}<caption>{{.Caption}}</caption>{{end}}
{{if .HasHead}}<thead><tr>{{range $i, $h := .Head}}<th{{if index $.Right $i}} class="r"{{end}}>{{$h}}</th>{{end}}</tr></thead>{{end}}
<tbody>{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if index $.Right $i}} class="r"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}`))

// pngSrc returns the src attribute of an image holding the PNG b, as a
// data: URI. Base64 needs no escaping inside a quoted attribute.
func pngSrc(b []byte) template.HTMLAttr {
	return template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"`)
}

// rightFrom returns n flags, true from column k on.
func rightFrom(n, k int) []bool {
	r := make([]bool, n)
	for i := k; i < n; i++ {
		r[i] = true
	}
	return r
}

// WriteHTML writes res as report.html: a self-contained page (CSS inline,
// plots embedded as PNG data URIs, no scripts) with the warnings, scenario,
// rates, counts, failures, the latency / service time / schedule lag table,
// batch statistics, the five plots, the interval table, the scenario and
// producer options as JSON, and links to the other files of the result
// directory. It fails on a nil res, an undecodable histogram or a write
// error.
func WriteHTML(w io.Writer, res *Result) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	plots, err := renderPlots([]plotRun{{res: res}}, "", false)
	if err != nil {
		return err
	}
	return writeRunHTML(w, res, plots)
}

// writeRunHTML writes report.html of res with its rendered plots.
func writeRunHTML(w io.Writer, res *Result, plots []plotFile) error {
	name := orDash(res.Scenario.Name)
	pg := htmlPage{
		Title:   "prodbench: " + name,
		Heading: "prodbench: " + name,
		Footer:  "MB = 10^6 bytes; record payload = key+value+headers. " + environmentString(res.Environment) + ".",
	}
	if res.Status == StatusInterrupted {
		pg.Alerts = append(pg.Alerts, htmlAlert{"bad", "Interrupted run.", "Stopped before its planned end; numbers cover only the part that ran."})
	}
	if g := CheckGenerator(res); g.Saturated {
		pg.Alerts = append(pg.Alerts, htmlAlert{"warn", "Generator saturated:", g.Reason + "."})
	}
	if res.ClosedLoop {
		pg.Alerts = append(pg.Alerts, htmlAlert{"note", "Closed loop:", strings.TrimPrefix(ClosedLoopNote, "closed loop: ") + "."})
	}
	intro := []string{}
	if d := res.Scenario.Description; d != "" {
		intro = append(intro, d)
	}
	line := "status " + orDash(res.Status) + " · " + windowString(res) + " · started " + res.StartedAt.UTC().Format(time.RFC3339)
	if f := res.Scenario.File; f != "" {
		line = "scenario file " + f + " · " + line
	}
	pg.Intro = append(intro, line)

	pg.Tables = append(pg.Tables, htmlTable{
		Caption: "Rates and counts", Head: []string{"", ""}, Right: []bool{false, true},
		Rows: [][]string{
			{"target rate", targetString(res)},
			{"achieved rate (acked)", fmt.Sprintf("%.1f msg/s", finite(res.Throughput.MsgsPerSec))},
			{"record payload throughput", fmt.Sprintf("%.3f MB/s", finite(res.Throughput.MBPerSec))},
			{"wire throughput", fmt.Sprintf("%.3f MB/s", wireMBPerSec(res))},
			{"sent / acked / failed", fmt.Sprintf("%d / %d / %d", res.Counts.Sent, res.Counts.Acked, res.Counts.Failed)},
		},
	})
	if len(res.Counts.FailedByKind) > 0 {
		t := htmlTable{Caption: "Failures by kind", Head: []string{"kind", "count"}, Right: []bool{false, true}}
		for _, k := range sortedKeys(res.Counts.FailedByKind) {
			t.Rows = append(t.Rows, []string{k, fmt.Sprint(res.Counts.FailedByKind[k])})
		}
		pg.Tables = append(pg.Tables, t)
	}
	pg.Tables = append(pg.Tables, timingTable(res))
	prod := htmlTable{Caption: "Producer", Head: []string{"", ""}, Right: []bool{false, false}}
	for _, l := range batchLines(res) {
		prod.Rows = append(prod.Rows, []string{l[0], l[1]})
	}
	if s := inFlightString(res); s != "" {
		prod.Rows = append(prod.Rows, []string{"in flight", s})
	}
	for _, n := range clampNotes(res) {
		prod.Rows = append(prod.Rows, []string{"note", n})
	}
	pg.Tables = append(pg.Tables, prod)

	for _, pl := range plots {
		pg.Plots = append(pg.Plots, htmlPlot{Caption: pl.Title, Src: pngSrc(pl.PNG), Alt: pl.Title, File: pl.Name + ".svg"})
	}
	pg.Details = append(pg.Details, intervalTable(res))
	for _, raw := range []struct {
		title string
		js    json.RawMessage
	}{{"Scenario", res.Scenario.Spec}, {"Producer options", res.Options}} {
		if len(raw.js) == 0 {
			continue
		}
		var buf bytes.Buffer
		if json.Indent(&buf, raw.js, "", "  ") != nil {
			buf.Reset()
			buf.Write(raw.js)
		}
		pg.Pre = append(pg.Pre, htmlPre{raw.title, buf.String()})
	}
	pg.Links = []string{ResultFile, SummaryFile, MarkdownFile, TimeseriesFile, HlogFile, HgrmFile, ServiceHgrmFile, LagHgrmFile}
	if err := pageTemplate.Execute(w, &pg); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	return nil
}

// timingTable returns the latency / service time / schedule lag table.
func timingTable(res *Result) htmlTable {
	cols := timingColumns(res)
	t := htmlTable{Caption: "Timings (ms)", Head: []string{"ms"}, Right: rightFrom(len(cols)+1, 1)}
	for _, c := range cols {
		t.Head = append(t.Head, c.name+" ("+strings.ReplaceAll(c.from, "->", "→")+")")
	}
	for _, row := range timingRows {
		r := []string{row.name}
		for _, c := range cols {
			v := "–"
			if c.recorded() {
				v = msString(row.get(c.l))
			}
			r = append(r, v)
		}
		t.Rows = append(t.Rows, r)
	}
	r := []string{"count"}
	for _, c := range cols {
		v := "–"
		if c.recorded() {
			v = fmt.Sprint(c.l.Count)
		}
		r = append(r, v)
	}
	t.Rows = append(t.Rows, r)
	return t
}

// intervalTable returns the per-interval table of res.
func intervalTable(res *Result) htmlTable {
	head := []string{"end (s)", "warmup", "sent", "acked", "failed", "target msg/s", "msg/s", "MB/s", "wire MB/s",
		"latency p50 ms", "p99 ms", "max ms", "service p99 ms", "lag p99 ms",
		"batches", "records/batch", "compression", "in flight", "sealed by", "failures"}
	t := htmlTable{Caption: fmt.Sprintf("Intervals (%d)", len(res.Intervals)), Head: head, Right: rightFrom(len(head), 2)}
	t.Right[1] = false
	t.Right[len(head)-1], t.Right[len(head)-2] = false, false
	for _, iv := range res.Intervals {
		warm := ""
		if iv.Warmup {
			warm = "warmup"
		}
		var kinds []string
		for _, k := range sortedKeys(iv.FailedByKind) {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, iv.FailedByKind[k]))
		}
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("%.3f", float64(iv.EndNs)/1e9), warm,
			fmt.Sprint(iv.Sent), fmt.Sprint(iv.Acked), fmt.Sprint(iv.Failed),
			fmt.Sprintf("%.1f", targetAt(res, iv)), fmt.Sprintf("%.1f", finite(iv.MsgsPerSec)),
			fmt.Sprintf("%.3f", finite(iv.MBPerSec)), fmt.Sprintf("%.3f", finite(iv.WireMBPerSec)),
			msString(iv.P50Ns), msString(iv.P99Ns), msString(iv.MaxNs), msString(iv.ServiceP99Ns), msString(iv.LagP99Ns),
			fmt.Sprint(iv.Batches), fmt.Sprintf("%.1f", finite(iv.MeanRecordsPerBatch)), fmt.Sprintf("%.3f", finite(iv.CompressionRatio)),
			fmt.Sprint(iv.InFlightRequests), sealedString(iv.SealedBy), strings.Join(kinds, ", "),
		})
	}
	return t
}
