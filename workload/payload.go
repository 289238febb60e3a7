package workload

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// PayloadGen gives the value of each message of a run. Implementations are
// built once before the run and are safe for concurrent use without locks:
// Payload(i) depends only on the generator's seed and i.
type PayloadGen interface {
	// Payload returns the value of message i (i >= 0). The slice points
	// into a pool shared by all callers and must not be modified; its
	// capacity equals its length, so appending copies. A zero size gives
	// an empty, non-nil slice. Payload does not allocate.
	Payload(i int64) []byte
}

// payloadWindow is how many distinct start offsets random payloads have:
// the pool is payloadWindow + size - 1 bytes long.
const payloadWindow = 1 << 20

// NewPayloadGen builds the payload generator for m, seeded by seed: a pool
// of 1 MiB + m.Size pseudo-random bytes (math/rand/v2 PCG seeded by seed)
// is filled once, and message i's value is the m.Size bytes at an offset
// chosen from (seed, i) by a SplitMix64 stream, so values differ from
// message to message (2^20 distinct offsets) without per-message work.
// The bytes are incompressible. The same seed gives the same values. It
// returns an error for a size outside 0 to MaxMessageSize.
func NewPayloadGen(m Message, seed int64) (PayloadGen, error) {
	if m.Size < 0 || m.Size > MaxMessageSize {
		return nil, fmt.Errorf("message.size: must be between 0 and %v, got %v", MaxMessageSize, m.Size)
	}
	size := int(m.Size)
	r := rand.New(rand.NewPCG(uint64(seed), streamPayload))
	pool := make([]byte, (payloadWindow+size+7)&^7)
	for j := 0; j < len(pool); j += 8 {
		binary.LittleEndian.PutUint64(pool[j:], r.Uint64())
	}
	return &randomPayload{
		pool: pool,
		size: uint64(size),
		base: streamStart(seed, streamOffsets),
	}, nil
}

// randomPayload slices fixed-size values out of a random pool.
type randomPayload struct {
	pool []byte
	size uint64
	base uint64
}

// Payload returns the value of message i.
func (p *randomPayload) Payload(i int64) []byte {
	off := reduce(mix(p.base, i), payloadWindow)
	end := off + p.size
	return p.pool[off:end:end]
}
