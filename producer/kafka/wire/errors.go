package wire

import (
	"fmt"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/prodbench/prodbench/producer"
)

// Kafka error codes the transports act on
// (https://kafka.apache.org/protocol#protocol_error_codes).
const (
	CodeUnknownTopicOrPartition int16 = 3
	CodeLeaderNotAvailable      int16 = 5
	CodeNotLeaderOrFollower     int16 = 6
	CodeOutOfOrderSequence      int16 = 45
	CodeDuplicateSequence       int16 = 46
	CodeFencedLeaderEpoch       int16 = 74
	CodeUnknownLeaderEpoch      int16 = 75
)

// renamed holds Kafka's current names for codes whose kerr name is the
// pre-KIP-562 one.
var renamed = map[int16]string{
	6: "NOT_LEADER_OR_FOLLOWER", // kerr: NOT_LEADER_FOR_PARTITION
}

// BrokerError returns the *producer.BrokerError for the nonzero Kafka
// error code (https://kafka.apache.org/protocol#protocol_error_codes):
// Kafka's name for it (NOT_LEADER_OR_FOLLOWER for 6, as renamed by
// KIP-562; UNKNOWN_ERROR_CODE_<code> for codes franz-go's kerr does not
// know) and whether kerr.IsRetriable says it is retriable. It returns nil
// for 0.
func BrokerError(code int16) *producer.BrokerError {
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

// Error returns the classified error a Kafka transport reports for the
// nonzero error code: a *producer.SystemError with Kind
// "broker:<KAFKA_NAME>", Retriable as Kafka documents it, Metadata true
// for the codes that say the partition's leader moved or is unknown (3, 5,
// 6, 74, 75) and Sequence for OUT_OF_ORDER_SEQUENCE_NUMBER (45), wrapping
// BrokerError(code) (find it with errors.As). It returns nil for 0.
func Error(code int16) error {
	be := BrokerError(code)
	if be == nil {
		return nil
	}
	return &producer.SystemError{Kind: "broker:" + strings.ToUpper(be.Name), Retriable: be.Retriable, Metadata: NeedsMetadata(code), Sequence: code == CodeOutOfOrderSequence, Err: be}
}

// NeedsMetadata reports whether code says the partition's leader moved or
// is not known, so metadata must be reloaded before a retry.
func NeedsMetadata(code int16) bool {
	switch code {
	case CodeUnknownTopicOrPartition, CodeLeaderNotAvailable, CodeNotLeaderOrFollower,
		CodeFencedLeaderEpoch, CodeUnknownLeaderEpoch:
		return true
	}
	return false
}

// ConnectionError classifies err, a failure of a whole request (broken or
// refused connection, a write error), as Kind "connection", retriable, with
// a metadata reload first (the broker may be gone).
func ConnectionError(err error) error {
	return &producer.SystemError{Kind: "connection", Retriable: true, Metadata: true, Err: err}
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
