package report

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/prodbench/prodbench/report/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Plot grid: points per decade of 1/(1-q) and the most nines plotted.
const (
	plotStepsPerDecade = 24
	plotMaxNines       = 9
	plotMinNines       = 5 // x axis always reaches 99.999%
)

// PlotLatency renders the percentile spectrum of res (latency and, when
// recorded, service time) to path as a PNG of 768x480 pixels, written
// atomically (temp file in path's directory, then rename). The histograms
// are decoded from res, so a stored result.json can be re-rendered. The x
// axis is the percentile on a log "nines" scale, x = 1/(1-q), ticked 0%,
// 90%, 99%, 99.9%, …; the y axis is in ms (linear, from 0). An empty
// histogram gives an empty plot marked "no data". It fails on a nil res, an
// undecodable histogram or a write error.
func PlotLatency(path string, res *Result) error {
	b, err := renderLatencyPNG(res)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// renderLatencyPNG returns the percentile spectrum PNG of res.
func renderLatencyPNG(res *Result) ([]byte, error) {
	if res == nil {
		return nil, errors.New("report: nil result")
	}
	p, err := spectrumPlot([]plotRun{{res: res}})
	if err != nil {
		return nil, err
	}
	return renderFormat(p, "png")
}

// renderFormat renders p as "png" or "svg" at the plotkit size.
func renderFormat(p *plot.Plot, format string) ([]byte, error) {
	render := plotkit.PNG
	if format == "svg" {
		render = plotkit.SVG
	}
	b, err := render(p.Draw)
	if err != nil {
		return nil, fmt.Errorf("report: plot %q: %w", p.Title.Text, err)
	}
	return b, nil
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
