package producer

import (
	"math/rand/v2"
	"sync/atomic"
)

// Murmur2 returns the 32-bit murmur2 hash of data exactly as Kafka's Java
// client computes it (org.apache.kafka.common.utils.Utils.murmur2, seed
// 0x9747b28c), so keyed records land on the same partition as with Java
// producers.
func Murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := n &^ 3
	switch n & 3 {
	case 3:
		h ^= uint32(data[tail+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[tail+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[tail])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// KeyPartition returns the partition in [0, partitions) that Kafka's Java
// default partitioner assigns to key: toPositive(murmur2(key)) % partitions
// (KIP-480 leaves keyed records on this formula). partitions must be > 0.
func KeyPartition(key []byte, partitions int32) int32 {
	return (Murmur2(key) & 0x7fffffff) % partitions
}

// sticky is the keyless partition choice of KIP-480: every keyless record
// goes to the current sticky partition until a batch for it is sealed or
// sent, then a new partition is picked at random (different from the old
// one when there is more than one partition).
type sticky struct {
	cur atomic.Int32
	n   int32
}

func newSticky(n int32) *sticky {
	s := &sticky{n: n}
	s.cur.Store(rand.Int32N(n))
	return s
}

// partition returns the current sticky partition.
func (s *sticky) partition() int32 { return s.cur.Load() }

// onBatchDone moves the sticky partition off p when p is still current.
func (s *sticky) onBatchDone(p int32) {
	if s.n <= 1 || s.cur.Load() != p {
		return
	}
	next := rand.Int32N(s.n - 1)
	if next >= p {
		next++
	}
	s.cur.CompareAndSwap(p, next)
}
