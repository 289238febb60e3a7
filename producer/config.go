package producer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Acks is how many replicas must acknowledge a produce request before the
// broker answers (Kafka's acks setting).
type Acks int8

const (
	// AcksAll waits for every in-sync replica (Kafka acks=-1 / "all"). The
	// default.
	AcksAll Acks = -1
	// AcksNone does not wait for any answer (Kafka acks=0): the offset of
	// an acked record is unknown (-1).
	AcksNone Acks = 0
	// AcksLeader waits for the partition leader only (Kafka acks=1).
	AcksLeader Acks = 1
)

// String returns "all", "leader" or "none".
func (a Acks) String() string {
	switch a {
	case AcksAll:
		return "all"
	case AcksNone:
		return "none"
	case AcksLeader:
		return "leader"
	}
	return fmt.Sprintf("Acks(%d)", int8(a))
}

// ParseAcks parses "all" (or "-1"), "leader" (or "1") and "none" (or "0").
func ParseAcks(s string) (Acks, error) {
	switch strings.ToLower(s) {
	case "all", "-1":
		return AcksAll, nil
	case "leader", "1":
		return AcksLeader, nil
	case "none", "0":
		return AcksNone, nil
	}
	return 0, fmt.Errorf("unknown acks %q (want all, leader or none)", s)
}

// Codec is a compression codec for the records section of a batch. The
// values equal the compression bits of Kafka's RecordBatch attributes.
type Codec int8

const (
	// CodecNone compresses nothing. The default.
	CodecNone Codec = 0
	// CodecGzip is a gzip stream (Kafka codec 1).
	CodecGzip Codec = 1
	// CodecSnappy is a raw snappy block (Kafka codec 2).
	CodecSnappy Codec = 2
	// CodecLZ4 is an LZ4 frame (Kafka codec 3).
	CodecLZ4 Codec = 3
	// CodecZstd is a zstd frame (Kafka codec 4).
	CodecZstd Codec = 4
	// CodecZlib is a zlib stream (RFC 1950), Macrometa's and Pulsar's
	// codec. Kafka has no zlib codec: only transports that report it in
	// CodecSupporter accept it, and the Kafka transport refuses it.
	CodecZlib Codec = 16
)

// String returns the codec's name as used in scenario files.
func (c Codec) String() string {
	if name, ok := codecNames[c]; ok {
		return name
	}
	return fmt.Sprintf("Codec(%d)", int8(c))
}

// codecNames are the names String returns, as used in scenario files.
var codecNames = map[Codec]string{
	CodecNone:   "none",
	CodecGzip:   "gzip",
	CodecSnappy: "snappy",
	CodecLZ4:    "lz4",
	CodecZstd:   "zstd",
	CodecZlib:   "zlib",
}

// Codecs lists every codec, in the order documented.
var Codecs = []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd, CodecZlib}

