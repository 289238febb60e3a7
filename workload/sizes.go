package workload

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Size distributions (SizeSpec.Distribution).
const (
	// SizeFixed gives every message Value bytes. A plain size scalar
	// (`size: 512`) means fixed.
	SizeFixed = "fixed"
	// SizeUniform draws sizes uniformly from the whole numbers in
	// [Min, Max].
	SizeUniform = "uniform"
	// SizeNormal draws round(Mean + Stddev·Z), Z standard normal.
	SizeNormal = "normal"
	// SizeLognormal draws round(Median·exp(σZ)) with σ = ln(P99/Median)/
	// Φ⁻¹(0.99), so that the median and 99th percentile are as given.
	SizeLognormal = "lognormal"
	// SizeEmpirical draws Table's sizes with probability proportional to
	// their weights (an OMB messageSizeDistribution-like table).
	SizeEmpirical = "empirical"
)

// MaxSizeTable is the largest number of rows of an empirical size table.
const MaxSizeTable = 10_000

// tailZ is Φ⁻¹(1 − 10⁻⁶): the default upper clip of normal and lognormal
// sizes is their one-in-a-million quantile.
const tailZ = 4.753424308822899

// SizeSpec is a distribution of byte sizes (message.size,
// headers.value_size), a tagged union on Distribution. A scalar is a
// fixed size; a mapping names a distribution:
//
//	size: 512                                                     # fixed
//	size: {distribution: uniform, min: 100, max: 2KiB}
//	size: {distribution: normal, mean: 1KiB, stddev: 256, max: 4KiB}
//	size: {distribution: lognormal, median: 1KiB, p99: 16KiB}
//	size: {distribution: empirical, table: [{size: 100, weight: 70}, {size: 10KiB, weight: 30}]}
//
// Every drawn size is clipped to [Min, Max]. Min defaults to 0. Max
// defaults to the largest table size (empirical) or the one-in-a-million
// quantile (normal, lognormal), capped at the field's limit
// (MaxMessageSize for values); it is required by uniform. A zero SizeSpec
// built in code is fixed at 0 bytes.
type SizeSpec struct {
	// Distribution is SizeFixed, SizeUniform, SizeNormal, SizeLognormal
	// or SizeEmpirical; "" in code means fixed.
	Distribution string `yaml:"distribution" json:"distribution"`
	// Value is the fixed size. Required by fixed.
	Value Size `yaml:"value,omitempty" json:"value,omitempty"`
	// Min is the lower clip (uniform: the smallest size). Optional but
	// for uniform; default 0.
	Min Size `yaml:"min,omitempty" json:"min,omitempty"`
	// Max is the upper clip (uniform: the largest size), > 0 when given.
	// Required by uniform; optional otherwise (default above).
	Max Size `yaml:"max,omitempty" json:"max,omitempty"`
	// Mean is normal's mean. Required by normal.
	Mean Size `yaml:"mean,omitempty" json:"mean,omitempty"`
	// Stddev is normal's standard deviation, >= 0. Required by normal.
	Stddev Size `yaml:"stddev,omitempty" json:"stddev,omitempty"`
	// Median is lognormal's median, > 0. Required by lognormal.
	Median Size `yaml:"median,omitempty" json:"median,omitempty"`
	// P99 is lognormal's 99th percentile, >= Median (equal means fixed).
	// Required by lognormal.
	P99 Size `yaml:"p99,omitempty" json:"p99,omitempty"`
	// Table is the empirical distribution: 1 to MaxSizeTable rows, weights
	// finite, >= 0 and not all 0. Required by empirical.
	Table []SizeWeight `yaml:"table,omitempty" json:"table,omitempty"`
}

// SizeWeight is one row of an empirical size table.
type SizeWeight struct {
	// Size is the row's size in bytes.
	Size Size `yaml:"size" json:"size"`
	// Weight is its relative frequency, >= 0.
	Weight float64 `yaml:"weight" json:"weight"`
}

// FixedSize returns the SizeSpec of a fixed size of n bytes.
func FixedSize(n Size) SizeSpec { return SizeSpec{Distribution: SizeFixed, Value: n} }

// sizeDistributions are the SizeSpec union's variants.
var sizeDistributions = union{
	{SizeFixed, variant{required: []string{"value"}}},
	{SizeUniform, variant{required: []string{"min", "max"}}},
	{SizeNormal, variant{required: []string{"mean", "stddev"}, optional: []string{"min", "max"}}},
	{SizeLognormal, variant{required: []string{"median", "p99"}, optional: []string{"min", "max"}}},
	{SizeEmpirical, variant{required: []string{"table"}, optional: []string{"min", "max"}}},
}

// dist returns the distribution with "" read as fixed.
func (sp SizeSpec) dist() string {
	if sp.Distribution == "" {
		return SizeFixed
	}
	return sp.Distribution
}

// sizeSpecFields is SizeSpec without its methods, for the generic decoder
// and encoder.
type sizeSpecFields SizeSpec

