package report

import (
	"fmt"
	"image/color"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prodbench/prodbench/report/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// This file builds the plots of one run and of a comparison: the same five
// builders draw one run in detail or overlay several runs.

// plotRun is one run on a plot; label names it in a comparison's legend.
type plotRun struct {
	label string
	res   *Result
}

// plotFile is one rendered plot: files Name+".png" and Name+".svg".
type plotFile struct {
	Name, Title string
	PNG, SVG    []byte
}

// Plot file stems of one run (Name of plotFile); a comparison prefixes them
// with "compare-".
const (
	plotSpectrum      = "latency" // latency.png, the percentile spectrum
	plotLatencyTime   = "latency-over-time"
	plotThroughput    = "throughput"
	plotBatchRecords  = "batch-records"
	plotCompression   = "compression"
	maxRecordsBinsNum = 40
)

// plotBuilders lists the plots in report order.
var plotBuilders = []struct {
	name    string
	caption string
	build   func([]plotRun) (*plot.Plot, error)
}{
	{plotSpectrum, "Percentile spectrum: latency (from the intended send time) and service time (from the actual send), log \"nines\" axis", spectrumPlot},
	{plotLatencyTime, "Latency over time: p50, p99 and max of each interval", latencyOverTimePlot},
	{plotThroughput, "Throughput over time: target and achieved (acked) messages per second", throughputPlot},
	{plotBatchRecords, "Records per batch: distribution over the batches after warmup", batchRecordsPlot},
	{plotCompression, "Compression ratio (uncompressed record bytes / wire bytes) of each interval", compressionPlot},
}

// renderPlots renders every plot of runs as PNG and, with svg, SVG, file
// stems prefixed with prefix. It fails on an undecodable histogram.
func renderPlots(runs []plotRun, prefix string, svg bool) ([]plotFile, error) {
	out := make([]plotFile, 0, len(plotBuilders))
	for _, b := range plotBuilders {
		p, err := b.build(runs)
		if err != nil {
			return nil, err
		}
		f := plotFile{Name: prefix + b.name, Title: b.caption}
		if f.PNG, err = renderFormat(p, "png"); err != nil {
			return nil, err
		}
		if !svg {
			out = append(out, f)
			continue
		}
		if f.SVG, err = renderFormat(p, "svg"); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// subject names what runs show, for plot titles.
func subject(runs []plotRun) string {
	if len(runs) != 1 {
		return fmt.Sprintf("%d runs", len(runs))
	}
	res := runs[0].res
	name := res.Scenario.Name
	if name == "" {
		name = "unnamed scenario"
	}
	if res.Status == StatusInterrupted {
		name += " (INTERRUPTED)"
	}
	return name
}

// seriesName names one series: what alone for a single run, else the run's
// label and what.
func seriesName(runs []plotRun, i int, what string) string {
	if len(runs) == 1 {
		return what
	}
	return runs[i].label + " " + what
}

// legendRoom is the factor by which plots with a legend at the top extend
// the y axis above the data, so the legend does not hide it.
const legendRoom = 1.3

// finishPlot marks an empty plot "no data" and gives it a sane range, pins
// the y axis at 0 and extends it by headroom above the data.
func finishPlot(p *plot.Plot, empty bool, headroom float64) {
	if empty {
		p.Title.Text += " (no data)"
		p.X.Min, p.X.Max = 0, 1
		p.Y.Max = 1
	}
	p.Y.Min = 0
	if !(p.Y.Max > 0) {
		p.Y.Max = 1
	}
	if !empty {
		p.Y.Max *= headroom
	}
}

// decode decodes an encoded histogram of res, naming the field on error.
func decode(res *Result, field, encoded string) (*hdrhistogram.Histogram, error) {
	h, err := DecodeHistogram(encoded)
	if err != nil {
		return nil, fmt.Errorf("report: %s of %s: %w", field, orDash(res.Scenario.Name), err)
	}
	return h, nil
}

// spectrumPlot draws the percentile spectrum of latency and service time.
func spectrumPlot(runs []plotRun) (*plot.Plot, error) {
	p := plotkit.New("Latency percentile spectrum: "+subject(runs), "percentile (log scale of 1/(1-q))", "ms")
	maxX, maxY := 1.0, 0.0
	empty := true
	for i, r := range runs {
		lat, err := decode(r.res, "latency histogram", r.res.Latency.Histogram)
		if err != nil {
			return nil, err
		}
		svc, err := decode(r.res, "service time histogram", r.res.ServiceTime.Histogram)
		if err != nil {
			return nil, err
		}
		cLat, cSvc := plotkit.Palette[0], plotkit.Palette[1]
		if len(runs) > 1 {
			cLat, cSvc = plotkit.Palette[i%len(plotkit.Palette)], plotkit.Palette[i%len(plotkit.Palette)]
		}
		for _, s := range []struct {
			name string
			h    *hdrhistogram.Histogram
			c    color.Color
			dash []vg.Length
		}{
			{"latency (intended send -> ack)", lat, cLat, plotkit.Solid},
			{"service time (sent -> ack)", svc, cSvc, plotkit.Dashed},
		} {
			pts := spectrum(s.h.TotalCount(), s.h.ValueAtQuantile)
			for _, pt := range pts {
				maxX = math.Max(maxX, pt.X)
				maxY = math.Max(maxY, pt.Y)
			}
			if len(pts) > 0 {
				empty = false
			}
			if err := plotkit.AddLine(p, seriesName(runs, i, s.name), pts, s.c, s.dash, 1.5, nil); err != nil {
				return nil, err
			}
		}
	}
	nines := max(plotMinNines, int(math.Ceil(math.Log10(maxX)-1e-9)))
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = ninesTicks(nines)
	finishPlot(p, empty, 1)
	// plot.Add widened the axes to the data; set the fixed range.
	p.X.Min, p.X.Max = 1, math.Pow10(nines)
	p.Y.Max = math.Max(maxY*1.05, 1e-3)
	return p, nil
}

// seconds returns the end of row as seconds since the run's start.
func seconds(row IntervalRow) float64 { return float64(row.EndNs) / 1e9 }

// warmupLine adds a vertical plotkit.Dotted line at the end of res's warmup, up to
// yMax, when there is a warmup.
func warmupLine(p *plot.Plot, res *Result, yMax float64) error {
	if res.WarmupNs <= 0 || !(yMax > 0) {
		return nil
	}
	x := float64(res.WarmupNs) / 1e9
	return plotkit.AddLine(p, "end of warmup", plotter.XYs{{X: x, Y: 0}, {X: x, Y: yMax}}, color.Gray{Y: 120}, plotkit.Dotted, 1, nil)
}

// faultMarks marks where res's scripted faults fired, up to yMax: a
// shaded band per span, a vertical line per instant (a leader move), in
// one colour per fault, named once in the legend ("fault: leader_move,every=2s").
func faultMarks(p *plot.Plot, res *Result, yMax float64) error {
	if !(yMax > 0) {
		return nil
	}
	for i, f := range res.Faults {
		c := plotkit.Palette[(4+i)%len(plotkit.Palette)]
		name := "fault: " + f.Fault
		for _, sp := range f.Spans {
			x0, x1 := float64(sp[0])/1e9, float64(sp[1])/1e9
			if sp[1]-sp[0] >= faultBandMinNs {
				band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}, {X: x1, Y: yMax}, {X: x0, Y: yMax}})
				if err != nil {
					return fmt.Errorf("plot %q: %w", p.Title.Text, err)
				}
				r, g, b, _ := c.RGBA()
				band.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 50}
				band.LineStyle.Width = 0
				p.Add(band)
				if name != "" {
					p.Legend.Add(name, band)
					name = ""
				}
				continue
			}
			if err := plotkit.AddLine(p, name, plotter.XYs{{X: x0, Y: 0}, {X: x0, Y: yMax}}, c, plotkit.Dashed, 1, nil); err != nil {
				return err
			}
			name = ""
		}
	}
	return nil
}

