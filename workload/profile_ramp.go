package workload

import (
	"fmt"
	"time"
)

// ProfileRamp changes the rate linearly from From to To over Over, then
// holds To.
const ProfileRamp = "ramp"

func init() {
	registerProfile(ProfileRamp, 1, variant{required: []string{"from", "to", "over"}}, rampProfile{})
}

// rampProfile: see NewSchedule for the intended times.
type rampProfile struct{}

func (rampProfile) validate(s *Scenario, r Rate) *Error {
	if err := s.checkRate("rate.from", r.From, true); err != nil {
		return err
	}
	if err := s.checkRate("rate.to", r.To, true); err != nil {
		return err
	}
	if r.From == 0 && r.To == 0 {
		return s.errorf("rate.to", "from and to must not both be 0")
	}
	return s.checkPositiveDuration("rate.over", r.Over)
}

func (rampProfile) schedule(r Rate, _ int64) (Schedule, error) {
	switch {
	case !okRate(r.From, true):
		return nil, badRate(r, "from", r.From)
	case !okRate(r.To, true) || r.From == 0 && r.To == 0:
		return nil, badRate(r, "to", r.To)
	case r.Over <= 0:
		return nil, badRate(r, "over", r.Over)
	}
	return newRamp(r.From, r.To, r.Over.D()), nil
}

func (rampProfile) at(r Rate, t time.Duration) float64 {
	if t >= r.Over.D() || r.Over <= 0 {
		return r.To
	}
	return r.From + (r.To-r.From)*t.Seconds()/r.Over.D().Seconds()
}

// badRate is the error for an invalid rate field of r.
func badRate(r Rate, field string, v any) error {
	return fmt.Errorf("rate.%s: invalid value %v for profile %s", field, v, r.profile())
}
