package workload

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Key distributions (Keys.Distribution). OMB's key distributors map as:
// NO_KEY is none; KEY_ROUND_ROBIN is round_robin over 10,000 keys;
// RANDOM_NANO (a key index from System.nanoTime()) is uniform over 10,000
// keys; OMB's keys are base64url strings of 7 random bytes (format omb).
const (
	// DistributionNone sends every message without a key (nil key). The
	// default.
	DistributionNone = "none"
	// DistributionRoundRobin gives message i key i mod Count.
	DistributionRoundRobin = "round_robin"
	// DistributionUniform picks each message's key uniformly among Count
	// keys.
	DistributionUniform = "uniform"
	// DistributionZipf picks key k (0-based) with probability
	// proportional to 1/(k+1)^Exponent among Count keys: key 0 is the
	// most frequent.
	DistributionZipf = "zipf"
	// DistributionHotspot sends a HotShare fraction of messages to the
	// first round(HotFraction·Count) keys (the hot set) and the rest to
	// the others, uniformly within each set.
	DistributionHotspot = "hotspot"
	// DistributionSequential gives message i its own key, Format applied
	// to i: every key is new.
	DistributionSequential = "sequential"
)

// Key formats.
const (
	// DefaultKeyFormat is the default Keys.Format: "key-0", "key-1", ...
	DefaultKeyFormat = "key-%d"
	// KeyFormatOMB makes OMB's keys: each key is the unpadded base64url
	// encoding of 7 random bytes (10 characters), drawn from the seed.
	KeyFormatOMB = "omb"
)

// MaxKeyCount is the largest accepted keys.count: 10 million keys (the
// key table is built in memory before the run).
const MaxKeyCount = 10_000_000

// Keys describes the messages' keys, a tagged union on Distribution:
//
//	keys: {distribution: none}
//	keys: {distribution: round_robin, count: 10000}
//	keys: {distribution: uniform, count: 1000, format: "user-%d"}
//	keys: {distribution: zipf, count: 100000, exponent: 1.1}
//	keys: {distribution: hotspot, count: 1000, hot_fraction: 0.1, hot_share: 0.9}
//	keys: {distribution: sequential, format: "order-%08d"}
type Keys struct {
	// Distribution is DistributionNone (also meant by ""),
	// DistributionRoundRobin, DistributionUniform, DistributionZipf,
	// DistributionHotspot or DistributionSequential.
	Distribution string `yaml:"distribution,omitempty" json:"distribution"`
	// Count is the number of distinct keys, 1 to MaxKeyCount (hotspot: at
	// least 2). Required by round_robin, uniform, zipf and hotspot.
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
	// Exponent is zipf's s, finite and > 0 (0 would be uniform), at most
	// 100. Required by zipf.
	Exponent float64 `yaml:"exponent,omitempty" json:"exponent,omitempty"`
	// HotFraction is the fraction of keys in hotspot's hot set, in (0, 1);
	// the hot set has round(HotFraction·Count) keys, at least 1 and at
	// most Count−1. Required by hotspot.
	HotFraction float64 `yaml:"hot_fraction,omitempty" json:"hot_fraction,omitempty"`
	// HotShare is the fraction of messages hotspot sends to the hot set,
	// in [0, 1]. Required by hotspot.
	HotShare float64 `yaml:"hot_share,omitempty" json:"hot_share,omitempty"`
	// Format makes key j from its index: literal text around exactly one
	// integer verb %d, %x, %X, %o or %b with an optional 0 flag and width
	// ("user-%d", "%07d"; "%%" is a literal %), or KeyFormatOMB. Optional;
	// default DefaultKeyFormat. Not used by none.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
}

// keyDistributions are the Keys union's variants.
var keyDistributions = union{
	{DistributionNone, variant{}},
	{DistributionRoundRobin, variant{required: []string{"count"}, optional: []string{"format"}}},
	{DistributionUniform, variant{required: []string{"count"}, optional: []string{"format"}}},
	{DistributionZipf, variant{required: []string{"count", "exponent"}, optional: []string{"format"}}},
	{DistributionHotspot, variant{required: []string{"count", "hot_fraction", "hot_share"}, optional: []string{"format"}}},
	{DistributionSequential, variant{optional: []string{"format"}}},
}

