package sweep

import (
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/report"
)

// hist returns the report.Latency of n values spread evenly over
// [lo, hi] ns.
func hist(t *testing.T, n int, lo, hi int64) report.Latency {
	t.Helper()
	h := report.NewHistogram()
	for i := 0; i < n; i++ {
		v := lo
		if n > 1 {
			v = lo + (hi-lo)*int64(i)/int64(n-1)
		}
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	l, err := report.LatencyFromHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// runSpec describes a synthetic run: target msg/s over 4 s measured,
// latency uniform in [latLo, latHi], service time in [svcLo, svcHi], lag
// in [0, lagHi] (ns), sent messages and failed ones, and batch totals.
type runSpec struct {
	target              float64
	sent, failed        int64
	latLo, latHi        int64
	svcLo, svcHi        int64
	lagHi               int64
	status              string
	recordsPerBatch     float64
	compressed, uncompr int64
	batches             int64
	closedLoop          bool
	floorP99            int64 // the platform's timer floor p99, ns
	blocked             int64 // Send blocked time, ns
}

// result builds the report.Result of s, with encoded histograms.
func result(t *testing.T, s runSpec) *report.Result {
	t.Helper()
	if s.status == "" {
		s.status = report.StatusComplete
	}
	acked := s.sent - s.failed
	res := &report.Result{
		Status:               s.status,
		Scenario:             report.Scenario{Name: "test"},
		TargetRateMsgsPerSec: s.target,
		ClosedLoop:           s.closedLoop,
		MeasuredNs:           int64(4 * time.Second),
		Counts:               report.Counts{Sent: s.sent, Acked: acked, Failed: s.failed},
		Throughput:           report.Throughput{MsgsPerSec: float64(acked) / 4},
		TimerFloor:           report.TimerFloor{Samples: 100, P99Ns: s.floorP99},
		SendBlockedNs:        s.blocked,
	}
	if acked > 0 {
		res.Latency = hist(t, 1000, s.latLo, s.latHi)
		res.ServiceTime = hist(t, 1000, s.svcLo, s.svcHi)
		res.ScheduleLag = hist(t, 1000, 0, s.lagHi)
	}
	if s.batches > 0 {
		res.Batches = report.NewBatches(s.batches, int64(s.recordsPerBatch*float64(s.batches)), s.uncompr, s.compressed)
	}
	return res
}

func ms(n float64) int64 { return int64(n * 1e6) }

func sloP99(bound time.Duration, errRate float64) SLO {
	var o SLO
	if err := o.Set(99, bound); err != nil {
		panic(err)
	}
	o.MaxErrorRate = &errRate
	return o
}

func TestEvaluateClassifies(t *testing.T) {
	t.Parallel()
	window := 4 * time.Second
	slo := sloP99(50*time.Millisecond, 0.001)
	for _, tc := range []struct {
		name   string
		spec   runSpec
		pass   bool
		limit  string
		reason []string
	}{
		// Everything within bounds, a little schedule lag within twice the
		// platform's timer floor: passes, with a note.
		{"pass", runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(20), svcLo: ms(1), svcHi: ms(19), lagHi: ms(2), floorP99: ms(1.5)},
			true, LimitNone, nil},
		// p99 over the bound, the generator on time: the SLO.
		{"slo", runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(100), svcLo: ms(1), svcHi: ms(99), lagHi: ms(0.1)},
			false, LimitSLO, []string{"p99", "> 50 ms"}},
		// Too many failures: errors, even though the latency is fine.
		{"errors", runSpec{target: 1000, sent: 4000, failed: 40, latLo: ms(1), latHi: ms(10), svcLo: ms(1), svcHi: ms(9), lagHi: ms(0.1)},
			false, LimitErrors, []string{"1%", "40 of 4000", "0.1%"}},
		// Latency over the bound because sends were late, the broker
		// answering in time: the generator.
		{"late generator", runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(120), svcLo: ms(1), svcHi: ms(10), lagHi: ms(110)},
			false, LimitGenerator, []string{"fell behind", "lag p99"}},
		// Late sends, but the service time breaks the bound too (a
		// backed-up broker blocking Send): the SLO, not the generator.
		{"backpressure", runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(300), svcLo: ms(1), svcHi: ms(200), lagHi: ms(100)},
			false, LimitSLO, []string{"p99"}},
		// The generator sent 90% of its schedule: the generator, even with
		// the latency fine.
		{"shortfall", runSpec{target: 1000, sent: 3600, latLo: ms(1), latHi: ms(10), svcLo: ms(1), svcHi: ms(9), lagHi: ms(0.5)},
			false, LimitGenerator, []string{"sent only 900 msg/s", "1,000 msg/s scheduled"}},
		// The generator fell behind (lag p99 30 ms, Send not blocked)
		// while the latency still met the loose SLO: saturated, so not a
		// pass — a saturated step is never the system's capacity.
		{"saturated within SLO", runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(40), svcLo: ms(1), svcHi: ms(9), lagHi: ms(30)},
			false, LimitGenerator, []string{"could not keep up", "schedule lag"}},
		// 90% of the schedule sent because Send was blocked 2 s of the 4 s
		// window: the system under test pushed back, not the generator.
		{"pushed back", runSpec{target: 1000, sent: 3600, latLo: ms(1), latHi: ms(30), svcLo: ms(1), svcHi: ms(29), lagHi: ms(20), blocked: ms(2000)},
			false, LimitBackpressure, []string{"sent only 900 msg/s", "pushed back", "blocked"}},
		// Interrupted: proves nothing.
		{"interrupted", runSpec{target: 1000, sent: 4000, latLo: ms(1), latHi: ms(10), svcLo: ms(1), svcHi: ms(9), status: report.StatusInterrupted},
			false, LimitIncomplete, []string{"did not complete"}},
		// Nothing acked, everything failed: errors.
		{"all failed", runSpec{target: 1000, sent: 4000, failed: 4000},
			false, LimitErrors, []string{"100%"}},
		// Closed loop: no target, no shortfall check.
		{"closed loop", runSpec{closedLoop: true, sent: 100, latLo: ms(1), latHi: ms(10), svcLo: ms(1), svcHi: ms(10)},
			true, LimitNone, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := Evaluate(result(t, tc.spec), slo, window)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Pass != tc.pass || ev.Limit != tc.limit {
				t.Fatalf("pass %v limit %q (%s), want pass %v limit %q", ev.Pass, ev.Limit, ev.Reason, tc.pass, tc.limit)
			}
			if tc.pass && ev.Reason != "" {
				t.Errorf("a passing run has a reason: %s", ev.Reason)
			}
			for _, want := range tc.reason {
				if !strings.Contains(ev.Reason, want) {
					t.Errorf("reason %q does not mention %q", ev.Reason, want)
				}
			}
		})
	}
}