// decodeNode decodes a size scalar (fixed) or a distribution mapping.
func (sp *SizeSpec) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode {
		var v Size
		if err := v.DecodeScalar(n); err != nil {
			return d.errf(n, path, "%s", err.Error())
		}
		*sp = FixedSize(v)
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a size (e.g. 512 or \"16KiB\") or a distribution mapping, got %s", describe(n))
	}
	var f sizeSpecFields
	if err := d.mapping(n, reflect.ValueOf(&f).Elem(), path); err != nil {
		return err
	}
	*sp = SizeSpec(f)
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler with the strict decoder's
// rules.
func (sp *SizeSpec) UnmarshalYAML(n *yaml.Node) error {
	return sp.decodeNode(&decoder{lines: map[string]int{}}, n, "size")
}

// MarshalJSON writes a fixed size as a size string ("512B") and a
// distribution as a mapping of the fields it uses.
func (sp SizeSpec) MarshalJSON() ([]byte, error) {
	if sp.dist() == SizeFixed {
		return json.Marshal(sp.Value)
	}
	vr, _ := sizeDistributions.get(sp.dist())
	return marshalVariant(sizeSpecFields(sp), "distribution", vr)
}

// UnmarshalJSON accepts what MarshalJSON writes.
func (sp *SizeSpec) UnmarshalJSON(b []byte) error {
	return unmarshalScalarOr(b, func(v Size) { *sp = FixedSize(v) }, func(f sizeSpecFields) { *sp = SizeSpec(f) })
}

// String describes the distribution in one line, e.g. "fixed 512B" or
// "lognormal median 1KiB p99 16KiB, clipped to [0B, 64KiB]".
func (sp SizeSpec) String() string {
	lo, hi := sp.Bounds(MaxMessageSize)
	clip := fmt.Sprintf(", clipped to [%v, %v]", lo, hi)
	switch sp.dist() {
	case SizeFixed:
		return "fixed " + sp.Value.String()
	case SizeUniform:
		return fmt.Sprintf("uniform [%v, %v]", sp.Min, sp.Max)
	case SizeNormal:
		return fmt.Sprintf("normal mean %v stddev %v%s", sp.Mean, sp.Stddev, clip)
	case SizeLognormal:
		return fmt.Sprintf("lognormal median %v p99 %v%s", sp.Median, sp.P99, clip)
	case SizeEmpirical:
		return fmt.Sprintf("empirical (%d rows)%s", len(sp.Table), clip)
	}
	return sp.Distribution
}

// sigma is the lognormal's σ.
func (sp SizeSpec) sigma() float64 {
	if sp.Median <= 0 || sp.P99 <= sp.Median {
		return 0
	}
	return math.Log(float64(sp.P99)/float64(sp.Median)) / z99
}

// Bounds returns the clip range [lo, hi] of the sizes drawn, with the
// defaults applied; limit caps the default upper clip.
func (sp SizeSpec) Bounds(limit Size) (lo, hi Size) {
	lo, hi = sp.Min, sp.Max
	switch sp.dist() {
	case SizeFixed:
		return sp.Value, sp.Value
	case SizeUniform:
		return lo, hi
	case SizeNormal:
		if hi == 0 {
			hi = clipSize(math.Ceil(float64(sp.Mean)+tailZ*float64(sp.Stddev)), limit)
		}
	case SizeLognormal:
		if hi == 0 {
			hi = clipSize(math.Ceil(float64(sp.Median)*math.Exp(tailZ*sp.sigma())), limit)
		}
	case SizeEmpirical:
		if hi == 0 {
			for _, r := range sp.Table {
				hi = max(hi, r.Size)
			}
		}
	}
	return lo, max(hi, lo)
}

// clipSize converts x to a Size in [0, limit].
func clipSize(x float64, limit Size) Size {
	if !(x < float64(limit)) {
		return limit
	}
	if !(x > 0) {
		return 0
	}
	return Size(x)
}

