// Package franz is prodbench's alternative producer engine: the same
// Send/Flush/Close/Stats/Pending surface as producer.Producer, backed by a
// franz-go client (kgo) instead of prodbench's own producer core, so that
// one tool and one report compare the two client implementations (the
// scenario's engine: franz-go, or prodbench run --engine franz-go).
//
// # Option mapping
//
// New maps producer.Config onto kgo options as follows. "error" means New
// refuses the value with an error naming the option, rather than running
// a comparison on different settings.
//
//	producer.Config        kgo option                                   notes
//	---------------------  -------------------------------------------  ----------------------------------------------
//	Acks all/leader/none   RequiredAcks(AllISRAcks/LeaderAck/NoAck)     acks none: kgo numbers offsets from 0 per
//	                                                                    batch; Ack.Offset is set to -1 instead
//	Idempotent false       DisableIdempotentWrite                       (kgo's default is idempotent)
//	Idempotent true        (kgo default)                                in flight fixed at 5 per broker by kgo
//	MaxInFlight            MaxProduceRequestsInflightPerBroker          non-idempotent only; idempotent: must be 5
//	                                                                    (error otherwise)
//	Linger                 ProducerLinger                               at most 1m (kgo); error above
//	MaxBatchBytes          ProducerBatchMaxBytes (+ BrokerMaxWriteBytes uncompressed records + batch header (kgo
//	                       when above 99 MiB)                           counts 65 B: the 61 B header and its 4 B
//	                                                                    length); 512 B to 1 GiB (kgo), error outside
//	MaxBatchMessages       none                                         error unless 0: kgo has no count limit
//	Batching false         none                                         error: kgo always batches
//	Compression            ProducerBatchCompression(codec)              none, gzip, snappy, lz4, zstd; zlib: error
//	RequestTimeout         ProduceRequestTimeout                        broker-side timeout in the request; kgo's
//	                                                                    client-side limit adds RequestTimeoutOverhead
//	                                                                    (10s); at least 100ms (kgo)
//	SendTimeout            RecordDeliveryTimeout                        0 = none; else at least 1s (kgo), error below;
//	                                                                    idempotent records already sent are not
//	                                                                    timed out until their response
//	Retries                RecordRetries                                same count: retries after the first try
//	RetryBackoff,          RetryBackoffFn                               base doubling to the cap, ±20% jitter; kgo
//	MaxRetryBackoff                                                     applies it to every retried request
//	MaxPendingMessages     MaxBufferedRecords                           0 (no limit) → MaxInt64
//	MaxPendingBytes        MaxBufferedBytes                             key+value+header bytes in both; 0 = no limit
//	BlockIfQueueFull true  Client.Produce                               blocks while full; Send's ctx bounds the wait
//	BlockIfQueueFull false Client.TryProduce                            kgo.ErrMaxBuffered → producer.ErrQueueFull
//	SendMode sync          (engine)                                     Send waits for the promise
//	Partitioner murmur2    RecordPartitioner(StickyKeyPartitioner(nil)) Java-compatible murmur2 for keys, KIP-480
//	                                                                    sticky for keyless records
//	Partitioner            RecordPartitioner(RoundRobinPartitioner())
//	  round_robin
//	Partitioner sticky     RecordPartitioner(StickyPartitioner())       keys ignored, as the native sticky
//	Partitioner            RecordPartitioner(UniformBytesPartitioner(   KIP-794, adaptive; kgo counts backlog in
//	  uniform_bytes          MaxBatchBytes, true, true, nil))           records, not bytes
//	CustomPartitioner      RecordPartitioner(wrapper)                   the producer.Partitioner sees the
//	                                                                    producer.Record; always consistent
//	Record.UsePartition    RecordPartitioner(wrapper)                   the wrapper returns Record.Partition for
//	                                                                    these records and asks the configured
//	                                                                    partitioner for the rest (kgo's
//	                                                                    ManualPartitioner is all-or-nothing); out of
//	                                                                    range → *producer.TopicError
//	TransactionalID        TransactionalID + Begin/EndTransaction loop  see below
//	TransactionMaxMessages (engine)                                     commit after this many records
//	TransactionInterval    (engine)                                     commit at least this often
//	AutoCreateTopics       AllowAutoTopicCreation                       the broker picks the partition count:
//	AutoCreatePartitions   none                                         not mapped (kgo creates via Metadata)
//
// Transactions: records are produced into the open transaction; every
// TransactionInterval, or after TransactionMaxMessages records, the
// engine stops Sends briefly, flushes, ends the transaction (commit, or
// abort if one of its records failed) and begins the next. Callbacks are
// held until the end of their transaction, so latency includes the
// commit; records of an aborted transaction fail with
// producer.ErrTxnAborted. kgo's own transaction options
// (TransactionTimeout, 40s) keep their defaults.
//
// # Acks, errors and statistics
//
// An Ack carries the topic, partition, offset and timestamp kgo sets on
// the record; the timestamp is the create time (kgo does not report a
// broker's log-append time), and Ack.Batch is zero because kgo does not
// tell which batch a record travelled in. kgo errors become the producer
// package's: *kerr.Error → *producer.BrokerError{Code, Name, Retriable}
// (UNKNOWN_TOPIC_OR_PARTITION, which kgo returns when metadata never shows
// the topic, → *producer.TopicError); kgo.ErrMaxBuffered →
// producer.ErrQueueFull; kgo.ErrRecordTimeout → producer.ErrSendTimeout;
// a record kgo refuses locally as MESSAGE_TOO_LARGE →
// producer.ErrRecordTooLarge; kgo.ErrClientClosed, and records canceled by
// Close, → producer.ErrClosed. producer.ErrorKind therefore counts both
// engines' failures under the same names.
//
// Stats comes from kgo hooks: HookProduceBatchWritten for batches, records
// and bytes (kgo's compressed size excludes the 61-byte batch header,
// which WireBytes adds back per batch), HookBrokerE2E for produce
// requests. kgo does not say why a batch was cut, so the Sealed* counters
// stay 0; producer.Config.OnBatch still gets every batch (so that reports
// place it in the window of its ack, warmup excluded, as the native
// core's) with a reason inferred from its size and from Flush.
//
// # Allocation
//
// Each Send takes an idle item from a sync.Pool (no lock on the hot path): a
// reused kgo.Record (whose Context points back at the item, so one promise
// function serves every record) and, unless WithZeroCopy, a reused buffer
// for copies of the key, value and header values. Because it copies,
// the engine says CopiesRecords: prodbench's workload then sends each
// worker's messages from one reused Record and finds its per-message
// times in Ack.Tag, with no pooled state of its own (workload.RecordCopier).
// In a max-rate peer-100b profile that path costs less than the copy it
// needs: the workload's pooled message and its sync.Pool were a fifth of
// the CPU, the copy of 100 B a few percent. Items are allocated
// while the number of records in flight grows past its earlier peak, and
// after two GCs without use.
// BenchmarkSend (100 B keyed values, 6 partitions, embedded broker in the
// same process) measures about 0.07 allocations per record in all, kgo's
// per-batch and per-request allocations and the broker's included.
package franz
