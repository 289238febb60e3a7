package nats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/prodbench/prodbench/producer"
)

// metaPartitions is the stream metadata key holding a station's partition
// count, so that an existing stream is used with the partitions it was
// created with.
const metaPartitions = "prodbench.partitions"

// station is a Memphis station as JetStream holds it: one stream whose
// subjects are the station's partitions.
type station struct {
	topic    string
	stream   string
	subjects []string // per partition: "<topic>" for one partition, "<topic>.<n>" for several
	rr       atomic.Uint32
}

// partition chooses r's partition: the explicit one, the custom
// partitioner's, murmur2 of the key (Kafka's default partitioner, so a key
// lands on the same partition number as on Kafka), or round robin for
// keyless records and with roundRobin.
func (s *station) partition(r *producer.Record, roundRobin bool, custom producer.Partitioner) (int32, error) {
	n := int32(len(s.subjects))
	switch {
	case r.UsePartition:
		if r.Partition < 0 || r.Partition >= n {
			return 0, &producer.TopicError{Topic: r.Topic, Err: fmt.Errorf("partition %d out of range [0, %d)", r.Partition, n)}
		}
		return r.Partition, nil
	case n == 1:
		return 0, nil
	case custom != nil:
		return custom.Partition(r, n), nil
	case r.Key != nil && !roundRobin:
		return producer.KeyPartition(r.Key, n), nil
	}
	return int32((s.rr.Add(1) - 1) % uint32(n)), nil
}

// validStreamName reports whether a topic can name a stream: JetStream
// stream names have no '.', '*', '>', whitespace or path separators.
func validStreamName(name string) bool {
	return name != "" && !strings.ContainsAny(name, ".*> \t\r\n/\\")
}

// partitionSubjects are the subjects of a station with n partitions.
func partitionSubjects(topic string, n int) []string {
	if n <= 1 {
		return []string{topic}
	}
	s := make([]string, n)
	for i := range s {
		s[i] = topic + "." + strconv.Itoa(i)
	}
	return s
}

// topicMaker creates and looks up stations' streams.
type topicMaker struct {
	js     jetstream.JetStream
	tc     *Config
	create bool  // create streams of topics first seen by Send (auto_create_topics)
	parts  int32 // partitions of streams created on first use
	log    io.Writer
}

// streamConfig is the StreamConfig of a new station.
func (m *topicMaker) streamConfig(topic string, partitions, replicas int) jetstream.StreamConfig {
	tc := m.tc
	sc := jetstream.StreamConfig{
		Name:       topic,
		Subjects:   partitionSubjects(topic, partitions),
		Storage:    jetstream.FileStorage,
		Replicas:   1,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardOld,
		MaxMsgs:    -1,
		MaxBytes:   -1,
		MaxAge:     tc.MaxAge.D(),
		Duplicates: tc.DuplicateWindow.D(),
		Metadata:   map[string]string{metaPartitions: strconv.Itoa(partitions)},
	}
	if sc.Duplicates == 0 {
		sc.Duplicates = defaultDupWindow
	}
	if tc.Storage == "memory" {
		sc.Storage = jetstream.MemoryStorage
	}
	switch {
	case tc.Replicas > 0:
		sc.Replicas = tc.Replicas
	case replicas > 0:
		sc.Replicas = replicas
	}
	switch tc.Retention {
	case "interest":
		sc.Retention = jetstream.InterestPolicy
	case "workqueue":
		sc.Retention = jetstream.WorkQueuePolicy
	}
	if tc.Discard == "new" {
		sc.Discard = jetstream.DiscardNew
	}
	if tc.MaxMsgs > 0 {
		sc.MaxMsgs = tc.MaxMsgs
	}
	if tc.MaxBytes > 0 {
		sc.MaxBytes = int64(tc.MaxBytes)
	}
	if tc.Compression == "s2" {
		sc.Compression = jetstream.S2Compression
	}
	return sc
}

// ensure returns the station for topic: its existing stream (with the
// partitions recorded in its metadata), or, when create is set, a new one
// with partitions partitions; else a nats:stream_not_found error.
func (m *topicMaker) ensure(ctx context.Context, topic string, partitions, replicas int, create bool) (*station, error) {
	if !validStreamName(topic) {
		return nil, &producer.TopicError{Topic: topic, Err: errors.New("a NATS stream name cannot contain '.', '*', '>', whitespace or path separators")}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := m.js.Stream(ctx, topic)
	switch {
	case err == nil:
		return m.fromExisting(topic, partitions, s.CachedInfo().Config)
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return nil, &producer.TopicError{Topic: topic, Err: fmt.Errorf("stream lookup: %w", err)}
	case !create:
		return nil, &producer.SystemError{Kind: KindStreamNotFound,
			Err: fmt.Errorf("stream %q not found (set producer.auto_create_topics: true to create it)", topic)}
	}
	if partitions < 1 {
		partitions = 1
	}
	cfg := m.streamConfig(topic, partitions, replicas)
	if _, err := m.js.CreateStream(ctx, cfg); err != nil {
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Created concurrently (another prodbench): use it.
			if s, err2 := m.js.Stream(ctx, topic); err2 == nil {
				return m.fromExisting(topic, partitions, s.CachedInfo().Config)
			}
		}
		return nil, &producer.TopicError{Topic: topic, Err: fmt.Errorf("creating stream: %w", err)}
	}
	return &station{topic: topic, stream: topic, subjects: cfg.Subjects}, nil
}

// fromExisting makes a station of an existing stream.
func (m *topicMaker) fromExisting(topic string, declared int, cfg jetstream.StreamConfig) (*station, error) {
	n := 1
	if v, ok := cfg.Metadata[metaPartitions]; ok {
		if p, err := strconv.Atoi(v); err == nil && p >= 1 {
			n = p
		}
	}
	subjects := partitionSubjects(topic, n)
	if _, ok := cfg.Metadata[metaPartitions]; !ok {
		// Not made by prodbench: publish to the topic's own subject if
		// the stream takes it, else to its first literal subject.
		subjects = []string{topic}
		if !hasSubject(cfg.Subjects, topic) && len(cfg.Subjects) > 0 && !strings.ContainsAny(cfg.Subjects[0], "*>") {
			subjects = []string{cfg.Subjects[0]}
		}
	}
	if declared > 0 && declared != len(subjects) && m.log != nil {
		fmt.Fprintf(m.log, "nats: stream %s exists with %d partitions; the scenario declares %d: using %d\n",
			topic, len(subjects), declared, len(subjects))
	}
	return &station{topic: topic, stream: cfg.Name, subjects: subjects}, nil
}

func hasSubject(subjects []string, s string) bool {
	for _, x := range subjects {
		if x == s || x == ">" {
			return true
		}
	}
	return false
}

// station returns topic's station, from the engine's cache or, the first
// time, by looking its stream up (creating it with auto_create_topics).
func (e *engine) station(ctx context.Context, topic string) (*station, error) {
	return producer.CachedOrAdd(&e.stations, &e.stMu, topic, func() (*station, error) {
		return e.topics.ensure(ctx, topic, int(e.topics.parts), 0, e.topics.create)
	})
}

// addStation caches s (copy on write: Send reads the map without a lock).
func (e *engine) addStation(s *station) { producer.CacheStore(&e.stations, s.topic, s) }
