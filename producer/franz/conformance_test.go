package franz

import (
	"testing"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// TestConformance runs the conformance suite over the franz-go engine
// against the embedded broker (kfake).
func TestConformance(t *testing.T) {
	transporttest.RunEngine(t, transporttest.Harness{
		Positions: true,
		Open: func(t testing.TB, cfg producer.Config, topic string, partitions int) registry.Engine {
			emb := startBroker(t, map[string]int32{topic: int32(partitions)})
			return newEngine(t, emb, cfg)
		},
	})
}
