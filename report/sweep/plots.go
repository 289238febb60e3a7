package sweep

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/prodbench/prodbench/report/plotkit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap layout.
const (
	barWidth  = 1.3 * vg.Inch // the colour bar beside a heatmap
	maxSlices = 6             // heatmaps / codec series drawn per sweep
)

// figure is one plot of a report: files Name+".png" and Name+".svg".
type figure struct {
	name, caption string
	draw          func(c draw.Canvas)
}

// renderFigures renders every figure as PNG and SVG.
func renderFigures(figs []figure) ([]namedFile, error) {
	var out []namedFile
	for _, f := range figs {
		pngData, svgData, err := plotkit.Render(f.name, f.draw, true)
		if err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
		out = append(out, namedFile{f.name + ".png", pngData}, namedFile{f.name + ".svg", svgData})
	}
	return out, nil
}

// addLabels writes labels next to pts.
func addLabels(p *plot.Plot, pts plotter.XYs, labels []string) error {
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
	if err != nil {
		return fmt.Errorf("sweep: plot %q: %w", p.Title.Text, err)
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(8)
		l.TextStyle[i].Color = color.Gray{Y: 60}
	}
	l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(2)}
	p.Add(l)
	return nil
}

// sweepFigures returns the sweep report's plots: throughput against
// latency; linger × batch-size heatmaps of latency, throughput and
// records per batch (when both are swept, one set per combination of the
// other parameters, at most maxSlices); compression ratio and wire MB/s
// by codec (when compression is swept).
func sweepFigures(m *Manifest) ([]figure, error) {
	best, _ := m.Best()
	bestIdx := -1
	if best.Declared() {
		bestIdx = best.Index
	}
	scatter, err := throughputLatencyPlot(m, bestIdx)
	if err != nil {
		return nil, err
	}
	pn := "p" + PercentileName(m.SLO.RankPercentile())
	figs := []figure{{name: "sweep-throughput-latency",
		caption: "Throughput against " + pn + " latency, one dot per point (numbers as in the table); the SLO bound plotkit.Dashed",
		draw:    scatter.Draw}}
	if hasParam(m, ParamLinger) && hasParam(m, ParamBatchBytes) {
		hs := heatmapFigures(m, bestIdx)
		figs = append(figs, hs...)
	}
	if hasParam(m, ParamCompression) {
		cf, err := codecFigures(m)
		if err != nil {
			return nil, err
		}
		figs = append(figs, cf...)
	}
	return figs, nil
}

// hasParam reports whether the sweep varies path.
func hasParam(m *Manifest, path string) bool {
	for _, p := range m.Params {
		if p.Path == path {
			return true
		}
	}
	return false
}

// throughputLatencyPlot draws each completed point at (latency at the
// rank percentile, throughput): passing points as dots, failing ones as
// crosses, the best as a large ring; the SLO bound as a vertical line.
func throughputLatencyPlot(m *Manifest, bestIdx int) (*plot.Plot, error) {
	pn := "p" + PercentileName(m.SLO.RankPercentile())
	p := plotkit.New("Throughput vs "+pn+" latency: "+orDash(m.Scenario), pn+" latency, intended send -> ack (ms)", "achieved throughput (msg/s, acked)")
	var pass, fail, best, all plotter.XYs
	var labels []string
	minX, maxX, maxY := math.Inf(1), 0.0, 0.0
	for i := range m.Points {
		pt := &m.Points[i]
		if !pt.Done() {
			continue
		}
		ev := pt.Evaluation
		xy := plotter.XY{X: math.Max(float64(ev.RankLatencyNs)/1e6, 1e-3), Y: ev.Metrics.MsgsPerSec}
		minX, maxX, maxY = math.Min(minX, xy.X), math.Max(maxX, xy.X), math.Max(maxY, xy.Y)
		all = append(all, xy)
		labels = append(labels, "#"+strconv.Itoa(pt.Index))
		if ev.Pass {
			pass = append(pass, xy)
		} else {
			fail = append(fail, xy)
		}
		if pt.Index == bestIdx {
			best = append(best, xy)
		}
	}
	if err := plotkit.AddScatter(p, "best", best, plotkit.Palette[2], draw.CircleGlyph{}, 9); err != nil {
		return nil, err
	}
	if err := plotkit.AddScatter(p, "meets the SLO", pass, plotkit.Palette[0], draw.CircleGlyph{}, 4); err != nil {
		return nil, err
	}
	if err := plotkit.AddScatter(p, "misses the SLO", fail, plotkit.Palette[3], draw.CrossGlyph{}, 5); err != nil {
		return nil, err
	}
	if err := addLabels(p, all, labels); err != nil {
		return nil, err
	}
	const headroom = 1.6 // room for the legend above the points
	if bound := m.SLO.bound(m.SLO.RankPercentile()); bound > 0 {
		x := float64(bound) / 1e6
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		top := math.Max(maxY, 1) * headroom
		if err := plotkit.AddLine(p, "SLO: "+pn+" <= "+msString(bound)+" ms", plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}}, plotkit.Palette[3], plotkit.Dashed, 1.5, nil); err != nil {
			return nil, err
		}
	}
	if len(all) == 0 {
		p.Title.Text += " (no data)"
	}
	p.Y.Min, p.Y.Max = 0, math.Max(maxY*headroom, 1)
	if len(all) > 0 && maxX/minX >= 10 {
		// Latencies spanning a decade or more: a log axis keeps the fast
		// points apart.
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Label.Text += ", log scale"
		p.X.Min, p.X.Max = minX/1.3, maxX*1.5
		return p, nil
	}
	p.X.Min = 0
	p.X.Max = math.Max(maxX*1.12, 1e-3)
	return p, nil
}

