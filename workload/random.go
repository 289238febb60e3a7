package workload

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Every pseudo-random choice of a run is a pure function of (seed, stream,
// message index): a stream's start is drawn once from a math/rand/v2 PCG
// seeded with (seed, stream), and the value for message i is the i-th
// output of a SplitMix64 generator from that start (mix). Any worker can
// therefore compute any message's size, key, payload, headers and topic
// without shared state, and the same seed always gives the same messages.

// Stream constants separate the pseudo-random streams derived from one
// scenario seed, so that sizes, keys, payloads, headers and topics are not
// correlated.
const (
	streamKeys       = 0x6b657973 // "keys": key choice
	streamKeyTable   = 0x6b746162 // "ktab": random key bytes (format omb)
	streamPayload    = 0x7061796c // "payl": payload bytes
	streamOffsets    = 0x6f666673 // "offs": payload offsets and pool choice
	streamSizes      = 0x73697a65 // "size": message sizes
	streamHeaders    = 0x68647273 // "hdrs": header counts, sizes and bytes
	streamTopics     = 0x746f7073 // "tops": weighted topic choice
	streamSchedule   = 0x73636864 // "schd": poisson arrivals
	streamJSON       = 0x6a736f6e // "json": json template fields
	streamHeaderSize = 0x68737a65 // "hsze": header value sizes
)

// streamStart draws the start of a SplitMix64 stream for (seed, stream)
// from a PCG seeded with them.
func streamStart(seed int64, stream uint64) uint64 {
	return rand.New(rand.NewPCG(uint64(seed), stream)).Uint64()
}

// mix returns the i-th output of the SplitMix64 generator started at base:
// a well-mixed 64-bit value computed from (base, i) alone.
func mix(base uint64, i int64) uint64 {
	z := base + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// reduce maps a uniform 64-bit h onto [0, n) (Lemire's multiply-shift; the
// bias is below n/2^64).
func reduce(h, n uint64) uint64 {
	hi, _ := bits.Mul64(h, n)
	return hi
}

// unit maps h to a float64 in [0, 1) with 53 random bits.
func unit(h uint64) float64 {
	return float64(h>>11) * (1.0 / (1 << 53))
}

// openUnit maps h to a float64 in (0, 1), never 0 or 1, for logarithms and
// quantile functions.
func openUnit(h uint64) float64 {
	return (float64(h>>11) + 0.5) * (1.0 / (1 << 53))
}

// normalQuantile is the standard normal distribution's quantile function
// Φ⁻¹(u) for u in (0, 1).
func normalQuantile(u float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*u-1)
}

// z99 is Φ⁻¹(0.99), the standard normal 99th percentile.
const z99 = 2.3263478740408408

// aliasTable picks index j with probability weight[j]/Σweight in O(1)
// (Walker's alias method, Vose's construction).
type aliasTable struct {
	threshold []uint32 // column j keeps j when the coin is below threshold[j] (scaled by 2^32)
	alias     []uint32 // else it gives alias[j]
	keepAll   []bool   // threshold of 1: always keep j
}

// newAliasTable builds the table for weights, which must be finite, >= 0
// and not all zero.
func newAliasTable(weights []float64) *aliasTable {
	n := len(weights)
	var sum float64
	for _, w := range weights {
		sum += w
	}
	a := &aliasTable{threshold: make([]uint32, n), alias: make([]uint32, n), keepAll: make([]bool, n)}
	scaled := make([]float64, n)
	small := make([]int, 0, n)
	large := make([]int, 0, n)
	for j, w := range weights {
		scaled[j] = w / sum * float64(n)
		if scaled[j] < 1 {
			small = append(small, j)
		} else {
			large = append(large, j)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.threshold[s] = uint32(scaled[s] * (1 << 32))
		a.alias[s] = uint32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left has probability 1 up to rounding.
	for _, j := range append(small, large...) {
		a.keepAll[j] = true
		a.alias[j] = uint32(j)
	}
	return a
}

// pick returns an index for the uniform 64-bit h: the column from h's
// high bits (reduce), the coin from its low 32 bits.
func (a *aliasTable) pick(h uint64) int {
	j := reduce(h, uint64(len(a.alias)))
	if a.keepAll[j] || uint32(h) < a.threshold[j] {
		return int(j)
	}
	return int(a.alias[j])
}
