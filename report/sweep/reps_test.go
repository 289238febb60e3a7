package sweep

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// repsPoint returns a point of a sweep at value v of linger whose
// repetitions acked tputs msg/s with p99 lats ms, all passing.
func repsPoint(idx int, v string, tputs, lats []float64) Point {
	p := Point{Index: idx, Label: ParamLinger + "=" + v, Settings: []Setting{{ParamLinger, v}}, Outcome: Outcome{Dir: "p" + v}}
	for i := range tputs {
		ev := &Evaluation{Metrics: Metrics{Status: "complete", MsgsPerSec: tputs[i], Sent: 1000, Acked: 1000, P99Ns: ms(lats[i])},
			RankPercentile: 99, RankLatencyNs: ms(lats[i]), Pass: true,
			Objectives: []ObjectiveCheck{{Percentile: 99, MaxNs: ms(50), LatencyNs: ms(lats[i]), Met: true}}}
		p.Reps = append(p.Reps, Rep{N: i + 1, Outcome: Outcome{Dir: p.Dir + "/" + RepDir(i+1), Status: StatusComplete, Evaluation: ev}})
	}
	p.Settle(len(tputs))
	return p
}

// repsManifest returns a sweep of the given points with count repetitions.
func repsManifest(count int, points ...Point) *Manifest {
	m := &Manifest{Scenario: "reps", Mode: "product", SLO: sloP99(50*time.Millisecond, 0), Count: count,
		Params: []Param{{Path: ParamLinger}}}
	for _, p := range points {
		m.Params[0].Values = append(m.Params[0].Values, p.Value(ParamLinger))
	}
	m.Points = points
	return m
}

// TestBestNeedsSignificance checks the best-point decision with
// repetitions: a winner whose repetitions all beat the runner-up's is the
// best; overlapping samples (or too few repetitions to ever be
// significant) are tied within noise, naming the tied points; the
// throughput-tied case is tested on latency.
func TestBestNeedsSignificance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		m          *Manifest
		declared   bool
		best       int
		metric     string
		tied       []int
		wantReason []string
	}{
		{
			// 5 against 5 without overlap: p = 0.008.
			name: "significant throughput",
			m: repsManifest(5,
				repsPoint(0, "0s", []float64{1000, 1010, 990, 1005, 995}, []float64{5, 5, 5, 5, 5}),
				repsPoint(1, "5ms", []float64{1200, 1210, 1190, 1205, 1195}, []float64{6, 6, 6, 6, 6})),
			declared: true, best: 1, metric: "msgs_per_sec",
			wantReason: []string{"significant", "p = 0.008", "5 against 5"},
		},
		{
			// The medians differ by 10% but the samples overlap.
			name: "overlapping throughput",
			m: repsManifest(5,
				repsPoint(0, "0s", []float64{900, 1300, 1000, 1250, 950}, []float64{5, 5, 5, 5, 5}),
				repsPoint(1, "5ms", []float64{1100, 800, 1400, 1000, 1200}, []float64{5, 5, 5, 5, 5}),
				// Far below both, significantly: not tied.
				repsPoint(2, "20ms", []float64{100, 101, 102, 103, 104}, []float64{5, 5, 5, 5, 5})),
			declared: false, best: 1, metric: "msgs_per_sec", tied: []int{1, 0},
			wantReason: []string{"Tied within noise: #1 (linger=5ms) and #0 (linger=0s)", "not significant", "No best point"},
		},
		{
			// 3 against 3 without overlap: p = 0.1 at best, never below 0.05.
			name: "too few repetitions",
			m: repsManifest(3,
				repsPoint(0, "0s", []float64{1000, 1001, 1002}, []float64{5, 5, 5}),
				repsPoint(1, "5ms", []float64{2000, 2001, 2002}, []float64{5, 5, 5})),
			declared: false, best: 1, metric: "msgs_per_sec", tied: []int{1, 0},
			wantReason: []string{"Tied within noise", "use --count 4 or more"},
		},
		{
			// The same load (within 1%): latency decides, significantly.
			name: "significant latency",
			m: repsManifest(4,
				repsPoint(0, "0s", []float64{1000, 1000, 1000, 1000}, []float64{9, 9.5, 10, 10.5}),
				repsPoint(1, "5ms", []float64{1001, 1000, 999, 1000}, []float64{3, 3.5, 4, 4.5})),
			declared: true, best: 1, metric: "rank_latency",
			wantReason: []string{"lowest p99", "significant", "4 against 4"},
		},
		{
			// The same load, latencies overlapping.
			name: "overlapping latency",
			m: repsManifest(4,
				repsPoint(0, "0s", []float64{1000, 1000, 1000, 1000}, []float64{3, 6, 4, 5}),
				repsPoint(1, "5ms", []float64{1000, 1000, 1000, 1000}, []float64{4.5, 3.5, 5.5, 4})),
			declared: false, best: 1, metric: "rank_latency", tied: []int{1, 0},
			wantReason: []string{"Tied within noise", "p99 4.25 ms (3.5–5.5)"},
		},
	} {
		c, why := tc.m.Best()
		if c == nil {
			t.Fatalf("%s: no choice: %s", tc.name, why)
		}
		t.Logf("%s: %s", tc.name, c.Reason)
		if c.Declared() != tc.declared || c.Index != tc.best || c.Metric != tc.metric {
			t.Errorf("%s: declared %v best #%d metric %q (p %.3f), want %v #%d %q\n%s", tc.name, c.Declared(), c.Index, c.Metric, c.P,
				tc.declared, tc.best, tc.metric, c.Reason)
		}
		if len(c.Tied) != len(tc.tied) {
			t.Errorf("%s: tied %v, want %v", tc.name, c.Tied, tc.tied)
		} else {
			for i := range c.Tied {
				if c.Tied[i] != tc.tied[i] {
					t.Errorf("%s: tied %v, want %v", tc.name, c.Tied, tc.tied)
				}
			}
		}
		for _, w := range tc.wantReason {
			if !strings.Contains(c.Reason, w) {
				t.Errorf("%s: reason %q lacks %q", tc.name, c.Reason, w)
			}
		}
	}
}

