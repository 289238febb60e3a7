package workload

import (
	"math"
	"testing"
)

// drawSizes returns sizes of messages 0..n-1.
func drawSizes(t *testing.T, sp SizeSpec, seed int64, n int) []int {
	t.Helper()
	g, err := NewSizeGen(sp, MaxMessageSize, seed, streamSizes)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, n)
	for i := range out {
		out[i] = g.Size(int64(i))
		if out[i] < g.Min() || out[i] > g.Max() {
			t.Fatalf("Size(%d) = %d outside [%d, %d]", i, out[i], g.Min(), g.Max())
		}
	}
	return out
}

// TestSizeDistributions draws 200,000 sizes from each continuous
// distribution with a fixed seed and checks them against the distribution
// (rounded to whole bytes, clipped) with a Kolmogorov–Smirnov test at
// significance 0.001 (critical distance 0.0044).
func TestSizeDistributions(t *testing.T) {
	t.Parallel()
	const n = 200_000
	sigma := math.Log(16) / z99 // lognormal median 1KiB, p99 16KiB
	tests := []struct {
		name string
		spec SizeSpec
		cdf  func(x float64) float64 // of the unrounded, unclipped variable
	}{
		// normal mean 1000 stddev 200: clipping at the default max (mean + 4.75σ) is invisible
		{"normal", SizeSpec{Distribution: SizeNormal, Mean: 1000, Stddev: 200},
			func(x float64) float64 { return normalCDF((x - 1000) / 200) }},
		// normal clipped to [900, 1100]: the clipped mass sits on the bounds
		{"normal clipped", SizeSpec{Distribution: SizeNormal, Mean: 1000, Stddev: 200, Min: 900, Max: 1100},
			func(x float64) float64 {
				switch {
				case x < 900:
					return 0
				case x >= 1100:
					return 1
				}
				return normalCDF((x - 1000) / 200)
			}},
		// lognormal median 1 KiB, p99 16 KiB
		{"lognormal", SizeSpec{Distribution: SizeLognormal, Median: 1024, P99: 16384},
			func(x float64) float64 {
				if x <= 0 {
					return 0
				}
				return normalCDF(math.Log(x/1024) / sigma)
			}},
		// uniform over [100, 300] (whole numbers, so a step CDF)
		{"uniform", SizeSpec{Distribution: SizeUniform, Min: 100, Max: 300},
			func(x float64) float64 { return math.Min(1, math.Max(0, (math.Floor(x)-99)/201)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkKS(t, tt.name, drawSizes(t, tt.spec, 11, n), tt.cdf)
		})
	}
}

// TestSizeKSDetectsMismatch checks that the KS test above can fail: normal
// sizes with stddev 200 must not pass as stddev 220.
func TestSizeKSDetectsMismatch(t *testing.T) {
	t.Parallel()
	s := drawSizes(t, SizeSpec{Distribution: SizeNormal, Mean: 1000, Stddev: 200}, 11, 200_000)
	var d float64
	cdf := func(x float64) float64 { return normalCDF((x - 1000) / 220) }
	counts := map[int]int{}
	for _, v := range s {
		counts[v]++
	}
	cum := 0
	for k := 0; k <= 3000; k++ {
		cum += counts[k]
		d = math.Max(d, math.Abs(float64(cum)/float64(len(s))-cdf(float64(k)+0.5)))
	}
	if d <= ksCritical(len(s)) {
		t.Errorf("stddev 200 sizes passed KS against stddev 220: D = %.5f", d)
	}
}

// TestSizeEmpirical checks an empirical table with a chi-square test on
// 10^6 draws.
func TestSizeEmpirical(t *testing.T) {
	t.Parallel()
	table := []SizeWeight{{100, 50}, {1024, 30}, {10240, 15}, {65536, 5}, {7, 0}}
	const n = 1_000_000
	s := drawSizes(t, SizeSpec{Distribution: SizeEmpirical, Table: table}, 3, n)
	idx := map[int]int{}
	for j, r := range table {
		idx[int(r.Size)] = j
	}
	counts := make([]int, 4) // the weight-0 row must never appear
	for _, v := range s {
		j, ok := idx[v]
		if !ok || j == 4 {
			t.Fatalf("size %d is not a table row with weight > 0", v)
		}
		counts[j]++
	}
	checkChiSquare(t, "empirical", counts, []float64{0.5 * n, 0.3 * n, 0.15 * n, 0.05 * n})
}

func TestSizeBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		spec   SizeSpec
		lo, hi Size
	}{
		{"fixed", FixedSize(512), 512, 512},                                                          // one size
		{"zero value", SizeSpec{}, 0, 0},                                                             // code default: fixed 0
		{"uniform", SizeSpec{Distribution: SizeUniform, Min: 1, Max: 9}, 1, 9},                       // its parameters
		{"normal default max", SizeSpec{Distribution: SizeNormal, Mean: 1000, Stddev: 100}, 0, 1476}, // mean + 4.75σ
		{"normal explicit", SizeSpec{Distribution: SizeNormal, Mean: 1000, Stddev: 100, Min: 10, Max: 2000}, 10, 2000},
		{"lognormal default max", SizeSpec{Distribution: SizeLognormal, Median: 100, P99: 100}, 0, 100},               // σ = 0
		{"lognormal capped", SizeSpec{Distribution: SizeLognormal, Median: 1 << 20, P99: 1 << 25}, 0, MaxMessageSize}, // limit
		{"empirical", SizeSpec{Distribution: SizeEmpirical, Table: []SizeWeight{{5, 1}, {50, 1}}}, 0, 50},             // largest row
		{"min above default max", SizeSpec{Distribution: SizeNormal, Mean: 10, Stddev: 1, Min: 100}, 100, 100},
	}
	for _, tt := range tests {
		if lo, hi := tt.spec.Bounds(MaxMessageSize); lo != tt.lo || hi != tt.hi {
			t.Errorf("%s: Bounds = [%v, %v], want [%v, %v]", tt.name, lo, hi, tt.lo, tt.hi)
		}
	}
}

