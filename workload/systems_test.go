package workload

import (
	_ "github.com/prodbench/prodbench/producer/kafka/kafkasys"
	_ "github.com/prodbench/prodbench/producer/nats"
	_ "github.com/prodbench/prodbench/producer/pulsar"
	_ "github.com/prodbench/prodbench/producer/pulsarws"
	"github.com/prodbench/prodbench/producer/sim"
)

// simOf returns the simulator block of s's target, which must be a sim
// target (the only caller's scenario is).
func simOf(s *Scenario) *sim.SimTarget { return s.Target.Config.(*sim.TargetConfig).Sim }
