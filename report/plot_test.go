package report

import (
	"bytes"
	"image"
	"image/png"
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
	tests := []struct {
		name string
		path string
		res  *Result
	}{
		// nothing to plot
		{"nil result", filepath.Join(dir, "a.png"), nil},
		// corrupt histogram
		{"bad histogram", filepath.Join(dir, "b.png"), bad},
		// directory does not exist
		{"missing dir", filepath.Join(dir, "nope", "c.png"), sampleResult(t)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := PlotLatency(tc.path, tc.res); err == nil {
				t.Error("want an error")
			}
			if _, err := os.Stat(tc.path); err == nil {
				t.Error("file written despite the error")
			}
		})
	}
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
