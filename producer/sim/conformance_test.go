package sim_test

import (
	"testing"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/sim"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// TestConformance runs the conformance suite over the native core on the
// simulator (real clock, default latency).
func TestConformance(t *testing.T) {
	transporttest.RunTransport(t, transporttest.TransportHarness{
		Open: func(t testing.TB, topic string, partitions int) producer.Transport {
			return newSim(t, sim.Options{Topics: map[string]int32{topic: int32(partitions)}})
		},
	})
}
