package workload

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"time"
)

// Schedule is a run's open-loop send schedule: message i is due at a time
// fixed in advance, whether or not earlier sends have completed, so
// latency measured from the intended time includes queueing delay
// (no coordinated omission). Implementations are safe for concurrent use
// and do not allocate in Intended.
type Schedule interface {
	// Intended returns the offset from the start of the run at which
	// message i is due. It is non-decreasing in i; i < 0 counts as 0,
	// and message 0 is due when the rate first becomes positive (at 0 for
	// every profile but steps starting with a pause). It saturates at the
	// largest time.Duration (a profile whose rate drops to 0 for good
	// never reaches later messages).
	Intended(i int64) time.Duration
	// Count returns how many messages are due in [0, d): the number of
	// i >= 0 with Intended(i) < d, so Intended(Count(d)-1) < d <=
	// Intended(Count(d)). It is 0 for d <= 0 and saturates at
	// math.MaxInt64.
	Count(d time.Duration) int64
}

// cumulative is a schedule with a closed-form expected count N(d) =
// ∫₀ᵈ rate(u) du.
type cumulative interface {
	expected(d time.Duration) float64
}

// maxDuration is the largest time.Duration.
const maxDuration = time.Duration(math.MaxInt64)

// NewSchedule returns the open-loop schedule of r; seed matters only to
// poisson. Message i is due at the first t with N(t) > i, where N(t) =
// ∫₀ᵗ rate(u) du, floored to the nanosecond:
//
//   - constant R: i/R. Whole-number rates are computed exactly in 128-bit
//     integer arithmetic.
//   - ramp From→To over T: with a = (To−From)/T, the root of
//     From·t + a·t²/2 = i while i < (From+To)/2·T, computed as
//     2i/(From + √(From² + 2ai)); then T + (i − (From+To)/2·T)/To.
//   - steps: within the step k where Nₖ <= i < Nₖ₊₁ (Nₖ the messages of
//     the steps before it), startₖ + (i − Nₖ)/rateₖ; with repeat, i is
//     first reduced modulo the messages of one pass.
//   - sine: the root of Mean·t + Amplitude·P/(2π)·(1 − cos(2πt/P)) = i,
//     found by safeguarded Newton iteration within one period.
//   - poisson: gaps between messages are independent exponential
//     variables of mean 1/Mean, drawn from (seed, i) (see poissonSchedule).
//
// It returns an error for ProfileMax (a closed loop has no schedule), an
// unknown profile or parameters Validate would reject.
func NewSchedule(r Rate, seed int64) (Schedule, error) {
	p, ok := profiles[r.profile()]
	if !ok {
		return nil, fmt.Errorf("rate.profile: unknown profile %s (want %s)", quote(r.Profile), rateProfiles.names())
	}
	sched, err := p.schedule(r, seed)
	if err == nil && sched == nil {
		return nil, fmt.Errorf("rate.profile: %s is a closed loop and has no schedule", r.profile())
	}
	return sched, err
}

// secondsToDuration converts t seconds (>= 0) to a Duration, flooring to
// the nanosecond and saturating at maxDuration.
func secondsToDuration(t float64) time.Duration {
	ns := math.Floor(t * 1e9)
	if !(ns < math.MaxInt64) {
		return maxDuration
	}
	if ns < 0 {
		return 0
	}
	return time.Duration(ns)
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

func (c constantInt) expected(d time.Duration) float64 { return float64(c.rate) * d.Seconds() }

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
	return secondsToDuration(float64(i) / c.rate)
}

// Count inverts Intended.
func (c constantFloat) Count(d time.Duration) int64 {
	return countFrom(c, d, c.expected(d))
}

func (c constantFloat) expected(d time.Duration) float64 { return c.rate * d.Seconds() }

// ramp changes the rate linearly from `from` to `to` over `over` seconds,
// then holds `to`.
type ramp struct {
	from, to, over float64 // msg/s, msg/s, s
	accel          float64 // (to-from)/over, msg/s²
	nOver          float64 // messages due during the ramp: (from+to)/2·over
}

