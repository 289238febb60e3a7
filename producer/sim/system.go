package sim

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/workload/units"
)

// Target limits.
const (
	// MaxSimBrokers is the most brokers a simulated cluster may have.
	MaxSimBrokers = 1000
	// MaxStalls is the most stalls a simulation may list.
	MaxStalls = 10_000
)

// Kind is the simulator's target kind and URL scheme ("sim://").
const Kind = "sim"

// TargetConfig is the scenario's `target:` block for kind sim:
//
//	target:
//	  kind: sim
//	  sim:
//	    brokers: 3
//	    latency: {median: 1ms, p99: 5ms}
//	    bandwidth: 100MB                   # bytes per second
//	    max_requests_per_second: 20000
//	    errors: {NOT_LEADER_OR_FOLLOWER: 0.01}
//	    stalls: [{at: 3s, for: 500ms}]
type TargetConfig struct {
	// Sim configures the simulator; nil means its defaults.
	Sim *SimTarget `yaml:"sim,omitempty" json:"sim,omitempty"`
}

// SimTarget configures the in-process broker simulator. Every field is
// optional; the zero value is one broker that answers at once.
type SimTarget struct {
	// Brokers is the number of simulated brokers (partitions are spread
	// over them), 1 to MaxSimBrokers. Default 1 (0 in code also means 1).
	Brokers int `yaml:"brokers,omitempty" json:"brokers,omitempty"`
	// Latency is the service time of each produce request, lognormal with
	// the given median and 99th percentile (equal: fixed). Default 0.
	Latency SimLatency `yaml:"latency,omitempty" json:"latency"`
	// Bandwidth caps each broker's intake in bytes per second (e.g.
	// 100MB = 10^8 B/s); 0 means unlimited.
	Bandwidth units.Size `yaml:"bandwidth,omitempty" json:"bandwidth,omitempty"`
	// MaxRequestsPerSecond caps the produce requests each broker serves
	// per second, finite and >= 0; 0 means unlimited.
	MaxRequestsPerSecond float64 `yaml:"max_requests_per_second,omitempty" json:"max_requests_per_second,omitempty"`
	// Errors maps Kafka error names (e.g. NOT_LEADER_OR_FOLLOWER,
	// REQUEST_TIMED_OUT) to the probability, per request and partition,
	// that the broker answers with that error; each in [0, 1], summing to
	// at most 1.
	Errors map[string]float64 `yaml:"errors,omitempty" json:"errors,omitempty"`
	// Stalls are windows during which the brokers answer nothing: each
	// starts At after the run's start and lasts For.
	Stalls []StallSpec `yaml:"stalls,omitempty" json:"stalls,omitempty"`
}

// SimLatency is a lognormal service-time distribution given by two
// quantiles.
type SimLatency struct {
	// Median is the 50th percentile, >= 0.
	Median units.Duration `yaml:"median" json:"median"`
	// P99 is the 99th percentile, >= Median.
	P99 units.Duration `yaml:"p99" json:"p99"`
}

// StallSpec is one window in which the simulated brokers stop answering.
type StallSpec struct {
	// At is when the stall starts, from the start of the run, >= 0.
	At units.Duration `yaml:"at" json:"at"`
	// For is how long it lasts, > 0.
	For units.Duration `yaml:"for" json:"for"`
}

// BrokerCount returns Brokers with 0 read as 1.
func (t *SimTarget) BrokerCount() int {
	if t == nil || t.Brokers == 0 {
		return 1
	}
	return t.Brokers
}

// kafkaErrorNames returns the Kafka error names the simulator can answer
// with: every code kerr knows, by its current name
// (NOT_LEADER_OR_FOLLOWER rather than NOT_LEADER_FOR_PARTITION).
var kafkaErrorNames = sync.OnceValue(func() []string {
	var names []string
	for code := int16(-1); code < 200; code++ {
		e := kerr.ErrorForCode(code)
		ke, ok := e.(*kerr.Error)
		if !ok || ke.Code != code || code == 0 {
			continue
		}
		name := ke.Message
		if code == 6 {
			name = "NOT_LEADER_OR_FOLLOWER"
		}
		names = append(names, name)
	}
	return names
})

func init() {
	registry.Register(registry.System{
		Kind:      Kind,
		Schemes:   []string{Kind},
		Summary:   "the in-process broker simulator (queueing model with latency, bandwidth, errors, stalls)",
		Engines:   []string{"native"},
		NewConfig: func() any { return &TargetConfig{} },
		Validate:  validate,
		ApplyURL: func(cfg any, raw string) error {
			if rest := strings.TrimPrefix(raw, Kind+"://"); rest != "" {
				if strings.Contains(rest, "@") { // never echo user info: it may hold a password
					return fmt.Errorf("sim:// takes no address (configure the simulator in the target block)")
				}
				return fmt.Errorf("sim:// takes no address (configure the simulator in the target block), got %q", rest)
			}
			return nil
		},
		Describe: describe,
		Open:     open,
	})
}