// ParseCodec parses a codec name: none, gzip, snappy, lz4, zstd or zlib.
func ParseCodec(s string) (Codec, error) {
	for _, c := range Codecs {
		if strings.EqualFold(s, c.String()) {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown compression %q (want none, gzip, snappy, lz4, zstd or zlib)", s)
}

// SendMode says whether Send waits for the ack.
type SendMode int8

const (
	// SendAsync queues the record and returns; the callback runs when the
	// ack arrives. The default.
	SendAsync SendMode = iota
	// SendSync makes Send wait for the record's ack (or failure) and run
	// its callback before returning.
	SendSync
)

// String returns "async" or "sync".
func (m SendMode) String() string {
	if m == SendSync {
		return "sync"
	}
	return "async"
}

// ParseSendMode parses "async" or "sync".
func ParseSendMode(s string) (SendMode, error) {
	switch strings.ToLower(s) {
	case "async":
		return SendAsync, nil
	case "sync":
		return SendSync, nil
	}
	return 0, fmt.Errorf("unknown send_mode %q (want async or sync)", s)
}

// Partitioner names, as used in scenario files (producer.partitioner).
const (
	// PartitionerDefault is murmur2 for keyed records and sticky for
	// keyless ones: Kafka's Java default since KIP-480.
	PartitionerDefault = "murmur2"
	// PartitionerRoundRobin spreads records over partitions in turn,
	// ignoring keys.
	PartitionerRoundRobin = "round_robin"
	// PartitionerSticky sends every record, keyed or not, to one partition
	// until its batch is sealed, then moves to another (KIP-480).
	PartitionerSticky = "sticky"
	// PartitionerUniformBytes is KIP-794's uniform sticky partitioner:
	// keyless records stick to a partition until about max_batch_bytes
	// have gone to it, and partitions with shorter queues are preferred;
	// keyed records use murmur2.
	PartitionerUniformBytes = "uniform_bytes"
)

// Partitioners lists the partitioner names ParsePartitioner accepts.
var Partitioners = []string{PartitionerDefault, PartitionerRoundRobin, PartitionerSticky, PartitionerUniformBytes}

// Partitioner chooses a record's partition. Implementations must be safe
// for concurrent use. A record with UsePartition set bypasses it.
type Partitioner interface {
	// Partition returns a partition in [0, partitions) for r.
	Partition(r *Record, partitions int32) int32
}

// Config is the producer's configuration. The zero value is not valid:
// start from DefaultConfig. New validates it once.
type Config struct {
	// Acks is the acknowledgement level. Default AcksAll.
	Acks Acks
	// Linger is how long a batch may wait for more records before it is
	// ready to send (Kafka linger.ms). 0 makes a batch ready at once; it
	// still fills while every in-flight slot is busy. Default 5ms.
	Linger time.Duration
	// MaxBatchBytes seals a batch when the next record would make its
	// uncompressed records section plus header exceed this many bytes
	// (Kafka batch.size; kafkats maxBatchBytes). A record larger than this
	// travels alone. Default 1 MiB (2^20 bytes).
	MaxBatchBytes int
	// MaxBatchMessages seals a batch when it holds this many records
	// (Macrometa batchingMaxMessages). 0 means no count limit. Default
	// 0.
	MaxBatchMessages int
	// Compression is the codec for each batch's records section. Default
	// CodecNone.
	Compression Codec
	// CompressionLevel is the codec's level (KIP-390): gzip and zlib 1–9,
	// lz4 1–17 (levels above 9 use lz4's highest, 9), zstd -131072–22
	// (mapped to the nearest of the encoder's four speeds). 0 means the
	// codec's default. Default 0.
	CompressionLevel int
	// MaxInFlight is the number of produce requests that may be
	// outstanding on one broker connection at once (Kafka
	// max.in.flight.requests.per.connection). Default 5.
	MaxInFlight int
	// RequestTimeout bounds one produce request, and is sent to the broker
	// as the produce timeout (Kafka request.timeout.ms; kafkats
	// requestTimeoutMs). Default 30s.
	RequestTimeout time.Duration

	// SendMode is SendAsync (the default) or SendSync (Macrometa's sync
	// send: Send waits for the ack).
	SendMode SendMode
	// Batching false sends every record in a batch of its own
	// (Macrometa batchingEnabled). Default true.
	Batching bool
	// MaxPendingMessages bounds the records accepted by Send and not yet
	// completed (Macrometa maxPendingMessages); 0 means no count limit.
	// Default DefaultMaxPendingMessages (10000, franz-go's
	// MaxBufferedRecords default): at a max rate the 32 MiB byte limit
	// alone lets ~290k records of 100 B wait, a working set that misses
	// the caches on every completion; 10000 keeps it small while still
	// filling 64 KiB batches on 6 partitions (BenchmarkSendPendingLimit:
	// 206-397 ns/record at 10000 against 380-818 ns with no count limit;
	// 2000 starves the batches, 2.1 us).
	MaxPendingMessages int
	// MaxPendingBytes bounds their key+value+header bytes (Kafka
	// buffer.memory); 0 means no byte limit. Default 32 MiB (2^25 bytes).
	MaxPendingBytes int64
	// BlockIfQueueFull says what Send does when a pending limit is
	// reached: true (the default) blocks until there is room — the wait
	// shows up as schedule lag; false fails the record at once with
	// ErrQueueFull (Macrometa blockIfQueueFull).
	BlockIfQueueFull bool
	// SendTimeout is the delivery timeout, from Send to the ack, retries
	// included (Macrometa sendTimeoutMillis; Kafka delivery.timeout.ms).
	// A record still unacknowledged then fails with ErrSendTimeout. 0
	// means none. Default 30s.
	SendTimeout time.Duration
	// Partitioner names the partitioner: PartitionerDefault ("murmur2",
	// the default), PartitionerRoundRobin, PartitionerSticky or
	// PartitionerUniformBytes. Ignored when CustomPartitioner is set.
	Partitioner string
	// CustomPartitioner, when non-nil, chooses every partition (Go API
	// only).
	CustomPartitioner Partitioner
	// Retries is how many times a failed batch is sent again after a
	// retriable error (kafkats retries). Default 5.
	Retries int
	// RetryBackoff is the wait before the first retry; each further retry
	// doubles it, up to MaxRetryBackoff, with ±20% jitter (Kafka
	// retry.backoff.ms / retry.backoff.max.ms, KIP-580). Default 100ms.
	RetryBackoff time.Duration
	// MaxRetryBackoff caps the retry wait. Default 1s.
	MaxRetryBackoff time.Duration
	// Idempotent enables the idempotent producer (KIP-98): a producer ID
	// and epoch from InitProducerID, per-partition sequence numbers, and
	// byte-identical resends, so retries neither lose nor duplicate
	// records. Requires AcksAll and MaxInFlight <= 5. Default false.
	Idempotent bool
	// TransactionalID, when set, makes the producer transactional
	// (kafkats transactionalId; kafka-producer-perf-test
	// --transactional-id): records are produced inside transactions that
	// the producer begins, commits and, on error, aborts. Implies
	// Idempotent. Default "".
	TransactionalID string
	// TransactionMaxMessages commits the open transaction after this many
	// records; 0 means no count limit. Default 0.
	TransactionMaxMessages int
	// TransactionInterval commits the open transaction after this long
	// (kafka-producer-perf-test --transaction-duration-ms). Default 100ms
	// when TransactionalID is set.
	TransactionInterval time.Duration
	// AutoCreateTopics creates a missing topic, with AutoCreatePartitions
	// partitions, on the first Send to it (Memphis creates missing
	// stations). Default false.
	AutoCreateTopics bool
	// AutoCreatePartitions is the partition count of auto-created topics.
	// Default 1.
	AutoCreatePartitions int32

	// OnBatch, when set, is called once per acknowledged batch with its
	// sizes and seal reason (one of the Seal constants), from the
	// goroutine that completed it, after the batch's record callbacks.
	// It must not block. Reports use it for per-batch statistics.
	OnBatch func(info BatchInfo, reason string)
}

// DefaultMaxPendingMessages is Config.MaxPendingMessages's default: 10000
// records (see that field for the measurement behind it).
const DefaultMaxPendingMessages = 10000

// DefaultConfig returns the defaults documented on each Config field.
func DefaultConfig() Config {
	return Config{
		Acks:           AcksAll,
		Linger:         5 * time.Millisecond,
		MaxBatchBytes:  1 << 20,
		MaxInFlight:    5,
		Compression:    CodecNone,
		RequestTimeout: 30 * time.Second,

		SendMode:             SendAsync,
		Batching:             true,
		MaxPendingMessages:   DefaultMaxPendingMessages,
		MaxPendingBytes:      32 << 20,
		BlockIfQueueFull:     true,
		SendTimeout:          30 * time.Second,
		Partitioner:          PartitionerDefault,
		Retries:              5,
		RetryBackoff:         100 * time.Millisecond,
		MaxRetryBackoff:      time.Second,
		TransactionInterval:  100 * time.Millisecond,
		AutoCreatePartitions: 1,
	}
}

// Validate reports the first invalid field of c, naming it.
func (c *Config) Validate() error {
	switch {
	case c.Acks != AcksAll && c.Acks != AcksLeader && c.Acks != AcksNone:
		return fmt.Errorf("acks: invalid value %d", c.Acks)
	case c.Linger < 0:
		return fmt.Errorf("linger: must not be negative, got %v", c.Linger)
	case c.MaxBatchBytes < 128:
		return fmt.Errorf("max_batch_bytes: must be at least 128, got %d", c.MaxBatchBytes)
	case c.MaxBatchMessages < 0:
		return fmt.Errorf("max_batch_messages: must not be negative, got %d", c.MaxBatchMessages)
	case !validCodec(c.Compression):
		return fmt.Errorf("compression: invalid codec %d", c.Compression)
	case c.MaxInFlight < 1:
		return fmt.Errorf("max_in_flight: must be at least 1, got %d", c.MaxInFlight)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("request_timeout: must be positive, got %v", c.RequestTimeout)
	case c.SendMode != SendAsync && c.SendMode != SendSync:
		return fmt.Errorf("send_mode: invalid value %d", c.SendMode)
	case c.MaxPendingMessages < 0:
		return fmt.Errorf("max_pending_messages: must not be negative, got %d", c.MaxPendingMessages)
	case c.MaxPendingBytes < 0:
		return fmt.Errorf("max_pending_bytes: must not be negative, got %d", c.MaxPendingBytes)
	case c.SendTimeout < 0:
		return fmt.Errorf("send_timeout: must not be negative, got %v", c.SendTimeout)
	case c.CustomPartitioner == nil && !validPartitioner(c.Partitioner):
		return fmt.Errorf("partitioner: unknown %q (want %s)", c.Partitioner, strings.Join(Partitioners, ", "))
	case c.Retries < 0:
		return fmt.Errorf("retries: must not be negative, got %d", c.Retries)
	case c.RetryBackoff < 0:
		return fmt.Errorf("retry_backoff: must not be negative, got %v", c.RetryBackoff)
	case c.MaxRetryBackoff < c.RetryBackoff:
		return fmt.Errorf("max_retry_backoff: %v is below retry_backoff %v", c.MaxRetryBackoff, c.RetryBackoff)
	case (c.Idempotent || c.TransactionalID != "") && c.Acks != AcksAll:
		return fmt.Errorf("acks: the idempotent producer requires acks all, got %v", c.Acks)
	case (c.Idempotent || c.TransactionalID != "") && c.MaxInFlight > 5:
		return fmt.Errorf("max_in_flight: the idempotent producer allows at most 5, got %d", c.MaxInFlight)
	case c.TransactionMaxMessages < 0:
		return fmt.Errorf("transaction_max_messages: must not be negative, got %d", c.TransactionMaxMessages)
	case c.TransactionalID != "" && c.TransactionInterval <= 0 && c.TransactionMaxMessages == 0:
		return fmt.Errorf("transaction_interval: must be positive when transaction_max_messages is 0, got %v", c.TransactionInterval)
	case c.AutoCreateTopics && c.AutoCreatePartitions < 1:
		return fmt.Errorf("auto_create_partitions: must be at least 1, got %d", c.AutoCreatePartitions)
	}
	return nil
}

func validCodec(c Codec) bool {
	_, ok := codecNames[c]
	return ok
}

func validPartitioner(name string) bool {
	for _, n := range Partitioners {
		if n == name {
			return true
		}
	}
	return false
}

// ParsePartitioner checks a partitioner name (see Partitioners).
func ParsePartitioner(s string) (string, error) {
	if !validPartitioner(s) {
		return "", fmt.Errorf("unknown partitioner %q (want %s)", s, strings.Join(Partitioners, ", "))
	}
	return s, nil
}

// ErrClosed fails a Send on a closed producer, and every record still
// pending when Close's deadline passes.
var ErrClosed = errors.New("producer: closed")

// BrokerError is an error code a Kafka broker returned for one partition
// of a produce request, as the Kafka engines report it (producer/kafka
// wraps it in a *SystemError that classifies it; producer/franz reports it
// as is). Codes are Kafka's protocol error codes
// (https://kafka.apache.org/protocol#protocol_error_codes); the core acts
// on none of them.
type BrokerError struct {
	// Code is the Kafka error code, e.g. 6 NOT_LEADER_OR_FOLLOWER.
	Code int16
	// Name is the Kafka name of the code, e.g. "NOT_LEADER_OR_FOLLOWER".
	Name string
	// Retriable says whether Kafka documents the error as retriable.
	Retriable bool
}

// Error returns "broker error CODE NAME".
func (e *BrokerError) Error() string {
	return fmt.Sprintf("broker error %d %s", e.Code, e.Name)
}

// FailureKind returns "broker:" and Name in upper case, e.g.
// "broker:NOT_LEADER_OR_FOLLOWER".
func (e *BrokerError) FailureKind() string { return "broker:" + strings.ToUpper(e.Name) }

// MarshalJSON writes c with the scenario files' snake_case option names
// and human units ("5ms", "lz4", "all"), as embedded in result.json.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Acks                   string `json:"acks"`
		Linger                 string `json:"linger"`
		MaxBatchBytes          int    `json:"max_batch_bytes"`
		MaxBatchMessages       int    `json:"max_batch_messages"`
		Compression            string `json:"compression"`
		CompressionLevel       int    `json:"compression_level,omitempty"`
		MaxInFlight            int    `json:"max_in_flight"`
		RequestTimeout         string `json:"request_timeout"`
		SendMode               string `json:"send_mode"`
		Batching               bool   `json:"batching"`
		MaxPendingMessages     int    `json:"max_pending_messages"`
		MaxPendingBytes        int64  `json:"max_pending_bytes"`
		BlockIfQueueFull       bool   `json:"block_if_queue_full"`
		SendTimeout            string `json:"send_timeout"`
		Partitioner            string `json:"partitioner"`
		Retries                int    `json:"retries"`
		RetryBackoff           string `json:"retry_backoff"`
		MaxRetryBackoff        string `json:"max_retry_backoff"`
		Idempotent             bool   `json:"idempotent"`
		TransactionalID        string `json:"transactional_id,omitempty"`
		TransactionMaxMessages int    `json:"transaction_max_messages,omitempty"`
		TransactionInterval    string `json:"transaction_interval,omitempty"`
		AutoCreateTopics       bool   `json:"auto_create_topics"`
		AutoCreatePartitions   int32  `json:"auto_create_partitions,omitempty"`
	}{
		c.Acks.String(), c.Linger.String(), c.MaxBatchBytes, c.MaxBatchMessages, c.Compression.String(),
		c.CompressionLevel, c.MaxInFlight, c.RequestTimeout.String(), c.SendMode.String(), c.Batching, c.MaxPendingMessages,
		c.MaxPendingBytes, c.BlockIfQueueFull, c.SendTimeout.String(), c.Partitioner, c.Retries,
		c.RetryBackoff.String(), c.MaxRetryBackoff.String(), c.Idempotent || c.TransactionalID != "",
		c.TransactionalID, c.TransactionMaxMessages, durOrEmpty(c.TransactionalID != "", c.TransactionInterval),
		c.AutoCreateTopics, c.AutoCreatePartitions,
	})
}

func durOrEmpty(set bool, d time.Duration) string {
	if !set {
		return ""
	}
	return d.String()
}
