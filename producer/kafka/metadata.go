package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metadata retry policy for topics whose leaders are being elected
// (LEADER_NOT_AVAILABLE, typically right after auto-creation).
const (
	metaAttempts       = 6
	metaBackoffInitial = 50 * time.Millisecond
	metaBackoffMax     = 1 * time.Second
)

// topicMeta is one topic's cached metadata. It is immutable once stored:
// updates replace it.
type topicMeta struct {
	// id is the topic's UUID (Metadata v10+, KIP-516); zero when the
	// broker does not send one.
	id [16]byte
	// leaders holds each partition's leader broker ID, -1 when the
	// partition has no leader; epochs the matching leader epochs.
	leaders []int32
	epochs  []int32
}

// metaCache maps topic names to their metadata.
type metaCache struct {
	mu     sync.RWMutex
	topics map[string]*topicMeta
	// loading deduplicates concurrent loads of one missing topic.
	loading map[string]*metaCall
}

// metaCall is one in-flight load of a missing topic.
type metaCall struct {
	done chan struct{}
	err  error
}

func (c *metaCache) get(topic string) *topicMeta {
	c.mu.RLock()
	tm := c.topics[topic]
	c.mu.RUnlock()
	return tm
}

func (c *metaCache) names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	names := make([]string, 0, len(c.topics))
	for n := range c.topics {
		names = append(names, n)
	}
	return names
}

func (c *metaCache) store(rt *kmsg.MetadataResponseTopic) {
	n := int32(0)
	for i := range rt.Partitions {
		n = max(n, rt.Partitions[i].Partition+1)
	}
	tm := &topicMeta{id: rt.TopicID, leaders: make([]int32, n), epochs: make([]int32, n)}
	for i := range tm.leaders {
		tm.leaders[i], tm.epochs[i] = -1, -1
	}
	for i := range rt.Partitions {
		p := &rt.Partitions[i]
		if p.Partition < 0 {
			continue
		}
		if p.ErrorCode == 0 || p.Leader >= 0 {
			tm.leaders[p.Partition], tm.epochs[p.Partition] = p.Leader, p.LeaderEpoch
		}
	}
	c.mu.Lock()
	if c.topics == nil {
		c.topics = make(map[string]*topicMeta)
	}
	c.topics[*rt.Topic] = tm
	c.mu.Unlock()
}

func (c *metaCache) drop(topic string) {
	c.mu.Lock()
	delete(c.topics, topic)
	c.mu.Unlock()
}

// setLeader records a newer leader for topic/partition, as announced in
// a produce response's CurrentLeader (KIP-951). Older or equal epochs
// are ignored.
func (c *metaCache) setLeader(topic string, partition, leader, epoch int32) {
	if leader < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := c.topics[topic]
	if tm == nil || partition < 0 || int(partition) >= len(tm.leaders) || epoch <= tm.epochs[partition] {
		return
	}
	up := &topicMeta{id: tm.id, leaders: append([]int32(nil), tm.leaders...), epochs: append([]int32(nil), tm.epochs...)}
	up.leaders[partition], up.epochs[partition] = leader, epoch
	c.topics[topic] = up
}

