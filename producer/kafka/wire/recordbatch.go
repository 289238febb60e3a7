// Package wire is Kafka's record-batch encoding (message format v2) and
// Kafka's error codes with their classification, shared by the Kafka
// transport (producer/kafka) and the simulator (producer/sim) so the
// simulator does not depend on the transport. It imports only the producer
// core's types and franz-go's kerr (for error names).
package wire

import (
	"encoding/binary"
	"hash/crc32"
	"slices"

	"github.com/prodbench/prodbench/producer"
)

// This file encodes Kafka's message format v2 (magic 2), introduced by
// KIP-98 in Kafka 0.11 and specified at
// https://kafka.apache.org/documentation/#recordbatch.
//
// A RecordBatch is a fixed 61-byte header followed by the records section
// (compressed as a whole when the batch's codec is not none):
//
//	offset size field
//	     0    8 baseOffset            int64, 0 from producers (the broker assigns)
//	     8    4 batchLength           int32, bytes after this field (total - 12)
//	    12    4 partitionLeaderEpoch  int32, -1 from producers
//	    16    1 magic                 int8, 2
//	    17    4 crc                   uint32, CRC-32C of bytes 21..end
//	    21    2 attributes            int16: bits 0-2 codec, bit 3 timestamp
//	                                  type (0 create time), bit 4
//	                                  transactional, bit 5 control
//	    23    4 lastOffsetDelta       int32, records - 1
//	    27    8 firstTimestamp        int64, Unix ms
//	    35    8 maxTimestamp          int64, Unix ms
//	    43    8 producerId            int64, -1 when not idempotent
//	    51    2 producerEpoch         int16
//	    53    4 baseSequence          int32
//	    57    4 records               int32, record count
//	    61    - records section
//
// Each record in the records section is
//
//	length          varint (bytes after this field)
//	attributes      int8, 0
//	timestampDelta  varlong, ms since firstTimestamp
//	offsetDelta     varint, index in the batch
//	keyLength       varint, -1 for a null key
//	key             bytes
//	valueLength     varint, -1 for a null value
//	value           bytes
//	headerCount     varint
//	headers         headerCount × (varint key length, key, varint value
//	                length (-1 for null), value)
//
// Varints and varlongs are zigzag-encoded base-128 integers, the encoding
// of Protocol Buffers' sint32/sint64, which is also what encoding/binary's
// AppendVarint writes.

// BatchHeaderSize is the size in bytes of a Kafka RecordBatch v2 header:
// everything before the records section
// (https://kafka.apache.org/documentation/#recordbatch).
const BatchHeaderSize = 61

// OffAttributes is the offset of the attributes field (int16) in a
// RecordBatch v2 header.
const OffAttributes = 21

// Offsets into the RecordBatch v2 header.
const (
	offBatchLength = 8
	offCRC         = 17
	offAttributes  = OffAttributes
	// batchLengthBase is batchLength for an empty records section: the
	// header bytes after the batchLength field.
	batchLengthBase = BatchHeaderSize - 12
)

// Castagnoli is the CRC-32C table for RecordBatch checksums.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

var castagnoli = Castagnoli

// varintLen returns the number of bytes of v as a zigzag varint.
func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// bytesFieldLen returns the encoded size of a nullable bytes field: a
// varint length (-1 for nil) followed by the bytes.
func bytesFieldLen(b []byte) int {
	if b == nil {
		return 1 // varint -1
	}
	return varintLen(int64(len(b))) + len(b)
}

