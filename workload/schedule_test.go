package workload

import (
	"math"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// constantIntendedTests are intended send times of constant rates, exact
// to the nanosecond.
var constantIntendedTests = []struct {
	name string
	rate float64
	i    int64
	want time.Duration
}{
	{"first is at zero", 1000, 0, 0},                                           // run start
	{"negative i", 1000, -5, 0},                                                // clamped
	{"1ms spacing", 1000, 1, time.Millisecond},                                 // 1000/s
	{"one second", 1000, 1000, time.Second},                                    // exact
	{"quickstart 1h", 20000, 20000 * 3600, time.Hour},                          // no drift after an hour
	{"thirds floor", 3, 1, 333_333_333},                                        // 1e9/3 rounded down
	{"thirds exact", 3, 3, time.Second},                                        // lands on the second
	{"thirds big", 3, 3_000_000_001, 1_000_000_000_333_333_333},                // exact far out (~31 years)
	{"one per ns", 1e9, 12345, 12345},                                          // MaxRate
	{"saturates", 1, math.MaxInt64, time.Duration(math.MaxInt64)},              // overflow clamps
	{"half per second", 0.5, 3, 6 * time.Second},                               // fractional rate
	{"2.5 per second", 2.5, 5, 2 * time.Second},                                // fractional rate exact
	{"fractional saturates", 0.5, math.MaxInt64, time.Duration(math.MaxInt64)}, // overflow clamps
}

func TestConstantIntended(t *testing.T) {
	t.Parallel()
	for _, tt := range constantIntendedTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSchedule(Rate{Profile: ProfileConstant, MessagesPerSecond: tt.rate}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Intended(tt.i); got != tt.want {
				t.Errorf("rate %v: Intended(%d) = %d, want %d", tt.rate, tt.i, got, tt.want)
			}
		})
	}
}

func TestConstantCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rate float64
		d    time.Duration
		want int64
	}{
		{"zero", 1000, 0, 0},                                      // nothing due yet
		{"negative", 1000, -time.Second, 0},                       // before start
		{"first", 1000, 1, 1},                                     // message 0 is due at 0
		{"one second", 1000, time.Second, 1000},                   // [0, 1s) holds 0..999
		{"just past", 1000, time.Second + 1, 1001},                // message 1000 at 1s
		{"quickstart run", 20000, 10 * time.Second, 200_000},      // 10s at 20k/s
		{"thirds", 3, time.Second, 3},                             // 0, 333ms, 666ms
		{"thirds past", 3, time.Second + 1, 4},                    // and 1s
		{"half", 0.5, 2 * time.Second, 1},                         // 0 only
		{"half past", 0.5, 2*time.Second + 1, 2},                  // 0 and 2s
		{"max", 1e9, time.Duration(math.MaxInt64), math.MaxInt64}, // saturates
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := NewSchedule(Rate{MessagesPerSecond: tt.rate}, 0)
			if got := s.Count(tt.d); got != tt.want {
				t.Errorf("rate %v: Count(%d) = %d, want %d", tt.rate, tt.d, got, tt.want)
			}
		})
	}
}

