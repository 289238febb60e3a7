package workload

import (
	"math"
	"slices"
	"time"
)

// rateProfile is one rate profile (Rate.Profile): a shape of the rate
// block and the open-loop schedule it makes. Each profile is one file,
// profile_NAME.go, registering itself from init with registerProfile
// (its name, its order and its fields, then this interface); the rest of
// the package reaches profiles only through the registry (the rate
// union's variants and docs order, validation, schedules, At). A new
// profile is a new file; parameters no existing Rate field covers are new
// fields of Rate, with yaml and json tags.
type rateProfile interface {
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
}

// reacher is a rateProfile with its own reach: when the schedule of r
// has sent messages messages, for validation of runs bounded by a count
// alone. Profiles without one use their last message's intended time
// (see profileReach).
type reacher interface {
	reach(r Rate, seed, messages int64) (time.Duration, error)
}

// profiles are the registered rate profiles by name.
var profiles = map[string]rateProfile{}

// rateProfiles are the rate union's variants, in profile order.
var rateProfiles union

// profileOrder holds each registered profile's order, parallel to
// rateProfiles.
var profileOrder []int

// registerProfile adds p as the profile name, at position order in
// documentation and error messages (constant first, max last), taking
// the Rate fields (yaml names) of fields; every other one must be unset.
// It panics on a duplicate name (a programming error, found by every test
// run).
func registerProfile(name string, order int, fields variant, p rateProfile) {
	if _, dup := profiles[name]; dup {
		panic("workload: rate profile " + name + " registered twice")
	}
	profiles[name] = p
	k, _ := slices.BinarySearch(profileOrder, order)
	profileOrder = slices.Insert(profileOrder, k, order)
	rateProfiles = slices.Insert(rateProfiles, k, namedVariant{name, fields})
}

// profileReach returns when the schedule of r under p has sent messages
// messages: p's own reach, else, for profiles whose schedule is cheap to
// evaluate at any index, the last message's intended time.
func profileReach(p rateProfile, r Rate, seed, messages int64) (time.Duration, error) {
	if rp, ok := p.(reacher); ok {
		return rp.reach(r, seed, messages)
	}
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