// TestSizeDeterminism: same seed, same sizes; another seed, others.
func TestSizeDeterminism(t *testing.T) {
	t.Parallel()
	sp := SizeSpec{Distribution: SizeLognormal, Median: 1000, P99: 50000}
	a, b, c := drawSizes(t, sp, 1, 1000), drawSizes(t, sp, 1, 1000), drawSizes(t, sp, 2, 1000)
	same := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed: size %d is %d and %d", i, a[i], b[i])
		}
		if a[i] == c[i] {
			same++
		}
	}
	if same > 20 {
		t.Errorf("seeds 1 and 2 agree on %d of 1000 sizes", same)
	}
}

func TestSizeGenAllocs(t *testing.T) {
	for _, sp := range []SizeSpec{
		FixedSize(10),
		{Distribution: SizeUniform, Min: 1, Max: 100},
		{Distribution: SizeNormal, Mean: 100, Stddev: 10},
		{Distribution: SizeLognormal, Median: 100, P99: 1000},
		{Distribution: SizeEmpirical, Table: []SizeWeight{{1, 1}, {2, 3}}},
	} {
		g, _ := NewSizeGen(sp, MaxMessageSize, 1, streamSizes)
		i := int64(0)
		if a := testing.AllocsPerRun(1000, func() { _ = g.Size(i); i++ }); a != 0 {
			t.Errorf("%s: Size allocates %v times per call", sp.dist(), a)
		}
	}
}

func BenchmarkSize(b *testing.B) {
	for _, sp := range []SizeSpec{
		FixedSize(512),
		{Distribution: SizeUniform, Min: 100, Max: 1000},
		{Distribution: SizeNormal, Mean: 1000, Stddev: 100},
		{Distribution: SizeLognormal, Median: 1000, P99: 10000},
		{Distribution: SizeEmpirical, Table: []SizeWeight{{100, 5}, {1000, 3}, {10000, 1}}},
	} {
		b.Run(sp.dist(), func(b *testing.B) {
			g, _ := NewSizeGen(sp, MaxMessageSize, 1, streamSizes)
			for i := range int64(b.N) {
				_ = g.Size(i)
			}
		})
	}
}