// TestConstantExact compares the integer schedule with big-integer
// arithmetic and checks Count inverts Intended, for whole and fractional
// rates, at random points.
func TestConstantExact(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, rate := range []float64{1, 3, 7, 1000, 20000, 999_999_937, 1e9, 0.5, 2.5, 1.0 / 3, 12345.678} {
		s, err := NewSchedule(Rate{MessagesPerSecond: rate}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for range 2000 {
			i := r.Int64N(1 << 40)
			if rate == math.Trunc(rate) {
				want := new(big.Int).Mul(big.NewInt(i), big.NewInt(1e9))
				want.Quo(want, big.NewInt(int64(rate)))
				if got := s.Intended(i); want.IsInt64() && int64(got) != want.Int64() {
					t.Fatalf("rate %v: Intended(%d) = %d, want %s", rate, i, got, want)
				}
			}
			if s.Intended(i) > s.Intended(i+1) {
				t.Fatalf("rate %v: Intended not monotone at %d", rate, i)
			}
			d := time.Duration(r.Int64N(int64(100 * time.Hour)))
			n := s.Count(d)
			if n < 1 || s.Intended(n-1) >= d || s.Intended(n) < d {
				t.Fatalf("rate %v: Count(%d) = %d, but Intended(%d) = %d, Intended(%d) = %d",
					rate, d, n, n-1, s.Intended(n-1), n, s.Intended(n))
			}
		}
	}
}

func TestNewScheduleErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rate Rate
	}{
		{"zero", Rate{MessagesPerSecond: 0}},                                                                 // not positive
		{"negative", Rate{MessagesPerSecond: -1}},                                                            // not positive
		{"nan", Rate{MessagesPerSecond: math.NaN()}},                                                         // not a number
		{"inf", Rate{MessagesPerSecond: math.Inf(1)}},                                                        // above MaxRate
		{"too high", Rate{MessagesPerSecond: 2e9}},                                                           // above MaxRate
		{"unknown profile", Rate{Profile: "zigzag", MessagesPerSecond: 1}},                                   // no such profile
		{"max", Rate{Profile: ProfileMax}},                                                                   // closed loop: no schedule
		{"ramp zero", Rate{Profile: ProfileRamp, Over: Duration(time.Second)}},                               // from and to both 0
		{"ramp no over", Rate{Profile: ProfileRamp, From: 1, To: 2}},                                         // over 0
		{"steps none", Rate{Profile: ProfileSteps}},                                                          // no steps
		{"steps all zero", Rate{Profile: ProfileSteps, Steps: []Step{{0, Duration(time.Second)}}}},           // never sends
		{"sine amplitude", Rate{Profile: ProfileSine, Mean: 1, Amplitude: 2, Period: Duration(time.Second)}}, // negative rate
		{"poisson zero", Rate{Profile: ProfilePoisson}},                                                      // mean 0
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if s, err := NewSchedule(tt.rate, 0); err == nil {
				t.Errorf("NewSchedule(%+v) = %v, want error", tt.rate, s)
			}
		})
	}
}

// sec is a Duration of x seconds.
func sec(x float64) time.Duration { return time.Duration(x * 1e9) }

// secs is a scenario Duration of x seconds.
func secs(x float64) Duration { return Duration(sec(x)) }

