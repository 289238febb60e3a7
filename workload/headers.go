package workload

import (
	"encoding/json"
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/prodbench/prodbench/producer"
)

// Header limits.
const (
	// MaxHeaders is the largest number of headers per message.
	MaxHeaders = 1000
	// MaxHeaderValueSize is the largest header value: 1 MiB.
	MaxHeaderValueSize Size = 1 << 20
	// DefaultHeaderKeyFormat names header j "header-j".
	DefaultHeaderKeyFormat = "header-%d"
)

// Headers describes the messages' record headers (Kafka KIP-82): how many
// each message has, fixed or drawn per message, their keys, and the size
// of their values, fixed or drawn from a distribution. Values are random
// bytes from a pool built before the run.
//
//	headers: {count: 2, value_size: 16}
//	headers: {count: {min: 0, max: 4}, key_format: "x-trace-%d", value_size: {distribution: uniform, min: 8, max: 64}}
type Headers struct {
	// Count is the number of headers per message, 0 to MaxHeaders: an
	// integer, or {min, max} for a count drawn uniformly per message.
	// Required.
	Count Range `yaml:"count" json:"count"`
	// KeyFormat names header j (0-based within the message) like
	// Keys.Format (one integer verb). Default DefaultHeaderKeyFormat.
	KeyFormat string `yaml:"key_format,omitempty" json:"key_format,omitempty"`
	// ValueSize is the size distribution of each header value, up to
	// MaxHeaderValueSize. Default fixed 0 (empty values).
	ValueSize SizeSpec `yaml:"value_size,omitempty" json:"value_size"`
}

// Range is an integer range [Min, Max]. In a file it is an integer (Min =
// Max) or a mapping {min, max}; it marshals the same way.
type Range struct {
	// Min is the smallest value.
	Min int `yaml:"min" json:"min"`
	// Max is the largest value, >= Min.
	Max int `yaml:"max" json:"max"`
}

// rangeFields is Range without its methods.
type rangeFields Range

// decodeNode decodes an integer or a {min, max} mapping.
func (r *Range) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode {
		var v int
		if err := d.decode(n, reflect.ValueOf(&v).Elem(), path); err != nil {
			return err
		}
		*r = Range{v, v}
		return nil
	}
	var f rangeFields
	if err := d.mapping(n, reflect.ValueOf(&f).Elem(), path); err != nil {
		return err
	}
	if _, ok := d.lines[path+".min"]; !ok {
		return d.errf(n, path+".min", "required")
	}
	if _, ok := d.lines[path+".max"]; !ok {
		return d.errf(n, path+".max", "required")
	}
	*r = Range(f)
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler with the strict decoder's
// rules.
func (r *Range) UnmarshalYAML(n *yaml.Node) error {
	return r.decodeNode(&decoder{lines: map[string]int{}}, n, "range")
}

// MarshalJSON writes an integer when Min == Max, else {min, max}.
func (r Range) MarshalJSON() ([]byte, error) {
	if r.Min == r.Max {
		return json.Marshal(r.Min)
	}
	return json.Marshal(rangeFields(r))
}

// UnmarshalJSON accepts what MarshalJSON writes.
func (r *Range) UnmarshalJSON(b []byte) error {
	return unmarshalScalarOr(b, func(v int) { *r = Range{v, v} }, func(f rangeFields) { *r = Range(f) })
}

// validateHeaders checks the headers block.
func (s *Scenario) validateHeaders() *Error {
	h := s.Headers
	if h == nil {
		return nil
	}
	if s.missing("headers.count") {
		return s.errorf("headers.count", "required (headers per message: N or {min, max})")
	}
	if h.Count.Min < 0 || h.Count.Max > MaxHeaders || h.Count.Min > h.Count.Max {
		return s.errorf("headers.count", "must satisfy 0 <= min <= max <= %d, got [%d, %d]", MaxHeaders, h.Count.Min, h.Count.Max)
	}
	if s.set("headers.key_format", reflect.ValueOf(h.KeyFormat)) {
		f, err := parseKeyFormat(h.KeyFormat)
		if err == nil && f.omb {
			err = fmt.Errorf("omb is a message key format, not a header key format")
		}
		if err != nil {
			return s.errorf("headers.key_format", "%s", err.Error())
		}
	}
	return s.validateSize("headers.value_size", h.ValueSize, MaxHeaderValueSize)
}

// HeaderGen gives the headers of each message, deterministically from
// (seed, i): the count is drawn uniformly from Count, header j's key is
// KeyFormat applied to j (formatted once), and its value is a slice of a
// random pool of ValueSize bytes. It is safe for concurrent use and does
// not allocate when dst has room for MaxCount headers.
type HeaderGen struct {
	keys      []string
	lo, hi    int
	sizes     *SizeGen
	pool      []byte
	countBase uint64
	offBase   uint64
}

// NewHeaderGen builds the header generator for h (nil: no headers),
// seeded by seed.
func NewHeaderGen(h *Headers, seed int64) (*HeaderGen, error) {
	if h == nil || h.Count.Max == 0 {
		return &HeaderGen{}, nil
	}
	if h.Count.Min < 0 || h.Count.Max > MaxHeaders || h.Count.Min > h.Count.Max {
		return nil, fmt.Errorf("headers.count: invalid range [%d, %d]", h.Count.Min, h.Count.Max)
	}
	f := h.KeyFormat
	if f == "" {
		f = DefaultHeaderKeyFormat
	}
	kf, err := parseKeyFormat(f)
	if err != nil {
		return nil, fmt.Errorf("headers.key_format: %v", err)
	}
	sizes, err := NewSizeGen(h.ValueSize, MaxHeaderValueSize, seed, streamHeaderSize)
	if err != nil {
		return nil, fmt.Errorf("headers.value_size: %v", err)
	}
	g := &HeaderGen{lo: h.Count.Min, hi: h.Count.Max, sizes: sizes,
		countBase: streamStart(seed, streamHeaders), offBase: streamStart(seed, streamHeaders+1)}
	for j := range h.Count.Max {
		g.keys = append(g.keys, string(kf.append(nil, int64(j), 0)))
	}
	g.pool = make([]byte, payloadWindow+sizes.Max())
	fillRandom(g.pool, seed, streamHeaders)
	return g, nil
}

// MaxCount returns the largest number of headers a message gets.
func (g *HeaderGen) MaxCount() int { return g.hi }

// Headers appends message i's headers to dst[:0] and returns it.
func (g *HeaderGen) Headers(i int64, dst []producer.Header) []producer.Header {
	dst = dst[:0]
	if g.hi == 0 {
		return dst
	}
	n := g.lo
	if g.hi > g.lo {
		n += int(reduce(mix(g.countBase, i), uint64(g.hi-g.lo)+1))
	}
	for j := range n {
		idx := i<<10 | int64(j)
		size := uint64(g.sizes.Size(idx))
		off := reduce(mix(g.offBase, idx), payloadWindow)
		end := off + size
		dst = append(dst, producer.Header{Key: g.keys[j], Value: g.pool[off:end:end]})
	}
	return dst
}
