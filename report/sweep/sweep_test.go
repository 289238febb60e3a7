package sweep

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// point returns a completed point with the given settings evaluated from
// spec against slo.
func point(t *testing.T, idx int, slo SLO, spec runSpec, settings ...Setting) Point {
	t.Helper()
	ev, err := Evaluate(result(t, spec), slo, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, s := range settings {
		labels = append(labels, s.Path+"="+s.Value)
	}
	return Point{Index: idx, Label: strings.Join(labels, ","), Settings: settings, Outcome: Outcome{Dir: "p", Status: StatusComplete, Evaluation: &ev}}
}

// fixedRate returns a linger × batch-size sweep at 1000 msg/s whose p99
// grows with linger; point 5 (linger 20ms, 64KiB) misses the 20 ms SLO
// and point 1 (0s, 64KiB) has the lowest p99.
func fixedRate(t *testing.T) *Manifest {
	slo := sloP99(20*time.Millisecond, 0.001)
	m := &Manifest{Scenario: "fixed", Mode: "product", SLO: slo, Params: []Param{
		{Path: ParamLinger, Values: []string{"0s", "5ms", "20ms"}},
		{Path: ParamBatchBytes, Values: []string{"2KiB", "64KiB"}},
	}}
	p99 := []float64{9, 4, 6, 11, 8, 30} // ms, by point
	rpb := []float64{1.6, 1.5, 9, 30, 9, 104}
	i := 0
	for _, l := range m.Params[0].Values {
		for _, b := range m.Params[1].Values {
			sent := int64(4000 - i) // throughputs within 0.2%: a tie
			m.Points = append(m.Points, point(t, i, slo, runSpec{target: 1000, sent: sent,
				latLo: ms(1), latHi: ms(p99[i] / 0.99), svcLo: ms(1), svcHi: ms(p99[i] / 0.99), lagHi: ms(0.2),
				batches: 100, recordsPerBatch: rpb[i], uncompr: 100_000, compressed: 99_000},
				Setting{ParamLinger, l}, Setting{ParamBatchBytes, b}))
			i++
		}
	}
	return m
}

func TestBestFixedRateTieGoesToLowerLatency(t *testing.T) {
	t.Parallel()
	m := fixedRate(t)
	c, why := m.Best()
	if c == nil {
		t.Fatalf("no best: %s", why)
	}
	if c.Index != 1 || c.RunnerUp != 2 || c.Eligible != 5 {
		t.Fatalf("best #%d runner-up #%d eligible %d, want #1, #2, 5", c.Index, c.RunnerUp, c.Eligible)
	}
	for _, want := range []string{"5 points carried the same load", "lowest p99", "against", "#2 (linger=5ms max_batch_bytes=2KiB)", "lower", "1 of 6 completed points missed"} {
		if !strings.Contains(c.Reason, want) {
			t.Errorf("reason %q does not say %q", c.Reason, want)
		}
	}
}

func TestBestByThroughput(t *testing.T) {
	t.Parallel()
	slo := sloP99(20*time.Millisecond, 0.001)
	m := &Manifest{Scenario: "rates", SLO: slo, Params: []Param{{Path: "rate.messages_per_second", Values: []string{"1000", "2000", "4000"}}}}
	// 1000 and 2000 msg/s pass; 4000 misses the SLO.
	for i, r := range []float64{1000, 2000, 4000} {
		hi := ms(10)
		if r == 4000 {
			hi = ms(50)
		}
		m.Points = append(m.Points, point(t, i, slo, runSpec{target: r, sent: int64(r * 4), latLo: ms(1), latHi: hi, svcLo: ms(1), svcHi: hi},
			Setting{"rate.messages_per_second", []string{"1000", "2000", "4000"}[i]}))
	}
	c, _ := m.Best()
	if c == nil || c.Index != 1 || c.RunnerUp != 0 {
		t.Fatalf("best %+v, want #1 over #0", c)
	}
	if !strings.Contains(c.Reason, "100.0% more than the runner-up #0") {
		t.Errorf("reason %q does not give the margin", c.Reason)
	}
	// None passes.
	tight := sloP99(time.Millisecond, 0)
	for i := range m.Points {
		ev, err := Evaluate(result(t, runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(10), svcLo: ms(1), svcHi: ms(10)}), tight, 4*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		m.Points[i].Evaluation = &ev
	}
	m.SLO = tight
	if c, why := m.Best(); c != nil || !strings.Contains(why, "none of the 3 completed points met the SLO") {
		t.Fatalf("best %+v (%q) with no passing point", c, why)
	}
	// Nothing done.
	for i := range m.Points {
		m.Points[i].Status, m.Points[i].Evaluation = StatusPending, nil
	}
	if c, why := m.Best(); c != nil || !strings.Contains(why, "no point has completed") {
		t.Fatalf("best %+v (%q) with nothing done", c, why)
	}
}

// decodePNG decodes b and checks it is a non-blank 768x480 image.
func decodePNG(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got := img.Bounds(); got.Dx() != 768 || got.Dy() != 480 {
		t.Fatalf("%s is %v, want 768x480", name, got)
	}
	colors := map[[3]uint32]bool{}
	for y := 0; y < 480; y += 4 {
		for x := 0; x < 768; x += 4 {
			r, g, b, _ := img.At(x, y).RGBA()
			colors[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
		}
	}
	if len(colors) < 5 {
		t.Fatalf("%s is nearly blank: %d colours", name, len(colors))
	}
}

// checkFiles checks that dir holds each name, PNGs decoding and SVGs
// looking like SVG.
func checkFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(n, ".png"):
			decodePNG(t, n, b)
		case strings.HasSuffix(n, ".svg"):
			if !bytes.Contains(b, []byte("<svg")) || len(b) < 1000 {
				t.Fatalf("%s is not an SVG plot (%d bytes)", n, len(b))
			}
		case len(b) == 0:
			t.Fatalf("%s is empty", n)
		}
	}
}

