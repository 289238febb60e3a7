package pulsarws

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// QueryParams returns the producer query parameters of Pulsar's WebSocket
// API (https://pulsar.apache.org/docs/client-libraries-websocket/,
// "Producer endpoint"; the names Macrometa's seed pages and SDKs use) for
// p, as an encoded query without a leading "?":
//
//	sendTimeoutMillis        send_timeout in ms (0: none)
//	batchingEnabled          batching
//	batchingMaxMessages      max_batch_messages (omitted when 0)
//	maxPendingMessages       max_pending_messages (DefaultMaxPending when 0)
//	batchingMaxPublishDelay  linger in ms (only with batching)
//	compressionType          compression: NONE, LZ4, ZLIB, ZSTD, SNAPPY
//	messageRoutingMode       partitioner round_robin: RoundRobinPartition,
//	                         sticky: SinglePartition (omitted for murmur2)
//	producerName             producerName, when not empty
//
// It assumes p passed checkProducer.
func QueryParams(p producer.Config, producerName string) string {
	q := url.Values{}
	q.Set("sendTimeoutMillis", strconv.FormatInt(p.SendTimeout.Milliseconds(), 10))
	q.Set("batchingEnabled", strconv.FormatBool(p.Batching))
	if p.Batching {
		if p.MaxBatchMessages > 0 {
			q.Set("batchingMaxMessages", strconv.Itoa(p.MaxBatchMessages))
		}
		q.Set("batchingMaxPublishDelay", strconv.FormatInt(p.Linger.Milliseconds(), 10))
	}
	window := p.MaxPendingMessages
	if window <= 0 {
		window = DefaultMaxPending
	}
	q.Set("maxPendingMessages", strconv.Itoa(window))
	q.Set("compressionType", compressionType(p.Compression))
	switch p.Partitioner {
	case producer.PartitionerRoundRobin:
		q.Set("messageRoutingMode", "RoundRobinPartition")
	case producer.PartitionerSticky:
		q.Set("messageRoutingMode", "SinglePartition")
	}
	if producerName != "" {
		q.Set("producerName", producerName)
	}
	return q.Encode()
}

func compressionType(c producer.Codec) string {
	switch c {
	case producer.CodecLZ4:
		return "LZ4"
	case producer.CodecZlib:
		return "ZLIB"
	case producer.CodecZstd:
		return "ZSTD"
	case producer.CodecSnappy:
		return "SNAPPY"
	}
	return "NONE"
}

// checkProducer refuses the producer options the WebSocket API cannot
// honour, naming the option and the target kind. Options left at their
// defaults pass; retries and retry backoffs are refused only when the
// scenario sets them.
func checkProducer(kind string, p producer.Config, sc registry.Scope) error {
	def := producer.DefaultConfig()
	bad := func(field, format string, args ...any) error {
		return sc.Errorf("producer."+field, "target kind %s: "+format, append([]any{kind}, args...)...)
	}
	switch {
	case p.Acks != producer.AcksAll:
		return bad("acks", "the WebSocket API acks once the message is persisted; only acks all applies, got %v", p.Acks)
	case p.Compression == producer.CodecGzip:
		return bad("compression", "Pulsar has no gzip codec (want none, lz4, zlib, zstd or snappy)")
	case p.CompressionLevel != 0:
		return bad("compression_level", "the WebSocket API takes no compression level")
	case p.Idempotent || p.TransactionalID != "":
		return bad("idempotent", "the WebSocket API has no idempotent or transactional producer")
	case p.CustomPartitioner != nil || p.Partitioner == producer.PartitionerUniformBytes:
		return bad("partitioner", "want murmur2 (service default), round_robin (RoundRobinPartition) or sticky (SinglePartition)")
	case p.MaxBatchBytes != def.MaxBatchBytes:
		return bad("max_batch_bytes", "the WebSocket API has no batch byte limit; use max_batch_messages (batchingMaxMessages)")
	case p.MaxInFlight != def.MaxInFlight:
		return bad("max_in_flight", "the window per connection is max_pending_messages (maxPendingMessages)")
	case p.MaxPendingBytes != def.MaxPendingBytes:
		return bad("max_pending_bytes", "the WebSocket API bounds messages, not bytes; use max_pending_messages")
	case p.Linger%time.Millisecond != 0:
		return bad("linger", "batchingMaxPublishDelay is whole milliseconds, got %v", p.Linger)
	case p.SendTimeout%time.Millisecond != 0:
		return bad("send_timeout", "sendTimeoutMillis is whole milliseconds, got %v", p.SendTimeout)
	case p.Linger > time.Duration(1<<31-1)*time.Millisecond || p.SendTimeout > time.Duration(1<<31-1)*time.Millisecond:
		return bad("send_timeout", "must fit in a 32-bit count of milliseconds")
	case p.MaxPendingMessages > 1<<20:
		return bad("max_pending_messages", "at most %d per connection, got %d", 1<<20, p.MaxPendingMessages)
	}
	for _, f := range []string{"retries", "retry_backoff", "max_retry_backoff"} {
		if sc.Has("producer." + f) {
			return bad(f, "the client does not resend; the service's own producer retries within sendTimeoutMillis")
		}
	}
	return nil
}

// noScope is a registry.Scope for configurations built in code.
type noScope struct{}

func (noScope) Has(string) bool { return false }
func (noScope) Errorf(field, format string, args ...any) error {
	return fmt.Errorf(field+": "+format, args...)
}
