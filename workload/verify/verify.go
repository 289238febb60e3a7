// Package verify checks delivery the way Kafka's VerifiableProducer and
// VerifiableConsumer and Redpanda's kgo-verifier do: every message a run
// sends carries a small binary header (HeaderKey) with the run's ID, the
// record's sequence number, the sending worker and a CRC-32C of the value;
// the run records each sequence's outcome (acked with its partition, or
// failed) in Outcomes, a flat array indexed by sequence; after the run the
// target's topics are read back (registry.Opened.ReadBack) and a Checker
// counts, per topic and partition, what was read back, lost (acked but
// absent), duplicated, reordered (a worker's sequence going backwards for
// one key in one partition), corrupted (checksum mismatch) and
// failed-but-present (a send reported failed that was in fact written).
//
// Sequences: message i of the schedule is sequence i; with topic selection
// fanout (one record per topic) record t of message i is sequence
// i·len(topics)+t. Outcomes tracks sequences below its capacity
// (MaxTracked at most); records above it are sent and read back but not
// checked, and are counted as untracked.
//
// The package imports only the producer core: workload stamps messages
// with it, cmd feeds the read-back records to a Checker.
package verify

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"sync/atomic"
)

// HeaderKey is the record header carrying a message's stamp.
const HeaderKey = "pb-v"

// HeaderSize is the size of the stamp in bytes: run ID (8), sequence (8),
// worker (4) and CRC-32C of the value (4), big-endian, 24 bytes written
// as 32 characters of unpadded URL-safe base64, so that systems whose
// headers are text (NATS) carry it unchanged.
const HeaderSize = 32

// rawSize is the stamp before base64.
const rawSize = 24

// MaxTracked is the largest number of sequences a run tracks: 16 Mi
// records, 128 MiB of outcomes (8 bytes each, touched pages only).
const MaxTracked = 1 << 24

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C (Castagnoli) of v, as stamped.
func Checksum(v []byte) uint32 { return crc32.Checksum(v, castagnoli) }

// Stamp is the content of a message's HeaderKey header.
type Stamp struct {
	// Run is the run's ID (random per run).
	Run uint64
	// Seq is the record's sequence number (see the package doc).
	Seq int64
	// Worker is the index of the worker goroutine that sent it.
	Worker uint32
	// CRC is the CRC-32C of the record's value when sent.
	CRC uint32
}

// Put writes s into dst[:HeaderSize] and returns that slice; dst must have
// at least HeaderSize bytes. It does not allocate.
func Put(dst []byte, s Stamp) []byte {
	var raw [rawSize]byte
	binary.BigEndian.PutUint64(raw[0:], s.Run)
	binary.BigEndian.PutUint64(raw[8:], uint64(s.Seq))
	binary.BigEndian.PutUint32(raw[16:], s.Worker)
	binary.BigEndian.PutUint32(raw[20:], s.CRC)
	dst = dst[:HeaderSize]
	base64.RawURLEncoding.Encode(dst, raw[:])
	return dst
}

// Parse reads a stamp; ok is false when b is not a stamp Put wrote.
func Parse(b []byte) (s Stamp, ok bool) {
	var raw [rawSize]byte
	if len(b) != HeaderSize {
		return Stamp{}, false
	}
	if n, err := base64.RawURLEncoding.Decode(raw[:], b); err != nil || n != rawSize {
		return Stamp{}, false
	}
	b = raw[:]
	return Stamp{Run: binary.BigEndian.Uint64(b[0:]), Seq: int64(binary.BigEndian.Uint64(b[8:])),
		Worker: binary.BigEndian.Uint32(b[16:]), CRC: binary.BigEndian.Uint32(b[20:])}, true
}

// Outcome states, in the low 2 bits of a slot.
const (
	stateNone   = 0 // not sent, or its callback has not run
	stateAcked  = 1
	stateFailed = 2
)

// Outcomes records each sequence's outcome in one uint64 slot: state (2
// bits), topic index (30 bits), partition (32 bits). Acked and Failed may
// be called concurrently for different sequences; each sequence gets at
// most one call (its record's callback). Read it (Checker, WriteTo) only
// after every callback has run (the engine closed).
type Outcomes struct {
	// Run is the run ID stamped on every message.
	Run uint64
	// Topics are the run's topics; a slot holds an index into them.
	Topics    []string
	slots     []uint64
	untracked atomic.Int64
}

// NewOutcomes returns outcomes for sequences [0, n) (n capped at
// MaxTracked; n <= 0 means MaxTracked) of run over topics. The array is
// allocated at once; only the pages written are backed by memory.
func NewOutcomes(run uint64, topics []string, n int64) *Outcomes {
	if n <= 0 || n > MaxTracked {
		n = MaxTracked
	}
	return &Outcomes{Run: run, Topics: append([]string(nil), topics...), slots: make([]uint64, n)}
}

// Len returns the number of sequences tracked.
func (o *Outcomes) Len() int64 { return int64(len(o.slots)) }

// Untracked returns how many outcomes fell above the capacity.
func (o *Outcomes) Untracked() int64 { return o.untracked.Load() }

// Acked records that sequence seq, of topic index topic, was acknowledged
// on partition.
func (o *Outcomes) Acked(seq int64, topic int, partition int32) {
	o.set(seq, stateAcked|uint64(topic)<<2|uint64(uint32(partition))<<32)
}

// Failed records that sequence seq, of topic index topic, failed.
func (o *Outcomes) Failed(seq int64, topic int) {
	o.set(seq, stateFailed|uint64(topic)<<2|uint64(0xffffffff)<<32)
}

func (o *Outcomes) set(seq int64, v uint64) {
	if seq < 0 || seq >= int64(len(o.slots)) {
		o.untracked.Add(1)
		return
	}
	o.slots[seq] = v
}

// slot decodes slot i.
func (o *Outcomes) slot(i int64) (state int, topic int, partition int32) {
	v := o.slots[i]
	return int(v & 3), int(v>>2) & (1<<30 - 1), int32(uint32(v >> 32))
}