// faultBandMinNs is the shortest fault span drawn as a shaded band (50
// ms); shorter ones are drawn as a line.
const faultBandMinNs = 50_000_000

// latencyOverTimePlot draws p50, p99 and max latency per interval; a
// comparison draws p99 (plotkit.Solid) and p50 (plotkit.Dashed) per run.
func latencyOverTimePlot(runs []plotRun) (*plot.Plot, error) {
	p := plotkit.New("Latency over time: "+subject(runs), "time since start (s)", "latency, intended send -> ack (ms)")
	type series struct {
		name string
		get  func(IntervalRow) int64
		c    color.Color
		dash []vg.Length
	}
	single := len(runs) == 1
	yMax := 0.0
	empty := true
	for i, r := range runs {
		var ss []series
		if single {
			ss = []series{
				{"max", func(row IntervalRow) int64 { return row.MaxNs }, plotkit.Palette[3], plotkit.Solid},
				{"p99", func(row IntervalRow) int64 { return row.P99Ns }, plotkit.Palette[1], plotkit.Solid},
				{"p50", func(row IntervalRow) int64 { return row.P50Ns }, plotkit.Palette[0], plotkit.Solid},
			}
		} else {
			c := plotkit.Palette[i%len(plotkit.Palette)]
			ss = []series{
				{"p99", func(row IntervalRow) int64 { return row.P99Ns }, c, plotkit.Solid},
				{"p50", func(row IntervalRow) int64 { return row.P50Ns }, c, plotkit.Dashed},
			}
		}
		for _, s := range ss {
			var pts plotter.XYs
			for _, row := range r.res.Intervals {
				if row.Acked == 0 {
					continue // no latency measured
				}
				y := float64(s.get(row)) / 1e6
				pts = append(pts, plotter.XY{X: seconds(row), Y: y})
				yMax = math.Max(yMax, y)
			}
			if len(pts) > 0 {
				empty = false
			}
			if err := plotkit.AddLine(p, seriesName(runs, i, s.name), pts, s.c, s.dash, 1.5, nil); err != nil {
				return nil, err
			}
		}
	}
	return finishTimePlot(p, runs, single, empty, yMax)
}

