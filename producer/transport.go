package producer

import (
	"context"
	"time"
)

// Header is one record header: a string key and an opaque byte value, as in
// Kafka's record format v2 (KIP-82).
type Header struct {
	Key   string
	Value []byte
}

// Record is one message to produce.
//
// The producer copies Key, Value and Headers into its batch buffer during
// Send, so the caller may reuse those byte slices as soon as Send returns.
// The *Record itself is handed back in Ack.Record and must stay unchanged
// until its callback has run if the callback reads it. The native
// Producer reads a Record only during Send (Producer.CopiesRecords): a
// caller that finds its per-message state through Ack.Tag rather than
// Ack.Record may reuse one Record for every Send.
type Record struct {
	// Topic is the destination topic. Required.
	Topic string
	// Partition is the destination partition; it is used only when
	// UsePartition is true, otherwise the configured partitioner picks one.
	Partition int32
	// UsePartition makes Partition an explicit choice.
	UsePartition bool
	// StableValue promises that Value's bytes stay unchanged until the
	// record's callback has run (prodbench's workload sends slices of an
	// immutable payload pool), so an engine that holds records until
	// their ack may keep Value instead of copying it. Key and header
	// values are copied all the same. Default false: copy.
	StableValue bool
	// Key is the record key; nil means no key (sticky partitioning).
	Key []byte
	// Value is the record value (the payload).
	Value []byte
	// Headers are the record headers, in order.
	Headers []Header
	// Timestamp is the record's create time; the zero value means "now,
	// at Send".
	Timestamp time.Time
	// Context is opaque to the producer and returned untouched through
	// Ack.Record; callers use it to find their own per-message state
	// without allocating a closure per message.
	Context any
	// Tag is opaque to the producer: two values the native Producer
	// copies at Send and returns in Ack.Tag, so that a callback needs
	// neither the Record nor per-message state kept alive until the ack
	// (the workload carries a message's intended and actual send times,
	// Unix ns, in it). Engines that do not say CopiesRecords may leave
	// Ack.Tag zero.
	Tag [2]int64
}

// BatchInfo describes the record batch a record travelled in.
type BatchInfo struct {
	// Records is the number of records in the batch.
	Records int32
	// UncompressedBytes is the size in bytes of the batch's records
	// section before compression (Kafka record format v2).
	UncompressedBytes int32
	// CompressedBytes is the size in bytes of the batch on the wire: the
	// compressed records section plus the batch header.
	CompressedBytes int32
}

// Ack is the broker's acknowledgement of one record.
type Ack struct {
	// Record is the record passed to Send.
	Record *Record
	// Topic and Partition say where the record was written.
	Topic     string
	Partition int32
	// Offset is the record's position as the target system numbers it:
	// its offset in the partition, stream sequence or message ID, set by
	// the transport (Batch.Positions); -1 when unknown (acks none).
	Offset int64
	// Timestamp is the record's timestamp as stored (millisecond
	// precision): the create time (Record.Timestamp, or the time of Send
	// when that was zero), or the broker's log-append time when the topic
	// uses it.
	Timestamp time.Time
	// Batch describes the batch the record travelled in.
	Batch BatchInfo
	// Tag is the Record's Tag, copied at Send (native Producer; zero from
	// engines that do not say CopiesRecords).
	Tag [2]int64
	// Bytes is the record's key, value, header key and header value
	// bytes, counted at Send (native Producer; zero from engines that do
	// not say CopiesRecords).
	Bytes int64
	// AckTime is when the producer got the answer for the record's batch
	// (or failed it), read once per produce request so that every record
	// of a request shares one clock read; a receiver measuring latency can
	// use it rather than reading the clock per record. Zero when the
	// engine does not set it.
	AckTime time.Time
}

