package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/franz"
	"github.com/prodbench/prodbench/producer/kafka"
	"github.com/prodbench/prodbench/producer/sim"
	"github.com/prodbench/prodbench/workload"
)

// engine is what a run drives: prodbench's producer core or franz-go's,
// behind the same Send.
type engine interface {
	workload.Sender
	Close(ctx context.Context) error
	Stats() producer.Stats
}

// inFlighter is an engine that reports its produce requests in flight.
type inFlighter interface{ InFlight() int }

// opened is an engine with what it runs on.
type opened struct {
	eng     engine
	name    string // "native" or "franz-go"
	target  string // "embedded kafka", "kafka host:port,...", "sim"
	start   func() // called just before the first message (sim stalls count from it)
	release func()
}

// openError is an error opening the engine; usage says it is the input's
// fault (exit 2), not the environment's (exit 1).
type openError struct {
	err   error
	usage bool
}

func (e *openError) Error() string { return e.err.Error() }

func usageErr(format string, args ...any) error {
	return &openError{err: fmt.Errorf(format, args...), usage: true}
}

// openEngine builds the scenario's target (Kafka brokers, an embedded
// broker, or the simulator) and the engine that sends to it.
func openEngine(ctx context.Context, s *workload.Scenario, cfg producer.Config, f *runFlags) (*opened, error) {
	engineName := s.Engine
	if engineName == "" {
		engineName = workload.EngineNative
	}
	kind := "kafka"
	var tgt workload.Target
	if s.Target != nil {
		tgt = *s.Target
		if tgt.Kind != "" {
			kind = tgt.Kind
		}
	}
	if kind == "sim" {
		if engineName != workload.EngineNative {
			return nil, usageErr("engine %s needs a Kafka target, not the simulator", engineName)
		}
		if len(f.brokers) > 0 {
			return nil, usageErr("--brokers does not apply to a scenario whose target is the simulator")
		}
		tr, err := sim.New(simOptions(s))
		if err != nil {
			return nil, usageErr("target.sim: %v", err)
		}
		p, err := producer.New(cfg, tr)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		return &opened{eng: p, name: engineName, target: "sim", start: tr.Start, release: func() {}}, nil
	}

	brokers := f.brokers
	if len(brokers) == 0 {
		brokers = tgt.Brokers
	}
	var emb *kafka.Embedded
	where := "kafka " + strings.Join(brokers, ",")
	if len(brokers) == 0 {
		topics := map[string]int32{}
		for _, t := range s.Topics {
			topics[t.Name] = int32(t.Partitions)
		}
		var err error
		emb, err = kafka.StartEmbedded(kafka.EmbeddedOptions{Topics: topics, Retain: f.retain, DefaultPartitions: cfg.AutoCreatePartitions})
		if err != nil {
			return nil, err
		}
		brokers = emb.Addrs()
		where = "embedded kafka " + strings.Join(brokers, ",")
	}
	closeEmb := func() {
		if emb != nil {
			emb.Close()
		}
	}
	if engineName == workload.EngineFranzGo {
		if err := franz.Validate(cfg); err != nil {
			closeEmb()
			return nil, usageErr("engine franz-go: %v", err)
		}
		if f.produceDelay > 0 {
			closeEmb()
			return nil, usageErr("--x-produce-delay applies to the native engine only")
		}
		e, err := franz.New(ctx, brokers, cfg, franz.WithZeroCopy())
		if err != nil {
			closeEmb()
			return nil, err
		}
		return &opened{eng: e, name: engineName, target: where, start: func() {}, release: closeEmb}, nil
	}
	tr, err := kafka.New(ctx, kafka.Options{Brokers: brokers, Acks: cfg.Acks, RequestTimeout: cfg.RequestTimeout,
		TransactionalID: cfg.TransactionalID, ProduceDelay: f.produceDelay})
	if err != nil {
		closeEmb()
		return nil, err
	}
	release := func() {
		tr.Close()
		closeEmb()
	}
	// Load every topic's metadata now, so a missing topic fails before
	// the run starts and before any result directory exists.
	if !cfg.AutoCreateTopics {
		for _, t := range s.Topics {
			if _, err := tr.Partitions(ctx, t.Name); err != nil {
				release()
				return nil, fmt.Errorf("topic %q on %s: %w", t.Name, strings.Join(brokers, ","), err)
			}
		}
	}
	p, err := producer.New(cfg, tr)
	if err != nil {
		release()
		return nil, usageErr("%v", err)
	}
	return &opened{eng: p, name: engineName, target: where, start: func() {}, release: release}, nil
}

// simOptions maps the scenario's target.sim block onto the simulator.
func simOptions(s *workload.Scenario) sim.Options {
	o := sim.Options{Topics: map[string]int32{}, Seed: s.Seed, Brokers: 1}
	for _, t := range s.Topics {
		o.Topics[t.Name] = int32(t.Partitions)
	}
	st := s.Target.Sim
	if st == nil {
		return o
	}
	o.Brokers = st.BrokerCount()
	o.LatencyMedian, o.LatencyP99 = st.Latency.Median.D(), st.Latency.P99.D()
	o.Bandwidth = int64(st.Bandwidth)
	o.MaxRequestsPerSec = st.MaxRequestsPerSecond
	o.ErrorRates = st.Errors
	for _, x := range st.Stalls {
		o.Stalls = append(o.Stalls, sim.Stall{At: x.At.D(), For: x.For.D()})
	}
	return o
}

// closeWithin closes e, failing what is still in flight after d.
func closeWithin(e engine, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return e.Close(ctx)
}
