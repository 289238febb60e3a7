// Package nats is prodbench's NATS JetStream target (kind "nats", URL
// schemes nats:// and tls://): Memphis's producer concepts on the system
// underneath Memphis, through the official client github.com/nats-io/nats.go
// and its jetstream package, against a real nats-server — by default one
// started in process (github.com/nats-io/nats-server/v2, JetStream on, file
// store in a temporary directory, 127.0.0.1 on a random port).
//
// Concepts, Memphis → JetStream → prodbench (docs/nats.md has the table):
//   - a station is a stream named after the topic, created when missing
//     (the embedded server's declared topics always; otherwise with
//     producer.auto_create_topics) with the target block's storage,
//     replicas, retention, limits, discard policy, duplicate window and S2
//     store compression;
//   - the station's partitions are the stream's subjects <topic>.<n>
//     (a one-partition station uses the subject <topic>); keyed records go
//     to murmur2(key) mod n, as on Kafka, keyless ones round robin, so
//     order holds per key;
//   - asyncProduce is send_mode async: publishes with a reply subject and a
//     bounded window of unacknowledged messages (max_pending_messages,
//     default 4,000 as nats.go's PublishAsyncMaxPending); a full window
//     blocks Send or fails the record with queue_full (block_if_queue_full);
//     sync mode waits for each PubAck;
//   - idempotent: true sends a unique Nats-Msg-Id header per message;
//     resends (after a timeout, a lost connection or no responders, up to
//     producer.retries with producer.retry_backoff) are deduplicated by the
//     stream's duplicate window, and a PubAck with duplicate: true is one
//     acknowledged record (Ack.Offset is the original sequence);
//   - headers are NATS headers; Ack.Offset is the stream sequence.
//
// The engine speaks JetStream's publish protocol itself over a nats.Conn,
// as jetstream.PublishMsgAsync does (one wildcard reply subscription, the
// PubAck parsed on arrival), with per-message state kept in reusable
// slots, so that it allocates nothing per message; nats.go itself
// allocates the delivered PubAck message.
//
// Producer options NATS has no meaning for (linger, batch limits,
// client compression, acks levels, max_in_flight, max_pending_bytes,
// sticky partitioners, transactions) are refused, naming the option.
package nats
