package workload

import (
	_ "github.com/prodbench/prodbench/producer/kafka/kafkasys"
	_ "github.com/prodbench/prodbench/producer/nats"
	_ "github.com/prodbench/prodbench/producer/pulsar"
	_ "github.com/prodbench/prodbench/producer/pulsarws"
	"github.com/prodbench/prodbench/producer/sim"
)

// simOf returns the simulator block of s's target, nil when there is none.
func simOf(s *Scenario) *sim.SimTarget {
	if s.Target == nil {
		return nil
	}
	c, ok := s.Target.Config.(*sim.TargetConfig)
	if !ok {
		return nil
	}
	return c.Sim
}
