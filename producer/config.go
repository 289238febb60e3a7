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
)

// String returns the codec's name as used in scenario files.
func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLZ4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return fmt.Sprintf("Codec(%d)", int8(c))
}

// ParseCodec parses a codec name: none, gzip, snappy, lz4 or zstd.
func ParseCodec(s string) (Codec, error) {
	for c := CodecNone; c <= CodecZstd; c++ {
		if strings.EqualFold(s, c.String()) {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown compression %q (want none, gzip, snappy, lz4 or zstd)", s)
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
	// MaxInFlight is the number of produce requests that may be
	// outstanding on one broker connection at once (Kafka
	// max.in.flight.requests.per.connection). Default 5.
	MaxInFlight int
	// RequestTimeout bounds one produce request, and is sent to the broker
	// as the produce timeout. Default 30s.
	RequestTimeout time.Duration
}

// DefaultConfig returns the defaults documented on each Config field.
func DefaultConfig() Config {
	return Config{
		Acks:           AcksAll,
		Linger:         5 * time.Millisecond,
		MaxBatchBytes:  1 << 20,
		MaxInFlight:    5,
		Compression:    CodecNone,
		RequestTimeout: 30 * time.Second,
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
	case c.Compression < CodecNone || c.Compression > CodecZstd:
		return fmt.Errorf("compression: invalid codec %d", c.Compression)
	case c.MaxInFlight < 1:
		return fmt.Errorf("max_in_flight: must be at least 1, got %d", c.MaxInFlight)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("request_timeout: must be positive, got %v", c.RequestTimeout)
	}
	return nil
}

// ErrClosed fails a Send on a closed producer, and every record still
// pending when Close's deadline passes.
var ErrClosed = errors.New("producer: closed")

// BrokerError is an error code a broker returned for one partition of a
// produce request. Codes are Kafka's protocol error codes
// (https://kafka.apache.org/protocol#protocol_error_codes).
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

// MarshalJSON writes c with the scenario files' snake_case option names
// and human units ("5ms", "lz4", "all"), as embedded in result.json.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Acks             string `json:"acks"`
		Linger           string `json:"linger"`
		MaxBatchBytes    int    `json:"max_batch_bytes"`
		MaxBatchMessages int    `json:"max_batch_messages"`
		Compression      string `json:"compression"`
		MaxInFlight      int    `json:"max_in_flight"`
		RequestTimeout   string `json:"request_timeout"`
	}{c.Acks.String(), c.Linger.String(), c.MaxBatchBytes, c.MaxBatchMessages, c.Compression.String(), c.MaxInFlight, c.RequestTimeout.String()})
}