// TestProfileIntended checks intended times of each profile at points
// where its formula (NewSchedule) gives a round answer, to the nanosecond.
func TestProfileIntended(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rate Rate
		i    int64
		want time.Duration
	}{
		// ramp 0→1000 msg/s over 10 s: N(t) = 50t², so message i is due at √(i/50)
		{"ramp up start", Rate{Profile: ProfileRamp, To: 1000, Over: secs(10)}, 0, 0},
		{"ramp up 1s", Rate{Profile: ProfileRamp, To: 1000, Over: secs(10)}, 50, time.Second},
		{"ramp up 2s", Rate{Profile: ProfileRamp, To: 1000, Over: secs(10)}, 200, 2 * time.Second},
		{"ramp up end", Rate{Profile: ProfileRamp, To: 1000, Over: secs(10)}, 5000, 10 * time.Second},
		{"ramp up then hold", Rate{Profile: ProfileRamp, To: 1000, Over: secs(10)}, 6000, 11 * time.Second},
		// ramp 1000→3000 over 2 s: N(t) = 1000t + 500t²
		{"ramp 1s", Rate{Profile: ProfileRamp, From: 1000, To: 3000, Over: secs(2)}, 1500, time.Second},
		{"ramp hold", Rate{Profile: ProfileRamp, From: 1000, To: 3000, Over: secs(2)}, 7000, 3 * time.Second},
		// ramp down 2000→0 over 4 s: N(t) = 2000t − 250t², N(4 s) = 4000 is never exceeded
		{"ramp down 2s", Rate{Profile: ProfileRamp, From: 2000, Over: secs(4)}, 3000, 2 * time.Second},
		{"ramp down never", Rate{Profile: ProfileRamp, From: 2000, Over: secs(4)}, 4000, maxDuration},
		// steps 1000/s for 2 s, a 1 s pause, 500/s for 2 s
		{"steps first", Rate{Profile: ProfileSteps, Steps: []Step{{1000, secs(2)}, {0, secs(1)}, {500, secs(2)}}}, 1999, 1999 * time.Millisecond},
		{"steps after pause", Rate{Profile: ProfileSteps, Steps: []Step{{1000, secs(2)}, {0, secs(1)}, {500, secs(2)}}}, 2000, 3 * time.Second},
		{"steps third", Rate{Profile: ProfileSteps, Steps: []Step{{1000, secs(2)}, {0, secs(1)}, {500, secs(2)}}}, 2001, 3002 * time.Millisecond},
		{"steps hold last", Rate{Profile: ProfileSteps, Steps: []Step{{1000, secs(2)}, {0, secs(1)}, {500, secs(2)}}}, 3001, 5002 * time.Millisecond},
		{"steps repeat", Rate{Profile: ProfileSteps, Repeat: true, Steps: []Step{{1000, secs(2)}, {0, secs(1)}, {500, secs(2)}}}, 3001, 5001 * time.Millisecond},
		{"steps repeat 3rd pass", Rate{Profile: ProfileSteps, Repeat: true, Steps: []Step{{1000, secs(2)}, {0, secs(1)}, {500, secs(2)}}}, 8000, 13 * time.Second},
		// a pause first: message 0 waits for the first positive step
		{"steps pause first", Rate{Profile: ProfileSteps, Steps: []Step{{0, secs(1)}, {100, secs(1)}}}, 0, time.Second},
		{"steps last zero", Rate{Profile: ProfileSteps, Steps: []Step{{100, secs(1)}, {0, secs(1)}}}, 100, maxDuration},
		// sine mean 1000, amplitude 500, period 4 s: N(kP) = 1000·kP
		{"sine one period", Rate{Profile: ProfileSine, Mean: 1000, Amplitude: 500, Period: secs(4)}, 4000, 4 * time.Second},
		{"sine ten periods", Rate{Profile: ProfileSine, Mean: 1000, Amplitude: 500, Period: secs(4)}, 40000, 40 * time.Second},
		// amplitude 0 is constant
		{"sine flat", Rate{Profile: ProfileSine, Mean: 1000, Period: secs(4)}, 1234, 1234 * time.Millisecond},
		// half a period at full amplitude: N(P/2) = μP/2 + 2Aμ... = 2000 + 1000·2/π·... checked by formula below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSchedule(tt.rate, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := s.Intended(tt.i)
			if diff := got - tt.want; diff < -1 || diff > 1 {
				t.Errorf("Intended(%d) = %v (%d ns), want %v ±1ns", tt.i, got, int64(got), tt.want)
			}
		})
	}
}

// expectedN is the test's own statement of each profile's expected
// cumulative count N(t) = ∫₀ᵗ rate, independent of schedule.go.
func expectedN(r Rate, t time.Duration) float64 {
	x := t.Seconds()
	switch r.Profile {
	case ProfileRamp:
		over := r.Over.D().Seconds()
		if x <= over {
			return r.From*x + (r.To-r.From)/over*x*x/2
		}
		return (r.From+r.To)/2*over + r.To*(x-over)
	case ProfileSteps:
		var n, start float64
		for pass := 0; ; pass++ {
			for _, st := range r.Steps {
				l := st.For.D().Seconds()
				if x < start+l {
					return n + st.Rate*(x-start)
				}
				n += st.Rate * l
				start += l
			}
			if !r.Repeat {
				return n + r.Steps[len(r.Steps)-1].Rate*(x-start)
			}
		}
	case ProfileSine:
		w := 2 * math.Pi / r.Period.D().Seconds()
		return r.Mean*x + r.Amplitude/w*(1-math.Cos(w*x))
	}
	return r.MessagesPerSecond * x
}

