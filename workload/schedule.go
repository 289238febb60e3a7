package workload

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Schedule is a run's open-loop send schedule: message i is due at a time
// fixed in advance, whether or not earlier sends have completed, so
// latency measured from the intended time includes queueing delay
// (no coordinated omission). Implementations are immutable and safe for
// concurrent use.
type Schedule interface {
	// Intended returns the offset from the start of the run at which
	// message i is due. It is non-decreasing in i, 0 for i <= 0, and
	// saturates at the largest time.Duration.
	Intended(i int64) time.Duration
	// Count returns how many messages are due in [0, d): the number of
	// i >= 0 with Intended(i) < d, so Intended(Count(d)-1) < d <=
	// Intended(Count(d)). It is 0 for d <= 0 and saturates at
	// math.MaxInt64.
	Count(d time.Duration) int64
}

// maxDuration is the largest time.Duration.
const maxDuration = time.Duration(math.MaxInt64)

// NewSchedule returns the schedule of rate r. Profile "" or "constant"
// spaces messages evenly at r.MessagesPerSecond; the rate must be finite,
// positive and at most MaxRate.
func NewSchedule(r Rate) (Schedule, error) {
	mps := r.MessagesPerSecond
	if math.IsNaN(mps) || mps <= 0 || mps > MaxRate {
		return nil, fmt.Errorf("rate.messages_per_second: must be positive and at most %v, got %v", MaxRate, mps)
	}
	switch r.Profile {
	case "", ProfileConstant:
		if mps == math.Trunc(mps) {
			return constantInt{rate: uint64(mps)}, nil
		}
		return constantFloat{rate: mps}, nil
	}
	return nil, fmt.Errorf("rate.profile: unknown profile %s (want constant)", quote(r.Profile))
}

// constantInt is a constant whole-number rate, computed exactly in
// 128-bit integer arithmetic: message i is due at floor(i*1e9/rate) ns.
type constantInt struct {
	rate uint64 // messages per second, 1 to MaxRate
}

// Intended returns floor(i * 1e9 / rate) nanoseconds.
func (c constantInt) Intended(i int64) time.Duration {
	if i <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(i), 1e9)
	if hi >= c.rate {
		return maxDuration
	}
	q, _ := bits.Div64(hi, lo, c.rate)
	if q > math.MaxInt64 {
		return maxDuration
	}
	return time.Duration(q)
}

// Count returns ceil(d * rate / 1e9).
func (c constantInt) Count(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(d), c.rate)
	if hi >= 1e9 {
		return math.MaxInt64
	}
	q, rem := bits.Div64(hi, lo, 1e9)
	if rem != 0 {
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// constantFloat is a constant fractional rate. Each message's time is
// computed from i directly (never accumulated), so rounding cannot drift:
// the error stays below one part in 2^52 of the offset.
type constantFloat struct {
	rate float64 // messages per second, finite and > 0
}

// Intended returns floor(i * 1e9 / rate) nanoseconds.
func (c constantFloat) Intended(i int64) time.Duration {
	if i <= 0 {
		return 0
	}
	ns := math.Floor(float64(i) * 1e9 / c.rate)
	if ns >= math.MaxInt64 {
		return maxDuration
	}
	return time.Duration(ns)
}

// Count inverts Intended.
func (c constantFloat) Count(d time.Duration) int64 {
	guess := math.Ceil(float64(d) * c.rate / 1e9)
	if guess >= math.MaxInt64/2 {
		guess = math.MaxInt64 / 2
	}
	return countFrom(c, d, int64(max(guess, 0)))
}

// countFrom returns Count(d) of s given a guess close to it: the number of
// i >= 0 with s.Intended(i) < d, found by galloping from guess then
// binary search. It needs only that Intended is non-decreasing, so
// profiles without a closed-form inverse can use it.
func countFrom(s Schedule, d time.Duration, guess int64) int64 {
	if d <= 0 {
		return 0
	}
	// Invariant sought: Intended(lo-1) < d <= Intended(hi), lo <= hi.
	lo, hi := guess, guess
	for step := int64(1); lo > 0 && s.Intended(lo-1) >= d; step *= 2 {
		hi = lo
		lo = max(0, lo-step)
	}
	for step := int64(1); s.Intended(hi) < d; step *= 2 {
		if hi == math.MaxInt64 {
			return math.MaxInt64
		}
		lo = hi + 1
		hi = min(math.MaxInt64-step, hi) + step
	}
	for lo < hi { // smallest i in [lo, hi] with Intended(i) >= d
		mid := lo + (hi-lo)/2
		if s.Intended(mid) >= d {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