// topic returns topic's metadata, loading it on a cache miss. Concurrent
// misses on one topic share a single metadata request.
func (t *Transport) topic(ctx context.Context, topic string) (*topicMeta, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if topic == "" {
		return nil, errors.New("kafka: empty topic name")
	}
	if tm := t.meta.get(topic); tm != nil {
		return tm, nil
	}
	c := &t.meta
	c.mu.Lock()
	if tm := c.topics[topic]; tm != nil {
		c.mu.Unlock()
		return tm, nil
	}
	call := c.loading[topic]
	if call == nil {
		call = &metaCall{done: make(chan struct{})}
		if c.loading == nil {
			c.loading = make(map[string]*metaCall)
		}
		c.loading[topic] = call
		// Detach the load from the caller's cancellation so one caller
		// giving up does not fail the others; load bounds the request
		// with RequestTimeout.
		lctx := context.WithoutCancel(ctx)
		go func() {
			err := t.load(lctx, []string{topic})
			c.mu.Lock()
			call.err = err
			delete(c.loading, topic)
			c.mu.Unlock()
			close(call.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("kafka: loading metadata for topic %q: %w", topic, ctx.Err())
	}
	if call.err != nil {
		return nil, call.err
	}
	tm := t.meta.get(topic)
	if tm == nil {
		// Dropped by a concurrent Refresh that saw the topic vanish.
		return nil, fmt.Errorf("kafka: topic %q: %w", topic, ErrUnknownTopic)
	}
	return tm, nil
}

// Partitions returns the number of partitions of topic, loading its
// metadata with a Metadata request on a cache miss. It fails with an
// error wrapping ErrUnknownTopic when the brokers do not know the topic
// (unless Options.AutoCreateTopics made them create it), and with an error
// naming the brokers when they cannot be reached within
// Options.RequestTimeout or ctx.
func (t *Transport) Partitions(ctx context.Context, topic string) (int32, error) {
	tm, err := t.topic(ctx, topic)
	if err != nil {
		return 0, err
	}
	if len(tm.leaders) == 0 {
		return 0, fmt.Errorf("kafka: topic %q has no partitions", topic)
	}
	return int32(len(tm.leaders)), nil
}

// Leader returns the broker ID (Kafka node ID) leading topic/partition
// from the cached metadata, loading it on a miss as Partitions does. A
// partition outside [0, partitions) is an error; a partition without a
// leader fails with an error wrapping a retriable *producer.BrokerError
// 5 LEADER_NOT_AVAILABLE, after which the caller should Refresh.
func (t *Transport) Leader(ctx context.Context, topic string, partition int32) (int32, error) {
	tm, err := t.topic(ctx, topic)
	if err != nil {
		return 0, err
	}
	if partition < 0 || int(partition) >= len(tm.leaders) {
		return 0, fmt.Errorf("kafka: topic %q has %d partitions, no partition %d", topic, len(tm.leaders), partition)
	}
	if l := tm.leaders[partition]; l >= 0 {
		return l, nil
	}
	return 0, fmt.Errorf("kafka: %s/%d has no leader: %w", topic, partition, brokerError(kerr.LeaderNotAvailable.Code))
}

// Refresh re-reads the metadata (partition counts, leaders, topic IDs) of
// topics, or of every cached topic when none are given, and replaces the
// cached entries; with nothing cached it only refreshes the broker list.
// Call it after a produce fails with NOT_LEADER_OR_FOLLOWER or
// UNKNOWN_TOPIC_OR_PARTITION. Topics the brokers no longer know are
// dropped from the cache and reported with errors wrapping
// ErrUnknownTopic; all per-topic errors are joined (errors.Join).
func (t *Transport) Refresh(ctx context.Context, topics ...string) error {
	if err := t.usable(); err != nil {
		return err
	}
	if len(topics) == 0 {
		topics = t.meta.names()
	}
	for _, n := range topics {
		if n == "" {
			return errors.New("kafka: empty topic name")
		}
	}
	return t.load(ctx, topics)
}

// load issues Metadata requests for names (only brokers when names is
// empty), stores the results and returns the per-topic errors joined.
// Topics whose leader is not yet available are retried with backoff.
func (t *Transport) load(ctx context.Context, names []string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.opts.RequestTimeout)
		defer cancel()
	}
	var errs []error
	backoff := metaBackoffInitial
	pending := names
	for attempt := 1; ; attempt++ {
		req := kmsg.NewPtrMetadataRequest()
		req.AllowAutoTopicCreation = t.opts.AutoCreateTopics
		req.Topics = make([]kmsg.MetadataRequestTopic, 0, len(pending))
		for _, n := range pending {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(n)
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctx, t.main)
		if err != nil {
			return fmt.Errorf("kafka: metadata request to %s failed: %w", strings.Join(t.opts.Brokers, ", "), err)
		}
		seen := make(map[string]bool, len(pending))
		var retry []string
		for i := range resp.Topics {
			rt := &resp.Topics[i]
			if rt.Topic == nil {
				continue
			}
			name := *rt.Topic
			seen[name] = true
			switch code := rt.ErrorCode; {
			case code == 0:
				t.meta.store(rt)
			case code == kerr.LeaderNotAvailable.Code && attempt < metaAttempts:
				retry = append(retry, name)
			case code == kerr.UnknownTopicOrPartition.Code:
				t.meta.drop(name)
				errs = append(errs, fmt.Errorf("kafka: topic %q: %w (broker error 3 UNKNOWN_TOPIC_OR_PARTITION)", name, ErrUnknownTopic))
			default:
				errs = append(errs, fmt.Errorf("kafka: metadata for topic %q: %w", name, brokerError(code)))
			}
		}
		for _, n := range pending {
			if !seen[n] {
				errs = append(errs, fmt.Errorf("kafka: metadata response has no entry for topic %q", n))
			}
		}
		if len(retry) == 0 {
			return errors.Join(errs...)
		}
		timer := time.NewTimer(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			for _, n := range retry {
				errs = append(errs, fmt.Errorf("kafka: topic %q: %w", n, brokerError(kerr.LeaderNotAvailable.Code)))
			}
			return errors.Join(errs...)
		}
		backoff = min(2*backoff, metaBackoffMax)
		pending = retry
	}
}
