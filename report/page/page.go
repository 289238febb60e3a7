// Package page renders the self-contained HTML pages of prodbench's reports
// (report.html, compare.html, sweep.html, capacity.html): one page shell
// with inline CSS, plots as data: URIs, no scripts and nothing fetched,
// under a Content-Security-Policy that would block anything else. Text is
// escaped by html/template.
package page

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
)

// Page is the view model of one page.
type Page struct {
	// Title is the document title; Heading the <h1> (Title when empty).
	Title, Heading string
	// Intro lines are printed under the heading, in grey.
	Intro []string
	// Alerts are boxes under the intro.
	Alerts []Alert
	// Tables are printed in order, each scrollable sideways.
	Tables []Table
	// Plots are printed under a "Plots" heading.
	Plots []Plot
	// Details are tables folded in <details>, captioned by their Caption.
	Details []Table
	// Pre blocks are preformatted text under their own headings.
	Pre []Pre
	// Links are relative file names listed under "Files".
	Links []string
	// Footer is the small print at the bottom.
	Footer string
}

// Alert is a box of class Class ("tip" green, "warn" yellow, "bad" red,
// "note" blue) with a bold Title followed by Text.
type Alert struct{ Class, Title, Text string }

// Table is a table; Right marks right-aligned (numeric) columns, one flag
// per column of Head. A Head of empty strings prints no header row.
type Table struct {
	Caption string
	Head    []string
	Right   []bool
	Rows    [][]Cell
}

// Cell is one table cell; a non-empty Href links it.
type Cell struct{ Text, Href string }

// Texts returns one unlinked Cell per string.
func Texts(ss ...string) []Cell {
	out := make([]Cell, len(ss))
	for i, s := range ss {
		out[i] = Cell{Text: s}
	}
	return out
}

// HasHead reports whether some header cell is not empty; a table of label
// and value pairs has none.
func (t Table) HasHead() bool {
	for _, h := range t.Head {
		if h != "" {
			return true
		}
	}
	return false
}

// RightFrom returns n column flags, true from column k on.
func RightFrom(n, k int) []bool {
	r := make([]bool, n)
	for i := k; i < n; i++ {
		r[i] = true
	}
	return r
}

// Plot is one embedded figure: Src from PNGSrc, Alt text (Caption when
// empty) and File, the SVG beside the page (no link when empty).
type Plot struct {
	Caption, Alt, File string
	Src                template.HTMLAttr
}

// PNGSrc returns the src attribute of an image holding the PNG b, as a
// data: URI. Base64 needs no escaping inside a quoted attribute.
func PNGSrc(b []byte) template.HTMLAttr {
	return template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"`)
}

// Pre is a preformatted block under the heading Title.
type Pre struct{ Title, Text string }

// Write renders p to w. It fails only on a write error.
func Write(w io.Writer, p *Page) error {
	c := *p
	if c.Heading == "" {
		c.Heading = c.Title
	}
	for i := range c.Plots {
		if c.Plots[i].Alt == "" {
			c.Plots[i].Alt = c.Plots[i].Caption
		}
	}
	if err := tmpl.Execute(w, &c); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

var tmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #1b1f24; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
.intro { color: #57606a; margin: .2em 0; }
.alert { border-left: 5px solid; padding: .6em 1em; margin: 1em 0; border-radius: 4px; }
.alert.tip { border-color: #1a7f37; background: #dafbe1; } .alert.warn { border-color: #d4a72c; background: #fff8c5; } .alert.bad { border-color: #cf222e; background: #ffebe9; } .alert.note { border-color: #0969da; background: #ddf4ff; }
.scroll { overflow-x: auto; }
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
{{define "table"}}<div class="scroll"><table>{{if .Caption}}<caption>{{.Caption}}</caption>{{end}}
{{if .HasHead}}<thead><tr>{{range $i, $h := .Head}}<th{{if index $.Right $i}} class="r"{{end}}>{{$h}}</th>{{end}}</tr></thead>{{end}}
<tbody>{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if index $.Right $i}} class="r"{{end}}>{{if $c.Href}}<a href="{{$c.Href}}">{{$c.Text}}</a>{{else}}{{$c.Text}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
{{end}}`))

// TextRows returns rows as unlinked cells.
func TextRows(rows [][]string) [][]Cell {
	out := make([][]Cell, len(rows))
	for i, r := range rows {
		out[i] = Texts(r...)
	}
	return out
}
