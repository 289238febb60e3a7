package workload

import (
	"math"
	"strings"
	"time"

	"github.com/prodbench/prodbench/producer"
)

// Producer holds the producer options a scenario sets, with the
// snake_case names of the producer block. A nil field is unset and keeps
// producer.DefaultConfig's value; see producer.Config for each option's
// meaning, unit and default, and ProducerConfig for the mapping.
type Producer struct {
	// Acks is "all", "leader" or "none" (or -1, 1, 0; see
	// producer.ParseAcks). Kafka acks.
	Acks *string `yaml:"acks,omitempty" json:"acks,omitempty"`
	// Linger is producer.Config.Linger; 0 is valid and differs from
	// unset. Kafka linger.ms.
	Linger *Duration `yaml:"linger,omitempty" json:"linger,omitempty"`
	// MaxBatchBytes is producer.Config.MaxBatchBytes, at least 128 bytes.
	// Kafka batch.size.
	MaxBatchBytes *Size `yaml:"max_batch_bytes,omitempty" json:"max_batch_bytes,omitempty"`
	// MaxBatchMessages is producer.Config.MaxBatchMessages; 0 means no
	// count limit.
	MaxBatchMessages *int `yaml:"max_batch_messages,omitempty" json:"max_batch_messages,omitempty"`
	// Compression is "none", "gzip", "snappy", "lz4", "zstd" or "zlib"
	// (producer.ParseCodec). Kafka compression.type.
	Compression *string `yaml:"compression,omitempty" json:"compression,omitempty"`
	// CompressionLevel is the codec's level (KIP-390 ranges): gzip and
	// zlib 1 to 9, lz4 1 to 17, zstd -131072 to 22; snappy and none have
	// none. Unset means the codec's default. Not in producer.Config yet:
	// the runner maps it.
	CompressionLevel *int `yaml:"compression_level,omitempty" json:"compression_level,omitempty"`
	// MaxInFlight is producer.Config.MaxInFlight, at least 1. Kafka
	// max.in.flight.requests.per.connection.
	MaxInFlight *int `yaml:"max_in_flight,omitempty" json:"max_in_flight,omitempty"`
	// RequestTimeout is producer.Config.RequestTimeout; must be positive.
	// Kafka request.timeout.ms.
	RequestTimeout *Duration `yaml:"request_timeout,omitempty" json:"request_timeout,omitempty"`
	// SendMode is "async" or "sync" (producer.ParseSendMode).
	SendMode *string `yaml:"send_mode,omitempty" json:"send_mode,omitempty"`
	// Batching is producer.Config.Batching; false sends every record in
	// a batch of its own.
	Batching *bool `yaml:"batching,omitempty" json:"batching,omitempty"`
	// MaxPendingMessages is producer.Config.MaxPendingMessages; 0 means no
	// limit.
	MaxPendingMessages *int `yaml:"max_pending_messages,omitempty" json:"max_pending_messages,omitempty"`
	// MaxPendingBytes is producer.Config.MaxPendingBytes; 0 means no
	// limit. Kafka buffer.memory.
	MaxPendingBytes *Size `yaml:"max_pending_bytes,omitempty" json:"max_pending_bytes,omitempty"`
	// BlockIfQueueFull is producer.Config.BlockIfQueueFull.
	BlockIfQueueFull *bool `yaml:"block_if_queue_full,omitempty" json:"block_if_queue_full,omitempty"`
	// SendTimeout is producer.Config.SendTimeout; 0 means none. Kafka
	// delivery.timeout.ms.
	SendTimeout *Duration `yaml:"send_timeout,omitempty" json:"send_timeout,omitempty"`
	// Partitioner is "murmur2", "round_robin", "sticky" or
	// "uniform_bytes" (producer.ParsePartitioner).
	Partitioner *string `yaml:"partitioner,omitempty" json:"partitioner,omitempty"`
	// Retries is producer.Config.Retries, >= 0. Kafka retries.
	Retries *int `yaml:"retries,omitempty" json:"retries,omitempty"`
	// RetryBackoff is producer.Config.RetryBackoff. Kafka
	// retry.backoff.ms.
	RetryBackoff *Duration `yaml:"retry_backoff,omitempty" json:"retry_backoff,omitempty"`
	// MaxRetryBackoff is producer.Config.MaxRetryBackoff, >=
	// retry_backoff. Kafka retry.backoff.max.ms.
	MaxRetryBackoff *Duration `yaml:"max_retry_backoff,omitempty" json:"max_retry_backoff,omitempty"`
	// Idempotent is producer.Config.Idempotent (needs acks all and
	// max_in_flight <= 5). Kafka enable.idempotence.
	Idempotent *bool `yaml:"idempotent,omitempty" json:"idempotent,omitempty"`
	// TransactionalID is producer.Config.TransactionalID. Kafka
	// transactional.id; kafka-producer-perf-test --transactional-id.
	TransactionalID *string `yaml:"transactional_id,omitempty" json:"transactional_id,omitempty"`
	// TransactionMaxMessages is producer.Config.TransactionMaxMessages; 0
	// means no count limit.
	TransactionMaxMessages *int `yaml:"transaction_max_messages,omitempty" json:"transaction_max_messages,omitempty"`
	// TransactionInterval is producer.Config.TransactionInterval.
	// kafka-producer-perf-test --transaction-duration-ms.
	TransactionInterval *Duration `yaml:"transaction_interval,omitempty" json:"transaction_interval,omitempty"`
	// AutoCreateTopics is producer.Config.AutoCreateTopics.
	AutoCreateTopics *bool `yaml:"auto_create_topics,omitempty" json:"auto_create_topics,omitempty"`
	// AutoCreatePartitions is producer.Config.AutoCreatePartitions, 1 to
	// 2^31−1.
	AutoCreatePartitions *int `yaml:"auto_create_partitions,omitempty" json:"auto_create_partitions,omitempty"`
}

