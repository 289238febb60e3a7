package report

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/report/plotkit"
)

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
