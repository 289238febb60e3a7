package workload

import (
	"time"
)

// Rate profiles (Rate.Profile) are ProfileConstant (the default),
// ProfileRamp, ProfileSteps, ProfileSine, ProfilePoisson and ProfileMax,
// one file each (profile_*.go; see rateProfile). Open-loop profiles fix
// every message's intended send time in advance from the expected
// cumulative count N(t) = ∫₀ᵗ rate(u) du: message i is due at the first t
// with N(t) > i (so message 0 is due at 0 whenever the rate starts
// positive). See NewSchedule.

// MaxSteps is the largest number of steps a steps profile may have.
const MaxSteps = 10_000

// Rate is the target send rate over time, a tagged union on Profile:
//
//	rate: {messages_per_second: 20000}                        # constant (default profile)
//	rate: {profile: ramp, from: 1000, to: 50000, over: 30s}
//	rate: {profile: steps, repeat: true, steps: [{rate: 1000, for: 5s}, {rate: 20000, for: 1s}]}
//	rate: {profile: sine, mean: 10000, amplitude: 5000, period: 20s}
//	rate: {profile: poisson, mean: 10000}
//	rate: {profile: max}
//
// Rates are messages per second summed over all workers; with topic
// selection fanout each message is sent to every topic. Every rate must be
// finite and at most MaxRate.
type Rate struct {
	// Profile is the rate's shape: ProfileConstant (the default, also
	// meant by ""), ProfileRamp, ProfileSteps, ProfileSine,
	// ProfilePoisson or ProfileMax.
	Profile string `yaml:"profile,omitempty" json:"profile"`
	// MessagesPerSecond is the constant profile's rate, > 0; may be
	// fractional. Required by constant.
	MessagesPerSecond float64 `yaml:"messages_per_second,omitempty" json:"messages_per_second,omitempty"`
	// From is the ramp's starting rate, >= 0. Required by ramp.
	From float64 `yaml:"from,omitempty" json:"from,omitempty"`
	// To is the ramp's final rate, >= 0 (From and To not both 0); it holds
	// after Over. Required by ramp.
	To float64 `yaml:"to,omitempty" json:"to,omitempty"`
	// Over is how long the ramp takes, > 0. Required by ramp.
	Over Duration `yaml:"over,omitempty" json:"over,omitempty"`
	// Steps are the steps profile's steps, 1 to MaxSteps, at least one
	// with a positive rate. Required by steps.
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Repeat makes the steps start again after the last one. Optional,
	// steps only; default false (the last step's rate holds).
	Repeat bool `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	// Mean is the mean rate of sine and poisson, > 0. Required by both.
	Mean float64 `yaml:"mean,omitempty" json:"mean,omitempty"`
	// Amplitude is the sine's amplitude, 0 <= Amplitude <= Mean (the rate
	// never goes negative). Required by sine.
	Amplitude float64 `yaml:"amplitude,omitempty" json:"amplitude,omitempty"`
	// Period is the sine's period, > 0. Required by sine.
	Period Duration `yaml:"period,omitempty" json:"period,omitempty"`
}

// Step is one step of a steps profile.
type Step struct {
	// Rate is the step's rate in messages per second, >= 0 (0 pauses).
	Rate float64 `yaml:"rate" json:"rate"`
	// For is the step's length, > 0.
	For Duration `yaml:"for" json:"for"`
}

// profile returns r.Profile with "" read as constant.
func (r Rate) profile() string {
	if r.Profile == "" {
		return ProfileConstant
	}
	return r.Profile
}

// ClosedLoop reports whether the profile is ProfileMax: no schedule, each
// worker sends as soon as the producer accepts.
func (r Rate) ClosedLoop() bool { return r.Profile == ProfileMax }

// MarshalJSON writes the profile and the fields it uses.
func (r Rate) MarshalJSON() ([]byte, error) {
	vr, _ := rateProfiles.get(r.profile())
	type plain Rate
	return marshalVariant(plain(r), "profile", vr)
}

// validateRate checks the rate block.
func (s *Scenario) validateRate() *Error {
	r := s.Rate
	vr, ok := rateProfiles.get(r.profile())
	if !ok {
		return s.errorf("rate.profile", "unknown profile %s (want %s)", quote(r.Profile), rateProfiles.names())
	}
	type plain Rate
	if err := s.checkVariant("rate", plain(r), "profile", "profile", r.profile(), vr); err != nil {
		return err
	}
	if err := profiles[r.profile()].validate(s, r); err != nil {
		return err
	}
	return s.validateReach()
}

// checkRate checks one rate value: finite, at most MaxRate, and positive
// (or >= 0 when zeroOK).
func (s *Scenario) checkRate(field string, x float64, zeroOK bool) *Error {
	switch {
	case s.missing(field):
		return s.errorf(field, "required (messages per second, e.g. 1000)")
	case !finite(x):
		return s.errorf(field, "must be a finite number, got %v", x)
	case x < 0 || x == 0 && !zeroOK:
		if zeroOK {
			return s.errorf(field, "must not be negative, got %v", x)
		}
		return s.errorf(field, "must be positive, got %v", x)
	case x > MaxRate:
		return s.errorf(field, "must be at most %v, got %v", float64(MaxRate), x)
	}
	return nil
}

// validateReach checks that a run limited by a message count alone ends:
// the schedule must reach the last message within maxPlanDuration.
func (s *Scenario) validateReach() *Error {
	if s.Duration > 0 || s.Messages <= 0 || s.Rate.ClosedLoop() {
		return nil
	}
	end, err := profileReach(profiles[s.Rate.profile()], s.Rate, s.Seed, s.Messages)
	if err != nil {
		return s.errorf("rate", "%s", err.Error())
	}
	if end > maxPlanDuration {
		return s.errorf("messages", "the rate profile would take longer than %v to send %d messages (set duration, or a higher rate)", maxPlanDuration, s.Messages)
	}
	return nil
}

// MeanRate returns the mean of the target rate over [0, d) in messages
// per second, from the profile's formula (for poisson, its mean; for max,
// 0: a closed loop has no target).
func (r Rate) MeanRate(d time.Duration) float64 {
	if r.ClosedLoop() {
		return 0
	}
	if d <= 0 {
		return r.At(0)
	}
	sched, err := NewSchedule(r, 0)
	if err != nil {
		return 0
	}
	if c, ok := sched.(cumulative); ok {
		return c.expected(d) / d.Seconds()
	}
	return r.Mean
}

// At returns the target rate at offset t from the start, in messages per
// second: the profile's formula (for poisson, its mean; for max, 0).
func (r Rate) At(t time.Duration) float64 {
	if p, ok := profiles[r.profile()]; ok {
		return p.at(r, t)
	}
	return 0
}
