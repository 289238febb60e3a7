package workload

import (
	"math"
	"time"
)

// ProfileSine varies the rate as Mean + Amplitude·sin(2πt/Period).
const ProfileSine = "sine"

func init() {
	registerProfile(ProfileSine, 3, variant{required: []string{"mean", "amplitude", "period"}}, sineProfile{})
}

// sineProfile: see NewSchedule for the intended times.
type sineProfile struct{}

func (sineProfile) validate(s *Scenario, r Rate) *Error {
	if err := s.checkRate("rate.mean", r.Mean, false); err != nil {
		return err
	}
	if !finite(r.Amplitude) || r.Amplitude < 0 || r.Amplitude > r.Mean {
		return s.errorf("rate.amplitude", "must be between 0 and mean (%v) so the rate never goes negative, got %v", r.Mean, r.Amplitude)
	}
	if r.Mean+r.Amplitude > MaxRate {
		return s.errorf("rate.amplitude", "mean + amplitude must be at most %v, got %v", float64(MaxRate), r.Mean+r.Amplitude)
	}
	return s.checkPositiveDuration("rate.period", r.Period)
}

func (sineProfile) schedule(r Rate, _ int64) (Schedule, error) {
	switch {
	case !okRate(r.Mean, false):
		return nil, badRate(r, "mean", r.Mean)
	case !finite(r.Amplitude) || r.Amplitude < 0 || r.Amplitude > r.Mean:
		return nil, badRate(r, "amplitude", r.Amplitude)
	case r.Period <= 0:
		return nil, badRate(r, "period", r.Period)
	}
	return newSine(r.Mean, r.Amplitude, r.Period.D()), nil
}

func (sineProfile) at(r Rate, t time.Duration) float64 {
	if r.Period <= 0 {
		return r.Mean
	}
	return r.Mean + r.Amplitude*math.Sin(2*math.Pi*t.Seconds()/r.Period.D().Seconds())
}
