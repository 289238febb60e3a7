package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire/wiretest"
)

// The shared record-batch helpers (package wiretest).
var (
	testRecords  = wiretest.Records
	kmsgRecord   = wiretest.KmsgRecord
	splitRecords = wiretest.SplitRecords
	checkRecord  = wiretest.CheckRecord
	head         = wiretest.Head
)

func TestAppendRecordMatchesKmsg(t *testing.T) {
	t.Parallel()
	deltas := []struct {
		off int32
		ts  int64
	}{{0, 0}, {1, 1}, {63, 64}, {64, -1}, {300, 1 << 20}, {1 << 20, 1 << 40}, {-1, -(1 << 40)}}
	for _, r := range testRecords() {
		for _, d := range deltas {
			prefix := []byte("prefix")
			got := AppendRecord(append([]byte(nil), prefix...), d.off, d.ts, r)
			if !bytes.HasPrefix(got, prefix) {
				t.Fatalf("AppendRecord clobbered dst's existing bytes")
			}
			got = got[len(prefix):]
			kr := kmsgRecord(d.off, d.ts, r)
			var body []byte
			body = kr.AppendTo(body)
			// kmsg writes the Length field as given; set it from the body.
			kr.Length = int32(len(body) - 1) // Length 0 took one byte
			want := kr.AppendTo(nil)
			if !bytes.Equal(got, want) {
				t.Errorf("key %q deltas %+v: AppendRecord = %x..., kmsg = %x...", r.Key, d, head(got), head(want))
			}
			if n := RecordSize(d.off, d.ts, r); n != len(got) {
				t.Errorf("RecordSize = %d, appended %d bytes", n, len(got))
			}
		}
	}
}

func TestAppendRecordNil(t *testing.T) {
	t.Parallel()
	wiretest.CheckNilRecord(t, AppendRecord(nil, 2, 3, nil), RecordSize(2, 3, nil))
}

// encodeBatch encodes recs into a batch for topic/partition, timestamps
// starting at firstTS and advancing tsStep ms per record.
func encodeBatch(topic string, partition int32, firstTS, tsStep int64, recs []*producer.Record) *producer.Batch {
	return wiretest.EncodeBatch(AppendRecord, topic, partition, firstTS, tsStep, recs)
}

