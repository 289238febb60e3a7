package workload

import (
	"math"
	"sort"
	"testing"
)

// Goodness-of-fit helpers. Every statistical test in this package uses a
// fixed seed, so it is deterministic; the bands below are where a correct
// generator's statistic falls with probability 99.8% (chi-square: between
// the 0.1% and 99.9% quantiles) or 99.9% (Kolmogorov–Smirnov), so a
// biased generator fails and a correct one passes with any seed but a
// one-in-a-thousand unlucky one.

// chiSquare returns Σ (observed−expected)²/expected over the cells.
func chiSquare(observed []int, expected []float64) float64 {
	var x float64
	for i, o := range observed {
		d := float64(o) - expected[i]
		x += d * d / expected[i]
	}
	return x
}

// chiSquareQuantile approximates the p-quantile of the chi-square
// distribution with df degrees of freedom (Wilson–Hilferty; within 1% for
// df >= 10 in the tails used here).
func chiSquareQuantile(df int, p float64) float64 {
	k := float64(df)
	z := normalQuantile(p)
	c := 1 - 2/(9*k) + z*math.Sqrt(2/(9*k))
	return k * c * c * c
}

// checkChiSquare fails t unless the chi-square statistic of observed
// against expected lies between the 0.1% and 99.9% quantiles for
// len(observed)−1 degrees of freedom.
func checkChiSquare(t *testing.T, what string, observed []int, expected []float64) {
	t.Helper()
	df := len(observed) - 1
	x := chiSquare(observed, expected)
	lo, hi := chiSquareQuantile(df, 0.001), chiSquareQuantile(df, 0.999)
	if x < lo || x > hi {
		t.Errorf("%s: chi-square %.1f outside [%.1f, %.1f] (%d degrees of freedom)", what, x, lo, hi, df)
	} else {
		t.Logf("%s: chi-square %.1f within [%.1f, %.1f] (%d df)", what, x, lo, hi, df)
	}
}

// ksCritical is the Kolmogorov–Smirnov critical value at significance
// 0.001 for n samples: 1.949/√n.
func ksCritical(n int) float64 { return 1.949 / math.Sqrt(float64(n)) }

// checkKS fails t unless the KS distance between the samples (whole
// numbers) and cdf is below ksCritical. cdf(x) is P(X <= x) of the
// continuous distribution before rounding, so a sample k is compared with
// cdf(k+0.5) and cdf(k−0.5) at its step.
func checkKS(t *testing.T, what string, samples []int, cdf func(float64) float64) {
	t.Helper()
	s := append([]int(nil), samples...)
	sort.Ints(s)
	n := float64(len(s))
	var d float64
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		below, at := float64(i)/n, float64(j)/n // empirical CDF just below and at s[i]
		d = math.Max(d, math.Max(math.Abs(at-cdf(float64(s[i])+0.5)), math.Abs(below-cdf(float64(s[i])-0.5))))
		i = j
	}
	if c := ksCritical(len(s)); d > c {
		t.Errorf("%s: KS distance %.5f > critical %.5f (n=%d)", what, d, c, len(s))
	} else {
		t.Logf("%s: KS distance %.5f <= critical %.5f (n=%d)", what, d, c, len(s))
	}
}

// normalCDF is Φ.
func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// TestGoodnessHelpers checks the helpers against known values, so the
// tests built on them mean what they say.
func TestGoodnessHelpers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		df   int
		p    float64
		want float64 // from tables
	}{
		{999, 0.999, 1143.9}, // upper tail, many cells
		{999, 0.001, 863.1},  // lower tail
		{9, 0.999, 27.88},    // few cells
		{99, 0.999, 148.23},  // medium
	} {
		if got := chiSquareQuantile(tc.df, tc.p); math.Abs(got-tc.want)/tc.want > 0.01 {
			t.Errorf("chiSquareQuantile(%d, %v) = %.2f, want %.2f ±1%%", tc.df, tc.p, got, tc.want)
		}
	}
	if got := normalCDF(normalQuantile(0.975)); math.Abs(got-0.975) > 1e-12 {
		t.Errorf("Φ(Φ⁻¹(0.975)) = %v", got)
	}
	if math.Abs(z99-normalQuantile(0.99)) > 1e-12 {
		t.Errorf("z99 = %v, Φ⁻¹(0.99) = %v", z99, normalQuantile(0.99))
	}
	if math.Abs(tailZ-normalQuantile(1-1e-6)) > 1e-9 {
		t.Errorf("tailZ = %v, Φ⁻¹(1-1e-6) = %v", tailZ, normalQuantile(1-1e-6))
	}
}
