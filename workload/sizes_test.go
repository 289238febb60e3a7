package workload

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
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

// sizeSpecSamples are a SizeSpec of each distribution, for the
// allocation test and the benchmark.
var sizeSpecSamples = []SizeSpec{
	FixedSize(512),
	{Distribution: SizeUniform, Min: 100, Max: 1000},
	{Distribution: SizeNormal, Mean: 1000, Stddev: 100},
	{Distribution: SizeLognormal, Median: 1000, P99: 10000},
	{Distribution: SizeEmpirical, Table: []SizeWeight{{100, 5}, {1000, 3}, {10000, 1}}},
}

func TestSizeGenAllocs(t *testing.T) {
	for _, sp := range sizeSpecSamples {
		g, _ := NewSizeGen(sp, MaxMessageSize, 1, streamSizes)
		checkNoAllocs(t, sp.dist()+": Size", func(i int64) { _ = g.Size(i) })
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Size
		wantErr string // substring of the error; "" means success
	}{
		{"0", 0, ""},                                 // zero bytes
		{"512", 512, ""},                             // bare number is bytes
		{"512B", 512, ""},                            // explicit bytes
		{"16KiB", 16 << 10, ""},                      // binary kilo
		{"1MiB", 1 << 20, ""},                        // binary mega
		{"2GiB", 2 << 30, ""},                        // binary giga
		{"1KB", 1000, ""},                            // decimal kilo
		{"1MB", 1_000_000, ""},                       // decimal mega
		{"3GB", 3_000_000_000, ""},                   // decimal giga
		{"1.5KiB", 1536, ""},                         // decimal fraction that is whole bytes
		{"0.5KB", 500, ""},                           // leading zero fraction
		{"16 KiB", 16 << 10, ""},                     // one space before the unit
		{"8589934591GiB", 8589934591 << 30, ""},      // just below 2^63
		{"9223372036854775807", math.MaxInt64, ""},   // max int64 bytes
		{"", 0, "invalid size"},                      // empty
		{"KiB", 0, "invalid size"},                   // unit without number
		{"1.", 0, "invalid size"},                    // dangling point
		{".5KiB", 0, "invalid size"},                 // no integer digits
		{"1,5KiB", 0, "unknown unit"},                // comma is not a decimal point
		{"16kib", 0, "case-sensitive"},               // wrong case
		{"16kB", 0, "unknown unit"},                  // wrong case
		{"16KIB", 0, "unknown unit"},                 // wrong case
		{"1TiB", 0, "unknown unit"},                  // unit not supported
		{"16  KiB", 0, "unknown unit"},               // two spaces
		{"-1", 0, "must not be negative"},            // negative
		{"-1KiB", 0, "must not be negative"},         // negative with unit
		{"1.5B", 0, "not a whole number of bytes"},   // fractional byte
		{"0.3KiB", 0, "not a whole number of bytes"}, // 307.2 bytes
		{"8589934592GiB", 0, "too large"},            // 2^63 overflows
		{"9223372036854775808", 0, "too large"},      // 2^63 bytes
		{"1e3", 0, "unknown unit"},                   // no exponents
		{"0x10", 0, "unknown unit"},                  // no hex in strings
		{strings.Repeat("9", 100), 0, "too long"},    // long input
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSize(tt.in)
			checkParsed(t, fmt.Sprintf("ParseSize(%q)", tt.in), got, err, tt.want, tt.wantErr)
		})
	}
}

func TestSizeYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string // YAML scalar
		want    Size
		wantErr string
	}{
		{"512", 512, ""},                            // YAML integer
		{"0x400", 1024, ""},                         // YAML hex integer
		{`"512"`, 512, ""},                          // quoted number is bytes too
		{"64KiB", 64 << 10, ""},                     // plain string with unit
		{`"1MB"`, 1_000_000, ""},                    // quoted string with unit
		{"-5", 0, "must not be negative, got -5"},   // negative integer
		{"1.5", 0, "want a whole number of bytes"},  // YAML float
		{"18446744073709551615", 0, "out of range"}, // beyond int64
		{"true", 0, "expected a size"},              // boolean
		{"[1]", 0, "expected a size"},               // list
		{"!!binary AAAA", 0, "expected a size"},     // other tag
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			checkYAMLScalar(t, tt.in, tt.want, tt.wantErr)
		})
	}
}

