package kafka

// Record-batch test helpers; the shared ones live in package wiretest.

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
	"github.com/prodbench/prodbench/producer/kafka/wire/wiretest"
)

// The shared record-batch helpers (package wiretest).
var (
	testRecords  = wiretest.Records
	kmsgRecord   = wiretest.KmsgRecord
	splitRecords = wiretest.SplitRecords
	checkRecord  = wiretest.CheckRecord
)

func head(b []byte) []byte { return b[:min(len(b), 24)] }

func TestAppendRecordNil(t *testing.T) {
	t.Parallel()
	got := wire.AppendRecord(nil, 2, 3, nil)
	if len(got) != wire.RecordSize(2, 3, nil) {
		t.Fatalf("wire.RecordSize(nil) = %d, appended %d", wire.RecordSize(2, 3, nil), len(got))
	}
	var kr kmsg.Record
	if err := kr.ReadFrom(got); err != nil {
		t.Fatal(err)
	}
	if kr.Key != nil || kr.Value != nil || len(kr.Headers) != 0 || kr.OffsetDelta != 2 || kr.TimestampDelta64 != 3 {
		t.Fatalf("nil record decoded as %+v", kr)
	}
}

// encodeBatch encodes recs into a batch for topic/partition, timestamps
// starting at firstTS and advancing tsStep ms per record.
func encodeBatch(topic string, partition int32, firstTS, tsStep int64, recs []*producer.Record) *producer.Batch {
	b := &producer.Batch{
		Topic:          topic,
		Partition:      partition,
		Records:        int32(len(recs)),
		FirstTimestamp: firstTS,
		MaxTimestamp:   firstTS + tsStep*int64(max(len(recs)-1, 0)),
		ProducerID:     -1,
	}
	for i, r := range recs {
		b.Payload = wire.AppendRecord(b.Payload, int32(i), tsStep*int64(i), r)
	}
	b.UncompressedBytes = int32(len(b.Payload))
	return b
}

// supportsCodec reports whether tr's Capabilities list codec c.
func supportsCodec(tr *Transport, c producer.Codec) bool {
	_, ok := tr.Capabilities().Codec(c)
	return ok
}