// grid is one heatmap's data: values by [y][x] (NaN: no data), with marks.
type grid struct {
	xs, ys []string
	vals   [][]float64
	text   [][]string
	fail   [][]bool
	best   [][]bool
}

func newGrid(xs, ys []string) *grid {
	g := &grid{xs: xs, ys: ys}
	for range ys {
		v := make([]float64, len(xs))
		for i := range v {
			v[i] = math.NaN()
		}
		g.vals = append(g.vals, v)
		g.text = append(g.text, make([]string, len(xs)))
		g.fail = append(g.fail, make([]bool, len(xs)))
		g.best = append(g.best, make([]bool, len(xs)))
	}
	return g
}

// rangeOf returns the smallest and largest value of g (0, 1 when empty).
func (g *grid) rangeOf() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range g.vals {
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 1
	}
	if !(hi > lo) {
		pad := math.Max(math.Abs(lo)*0.01, 1e-9)
		lo, hi = lo-pad, hi+pad
	}
	return lo, hi
}

// cells is a plot.Plotter drawing a grid as coloured cells with their
// values written in, at integer coordinates. With log, the colour map
// spans log10 of the values.
type cells struct {
	g    *grid
	cmap palette.ColorMap
	log  bool
}

// Plot implements plot.Plotter.
func (h *cells) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	style := text.Style{
		Font:    font.From(plotter.DefaultFont, vg.Points(10)),
		Handler: plot.DefaultTextHandler,
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
	}
	for y, row := range h.g.vals {
		for x, v := range row {
			r := vg.Rectangle{
				Min: vg.Point{X: trX(float64(x) - 0.5), Y: trY(float64(y) - 0.5)},
				Max: vg.Point{X: trX(float64(x) + 0.5), Y: trY(float64(y) + 0.5)},
			}
			var fill color.Color = color.Gray{Y: 225}
			if !math.IsNaN(v) {
				if h.log {
					v = math.Log10(v)
				}
				cv := math.Min(math.Max(v, h.cmap.Min()), h.cmap.Max())
				if col, err := h.cmap.At(cv); err == nil {
					fill = col
				}
			}
			c.SetColor(fill)
			c.Fill(r.Path())
			c.SetLineStyle(draw.LineStyle{Color: color.White, Width: vg.Points(1.5)})
			c.Stroke(r.Path())
			if h.g.best[y][x] {
				in := vg.Points(2.5)
				br := vg.Rectangle{Min: vg.Point{X: r.Min.X + in, Y: r.Min.Y + in}, Max: vg.Point{X: r.Max.X - in, Y: r.Max.Y - in}}
				c.SetLineStyle(draw.LineStyle{Color: textColor(fill), Width: vg.Points(3)})
				c.Stroke(br.Path())
			}
			txt := h.g.text[y][x]
			if math.IsNaN(v) {
				txt = "no data"
			}
			switch {
			case h.g.best[y][x]:
				txt += "\nbest"
			case h.g.fail[y][x]:
				txt += "\nmisses SLO"
			}
			style.Color = textColor(fill)
			c.FillText(style, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}, txt)
		}
	}
}

// DataRange implements plot.DataRanger.
func (h *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(h.g.xs)) - 0.5, -0.5, float64(len(h.g.ys)) - 0.5
}

