package workload

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// sweepPoints returns the points of s, a scenario as Load or Parse
// returned it with err; it fails t on err, an error of Points, or other
// than want points.
func sweepPoints(t *testing.T, s *Scenario, err error, want int) []SweepPoint {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != want {
		t.Fatalf("%d points, want %d", len(pts), want)
	}
	return pts
}

// TestPointsProduct expands testdata/features-ramp.yaml's 3×2×2 sweep and
// checks the order (first parameter slowest), labels, applied values,
// lines, and that points are deep copies.
func TestPointsProduct(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/features-ramp.yaml")
	pts := sweepPoints(t, s, err, 12)
	lingers := []time.Duration{0, time.Millisecond, 5 * time.Millisecond}
	batches := []Size{16 << 10, 64 << 10}
	tos := []float64{5000, 20000}
	for n, pt := range pts {
		l, b, to := lingers[n/4], batches[n/2%2], tos[n%2]
		ps := pt.Scenario
		if pt.Index != n || ps.Sweep != nil || ps.Producer.Linger == nil || ps.Producer.Linger.D() != l ||
			*ps.Producer.MaxBatchBytes != b || ps.Rate.To != to {
			t.Fatalf("point %d: index %d linger %v batch %v to %v sweep %v, want %v %v %v", n, pt.Index,
				ps.Producer.Linger, *ps.Producer.MaxBatchBytes, ps.Rate.To, ps.Sweep, l, b, to)
		}
		want := "producer.linger=" + Duration(l).String() + ",producer.max_batch_bytes=" + b.String() + ",rate.to=" + map[float64]string{5000: "5000", 20000: "20000"}[to]
		if pt.Label != want || len(pt.Settings) != 3 || pt.Settings[1] != (SweepSetting{"producer.max_batch_bytes", b.String()}) {
			t.Fatalf("point %d: label %q settings %v, want %q", n, pt.Label, pt.Settings, want)
		}
		if cfg, err := ps.ProducerConfig(); err != nil || cfg.Linger != l || cfg.MaxBatchBytes != int(b) {
			t.Fatalf("point %d: ProducerConfig %+v, %v", n, cfg, err)
		}
	}
	// A point's swept field is at the line of its value in the sweep.
	if l, want := pts[5].Scenario.Line("producer.linger"), s.Line(`sweep.params."producer.linger"[1]`); l != want || l == s.Line("producer.linger") {
		t.Errorf("point 5 producer.linger at line %d, want %d (the sweep value)", l, want)
	}
	// Deep copies: changing one point changes nothing else.
	p0 := pts[0].Scenario
	p0.Topics[0].Name = "changed"
	*p0.Producer.Acks = "none"
	simOf(p0).Errors["REQUEST_TIMED_OUT"] = 0.5
	simOf(p0).Stalls[0].At = 0
	p0.Thresholds[0] = "changed"
	for _, other := range []*Scenario{s, pts[1].Scenario} {
		if other.Topics[0].Name != "orders" || *other.Producer.Acks != "all" || simOf(other).Errors["REQUEST_TIMED_OUT"] != 0.001 ||
			simOf(other).Stalls[0].At != Duration(3*time.Second) || other.Thresholds[0] != "p(99) < 20ms" {
			t.Fatalf("a change to point 0 leaked: %+v", other)
		}
	}
	if s.Producer.Linger.D() != 2*time.Millisecond || s.Sweep == nil {
		t.Errorf("the original changed: linger %v sweep %v", s.Producer.Linger, s.Sweep)
	}
}

// TestPointsZip checks zip mode and sweeping fields behind nil pointers
// (slo) and of every scalar kind.
func TestPointsZip(t *testing.T) {
	t.Parallel()
	s, err := Load("testdata/features-sine.yaml")
	pts := sweepPoints(t, s, err, 3)
	for n, pt := range pts {
		w, p99 := []int{2, 4, 8}[n], []time.Duration{10, 20, 40}[n]*time.Millisecond
		if pt.Scenario.Workers != w || pt.Scenario.Rate.Mean != float64(w*1000) || pt.Scenario.SLO.P99.D() != p99 {
			t.Errorf("point %d: workers %d mean %v slo p99 %v, want %d, %d, %v", n, pt.Scenario.Workers,
				pt.Scenario.Rate.Mean, pt.Scenario.SLO.P99, w, w*1000, p99)
		}
	}
}