// dist returns the distribution with "" read as none.
func (k Keys) dist() string {
	if k.Distribution == "" {
		return DistributionNone
	}
	return k.Distribution
}

// keysFields is Keys without its methods.
type keysFields Keys

// MarshalJSON writes the distribution and the fields it uses.
func (k Keys) MarshalJSON() ([]byte, error) {
	vr, _ := keyDistributions.get(k.dist())
	return marshalVariant(keysFields(k), "distribution", vr)
}

// hotKeys returns the size of hotspot's hot set.
func (k Keys) hotKeys() int { return int(math.Round(k.HotFraction * float64(k.Count))) }

// validateKeys checks the keys block.
func (s *Scenario) validateKeys() *Error {
	k := s.Keys
	vr, ok := keyDistributions.get(k.dist())
	if !ok {
		return s.errorf("keys.distribution", "unknown distribution %s (want %s)", quote(k.Distribution), keyDistributions.names())
	}
	if err := s.checkVariant("keys", keysFields(k), "distribution", "distribution", k.dist(), vr); err != nil {
		return err
	}
	if vr.uses("count") && (k.Count < 1 || k.Count > MaxKeyCount) {
		return s.errorf("keys.count", "must be between 1 and %d for distribution %q, got %d", MaxKeyCount, k.dist(), k.Count)
	}
	switch k.dist() {
	case DistributionZipf:
		if !finite(k.Exponent) || k.Exponent <= 0 || k.Exponent > 100 {
			return s.errorf("keys.exponent", "must be greater than 0 and at most 100, got %v", k.Exponent)
		}
	case DistributionHotspot:
		if !finite(k.HotFraction) || k.HotFraction <= 0 || k.HotFraction >= 1 {
			return s.errorf("keys.hot_fraction", "must be between 0 and 1 (exclusive), got %v", k.HotFraction)
		}
		if !finite(k.HotShare) || k.HotShare < 0 || k.HotShare > 1 {
			return s.errorf("keys.hot_share", "must be between 0 and 1, got %v", k.HotShare)
		}
		if h := k.hotKeys(); h < 1 || h >= k.Count {
			return s.errorf("keys.hot_fraction", "gives %d hot keys of %d: want at least 1 hot and 1 cold key", h, k.Count)
		}
	}
	f, err := parseKeyFormat(k.Format)
	if err != nil {
		return s.errorf("keys.format", "%s", err.Error())
	}
	if vr.uses("count") {
		per := len(f.prefix) + len(f.suffix) + max(f.width, digits(k.Count), 10)
		if table := int64(k.Count) * int64(per); table > maxKeyTableBytes {
			return s.errorf("keys.count", "the key table would take %v (max %v): use fewer keys or a shorter format", Size(table), Size(maxKeyTableBytes))
		}
	}
	return nil
}

// maxKeyTableBytes bounds the memory of a key table: 1 GiB.
const maxKeyTableBytes = 1 << 30

// digits is the number of decimal digits of j >= 0.
func digits(j int) int {
	n := 1
	for ; j >= 10; j /= 10 {
		n++
	}
	return n
}

// KeyGen gives the key of each message of a run. Implementations are
// built once before the run and are safe for concurrent use without
// locks: Key depends only on the generator's seed and i, so any worker
// can compute the key of any message.
type KeyGen interface {
	// Key returns the key of message i (i >= 0), or nil for no key: a
	// slice of a table shared by all callers (which must not be modified;
	// its capacity equals its length, so appending copies), or, for keys
	// made per message (sequential), scratch[:0] with the key appended.
	// Key does not allocate when scratch has room (32 bytes suffice for
	// any format without long literal text).
	Key(i int64, scratch []byte) []byte
}