// viridis returns a viridis-like sequential colour map (dark purple to
// yellow, luminance increasing), or SmoothBlueRed should it fail.
func viridis() palette.ColorMap {
	cm, err := moreland.NewLuminance([]color.Color{
		color.RGBA{R: 0x44, G: 0x01, B: 0x54, A: 255},
		color.RGBA{R: 0x3b, G: 0x52, B: 0x8b, A: 255},
		color.RGBA{R: 0x21, G: 0x91, B: 0x8c, A: 255},
		color.RGBA{R: 0x5e, G: 0xc9, B: 0x62, A: 255},
		color.RGBA{R: 0xfd, G: 0xe7, B: 0x25, A: 255},
	})
	if err != nil {
		return moreland.SmoothBlueRed()
	}
	return cm
}

// textColor returns black or white, whichever reads better on bg.
func textColor(bg color.Color) color.Color {
	r, g, b, _ := bg.RGBA()
	lum := 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
	if lum/65535 < 0.5 {
		return color.White
	}
	return color.Black
}

// categoryTicks labels integer positions 0 … n-1 with labels.
func categoryTicks(labels []string) plot.ConstantTicks {
	t := make(plot.ConstantTicks, len(labels))
	for i, l := range labels {
		t[i] = plot.Tick{Value: float64(i), Label: l}
	}
	return t
}

// heatmapScale sets cmap's range to g's values: log10 of them when log,
// and at least minSpan (relative to the largest value) wide otherwise, so
// that noise among near-equal values is not painted as a difference.
func heatmapScale(g *grid, cmap palette.ColorMap, log bool, minSpan float64) {
	lo, hi := g.rangeOf()
	if log {
		lo, hi = math.Log10(lo), math.Log10(hi)
	} else if span := minSpan * math.Abs(hi); hi-lo < span {
		lo = hi - span
	}
	cmap.SetMin(lo)
	cmap.SetMax(hi)
}

// logScaled reports whether g's values are all positive and span at least
// a factor of 10: then its colours follow their logarithm.
func logScaled(g *grid) bool {
	lo, hi := g.rangeOf()
	return lo > 0 && hi/lo >= 10
}

// logValueTicks labels a log10 axis with the values 1, 2 and 5 times a
// power of ten.
type logValueTicks struct{}

// Ticks implements plot.Ticker.
func (logValueTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(lo) - 1; e <= math.Ceil(hi); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if l := math.Log10(v); l >= lo-1e-9 && l <= hi+1e-9 {
				ticks = append(ticks, plot.Tick{Value: l, Label: strconv.FormatFloat(v, 'g', 4, 64)})
			}
		}
	}
	if len(ticks) < 2 {
		return plotkit.NiceTicker{}.Ticks(lo, hi)
	}
	return ticks
}

// heatmapDraw returns a figure drawer: the grid with its axes, and a
// colour bar of unit on the right (log10-scaled with log).
func heatmapDraw(title, xLabel, yLabel, unit string, g *grid, cmap palette.ColorMap, log bool) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
		p.Add(&cells{g: g, cmap: cmap, log: log})
		p.X.Tick.Marker, p.Y.Tick.Marker = categoryTicks(g.xs), categoryTicks(g.ys)
		p.X.Min, p.X.Max = -0.5, float64(len(g.xs))-0.5
		p.Y.Min, p.Y.Max = -0.5, float64(len(g.ys))-0.5
		p.Draw(draw.Crop(dc, 0, -barWidth, 0, 0))

		bar := plot.New()
		bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
		bar.HideX()
		bar.Y.Label.Text = unit
		bar.Y.Tick.Marker = plotkit.NiceTicker{}
		if log {
			bar.Y.Tick.Marker = logValueTicks{}
			bar.Y.Label.Text = unit + ", log scale"
		}
		bar.X.Padding, bar.Y.Padding = 0, 0
		w := dc.Max.X - dc.Min.X
		bar.Draw(draw.Crop(dc, w-barWidth+vg.Points(10), -vg.Points(10), vg.Inch*0.55, -vg.Inch*0.45))
	}
}