// recordBodyLen returns the encoded length of a record after its leading
// length varint.
func recordBodyLen(offsetDelta int32, timestampDelta int64, r *producer.Record) int {
	n := 1 + // attributes
		varintLen(timestampDelta) +
		varintLen(int64(offsetDelta))
	if r == nil {
		return n + 1 + 1 + 1 // null key, null value, no headers
	}
	n += bytesFieldLen(r.Key)
	n += bytesFieldLen(r.Value)
	n += varintLen(int64(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		n += varintLen(int64(len(h.Key))) + len(h.Key)
		n += bytesFieldLen(h.Value)
	}
	return n
}

// RecordSize returns the number of bytes AppendRecord appends for r with
// the given deltas (Kafka record format v2, see AppendRecord). It does not
// allocate.
func RecordSize(offsetDelta int32, timestampDelta int64, r *producer.Record) int {
	body := recordBodyLen(offsetDelta, timestampDelta, r)
	return varintLen(int64(body)) + body
}

// appendBytesField appends a nullable bytes field: varint length (-1 for
// nil) and the bytes.
func appendBytesField(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// AppendRecord appends r to dst as one Kafka v2 record
// (https://kafka.apache.org/documentation/#record) and returns the
// extended slice. offsetDelta is the record's index in its batch and
// timestampDelta its timestamp in milliseconds minus the batch's
// FirstTimestamp.
//
// A nil r.Key is encoded as a null key (length -1) and an empty non-nil
// key as a zero-length key; the same holds for r.Value (nil is a null
// value, a tombstone on compacted topics) and for header values. Headers
// are written in order. r.Topic, r.Partition, r.Timestamp and r.Context
// are not part of the record and are ignored. A nil r is encoded as a
// record with a null key, a null value and no headers.
//
// AppendRecord computes the record's length before writing, so it
// appends exactly RecordSize bytes and does not allocate when
// cap(dst)-len(dst) >= RecordSize(offsetDelta, timestampDelta, r).
func AppendRecord(dst []byte, offsetDelta int32, timestampDelta int64, r *producer.Record) []byte {
	body := recordBodyLen(offsetDelta, timestampDelta, r)
	// Grow once rather than letting each append below grow.
	dst = slices.Grow(dst, varintLen(int64(body))+body)
	dst = binary.AppendVarint(dst, int64(body))
	dst = append(dst, 0) // attributes
	dst = binary.AppendVarint(dst, timestampDelta)
	dst = binary.AppendVarint(dst, int64(offsetDelta))
	if r == nil {
		dst = binary.AppendVarint(dst, -1) // key
		dst = binary.AppendVarint(dst, -1) // value
		return binary.AppendVarint(dst, 0) // headers
	}
	dst = appendBytesField(dst, r.Key)
	dst = appendBytesField(dst, r.Value)
	dst = binary.AppendVarint(dst, int64(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		dst = binary.AppendVarint(dst, int64(len(h.Key)))
		dst = append(dst, h.Key...)
		dst = appendBytesField(dst, h.Value)
	}
	return dst
}

// BatchSize returns the number of bytes AppendBatch appends for b:
// BatchHeaderSize plus len(b.Payload). It returns 0 for a nil b.
func BatchSize(b *producer.Batch) int {
	if b == nil {
		return 0
	}
	return BatchHeaderSize + len(b.Payload)
}

// AppendBatch appends b to dst as a Kafka RecordBatch v2
// (https://kafka.apache.org/documentation/#recordbatch, KIP-98) and
// returns the extended slice: the 61-byte header followed by b.Payload,
// which must already be the records section encoded with AppendRecord and
// compressed with b.Codec.
//
// The header carries baseOffset 0, partitionLeaderEpoch -1, magic 2,
// attributes holding b.Codec in the compression bits (create-time
// timestamps, not transactional, not a control batch), lastOffsetDelta
// b.Records-1, b.FirstTimestamp, b.MaxTimestamp, b.ProducerID,
// b.ProducerEpoch, b.BaseSequence and b.Records, and the CRC-32C
// (Castagnoli) of everything from the attributes to the end. When
// b.ProducerID is negative (not idempotent) the producer epoch and base
// sequence are written as -1, as Kafka's own producer does. A nil b
// appends nothing.
//
// AppendBatch appends exactly BatchSize(b) bytes and does not allocate
// when dst has that much spare capacity.
func AppendBatch(dst []byte, b *producer.Batch) []byte {
	return appendBatch(dst, b, false)
}

// AttrTransactional is the transactional bit of a RecordBatch's
// attributes (KIP-98).
const AttrTransactional = 0x10

// AppendTransactionalBatch is AppendBatch with the transactional attribute
// bit set when b is idempotent (ProducerID >= 0), as a transactional
// producer writes its batches (KIP-98).
func AppendTransactionalBatch(dst []byte, b *producer.Batch) []byte {
	return appendBatch(dst, b, true)
}

// CodecAttr returns the compression bits (attributes bits 0-2) of a
// RecordBatch for c: none 0, gzip 1, snappy 2, lz4 3, zstd 4
// (https://kafka.apache.org/documentation/#recordbatch), and false for a
// codec Kafka does not define (producer.CodecZlib).
func CodecAttr(c producer.Codec) (uint16, bool) {
	switch c {
	case producer.CodecNone:
		return 0, true
	case producer.CodecGzip:
		return 1, true
	case producer.CodecSnappy:
		return 2, true
	case producer.CodecLZ4:
		return 3, true
	case producer.CodecZstd:
		return 4, true
	}
	return 0, false
}

// appendBatch is AppendBatch, setting the transactional attribute bit
// when transactional is true and b is idempotent (ProducerID >= 0).
func appendBatch(dst []byte, b *producer.Batch, transactional bool) []byte {
	if b == nil {
		return dst
	}
	attrs, ok := CodecAttr(b.Codec)
	if !ok {
		attrs = uint16(b.Codec) & 0x07 // not Kafka's: written as is, the broker refuses it
	}
	if transactional && b.ProducerID >= 0 {
		attrs |= AttrTransactional
	}
	dst = slices.Grow(dst, BatchSize(b))
	start := len(dst)
	epoch, seq := b.ProducerEpoch, b.BaseSequence
	if b.ProducerID < 0 {
		epoch, seq = -1, -1
	}
	dst = binary.BigEndian.AppendUint64(dst, 0)                                      // baseOffset
	dst = binary.BigEndian.AppendUint32(dst, uint32(batchLengthBase+len(b.Payload))) // batchLength
	dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)                             // partitionLeaderEpoch -1
	dst = append(dst, 2)                                                             // magic
	dst = binary.BigEndian.AppendUint32(dst, 0)                                      // crc, set below
	dst = binary.BigEndian.AppendUint16(dst, attrs)                                  // attributes
	dst = binary.BigEndian.AppendUint32(dst, uint32(b.Records-1))                    // lastOffsetDelta
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.FirstTimestamp))
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.MaxTimestamp))
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.ProducerID))
	dst = binary.BigEndian.AppendUint16(dst, uint16(epoch))
	dst = binary.BigEndian.AppendUint32(dst, uint32(seq))
	dst = binary.BigEndian.AppendUint32(dst, uint32(b.Records))
	dst = append(dst, b.Payload...)
	batch := dst[start:]
	binary.BigEndian.PutUint32(batch[offCRC:], crc32.Checksum(batch[offAttributes:], castagnoli))
	return dst
}
