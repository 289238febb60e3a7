package workload

import (
	"math"
	"testing"
	"time"
)

// TestProfilesAgree checks every registered rate profile, in order: the
// union lists them constant first and max last, and for each open-loop
// profile the schedule's count over 2 s matches the integral of its At
// formula within 1% (poisson: within 4 standard deviations), so the one
// file that defines a profile keeps its rate and its schedule consistent.
// A newly registered profile without a sample here fails the test.
func TestProfilesAgree(t *testing.T) {
	t.Parallel()
	if got, want := rateProfiles.names(), "constant, ramp, steps, sine, poisson or max"; got != want {
		t.Errorf("profiles %q, want %q", got, want)
	}
	samples := map[string]Rate{
		ProfileConstant: {MessagesPerSecond: 1234.5},
		ProfileRamp:     {Profile: ProfileRamp, From: 100, To: 5000, Over: secs(1.5)},
		ProfileSteps:    {Profile: ProfileSteps, Steps: []Step{{1000, secs(0.3)}, {0, secs(0.2)}, {4000, secs(0.25)}}, Repeat: true},
		ProfileSine:     {Profile: ProfileSine, Mean: 3000, Amplitude: 2000, Period: secs(0.7)},
		ProfilePoisson:  {Profile: ProfilePoisson, Mean: 5000},
		ProfileMax:      {Profile: ProfileMax},
	}
	for _, nv := range rateProfiles {
		r, ok := samples[nv.name]
		if !ok {
			t.Errorf("profile %s has no sample in this test", nv.name)
			continue
		}
		if r.ClosedLoop() {
			if _, err := NewSchedule(r, 1); err == nil || r.At(time.Second) != 0 {
				t.Errorf("%s: a closed loop must have no schedule and no target rate", nv.name)
			}
			continue
		}
		sched, err := NewSchedule(r, 1)
		if err != nil {
			t.Fatalf("%s: %v", nv.name, err)
		}
		const span, n = 2 * time.Second, 20000
		var integral float64
		for k := range n { // midpoint rule
			integral += r.At(span*time.Duration(2*k+1)/(2*n)) * span.Seconds() / n
		}
		got := float64(sched.Count(span))
		tol := 0.01 * integral
		if nv.name == ProfilePoisson {
			tol = 4 * math.Sqrt(integral)
		}
		if math.Abs(got-integral) > tol {
			t.Errorf("%s: schedule holds %.0f messages in %v, the rate integrates to %.1f (±%.1f)", nv.name, got, span, integral, tol)
		}
	}
}