func newRamp(from, to float64, over time.Duration) ramp {
	o := over.Seconds()
	return ramp{from: from, to: to, over: o, accel: (to - from) / o, nOver: (from + to) / 2 * o}
}

// Intended solves N(t) = i (see NewSchedule).
func (r ramp) Intended(i int64) time.Duration {
	if i <= 0 {
		return 0
	}
	x := float64(i)
	if x < r.nOver {
		disc := math.Max(0, r.from*r.from+2*r.accel*x)
		return secondsToDuration(2 * x / (r.from + math.Sqrt(disc)))
	}
	if r.to == 0 {
		return maxDuration
	}
	return secondsToDuration(r.over + (x-r.nOver)/r.to)
}

// Count inverts Intended.
func (r ramp) Count(d time.Duration) int64 { return countFrom(r, d, r.expected(d)) }

func (r ramp) expected(d time.Duration) float64 {
	t := d.Seconds()
	if t <= r.over {
		return r.from*t + r.accel*t*t/2
	}
	return r.nOver + r.to*(t-r.over)
}

// steps holds each step's rate for its duration.
type steps struct {
	rate    []float64 // rate of step k, msg/s
	startNs []int64   // start of step k, ns from the start of a pass
	before  []float64 // messages due before step k in one pass; before[len(rate)] is a pass's total
	passNs  int64     // length of one pass, ns
	repeat  bool      // start again after the last step
}

func newSteps(list []Step, repeat bool) (*steps, error) {
	if len(list) == 0 || len(list) > MaxSteps {
		return nil, fmt.Errorf("rate.steps: must have 1 to %d steps, got %d", MaxSteps, len(list))
	}
	s := &steps{repeat: repeat, before: make([]float64, 1, len(list)+1)}
	var start int64
	positive := false
	for k, st := range list {
		if !finite(st.Rate) || st.Rate < 0 || st.Rate > MaxRate {
			return nil, fmt.Errorf("rate.steps[%d].rate: invalid value %v", k, st.Rate)
		}
		if st.For <= 0 || start > math.MaxInt64-int64(st.For) {
			return nil, fmt.Errorf("rate.steps[%d].for: invalid value %v", k, st.For)
		}
		positive = positive || st.Rate > 0
		s.rate = append(s.rate, st.Rate)
		s.startNs = append(s.startNs, start)
		start += int64(st.For)
		s.before = append(s.before, s.before[k]+st.Rate*st.For.D().Seconds())
	}
	if !positive {
		return nil, fmt.Errorf("rate.steps: at least one step must have a positive rate")
	}
	s.passNs = start
	return s, nil
}

// Intended finds i's step (see NewSchedule).
func (s *steps) Intended(i int64) time.Duration {
	if i <= 0 {
		i = 0
	}
	x := float64(i)
	n := len(s.rate)
	total := s.before[n]
	var base float64 // ns
	if s.repeat {
		pass := math.Floor(x / total)
		x -= pass * total
		if x >= total { // rounding
			pass, x = pass+1, x-total
		}
		if x < 0 {
			x = 0
		}
		base = pass * float64(s.passNs)
	}
	// The first step whose end count exceeds x; steps of rate 0 never
	// qualify before a later positive one.
	k := sort.Search(n, func(k int) bool { return s.before[k+1] > x })
	var ns float64
	if k == n { // past the last step: its rate holds
		last := s.rate[n-1]
		if last == 0 {
			return maxDuration
		}
		ns = base + float64(s.passNs) + (x-total)/last*1e9
	} else {
		ns = base + float64(s.startNs[k]) + (x-s.before[k])/s.rate[k]*1e9
	}
	if !(ns < math.MaxInt64) {
		return maxDuration
	}
	return time.Duration(math.Floor(ns))
}

// Count inverts Intended.
func (s *steps) Count(d time.Duration) int64 { return countFrom(s, d, s.expected(d)) }

func (s *steps) expected(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	n := len(s.rate)
	var passes float64
	t := int64(d)
	if s.repeat {
		passes = float64(t / s.passNs)
		t %= s.passNs
	}
	got := passes * s.before[n]
	if t >= s.passNs {
		return got + s.before[n] + s.rate[n-1]*float64(t-s.passNs)/1e9
	}
	k := sort.Search(n, func(k int) bool { return k+1 == n || s.startNs[k+1] > t })
	return got + s.before[k] + s.rate[k]*float64(t-s.startNs[k])/1e9
}

