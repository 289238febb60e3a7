package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// palette is the tab10 colour cycle; run i of a comparison is palette[i%10].
var palette = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 255, G: 127, B: 14, A: 255},
	color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255},
	color.RGBA{R: 140, G: 86, B: 75, A: 255},
	color.RGBA{R: 227, G: 119, B: 194, A: 255},
	color.RGBA{R: 127, G: 127, B: 127, A: 255},
	color.RGBA{R: 188, G: 189, B: 34, A: 255},
	color.RGBA{R: 23, G: 190, B: 207, A: 255},
}

// Line dash patterns: solid, dashed, dotted.
var (
	solid  []vg.Length
	dashed = []vg.Length{vg.Points(6), vg.Points(3)}
	dotted = []vg.Length{vg.Points(1.5), vg.Points(2)}
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

// newPlot returns a plot with the package's title, axis labels and a light
// grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 210}
	grid.Horizontal.Color = color.Gray{Y: 210}
	p.Add(grid)
	p.Legend.Top = true
	p.Legend.Left = true
	p.X.Tick.Marker = niceTicker{}
	p.Y.Tick.Marker = niceTicker{}
	return p
}

// addLine adds pts to p as a line of colour c and dash pattern dash, named
// in the legend. An empty pts adds nothing.
func addLine(p *plot.Plot, name string, pts plotter.XYs, c color.Color, dash []vg.Length, width float64) error {
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("report: plot %q: %w", p.Title.Text, err)
	}
	l.Color = c
	l.Dashes = dash
	l.Width = vg.Points(width)
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// renderFormat renders p at the package size as "png" (96 DPI, fastest
// deflate: rendering dominates the cost of a report, the files are only a
// few percent larger) or "svg".
func renderFormat(p *plot.Plot, format string) ([]byte, error) {
	var buf bytes.Buffer
	if format == "png" {
		c := vgimg.New(plotWidth, plotHeight)
		p.Draw(draw.New(c))
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&buf, c.Image()); err != nil {
			return nil, fmt.Errorf("report: plot %q: %w", p.Title.Text, err)
		}
		return buf.Bytes(), nil
	}
	wt, err := p.WriterTo(plotWidth, plotHeight, format)
	if err != nil {
		return nil, fmt.Errorf("report: plot %q: %w", p.Title.Text, err)
	}
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: plot %q: %w", p.Title.Text, err)
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

// niceTicker places at most seven major ticks on "nice" values (1, 2 or 5
// times a power of ten), labelled with just enough decimals, and four minor
// ticks between them. gonum's default ticker labels large ranges poorly
// (0.00 and 25000.00 only).
type niceTicker struct{}

// Ticks implements plot.Ticker.
func (niceTicker) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	raw := (hi - lo) / 7
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	scale := math.Pow10(max(0, int(-math.Floor(math.Log10(step)+1e-9))))
	var ticks []plot.Tick
	minor := step / 5
	for i := math.Ceil(lo/minor - 1e-9); ; i++ {
		v := i*minor + 0 // + 0 turns -0 into 0
		if v > hi+minor*1e-6 {
			break
		}
		t := plot.Tick{Value: v}
		if k := v / step; math.Abs(k-math.Round(k)) < 1e-6 {
			t.Label = strconv.FormatFloat(math.Round(v*scale)/scale, 'f', -1, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