func TestEvaluateUsesHistogramPercentiles(t *testing.T) {
	t.Parallel()
	// p95 is not among the stored percentiles: it must come from the
	// histogram. Latency uniform over 0..100 ms: p95 ≈ 95 ms.
	res := result(t, runSpec{target: 1000, sent: 4000, latLo: 0, latHi: ms(100), svcLo: 0, svcHi: ms(100)})
	var o SLO
	if err := o.Set(95, 96*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(res, o, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Objectives[0].LatencyNs; got < ms(94) || got > ms(96) {
		t.Fatalf("p95 = %d ns, want about 95 ms", got)
	}
	if !ev.Pass || ev.RankPercentile != 95 || ev.RankLatencyNs != ev.Objectives[0].LatencyNs {
		t.Fatalf("pass %v rank p%v %d: %+v", ev.Pass, ev.RankPercentile, ev.RankLatencyNs, ev)
	}
	if err := o.Set(95, 90*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ev, _ = Evaluate(res, o, 4*time.Second); ev.Pass || !strings.Contains(ev.Reason, "p95") {
		t.Fatalf("p95 bound of 90 ms passed: %+v", ev)
	}
}

func TestSLO(t *testing.T) {
	t.Parallel()
	var o SLO
	if !o.IsZero() || o.String() != "none" || o.RankPercentile() != 99 {
		t.Fatalf("zero SLO: %v %q %v", o.IsZero(), o.String(), o.RankPercentile())
	}
	for _, b := range []struct {
		p float64
		d time.Duration
	}{{99.9, 100 * time.Millisecond}, {50, 5 * time.Millisecond}, {99, 20 * time.Millisecond}, {99, 25 * time.Millisecond}} {
		if err := o.Set(b.p, b.d); err != nil {
			t.Fatal(err)
		}
	}
	r := 0.001
	o.MaxErrorRate = &r
	if got, want := o.String(), "p50 ≤ 5 ms, p99 ≤ 25 ms, p99.9 ≤ 100 ms, error rate ≤ 0.1%"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if o.RankPercentile() != 99.9 {
		t.Fatalf("rank percentile %v, want the highest bounded, 99.9", o.RankPercentile())
	}
	if err := o.Set(100, time.Millisecond); err == nil {
		t.Fatal("p100 accepted")
	}
	if err := o.Set(99, 0); err == nil {
		t.Fatal("a zero bound accepted")
	}
	bad := 2.0
	if err := (SLO{MaxErrorRate: &bad}).Validate(); err == nil {
		t.Fatal("error rate 200% accepted")
	}
	if _, err := Evaluate(nil, o, 0); err == nil {
		t.Fatal("nil result accepted")
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{rateString(19997.2), "19,997"},
		{rateString(1234567), "1,234,567"},
		{rateString(42.25), "42.3"},
		{msString(1_500_000), "1.5"},
		{msString(20_000_000), "20"},
		{percentString(0.001), "0.1%"},
		{percentString(0.0123456), "1.2346%"},
		{PercentileName(99.9), "99.9"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