// Batch is one sealed record batch for one partition, as handed to a
// Transport. The producer owns it: a Transport must not keep any of its
// slices after Produce returns.
type Batch struct {
	// Topic and Partition are the batch's destination.
	Topic     string
	Partition int32
	// Records is the number of records in the batch.
	Records int32
	// FirstTimestamp and MaxTimestamp are the smallest and largest record
	// timestamps in the batch, in Unix milliseconds; record timestamp
	// deltas in the records section are relative to FirstTimestamp.
	FirstTimestamp int64
	MaxTimestamp   int64
	// Codec is the compression codec the Payload is compressed with.
	Codec Codec
	// Payload is the records section, compressed with Codec (the raw
	// records section when Codec is None), as produced by the Transport's
	// AppendRecord for each record in order.
	Payload []byte
	// UncompressedBytes is the length of the records section before
	// compression.
	UncompressedBytes int32
	// ProducerID, ProducerEpoch and BaseSequence are the idempotence
	// fields (KIP-98); ProducerID is -1 when the producer is not
	// idempotent.
	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32

	// Result fields, set by the Transport in Produce.

	// Positions holds, after a successful Produce, one position per
	// record in order: the record's offset, stream sequence or message ID
	// as the target system numbers them, set by the Transport (a Kafka
	// transport appends BaseOffset+i). It is empty when positions are
	// unknown (acks none, or a resend the broker recognised as a
	// duplicate); Ack.Offset is then -1. The producer hands it over with
	// length 0 and spare capacity it reuses: append to it.
	Positions []int64
	// LogAppendTime is the broker's append time in Unix milliseconds, or
	// -1 when the topic uses create time.
	LogAppendTime int64
	// WireBytes is the size of the encoded batch on the wire, header
	// included.
	WireBytes int32
	// Err is the batch's own failure, nil on success. The Transport
	// classifies it: a *SystemError says its failure kind, whether a
	// resend may succeed and whether metadata must be reloaded first. The
	// producer does not retry an error that is not classified as
	// retriable.
	Err error
}

// FirstPosition returns Positions[0], or -1 when Positions is empty.
func (b *Batch) FirstPosition() int64 {
	if len(b.Positions) == 0 {
		return -1
	}
	return b.Positions[0]
}

// Transport moves sealed batches to a broker. Implementations are
// producer/kafka (the Kafka wire protocol) and, in tests, in-process
// fakes. All methods must be safe for concurrent use.
type Transport interface {
	// Partitions returns the number of partitions of topic, loading
	// metadata as needed. It fails when the topic does not exist or the
	// brokers cannot be reached.
	Partitions(ctx context.Context, topic string) (int32, error)
	// Leader returns the ID of the broker leading topic/partition from the
	// transport's current metadata.
	Leader(ctx context.Context, topic string, partition int32) (int32, error)
	// AppendRecord appends one record to dst in the transport's record
	// format (Kafka's record v2 for producer/kafka; any format the
	// transport decodes itself) and returns the extended slice. offsetDelta and
	// timestampDelta (milliseconds) are relative to the batch's first
	// record. It must not allocate when dst has room.
	AppendRecord(dst []byte, offsetDelta int32, timestampDelta int64, r *Record) []byte
	// BatchOverhead is the number of bytes a batch adds on the wire on top
	// of its records section (61 for Kafka's RecordBatch v2 header).
	BatchOverhead() int
	// Produce sends batches, all led by broker, in one request and blocks
	// until the broker answers, or until the request is written when acks
	// is none. It sets each batch's result fields. A non-nil error means
	// the whole request failed (no batch result is meaningful); the
	// producer then treats every batch as failed with that error, retrying
	// only when the error is a *SystemError with Retriable set (a broken
	// connection, say): the Transport classifies its own errors.
	//
	// A resend of an idempotent batch that the broker reports as already
	// written (Kafka's DUPLICATE_SEQUENCE_NUMBER) is a success: the
	// Transport sets no Err and leaves Positions empty.
	Produce(ctx context.Context, broker int32, acks Acks, timeout time.Duration, batches []*Batch) error
	// Capabilities says which optional features the transport has. The
	// producer asks once, in New. A wrapping transport (fault injection,
	// delay) returns its inner transport's Capabilities, wrapping the
	// parts it intercepts, so that wrapping hides no feature.
	Capabilities() Capabilities
}

// Framing is how a codec's compressed output is framed on the wire. The
// core keeps the encoders (pooled) and the levels; the transport says which
// framing its protocol expects.
type Framing uint8

const (
	// FramingStandard is the framing Kafka clients use: a gzip stream (RFC
	// 1952), a raw snappy block, an LZ4 frame (the LZ4 frame format
	// spec), a zstd frame (RFC 8878), a zlib stream (RFC 1950).
	FramingStandard Framing = iota
	// FramingLZ4Block is a raw LZ4 block with no frame and no size prefix
	// (the uncompressed size travels elsewhere, as in Pulsar's message
	// metadata). Valid for CodecLZ4 only.
	FramingLZ4Block
)