// heatmapFigures returns the linger × batch-size heatmaps: latency at the
// rank percentile, throughput and mean records per batch, for each
// combination of the other parameters (at most maxSlices).
func heatmapFigures(m *Manifest, bestIdx int) []figure {
	var xs, ys []string
	var others []string
	for _, p := range m.Params {
		switch p.Path {
		case ParamLinger:
			xs = p.Values
		case ParamBatchBytes:
			ys = p.Values
		default:
			others = append(others, p.Path)
		}
	}
	type slice struct {
		key              string
		lat, tput, recs  *grid
		points, complete int
	}
	var slices []*slice
	byKey := map[string]*slice{}
	indexOf := func(vals []string, v string) int {
		for i, x := range vals {
			if x == v {
				return i
			}
		}
		return -1
	}
	for i := range m.Points {
		pt := &m.Points[i]
		key := otherKey(pt, others)
		s := byKey[key]
		if s == nil {
			s = &slice{key: key, lat: newGrid(xs, ys), tput: newGrid(xs, ys), recs: newGrid(xs, ys)}
			byKey[key] = s
			slices = append(slices, s)
		}
		s.points++
		x, y := indexOf(xs, pt.Value(ParamLinger)), indexOf(ys, pt.Value(ParamBatchBytes))
		if x < 0 || y < 0 || !pt.Done() {
			continue
		}
		s.complete++
		ev := pt.Evaluation
		for _, c := range []struct {
			g    *grid
			v    float64
			text string
		}{
			{s.lat, float64(ev.RankLatencyNs) / 1e6, msString(ev.RankLatencyNs) + " ms"},
			{s.tput, ev.Metrics.MsgsPerSec, rateString(ev.Metrics.MsgsPerSec)},
			{s.recs, ev.Metrics.MeanRecordsPerBatch, strconv.FormatFloat(ev.Metrics.MeanRecordsPerBatch, 'f', 1, 64)},
		} {
			c.g.vals[y][x], c.g.text[y][x] = c.v, c.text
			c.g.fail[y][x] = !ev.Pass
			c.g.best[y][x] = pt.Index == bestIdx
		}
	}
	if len(slices) > maxSlices {
		slices = slices[:maxSlices]
	}
	pn := "p" + PercentileName(m.SLO.RankPercentile())
	var figs []figure
	for k, s := range slices {
		suffix, where := "", ""
		if len(slices) > 1 {
			suffix = "-" + strconv.Itoa(k+1)
		}
		if s.key != "" {
			where = " (" + s.key + ")"
		}
		mk := func(name, what, unit, caption string, g *grid, cmap palette.ColorMap, minSpan float64) figure {
			log := logScaled(g)
			heatmapScale(g, cmap, log, minSpan)
			return figure{
				name:    name + suffix,
				caption: caption + where,
				draw:    heatmapDraw(what+" by linger x max_batch_bytes: "+orDash(m.Scenario)+where, "producer.linger", "producer.max_batch_bytes", unit, g, cmap, log),
			}
		}
		latMap := moreland.SmoothBlueRed()
		tputMap := moreland.SmoothBlueRed()
		figs = append(figs,
			mk("sweep-heatmap-latency", pn+" latency", pn+" latency (ms)", pn+" latency (ms) of each linger × max_batch_bytes point; red is slower", s.lat, latMap, 0),
			mk("sweep-heatmap-throughput", "Throughput", "msg/s (acked)", "Achieved throughput (msg/s) of each linger × max_batch_bytes point; red is lower (differences under 5% are not coloured)", s.tput, palette.Reverse(tputMap), 0.05),
			mk("sweep-heatmap-records", "Mean records per batch", "records per batch", "Mean records per batch of each linger × max_batch_bytes point; lighter is more", s.recs, viridis(), 0),
		)
	}
	return figs
}

