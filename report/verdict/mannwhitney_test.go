package verdict

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// near reports whether a and b agree to within tol, absolutely.
func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMannWhitneyUKnown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		x, y  []float64
		u, p  float64
		tol   float64
		exact bool
	}{
		// R: wilcox.test(c(1,2,3), c(4,5,6)) gives W = 0, p-value = 0.1
		// (2 of the C(6,3) = 20 arrangements are this extreme).
		{"R 3v3 separated", []float64{1, 2, 3}, []float64{4, 5, 6}, 0, 0.1, 1e-12, true},
		// R: wilcox.test(1:5, 6:10) gives W = 0, p-value = 0.007937 = 2/252.
		{"R 5v5 separated", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0, 2.0 / 252, 1e-12, true},
		// The same with the samples swapped: W = 25 = 5*5 - 0, same p.
		{"R 5v5 swapped", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 25, 2.0 / 252, 1e-12, true},
		// R's ?wilcox.test example (Hollander & Wolfe 1973, p. 69,
		// permeability constants): wilcox.test(x, y, alternative = "g")
		// prints W = 35, p-value = 0.1272; two-sided it is 0.2544
		// (checked by enumerating all C(15,5) = 3003 splits).
		{
			"R Hollander-Wolfe",
			[]float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46},
			[]float64{1.15, 0.88, 0.90, 0.74, 1.21},
			35, 0.2544122544122544, 1e-12, true,
		},
		// Interleaved: U at the centre, p = 1.
		{"centre", []float64{1, 4}, []float64{2, 3}, 2, 1, 0, true},
		// One against one can never be significant: p = 1.
		{"1v1", []float64{1}, []float64{2}, 0, 1, 0, true},
		// Ties: normal approximation with tie and continuity correction,
		// R: wilcox.test(c(1,2,2,3), c(2,3,4,5), exact = FALSE) gives
		// W = 2.5, p-value = 0.1367. By hand: ranks of x are 1, 3, 3, 5.5,
		// R1 = 12.5, U = 12.5 - 10 = 2.5; tie term (27-3) + (8-2) = 30;
		// σ² = 16/12·(9 - 30/56) = 11.2857; z = (2.5 - 8 + 0.5)/3.3594 =
		// -1.48835; p = erfc(1.48835/√2) = 0.136658.
		{"ties", []float64{1, 2, 2, 3}, []float64{2, 3, 4, 5}, 2.5, 0.13665824773814753, 1e-12, false},
		// The same swapped: U = 16 - 2.5 = 13.5 lies above the centre, the
		// correction goes the other way, p is the same.
		{"ties swapped", []float64{2, 3, 4, 5}, []float64{1, 2, 2, 3}, 13.5, 0.13665824773814753, 1e-12, false},
		// Every value equal: no evidence of a difference.
		{"all equal", []float64{7, 7, 7}, []float64{7, 7}, 3, 1, 0, false},
		// 60 against 60 without ties is beyond the exact limit: normal
		// approximation. x = 1..60, y = 21.5..80.5: U = 780, z = -5.35099,
		// p = 8.7476e-08 (same formula as the ties case, tie term 0).
		{"normal 60v60", seq(1, 60, 0), seq(21, 80, 0.5), 780, 8.747567722893554e-08, 1e-18, false},
	}
	for _, tt := range tests {
		got, err := MannWhitneyU(tt.x, tt.y)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got.U != tt.u || !near(got.P, tt.p, tt.tol) || got.Exact != tt.exact ||
			got.N1 != len(tt.x) || got.N2 != len(tt.y) {
			t.Errorf("%s: MannWhitneyU = %+v, want U %v, P %v, Exact %v", tt.name, got, tt.u, tt.p, tt.exact)
		}
	}
}

// seq returns from, from+1, ..., to, each plus off.
func seq(from, to int, off float64) []float64 {
	var out []float64
	for i := from; i <= to; i++ {
		out = append(out, float64(i)+off)
	}
	return out
}

// bruteP returns the exact two-sided p-value of x against y (distinct
// values) by enumerating every way to split the pooled values into samples
// of their sizes.
func bruteP(x, y []float64) float64 {
	pool := append(append([]float64(nil), x...), y...)
	n1, n := len(x), len(x)+len(y)
	uOf := func(mask int) float64 {
		u := 0.0
		for i := 0; i < n; i++ {
			if mask&(1<<i) == 0 {
				continue
			}
			for j := 0; j < n; j++ {
				if mask&(1<<j) == 0 && pool[i] > pool[j] {
					u++
				}
			}
		}
		return u
	}
	obs := uOf(1<<n1 - 1)
	centre := float64(len(x)*len(y)) / 2
	var total, extreme float64
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != n1 {
			continue
		}
		total++
		if math.Abs(uOf(mask)-centre) >= math.Abs(obs-centre) {
			extreme++
		}
	}
	return extreme / total
}

