package kafka

import (
	"errors"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
)

// ErrUnknownTopic is wrapped by the error Partitions, Leader and Refresh
// return when the brokers do not know a topic (Kafka error 3
// UNKNOWN_TOPIC_OR_PARTITION in a metadata response); test for it with
// errors.Is.
var ErrUnknownTopic = errors.New("unknown topic")

// ErrClosed is returned by every Transport method called after Close.
var ErrClosed = errors.New("kafka: transport closed")

// brokerError is wire.Error: the classified error for a nonzero Kafka
// error code (a *producer.SystemError wrapping a *producer.BrokerError),
// nil for 0.
func brokerError(code int16) error { return wire.Error(code) }

// BrokerError returns the *producer.BrokerError for the nonzero Kafka
// error code (see wire.BrokerError), nil for 0.
func BrokerError(code int16) *producer.BrokerError { return wire.BrokerError(code) }

// ErrorCode returns the Kafka error code with the given name, matched
// case-insensitively, and false for a name Kafka does not define (see
// wire.ErrorCode).
func ErrorCode(name string) (int16, bool) { return wire.ErrorCode(name) }

// BatchHeaderSize is the size in bytes of a Kafka RecordBatch v2 header
// (wire.BatchHeaderSize, 61).
const BatchHeaderSize = wire.BatchHeaderSize

// AppendRecord appends r to dst as one Kafka v2 record; see
// wire.AppendRecord.
func AppendRecord(dst []byte, offsetDelta int32, timestampDelta int64, r *producer.Record) []byte {
	return wire.AppendRecord(dst, offsetDelta, timestampDelta, r)
}

// RecordSize returns the bytes AppendRecord appends; see wire.RecordSize.
func RecordSize(offsetDelta int32, timestampDelta int64, r *producer.Record) int {
	return wire.RecordSize(offsetDelta, timestampDelta, r)
}

// BatchSize returns the bytes AppendBatch appends for b; see
// wire.BatchSize.
func BatchSize(b *producer.Batch) int { return wire.BatchSize(b) }

// AppendBatch appends b to dst as a Kafka RecordBatch v2; see
// wire.AppendBatch.
func AppendBatch(dst []byte, b *producer.Batch) []byte { return wire.AppendBatch(dst, b) }