// checkYAMLScalar unmarshals the YAML scalar in as a T and checks that it
// gives want, or an error containing wantErr when that is not "".
func checkYAMLScalar[T comparable](t *testing.T, in string, want T, wantErr string) {
	t.Helper()
	var v struct {
		V T `yaml:"v"`
	}
	err := yaml.Unmarshal([]byte("v: "+in), &v)
	checkParsed(t, "yaml "+in, v.V, err, want, wantErr)
}

// checkParsed checks what a parser or decoder, named what, returned: an
// error containing wantErr when that is not "", else want and no error.
// It reports whether the case expects success (wantErr is "").
func checkParsed[T comparable](t *testing.T, what string, got T, err error, want T, wantErr string) bool {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%s = %v, %v; want error containing %q", what, got, err, wantErr)
		}
		return false
	}
	if err != nil || got != want {
		t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
	}
	return true
}

func TestSizeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"},                               // zero
		{1, "1B"},                               // one byte
		{513, "513B"},                           // no unit divides it
		{1024, "1KiB"},                          // binary preferred
		{65536, "64KiB"},                        // the quickstart batch size
		{64 << 20, "64MiB"},                     // largest binary unit that divides
		{3 << 30, "3GiB"},                       // gibibytes
		{1000, "1KB"},                           // decimal when binary does not divide
		{1_000_000, "1MB"},                      // decimal mega
		{2_000_000_000, "2GB"},                  // decimal giga
		{1024000, "1000KiB"},                    // binary beats decimal
		{math.MaxInt64, "9223372036854775807B"}, // largest
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.want {
				t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
			}
			back, err := ParseSize(tt.in.String())
			if err != nil || back != tt.in {
				t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.want, back, err, int64(tt.in))
			}
			j, err := json.Marshal(tt.in)
			if err != nil || string(j) != `"`+tt.want+`"` {
				t.Errorf("json.Marshal = %s, %v; want %q", j, err, tt.want)
			}
			var fromJSON Size
			if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != tt.in {
				t.Errorf("json.Unmarshal(%s) = %d, %v", j, fromJSON, err)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"5ms", 5 * time.Millisecond, ""},                           // milliseconds
		{"0s", 0, ""},                                               // zero with a unit
		{"0ms", 0, ""},                                              // zero in other unit
		{"1m30s", 90 * time.Second, ""},                             // compound
		{"1.5s", 1500 * time.Millisecond, ""},                       // fractional
		{"250us", 250 * time.Microsecond, ""},                       // micro
		{"-5ms", -5 * time.Millisecond, ""},                         // negative parses; Validate decides
		{"10", 0, `invalid duration "10" (use a unit, e.g. "10s")`}, // bare integer
		{"0", 0, `invalid duration "0" (use a unit, e.g. "0s")`},    // bare zero
		{"1.5", 0, `use a unit`},                                    // bare float
		{"1e999", 0, `use a unit`},                                  // bare out-of-range float
		{"", 0, "invalid duration"},                                 // empty
		{"soon", 0, "invalid duration"},                             // words
		{"5 ms", 0, "invalid duration"},                             // space
		{"5MS", 0, "invalid duration"},                              // units are case-sensitive
		{"9999999h", 0, "invalid duration"},                         // overflow
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tt.in)
			if !checkParsed(t, fmt.Sprintf("ParseDuration(%q)", tt.in), got, err, Duration(tt.want), tt.wantErr) {
				return
			}
			j, err := json.Marshal(got)
			if err != nil || string(j) != `"`+tt.want.String()+`"` {
				t.Errorf("json.Marshal = %s, %v", j, err)
			}
			var back Duration
			if err := json.Unmarshal(j, &back); err != nil || back != got {
				t.Errorf("json.Unmarshal(%s) = %v, %v", j, back, err)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string // YAML scalar
		want    time.Duration
		wantErr string
	}{
		{"5ms", 5 * time.Millisecond, ""},                                   // plain
		{`"10s"`, 10 * time.Second, ""},                                     // quoted
		{"10", 0, `line 1: invalid duration "10" (use a unit, e.g. "10s")`}, // YAML int
		{"2.5", 0, "use a unit"},                                            // YAML float
		{"true", 0, "expected a duration"},                                  // boolean
		{"{a: 1}", 0, "expected a duration"},                                // mapping
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			checkYAMLScalar(t, tt.in, Duration(tt.want), tt.wantErr)
		})
	}
}

func BenchmarkSize(b *testing.B) {
	for _, sp := range sizeSpecSamples {
		b.Run(sp.dist(), func(b *testing.B) {
			g, _ := NewSizeGen(sp, MaxMessageSize, 1, streamSizes)
			for i := range int64(b.N) {
				_ = g.Size(i)
			}
		})
	}
}
