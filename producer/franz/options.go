package franz

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer"
)

// BatchOverhead is the size in bytes of a Kafka RecordBatch v2 header
// (produce v3+), which kgo's ProduceBatchMetrics.CompressedBytes leaves
// out; Stats adds it per batch so that WireBytes means what the native
// engine's does.
const BatchOverhead = 61

// kgo's limits, checked up front so that an unmappable value is an error
// naming the prodbench option instead of kgo's own wording.
const (
	minBatchBytes     = 512                    // kgo ProducerBatchMaxBytes minimum
	maxBatchBytes     = 1 << 30                // kgo ProducerBatchMaxBytes maximum
	defaultWriteBytes = 100 << 20              // kgo BrokerMaxWriteBytes default
	minRequestTimeout = 100 * time.Millisecond // kgo ProduceRequestTimeout minimum
	minSendTimeout    = time.Second            // kgo RecordDeliveryTimeout minimum (when set)
	maxLinger         = time.Minute            // kgo ProducerLinger maximum
)

// Option adjusts an Engine beyond what producer.Config says; pass options
// to New.
type Option func(*options)

type options struct {
	zeroCopy bool
	kgo      []kgo.Opt
}

// WithZeroCopy makes Send hand the caller's Key, Value and header value
// slices to kgo as they are instead of copying them into a pooled buffer.
// The caller must then leave those bytes unchanged until the record's
// callback has run (producer.Record's contract lets a caller reuse them as
// soon as Send returns, so this is off by default). It saves one copy of
// every record's bytes, as franz-go is used in practice, but the engine
// then does not say CopiesRecords, so prodbench's workload keeps a pooled
// state per message until its ack, which costs more than the copy (see
// the package doc); prodbench run does not use it.
func WithZeroCopy() Option { return func(o *options) { o.zeroCopy = true } }

// WithKgoOptions appends raw kgo options (TLS, SASL, a logger, ...) after
// the ones mapped from producer.Config, so they override them. Producer
// options given here can break the mapping documented in the package doc.
func WithKgoOptions(opts ...kgo.Opt) Option {
	return func(o *options) { o.kgo = append(o.kgo, opts...) }
}

// kgoOptions maps cfg, already validated by producer.Config.Validate, onto
// kgo client options. Values kgo cannot express are errors naming the
// prodbench option, as producer.Config.Validate names them.
func kgoOptions(cfg *producer.Config) ([]kgo.Opt, error) {
	var opts []kgo.Opt

	codec, err := compression(cfg.Compression)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.ProducerBatchCompression(codec))

	switch {
	case cfg.MaxBatchBytes < minBatchBytes:
		return nil, fmt.Errorf("max_batch_bytes: franz-go needs at least %d, got %d", minBatchBytes, cfg.MaxBatchBytes)
	case cfg.MaxBatchBytes > maxBatchBytes:
		return nil, fmt.Errorf("max_batch_bytes: franz-go allows at most %d, got %d", maxBatchBytes, cfg.MaxBatchBytes)
	}
	opts = append(opts, kgo.ProducerBatchMaxBytes(int32(cfg.MaxBatchBytes)))
	if cfg.MaxBatchBytes > defaultWriteBytes-(1<<20) {
		// A request must fit one full batch plus the request overhead.
		opts = append(opts, kgo.BrokerMaxWriteBytes(int32(min(maxBatchBytes, cfg.MaxBatchBytes+(1<<20)))))
	}
	if cfg.MaxBatchMessages != 0 {
		return nil, fmt.Errorf("max_batch_messages: franz-go has no record-count limit per batch (want 0, got %d)", cfg.MaxBatchMessages)
	}
	if !cfg.Batching {
		return nil, fmt.Errorf("batching: franz-go always batches (batching false is not supported)")
	}

	if cfg.Linger > maxLinger {
		return nil, fmt.Errorf("linger: franz-go allows at most %v, got %v", maxLinger, cfg.Linger)
	}
	opts = append(opts, kgo.ProducerLinger(cfg.Linger))

	switch cfg.Acks {
	case producer.AcksAll:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case producer.AcksLeader:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case producer.AcksNone:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	if cfg.Idempotent || cfg.TransactionalID != "" {
		// kgo is idempotent by default and then fixes the in-flight
		// limit at 5 per broker (Kafka >= 1.0), which is also the most
		// Config.Validate allows; MaxProduceRequestsInflightPerBroker is
		// refused with idempotence.
		if cfg.MaxInFlight != 5 {
			return nil, fmt.Errorf("max_in_flight: franz-go's idempotent producer always allows 5 requests per broker, got %d", cfg.MaxInFlight)
		}
	} else {
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(cfg.MaxInFlight))
	}

	if cfg.RequestTimeout < minRequestTimeout {
		return nil, fmt.Errorf("request_timeout: franz-go needs at least %v, got %v", minRequestTimeout, cfg.RequestTimeout)
	}
	opts = append(opts, kgo.ProduceRequestTimeout(cfg.RequestTimeout))
	if cfg.SendTimeout > 0 && cfg.SendTimeout < minSendTimeout {
		return nil, fmt.Errorf("send_timeout: franz-go needs 0 (none) or at least %v, got %v", minSendTimeout, cfg.SendTimeout)
	}
	if cfg.SendTimeout > 0 {
		opts = append(opts, kgo.RecordDeliveryTimeout(cfg.SendTimeout))
	}
	opts = append(opts,
		kgo.RecordRetries(cfg.Retries),
		kgo.RetryBackoffFn(backoff(cfg.RetryBackoff, cfg.MaxRetryBackoff)),
	)

	maxRecs := cfg.MaxPendingMessages
	if maxRecs == 0 {
		maxRecs = math.MaxInt64
	}
	opts = append(opts, kgo.MaxBufferedRecords(maxRecs))
	if cfg.MaxPendingBytes > int64(math.MaxInt) {
		return nil, fmt.Errorf("max_pending_bytes: too large, got %d", cfg.MaxPendingBytes)
	}
	opts = append(opts, kgo.MaxBufferedBytes(int(cfg.MaxPendingBytes)))

	part, err := partitioner(cfg)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.RecordPartitioner(part))

	if cfg.TransactionalID != "" {
		opts = append(opts, kgo.TransactionalID(cfg.TransactionalID))
	}
	if cfg.AutoCreateTopics {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	return opts, nil
}

// compression returns kgo's codec for c; zlib has no Kafka codec.
func compression(c producer.Codec) (kgo.CompressionCodec, error) {
	switch c {
	case producer.CodecNone:
		return kgo.NoCompression(), nil
	case producer.CodecGzip:
		return kgo.GzipCompression(), nil
	case producer.CodecSnappy:
		return kgo.SnappyCompression(), nil
	case producer.CodecLZ4:
		return kgo.Lz4Compression(), nil
	case producer.CodecZstd:
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("compression: %v is not supported by franz-go (Kafka's codecs are none, gzip, snappy, lz4 and zstd)", c)
}

// backoff returns kgo's retry backoff function for the native engine's
// schedule: base before the first retry, doubling per further retry up to
// ceiling, with ±20% jitter. kgo passes the number of consecutive failures
// (1 for the first retry). kgo uses it for every retried request (metadata
// included), not only produce requests.
func backoff(base, ceiling time.Duration) func(int) time.Duration {
	return func(fails int) time.Duration {
		d := base
		for i := 1; i < fails && d < ceiling; i++ {
			d *= 2
		}
		d = min(d, ceiling)
		return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	}
}