// sine varies the rate as mean + amp·sin(ωt).
type sine struct {
	mean, amp float64 // msg/s
	period    float64 // s
	omega     float64 // 2π/period
	perPeriod float64 // messages per period: mean·period
	// inv[k] is the time within a period at which k/sineTable of its
	// messages are due: the initial guess for Newton's method.
	inv []float64
}

// sineTable is the number of intervals of a sine's inverse table.
const sineTable = 4096

func newSine(mean, amp float64, period time.Duration) sine {
	p := period.Seconds()
	s := sine{mean: mean, amp: amp, period: p, omega: 2 * math.Pi / p, perPeriod: mean * p}
	inv := make([]float64, sineTable+1)
	for k := range inv {
		x := float64(k) / sineTable * s.perPeriod
		inv[k] = s.solve(x, x/mean)
	}
	s.inv = inv
	return s
}

// n is the expected count at t seconds into a period.
func (s sine) n(t float64) float64 {
	return s.mean*t + s.amp/s.omega*(1-math.Cos(s.omega*t))
}

// Intended solves N(t) = i within one period (see NewSchedule).
func (s sine) Intended(i int64) time.Duration {
	if i <= 0 {
		return 0
	}
	x := float64(i)
	c := math.Floor(x / s.perPeriod)
	x -= c * s.perPeriod
	if x < 0 {
		x = 0
	}
	// Interpolate the inverse table for a guess within a few µs.
	f := x / s.perPeriod * sineTable
	k := min(int(f), sineTable-1)
	guess := s.inv[k] + (s.inv[k+1]-s.inv[k])*(f-float64(k))
	return secondsToDuration(c*s.period + s.solve(x, guess))
}

// solve returns the t in [0, period] with N(t) = x, to about 0.01 ns, by
// Newton's method from guess, kept inside a shrinking bracket (bisection
// when a step would leave it).
func (s sine) solve(x, guess float64) float64 {
	// N(t) − mean·t lies in [0, 2·amp/ω], which brackets the root.
	lo := math.Max(0, (x-2*s.amp/s.omega)/s.mean)
	hi := math.Min(s.period, x/s.mean)
	t := math.Min(math.Max(guess, lo), hi)
	for iter := 0; iter < 100 && hi-lo > 1e-12*math.Max(1, hi); iter++ {
		sin, cos := math.Sincos(s.omega * t)
		f := s.mean*t + s.amp/s.omega*(1-cos) - x // N(t) − x
		if f < 0 {
			lo = t
		} else {
			hi = t
		}
		r := s.mean + s.amp*sin             // N'(t)
		if r > 0 && math.Abs(f/r) < 1e-11 { // within 0.01 ns: below the nanosecond floor
			t -= f / r
			break
		}
		next := t - f/r
		if !(r > 0) || !(next > lo && next < hi) {
			next = lo + (hi-lo)/2
		}
		t = next
	}
	// The root is the smallest t with N(t) > x, so take the upper end
	// of what is left of the bracket when it is tighter than t.
	return math.Max(t, lo)
}

// Count inverts Intended.
func (s sine) Count(d time.Duration) int64 { return countFrom(s, d, s.expected(d)) }

func (s sine) expected(d time.Duration) float64 {
	t := d.Seconds()
	c := math.Floor(t / s.period)
	return c*s.perPeriod + s.n(t-c*s.period)
}

// countFrom returns Count(d) of s given a guess close to it (expected
// messages, possibly fractional): the number of i >= 0 with
// s.Intended(i) < d, found by galloping from the guess then binary search.
// It needs only that Intended is non-decreasing.
func countFrom(s Schedule, d time.Duration, guessF float64) int64 {
	if d <= 0 {
		return 0
	}
	guess := int64(0)
	switch {
	case !(guessF > 0):
	case guessF >= math.MaxInt64/2:
		guess = math.MaxInt64 / 2
	default:
		guess = int64(math.Ceil(guessF))
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
