package report

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/report/plotkit"
)

func TestPlotLatency(t *testing.T) {
	t.Parallel()
	empty := sampleResult(t)
	empty.Latency = Latency{}
	tests := []struct {
		name string
		res  *Result
	}{
		// a run with a latency tail
		{"sample", sampleResult(t)},
		// no acked messages: an empty, labelled plot
		{"empty histogram", empty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "latency.png")
			if err := PlotLatency(path, tc.res); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds().Size(); got != (image.Point{768, 480}) {
				t.Errorf("size %v, want 768x480", got)
			}
			if colours(img) < 3 {
				t.Errorf("image has %d colours, want a drawing", colours(img))
			}
		})
	}
}

// colours counts distinct colours in img (up to 1000).
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	bnd := img.Bounds()
	for y := bnd.Min.Y; y < bnd.Max.Y; y += 2 {
		for x := bnd.Min.X; x < bnd.Max.X; x += 2 {
			r, g, b, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, b, a}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

func TestPlotLatencyErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := sampleResult(t)
	bad.Latency.Histogram = "not a histogram"
	checkRefusals(t, PlotLatency, []refusal{
		// nothing to plot
		{"nil result", filepath.Join(dir, "a.png"), nil},
		// corrupt histogram
		{"bad histogram", filepath.Join(dir, "b.png"), bad},
		// directory does not exist
		{"missing dir", filepath.Join(dir, "nope", "c.png"), sampleResult(t)},
	}, func(t *testing.T, path string) {
		if _, err := os.Stat(path); err == nil {
			t.Error("file written despite the error")
		}
	})
}

func TestSpectrum(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	for i := int64(1); i <= 100000; i++ {
		_ = h.RecordValue(i * 1000) // 1 µs .. 100 ms
	}
	pts := spectrum(h.TotalCount(), h.ValueAtQuantile)
	if len(pts) < 50 {
		t.Fatalf("%d points, want a fine grid", len(pts))
	}
	if pts[0].X != 1 {
		t.Errorf("first x %v, want 1 (0%%)", pts[0].X)
	}
	if last := pts[len(pts)-1]; last.X != 100000 || math.Abs(last.Y-100) > 0.1 {
		t.Errorf("last point %v, want x=count=1e5 (q=1-1/count), y≈100 ms", last)
	}
	for i, p := range pts {
		if !(p.X >= 1) || math.IsInf(p.X, 0) || !(p.Y > 0) {
			t.Errorf("point %d = %v: x must be ≥ 1 and finite, y > 0", i, p)
		}
		if i > 0 && (p.X <= pts[i-1].X || p.Y < pts[i-1].Y) {
			t.Errorf("point %d = %v after %v: want increasing x, non-decreasing y", i, p, pts[i-1])
		}
	}
	// At x = 100 (q = 99%) the value is the 99th percentile, 99 ms.
	for _, p := range pts {
		if math.Abs(p.X-100) < 1e-9 && math.Abs(p.Y-99) > 0.1 {
			t.Errorf("y at 99%% = %v ms, want 99", p.Y)
		}
	}
	if got := spectrum(0, h.ValueAtQuantile); got != nil {
		t.Errorf("empty spectrum = %v, want nil", got)
	}
	if got := spectrum(1, func(float64) int64 { return 5e6 }); len(got) != 1 || got[0].X != 1 || got[0].Y != 5 {
		t.Errorf("one-value spectrum = %v, want one point (1, 5 ms)", got)
	}
}

func TestNinesTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k    int
		want string
	}{
		{0, "0%"},      // x = 1
		{1, "90%"},     // x = 10
		{2, "99%"},     // x = 100
		{3, "99.9%"},   // x = 1e3
		{5, "99.999%"}, // x = 1e5
		{-1, "0%"},     // out of range
	}
	for _, tc := range tests {
		if got := ninesLabel(tc.k); got != tc.want {
			t.Errorf("ninesLabel(%d) = %q, want %q", tc.k, got, tc.want)
		}
	}
	ticks := ninesTicks(5)
	var labelled []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labelled = append(labelled, tk.Label)
		}
	}
	want := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"}
	if len(labelled) != len(want) {
		t.Fatalf("labels %v, want %v", labelled, want)
	}
	for i := range want {
		if labelled[i] != want[i] {
			t.Errorf("labels %v, want %v", labelled, want)
		}
	}
	if last := ticks[len(ticks)-1]; last.Value != 1e5 {
		t.Errorf("last tick at %v, want 1e5", last.Value)
	}
}

func TestNiceTicker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi float64
		labels []string
	}{
		{0, 26000, []string{"0", "5000", "10000", "15000", "20000", "25000"}}, // throughput range
		{0, 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},                // "no data" range
		{0, 3.5, []string{"0", "0.5", "1", "1.5", "2", "2.5", "3", "3.5"}},    // a compression ratio
		{1.2, 9.9, []string{"2", "4", "6", "8"}},                              // not starting at a tick
		{5, 5, []string{"5"}},                                                 // empty range
	}
	for _, tc := range tests {
		var labels []string
		for _, tk := range (plotkit.NiceTicker{}).Ticks(tc.lo, tc.hi) {
			if tk.Value < tc.lo-1e-9 || tk.Value > tc.hi+1e-9 {
				t.Errorf("[%v, %v]: tick %v outside the range", tc.lo, tc.hi, tk.Value)
			}
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if strings.Join(labels, " ") != strings.Join(tc.labels, " ") {
			t.Errorf("[%v, %v]: labels %v, want %v", tc.lo, tc.hi, labels, tc.labels)
		}
	}
}