func TestWriteSweep(t *testing.T) {
	t.Parallel()
	m := fixedRate(t)
	m.Points = append(m.Points, Point{Index: 6, Label: "x", Settings: []Setting{{ParamLinger, "100ms"}, {ParamBatchBytes, "2KiB"}}, Outcome: Outcome{Dir: "006", Status: StatusPending}})
	m.Params[0].Values = append(m.Params[0].Values, "100ms")
	dir := t.TempDir()
	if err := Write(dir, m); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, ManifestFile, MarkdownFile, HTMLFile,
		"sweep-throughput-latency.png", "sweep-throughput-latency.svg",
		"sweep-heatmap-latency.png", "sweep-heatmap-latency.svg",
		"sweep-heatmap-throughput.png", "sweep-heatmap-records.png")
	if _, err := os.Stat(filepath.Join(dir, "sweep-codec-ratio.png")); err == nil {
		t.Error("codec plots drawn without a compression sweep")
	}
	back, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Done() != 6 || len(back.Points) != 7 || back.Points[1].Evaluation.Metrics.MeanRecordsPerBatch != 1.5 {
		t.Fatalf("read back %d done of %d points", back.Done(), len(back.Points))
	}
	md, _ := os.ReadFile(filepath.Join(dir, MarkdownFile))
	for _, want := range []string{"> [!TIP]", "**Best: #1, linger=0s max\\_batch\\_bytes=64KiB.**", "| # | linger | max\\_batch\\_bytes |",
		"★ best", "✗ p99 30.0 > 20 ms", "1 of 7 points have not completed", "![", "sweep-heatmap-latency.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("sweep.md lacks %q:\n%s", want, md)
		}
	}
	if rows := strings.Count(string(md), "\n| "); rows != 9 { // header, separator, 7 points
		t.Errorf("sweep.md has %d table lines, want 9", rows)
	}
	page, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	for _, want := range []string{"data:image/png;base64,", "Best: #1", `<a href="p/report.html">1</a>`, "sweep-heatmap-records.svg"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("sweep.html lacks %q", want)
		}
	}
}

func TestWriteSweepCodecs(t *testing.T) {
	t.Parallel()
	slo := sloP99(20*time.Millisecond, 0.001)
	m := &Manifest{Scenario: "codecs", SLO: slo, Params: []Param{{Path: ParamCompression, Values: []string{"none", "lz4", "zstd"}}}}
	for i, c := range []struct {
		codec string
		wire  int64
	}{{"none", 1_000_000}, {"lz4", 500_000}, {"zstd", 250_000}} {
		m.Points = append(m.Points, point(t, i, slo, runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(5), svcLo: ms(1), svcHi: ms(5),
			batches: 100, recordsPerBatch: 40, uncompr: 1_000_000, compressed: c.wire}, Setting{ParamCompression, c.codec}))
	}
	if r := m.Points[2].Evaluation.Metrics.CompressionRatio; r != 4 {
		t.Fatalf("zstd ratio %v, want 4", r)
	}
	figs, err := sweepFigures(m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.name)
	}
	if got := strings.Join(names, " "); got != "sweep-throughput-latency sweep-codec-ratio sweep-codec-wire" {
		t.Fatalf("figures %s", got)
	}
	dir := t.TempDir()
	if err := Write(dir, m); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, "sweep-codec-ratio.png", "sweep-codec-wire.png", "sweep-codec-wire.svg")
}

func TestPointDirsAndLabels(t *testing.T) {
	t.Parallel()
	p := Point{Settings: []Setting{{"producer.linger", "5ms"}, {`slo.p99.9`, "9ms"}}}
	if got := p.ShortLabel(); got != "linger=5ms 9=9ms" {
		t.Fatalf("ShortLabel() = %q", got)
	}
	if got := paramHeads([]Param{{Path: "a.x"}, {Path: "b.x"}, {Path: "c.y"}}); strings.Join(got, ",") != "a.x,b.x,y" {
		t.Fatalf("paramHeads = %v", got)
	}
	if _, err := ReadManifest(t.TempDir()); err == nil {
		t.Fatal("ReadManifest of an empty directory succeeded")
	}
}
