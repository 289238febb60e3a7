package kafka

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer"
)

var _ producer.TopicCreator = (*Transport)(nil)

// createWaitBackoff is the first wait between the metadata checks
// CreateTopic makes until a new topic shows up; it doubles up to
// metaBackoffMax.
const createWaitBackoff = 20 * time.Millisecond

// CreateTopic implements producer.TopicCreator: it sends a CreateTopics
// request (https://kafka.apache.org/protocol#The_Messages_CreateTopics)
// for topic with partitions partitions (<= 0 means the broker's default,
// KIP-464) and the broker's default replication factor. kgo routes it to
// the controller and retries NOT_CONTROLLER.
//
// A topic that already exists (TOPIC_ALREADY_EXISTS, 36) is not an error,
// whatever its partition count. Any other refusal is an error naming the
// topic, the answering broker and the Kafka error, e.g. `kafka: create
// topic "t": broker 0 (127.0.0.1:9092) refused: broker error 29
// TOPIC_AUTHORIZATION_FAILED`; it wraps the *producer.BrokerError.
//
// After a successful create, CreateTopic waits until the topic's metadata
// lists it with a leader for every partition (brokers learn of new
// topics asynchronously), so that Partitions and Leader succeed right
// after. Both steps are bounded by ctx, or by Options.RequestTimeout when
// ctx has no deadline.
func (t *Transport) CreateTopic(ctx context.Context, topic string, partitions int32) error {
	if err := t.usable(); err != nil {
		return err
	}
	if topic == "" {
		return errors.New("kafka: create topic: empty topic name")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.opts.RequestTimeout)
		defer cancel()
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = int32(min(t.opts.RequestTimeout.Milliseconds(), math.MaxInt32))
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = partitions
	if partitions <= 0 {
		rt.NumPartitions = -1
	}
	rt.ReplicationFactor = -1
	req.Topics = append(req.Topics, rt)

	shards := t.main.RequestSharded(ctx, req)
	if len(shards) == 0 {
		return fmt.Errorf("kafka: create topic %q: no response", topic)
	}
	sh := shards[0]
	who := brokerName(sh.Meta)
	if sh.Err != nil {
		return fmt.Errorf("kafka: create topic %q: request to %s failed: %w", topic, who, sh.Err)
	}
	resp, ok := sh.Resp.(*kmsg.CreateTopicsResponse)
	if !ok {
		return fmt.Errorf("kafka: create topic %q: unexpected response %T from %s", topic, sh.Resp, who)
	}
	var code int16 = -1
	var msg string
	for i := range resp.Topics {
		if resp.Topics[i].Topic == topic {
			code = resp.Topics[i].ErrorCode
			if m := resp.Topics[i].ErrorMessage; m != nil {
				msg = *m
			}
			break
		}
	}
	switch code {
	case -1:
		return fmt.Errorf("kafka: create topic %q: %s sent no result for the topic", topic, who)
	case 0, kerr.TopicAlreadyExists.Code:
	default:
		if msg != "" {
			return fmt.Errorf("kafka: create topic %q: %s refused: %w (%s)", topic, who, brokerError(code), msg)
		}
		return fmt.Errorf("kafka: create topic %q: %s refused: %w", topic, who, brokerError(code))
	}
	return t.awaitTopic(ctx, topic)
}

// awaitTopic loads topic's metadata until the brokers know it and every
// partition has a leader, or ctx ends.
func (t *Transport) awaitTopic(ctx context.Context, topic string) error {
	backoff := createWaitBackoff
	for {
		err := t.load(ctx, []string{topic})
		if err == nil {
			if tm := t.meta.get(topic); tm != nil && len(tm.leaders) > 0 && !leaderless(tm) {
				return nil
			}
			err = fmt.Errorf("kafka: topic %q: %w", topic, brokerError(kerr.LeaderNotAvailable.Code))
		}
		timer := time.NewTimer(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("kafka: created topic %q but its metadata is not available: %w", topic, err)
		}
		backoff = min(2*backoff, metaBackoffMax)
	}
}

// leaderless reports whether some partition of tm has no leader.
func leaderless(tm *topicMeta) bool {
	for _, l := range tm.leaders {
		if l < 0 {
			return true
		}
	}
	return false
}

// brokerName returns "broker ID (host:port)", or "the brokers" when the
// request never reached one.
func brokerName(m kgo.BrokerMetadata) string {
	if m.NodeID < 0 || m.Host == "" {
		return "the brokers"
	}
	return fmt.Sprintf("broker %d (%s)", m.NodeID, net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
}
