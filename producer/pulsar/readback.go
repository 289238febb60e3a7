package pulsar

import (
	"context"

	"github.com/prodbench/prodbench/producer/internal/propheaders"
	"github.com/prodbench/prodbench/producer/pulsar/standin"
	"github.com/prodbench/prodbench/producer/registry"
)

// readBack returns the Opened.ReadBack of the embedded stand-in srv, which
// must have been started with Retain: it replays what the stand-in
// recorded (standin.Server.EachMessage, no copy), without a consumer, since the
// stand-in serves none. Against a real Pulsar there is no read back (the
// Opened's ReadBack is nil: verification is not supported).
//
// Each retained message of a wanted topic becomes one ReadRecord, in
// arrival order (so in entry and batch order within a partition):
//   - Topic is the scenario's topic name whose standin.FullName equals the
//     message's full topic name without its "-partition-N" suffix;
//   - Partition is the stand-in's partition index, and 0 for a
//     non-partitioned topic (the stand-in's -1): pulsar-client-go reports
//     partition 0 for a non-partitioned topic's messages
//     (MessageID.PartitionIdx), so read back and the engine's acks name
//     the same partition;
//   - Offset is entryID<<BatchIndexBits | batch index, as the acks;
//   - Key is the partition key, nil when empty;
//   - Headers are the message's properties (where the verify stamp
//     travels), sorted by key;
//   - Value is the payload.
func readBack(srv *standin.Server) func(context.Context, []string, func(*registry.ReadRecord) error) error {
	return func(ctx context.Context, topics []string, fn func(*registry.ReadRecord) error) error {
		want := make(map[string]string, len(topics))
		for _, t := range topics {
			want[standin.FullName(t)] = t
		}
		var (
			rec registry.ReadRecord
			hb  propheaders.Buffer
			n   int
			err error
		)
		srv.EachMessage(func(m *standin.Message) bool {
			if n++; n%1024 == 1 {
				if err = ctx.Err(); err != nil {
					return false
				}
			}
			base, _ := standin.SplitPartition(m.Topic)
			name, ok := want[base]
			if !ok {
				return true
			}
			rec = registry.ReadRecord{Topic: name, Partition: int32(max(m.Partition, 0)),
				Offset: m.Entry<<BatchIndexBits | int64(m.BatchIndex), Headers: hb.Headers(m.Properties), Value: m.Payload}
			if m.Key != "" {
				rec.Key = []byte(m.Key)
			}
			err = fn(&rec)
			return err == nil
		})
		return err
	}
}