// TestProfileFormula checks every profile's intended times against its
// formula at many points: message i is due at the first nanosecond t with
// N(t) > i, so N(t−1ns) <= i <= N(t+1ns) (up to float rounding of N,
// 1e-6 messages). It also checks that Intended is non-decreasing and that
// Count inverts it.
func TestProfileFormula(t *testing.T) {
	t.Parallel()
	rates := []Rate{
		{Profile: ProfileConstant, MessagesPerSecond: 12345.6},
		{Profile: ProfileRamp, From: 100, To: 50000, Over: secs(30)},
		{Profile: ProfileRamp, From: 50000, To: 10, Over: secs(7.5)},
		{Profile: ProfileRamp, From: 0, To: 200000, Over: secs(3)},
		{Profile: ProfileSteps, Steps: []Step{{1000, secs(1)}, {20000, secs(0.25)}, {0, secs(0.5)}, {3000, secs(2)}}},
		{Profile: ProfileSteps, Repeat: true, Steps: []Step{{10000, secs(0.9)}, {50000, secs(0.1)}}},
		{Profile: ProfileSine, Mean: 10000, Amplitude: 5000, Period: secs(10)},
		{Profile: ProfileSine, Mean: 2000, Amplitude: 2000, Period: secs(1)}, // touches 0
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, rate := range rates {
		s, err := NewSchedule(rate, 0)
		if err != nil {
			t.Fatal(err)
		}
		limit := int64(expectedN(rate, 60*time.Second))
		prev := time.Duration(0)
		for k := range 3000 {
			i := int64(k) // the start, then random points
			if k >= 1000 {
				i = r.Int64N(limit)
			}
			got := s.Intended(i)
			lo, hi := expectedN(rate, got-1), expectedN(rate, got+1)
			if i > 0 && (lo > float64(i)+1e-6 || hi < float64(i)-1e-6) {
				t.Fatalf("%+v: Intended(%d) = %v, but N(t-1ns) = %.6f and N(t+1ns) = %.6f", rate, i, got, lo, hi)
			}
			if k < 1000 && got < prev {
				t.Fatalf("%+v: Intended(%d) = %v < Intended(%d) = %v", rate, i, got, i-1, prev)
			}
			prev = got
			if next := s.Intended(i + 1); next < got {
				t.Fatalf("%+v: Intended not monotone at %d: %v then %v", rate, i, got, next)
			}
			dd := time.Duration(r.Int64N(int64(60 * time.Second)))
			n := s.Count(dd)
			if n > 0 && s.Intended(n-1) >= dd || s.Intended(n) < dd {
				t.Fatalf("%+v: Count(%v) = %d, but Intended(%d) = %v, Intended(%d) = %v", rate, dd, n, n-1, s.Intended(n-1), n, s.Intended(n))
			}
			if want := expectedN(rate, dd); math.Abs(float64(n)-want) > 1.000001 {
				t.Fatalf("%+v: Count(%v) = %d, formula %.3f", rate, dd, n, want)
			}
		}
	}
}

// TestPoissonArrivals checks the poisson profile statistically with a
// fixed seed: 200,000 gaps (crossing 48 chunk boundaries) against the
// exponential distribution by a KS test at significance 0.001; the count
// in 20 s within 4 standard deviations (4√(λt)) of λt; and lag-1
// correlation of gaps within 4/√n of 0 (independence).
func TestPoissonArrivals(t *testing.T) {
	t.Parallel()
	const lambda = 10000.0
	s, err := NewSchedule(Rate{Profile: ProfilePoisson, Mean: lambda}, 99)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200_000
	gaps := make([]int, n)
	var sum, sumsq, cross float64
	prev := s.Intended(0)
	for i := range int64(n) {
		next := s.Intended(i + 1)
		if next < prev {
			t.Fatalf("Intended(%d) = %v < Intended(%d) = %v", i+1, next, i, prev)
		}
		gaps[i] = int(next - prev)
		prev = next
	}
	checkKS(t, "poisson gaps", gaps, func(x float64) float64 {
		if x < 0 {
			return 0
		}
		return 1 - math.Exp(-lambda*x/1e9)
	})
	for i, g := range gaps {
		x := float64(g)
		sum += x
		sumsq += x * x
		if i > 0 {
			cross += x * float64(gaps[i-1])
		}
	}
	mean := sum / n
	variance := sumsq/n - mean*mean
	corr := (cross/(n-1) - mean*mean) / variance
	if math.Abs(corr) > 4/math.Sqrt(n) {
		t.Errorf("lag-1 correlation of gaps = %.4f, want |r| < %.4f", corr, 4/math.Sqrt(n))
	}
	c := float64(s.Count(20 * time.Second))
	if want := lambda * 20; math.Abs(c-want) > 4*math.Sqrt(want) {
		t.Errorf("Count(20s) = %.0f, want %.0f ± %.0f", c, want, 4*math.Sqrt(want))
	}
}

// TestPoissonDeterminism: same seed, same arrivals, computed in any order
// and concurrently; another seed, other arrivals.
func TestPoissonDeterminism(t *testing.T) {
	t.Parallel()
	a, _ := NewSchedule(Rate{Profile: ProfilePoisson, Mean: 5000}, 1)
	b, _ := NewSchedule(Rate{Profile: ProfilePoisson, Mean: 5000}, 1)
	c, _ := NewSchedule(Rate{Profile: ProfilePoisson, Mean: 5000}, 2)
	const n = 100_000
	want := make([]time.Duration, n)
	for i := range want {
		want[i] = a.Intended(int64(i))
	}
	same := 0
	for i := n - 1; i >= 0; i -= 7 { // backwards: other chunks first
		if got := b.Intended(int64(i)); got != want[i] {
			t.Fatalf("same seed: Intended(%d) = %v and %v", i, want[i], got)
		}
		if c.Intended(int64(i)) == want[i] {
			same++
		}
	}
	if same > 2 {
		t.Errorf("seeds 1 and 2 agree on %d arrival times", same)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for range 20000 {
				i := r.IntN(6 * poissonChunk) // chunks filled concurrently, then cached

				if got := b.Intended(int64(i)); got != want[i] {
					t.Errorf("concurrent Intended(%d) = %v, want %v", i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestScheduleAllocs(t *testing.T) {
	d := Duration(10 * time.Second)
	for _, rate := range []Rate{
		{MessagesPerSecond: 1000},
		{MessagesPerSecond: 2.5},
		{Profile: ProfileRamp, From: 1, To: 1000, Over: d},
		{Profile: ProfileSteps, Steps: []Step{{1000, d}, {10, d}}},
		{Profile: ProfileSine, Mean: 1000, Amplitude: 10, Period: d},
		{Profile: ProfilePoisson, Mean: 1000},
	} {
		s, _ := NewSchedule(rate, 0)
		s.Intended(0) // fill the first poisson chunk
		checkNoAllocs(t, rate.profile()+": Intended", func(i int64) { _ = s.Intended(i) })
	}
}

// TestMeanRateAndAt checks the target rate helpers reports use.
func TestMeanRateAndAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate             Rate
		at, length       time.Duration // At(at) = wantAt, MeanRate(length) = wantMean
		wantAt, wantMean float64
	}{
		{Rate{MessagesPerSecond: 500}, time.Second, 10 * time.Second, 500, 500},
		{Rate{Profile: ProfileRamp, From: 0, To: 1000, Over: secs(10)}, 5 * time.Second, 10 * time.Second, 500, 500},
		{Rate{Profile: ProfileSteps, Steps: []Step{{100, secs(1)}, {300, secs(1)}}}, 1500 * time.Millisecond, 2 * time.Second, 300, 200},
		{Rate{Profile: ProfileSine, Mean: 100, Amplitude: 50, Period: secs(4)}, time.Second, 4 * time.Second, 150, 100},
		{Rate{Profile: ProfilePoisson, Mean: 70}, time.Second, time.Second, 70, 70},
		{Rate{Profile: ProfileMax}, time.Second, time.Second, 0, 0},
	}
	for _, tt := range tests {
		if got := tt.rate.At(tt.at); math.Abs(got-tt.wantAt) > 1e-9 {
			t.Errorf("%s At(%v) = %v, want %v", tt.rate.profile(), tt.at, got, tt.wantAt)
		}
		if got := tt.rate.MeanRate(tt.length); math.Abs(got-tt.wantMean) > 1e-6 {
			t.Errorf("%s MeanRate(%v) = %v, want %v", tt.rate.profile(), tt.length, got, tt.wantMean)
		}
	}
}

func BenchmarkIntended(b *testing.B) {
	d := Duration(10 * time.Second)
	for _, rate := range []Rate{
		{MessagesPerSecond: 200000},
		{Profile: ProfileRamp, From: 1, To: 200000, Over: d},
		{Profile: ProfileSteps, Steps: []Step{{1000, d}, {200000, d}}},
		{Profile: ProfileSine, Mean: 100000, Amplitude: 50000, Period: d},
		{Profile: ProfilePoisson, Mean: 200000},
	} {
		b.Run(rate.profile(), func(b *testing.B) {
			s, _ := NewSchedule(rate, 0)
			for i := range int64(b.N) {
				_ = s.Intended(i)
			}
		})
	}
}
