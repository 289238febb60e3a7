package kafka

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/prodbench/prodbench/producer"
)

// ErrUnknownTopic is wrapped by the error Partitions, Leader and Refresh
// return when the brokers do not know a topic (Kafka error 3
// UNKNOWN_TOPIC_OR_PARTITION in a metadata response); test for it with
// errors.Is.
var ErrUnknownTopic = errors.New("unknown topic")

// ErrClosed is returned by every Transport method called after Close.
var ErrClosed = errors.New("kafka: transport closed")

// renamed holds Kafka's current names for codes whose kerr name is the
// pre-KIP-562 one.
var renamed = map[int16]string{
	6: "NOT_LEADER_OR_FOLLOWER", // kerr: NOT_LEADER_FOR_PARTITION
}

// brokerError converts a nonzero Kafka protocol error code
// (https://kafka.apache.org/protocol#protocol_error_codes) into a
// *producer.BrokerError. It returns nil for code 0.
func brokerError(code int16) error {
	if code == 0 {
		return nil
	}
	e := &producer.BrokerError{Code: code}
	if ke := kerr.TypedErrorForCode(code); ke != nil && ke.Code == code {
		e.Name = ke.Message
		e.Retriable = kerr.IsRetriable(ke)
	} else {
		// kerr maps unknown codes to UNKNOWN_SERVER_ERROR (-1); keep the
		// code the broker sent.
		e.Name = fmt.Sprintf("UNKNOWN_ERROR_CODE_%d", code)
	}
	if n, ok := renamed[code]; ok {
		e.Name = n
	}
	return e
}