// TestBestOneRunIsNotTested checks that a sweep of one run per point keeps
// today's decision: no test, no tie.
func TestBestOneRunIsNotTested(t *testing.T) {
	t.Parallel()
	m := repsManifest(0,
		repsPoint(0, "0s", []float64{1000}, []float64{5}),
		repsPoint(1, "5ms", []float64{1001}, []float64{6}))
	for i := range m.Points {
		m.Points[i].Reps = nil
	}
	c, _ := m.Best()
	if !c.Declared() || c.Index != 0 || c.Metric != "" || c.P != 0 {
		t.Fatalf("choice %+v", c)
	}
}

// TestCombine checks the medians, the spread and the majority verdict of a
// point's repetitions.
func TestCombine(t *testing.T) {
	t.Parallel()
	slo := sloP99(20*time.Millisecond, 0)
	var evs []Evaluation
	for _, p99 := range []float64{10, 30, 12} { // the second misses the 20 ms bound
		ev, err := Evaluate(result(t, runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(p99 / 0.99), svcLo: ms(1), svcHi: ms(p99 / 0.99)}), slo, 4*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	c := Combine(evs)
	if !c.Pass || c.Spread == nil || c.Spread.Reps != 3 || c.Spread.Passed != 2 {
		t.Fatalf("combined %+v spread %+v, want a pass by 2 of 3", c, c.Spread)
	}
	if c.RankLatencyNs != evs[2].RankLatencyNs || c.Metrics.P99Ns != evs[2].Metrics.P99Ns {
		t.Errorf("median p99 %d, want the middle repetition's %d", c.Metrics.P99Ns, evs[2].Metrics.P99Ns)
	}
	if sp := c.Spread.P99Ns; sp.Min != float64(evs[0].Metrics.P99Ns) || sp.Max != float64(evs[1].Metrics.P99Ns) {
		t.Errorf("p99 spread %+v", sp)
	}
	if len(c.Notes) == 0 || !strings.Contains(c.Notes[len(c.Notes)-1], "1 of 3 repetitions failed") {
		t.Errorf("notes %q do not say a repetition failed", c.Notes)
	}
	// Two of three fail: the step fails on the SLO.
	evs[2] = evs[1]
	c = Combine(evs)
	if c.Pass || c.Limit != LimitSLO || !strings.Contains(c.Reason, "2 of 3 repetitions failed") {
		t.Errorf("combined pass %v limit %q reason %q", c.Pass, c.Limit, c.Reason)
	}
	// A point is complete only when all its repetitions are.
	p := Point{Reps: []Rep{{N: 1, Outcome: Outcome{Status: StatusComplete, Evaluation: &evs[0]}}, {N: 2, Outcome: Outcome{Status: StatusPending}}}}
	p.Settle(2)
	if p.Done() || p.Status != StatusPending {
		t.Errorf("a point with 1 of 2 repetitions is %s", p.Status)
	}
	p.Reps[1] = Rep{N: 2, Outcome: Outcome{Status: StatusFailed, Error: "refused"}}
	p.Settle(2)
	if p.Status != StatusFailed || p.Error != "repetition 2: refused" {
		t.Errorf("a point with a failed repetition: %s %q", p.Status, p.Error)
	}
}

// TestWriteMarkdownReps checks the report of a sweep with repetitions: the
// spread beside the medians, the tie named, no "best".
func TestWriteMarkdownReps(t *testing.T) {
	t.Parallel()
	m := repsManifest(3,
		repsPoint(0, "0s", []float64{1000, 1100, 1050}, []float64{5, 6, 7}),
		repsPoint(1, "5ms", []float64{1040, 1060, 1080}, []float64{5, 6, 8}))
	var b bytes.Buffer
	if err := WriteMarkdown(&b, m); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"No best point: tied within noise.", "msg/s (min–max)", "1,060 (1,040–1,080)", "6.000 (5.000–8.000)",
		"≈ tied", "3 repetitions per point, alternated", "Mann-Whitney"} {
		if !strings.Contains(md, want) {
			t.Errorf("sweep.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "★ best") {
		t.Errorf("sweep.md declares a best point in a tie:\n%s", md)
	}
	c := &Capacity{Scenario: "cap", Status: StatusComplete, SLO: m.SLO, Search: Search{StartMsgsPerSec: 1000, Precision: 0.05, Count: 3},
		Steps: []Step{{Index: 0, Phase: PhaseRamp, RateMsgsPerSec: 1000, Outcome: Outcome{Dir: "s", Status: StatusComplete, Evaluation: m.Points[0].Evaluation}, Reps: m.Points[0].Reps}}}
	c.Conclude()
	b.Reset()
	if err := WriteCapacityMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"achieved msg/s (min–max)", "1,050 (1,000–1,100)", "✓ pass (3 of 3 passed)", "3 repetitions per step"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("capacity.md lacks %q:\n%s", want, b.String())
		}
	}
}
