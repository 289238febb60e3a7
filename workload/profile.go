package workload

import (
	"math"
	"slices"
	"time"
)

// rateProfile is one rate profile (Rate.Profile): a shape of the rate
// block and the open-loop schedule it makes. Each profile is one file,
// profile_NAME.go, registering itself from init with registerProfile; the
// rest of the package reaches profiles only through this interface (the
// rate union's variants and docs order, validation, schedules, At). A new
// profile is a new file; parameters no existing Rate field covers are new
// fields of Rate, with yaml and json tags.
type rateProfile interface {
	// name is the Profile value, e.g. "ramp".
	name() string
	// order is the profile's position in documentation and error
	// messages (constant first, max last).
	order() int
	// fields are the Rate fields (yaml names) the profile requires and
	// may take; every other one must be unset.
	fields() variant
	// validate checks r's values beyond presence (the variant), naming
	// the field: "rate.mean", "rate.steps[2].for".
	validate(s *Scenario, r Rate) *Error
	// schedule returns r's schedule; seed matters only to random
	// profiles. It returns an error for values validate would reject,
	// and (nil, nil) for a closed loop (max), which has none.
	schedule(r Rate, seed int64) (Schedule, error)
	// at returns the target rate at offset t in messages per second (the
	// formula; for poisson its mean, for max 0).
	at(r Rate, t time.Duration) float64
	// reach returns when the schedule of r has sent messages messages,
	// for validation of runs bounded by a count alone.
	reach(r Rate, seed, messages int64) (time.Duration, error)
}

// profiles are the registered rate profiles by name.
var profiles = map[string]rateProfile{}

// rateProfiles are the rate union's variants, in profile order.
var rateProfiles union

// profileOrder holds each registered profile's order, parallel to
// rateProfiles.
var profileOrder []int

// registerProfile adds p; it panics on a duplicate name (a programming
// error, found by every test run).
func registerProfile(p rateProfile) {
	if _, dup := profiles[p.name()]; dup {
		panic("workload: rate profile " + p.name() + " registered twice")
	}
	profiles[p.name()] = p
	k, _ := slices.BinarySearch(profileOrder, p.order())
	profileOrder = slices.Insert(profileOrder, k, p.order())
	rateProfiles = slices.Insert(rateProfiles, k, namedVariant{p.name(), p.fields()})
}

// scheduledReach is the reach of profiles whose schedule is cheap to
// evaluate at any index: the last message's intended time.
type scheduledReach struct{}

func (scheduledReach) reachOf(p rateProfile, r Rate, seed, messages int64) (time.Duration, error) {
	sched, err := p.schedule(r, seed)
	if err != nil || sched == nil {
		return 0, err
	}
	return sched.Intended(messages - 1), nil
}

// okRate reports whether x is a valid rate: finite, at most MaxRate, and
// positive (or 0 when zeroOK).
func okRate(x float64, zeroOK bool) bool {
	return finite(x) && x <= MaxRate && (x > 0 || zeroOK && x == 0)
}

// saturatingSeconds converts x seconds to a Duration, saturating.
func saturatingSeconds(x float64) time.Duration {
	return time.Duration(math.Min(x*1e9, math.MaxInt64))
}