// ink counts the pixels of img whose colour is within a small distance of
// one of cs (anti-aliasing blends line edges).
func ink(img image.Image, cs []color.Color) int {
	type rgb struct{ r, g, b int }
	want := make([]rgb, len(cs))
	for i, c := range cs {
		r, g, b, _ := c.RGBA()
		want[i] = rgb{int(r >> 8), int(g >> 8), int(b >> 8)}
	}
	near := func(r, g, b int) bool {
		for _, w := range want {
			if abs(r-w.r)+abs(g-w.g)+abs(b-w.b) < 40 {
				return true
			}
		}
		return false
	}
	n := 0
	var pix []uint8
	switch m := img.(type) {
	case *image.RGBA:
		pix = m.Pix
	case *image.NRGBA:
		pix = m.Pix
	}
	if pix != nil { // fast path: the PNGs decode to one of these
		for i := 0; i+3 < len(pix); i += 4 {
			if near(int(pix[i]), int(pix[i+1]), int(pix[i+2])) {
				n++
			}
		}
		return n
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(int(r>>8), int(g>>8), int(bl>>8)) {
				n++
			}
		}
	}
	return n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestRenderPlots(t *testing.T) {
	t.Parallel()
	vs := variants(t)
	empty := &Result{Scenario: Scenario{Name: "empty"}}
	tests := []struct {
		name   string
		runs   []plotRun
		prefix string
		noData map[string]bool // plots that must say "no data"
	}{
		// a full run: every plot has data
		{"run", []plotRun{{res: vs["complete"]}}, "", nil},
		// schema 1: no batch histogram, no per-interval compression
		{"v1", []plotRun{{res: vs["v1"]}}, "", map[string]bool{plotBatchRecords: true, plotCompression: true}},
		// nothing recorded at all
		{"empty", []plotRun{{res: empty}}, "", map[string]bool{plotSpectrum: true, plotLatencyTime: true, plotThroughput: true, plotBatchRecords: true, plotCompression: true}},
		// two runs overlaid
		{"compare", []plotRun{{"a", vs["complete"]}, {"b", vs["saturated"]}}, ComparePlotPrefix, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files, err := renderPlots(tc.runs, tc.prefix, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(plotBuilders) {
				t.Fatalf("%d plots, want %d", len(files), len(plotBuilders))
			}
			for i, f := range files {
				b := plotBuilders[i]
				if f.Name != tc.prefix+b.name || f.Title == "" {
					t.Errorf("plot %d named %q titled %q", i, f.Name, f.Title)
				}
				img, err := png.Decode(bytes.NewReader(f.PNG))
				if err != nil {
					t.Fatalf("%s.png: %v", f.Name, err)
				}
				if got := img.Bounds().Size(); got != (image.Point{768, 480}) {
					t.Errorf("%s.png is %v, want 768x480", f.Name, got)
				}
				// A plot with data draws its series in the palette's
				// first colours; an empty one draws no series at all.
				ink := ink(img, plotkit.Palette[:4])
				if tc.noData[b.name] && ink > 50 {
					t.Errorf("%s.png: %d pixels of data ink on a no-data plot", f.Name, ink)
				}
				if !tc.noData[b.name] && ink < 200 {
					t.Errorf("%s.png: only %d pixels of data ink", f.Name, ink)
				}
				p, err := b.build(tc.runs)
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Contains(p.Title.Text, "(no data)"); got != tc.noData[b.name] {
					t.Errorf("%s title %q: no-data mark %v, want %v", f.Name, p.Title.Text, got, tc.noData[b.name])
				}
				checkSVG(t, f.Name, f.SVG)
			}
		})
	}
}

// checkSVG checks that b is well-formed XML with an <svg> root holding
// text (titles, labels) and paths.
func checkSVG(t *testing.T, name string, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var root string
	counts := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s.svg: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			counts[se.Name.Local]++
		}
	}
	if root != "svg" || counts["text"] < 5 || counts["path"] < 5 {
		t.Errorf("%s.svg: root %q, %d texts, %d paths", name, root, counts["text"], counts["path"])
	}
}

func TestPlotErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field func(*Result)
	}{
		// each encoded histogram a plot decodes
		{"latency", func(r *Result) { r.Latency.Histogram = "@@" }},
		{"service", func(r *Result) { r.ServiceTime.Histogram = "@@" }},
		{"records per batch", func(r *Result) { r.Batches.RecordsPerBatch.Histogram = "@@" }},
	}
	for _, tc := range tests {
		res := sampleResult(t)
		tc.field(res)
		var err error
		for _, b := range plotBuilders { // the builders decode; rendering is not needed
			if _, err = b.build([]plotRun{{res: res}}); err != nil {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), "steady-1k") {
			t.Errorf("%s: %v, want an error naming the scenario", tc.name, err)
		}
	}
}
