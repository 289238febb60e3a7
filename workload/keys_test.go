package workload

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// mustKeyGen returns NewKeyGen(k, seed), failing t on an error.
func mustKeyGen(t *testing.T, k Keys, seed int64) KeyGen {
	t.Helper()
	g, err := NewKeyGen(k, seed)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// keyIndex maps each key of a table to its index.
func keyIndex(t *testing.T, g KeyGen, format string, n int) map[string]int {
	t.Helper()
	f, err := parseKeyFormat(format)
	if err != nil {
		t.Fatal(err)
	}
	idx := make(map[string]int, n)
	for j := range n {
		idx[string(f.append(nil, int64(j), 0))] = j
	}
	return idx
}

// counts draws keys for messages 0..draws-1 and counts each key index.
func keyCounts(t *testing.T, g KeyGen, idx map[string]int, n, draws int) []int {
	t.Helper()
	c := make([]int, n)
	for i := range int64(draws) {
		k := g.Key(i, nil)
		j, ok := idx[string(k)]
		if !ok {
			t.Fatalf("Key(%d) = %q is not a key of the table", i, k)
		}
		if cap(k) != len(k) {
			t.Fatalf("Key(%d) has capacity %d > length %d", i, cap(k), len(k))
		}
		c[j]++
	}
	return c
}

func TestKeyGenNone(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"", DistributionNone} {
		g := mustKeyGen(t, Keys{Distribution: d}, 1)
		for i := range int64(100) {
			if k := g.Key(i, nil); k != nil {
				t.Fatalf("distribution %q: Key(%d) = %q, want nil", d, i, k)
			}
		}
	}
}

func TestKeyGenErrors(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string]Keys{
		"zero count":      {Distribution: DistributionUniform},                                            // uniform needs keys
		"too many":        {Distribution: DistributionUniform, Count: MaxKeyCount + 1},                    // table limit
		"unknown":         {Distribution: "pareto", Count: 10},                                            // no such distribution
		"zipf exponent":   {Distribution: DistributionZipf, Count: 10},                                    // s must be > 0
		"hotspot no cold": {Distribution: DistributionHotspot, Count: 2, HotFraction: 0.9, HotShare: 0.5}, // 2 hot of 2
		"bad format":      {Distribution: DistributionUniform, Count: 10, Format: "k-%s"},                 // %s is not an integer verb
	} {
		if g, err := NewKeyGen(keys, 1); err == nil {
			t.Errorf("%s: NewKeyGen(%+v) = %v, want error", name, keys, g)
		}
	}
}

