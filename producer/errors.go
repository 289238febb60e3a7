package producer

import (
	"context"
	"errors"
	"fmt"
)

// Errors a record's callback may receive besides *BrokerError and
// *TopicError. Each is counted under its own kind by ErrorKind.
var (
	// ErrQueueFull fails a Send at once when a pending limit
	// (max_pending_messages, max_pending_bytes) is reached and
	// block_if_queue_full is false.
	ErrQueueFull = errors.New("producer: queue full")
	// ErrRecordTooLarge fails a record that alone, encoded, with the batch
	// header, exceeds max_batch_bytes. It is checked before sending.
	ErrRecordTooLarge = errors.New("producer: record too large")
	// ErrSendTimeout fails a record not acknowledged within send_timeout
	// of its Send, retries included.
	ErrSendTimeout = errors.New("producer: send timeout")
	// ErrTxnAborted fails the records of a transaction that was aborted
	// because one of its batches failed or the commit did.
	ErrTxnAborted = errors.New("producer: transaction aborted")
)

// ErrorKind names the failure type of err for counting in reports:
// "queue_full", "record_too_large", "send_timeout", "txn_aborted",
// "closed", "request_timeout", "canceled"; the kind a system gave its
// error (FailureKinder: *SystemError's Kind, "broker:<KAFKA_ERROR_NAME>"
// for a *BrokerError); "topic" for metadata failures; and "connection"
// for an error nobody classified (the historical kind of transport and
// network errors). It returns "" for nil.
func ErrorKind(err error) string {
	var fk FailureKinder
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrQueueFull):
		return "queue_full"
	case errors.Is(err, ErrRecordTooLarge):
		return "record_too_large"
	case errors.Is(err, ErrSendTimeout):
		return "send_timeout"
	case errors.Is(err, ErrTxnAborted):
		return "txn_aborted"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, ErrRequestTimeout), errors.Is(err, context.DeadlineExceeded):
		return "request_timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &fk):
		return fk.FailureKind()
	}
	var te *TopicError
	if errors.As(err, &te) {
		return "topic"
	}
	return "connection"
}

// FailureKinder is an error that names its own failure kind, as a target
// system classifies its errors: ErrorKind returns FailureKind() for it (or
// for an error wrapping it), e.g. "nats:no_responders" or
// "pulsar:send-error:5". Kinds are "system:name" in lower case.
type FailureKinder interface {
	error
	FailureKind() string
}

// SystemError is a target system's classified error: the engine or
// transport that got it says what kind of failure it is and whether
// sending again may help, so the core and the reports need no knowledge of
// the system's error codes.
type SystemError struct {
	// Kind is the failure kind counted in reports, "system:name", e.g.
	// "nats:stream_not_found".
	Kind string
	// Retriable is true when the same message may succeed if sent again
	// (a timeout, a leader change); false for permanent refusals.
	Retriable bool
	// Metadata is true when the destination may have moved, so metadata
	// should be refreshed before a retry.
	Metadata bool
	// Sequence is true when the broker refused the batch for its sequence
	// number (Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER): an earlier batch of
	// the partition is missing. The producer resends such a batch when an
	// earlier batch of its partition was in flight beside it (a
	// consequence of that batch's failure, see Capabilities.Pipelining),
	// and fails it otherwise.
	Sequence bool
	// Err is the underlying error.
	Err error
}

// Error returns Kind and the underlying error.
func (e *SystemError) Error() string {
	if e.Err == nil {
		return e.Kind
	}
	return e.Kind + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *SystemError) Unwrap() error { return e.Err }

// FailureKind returns Kind.
func (e *SystemError) FailureKind() string { return e.Kind }

// TopicError fails a record whose destination cannot be resolved: the
// topic's metadata could not be loaded, or an explicit partition is out of
// range.
type TopicError struct {
	// Topic is the record's topic.
	Topic string
	// Err says what went wrong.
	Err error
}

// Error returns "producer: topic "NAME": CAUSE".
func (e *TopicError) Error() string { return fmt.Sprintf("producer: topic %q: %v", e.Topic, e.Err) }

// Unwrap returns the cause.
func (e *TopicError) Unwrap() error { return e.Err }

// classify returns how the core treats a failed batch's err: whether a
// resend may succeed and whether metadata must be reloaded first. The
// transport classifies its own errors with *SystemError; the core knows
// only its own request timeout (retriable, same leader). Anything else,
// unclassified errors included, is not retried.
func classify(err error) (retriable, metadata bool) {
	if err == ErrRequestTimeout || errors.Is(err, ErrRequestTimeout) {
		return true, false
	}
	var se *SystemError
	if errors.As(err, &se) {
		return se.Retriable, se.Metadata
	}
	return false, false
}
