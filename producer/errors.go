package producer

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrorKind names the failure type of err for counting in reports:
// "closed", "request_timeout", "canceled", "broker:<KAFKA_ERROR_NAME>"
// for a *BrokerError, "topic" for metadata failures, and "connection" for
// anything else (transport and network errors). It returns "" for nil.
func ErrorKind(err error) string {
	var be *BrokerError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, ErrRequestTimeout), errors.Is(err, context.DeadlineExceeded):
		return "request_timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &be):
		return "broker:" + strings.ToUpper(be.Name)
	}
	var te *TopicError
	if errors.As(err, &te) {
		return "topic"
	}
	return "connection"
}

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