// setIf sets *dst to *v when v is set (not nil).
func setIf[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// compressionLevels are the accepted compression_level ranges (KIP-390).
var compressionLevels = map[producer.Codec][2]int{
	producer.CodecGzip: {1, 9},
	producer.CodecZlib: {1, 9},
	producer.CodecLZ4:  {1, 17},
	producer.CodecZstd: {-131072, 22},
}

// validateProducer checks the producer block through ProducerConfig.
func (s *Scenario) validateProducer() *Error {
	if _, err := s.ProducerConfig(); err != nil {
		return err.(*Error)
	}
	return nil
}

// ProducerConfig returns producer.DefaultConfig() with the options the
// scenario sets applied, validated by producer.Config.Validate. An invalid
// option is an *Error naming the field (e.g. "producer.acks") at its line;
// producer.Config.Validate's errors, which start with the option's
// snake_case name, land on that option's line.
func (s *Scenario) ProducerConfig() (producer.Config, error) {
	cfg := producer.DefaultConfig()
	p := s.Producer
	parse := func(field string, v *string, parse func(string) error) *Error {
		if v == nil {
			return nil
		}
		if err := parse(*v); err != nil {
			return s.errorf("producer."+field, "%s", err.Error())
		}
		return nil
	}
	for _, e := range []*Error{
		parse("acks", p.Acks, func(v string) (err error) { cfg.Acks, err = producer.ParseAcks(v); return }),
		parse("compression", p.Compression, func(v string) (err error) { cfg.Compression, err = producer.ParseCodec(v); return }),
		parse("send_mode", p.SendMode, func(v string) (err error) { cfg.SendMode, err = producer.ParseSendMode(v); return }),
		parse("partitioner", p.Partitioner, func(v string) (err error) { cfg.Partitioner, err = producer.ParsePartitioner(v); return }),
	} {
		if e != nil {
			return cfg, e
		}
	}
	setD := func(dst *time.Duration, v *Duration) {
		if v != nil {
			*dst = v.D()
		}
	}
	setD(&cfg.Linger, p.Linger)
	setD(&cfg.RequestTimeout, p.RequestTimeout)
	setD(&cfg.SendTimeout, p.SendTimeout)
	setD(&cfg.RetryBackoff, p.RetryBackoff)
	setD(&cfg.MaxRetryBackoff, p.MaxRetryBackoff)
	setD(&cfg.TransactionInterval, p.TransactionInterval)
	setIf(&cfg.MaxBatchMessages, p.MaxBatchMessages)
	setIf(&cfg.MaxInFlight, p.MaxInFlight)
	setIf(&cfg.MaxPendingMessages, p.MaxPendingMessages)
	setIf(&cfg.Retries, p.Retries)
	setIf(&cfg.TransactionMaxMessages, p.TransactionMaxMessages)
	setIf(&cfg.Batching, p.Batching)
	setIf(&cfg.BlockIfQueueFull, p.BlockIfQueueFull)
	setIf(&cfg.Idempotent, p.Idempotent)
	setIf(&cfg.AutoCreateTopics, p.AutoCreateTopics)
	if p.MaxBatchBytes != nil {
		if int64(*p.MaxBatchBytes) > math.MaxInt32 {
			return cfg, s.errorf("producer.max_batch_bytes", "must be at most %v, got %v", Size(math.MaxInt32), *p.MaxBatchBytes)
		}
		cfg.MaxBatchBytes = int(*p.MaxBatchBytes)
	}
	if p.MaxPendingBytes != nil {
		cfg.MaxPendingBytes = int64(*p.MaxPendingBytes)
	}
	if p.TransactionalID != nil {
		if *p.TransactionalID == "" {
			return cfg, s.errorf("producer.transactional_id", "must not be empty (leave it out for a non-transactional producer)")
		}
		cfg.TransactionalID = *p.TransactionalID
	}
	if p.AutoCreatePartitions != nil {
		n := *p.AutoCreatePartitions
		if n < 1 || n > math.MaxInt32 {
			return cfg, s.errorf("producer.auto_create_partitions", "must be between 1 and %d, got %d", math.MaxInt32, n)
		}
		cfg.AutoCreatePartitions = int32(n)
	}
	if p.CompressionLevel != nil {
		r, ok := compressionLevels[cfg.Compression]
		if !ok {
			return cfg, s.errorf("producer.compression_level", "compression %v has no levels", cfg.Compression)
		}
		if l := *p.CompressionLevel; l < r[0] || l > r[1] {
			return cfg, s.errorf("producer.compression_level", "must be between %d and %d for %v, got %d", r[0], r[1], cfg.Compression, l)
		}
		cfg.CompressionLevel = *p.CompressionLevel
	}
	if err := cfg.Validate(); err != nil {
		field, msg := "producer", err.Error()
		if name, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(name, " \"") {
			field, msg = "producer."+name, rest
		}
		return cfg, s.errorf(field, "%s", msg)
	}
	return cfg, nil
}
