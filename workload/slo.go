package workload

import (
	"reflect"
	"time"
)

// SLO is a service-level objective: latency percentiles (from intended
// send time to ack) that must not be exceeded and a maximum error rate.
// A sweep reports which points meet it.
//
//	slo: {p99: 20ms, "p99.9": 50ms, max_error_rate: 0.1%}
type SLO struct {
	// P50 bounds the median latency (p50); nil means no bound. Each
	// bound must be positive.
	P50 *Duration `yaml:"p50,omitempty" json:"p50,omitempty"`
	// P75 bounds the 75th percentile (p75).
	P75 *Duration `yaml:"p75,omitempty" json:"p75,omitempty"`
	// P90 bounds the 90th percentile (p90).
	P90 *Duration `yaml:"p90,omitempty" json:"p90,omitempty"`
	// P95 bounds the 95th percentile (p95).
	P95 *Duration `yaml:"p95,omitempty" json:"p95,omitempty"`
	// P99 bounds the 99th percentile (p99).
	P99 *Duration `yaml:"p99,omitempty" json:"p99,omitempty"`
	// P999 bounds the 99.9th percentile (key "p99.9", quoted in YAML
	// flow style).
	P999 *Duration `yaml:"p99.9,omitempty" json:"p99.9,omitempty"`
	// P9999 bounds the 99.99th percentile (key "p99.99").
	P9999 *Duration `yaml:"p99.99,omitempty" json:"p99.99,omitempty"`
	// MaxErrorRate bounds failed / sent messages: a ratio ("0.1%" or
	// 0.001). nil means no bound.
	MaxErrorRate *Ratio `yaml:"max_error_rate,omitempty" json:"max_error_rate,omitempty"`
}

// LatencyObjective is one latency bound of an SLO.
type LatencyObjective struct {
	// Percentile is the percentile bounded, e.g. 99.9.
	Percentile float64
	// Max is the largest acceptable latency at that percentile.
	Max time.Duration
}

// sloPercentiles pairs SLO fields with their percentiles.
var sloPercentiles = []struct {
	field string
	pct   float64
	get   func(*SLO) *Duration
}{
	{"p50", 50, func(o *SLO) *Duration { return o.P50 }},
	{"p75", 75, func(o *SLO) *Duration { return o.P75 }},
	{"p90", 90, func(o *SLO) *Duration { return o.P90 }},
	{"p95", 95, func(o *SLO) *Duration { return o.P95 }},
	{"p99", 99, func(o *SLO) *Duration { return o.P99 }},
	{"p99.9", 99.9, func(o *SLO) *Duration { return o.P999 }},
	{"p99.99", 99.99, func(o *SLO) *Duration { return o.P9999 }},
}

// Latency returns the SLO's latency bounds, lowest percentile first.
func (o *SLO) Latency() []LatencyObjective {
	var out []LatencyObjective
	for _, p := range sloPercentiles {
		if d := p.get(o); d != nil {
			out = append(out, LatencyObjective{Percentile: p.pct, Max: d.D()})
		}
	}
	return out
}

// validateSLO checks the slo block.
func (s *Scenario) validateSLO() *Error {
	o := s.SLO
	if o == nil {
		return nil
	}
	if reflect.ValueOf(*o).IsZero() {
		return s.errorf("slo", "set at least one objective (p50 … p99.99, max_error_rate)")
	}
	for _, p := range sloPercentiles {
		if d := p.get(o); d != nil && *d <= 0 {
			return s.errorf(joinPath("slo", p.field), "must be positive, got %v", *d)
		}
	}
	if r := o.MaxErrorRate; r != nil && !(*r >= 0 && *r <= 1) {
		return s.errorf("slo.max_error_rate", "must be between 0 and 1, got %v", float64(*r))
	}
	return nil
}
