package workload

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

func TestKeyGenNone(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"", DistributionNone} {
		g, err := NewKeyGen(Keys{Distribution: d}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range int64(100) {
			if k := g.Key(i); k != nil {
				t.Fatalf("distribution %q: Key(%d) = %q, want nil", d, i, k)
			}
		}
	}
}

func TestKeyGenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys Keys
	}{
		{"zero count", Keys{Distribution: DistributionUniform}},                       // uniform needs keys
		{"too many", Keys{Distribution: DistributionUniform, Count: MaxKeyCount + 1}}, // table limit
		{"unknown", Keys{Distribution: "zipf", Count: 10}},                            // not yet
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if g, err := NewKeyGen(tt.keys, 1); err == nil {
				t.Errorf("NewKeyGen(%+v) = %v, want error", tt.keys, g)
			}
		})
	}
}

// TestKeyGenUniform checks the keys' format and, with a chi-square test
// over 1000 keys and 1e6 draws, that they are uniform. With 999 degrees of
// freedom the statistic has mean 999 and standard deviation 44.7; the
// accepted band [860, 1145] is about the 0.1% and 99.9% quantiles, so a
// biased generator fails the upper bound and one that is too even (e.g.
// round robin, statistic 0) fails the lower bound. The seed is fixed, so
// the test is deterministic.
func TestKeyGenUniform(t *testing.T) {
	t.Parallel()
	const n, draws = 1000, 1_000_000
	g, err := NewKeyGen(Keys{Distribution: DistributionUniform, Count: n}, 42)
	if err != nil {
		t.Fatal(err)
	}
	index := make(map[string]int, n)
	for j := range n {
		index[fmt.Sprintf("key-%d", j)] = j
	}
	counts := make([]int, n)
	for i := range int64(draws) {
		k := g.Key(i)
		j, ok := index[string(k)]
		if !ok {
			t.Fatalf("Key(%d) = %q, not one of key-0..key-%d", i, k, n-1)
		}
		if cap(k) != len(k) {
			t.Fatalf("Key(%d) has capacity %d > length %d", i, cap(k), len(k))
		}
		counts[j]++
	}
	expected := float64(draws) / n
	chi2 := 0.0
	for _, c := range counts {
		d := float64(c) - expected
		chi2 += d * d / expected
	}
	if chi2 < 860 || chi2 > 1145 {
		t.Errorf("chi-square = %.1f, want within [860, 1145] (999 degrees of freedom)", chi2)
	}
	t.Logf("chi-square = %.1f", chi2)
}

// TestKeyGenAllKeysReachable checks that a small table's every key occurs.
func TestKeyGenAllKeysReachable(t *testing.T) {
	t.Parallel()
	g, _ := NewKeyGen(Keys{Distribution: DistributionUniform, Count: 3}, 7)
	seen := map[string]bool{}
	for i := range int64(100) {
		seen[string(g.Key(i))] = true
	}
	if len(seen) != 3 || !seen["key-0"] || !seen["key-1"] || !seen["key-2"] {
		t.Errorf("keys seen = %v, want key-0, key-1, key-2", seen)
	}
}

func TestKeyGenDeterminism(t *testing.T) {
	t.Parallel()
	k := Keys{Distribution: DistributionUniform, Count: 1000}
	a, _ := NewKeyGen(k, 1)
	b, _ := NewKeyGen(k, 1)
	c, _ := NewKeyGen(k, 2)
	differ := 0
	for i := range int64(10_000) {
		if !bytes.Equal(a.Key(i), b.Key(i)) {
			t.Fatalf("same seed: Key(%d) = %q and %q", i, a.Key(i), b.Key(i))
		}
		if !bytes.Equal(a.Key(i), a.Key(i)) {
			t.Fatalf("Key(%d) not stable", i)
		}
		if !bytes.Equal(a.Key(i), c.Key(i)) {
			differ++
		}
	}
	// Independent sequences agree with probability 1/1000 per draw.
	if differ < 9900 {
		t.Errorf("seeds 1 and 2 differ in %d of 10000 keys, want >= 9900", differ)
	}
}

func TestKeyGenConcurrent(t *testing.T) {
	t.Parallel()
	g, _ := NewKeyGen(Keys{Distribution: DistributionUniform, Count: 100}, 3)
	want := make([][]byte, 1000)
	for i := range want {
		want[i] = g.Key(int64(i))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range want {
				if got := g.Key(int64(i)); !bytes.Equal(got, want[i]) {
					t.Errorf("worker %d: Key(%d) = %q, want %q", w, i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestKeyGenAllocs(t *testing.T) {
	for _, k := range []Keys{{Distribution: DistributionNone}, {Distribution: DistributionUniform, Count: 1000}} {
		g, _ := NewKeyGen(k, 1)
		i := int64(0)
		if a := testing.AllocsPerRun(1000, func() { _ = g.Key(i); i++ }); a != 0 {
			t.Errorf("%s: Key allocates %v times per call, want 0", k.Distribution, a)
		}
	}
}

func BenchmarkKeyUniform(b *testing.B) {
	g, _ := NewKeyGen(Keys{Distribution: DistributionUniform, Count: 1000}, 1)
	for i := range int64(b.N) {
		_ = g.Key(i)
	}
}