// validateSize checks the size distribution at path, whose sizes must
// not exceed limit.
func (s *Scenario) validateSize(path string, sp SizeSpec, limit Size) *Error {
	vr, ok := sizeDistributions.get(sp.dist())
	if !ok {
		return s.errorf(path+".distribution", "unknown distribution %s (want %s)", quote(sp.Distribution), sizeDistributions.names())
	}
	if sp.dist() == SizeFixed && !s.has(path+".distribution") {
		// The scalar form: the value is the field itself.
		if sp.Value < 0 || sp.Value > limit {
			return s.errorf(path, "must be between 0 and %v, got %v", limit, sp.Value)
		}
		return nil
	}
	if err := s.checkVariant(path, sizeSpecFields(sp), "distribution", "distribution", sp.dist(), vr); err != nil {
		return err
	}
	inRange := func(field string, v Size) *Error {
		if v < 0 || v > limit {
			return s.errorf(path+"."+field, "must be between 0 and %v, got %v", limit, v)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    Size
	}{{"value", sp.Value}, {"min", sp.Min}, {"max", sp.Max}, {"mean", sp.Mean}, {"median", sp.Median}, {"p99", sp.P99}} {
		if err := inRange(f.name, f.v); err != nil {
			return err
		}
	}
	if sp.Stddev < 0 {
		return s.errorf(path+".stddev", "must not be negative, got %v", sp.Stddev)
	}
	switch sp.dist() {
	case SizeUniform:
		if sp.Max < sp.Min {
			return s.errorf(path+".max", "must be at least min (%v), got %v", sp.Min, sp.Max)
		}
		return nil
	case SizeLognormal:
		if sp.Median <= 0 {
			return s.errorf(path+".median", "must be positive, got %v", sp.Median)
		}
		if sp.P99 < sp.Median {
			return s.errorf(path+".p99", "must be at least median (%v), got %v", sp.Median, sp.P99)
		}
	case SizeEmpirical:
		if len(sp.Table) == 0 || len(sp.Table) > MaxSizeTable {
			return s.errorf(path+".table", "must have 1 to %d rows, got %d", MaxSizeTable, len(sp.Table))
		}
		var sum float64
		for i, r := range sp.Table {
			p := fmt.Sprintf("%s.table[%d]", path, i)
			if s.missing(p + ".size") {
				return s.errorf(p+".size", "required")
			}
			if err := inRange(fmt.Sprintf("table[%d].size", i), r.Size); err != nil {
				return err
			}
			if s.missing(p + ".weight") {
				return s.errorf(p+".weight", "required (a relative frequency, e.g. 10)")
			}
			if !finite(r.Weight) || r.Weight < 0 {
				return s.errorf(p+".weight", "must be a finite number >= 0, got %v", r.Weight)
			}
			sum += r.Weight
		}
		if !(sum > 0) || math.IsInf(sum, 0) {
			return s.errorf(path+".table", "weights must add up to a positive, finite number")
		}
	}
	if s.has(path+".max") && sp.Max == 0 {
		return s.errorf(path+".max", "must be positive (leave it out for the default)")
	}
	if sp.Max > 0 && sp.Max < sp.Min {
		return s.errorf(path+".max", "must be at least min (%v), got %v", sp.Min, sp.Max)
	}
	return nil
}

// SizeGen draws sizes from a SizeSpec, deterministically from (seed, i).
// It is immutable, safe for concurrent use and does not allocate.
type SizeGen struct {
	dist   string
	lo, hi int64   // clip range
	a, b   float64 // normal: mean, stddev; lognormal: median, σ
	table  []int64 // empirical sizes
	alias  *aliasTable
	base   uint64 // stream start
}

// NewSizeGen builds the generator of sp, seeded by (seed, stream): stream
// is any constant that keeps this generator's draws independent of other
// generators seeded by the same seed (message values and header values
// use different ones). limit caps the default upper clip (see SizeSpec).
// Message i's size is the distribution's quantile function at a uniform
// variate drawn from (seed, stream, i) — Φ⁻¹ via math.Erfinv for normal
// and lognormal, a Walker alias table for empirical — rounded and
// clipped. It returns an error for an unknown distribution.
func NewSizeGen(sp SizeSpec, limit Size, seed int64, stream uint64) (*SizeGen, error) {
	lo, hi := sp.Bounds(limit)
	g := &SizeGen{dist: sp.dist(), lo: int64(lo), hi: int64(hi), base: streamStart(seed, stream)}
	switch g.dist {
	case SizeFixed, SizeUniform:
	case SizeNormal:
		g.a, g.b = float64(sp.Mean), float64(sp.Stddev)
	case SizeLognormal:
		g.a, g.b = float64(sp.Median), sp.sigma()
	case SizeEmpirical:
		if len(sp.Table) == 0 {
			return nil, fmt.Errorf("empty size table")
		}
		w := make([]float64, len(sp.Table))
		for i, r := range sp.Table {
			g.table = append(g.table, int64(r.Size))
			w[i] = r.Weight
		}
		g.alias = newAliasTable(w)
	default:
		return nil, fmt.Errorf("unknown size distribution %s", quote(sp.Distribution))
	}
	return g, nil
}

// Size returns message i's size in bytes, within [Min(), Max()].
func (g *SizeGen) Size(i int64) int {
	var x int64
	switch g.dist {
	case SizeFixed:
		return int(g.lo)
	case SizeUniform:
		return int(g.lo + int64(reduce(mix(g.base, i), uint64(g.hi-g.lo)+1)))
	case SizeNormal:
		x = roundClip(g.a+g.b*normalQuantile(openUnit(mix(g.base, i))), g.hi)
	case SizeLognormal:
		x = roundClip(g.a*math.Exp(g.b*normalQuantile(openUnit(mix(g.base, i)))), g.hi)
	case SizeEmpirical:
		x = g.table[g.alias.pick(mix(g.base, i))]
	}
	return int(min(max(x, g.lo), g.hi))
}

// roundClip rounds x to the nearest whole number, clipped to [0, hi].
func roundClip(x float64, hi int64) int64 {
	r := math.Round(x)
	if !(r < float64(hi)) {
		return hi
	}
	if !(r > 0) {
		return 0
	}
	return int64(r)
}

// Min returns the smallest size the generator gives.
func (g *SizeGen) Min() int { return int(g.lo) }

// Max returns the largest size the generator gives.
func (g *SizeGen) Max() int { return int(g.hi) }
