package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Size of latency.png: 8 x 5 inches at the PNG canvas's 96 DPI, i.e.
// 768 x 480 pixels.
const (
	plotWidth  = 8 * vg.Inch
	plotHeight = 5 * vg.Inch
)

// Plot grid: points per decade of 1/(1-q) and the most nines plotted.
const (
	plotStepsPerDecade = 24
	plotMaxNines       = 9
	plotMinNines       = 5 // x axis always reaches 99.999%
)

// PlotLatency renders the latency percentile spectrum of res to path as a
// PNG of 768x480 pixels, written atomically (temp file in path's directory,
// then rename). The histogram is decoded from res.Latency.Histogram, so a
// stored result.json can be re-rendered. The x axis is the percentile on a
// log "nines" scale, x = 1/(1-q), ticked 0%, 90%, 99%, 99.9%, …; the y axis
// is latency in ms (linear, from 0). An empty histogram gives an empty plot
// marked "no data". It fails on a nil res, an undecodable histogram or a
// write error.
func PlotLatency(path string, res *Result) error {
	b, err := renderLatencyPNG(res)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// renderLatencyPNG returns the percentile spectrum PNG of res.
func renderLatencyPNG(res *Result) ([]byte, error) {
	if res == nil {
		return nil, errors.New("report: nil result")
	}
	h, err := DecodeHistogram(res.Latency.Histogram)
	if err != nil {
		return nil, err
	}

	pts := spectrum(h.TotalCount(), func(pct float64) int64 { return h.ValueAtQuantile(pct) })

	p := plot.New()
	name := res.Scenario.Name
	if name == "" {
		name = "unnamed scenario"
	}
	p.Title.Text = "Latency percentile spectrum: " + name
	if res.Status == StatusInterrupted {
		p.Title.Text += " (INTERRUPTED)"
	}
	if len(pts) == 0 {
		p.Title.Text += " (no data)"
	}
	p.X.Label.Text = "percentile (log scale of 1/(1-q))"
	p.Y.Label.Text = "latency, intended send -> ack (ms)"

	maxX, maxY := 1.0, 0.0
	for _, pt := range pts {
		maxX = math.Max(maxX, pt.X)
		maxY = math.Max(maxY, pt.Y)
	}
	nines := max(plotMinNines, int(math.Ceil(math.Log10(maxX)-1e-9)))
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = 1, math.Pow10(nines)
	p.X.Tick.Marker = ninesTicks(nines)
	p.Y.Min = 0
	p.Y.Max = maxY * 1.05
	if !(p.Y.Max > 0) {
		p.Y.Max = 1
	}

	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 210}
	grid.Horizontal.Color = color.Gray{Y: 210}
	p.Add(grid)
	if len(pts) > 0 {
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("report: plot: %w", err)
		}
		line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
		line.Width = vg.Points(1.5)
		p.Add(line)
		// plot.Add widened the axes to the data; restore the fixed range.
		p.X.Min, p.X.Max = 1, math.Pow10(nines)
		p.Y.Min = 0
	}

	wt, err := p.WriterTo(plotWidth, plotHeight, "png")
	if err != nil {
		return nil, fmt.Errorf("report: plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: plot: %w", err)
	}
	return buf.Bytes(), nil
}

// spectrum returns the points (x = 1/(1-q), y = latency in ms) of a
// percentile spectrum of count values, where valueAt returns the value in ns
// at a percentile in [0, 100]. x runs on a log grid from 1 (q = 0) to count
// (the last value, q = 1-1/count), capped at plotMaxNines nines; q = 1 (100%)
// is never plotted. Points with x <= 0 or non-finite coordinates are dropped.
func spectrum(count int64, valueAt func(pct float64) int64) plotter.XYs {
	if count <= 0 {
		return nil
	}
	maxX := math.Min(float64(count), math.Pow10(plotMaxNines))
	var pts plotter.XYs
	add := func(x float64) {
		q := 1 - 1/x
		if !(x >= 1) || !(q < 1) || math.IsInf(x, 0) {
			return
		}
		y := float64(valueAt(q*100)) / 1e6
		if math.IsNaN(y) || math.IsInf(y, 0) || y < 0 {
			return
		}
		pts = append(pts, plotter.XY{X: x, Y: y})
	}
	for i := 0; ; i++ {
		x := math.Pow(10, float64(i)/plotStepsPerDecade)
		if x >= maxX {
			break
		}
		add(x)
	}
	add(maxX)
	return pts
}

// ninesTicks returns x-axis ticks for a nines axis up to 10^nines: major
// ticks at 10^k labelled 0%, 90%, 99%, 99.9%, …, and unlabelled minor ticks
// between them.
func ninesTicks(nines int) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for k := 0; k <= nines; k++ {
		base := math.Pow10(k)
		ticks = append(ticks, plot.Tick{Value: base, Label: ninesLabel(k)})
		if k == nines {
			break
		}
		for m := 2; m < 10; m++ {
			ticks = append(ticks, plot.Tick{Value: base * float64(m)})
		}
	}
	return ticks
}

// ninesLabel returns the percentile label of 1/(1-q) = 10^k: "0%", "90%",
// "99%", "99.9%", ….
func ninesLabel(k int) string {
	switch {
	case k <= 0:
		return "0%"
	case k == 1:
		return "90%"
	case k == 2:
		return "99%"
	default:
		return "99." + strings.Repeat("9", k-2) + "%"
	}
}
