// Package pulsar registers the target kind "pulsar" (URL schemes pulsar://
// and pulsar+ssl://): Apache Pulsar's binary protocol through the official
// Go client, github.com/apache/pulsar-client-go, wrapped as a
// registry.Engine, with an in-process stand-in of the broker's producer
// path (package standin) as the default target.
//
// Option mapping (scenario option → pulsar-client-go):
//
//	producer.batching            → ProducerOptions.DisableBatching (negated)
//	producer.linger              → ProducerOptions.BatchingMaxPublishDelay
//	producer.max_batch_messages  → ProducerOptions.BatchingMaxMessages (0: no limit)
//	producer.max_batch_bytes     → ProducerOptions.BatchingMaxSize
//	producer.compression (+level)→ ProducerOptions.CompressionType / CompressionLevel
//	producer.max_pending_messages→ ProducerOptions.MaxPendingMessages (per partition; 0: the client's 1,000)
//	producer.block_if_queue_full → ProducerOptions.DisableBlockIfQueueFull (negated)
//	producer.send_timeout        → ProducerOptions.SendTimeout (0: none)
//	producer.send_mode           → Producer.SendAsync (async) or Producer.Send (sync)
//	producer.max_pending_bytes   → ClientOptions.MemoryLimitBytes
//	producer.request_timeout     → ClientOptions.OperationTimeout
//	target.routing_mode          → ProducerOptions.MessageRouter (round robin or single partition)
//	target.hashing_scheme        → ProducerOptions.HashingScheme
//	target.token_env/token_file  → pulsar.NewAuthenticationToken
//	target.tls_*                 → ClientOptions.TLS* / pulsar.NewAuthenticationTLS
//
// Options Pulsar has no equivalent for (acks other than all, idempotence,
// transactions, gzip, max_in_flight, retries, partitioner, auto-created
// topics) are refused by the validator, naming the option. docs/pulsar.md
// has the full table with the seed names.
//
// run --verify reads back from the embedded stand-in only, which replays
// what it retained (readback.go); a Pulsar given by URL has no read back.
package pulsar
