// Package report measures one prodbench run and renders its results.
//
// # Measurement
//
// A Recorder counts messages and records latency free of coordinated
// omission: a message's latency runs from its intended send time (its slot in
// the open-loop schedule, not the moment the producer accepted it) to its
// ack, in int64 nanoseconds. Latencies go into HdrHistograms with 3
// significant digits (values exact to within 0.1%) tracking 1 ns to 1 hour;
// larger latencies are recorded as 1 hour and counted (clamped_high), and
// negative ones (ack stamped before the intended time) as 0 (clamped_negative).
//
// Messages intended before start+warmup are excluded from the whole-run
// totals, rates and histogram, but are counted in the interval rows, which
// are flagged warmup when they overlap the warmup period. Failed sends are
// counted by kind and never dropped.
//
// Sent, Success and Failure are safe for concurrent use and do not allocate
// in steady state: counters are atomic and sharded, and each shard's
// histograms sit behind a short mutex-protected section.
//
// # Output files
//
// Write renders a Result into a directory as summary.txt (WriteSummary),
// latency.png (PlotLatency) and result.json (MarshalResult), each written
// atomically; result.json comes last, so its presence marks a complete
// write.
//
// latency.png is the percentile spectrum: x is the percentile q on a log
// "nines" scale, x = 1/(1-q), ticked 0%, 90%, 99%, 99.9%, 99.99%, 99.999%;
// y is the latency in ms.
//
// # result.json, schema version 1
//
// Units: durations and latencies are int64 nanoseconds (fields ending _ns);
// rates are per second; MB means 10^6 bytes; byte counts are bytes of record
// payload (key+value+headers) unless named otherwise. Floating-point fields
// are never NaN or infinite: a rate or ratio with a zero divisor is 0.
// Timestamps are RFC 3339 with nanoseconds, in UTC.
//
//   - schema_version: integer, 1. Bumped when a field changes meaning or is
//     removed; readers reject versions they do not know (ReadResult).
//   - status: "complete", or "interrupted" when the run stopped before its
//     planned end (numbers then cover only the part that ran).
//   - started_at, ended_at: start of the run (start of warmup) and its end.
//   - scenario: name, description, file (path of the scenario file, if any)
//     and spec (the scenario as the workload package serialises it; any
//     JSON value, omitted when absent).
//   - options: the producer options as the producer package serialises
//     them; any JSON value, omitted when absent.
//   - environment: git_commit (of the working directory, "unknown" if not a
//     git checkout), go_version, num_cpu, gomaxprocs, hostname, os, arch,
//     prodbench_version.
//   - target_rate_msgs_per_sec: scheduled send rate in messages per second;
//     0 means unthrottled.
//   - warmup_ns: length of the warmup period excluded from totals.
//   - measured_ns: measured window, ended_at - (started_at + warmup_ns);
//     0 if the run ended within warmup.
//   - interval_ns: nominal length of an interval row.
//   - counts: sent (handed to the producer), acked, failed, failed_by_kind
//     (object of kind to count; kinds such as "queue_full", "send_timeout",
//     "closed", "connection", "broker:NOT_LEADER_OR_FOLLOWER"), sent_bytes
//     and acked_bytes (record payload bytes). Messages intended after the
//     warmup only. A message still in flight at the end is sent but neither
//     acked nor failed.
//   - throughput: msgs_per_sec = acked / measured window; mb_per_sec =
//     acked_bytes / 10^6 / measured window (MB = 10^6 bytes of record
//     payload, key+value+headers).
//   - latency: count, min_ns, mean_ns, p50_ns, p90_ns, p99_ns, p999_ns
//     (99.9th), p9999_ns (99.99th), max_ns, clamped_high, clamped_negative,
//     and histogram: the whole-run HdrHistogram in the V2 compressed
//     encoding, base64 (as hdrhistogram-go's Encode writes it), so runs can
//     be merged or re-plotted later (DecodeHistogram). Percentiles are the
//     highest value equivalent to the recorded one within 3 significant
//     digits; all are 0 when count is 0.
//   - batches: count (record batches produced), records (records in them),
//     uncompressed_bytes (record bytes before compression), compressed_bytes
//     (batch bytes on the wire), compression_ratio = uncompressed_bytes /
//     compressed_bytes, mean_records_per_batch = records / count
//     (NewBatches computes both).
//   - intervals: array of rows, in time order, warmup included: start_ns and
//     end_ns (offsets from started_at), sent, acked, failed, failed_by_kind
//     (omitted when empty), msgs_per_sec and mb_per_sec (acked, over the
//     row's length), p50_ns, p99_ns, max_ns (0 when nothing was acked), and
//     warmup (true when the row overlaps the warmup period). Rows sum to the
//     whole run including warmup, so they can exceed counts.
package report
