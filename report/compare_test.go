package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// metrics returns c's metrics by name.
func metrics(c *Comparison) map[string]CompareMetric {
	byName := make(map[string]CompareMetric, len(c.Metrics))
	for _, m := range c.Metrics {
		byName[m.Name] = m
	}
	return byName
}

func TestCompare(t *testing.T) {
	t.Parallel()
	vs := variants(t)
	base, faster, v1 := vs["complete"], sampleResult(t), vs["v1"]
	faster.Throughput.MsgsPerSec = 2997           // +50%
	faster.Latency.P99Ns = base.Latency.P99Ns / 4 // -75%
	faster.Counts.Failed = 0
	c, err := Compare([]*Result{base, faster, v1}, []string{"base", "", "base"})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{c.Runs[0].Label, c.Runs[1].Label, c.Runs[2].Label}; !slices.Equal(got, []string{"base", "run 2", "base#2"}) {
		t.Errorf("labels %v, want base, run 2, base#2", got)
	}
	tests := []struct {
		metric string
		values []float64 // NaN: missing
		deltas []float64 // NaN: missing
	}{
		// higher is better, +50%
		{"achieved rate (acked)", []float64{1998, 2997, 1998}, []float64{math.NaN(), 50, 0}},
		// a quarter of the baseline: -75%
		{"latency p99", []float64{4.968447, 1.242111, 4.968447}, []float64{math.NaN(), -75, 0}},
		// baseline 16 failures, then 0 (-100%)
		{"failed", []float64{16, 0, 16}, []float64{math.NaN(), -100, 0}},
		// schema 1 has no service time
		{"service time p99", []float64{4.808703, 4.808703, math.NaN()}, []float64{math.NaN(), 0, math.NaN()}},
	}
	byName := metrics(c)
	for _, tc := range tests {
		m, ok := byName[tc.metric]
		if !ok {
			t.Fatalf("no metric %q", tc.metric)
		}
		for i := range tc.values {
			v, d := m.Values[i], m.DeltaPct[i]
			if math.IsNaN(tc.values[i]) != (v == nil) || (v != nil && math.Abs(*v-tc.values[i]) > 1e-3*math.Abs(tc.values[i])+1e-9) {
				t.Errorf("%s run %d = %v, want %v", tc.metric, i, deref(v), tc.values[i])
			}
			if math.IsNaN(tc.deltas[i]) != (d == nil) || (d != nil && math.Abs(*d-tc.deltas[i]) > 0.1) {
				t.Errorf("%s run %d delta = %v, want %v", tc.metric, i, deref(d), tc.deltas[i])
			}
		}
	}
	// A zero baseline has no delta.
	zero := sampleResult(t)
	zero.Counts.Failed = 0
	c2, err := Compare([]*Result{zero, base}, []string{"z", "b"})
	if err != nil {
		t.Fatal(err)
	}
	failed, ok := metrics(c2)["failed"]
	if !ok {
		t.Fatal(`no metric "failed"`)
	}
	if d := failed.DeltaPct[1]; d != nil {
		t.Errorf("delta against 0 = %v, want null", *d)
	}
	// Errors.
	for name, f := range map[string]func() error{
		"no runs":         func() error { _, err := Compare(nil, nil); return err },
		"label count":     func() error { _, err := Compare([]*Result{base}, []string{"a", "b"}); return err },
		"nil run":         func() error { _, err := Compare([]*Result{base, nil}, []string{"a", "b"}); return err },
		"zero comparison": func() error { return (&Comparison{}).WriteText(&bytes.Buffer{}) },
		"nil comparison":  func() error { var c *Comparison; return c.WriteMarkdown(&bytes.Buffer{}) },
	} {
		if f() == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// compareVariants returns the comparison of the named variants, labelled
// labels.
func compareVariants(t *testing.T, names, labels []string) *Comparison {
	t.Helper()
	vs := variants(t)
	runs := make([]*Result, len(names))
	for i, n := range names {
		runs[i] = vs[n]
	}
	c, err := Compare(runs, labels)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCompareRender(t *testing.T) {
	t.Parallel()
	c := compareVariants(t, []string{"complete", "saturated"}, []string{"10k", "20k"})
	var text, md bytes.Buffer
	if err := c.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"latency p99", "4.968", "Δ 20k", "20k: GENERATOR SATURATED: the load generator could not keep up", "SATURATED"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	// Text columns line up: every metric row is as wide as the header.
	lines := strings.Split(text.String(), "\n")
	var head string
	for _, l := range lines {
		if strings.HasPrefix(l, "metric ") {
			head = l
		}
		if strings.HasPrefix(l, "latency p99 ") && len([]rune(l)) != len([]rune(head)) {
			t.Errorf("row %q is not as wide as header %q", l, head)
		}
	}
	if !strings.Contains(md.String(), "| metric | unit | 10k | 20k | Δ 20k |\n| --- | --- | ---: | ---: | ---: |") {
		t.Errorf("markdown table header:\n%s", md.String())
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(js, &back); err != nil || len(back.Metrics) != len(c.Metrics) || !back.Runs[1].Generator.Saturated {
		t.Errorf("JSON round trip: %v, %+v", err, back.Runs)
	}
}

func TestCompareWrite(t *testing.T) {
	t.Parallel()
	c := compareVariants(t, []string{"complete", "v1"}, []string{"new", "old"})
	dir := t.TempDir()
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	want := []string{CompareHTMLFile, CompareJSONFile, CompareMarkdownFile}
	for _, b := range plotBuilders {
		want = append(want, ComparePlotPrefix+b.name+".png", ComparePlotPrefix+b.name+".svg")
	}
	slices.Sort(want)
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	page, _ := os.ReadFile(filepath.Join(dir, CompareHTMLFile))
	if n := strings.Count(string(page), `<img src="data:image/png;base64,`); n != len(plotBuilders) {
		t.Errorf("compare.html embeds %d plots, want %d", n, len(plotBuilders))
	}
	if err := c.Write(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory accepted")
	}
}
