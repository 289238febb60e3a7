package workload

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

func TestConstantIntended(t *testing.T) {
	t.Parallel()
	tests := []struct {
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSchedule(Rate{Profile: ProfileConstant, MessagesPerSecond: tt.rate})
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
			s, _ := NewSchedule(Rate{MessagesPerSecond: tt.rate})
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
		s, err := NewSchedule(Rate{MessagesPerSecond: rate})
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
		{"zero", Rate{MessagesPerSecond: 0}},                     // not positive
		{"negative", Rate{MessagesPerSecond: -1}},                // not positive
		{"nan", Rate{MessagesPerSecond: math.NaN()}},             // not a number
		{"inf", Rate{MessagesPerSecond: math.Inf(1)}},            // above MaxRate
		{"too high", Rate{MessagesPerSecond: 2e9}},               // above MaxRate
		{"profile", Rate{Profile: "ramp", MessagesPerSecond: 1}}, // unknown profile
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if s, err := NewSchedule(tt.rate); err == nil {
				t.Errorf("NewSchedule(%+v) = %v, want error", tt.rate, s)
			}
		})
	}
}

func TestScheduleAllocs(t *testing.T) {
	for _, rate := range []float64{1000, 2.5} {
		s, _ := NewSchedule(Rate{MessagesPerSecond: rate})
		i := int64(0)
		if a := testing.AllocsPerRun(1000, func() { _ = s.Intended(i); i++ }); a != 0 {
			t.Errorf("rate %v: Intended allocates %v times per call", rate, a)
		}
	}
}
