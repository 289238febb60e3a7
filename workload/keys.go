package workload

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"
)

// KeyGen gives the key of each message of a run. Implementations are
// built once before the run and are safe for concurrent use without
// locks: Key(i) depends only on the generator's seed and i, so any worker
// can compute the key of any message.
type KeyGen interface {
	// Key returns the key of message i (i >= 0), or nil for no key. The
	// slice points into a table shared by all callers and must not be
	// modified; its capacity equals its length, so appending copies. Key
	// does not allocate.
	Key(i int64) []byte
}

// Stream constants separate the pseudo-random streams derived from one
// scenario seed, so keys and payloads are not correlated.
const (
	streamKeys    = 0x6b657973 // "keys"
	streamPayload = 0x7061796c // "payl": payload bytes
	streamOffsets = 0x6f666673 // "offs": payload offsets
)

// NewKeyGen builds the key generator for k, seeded by seed:
//
//   - none (or ""): every key is nil.
//   - uniform: k.Count keys "key-0" ... "key-<Count-1>", formatted once
//     into one table; message i gets table[h(seed, i) mod Count] where h is
//     a SplitMix64 stream whose start is drawn from a math/rand/v2 PCG
//     seeded by seed. The same seed gives the same key sequence.
//
// It returns an error for an unknown distribution or a count outside 1 to
// MaxKeyCount.
func NewKeyGen(k Keys, seed int64) (KeyGen, error) {
	switch k.Distribution {
	case "", DistributionNone:
		return noKeys{}, nil
	case DistributionUniform:
		if k.Count < 1 || k.Count > MaxKeyCount {
			return nil, fmt.Errorf("keys.count: must be between 1 and %d, got %d", MaxKeyCount, k.Count)
		}
		return newUniformKeys(k.Count, seed), nil
	}
	return nil, fmt.Errorf("keys.distribution: unknown distribution %s (want none or uniform)", quote(k.Distribution))
}

// noKeys is the "none" distribution.
type noKeys struct{}

// Key returns nil.
func (noKeys) Key(int64) []byte { return nil }

// uniformKeys picks uniformly among n pre-formatted keys.
type uniformKeys struct {
	base uint64   // start of the SplitMix64 stream
	n    uint64   // number of keys
	buf  []byte   // all keys, concatenated
	off  []uint32 // key j is buf[off[j]:off[j+1]]
}

func newUniformKeys(count int, seed int64) *uniformKeys {
	u := &uniformKeys{
		base: streamStart(seed, streamKeys),
		n:    uint64(count),
		off:  make([]uint32, count+1),
	}
	size := 0
	for j := range count {
		size += len("key-") + digits(j)
	}
	u.buf = make([]byte, 0, size)
	for j := range count {
		u.buf = append(u.buf, "key-"...)
		u.buf = strconv.AppendInt(u.buf, int64(j), 10)
		u.off[j+1] = uint32(len(u.buf))
	}
	return u
}

// Key returns the key of message i.
func (u *uniformKeys) Key(i int64) []byte {
	j := reduce(mix(u.base, i), u.n)
	a, b := u.off[j], u.off[j+1]
	return u.buf[a:b:b]
}

// digits is the number of decimal digits of j >= 0.
func digits(j int) int {
	n := 1
	for ; j >= 10; j /= 10 {
		n++
	}
	return n
}

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