// NewKeyGen builds the key generator for k, seeded by seed. Tables of
// Count keys are formatted once; then message i's key index is
//
//   - round_robin: i mod Count;
//   - uniform: h mod Count (Lemire reduction), h = SplitMix64 output i of
//     a stream drawn from (seed, "keys");
//   - zipf: h through a Walker alias table of the Count weights
//     1/(k+1)^Exponent;
//   - hotspot: the low 32 bits of h choose the hot set with probability
//     HotShare, its high bits a key uniformly within the set;
//   - sequential: i itself, formatted per message into scratch.
//
// The same seed gives the same key sequence. It returns an error for a
// distribution or parameters Validate rejects.
func NewKeyGen(k Keys, seed int64) (KeyGen, error) {
	vr, ok := keyDistributions.get(k.dist())
	if !ok {
		return nil, fmt.Errorf("keys.distribution: unknown distribution %s (want %s)", quote(k.Distribution), keyDistributions.names())
	}
	if k.dist() == DistributionNone {
		return noKeys{}, nil
	}
	if vr.uses("count") && (k.Count < 1 || k.Count > MaxKeyCount) {
		return nil, fmt.Errorf("keys.count: must be between 1 and %d, got %d", MaxKeyCount, k.Count)
	}
	f, err := parseKeyFormat(k.Format)
	if err != nil {
		return nil, fmt.Errorf("keys.format: %v", err)
	}
	base := streamStart(seed, streamKeys)
	if k.dist() == DistributionSequential {
		return &sequentialKeys{format: f, base: streamStart(seed, streamKeyTable)}, nil
	}
	t := newKeyTable(k.Count, f, seed)
	switch k.dist() {
	case DistributionRoundRobin:
		return &roundRobinKeys{t}, nil
	case DistributionUniform:
		return &uniformKeys{keyTable: t, base: base}, nil
	case DistributionZipf:
		if !finite(k.Exponent) || k.Exponent <= 0 {
			return nil, fmt.Errorf("keys.exponent: must be positive, got %v", k.Exponent)
		}
		w := make([]float64, k.Count)
		for j := range w {
			w[j] = math.Pow(float64(j+1), -k.Exponent)
		}
		return &aliasKeys{keyTable: t, base: base, alias: newAliasTable(w)}, nil
	case DistributionHotspot:
		hot := k.hotKeys()
		if hot < 1 || hot >= k.Count || !(k.HotShare >= 0 && k.HotShare <= 1) {
			return nil, fmt.Errorf("keys.hot_fraction: %v of %d keys gives no hot or no cold key", k.HotFraction, k.Count)
		}
		return &hotspotKeys{keyTable: t, base: base, hot: uint64(hot),
			threshold: uint64(k.HotShare * (1 << 32))}, nil
	}
	return nil, fmt.Errorf("keys.distribution: unknown distribution %s", quote(k.Distribution))
}

// noKeys is the "none" distribution.
type noKeys struct{}

// Key returns nil.
func (noKeys) Key(int64, []byte) []byte { return nil }

// keyTable holds Count pre-formatted keys back to back.
type keyTable struct {
	buf []byte   // all keys, concatenated
	off []uint32 // key j is buf[off[j]:off[j+1]]
	n   uint64
}

func newKeyTable(count int, f keyFormat, seed int64) keyTable {
	t := keyTable{n: uint64(count), off: make([]uint32, count+1)}
	base := streamStart(seed, streamKeyTable)
	var scratch [64]byte
	size := 0
	for j := range count {
		size += len(f.append(scratch[:0], int64(j), base))
	}
	t.buf = make([]byte, 0, size)
	for j := range count {
		t.buf = f.append(t.buf, int64(j), base)
		t.off[j+1] = uint32(len(t.buf))
	}
	return t
}

// key returns key j.
func (t *keyTable) key(j uint64) []byte {
	a, b := t.off[j], t.off[j+1]
	return t.buf[a:b:b]
}

// roundRobinKeys cycles through the table.
type roundRobinKeys struct{ keyTable }

// Key returns key i mod Count.
func (r *roundRobinKeys) Key(i int64, _ []byte) []byte { return r.key(uint64(i) % r.n) }

// uniformKeys picks uniformly among the table's keys.
type uniformKeys struct {
	keyTable
	base uint64 // start of the SplitMix64 stream
}

// Key returns the key of message i.
func (u *uniformKeys) Key(i int64, _ []byte) []byte { return u.key(reduce(mix(u.base, i), u.n)) }

// aliasKeys picks keys by weight through an alias table (zipf).
type aliasKeys struct {
	keyTable
	base  uint64
	alias *aliasTable
}

