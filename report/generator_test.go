package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckGenerator(t *testing.T) {
	t.Parallel()
	ok := func() *Result {
		return &Result{
			TargetRateMsgsPerSec: 1000, MeasuredNs: 1e9,
			Counts:      Counts{Sent: 1000, Acked: 1000},
			Throughput:  Throughput{MsgsPerSec: 1000},
			ScheduleLag: Latency{Count: 100, P99Ns: 200_000},
		}
	}
	with := func(f func(*Result)) *Result { r := ok(); f(r); return r }
	tests := []struct {
		name      string
		res       *Result
		saturated bool
		reason    []string // substrings of the reason
	}{
		// on target, little lag
		{"kept up", ok(), false, nil},
		// lag p99 exactly 1 ms is still fine
		{"lag at limit", with(func(r *Result) { r.ScheduleLag.P99Ns = MaxScheduleLagP99Ns }), false, nil},
		// lag p99 just above 1 ms
		{"lag over", with(func(r *Result) { r.ScheduleLag.P99Ns = MaxScheduleLagP99Ns + 1 }), true, []string{"schedule lag p99 1.000 ms is above 1.000 ms"}},
		// lag within twice the platform's timer floor is the platform
		{"lag within timer floor", with(func(r *Result) { r.ScheduleLag.P99Ns = 3e6; r.TimerFloor = TimerFloor{Samples: 100, P99Ns: 2e6} }), false, nil},
		// lag above twice the floor is the generator
		{"lag above timer floor", with(func(r *Result) { r.ScheduleLag.P99Ns = 5e6; r.TimerFloor = TimerFloor{Samples: 100, P99Ns: 2e6} }), true, []string{"above 4.000 ms"}},
		// failures do not make the generator look slow: 20% failed, all offered
		{"errors, not saturated", with(func(r *Result) { r.Counts.Acked = 800; r.Counts.Failed = 200; r.Throughput.MsgsPerSec = 800 }), false, nil},
		// Send blocked: backpressure, not saturation
		{"backpressure", with(func(r *Result) { r.Counts.Sent = 500; r.ScheduleLag.P99Ns = 27e9; r.SendBlockedNs = 4e8 }), false, nil},
		// ramp: the whole-run target is what was due in the window
		{"due in window", with(func(r *Result) { r.Counts.Sent = 1500; r.DueInWindow = 1500; r.TargetRateMsgsPerSec = 2250 }), false, nil},
		// exactly 99% of the target is fine
		{"rate at limit", with(func(r *Result) { r.Counts.Sent = 990 }), false, nil},
		// below 99% of the target
		{"rate under", with(func(r *Result) { r.Counts.Sent = 989 }), true, []string{"offered 989.0 msg/s is below 99% of the target 1000.0 msg/s"}},
		// both reasons, joined
		{"both", with(func(r *Result) { r.Counts.Sent = 10; r.ScheduleLag.P99Ns = 5e6 }), true, []string{"schedule lag", "; offered 10.0"}},
		// unthrottled runs have no rate target
		{"unthrottled", with(func(r *Result) { r.TargetRateMsgsPerSec = 0; r.Counts.Sent = 1 }), false, nil},
		// closed loop: no schedule, never saturated
		{"closed loop", with(func(r *Result) { r.ClosedLoop = true; r.Counts.Sent = 1; r.ScheduleLag.P99Ns = 1e9 }), false, nil},
		// no measured window (ended in warmup): the rate check does not fire
		{"no window", with(func(r *Result) { r.MeasuredNs = 0; r.Counts.Sent = 0 }), false, nil},
		// version 1 result: no lag data, the lag check does not fire
		{"no lag data", with(func(r *Result) { r.ScheduleLag = Latency{P99Ns: 5e6} }), false, nil},
		// nothing at all
		{"nil", nil, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := CheckGenerator(tc.res)
			if g.Saturated != tc.saturated || (g.Reason != "") != tc.saturated {
				t.Fatalf("CheckGenerator = %+v, want saturated %v", g, tc.saturated)
			}
			for _, want := range tc.reason {
				if !strings.Contains(g.Reason, want) {
					t.Errorf("reason %q lacks %q", g.Reason, want)
				}
			}
		})
	}
}

// TestWarningsEverywhere checks that a saturated generator, an interrupted
// run and a closed-loop run are flagged in summary.txt, report.md,
// report.html and result.json.
func TestWarningsEverywhere(t *testing.T) {
	t.Parallel()
	vs := variants(t)
	render := map[string]func(*Result) string{
		"summary":  func(r *Result) string { var b bytes.Buffer; _ = WriteSummary(&b, r); return b.String() },
		"markdown": func(r *Result) string { var b bytes.Buffer; _ = WriteMarkdown(&b, r); return b.String() },
		"html": func(r *Result) string {
			var b bytes.Buffer
			if err := writeRunHTML(&b, r, nil); err != nil {
				t.Error(err)
			}
			return b.String()
		},
		"json": func(r *Result) string { b, _ := MarshalResult(r); return string(b) },
	}
	tests := []struct {
		variant string
		want    map[string]string // renderer: text that must appear
		absent  []string          // text that must appear in no renderer
	}{
		// saturated: the reason everywhere, the boolean in JSON
		{"saturated", map[string]string{
			"summary":  "GENERATOR SATURATED: the load generator could not keep up: schedule lag p99 3.457 ms",
			"markdown": "**GENERATOR SATURATED:** the load generator could not keep up",
			"html":     "GENERATOR SATURATED:</strong> the load generator could not keep up: schedule lag p99 3.457 ms",
			"json":     `"saturated": true`,
		}, []string{"closed loop: each send"}},
		// closed loop: the plain statement, never saturated
		{"closedloop", map[string]string{
			"summary":  "latency here is service time (from the actual send), not coordinated-omission-free",
			"markdown": "**NOTE:** closed loop: each send waited for an earlier ack",
			"html":     "NOTE:</strong> closed loop: each send waited",
			"json":     `"closed_loop": true`,
		}, []string{"SATURATED", "saturated:", `"saturated": true`}},
		// complete and on target: no warnings at all
		{"complete", map[string]string{"json": `"saturated": false`}, []string{"SATURATED", "aturated:", "closed loop: each", "INTERRUPTED", "Interrupted"}},
		// interrupted
		{"interrupted", map[string]string{
			"summary": "!!! STATUS: INTERRUPTED: stopped before its planned end", "markdown": "**STATUS: INTERRUPTED:** stopped before its planned end", "html": "STATUS: INTERRUPTED:</strong> stopped before its planned end", "json": `"status": "interrupted"`,
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			for name, fn := range render {
				out := fn(vs[tc.variant])
				if want, ok := tc.want[name]; ok && !strings.Contains(out, want) {
					t.Errorf("%s lacks %q", name, want)
				}
				for _, a := range tc.absent {
					if strings.Contains(out, a) {
						t.Errorf("%s has %q", name, a)
					}
				}
			}
		})
	}
	// The JSON reason is the same sentence.
	js, _ := MarshalResult(vs["saturated"])
	var back Result
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Generator != CheckGenerator(vs["saturated"]) {
		t.Errorf("result.json generator %+v, want %+v", back.Generator, CheckGenerator(vs["saturated"]))
	}
}