func validate(c any, _ producer.Config, sc registry.Scope) error {
	sim := c.(*TargetConfig).Sim
	if sim == nil {
		return nil
	}
	const p = "target.sim."
	if sim.Brokers < 0 || sim.Brokers > MaxSimBrokers || sc.Has(p+"brokers") && sim.Brokers == 0 {
		return sc.Errorf(p+"brokers", "must be between 1 and %d, got %d", MaxSimBrokers, sim.Brokers)
	}
	missing := func(f string) bool { return sc.Has("target") && !sc.Has(f) }
	switch {
	case sim.Latency.Median < 0:
		return sc.Errorf(p+"latency.median", "must not be negative, got %v", sim.Latency.Median)
	case sc.Has(p+"latency") && missing(p+"latency.median"):
		return sc.Errorf(p+"latency.median", "required (e.g. 1ms)")
	case sc.Has(p+"latency") && missing(p+"latency.p99"):
		return sc.Errorf(p+"latency.p99", "required (e.g. 5ms; equal to median for a fixed latency)")
	case sim.Latency.P99 < sim.Latency.Median:
		return sc.Errorf(p+"latency.p99", "must be at least median (%v), got %v", sim.Latency.Median, sim.Latency.P99)
	case sim.Latency.Median == 0 && sim.Latency.P99 > 0:
		return sc.Errorf(p+"latency.median", "must be positive when p99 is, got 0s")
	}
	if x := sim.MaxRequestsPerSecond; x != x || x < 0 || x > 1e9 {
		return sc.Errorf(p+"max_requests_per_second", "must be between 0 and 1e+09, got %v", x)
	}
	names := make([]string, 0, len(sim.Errors))
	for n := range sim.Errors {
		names = append(names, n)
	}
	sort.Strings(names)
	var sum float64
	known := kafkaErrorNames()
	for _, n := range names {
		field := p + "errors." + n
		if !slices.Contains(known, n) {
			hint := units.Suggest(n, known)
			if !strings.HasPrefix(hint, "did you mean") {
				hint = "want a Kafka protocol error name such as NOT_LEADER_OR_FOLLOWER or REQUEST_TIMED_OUT"
			}
			return sc.Errorf(field, "unknown Kafka error name (%s)", hint)
		}
		if x := sim.Errors[n]; x != x || x < 0 || x > 1 {
			return sc.Errorf(field, "must be between 0 and 1, got %v", x)
		}
		sum += sim.Errors[n]
	}
	if sum > 1+1e-12 {
		return sc.Errorf(p+"errors", "probabilities must add up to at most 1, got %v", sum)
	}
	if len(sim.Stalls) > MaxStalls {
		return sc.Errorf(p+"stalls", "at most %d stalls, got %d", MaxStalls, len(sim.Stalls))
	}
	for i, st := range sim.Stalls {
		sp := fmt.Sprintf("%sstalls[%d]", p, i)
		switch {
		case missing(sp + ".at"):
			return sc.Errorf(sp+".at", "required (when the stall starts, e.g. 3s)")
		case missing(sp + ".for"):
			return sc.Errorf(sp+".for", "required (how long it lasts, e.g. 500ms)")
		case st.At < 0:
			return sc.Errorf(sp+".at", "must not be negative, got %v", st.At)
		case st.For <= 0:
			return sc.Errorf(sp+".for", "must be positive, got %v", st.For)
		}
	}
	return nil
}

func open(_ context.Context, o registry.OpenOptions) (*registry.Opened, error) {
	if o.ProduceDelay > 0 {
		return nil, registry.UsageError("--x-produce-delay applies to Kafka's native engine only")
	}
	opts := Options{Topics: map[string]int32{}, Seed: o.Seed, Brokers: 1}
	for _, t := range o.Topics {
		opts.Topics[t.Name] = int32(t.Partitions)
	}
	if st := o.Config.(*TargetConfig).Sim; st != nil {
		opts.Brokers = st.BrokerCount()
		opts.LatencyMedian, opts.LatencyP99 = time.Duration(st.Latency.Median), time.Duration(st.Latency.P99)
		opts.Bandwidth = int64(st.Bandwidth)
		opts.MaxRequestsPerSec = st.MaxRequestsPerSecond
		opts.ErrorRates = st.Errors
		for _, x := range st.Stalls {
			opts.Stalls = append(opts.Stalls, Stall{At: time.Duration(x.At), For: time.Duration(x.For)})
		}
	}
	tr, err := New(opts)
	if err != nil {
		return nil, registry.UsageError("target.sim: %v", err)
	}
	p, err := producer.New(o.Producer, tr)
	if err != nil {
		return nil, registry.UsageError("%v", err)
	}
	return &registry.Opened{
		Engine: p, EngineName: "native", Target: "sim", StandIn: true,
		Caps:     registry.Capabilities{Batches: true, Compression: true, Requests: true},
		InFlight: p.InFlight, Start: tr.Start,
	}, nil
}

// describe is the validate line of a sim target.
func describe(c any) string {
	out := "simulator"
	if sim := c.(*TargetConfig).Sim; sim != nil {
		out += fmt.Sprintf(", %d brokers", sim.BrokerCount())
		if sim.Latency.Median > 0 {
			out += fmt.Sprintf(", latency median %v p99 %v", sim.Latency.Median, sim.Latency.P99)
		}
		if sim.Bandwidth > 0 {
			out += fmt.Sprintf(", %v/s per broker", sim.Bandwidth)
		}
		if sim.MaxRequestsPerSecond > 0 {
			out += fmt.Sprintf(", %g requests/s per broker", sim.MaxRequestsPerSecond)
		}
		if len(sim.Errors) > 0 {
			out += fmt.Sprintf(", %d error kinds", len(sim.Errors))
		}
		if len(sim.Stalls) > 0 {
			out += fmt.Sprintf(", %d stalls", len(sim.Stalls))
		}
	}
	return out
}
