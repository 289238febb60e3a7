package kafka

import (
	"errors"
	"fmt"
	"strings"
	"sync"

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

// BrokerError returns the *producer.BrokerError Produce reports for the
// nonzero Kafka error code (https://kafka.apache.org/protocol#protocol_error_codes):
// Kafka's name for it (NOT_LEADER_OR_FOLLOWER for 6, as renamed by
// KIP-562; UNKNOWN_ERROR_CODE_<code> for codes franz-go's kerr does not
// know) and whether kerr.IsRetriable says it is retriable. It returns nil
// for 0.
func BrokerError(code int16) *producer.BrokerError {
	if code == 0 {
		return nil
	}
	return brokerError(code).(*producer.BrokerError)
}

// errorCodes maps Kafka error names, upper case, to their codes: every
// code kerr knows, under its current and, where renamed, its old name.
var errorCodes = sync.OnceValue(func() map[string]int16 {
	m := make(map[string]int16)
	for code := int16(-1); code < 1000; code++ {
		ke := kerr.TypedErrorForCode(code)
		if code == 0 || ke == nil || ke.Code != code {
			continue
		}
		m[ke.Message] = code
		if n, ok := renamed[code]; ok {
			m[n] = code
		}
	}
	return m
})

// ErrorCode returns the Kafka error code with the given name, matched
// case-insensitively (e.g. "NOT_LEADER_OR_FOLLOWER" or its pre-KIP-562
// name "NOT_LEADER_FOR_PARTITION" → 6, "request_timed_out" → 7), and
// false for a name Kafka does not define.
func ErrorCode(name string) (int16, bool) {
	code, ok := errorCodes()[strings.ToUpper(name)]
	return code, ok
}
