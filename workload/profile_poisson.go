package workload

import "time"

// ProfilePoisson sends at Poisson arrival times of mean rate Mean:
// independent, exponentially distributed gaps, drawn from the seed.
const ProfilePoisson = "poisson"

func init() {
	registerProfile(ProfilePoisson, 4, variant{required: []string{"mean"}}, poissonProfile{})
}

// poissonProfile: see poissonSchedule.
type poissonProfile struct{}

func (poissonProfile) validate(s *Scenario, r Rate) *Error {
	return s.checkRate("rate.mean", r.Mean, false)
}

func (poissonProfile) schedule(r Rate, seed int64) (Schedule, error) {
	if !okRate(r.Mean, false) {
		return nil, badRate(r, "mean", r.Mean)
	}
	return newPoisson(r.Mean, seed), nil
}

func (poissonProfile) at(r Rate, _ time.Duration) float64 { return r.Mean }

// reach is the expected time, messages/Mean: computing the last
// arrival would build every chunk before it.
func (poissonProfile) reach(r Rate, _, messages int64) (time.Duration, error) {
	return saturatingSeconds(float64(messages) / r.Mean), nil
}