// codecFigures returns bar charts of the compression ratio and wire MB/s
// by codec: one bar series per combination of the other parameters (at
// most maxSlices), or their mean when there are more.
func codecFigures(m *Manifest) ([]figure, error) {
	var codecs, others []string
	for _, p := range m.Params {
		if p.Path == ParamCompression {
			codecs = p.Values
		} else {
			others = append(others, p.Path)
		}
	}
	type series struct {
		key          string
		ratio, wire  []float64
		n            []int
		anyCompleted bool
	}
	var ss []*series
	byKey := map[string]*series{}
	for i := range m.Points {
		pt := &m.Points[i]
		key := otherKey(pt, others)
		s := byKey[key]
		if s == nil {
			s = &series{key: key, ratio: make([]float64, len(codecs)), wire: make([]float64, len(codecs)), n: make([]int, len(codecs))}
			byKey[key] = s
			ss = append(ss, s)
		}
		if !pt.Done() {
			continue
		}
		for k, c := range codecs {
			if pt.Value(ParamCompression) == c {
				s.ratio[k] += pt.Evaluation.Metrics.CompressionRatio
				s.wire[k] += pt.Evaluation.Metrics.WireMBPerSec
				s.n[k]++
				s.anyCompleted = true
			}
		}
	}
	if len(ss) > maxSlices {
		mean := &series{key: fmt.Sprintf("mean of %d settings", len(ss)), ratio: make([]float64, len(codecs)), wire: make([]float64, len(codecs)), n: make([]int, len(codecs))}
		for _, s := range ss {
			for k := range codecs {
				mean.ratio[k] += s.ratio[k]
				mean.wire[k] += s.wire[k]
				mean.n[k] += s.n[k]
			}
			mean.anyCompleted = mean.anyCompleted || s.anyCompleted
		}
		ss = []*series{mean}
	}
	build := func(title, yLabel string, get func(*series) []float64) (*plot.Plot, error) {
		p := plotkit.New(title, "producer.compression", yLabel)
		p.X.Tick.Marker = categoryTicks(codecs)
		w := vg.Points(math.Max(8, 60/float64(len(ss))))
		maxY := 0.0
		for i, s := range ss {
			vals := make(plotter.Values, len(codecs))
			for k := range codecs {
				if s.n[k] > 0 {
					vals[k] = get(s)[k] / float64(s.n[k])
					maxY = math.Max(maxY, vals[k])
				}
			}
			b, err := plotter.NewBarChart(vals, w)
			if err != nil {
				return nil, fmt.Errorf("sweep: plot %q: %w", title, err)
			}
			b.Color = plotkit.Palette[i%len(plotkit.Palette)]
			b.LineStyle.Width = 0
			b.Offset = w * vg.Length(float64(i)-float64(len(ss)-1)/2)
			p.Add(b)
			if s.key != "" {
				p.Legend.Add(s.key, b)
			}
		}
		p.X.Min, p.X.Max = -0.6, float64(len(codecs))-0.4
		p.Y.Min, p.Y.Max = 0, math.Max(maxY*1.3, 1e-3)
		return p, nil
	}
	ratio, err := build("Compression ratio by codec: "+orDash(m.Scenario), "uncompressed record bytes / wire bytes",
		func(s *series) []float64 { return s.ratio })
	if err != nil {
		return nil, err
	}
	wire, err := build("Wire throughput by codec: "+orDash(m.Scenario), "batch bytes on the wire (MB/s, MB = 10^6 B)",
		func(s *series) []float64 { return s.wire })
	if err != nil {
		return nil, err
	}
	return []figure{
		{name: "sweep-codec-ratio", caption: "Compression ratio (uncompressed record bytes / wire bytes) by codec", draw: ratio.Draw},
		{name: "sweep-codec-wire", caption: "Wire throughput (batch bytes on the wire, MB/s) by codec", draw: wire.Draw},
	}, nil
}

