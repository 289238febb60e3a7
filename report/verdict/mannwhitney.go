package verdict

import (
	"errors"
	"math"
	"slices"
)

// MannWhitneyExactLimit is the largest sample size, on each side, for which
// MannWhitneyU computes the exact distribution of U when there are no ties;
// larger samples, and any with ties, use the normal approximation. It is
// benchstat's limit (golang.org/x/perf/internal/stats, MannWhitneyExactLimit).
const MannWhitneyExactLimit = 50

// ErrSampleSize is returned by MannWhitneyU when a sample is empty.
var ErrSampleSize = errors.New("verdict: Mann-Whitney U test needs at least one value in each sample")

// ErrNotFinite is returned by MannWhitneyU when a value is NaN or infinite.
var ErrNotFinite = errors.New("verdict: Mann-Whitney U test got a NaN or infinite value")

// UTest is the outcome of a two-sided Mann-Whitney U test.
type UTest struct {
	// N1 and N2 are the sizes of the first and second sample.
	N1, N2 int
	// U is the statistic of the first sample: the number of pairs (x, y),
	// x from the first sample and y from the second, with x > y, ties
	// counting one half. It is R's W of wilcox.test(x, y).
	U float64
	// P is the two-sided p-value: the probability, if both samples came
	// from one distribution, of a U at least as far from N1*N2/2.
	P float64
	// Exact reports whether P comes from the exact distribution of U
	// rather than the normal approximation.
	Exact bool
}

// MannWhitneyU runs the two-sided Mann-Whitney U test (Wilcoxon rank-sum
// test) of whether x and y come from the same distribution against the
// alternative that one tends to be larger.
//
// Without ties and with at most MannWhitneyExactLimit values on each side,
// P is exact (Mann and Whitney 1947: the distribution of U by recurrence),
// as benchstat and R's wilcox.test compute it. Otherwise P uses the normal
// approximation with tie and continuity correction, as R's wilcox.test
// with exact = FALSE, correct = TRUE. When every value is equal, P is 1.
//
// It fails with ErrSampleSize when x or y is empty and ErrNotFinite when a
// value is NaN or infinite.
func MannWhitneyU(x, y []float64) (UTest, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return UTest{}, ErrSampleSize
	}
	type labelled struct {
		v     float64
		first bool
	}
	all := make([]labelled, 0, n1+n2)
	for _, v := range x {
		all = append(all, labelled{v, true})
	}
	for _, v := range y {
		all = append(all, labelled{v, false})
	}
	for _, l := range all {
		if math.IsNaN(l.v) || math.IsInf(l.v, 0) {
			return UTest{}, ErrNotFinite
		}
	}
	slices.SortFunc(all, func(a, b labelled) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})

	// Rank sum of x, ties sharing their mean rank (ranks from 1), and the
	// tie term Σ(t³ - t) over runs of t equal values.
	var r1, tieTerm float64
	ties := false
	for i := 0; i < len(all); {
		j, inX := i, 0
		for ; j < len(all) && all[j].v == all[i].v; j++ {
			if all[j].first {
				inX++
			}
		}
		t := float64(j - i)
		r1 += float64(inX) * (float64(i+1) + float64(j)) / 2
		if j-i > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j
	}
	nn := float64(n1) * float64(n2)
	u := r1 - float64(n1)*float64(n1+1)/2
	res := UTest{N1: n1, N2: n2, U: u}

	if !ties && n1 <= MannWhitneyExactLimit && n2 <= MannWhitneyExactLimit {
		res.Exact = true
		res.P = exactP(int(math.Round(u)), n1, n2)
		return res, nil
	}
	n := float64(n1 + n2)
	variance := nn / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	if variance <= 0 {
		res.P = 1 // every value equal
		return res, nil
	}
	res.P = normalP(u, nn/2, math.Sqrt(variance))
	return res, nil
}

// normalP is the two-sided p-value of u under a normal distribution of
// mean mu and standard deviation sigma, with continuity correction.
func normalP(u, mu, sigma float64) float64 {
	d := u - mu
	switch {
	case d > 0:
		d -= 0.5
	case d < 0:
		d += 0.5
	}
	return math.Min(1, math.Erfc(math.Abs(d/sigma)/math.Sqrt2))
}

// exactP is the two-sided exact p-value of U = u for samples of n1 and n2
// distinct values: 2·P(U ≤ min(u, n1·n2 - u)), at most 1.
func exactP(u, n1, n2 int) float64 {
	lo := min(u, n1*n2-u)
	if 2*lo >= n1*n2 {
		return 1 // u is the centre of the symmetric distribution
	}
	return math.Min(1, 2*uCDF(lo, n1, n2))
}

// uCDF returns P(U ≤ k) for samples of n1 and n2 distinct values drawn
// from one distribution.
//
// It uses Mann and Whitney's recurrence on the probability p(n, m, k)
// that U = k for sizes n and m: the largest of the n+m values belongs to
// the first sample with probability n/(n+m), and then beats all m values
// of the second, so
//
//	p(n, m, k) = n/(n+m)·p(n-1, m, k-m) + m/(n+m)·p(n, m-1, k)
//	p(n, 0, k) = p(0, m, k) = 1 if k = 0, else 0.
//
// The table keeps one m at a time, for n up to n1 and k up to the asked k;
// the cost is O(n1·n2·k). U's distribution is the same with the samples
// swapped, so n1 is made the smaller.
func uCDF(k, n1, n2 int) float64 {
	if k < 0 {
		return 0
	}
	if n1 > n2 {
		n1, n2 = n2, n1
	}
	p := make([][]float64, n1+1) // p[n][j] = p(n, m, j) for the current m
	for n := range p {
		p[n] = make([]float64, k+1)
		p[n][0] = 1 // m = 0
	}
	for m := 1; m <= n2; m++ {
		// p[0] is p(0, m, ·) for every m. Going up in n, p[n-1] already
		// holds m while p[n] still holds m-1.
		for n := 1; n <= n1; n++ {
			inv := 1 / float64(n+m)
			for j := k; j >= 0; j-- {
				v := float64(m) * p[n][j]
				if j >= m {
					v += float64(n) * p[n-1][j-m]
				}
				p[n][j] = v * inv
			}
		}
	}
	sum := 0.0
	for _, v := range p[n1] {
		sum += v
	}
	return sum
}

// MinPValue returns the smallest two-sided p-value MannWhitneyU can return
// for samples of n1 and n2 distinct values: that of two samples that do
// not overlap, 2/C(n1+n2, n1) while exact (1 for 1 against 1, 0.33 for 2
// against 2, 0.1 for 3 against 3, 0.029 for 4 against 4, 0.0079 for 5
// against 5). When it is not below alpha, no data can show a significant
// difference. It is 1 when either size is below 1.
func MinPValue(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	if n1 <= MannWhitneyExactLimit && n2 <= MannWhitneyExactLimit {
		return exactP(0, n1, n2)
	}
	nn := float64(n1) * float64(n2)
	return normalP(0, nn/2, math.Sqrt(nn*float64(n1+n2+1)/12))
}