func popcount(x int) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}

func TestMannWhitneyUMatchesEnumeration(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 1))
	for trial := range 300 {
		n1, n2 := 1+rng.IntN(6), 1+rng.IntN(6)
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = rng.Float64()
		}
		for i := range y {
			y[i] = rng.Float64() + 0.3*rng.Float64() // a little shifted, to get small p too
		}
		got, err := MannWhitneyU(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteP(x, y); !got.Exact || !near(got.P, want, 1e-12) {
			t.Fatalf("trial %d: %d v %d: P = %v (exact %v), enumeration gives %v", trial, n1, n2, got.P, got.Exact, want)
		}
	}
}

func TestMannWhitneyUExactLimit(t *testing.T) {
	t.Parallel()
	// 50 against 50 without ties is exact. x = 1..50, y = 11.5..60.5:
	// U = 780 and p = 0.0010550164711136758, from the integer counts of U's
	// distribution (Gaussian binomial coefficients, summed in Python with
	// exact integers, total C(100,50)).
	exact, err := MannWhitneyU(seq(1, 50, 0), seq(11, 60, 0.5))
	if err != nil || !exact.Exact || exact.U != 780 || !near(exact.P, 0.0010550164711136758, 1e-15) {
		t.Fatalf("50v50 = %+v, %v; want exact U 780, P 0.00105502", exact, err)
	}
	// One more value and the normal approximation takes over; its tail is
	// near the exact value but not equal (0.00121 here).
	approx, err := MannWhitneyU(seq(1, 50, 0), seq(11, 61, 0.5))
	if err != nil || approx.Exact || !(approx.P > 0.0005 && approx.P < 0.002) {
		t.Fatalf("50v51 = %+v, %v; want approximate, P near 0.001", approx, err)
	}
}

func TestMannWhitneyUErrors(t *testing.T) {
	t.Parallel()
	if _, err := MannWhitneyU(nil, []float64{1}); !errors.Is(err, ErrSampleSize) {
		t.Errorf("empty x: %v, want ErrSampleSize", err)
	}
	if _, err := MannWhitneyU([]float64{1}, []float64{}); !errors.Is(err, ErrSampleSize) {
		t.Errorf("empty y: %v, want ErrSampleSize", err)
	}
	if _, err := MannWhitneyU([]float64{1, math.NaN()}, []float64{2}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v, want ErrNotFinite", err)
	}
	if _, err := MannWhitneyU([]float64{1}, []float64{math.Inf(-1)}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("-Inf: %v, want ErrNotFinite", err)
	}
}

func TestMannWhitneyUDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	x, y := []float64{3, 1, 2}, []float64{6, 4, 5}
	if _, err := MannWhitneyU(x, y); err != nil {
		t.Fatal(err)
	}
	if x[0] != 3 || y[0] != 6 {
		t.Errorf("inputs reordered: %v %v", x, y)
	}
}

func TestMinPValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n1, n2 int
		want   float64
	}{
		{0, 5, 1},              // empty side
		{1, 1, 1},              // 2/C(2,1) = 1
		{2, 2, 1.0 / 3},        // 2/C(4,2) = 2/6
		{3, 3, 0.1},            // 2/20
		{3, 4, 2.0 / 35},       // 0.057: still not below 0.05
		{3, 5, 2.0 / 56},       // 0.036
		{4, 4, 2.0 / 70},       // 0.029
		{5, 5, 2.0 / 252},      // 0.0079
		{1, 39, 2.0 / 40},      // 0.05: one run against many is hopeless
		{10, 10, 2.0 / 184756}, // 2/C(20,10)
	}
	for _, tt := range tests {
		if got := MinPValue(tt.n1, tt.n2); !near(got, tt.want, 1e-15) {
			t.Errorf("MinPValue(%d, %d) = %v, want %v", tt.n1, tt.n2, got, tt.want)
		}
	}
	// Beyond the exact limit the normal approximation is used; it is tiny.
	if p := MinPValue(60, 60); !(p > 0 && p < 1e-15) {
		t.Errorf("MinPValue(60, 60) = %v, want tiny but positive", p)
	}
}

func BenchmarkMannWhitneyUExact50(b *testing.B) {
	x, y := seq(1, 50, 0), seq(20, 69, 0.5)
	for b.Loop() {
		if _, err := MannWhitneyU(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
