package workload

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Target kinds (Target.Kind).
const (
	// TargetKafka produces to Kafka brokers: Brokers, or an embedded
	// in-process broker when Brokers is empty. The default.
	TargetKafka = "kafka"
	// TargetSim produces to the in-process broker simulator, configured
	// by Sim.
	TargetSim = "sim"
)

// Target limits.
const (
	// MaxSimBrokers is the most brokers a simulated cluster may have.
	MaxSimBrokers = 1000
	// MaxStalls is the most stalls a simulation may list.
	MaxStalls = 10_000
)

// Target is where a scenario's messages go:
//
//	target: {kind: kafka}                                     # embedded broker
//	target: {kind: kafka, brokers: ["10.0.0.1:9092", "10.0.0.2:9092"]}
//	target:
//	  kind: sim
//	  sim:
//	    brokers: 3
//	    latency: {median: 1ms, p99: 5ms}
//	    bandwidth: 100MB                   # bytes per second
//	    max_requests_per_second: 20000
//	    errors: {NOT_LEADER_OR_FOLLOWER: 0.01}
//	    stalls: [{at: 3s, for: 500ms}]
type Target struct {
	// Kind is TargetKafka (also meant by "") or TargetSim.
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Brokers are Kafka bootstrap brokers as host:port; empty means an
	// embedded broker. Kafka only.
	Brokers []string `yaml:"brokers,omitempty" json:"brokers,omitempty"`
	// Sim configures the simulator; nil means its defaults. Sim only.
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
	// Bandwidth caps each broker's intake in bytes per second (a Size
	// per second, e.g. 100MB); 0 means unlimited.
	Bandwidth Size `yaml:"bandwidth,omitempty" json:"bandwidth,omitempty"`
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
	Stalls []Stall `yaml:"stalls,omitempty" json:"stalls,omitempty"`
}

// SimLatency is a lognormal service-time distribution given by two
// quantiles.
type SimLatency struct {
	// Median is the 50th percentile, >= 0.
	Median Duration `yaml:"median" json:"median"`
	// P99 is the 99th percentile, >= Median.
	P99 Duration `yaml:"p99" json:"p99"`
}

// Stall is one window in which the simulated brokers stop answering.
type Stall struct {
	// At is when the stall starts, from the start of the run, >= 0.
	At Duration `yaml:"at" json:"at"`
	// For is how long it lasts, > 0.
	For Duration `yaml:"for" json:"for"`
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

// validateTarget checks the target block.
func (s *Scenario) validateTarget() *Error {
	t := s.Target
	if t == nil {
		return nil
	}
	switch t.Kind {
	case "", TargetKafka:
		if t.Sim != nil {
			return s.errorf("target.sim", "only used with kind sim")
		}
		for i, b := range t.Brokers {
			host, port, err := net.SplitHostPort(b)
			p, perr := strconv.Atoi(port)
			if err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
				return s.errorf(fmt.Sprintf("target.brokers[%d]", i), "want host:port, got %s", quote(b))
			}
		}
		return nil
	case TargetSim:
		if len(t.Brokers) > 0 {
			return s.errorf("target.brokers", "only used with kind kafka (the simulator's size is sim.brokers)")
		}
	default:
		return s.errorf("target.kind", "unknown kind %s (want %s or %s)", quote(t.Kind), TargetKafka, TargetSim)
	}
	sim := t.Sim
	if sim == nil {
		return nil
	}
	const p = "target.sim."
	if sim.Brokers < 0 || sim.Brokers > MaxSimBrokers || s.has(p+"brokers") && sim.Brokers == 0 {
		return s.errorf(p+"brokers", "must be between 1 and %d, got %d", MaxSimBrokers, sim.Brokers)
	}
	switch {
	case sim.Latency.Median < 0:
		return s.errorf(p+"latency.median", "must not be negative, got %v", sim.Latency.Median)
	case s.has(p+"latency") && s.missing(p+"latency.median"):
		return s.errorf(p+"latency.median", "required (e.g. 1ms)")
	case s.has(p+"latency") && s.missing(p+"latency.p99"):
		return s.errorf(p+"latency.p99", "required (e.g. 5ms; equal to median for a fixed latency)")
	case sim.Latency.P99 < sim.Latency.Median:
		return s.errorf(p+"latency.p99", "must be at least median (%v), got %v", sim.Latency.Median, sim.Latency.P99)
	case sim.Latency.Median == 0 && sim.Latency.P99 > 0:
		return s.errorf(p+"latency.median", "must be positive when p99 is, got 0s")
	}
	if err := s.checkFloat(p+"max_requests_per_second", sim.MaxRequestsPerSecond, 0, MaxRate); err != nil {
		return err
	}
	names := make([]string, 0, len(sim.Errors))
	for n := range sim.Errors {
		names = append(names, n)
	}
	slices.Sort(names)
	var sum float64
	known := kafkaErrorNames()
	for _, n := range names {
		field := joinPath(p+"errors", n)
		if !slices.Contains(known, n) {
			hint := suggest(n, known)
			if !strings.HasPrefix(hint, "did you mean") {
				hint = "want a Kafka protocol error name such as NOT_LEADER_OR_FOLLOWER or REQUEST_TIMED_OUT"
			}
			return s.errorf(field, "unknown Kafka error name (%s)", hint)
		}
		if err := s.checkFloat(field, sim.Errors[n], 0, 1); err != nil {
			return err
		}
		sum += sim.Errors[n]
	}
	if sum > 1+1e-12 {
		return s.errorf(p+"errors", "probabilities must add up to at most 1, got %v", sum)
	}
	if len(sim.Stalls) > MaxStalls {
		return s.errorf(p+"stalls", "at most %d stalls, got %d", MaxStalls, len(sim.Stalls))
	}
	for i, st := range sim.Stalls {
		sp := fmt.Sprintf("%sstalls[%d]", p, i)
		switch {
		case s.missing(sp + ".at"):
			return s.errorf(sp+".at", "required (when the stall starts, e.g. 3s)")
		case s.missing(sp + ".for"):
			return s.errorf(sp+".for", "required (how long it lasts, e.g. 500ms)")
		case st.At < 0:
			return s.errorf(sp+".at", "must not be negative, got %v", st.At)
		case st.For <= 0:
			return s.errorf(sp+".for", "must be positive, got %v", st.For)
		}
	}
	return nil
}
