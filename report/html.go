package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prodbench/prodbench/report/page"
)

// This file renders report.html; the page shell is package page.

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
	pg := page.Page{
		Title:   "prodbench: " + name,
		Heading: "prodbench: " + name,
		Footer:  "MB = 10^6 bytes; record payload = key+value+headers. " + environmentString(res.Environment) + ".",
	}
	for _, n := range notices(res) {
		pg.Alerts = append(pg.Alerts, page.Alert{Class: n.level, Title: n.title + ":", Text: n.text + "."})
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

	pg.Tables = append(pg.Tables, page.Table{
		Caption: "Rates and counts", Head: []string{"", ""}, Right: []bool{false, true},
		Rows: page.TextRows([][]string{
			{"target rate", targetString(res)},
			{"achieved rate (acked)", fmt.Sprintf("%.1f msg/s", finite(res.Throughput.MsgsPerSec))},
			{"record payload throughput", fmt.Sprintf("%.3f MB/s", finite(res.Throughput.MBPerSec))},
			{"wire throughput", fmt.Sprintf("%.3f MB/s", wireMBPerSec(res))},
			{"sent / acked / failed", fmt.Sprintf("%d / %d / %d (%s)", res.Counts.Sent, res.Counts.Acked, res.Counts.Failed, failedShare(res))},
		}),
	})
	if len(res.Counts.FailedByKind) > 0 {
		t := page.Table{Caption: "Failures by kind", Head: []string{"kind", "count"}, Right: []bool{false, true}}
		for _, k := range sortedKeys(res.Counts.FailedByKind) {
			t.Rows = append(t.Rows, page.Texts(k, fmt.Sprint(res.Counts.FailedByKind[k])))
		}
		pg.Tables = append(pg.Tables, t)
	}
	pg.Tables = append(pg.Tables, timingTable(res))
	prod := page.Table{Caption: "Producer", Head: []string{"", ""}, Right: []bool{false, false}}
	for _, l := range batchLines(res) {
		prod.Rows = append(prod.Rows, page.Texts(l[0], l[1]))
	}
	if s := inFlightString(res); s != "" {
		prod.Rows = append(prod.Rows, page.Texts("in flight", s))
	}
	for _, l := range verdictLines(res) {
		prod.Rows = append(prod.Rows, page.Texts(l[0], l[1]))
	}
	for _, n := range clampNotes(res) {
		prod.Rows = append(prod.Rows, page.Texts("note", n))
	}
	pg.Tables = append(pg.Tables, prod)
	if v := res.Verify; v != nil {
		t := page.Table{Caption: "Delivery verification: " + verifyLine(v),
			Head:  []string{"topic", "partition", "acked", "failed", "read back", "lost", "duplicated", "reordered", "corrupted", "failed but present"},
			Right: []bool{false, true, true, true, true, true, true, true, true, true}}
		for _, c := range append(v.Partitions, v.Total) {
			topic, part := c.Topic, fmt.Sprint(c.Partition)
			if c == v.Total {
				topic, part = "total", ""
			}
			t.Rows = append(t.Rows, page.Texts(topic, part, fmt.Sprint(c.Acked), fmt.Sprint(c.Failed), fmt.Sprint(c.ReadBack),
				fmt.Sprint(c.Lost), fmt.Sprint(c.Duplicated), fmt.Sprint(c.Reordered), fmt.Sprint(c.Corrupted), fmt.Sprint(c.FailedPresent)))
		}
		pg.Tables = append(pg.Tables, t)
	}

	for _, pl := range plots {
		pg.Plots = append(pg.Plots, page.Plot{Caption: pl.Title, Src: page.PNGSrc(pl.PNG), File: pl.Name + ".svg"})
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
		pg.Pre = append(pg.Pre, page.Pre{Title: raw.title, Text: buf.String()})
	}
	pg.Links = []string{ResultFile, SummaryFile, MarkdownFile, TimeseriesFile, HlogFile, HgrmFile, ServiceHgrmFile, LagHgrmFile}
	if err := page.Write(w, &pg); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// timingTable returns the latency / service time / schedule lag table.
func timingTable(res *Result) page.Table {
	cols := timingColumns(res)
	t := page.Table{Caption: "Timings (ms)", Head: []string{"ms"}, Right: page.RightFrom(len(cols)+1, 1)}
	for _, c := range cols {
		t.Head = append(t.Head, c.name+" ("+strings.ReplaceAll(c.from, "->", "→")+")")
	}
	for _, r := range timingCells(cols, "–") {
		t.Rows = append(t.Rows, page.Texts(r...))
	}
	return t
}

// intervalTable returns the per-interval table of res.
func intervalTable(res *Result) page.Table {
	head := []string{"end (s)", "warmup", "sent", "acked", "failed", "target msg/s", "msg/s", "MB/s", "wire MB/s",
		"latency p50 ms", "p99 ms", "max ms", "service p99 ms", "lag p99 ms",
		"batches", "records/batch", "compression", "in flight", "sealed by", "failures"}
	t := page.Table{Caption: fmt.Sprintf("Intervals (%d)", len(res.Intervals)), Head: head, Right: page.RightFrom(len(head), 2)}
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
		t.Rows = append(t.Rows, page.Texts(
			fmt.Sprintf("%.3f", float64(iv.EndNs)/1e9), warm,
			fmt.Sprint(iv.Sent), fmt.Sprint(iv.Acked), fmt.Sprint(iv.Failed),
			fmt.Sprintf("%.1f", targetAt(res, iv)), fmt.Sprintf("%.1f", finite(iv.MsgsPerSec)),
			fmt.Sprintf("%.3f", finite(iv.MBPerSec)), fmt.Sprintf("%.3f", finite(iv.WireMBPerSec)),
			msString(iv.P50Ns), msString(iv.P99Ns), msString(iv.MaxNs), msString(iv.ServiceP99Ns), msString(iv.LagP99Ns),
			fmt.Sprint(iv.Batches), fmt.Sprintf("%.1f", finite(iv.MeanRecordsPerBatch)), fmt.Sprintf("%.3f", finite(iv.CompressionRatio)),
			fmt.Sprint(iv.InFlightRequests), sealedString(iv.SealedBy), strings.Join(kinds, ", "),
		))
	}
	return t
}