// CodecSupport is one codec a transport accepts and the framing it
// expects for it.
type CodecSupport struct {
	Codec   Codec
	Framing Framing
}

// Capabilities lists a transport's optional features. A nil field means
// the feature is missing; the producer's New refuses configurations that
// need it (compression with a codec not in Codecs, idempotent without
// Idempotence, transactional_id without Transactions, auto_create_topics
// without TopicCreator).
type Capabilities struct {
	// Codecs are the codecs the transport accepts, each with its framing.
	// CodecNone is always accepted, listed or not.
	Codecs []CodecSupport
	// Metadata reloads topic metadata; the producer calls it before a
	// retry whose error asks for it (SystemError.Metadata). nil: leaders
	// never move, or the transport refreshes on its own.
	Metadata MetadataRefresher
	// TopicCreator creates missing topics (Config.AutoCreateTopics).
	TopicCreator TopicCreator
	// Idempotence gives producer IDs (Config.Idempotent).
	Idempotence Idempotence
	// Transactions runs transactions (Config.TransactionalID).
	Transactions Transactions
	// Pipelining lets the idempotent producer keep several batches of a
	// partition in flight (up to Config.MaxInFlight), as Kafka's Java
	// client and franz-go do under idempotence. nil: one batch of a
	// partition at a time.
	Pipelining Pipelining
}

// Codec returns the entry for c in Codecs and whether c is supported.
// CodecNone is always supported, with FramingStandard.
func (c Capabilities) Codec(codec Codec) (CodecSupport, bool) {
	for _, s := range c.Codecs {
		if s.Codec == codec {
			return s, true
		}
	}
	if codec == CodecNone {
		return CodecSupport{Codec: CodecNone}, true
	}
	return CodecSupport{}, false
}

// The optional Transport features below are handed out through
// Transport.Capabilities, never found by type assertion, so wrapping
// transports keep them.

// MetadataRefresher reloads topic metadata; the producer calls it before
// retrying a batch whose error asked for it (SystemError.Metadata, e.g.
// Kafka's NOT_LEADER_OR_FOLLOWER), then asks Leader again.
type MetadataRefresher interface {
	Refresh(ctx context.Context, topics ...string) error
}

// TopicCreator creates topics, used when
// Config.AutoCreateTopics is set and a topic is missing. It returns nil if
// the topic already exists, and an error naming the broker's refusal
// otherwise.
type TopicCreator interface {
	CreateTopic(ctx context.Context, topic string, partitions int32) error
}

// Idempotence supports the idempotent producer (KIP-98): InitProducerID
// returns a producer ID and epoch, bumping the epoch of transactionalID's
// previous producer when one is given. Transport.Produce must then write
// Batch.ProducerID, ProducerEpoch and BaseSequence into the batch, and
// report a resend the broker already has (Kafka's
// DUPLICATE_SEQUENCE_NUMBER) as a success.
type Idempotence interface {
	InitProducerID(ctx context.Context, transactionalID string, txnTimeout time.Duration) (id int64, epoch int16, err error)
}

// Pipelining is a transport that writes produce requests to a broker in
// the order they are begun, so that several batches of one partition can
// be in flight and still reach the broker in sequence order (Kafka's
// broker keeps the order of the requests on one connection, and checks
// the sequence numbers of an idempotent producer's batches, KIP-98).
type Pipelining interface {
	// ProduceInOrder is Transport.Produce, plus: it calls written exactly
	// once, as soon as the request has been written to the broker's
	// connection or has failed without being written, and before it
	// returns. Of two calls for one broker, the second begun after the
	// first's written, the first's request reaches the broker first.
	ProduceInOrder(ctx context.Context, broker int32, acks Acks, timeout time.Duration, batches []*Batch, written func()) error
}

// Transactions supports transactions (KIP-98): the
// producer adds each partition to the open transaction before its first
// batch, and ends the transaction with commit or abort.
type Transactions interface {
	Idempotence
	// AddPartitionsToTxn registers partitions (topic → partition list)
	// with the transaction coordinator of transactionalID.
	AddPartitionsToTxn(ctx context.Context, transactionalID string, id int64, epoch int16, partitions map[string][]int32) error
	// EndTxn commits (commit true) or aborts the open transaction.
	EndTxn(ctx context.Context, transactionalID string, id int64, epoch int16, commit bool) error
}
