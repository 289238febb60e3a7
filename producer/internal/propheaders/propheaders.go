// Package propheaders turns a Pulsar message's properties into record
// headers sorted by key, for the read back of both Pulsar stand-ins (the
// binary-protocol one of producer/pulsar and the WebSocket one of
// producer/pulsarws): the verify stamp travels as a property.
package propheaders

import (
	"slices"

	"github.com/prodbench/prodbench/producer"
)

// Buffer holds the slices Headers reuses from message to message; the
// zero value is ready to use.
type Buffer struct {
	keys []string
	hs   []producer.Header
}

// Headers returns one header per property of props, sorted by key, with
// the value's bytes copied. The slice is b's: valid until the next call.
func (b *Buffer) Headers(props map[string]string) []producer.Header {
	b.keys = b.keys[:0]
	for k := range props {
		b.keys = append(b.keys, k)
	}
	slices.Sort(b.keys)
	b.hs = b.hs[:0]
	for _, k := range b.keys {
		b.hs = append(b.hs, producer.Header{Key: k, Value: []byte(props[k])})
	}
	return b.hs
}
