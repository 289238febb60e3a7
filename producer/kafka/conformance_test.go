package kafka

import (
	"testing"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// TestConformance runs the conformance suite over the native core on the
// Kafka transport against the embedded broker (kfake).
func TestConformance(t *testing.T) {
	transporttest.RunTransport(t, transporttest.TransportHarness{
		Open: func(t testing.TB, topic string, partitions int) producer.Transport {
			e := startEmbedded(t, EmbeddedOptions{Topics: map[string]int32{topic: int32(partitions)}})
			return newTransport(t, e, producer.AcksAll)
		},
	})
}