// capacityFigures returns the capacity report's plots: latency against
// offered load (p50 and the rank percentile, the SLO bound, the knee) and
// achieved against offered throughput.
func capacityFigures(c *Capacity) ([]figure, error) {
	steps := make([]*Step, 0, len(c.Steps))
	for i := range c.Steps {
		if c.Steps[i].Evaluation != nil && c.Steps[i].Evaluation.Limit != LimitIncomplete {
			steps = append(steps, &c.Steps[i])
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].RateMsgsPerSec < steps[j].RateMsgsPerSec })
	pn := "p" + PercentileName(c.SLO.RankPercentile())
	lat := plotkit.New("Latency vs offered load: "+orDash(c.Scenario), "offered load (msg/s, constant rate)", "latency, intended send -> ack (ms)")
	var p50, pr, fails plotter.XYs
	minY, maxY, maxX := math.Inf(1), 0.0, 0.0
	for _, s := range steps {
		x := s.RateMsgsPerSec
		a := math.Max(float64(s.Evaluation.Metrics.P50Ns)/1e6, 1e-3)
		b := math.Max(float64(s.Evaluation.RankLatencyNs)/1e6, 1e-3)
		p50 = append(p50, plotter.XY{X: x, Y: a})
		pr = append(pr, plotter.XY{X: x, Y: b})
		if !s.Pass() {
			fails = append(fails, plotter.XY{X: x, Y: b})
		}
		minY, maxY, maxX = math.Min(minY, a), math.Max(maxY, b), math.Max(maxX, x)
	}
	bound := float64(c.SLO.bound(c.SLO.RankPercentile())) / 1e6
	if bound > 0 {
		maxY = math.Max(maxY, bound)
		minY = math.Min(minY, bound)
	}
	logY := len(steps) > 0 && maxY/minY > 30
	if logY {
		lat.Y.Scale = plot.LogScale{}
		lat.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		lat.Y.Label.Text += ", log scale"
	}
	top := maxY * 1.4
	if logY {
		top = maxY * 3
	}
	bottom := 0.0
	if logY {
		bottom = minY / 1.5
	}
	if err := plotkit.AddLine(lat, pn, pr, plotkit.Palette[1], nil, 1.5, draw.CircleGlyph{}); err != nil {
		return nil, err
	}
	if err := plotkit.AddLine(lat, "p50", p50, plotkit.Palette[0], nil, 1.5, draw.CircleGlyph{}); err != nil {
		return nil, err
	}
	if err := plotkit.AddScatter(lat, "step missed the SLO", fails, plotkit.Palette[3], draw.CrossGlyph{}, 6); err != nil {
		return nil, err
	}
	xMax := math.Max(maxX*1.08, 1)
	if bound > 0 {
		if err := plotkit.AddLine(lat, "SLO: "+pn+" <= "+msString(int64(bound*1e6))+" ms", plotter.XYs{{X: 0, Y: bound}, {X: xMax, Y: bound}}, plotkit.Palette[3], plotkit.Dashed, 1.5, nil); err != nil {
			return nil, err
		}
	}
	if c.Found && c.KneeMsgsPerSec > 0 {
		if err := plotkit.AddLine(lat, "capacity "+rateString(c.KneeMsgsPerSec)+" msg/s", plotter.XYs{{X: c.KneeMsgsPerSec, Y: math.Max(bottom, 1e-3)}, {X: c.KneeMsgsPerSec, Y: top}}, plotkit.Palette[2], plotkit.Dotted, 1.5, nil); err != nil {
			return nil, err
		}
	}
	if len(steps) == 0 {
		lat.Title.Text += " (no data)"
	}
	lat.X.Min, lat.X.Max = 0, xMax
	if logY {
		lat.Y.Min, lat.Y.Max = bottom, top
	} else {
		lat.Y.Min, lat.Y.Max = 0, math.Max(top, 1e-3)
	}

	tp := plotkit.New("Achieved vs offered throughput: "+orDash(c.Scenario), "offered load (msg/s, constant rate)", "achieved throughput (msg/s, acked)")
	var got plotter.XYs
	tMax := 0.0
	for _, s := range steps {
		got = append(got, plotter.XY{X: s.RateMsgsPerSec, Y: s.Evaluation.Metrics.MsgsPerSec})
		tMax = math.Max(tMax, math.Max(s.RateMsgsPerSec, s.Evaluation.Metrics.MsgsPerSec))
	}
	if err := plotkit.AddLine(tp, "offered (y = x)", plotter.XYs{{X: 0, Y: 0}, {X: xMax, Y: xMax}}, color.Gray{Y: 140}, plotkit.Dashed, 1.5, nil); err != nil {
		return nil, err
	}
	if err := plotkit.AddLine(tp, "achieved (acked)", got, plotkit.Palette[0], nil, 1.5, draw.CircleGlyph{}); err != nil {
		return nil, err
	}
	if c.Found && c.KneeMsgsPerSec > 0 {
		if err := plotkit.AddLine(tp, "capacity "+rateString(c.KneeMsgsPerSec)+" msg/s", plotter.XYs{{X: c.KneeMsgsPerSec, Y: 0}, {X: c.KneeMsgsPerSec, Y: math.Max(tMax, 1) * 1.3}}, plotkit.Palette[2], plotkit.Dotted, 1.5, nil); err != nil {
			return nil, err
		}
	}
	tp.X.Min, tp.X.Max = 0, xMax
	tp.Y.Min, tp.Y.Max = 0, math.Max(tMax, 1)*1.3
	return []figure{
		{name: "capacity-latency", caption: "Latency against offered load: p50 and " + pn + " of each step, the SLO bound and the capacity found", draw: lat.Draw},
		{name: "capacity-throughput", caption: "Achieved (acked) against offered throughput of each step", draw: tp.Draw},
	}, nil
}

// otherKey names pt's values of the parameters others, "linger=5ms
// compression=lz4", to group points by them.
func otherKey(pt *Point, others []string) string {
	parts := make([]string, 0, len(others))
	for _, o := range others {
		parts = append(parts, shortPath(o)+"="+pt.Value(o))
	}
	return strings.Join(parts, " ")
}