// targetAt returns the target rate of row in msg/s: the row's own, else
// the run's (0 when unknown, unthrottled or closed loop).
func targetAt(res *Result, row IntervalRow) float64 {
	if t := finite(row.TargetMsgsPerSec); t > 0 {
		return t
	}
	if res.ClosedLoop {
		return 0
	}
	return math.Max(finite(res.TargetRateMsgsPerSec), 0)
}

// throughputPlot draws target and achieved msg/s per interval (and, for one
// run, the sent rate).
func throughputPlot(runs []plotRun) (*plot.Plot, error) {
	p := plotkit.New("Throughput over time: "+subject(runs), "time since start (s)", "messages per second")
	single := len(runs) == 1
	yMax := 0.0
	empty := true
	for i, r := range runs {
		var achieved, target, sent plotter.XYs
		for _, row := range r.res.Intervals {
			x := seconds(row)
			achieved = append(achieved, plotter.XY{X: x, Y: finite(row.MsgsPerSec)})
			if secs := float64(row.EndNs-row.StartNs) / 1e9; single && secs > 0 {
				sent = append(sent, plotter.XY{X: x, Y: float64(row.Sent) / secs})
			}
			if t := targetAt(r.res, row); t > 0 {
				target = append(target, plotter.XY{X: x, Y: t})
			}
		}
		for _, s := range []plotter.XYs{achieved, target, sent} {
			for _, pt := range s {
				yMax = math.Max(yMax, pt.Y)
			}
		}
		if len(achieved) > 0 {
			empty = false
		}
		cAch, cTgt := plotkit.Palette[i%len(plotkit.Palette)], plotkit.Palette[i%len(plotkit.Palette)]
		if single {
			cAch, cTgt = plotkit.Palette[0], plotkit.Palette[3]
			if err := plotkit.AddLine(p, "sent", sent, plotkit.Palette[2], plotkit.Dotted, 1.2, nil); err != nil {
				return nil, err
			}
		}
		if err := plotkit.AddLine(p, seriesName(runs, i, "target"), target, cTgt, plotkit.Dashed, 1.5, nil); err != nil {
			return nil, err
		}
		if err := plotkit.AddLine(p, seriesName(runs, i, "achieved (acked)"), achieved, cAch, plotkit.Solid, 1.5, nil); err != nil {
			return nil, err
		}
	}
	return finishTimePlot(p, runs, single, empty, yMax)
}

// recordsBins returns integer-aligned bins covering every run's recorded
// records per batch: lo, bin width and count (0 bins when nothing was
// recorded).
func recordsBins(hs []*hdrhistogram.Histogram) (lo, width int64, n int) {
	lo, hi := int64(math.MaxInt64), int64(-1)
	for _, h := range hs {
		if h.TotalCount() == 0 {
			continue
		}
		lo = min(lo, h.Min())
		hi = max(hi, h.Max())
	}
	if hi < 0 {
		return 0, 1, 0
	}
	span := hi - lo + 1
	width = max(1, (span+maxRecordsBinsNum-1)/maxRecordsBinsNum)
	return lo, width, int((span + width - 1) / width)
}

