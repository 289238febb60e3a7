package franz

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer"
)

// renamed holds Kafka's current names for codes whose kerr name predates
// KIP-562, as producer/kafka names them.
var renamed = map[int16]string{
	6: "NOT_LEADER_OR_FOLLOWER", // kerr: NOT_LEADER_FOR_PARTITION
}

// brokerError converts a kerr error into a *producer.BrokerError.
func brokerError(ke *kerr.Error) *producer.BrokerError {
	be := &producer.BrokerError{Code: ke.Code, Name: ke.Message, Retriable: ke.Retriable}
	if n, ok := renamed[ke.Code]; ok {
		be.Name = n
	}
	return be
}

// convertErr turns the error kgo failed a record with into the producer
// package's vocabulary, so that producer.ErrorKind counts it as the native
// engine's equivalent failure would be counted. closing says whether the
// engine's record context was canceled by Close. The kgo error stays in
// the message (and in the chain where it does not hide the producer one).
func convertErr(err error, topic string, closing bool) error {
	var ke *kerr.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kgo.ErrMaxBuffered):
		return fmt.Errorf("%w: franz-go: %v", producer.ErrQueueFull, err)
	case errors.Is(err, kgo.ErrRecordTimeout):
		return fmt.Errorf("%w: franz-go: %v", producer.ErrSendTimeout, err)
	case errors.Is(err, kgo.ErrAborting):
		return fmt.Errorf("%w: franz-go: %v", producer.ErrTxnAborted, err)
	case errors.Is(err, kgo.ErrClientClosed):
		return fmt.Errorf("%w: franz-go: %v", producer.ErrClosed, err)
	case closing && errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: franz-go: %v", producer.ErrClosed, err)
	case errors.Is(err, kerr.MessageTooLarge) && err != kerr.MessageTooLarge:
		// kgo fails a record locally, wrapping MESSAGE_TOO_LARGE, when it
		// alone exceeds the batch or buffer limit; a broker's answer is
		// the bare kerr value.
		return fmt.Errorf("%w: franz-go: %v", producer.ErrRecordTooLarge, err)
	case errors.As(err, &ke):
		be := brokerError(ke)
		if ke == kerr.UnknownTopicOrPartition || ke == kerr.UnknownTopicID {
			// kgo fails records this way when metadata never shows
			// the topic (UnknownTopicRetries): a metadata failure, as
			// the native engine's TopicError.
			return &producer.TopicError{Topic: topic, Err: fmt.Errorf("metadata never showed it (franz-go: %v)", be)}
		}
		return be
	}
	return err
}
