package kafka

// Record-batch test helpers; the shared ones live in package wiretest.

import (
	"testing"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
	"github.com/prodbench/prodbench/producer/kafka/wire/wiretest"
)

func TestAppendRecordNil(t *testing.T) {
	t.Parallel()
	wiretest.CheckNilRecord(t, wire.AppendRecord(nil, 2, 3, nil), wire.RecordSize(2, 3, nil))
}

// encodeBatch encodes recs into a batch for topic/partition, timestamps
// starting at firstTS and advancing tsStep ms per record.
func encodeBatch(topic string, partition int32, firstTS, tsStep int64, recs []*producer.Record) *producer.Batch {
	return wiretest.EncodeBatch(wire.AppendRecord, topic, partition, firstTS, tsStep, recs)
}

// supportsCodec reports whether tr's Capabilities list codec c.
func supportsCodec(tr *Transport, c producer.Codec) bool {
	_, ok := tr.Capabilities().Codec(c)
	return ok
}