func TestAppendBatchRoundTrip(t *testing.T) {
	t.Parallel()
	recs := testRecords()
	for _, tc := range []struct {
		name             string
		pid              int64
		epoch            int16
		seq              int32
		wantEpoch        int16
		wantSeq          int32
		codec            producer.Codec
		wantCodecAttrBit int16
	}{
		{"plain", -1, 5, 9, -1, -1, producer.CodecNone, 0},
		{"idempotent", 1234567890123, 7, 42, 7, 42, producer.CodecNone, 0},
		{"codec bits", -1, 0, 0, -1, -1, producer.CodecZstd, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := encodeBatch("t", 3, 1_700_000_000_000, 7, recs)
			b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Codec = tc.pid, tc.epoch, tc.seq, tc.codec
			prefix := []byte{1, 2, 3}
			out := AppendBatch(append([]byte(nil), prefix...), b)
			if !bytes.Equal(out[:len(prefix)], prefix) {
				t.Fatal("AppendBatch clobbered dst's existing bytes")
			}
			raw := out[len(prefix):]
			if len(raw) != BatchSize(b) || len(raw) != BatchHeaderSize+len(b.Payload) {
				t.Fatalf("appended %d bytes, BatchSize %d, header+payload %d", len(raw), BatchSize(b), BatchHeaderSize+len(b.Payload))
			}
			var rb kmsg.RecordBatch
			if err := rb.ReadFrom(raw); err != nil {
				t.Fatal(err)
			}
			if rb.FirstOffset != 0 {
				t.Errorf("baseOffset %d, want 0", rb.FirstOffset)
			}
			if int(rb.Length) != len(raw)-12 {
				t.Errorf("batchLength %d, want %d", rb.Length, len(raw)-12)
			}
			if got := int32(binary.BigEndian.Uint32(raw[offBatchLength:])); got != rb.Length {
				t.Errorf("batchLength at offset %d = %d, kmsg read %d", offBatchLength, got, rb.Length)
			}
			if rb.PartitionLeaderEpoch != -1 {
				t.Errorf("partitionLeaderEpoch %d, want -1", rb.PartitionLeaderEpoch)
			}
			if rb.Magic != 2 {
				t.Errorf("magic %d, want 2", rb.Magic)
			}
			if want := crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)); uint32(rb.CRC) != want {
				t.Errorf("crc %08x, want %08x", uint32(rb.CRC), want)
			}
			if rb.Attributes != tc.wantCodecAttrBit {
				t.Errorf("attributes %#x, want %#x", rb.Attributes, tc.wantCodecAttrBit)
			}
			if rb.LastOffsetDelta != int32(len(recs)-1) {
				t.Errorf("lastOffsetDelta %d, want %d", rb.LastOffsetDelta, len(recs)-1)
			}
			if rb.FirstTimestamp != b.FirstTimestamp || rb.MaxTimestamp != b.MaxTimestamp {
				t.Errorf("timestamps %d..%d, want %d..%d", rb.FirstTimestamp, rb.MaxTimestamp, b.FirstTimestamp, b.MaxTimestamp)
			}
			if rb.ProducerID != tc.pid || rb.ProducerEpoch != tc.wantEpoch || rb.FirstSequence != tc.wantSeq {
				t.Errorf("producer %d/%d/%d, want %d/%d/%d", rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence, tc.pid, tc.wantEpoch, tc.wantSeq)
			}
			if rb.NumRecords != int32(len(recs)) {
				t.Errorf("records %d, want %d", rb.NumRecords, len(recs))
			}
			if !bytes.Equal(rb.Records, b.Payload) {
				t.Fatalf("records section differs from payload")
			}
			// A flipped payload bit must break the CRC.
			raw[len(raw)-1] ^= 1
			if crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)) == uint32(rb.CRC) {
				t.Errorf("crc does not cover the payload")
			}
			raw[len(raw)-1] ^= 1

			parts := splitRecords(t, rb.Records)
			if len(parts) != len(recs) {
				t.Fatalf("decoded %d records, want %d", len(parts), len(recs))
			}
			for i, p := range parts {
				var kr kmsg.Record
				if err := kr.ReadFrom(p); err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				if _, n := binary.Varint(p); int(kr.Length) != len(p)-n {
					t.Errorf("record %d: length %d does not match its %d encoded bytes", i, kr.Length, len(p))
				}
				checkRecord(t, i, &kr, int32(i), 7*int64(i), recs[i])
			}
		})
	}
}

func TestAppendBatchNil(t *testing.T) {
	t.Parallel()
	if got := AppendBatch([]byte("x"), nil); string(got) != "x" {
		t.Fatalf("AppendBatch(nil) = %q", got)
	}
	if BatchSize(nil) != 0 {
		t.Fatal("BatchSize(nil) != 0")
	}
}

func TestAppendNoAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun is sensitive to concurrent tests.
	r := &producer.Record{
		Key:   bytes.Repeat([]byte{'k'}, 16),
		Value: bytes.Repeat([]byte{'v'}, 100),
		Headers: []producer.Header{
			{Key: "trace", Value: []byte("abc")},
			{Key: "n", Value: nil},
		},
	}
	dst := make([]byte, 0, 1<<16)
	allocs := testing.AllocsPerRun(1000, func() {
		dst = dst[:0]
		for i := int32(0); i < 100; i++ {
			dst = AppendRecord(dst, i, int64(i)*3, r)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendRecord allocates %v times per 100 records with room in dst", allocs)
	}
	b := encodeBatch("t", 0, 1, 1, []*producer.Record{r, r, r})
	out := make([]byte, 0, BatchSize(b))
	allocs = testing.AllocsPerRun(1000, func() {
		out = AppendBatch(out[:0], b)
	})
	if allocs != 0 {
		t.Errorf("AppendBatch allocates %v times with room in dst", allocs)
	}
	allocs = testing.AllocsPerRun(1000, func() {
		_ = RecordSize(1, 2, r)
	})
	if allocs != 0 {
		t.Errorf("RecordSize allocates %v times", allocs)
	}
}

func TestVarintLen(t *testing.T) {
	t.Parallel()
	buf := make([]byte, binary.MaxVarintLen64)
	for _, v := range []int64{0, 1, -1, 63, -64, 64, -65, 8191, 8192, 1 << 20, -(1 << 20), 1<<31 - 1, -1 << 31, 1<<63 - 1, -1 << 63} {
		if got, want := varintLen(v), binary.PutVarint(buf, v); got != want {
			t.Errorf("varintLen(%d) = %d, want %d", v, got, want)
		}
	}
}

// FuzzAppendRecord checks AppendRecord against franz-go's own record
// encoder for arbitrary keys, values, headers and deltas.
func FuzzAppendRecord(f *testing.F) {
	f.Add([]byte("k"), []byte("v"), "h", []byte("hv"), int32(0), int64(0), false, false)
	f.Add([]byte(nil), bytes.Repeat([]byte{1}, 500), "", []byte(nil), int32(1<<30), int64(-1), true, true)
	f.Fuzz(func(t *testing.T, key, value []byte, hk string, hv []byte, off int32, ts int64, nilKey, nilValue bool) {
		if nilKey {
			key = nil
		} else if key == nil {
			key = []byte{}
		}
		if nilValue {
			value = nil
		} else if value == nil {
			value = []byte{}
		}
		r := &producer.Record{Key: key, Value: value, Headers: []producer.Header{{Key: hk, Value: hv}}}
		got := AppendRecord(nil, off, ts, r)
		var kr kmsg.Record
		if err := kr.ReadFrom(got); err != nil {
			t.Fatal(err)
		}
		if kr.OffsetDelta != off || kr.TimestampDelta64 != ts || len(kr.Headers) != 1 || kr.Headers[0].Key != hk ||
			!bytes.Equal(kr.Key, key) || (kr.Key == nil) != nilKey || !bytes.Equal(kr.Value, value) || (kr.Value == nil) != nilValue ||
			!bytes.Equal(kr.Headers[0].Value, hv) {
			t.Fatalf("round trip mismatch: %s", fmt.Sprintf("%+v", kr))
		}
		if len(got) != RecordSize(off, ts, r) {
			t.Fatalf("RecordSize %d != %d", RecordSize(off, ts, r), len(got))
		}
	})
}

func BenchmarkAppendRecord(b *testing.B) {
	r := &producer.Record{Key: bytes.Repeat([]byte{'k'}, 16), Value: bytes.Repeat([]byte{'v'}, 100)}
	dst := make([]byte, 0, 1<<20)
	b.ReportAllocs()
	b.SetBytes(int64(RecordSize(0, 0, r)))
	var i int32
	for b.Loop() {
		if cap(dst)-len(dst) < 256 {
			dst = dst[:0]
		}
		dst = AppendRecord(dst, i&1023, int64(i&1023), r)
		i++
	}
}

func BenchmarkAppendBatch(b *testing.B) {
	r := &producer.Record{Key: bytes.Repeat([]byte{'k'}, 16), Value: bytes.Repeat([]byte{'v'}, 100)}
	recs := make([]*producer.Record, 1000)
	for i := range recs {
		recs[i] = r
	}
	batch := encodeBatch("t", 0, 1, 0, recs)
	dst := make([]byte, 0, BatchSize(batch))
	b.ReportAllocs()
	b.SetBytes(int64(BatchSize(batch)))
	for b.Loop() {
		dst = AppendBatch(dst[:0], batch)
	}
}