// TestPointsKinds sweeps fields of each kind and shape: a size scalar that
// replaces a distribution, a map entry, a list element, a bool pointer, a
// string, a ratio behind a nil pointer.
func TestPointsKinds(t *testing.T) {
	t.Parallel()
	data := minimalWith(t, "  size: 0", `  size: {distribution: uniform, min: 1, max: 9}
target: {kind: sim}
sweep:
  mode: zip
  params:
    message.size: [100, 1KiB]
    "topics[0].partitions": [2, 3]
    producer.idempotent: [true, false]
    keys.distribution: [none, none]
    target.sim.errors.REQUEST_TIMED_OUT: [0.1, 0.2]
    slo.max_error_rate: ["1%", 0.5]
    target.sim.latency.median: [0s, 0s]
`)
	s, err := Parse("x.yaml", []byte(data))
	pts := sweepPoints(t, s, err, 2)
	p := pts[1].Scenario
	if !reflect.DeepEqual(p.Message.Size, FixedSize(1024)) || p.Topics[0].Partitions != 3 || *p.Producer.Idempotent ||
		simOf(p).Errors["REQUEST_TIMED_OUT"] != 0.2 || *p.SLO.MaxErrorRate != 0.5 || s.SLO != nil || simOf(s) != nil {
		t.Errorf("point 1 = %+v", p)
	}
	if got := pts[0].Label; !strings.Contains(got, "message.size=100B") || !strings.Contains(got, "slo.max_error_rate=0.01") {
		t.Errorf("label %q", got)
	}
}

// TestPointsNoSweep: a scenario without a sweep has one unlabelled point,
// a copy.
func TestPointsNoSweep(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, quickstartPath)
	pts, err := s.Points()
	if err != nil || len(pts) != 1 || pts[0].Label != "" || pts[0].Scenario == s || !reflect.DeepEqual(stripped(pts[0].Scenario), stripped(s)) {
		t.Fatalf("Points = %+v, %v", pts, err)
	}
	pts[0].Scenario.Topics[0].Partitions = 99
	if s.Topics[0].Partitions != 6 {
		t.Error("the point shares topics with the scenario")
	}
}

// TestPlan checks the expanded plan of shipped and test scenarios against
// numbers worked out by hand.
func TestPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path                        string
		messages, records, measured int64
		bytes                       int64 // -1: not checked
		exact, closed               bool
		length                      time.Duration
		rows                        int
	}{
		// 20k/s for 10 s; 512 B values; keys key-0..key-999 (avg 6.89 B)
		{quickstartPath, 200_000, 200_000, 160_000, -1, true, false, 10 * time.Second, 20},
		// 5k/s for 4 s + 50k/s for 1 s, 12 cycles; one row per step
		{"../scenarios/bursty-steps.yaml", 840_000, 840_000, 770_000, -1, true, false, time.Minute, 24},
		// closed loop with a count: bytes known, no rows
		{"../scenarios/perf-test-100b.yaml", 5_000_000, 5_000_000, 0, 500_000_000, false, true, 0, 0},
		// 150,000 messages fanned out to 2 topics, ends before the 20 s duration
		{"testdata/features-ramp.yaml", 150_000, 300_000, -1, -1, true, false, -1, -1},
		// 20,000 pieces of a 3-line file: 20 (or 19) B values, keys key-0..key-2
		{"testdata/features-steps-file.yaml", 20_000, 20_000, 20_000, -1, true, false, -1, -1},
	}
	for _, tt := range tests {
		s := mustLoad(t, tt.path)
		p, err := s.Plan()
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if p.Messages != tt.messages || p.Records != tt.records || tt.measured >= 0 && p.MeasuredRecords != tt.measured ||
			tt.bytes >= 0 && p.Bytes != tt.bytes || p.Exact != tt.exact || p.ClosedLoop != tt.closed ||
			tt.length >= 0 && p.Length != tt.length || tt.rows >= 0 && len(p.Rows) != tt.rows {
			t.Errorf("%s: plan %+v (rows %d)", tt.path, *p, len(p.Rows))
		}
		var sum int64
		for _, r := range p.Rows {
			sum += r.Messages
		}
		if len(p.Rows) > 0 && sum != p.Messages {
			t.Errorf("%s: rows hold %d messages, plan %d", tt.path, sum, p.Messages)
		}
		if p.Bytes != p.KeyBytes+p.ValueBytes+p.HeaderBytes {
			t.Errorf("%s: bytes do not add up: %+v", tt.path, *p)
		}
	}
	// Exact byte totals for the quickstart: 200,000 × 512 B values, and keys
	// whose lengths are those of the drawn key-N strings.
	s, _ := Load(quickstartPath)
	p, _ := s.Plan()
	g, _ := NewKeyGen(s.Keys, s.Seed)
	var keys int64
	for i := range int64(200_000) {
		keys += int64(len(g.Key(i, nil)))
	}
	if p.ValueBytes != 200_000*512 || p.KeyBytes != keys || p.HeaderBytes != 0 {
		t.Errorf("quickstart bytes: values %d keys %d (want %d) headers %d", p.ValueBytes, p.KeyBytes, keys, p.HeaderBytes)
	}
}
