package workload

import (
	"fmt"
	"time"
)

// ProfileSteps holds each step's rate for its duration in turn; after the
// last step the sequence starts again if Repeat, else the last step's rate
// holds.
const ProfileSteps = "steps"

func init() {
	registerProfile(ProfileSteps, 2, variant{required: []string{"steps"}, optional: []string{"repeat"}}, stepsProfile{})
}

// stepsProfile: see NewSchedule for the intended times.
type stepsProfile struct{}

func (stepsProfile) validate(s *Scenario, r Rate) *Error {
	steps := r.Steps
	if len(steps) == 0 || len(steps) > MaxSteps {
		return s.errorf("rate.steps", "must have 1 to %d steps, got %d", MaxSteps, len(steps))
	}
	positive := false
	for i, st := range steps {
		p := fmt.Sprintf("rate.steps[%d]", i)
		if err := s.checkRate(p+".rate", st.Rate, true); err != nil {
			return err
		}
		if s.missing(p + ".for") {
			return s.errorf(p+".for", "required (a duration, e.g. \"10s\")")
		}
		if err := s.checkPositiveDuration(p+".for", st.For); err != nil {
			return err
		}
		positive = positive || st.Rate > 0
	}
	if !positive {
		return s.errorf("rate.steps", "at least one step must have a positive rate")
	}
	return nil
}

func (stepsProfile) schedule(r Rate, _ int64) (Schedule, error) { return newSteps(r.Steps, r.Repeat) }

func (stepsProfile) at(r Rate, t time.Duration) float64 {
	if len(r.Steps) == 0 {
		return 0
	}
	var total time.Duration
	for _, st := range r.Steps {
		total += st.For.D()
	}
	if t >= total && r.Repeat && total > 0 {
		t %= total
	}
	for _, st := range r.Steps {
		if t < st.For.D() {
			return st.Rate
		}
		t -= st.For.D()
	}
	return r.Steps[len(r.Steps)-1].Rate
}