// Key returns the key of message i.
func (a *aliasKeys) Key(i int64, _ []byte) []byte {
	return a.key(uint64(a.alias.pick(mix(a.base, i))))
}

// hotspotKeys sends a share of messages to the first hot keys.
type hotspotKeys struct {
	keyTable
	base      uint64
	hot       uint64 // keys 0..hot-1 are hot
	threshold uint64 // hot when the low 32 bits of h are below it
}

// Key returns the key of message i.
func (h *hotspotKeys) Key(i int64, _ []byte) []byte {
	x := mix(h.base, i)
	if uint64(uint32(x)) < h.threshold {
		return h.key(reduce(x, h.hot))
	}
	return h.key(h.hot + reduce(x, h.n-h.hot))
}

// sequentialKeys formats key i for message i.
type sequentialKeys struct {
	format keyFormat
	base   uint64
}

// Key appends message i's key to scratch[:0].
func (s *sequentialKeys) Key(i int64, scratch []byte) []byte {
	return s.format.append(scratch[:0], i, s.base)
}

// keyFormat is a parsed Keys.Format.
type keyFormat struct {
	prefix, suffix string
	base           int  // 10, 16, 8 or 2
	upper          bool // %X
	width          int
	zero           bool // pad with zeros, else spaces
	omb            bool // KeyFormatOMB
}

// parseKeyFormat parses a key format (see Keys.Format); "" is
// DefaultKeyFormat.
func parseKeyFormat(f string) (keyFormat, error) {
	if f == "" {
		f = DefaultKeyFormat
	}
	if f == KeyFormatOMB {
		return keyFormat{omb: true}, nil
	}
	if len(f) > 256 {
		return keyFormat{}, fmt.Errorf("too long (%d bytes, max 256)", len(f))
	}
	var k keyFormat
	var lit strings.Builder
	verbs := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			lit.WriteByte(f[i])
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		if i < len(f) && f[i] == '0' {
			k.zero = true
			i++
		}
		w := 0
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			w = w*10 + int(f[i]-'0')
			if w > 64 {
				return keyFormat{}, fmt.Errorf("width too large in %s (max 64)", quote(f))
			}
			i++
		}
		if i >= len(f) {
			return keyFormat{}, fmt.Errorf("incomplete verb at the end of %s (want %%d, %%x, %%X, %%o or %%b)", quote(f))
		}
		switch f[i] {
		case 'd':
			k.base = 10
		case 'x':
			k.base = 16
		case 'X':
			k.base, k.upper = 16, true
		case 'o':
			k.base = 8
		case 'b':
			k.base = 2
		default:
			return keyFormat{}, fmt.Errorf("unsupported verb %%%c in %s (want %%d, %%x, %%X, %%o or %%b)", f[i], quote(f))
		}
		verbs++
		if verbs > 1 {
			return keyFormat{}, fmt.Errorf("%s has more than one verb (want exactly one, e.g. \"user-%%d\")", quote(f))
		}
		k.width = w
		k.prefix = lit.String()
		lit.Reset()
	}
	if verbs == 0 {
		return keyFormat{}, fmt.Errorf("%s has no verb (want exactly one, e.g. \"user-%%d\", or %q)", quote(f), KeyFormatOMB)
	}
	k.suffix = lit.String()
	return k, nil
}

// append appends key j to dst; base seeds the omb format's random bytes.
func (k keyFormat) append(dst []byte, j int64, base uint64) []byte {
	if k.omb {
		h := mix(base, j)
		var b [7]byte
		for n := range b {
			b[n] = byte(h >> (8 * n))
		}
		return base64.RawURLEncoding.AppendEncode(dst, b[:])
	}
	dst = append(dst, k.prefix...)
	var num [64]byte
	digits := strconv.AppendUint(num[:0], uint64(j), k.base)
	if k.upper {
		for n, c := range digits {
			if c >= 'a' && c <= 'f' {
				digits[n] = c - 'a' + 'A'
			}
		}
	}
	pad := byte(' ')
	if k.zero {
		pad = '0'
	}
	for n := len(digits); n < k.width; n++ {
		dst = append(dst, pad)
	}
	dst = append(dst, digits...)
	return append(dst, k.suffix...)
}