// binPercents returns the percentage of h's batches in each of n bins of
// width starting at lo.
func binPercents(h *hdrhistogram.Histogram, lo, width int64, n int) []float64 {
	out := make([]float64, n)
	total := float64(h.TotalCount())
	if total == 0 {
		return out
	}
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		k := min(max(int((bar.From-lo)/width), 0), n-1)
		out[k] += float64(bar.Count) / total * 100
	}
	return out
}

// batchRecordsPlot draws the distribution of records per batch: bars for
// one run, step lines for a comparison.
func batchRecordsPlot(runs []plotRun) (*plot.Plot, error) {
	p := plotkit.New("Records per batch: "+subject(runs), "records per batch", "% of batches")
	p.Legend.Left = false
	hs := make([]*hdrhistogram.Histogram, len(runs))
	for i, r := range runs {
		h, err := decode(r.res, "records-per-batch histogram", r.res.Batches.RecordsPerBatch.Histogram)
		if err != nil {
			return nil, err
		}
		hs[i] = h
	}
	lo, width, n := recordsBins(hs)
	for i, h := range hs {
		if h.TotalCount() == 0 {
			continue
		}
		pct := binPercents(h, lo, width, n)
		c := plotkit.Palette[i%len(plotkit.Palette)]
		if len(runs) == 1 {
			bins := make([]plotter.HistogramBin, n)
			for k := range bins {
				from := float64(lo + int64(k)*width)
				bins[k] = plotter.HistogramBin{Min: from - 0.5, Max: from + float64(width) - 0.5, Weight: pct[k]}
			}
			hist := &plotter.Histogram{Bins: bins, Width: float64(width), FillColor: c}
			hist.LineStyle = draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}
			p.Add(hist)
			continue
		}
		pts := make(plotter.XYs, 0, n+1)
		for k := range n {
			pts = append(pts, plotter.XY{X: float64(lo+int64(k)*width) - 0.5, Y: pct[k]})
		}
		pts = append(pts, plotter.XY{X: float64(lo+int64(n)*width) - 0.5, Y: pct[n-1]})
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("report: plot %q: %w", p.Title.Text, err)
		}
		l.StepStyle = plotter.PostStep
		l.Color = c
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(runs[i].label, l)
	}
	finishPlot(p, n == 0, legendRoom)
	return p, nil
}

// compressionPlot draws the compression ratio per interval (and, for one
// run, the whole run's).
func compressionPlot(runs []plotRun) (*plot.Plot, error) {
	p := plotkit.New("Compression ratio: "+subject(runs), "time since start (s)", "uncompressed record bytes / wire bytes")
	empty := true
	for i, r := range runs {
		var pts plotter.XYs
		for _, row := range r.res.Intervals {
			if row.Batches > 0 && row.BatchWireBytes > 0 {
				pts = append(pts, plotter.XY{X: seconds(row), Y: finite(row.CompressionRatio)})
			}
		}
		if len(pts) == 0 {
			continue
		}
		empty = false
		c := plotkit.Palette[i%len(plotkit.Palette)]
		if err := plotkit.AddLine(p, seriesName(runs, i, "per interval"), pts, c, plotkit.Solid, 1.5, nil); err != nil {
			return nil, err
		}
		if whole := finite(r.res.Batches.CompressionRatio); len(runs) == 1 && whole > 0 {
			line := plotter.XYs{{X: pts[0].X, Y: whole}, {X: pts[len(pts)-1].X, Y: whole}}
			if err := plotkit.AddLine(p, fmt.Sprintf("whole run (%.3f)", whole), line, plotkit.Palette[3], plotkit.Dashed, 1.2, nil); err != nil {
				return nil, err
			}
		}
	}
	finishPlot(p, empty, legendRoom)
	p.X.Min = 0
	return p, nil
}

// finishTimePlot finishes a plot over time: the end-of-warmup line of a
// single run, the legend room and the x axis from 0.
func finishTimePlot(p *plot.Plot, runs []plotRun, single, empty bool, yMax float64) (*plot.Plot, error) {
	if single {
		if err := warmupLine(p, runs[0].res, yMax); err != nil {
			return nil, err
		}
		if err := faultMarks(p, runs[0].res, yMax); err != nil {
			return nil, err
		}
	}
	finishPlot(p, empty, legendRoom)
	p.X.Min = 0
	return p, nil
}
