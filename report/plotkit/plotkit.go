// Package plotkit holds the plot helpers shared by package report (single
// runs and comparisons) and package report/sweep (sweeps and capacity
// searches): the figure size, the tab10 colour cycle, dash patterns, a
// plot with the house style, lines and scatters, a "nice" axis ticker and
// rendering to PNG and SVG. It is built on gonum.org/v1/plot.
package plotkit

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Width and Height are the size of every figure: 8 x 5 inches, i.e.
// 768 x 480 pixels at the PNG canvas's 96 DPI.
const (
	Width  = 8 * vg.Inch
	Height = 5 * vg.Inch
)

// Palette is the tab10 colour cycle (matplotlib's default); series i of a
// comparison is Palette[i%len(Palette)].
var Palette = []color.Color{
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

// Line dash patterns: Solid (nil), Dashed (6 pt on, 3 off) and Dotted
// (1.5 on, 2 off).
var (
	Solid  []vg.Length
	Dashed = []vg.Length{vg.Points(6), vg.Points(3)}
	Dotted = []vg.Length{vg.Points(1.5), vg.Points(2)}
)

// New returns a plot with title, axis labels, a light grid, the legend at
// the top left and NiceTicker on both axes.
func New(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 210}
	g.Horizontal.Color = color.Gray{Y: 210}
	p.Add(g)
	p.Legend.Top = true
	p.Legend.Left = true
	p.X.Tick.Marker = NiceTicker{}
	p.Y.Tick.Marker = NiceTicker{}
	return p
}

// AddLine adds pts to p as a line of colour c, dash pattern dash and width
// in points, with glyph drawn at each point when glyph is not nil, named
// in the legend when name is not empty. Empty pts add nothing. It fails on
// non-finite coordinates, naming the plot.
func AddLine(p *plot.Plot, name string, pts plotter.XYs, c color.Color, dash []vg.Length, width float64, glyph draw.GlyphDrawer) error {
	if len(pts) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return fmt.Errorf("plot %q: %w", p.Title.Text, err)
	}
	l.Color, l.Dashes, l.Width = c, dash, vg.Points(width)
	p.Add(l)
	thumbs := []plot.Thumbnailer{l}
	if glyph != nil {
		s.Color, s.Shape, s.Radius = c, glyph, vg.Points(3)
		p.Add(s)
		thumbs = append(thumbs, s)
	}
	if name != "" {
		p.Legend.Add(name, thumbs...)
	}
	return nil
}

// AddScatter adds pts to p as points of shape, colour c and radius in
// points, named in the legend when name is not empty. Empty pts add
// nothing. It fails on non-finite coordinates, naming the plot.
func AddScatter(p *plot.Plot, name string, pts plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius float64) error {
	if len(pts) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("plot %q: %w", p.Title.Text, err)
	}
	s.Color, s.Shape, s.Radius = c, shape, vg.Points(radius)
	p.Add(s)
	if name != "" {
		p.Legend.Add(name, s)
	}
	return nil
}

// PNG renders draw at Width x Height on a white background as a PNG (96
// DPI, fastest deflate: rendering dominates the cost of a report, the
// files are only a few percent larger).
func PNG(drawFn func(draw.Canvas)) ([]byte, error) {
	img := vgimg.New(Width, Height)
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	drawFn(dc)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img.Image()); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG renders draw at Width x Height as an SVG document.
func SVG(drawFn func(draw.Canvas)) ([]byte, error) {
	c := vgsvg.New(Width, Height)
	drawFn(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode svg: %w", err)
	}
	return buf.Bytes(), nil
}

// Render renders draw as PNG and, with svg, SVG (nil otherwise); name
// prefixes the errors.
func Render(name string, drawFn func(draw.Canvas), svg bool) (pngData, svgData []byte, err error) {
	if pngData, err = PNG(drawFn); err != nil {
		return nil, nil, fmt.Errorf("plot %s: %w", name, err)
	}
	if !svg {
		return pngData, nil, nil
	}
	if svgData, err = SVG(drawFn); err != nil {
		return nil, nil, fmt.Errorf("plot %s: %w", name, err)
	}
	return pngData, svgData, nil
}

// NiceTicker places at most seven major ticks on "nice" values (1, 2 or 5
// times a power of ten), labelled with just enough decimals, and four
// minor ticks between them. gonum's default ticker labels large ranges
// poorly (0.00 and 25000.00 only).
type NiceTicker struct{}

// Ticks implements plot.Ticker.
func (NiceTicker) Ticks(lo, hi float64) []plot.Tick {
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