// TestKeyGenRoundRobin checks that message i gets key i mod count exactly
// (OMB KEY_ROUND_ROBIN).
func TestKeyGenRoundRobin(t *testing.T) {
	t.Parallel()
	g := mustKeyGen(t, Keys{Distribution: DistributionRoundRobin, Count: 7, Format: "k%d"}, 1)
	for i := range int64(100) {
		if got, want := string(g.Key(i, nil)), fmt.Sprintf("k%d", i%7); got != want {
			t.Fatalf("Key(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestKeyGenDistributions draws 10^6 keys from each distribution with a
// fixed seed and compares the counts per key with the expected ones by a
// chi-square test (bands in stats_test.go). The uniform row also fails a
// generator that is too even (round robin gives chi-square 0).
func TestKeyGenDistributions(t *testing.T) {
	t.Parallel()
	const draws = 1_000_000
	tests := []struct {
		name string
		keys Keys
		// p returns the probability of key j.
		p func(j int) float64
	}{
		// 1000 equally likely keys
		{"uniform", Keys{Distribution: DistributionUniform, Count: 1000},
			func(int) float64 { return 1.0 / 1000 }},
		// zipf s=1.1 over 200 keys
		{"zipf 1.1", Keys{Distribution: DistributionZipf, Count: 200, Exponent: 1.1}, zipfP(200, 1.1)},
		// zipf s=0.8 (below 1, which Go's rand.Zipf cannot do) over 500 keys
		{"zipf 0.8", Keys{Distribution: DistributionZipf, Count: 500, Exponent: 0.8}, zipfP(500, 0.8)},
		// hotspot: 10 hot keys of 100 get 90% of messages
		{"hotspot", Keys{Distribution: DistributionHotspot, Count: 100, HotFraction: 0.1, HotShare: 0.9},
			func(j int) float64 {
				if j < 10 {
					return 0.9 / 10
				}
				return 0.1 / 90
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := mustKeyGen(t, tt.keys, 42)
			n := tt.keys.Count
			counts := keyCounts(t, g, keyIndex(t, g, "", n), n, draws)
			exp := make([]float64, n)
			for j := range exp {
				exp[j] = tt.p(j) * draws
			}
			checkChiSquare(t, tt.name, counts, exp)
		})
	}
}

// zipfP returns the zipf(n, s) probability of key j.
func zipfP(n int, s float64) func(int) float64 {
	var h float64
	for k := 1; k <= n; k++ {
		h += math.Pow(float64(k), -s)
	}
	return func(j int) float64 { return math.Pow(float64(j+1), -s) / h }
}

// TestKeyGenChiSquareDetectsBias checks that the chi-square test above can
// fail: zipf keys tested against a uniform expectation must be rejected.
func TestKeyGenChiSquareDetectsBias(t *testing.T) {
	t.Parallel()
	g, _ := NewKeyGen(Keys{Distribution: DistributionZipf, Count: 100, Exponent: 0.05}, 1)
	counts := keyCounts(t, g, keyIndex(t, g, "", 100), 100, 1_000_000)
	exp := make([]float64, 100)
	for j := range exp {
		exp[j] = 10_000
	}
	if x, hi := chiSquare(counts, exp), chiSquareQuantile(99, 0.999); x <= hi {
		t.Errorf("zipf s=0.05 passed as uniform: chi-square %.1f <= %.1f", x, hi)
	}
}

func TestKeyGenSequential(t *testing.T) {
	t.Parallel()
	g := mustKeyGen(t, Keys{Distribution: DistributionSequential, Format: "order-%08d"}, 1)
	scratch := make([]byte, 0, 32)
	for _, i := range []int64{0, 1, 99999999, 123456789012} {
		if got, want := string(g.Key(i, scratch)), fmt.Sprintf("order-%08d", i); got != want {
			t.Errorf("Key(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestKeyFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		j      int64
		want   string // "" means parseKeyFormat fails
	}{
		{"", 42, "key-42"},                // default
		{"user-%d", 7, "user-7"},          // prefix
		{"%d-suffix", 7, "7-suffix"},      // suffix
		{"%07d", 42, "0000042"},           // OMB-length zero padded
		{"%5d|", 42, "   42|"},            // space padded
		{"%x", 255, "ff"},                 // hex
		{"%X", 255, "FF"},                 // upper hex
		{"%o", 8, "10"},                   // octal
		{"%b", 5, "101"},                  // binary
		{"100%%-%d", 3, "100%-3"},         // literal percent
		{"k-%s", 1, ""},                   // not an integer verb
		{"no-verb", 1, ""},                // no verb
		{"%d-%d", 1, ""},                  // two verbs
		{"trail-%", 1, ""},                // incomplete verb
		{"%0999d", 1, ""},                 // width too large
		{strings.Repeat("x", 300), 1, ""}, // too long
	}
	for _, tt := range tests {
		f, err := parseKeyFormat(tt.format)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseKeyFormat(%q) succeeded, want error", tt.format)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseKeyFormat(%q): %v", tt.format, err)
			continue
		}
		if got := string(f.append(nil, tt.j, 0)); got != tt.want {
			t.Errorf("format %q key %d = %q, want %q", tt.format, tt.j, got, tt.want)
		}
	}
}

// TestKeyFormatOMB checks OMB's key shape: 10,000 keys, each the unpadded
// base64url of 7 random bytes, seeded.
func TestKeyFormatOMB(t *testing.T) {
	t.Parallel()
	g := mustKeyGen(t, Keys{Distribution: DistributionRoundRobin, Count: 10000, Format: KeyFormatOMB}, 5)
	seen := map[string]bool{}
	for i := range int64(10000) {
		k := g.Key(i, nil)
		raw, err := base64.RawURLEncoding.DecodeString(string(k))
		if len(k) != 10 || err != nil || len(raw) != 7 {
			t.Fatalf("Key(%d) = %q: want 10 base64url characters of 7 bytes (%v)", i, k, err)
		}
		seen[string(k)] = true
	}
	if len(seen) != 10000 {
		t.Errorf("%d distinct OMB keys, want 10000", len(seen))
	}
	h, _ := NewKeyGen(Keys{Distribution: DistributionRoundRobin, Count: 10000, Format: KeyFormatOMB}, 6)
	if bytes.Equal(g.Key(0, nil), h.Key(0, nil)) {
		t.Error("seeds 5 and 6 give the same first OMB key")
	}
}

// TestKeyGenAllKeysReachable checks that a small table's every key occurs.
func TestKeyGenAllKeysReachable(t *testing.T) {
	t.Parallel()
	g, _ := NewKeyGen(Keys{Distribution: DistributionUniform, Count: 3}, 7)
	seen := map[string]bool{}
	for i := range int64(100) {
		seen[string(g.Key(i, nil))] = true
	}
	if len(seen) != 3 || !seen["key-0"] || !seen["key-1"] || !seen["key-2"] {
		t.Errorf("keys seen = %v, want key-0, key-1, key-2", seen)
	}
}

// TestKeyGenDeterminism: the same seed gives the same keys; another seed
// gives an independent sequence.
func TestKeyGenDeterminism(t *testing.T) {
	t.Parallel()
	for _, k := range []Keys{
		{Distribution: DistributionUniform, Count: 1000},
		{Distribution: DistributionZipf, Count: 1000, Exponent: 0.5},
		{Distribution: DistributionHotspot, Count: 1000, HotFraction: 0.5, HotShare: 0.5},
	} {
		a, _ := NewKeyGen(k, 1)
		b, _ := NewKeyGen(k, 1)
		c, _ := NewKeyGen(k, 2)
		differ := 0
		for i := range int64(10_000) {
			if !bytes.Equal(a.Key(i, nil), b.Key(i, nil)) {
				t.Fatalf("%s same seed: Key(%d) = %q and %q", k.Distribution, i, a.Key(i, nil), b.Key(i, nil))
			}
			if !bytes.Equal(a.Key(i, nil), c.Key(i, nil)) {
				differ++
			}
		}
		// Independent draws agree rarely (at most ~1/500 for these).
		if differ < 9800 {
			t.Errorf("%s: seeds 1 and 2 differ in %d of 10000 keys, want >= 9800", k.Distribution, differ)
		}
	}
}

func TestKeyGenConcurrent(t *testing.T) {
	t.Parallel()
	g, _ := NewKeyGen(Keys{Distribution: DistributionZipf, Count: 100, Exponent: 1}, 3)
	want := make([][]byte, 1000)
	for i := range want {
		want[i] = g.Key(int64(i), nil)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range want {
				if got := g.Key(int64(i), nil); !bytes.Equal(got, want[i]) {
					t.Errorf("worker %d: Key(%d) = %q, want %q", w, i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestKeyGenAllocs(t *testing.T) {
	for _, k := range []Keys{
		{Distribution: DistributionNone},
		{Distribution: DistributionRoundRobin, Count: 1000},
		{Distribution: DistributionUniform, Count: 1000},
		{Distribution: DistributionZipf, Count: 1000, Exponent: 1.2},
		{Distribution: DistributionHotspot, Count: 1000, HotFraction: 0.01, HotShare: 0.99},
		{Distribution: DistributionSequential},
	} {
		g, _ := NewKeyGen(k, 1)
		scratch := make([]byte, 0, 32)
		checkNoAllocs(t, k.Distribution+": Key", func(i int64) { _ = g.Key(i, scratch) })
	}
}

func BenchmarkKey(b *testing.B) {
	for _, k := range []Keys{
		{Distribution: DistributionUniform, Count: 1000},
		{Distribution: DistributionZipf, Count: 100000, Exponent: 1.1},
		{Distribution: DistributionSequential},
	} {
		b.Run(k.Distribution, func(b *testing.B) {
			g, _ := NewKeyGen(k, 1)
			scratch := make([]byte, 0, 32)
			for i := range int64(b.N) {
				_ = g.Key(i, scratch)
			}
		})
	}
}
