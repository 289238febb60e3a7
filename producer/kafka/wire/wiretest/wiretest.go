// Package wiretest holds the record-batch test helpers that the Kafka
// transport's tests and package wire's tests share: edge-case records,
// franz-go's kmsg form of a record, and a record-by-record comparison.
package wiretest

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer"
)

// Records returns records covering the encoding's edge cases: nil and
// empty keys and values, several headers (with null and empty values),
// and values whose length varint takes 2 and 3 bytes.
func Records() []*producer.Record {
	return []*producer.Record{
		{Key: []byte("k0"), Value: []byte("v0")},
		{Key: nil, Value: []byte("no key")},
		{Key: []byte{}, Value: []byte{}},
		{Key: []byte("null value"), Value: nil},
		{Key: []byte("hdrs"), Value: []byte("x"), Headers: []producer.Header{
			{Key: "a", Value: []byte("1")},
			{Key: "", Value: []byte("empty key")},
			{Key: "null", Value: nil},
			{Key: "empty", Value: []byte{}},
			{Key: "long", Value: bytes.Repeat([]byte{'h'}, 200)},
		}},
		{Key: bytes.Repeat([]byte{'K'}, 64), Value: bytes.Repeat([]byte{'v'}, 100)},
		{Key: []byte("2-byte varint"), Value: bytes.Repeat([]byte{0xAB}, 300)},
		{Key: []byte("3-byte varint"), Value: bytes.Repeat([]byte{0xCD}, 20000)},
	}
}

// KmsgRecord is the kmsg form of r, as franz-go itself would encode it.
func KmsgRecord(offsetDelta int32, tsDelta int64, r *producer.Record) kmsg.Record {
	kr := kmsg.Record{
		TimestampDelta64: tsDelta,
		OffsetDelta:      offsetDelta,
		Key:              r.Key,
		Value:            r.Value,
	}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kmsg.Header{Key: h.Key, Value: h.Value})
	}
	return kr
}

// SplitRecords splits a records section into its records, each with its
// leading length varint.
func SplitRecords(t testing.TB, section []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(section) > 0 {
		l, n := binary.Varint(section)
		if n <= 0 || l < 0 || int(l) > len(section)-n {
			t.Fatalf("bad record length varint at %d bytes before end", len(section))
		}
		out = append(out, section[:n+int(l)])
		section = section[n+int(l):]
	}
	return out
}

// CheckRecord compares a decoded record with what was encoded.
func CheckRecord(t testing.TB, i int, got *kmsg.Record, offsetDelta int32, tsDelta int64, want *producer.Record) {
	t.Helper()
	if got.Attributes != 0 {
		t.Errorf("record %d: attributes %d, want 0", i, got.Attributes)
	}
	if got.OffsetDelta != offsetDelta {
		t.Errorf("record %d: offsetDelta %d, want %d", i, got.OffsetDelta, offsetDelta)
	}
	if got.TimestampDelta64 != tsDelta {
		t.Errorf("record %d: timestampDelta %d, want %d", i, got.TimestampDelta64, tsDelta)
	}
	if !bytes.Equal(got.Key, want.Key) || (got.Key == nil) != (want.Key == nil) {
		t.Errorf("record %d: key %q (nil %v), want %q (nil %v)", i, got.Key, got.Key == nil, want.Key, want.Key == nil)
	}
	if !bytes.Equal(got.Value, want.Value) || (got.Value == nil) != (want.Value == nil) {
		t.Errorf("record %d: value of %d bytes (nil %v), want %d (nil %v)", i, len(got.Value), got.Value == nil, len(want.Value), want.Value == nil)
	}
	if len(got.Headers) != len(want.Headers) {
		t.Fatalf("record %d: %d headers, want %d", i, len(got.Headers), len(want.Headers))
	}
	for h := range want.Headers {
		g, w := got.Headers[h], want.Headers[h]
		if g.Key != w.Key || !bytes.Equal(g.Value, w.Value) || (g.Value == nil) != (w.Value == nil) {
			t.Errorf("record %d header %d: %q=%q, want %q=%q", i, h, g.Key, g.Value, w.Key, w.Value)
		}
	}
}

// Head is the first 24 bytes of b at most, for messages.
func Head(b []byte) []byte { return b[:min(len(b), 24)] }

// CheckNilRecord checks got, a nil record appended with offset delta 2 and
// timestamp delta 3, against size (RecordSize of the same) and its
// decoding by kmsg: no key, value or headers, the two deltas.
func CheckNilRecord(t testing.TB, got []byte, size int) {
	t.Helper()
	if len(got) != size {
		t.Fatalf("RecordSize(nil) = %d, appended %d", size, len(got))
	}
	var kr kmsg.Record
	if err := kr.ReadFrom(got); err != nil {
		t.Fatal(err)
	}
	if kr.Key != nil || kr.Value != nil || len(kr.Headers) != 0 || kr.OffsetDelta != 2 || kr.TimestampDelta64 != 3 {
		t.Fatalf("nil record decoded as %+v", kr)
	}
}

// EncodeBatch encodes recs with appendRecord (package wire's AppendRecord,
// which this package cannot import: wire's own tests import it) into a
// batch for topic/partition, timestamps starting at firstTS and advancing
// tsStep ms per record.
func EncodeBatch(appendRecord func(dst []byte, offsetDelta int32, tsDelta int64, r *producer.Record) []byte,
	topic string, partition int32, firstTS, tsStep int64, recs []*producer.Record) *producer.Batch {
	b := &producer.Batch{
		Topic:          topic,
		Partition:      partition,
		Records:        int32(len(recs)),
		FirstTimestamp: firstTS,
		MaxTimestamp:   firstTS + tsStep*int64(max(len(recs)-1, 0)),
		ProducerID:     -1,
	}
	for i, r := range recs {
		b.Payload = appendRecord(b.Payload, int32(i), tsStep*int64(i), r)
	}
	b.UncompressedBytes = int32(len(b.Payload))
	return b
}
