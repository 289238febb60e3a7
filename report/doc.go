// Package report measures one prodbench run and renders its results.
//
// # Measurement
//
// A Recorder counts messages and records three timings per message, in
// int64 nanoseconds, into HdrHistograms per interval and for the whole run:
//
//   - latency: ack - intended send time. The intended send time is the
//     message's slot in the open-loop schedule, not the moment the producer
//     accepted it, so latency is free of coordinated omission.
//   - service time: ack - actual send time (when the message was handed to
//     the producer). This is what a closed-loop benchmark measures; beside
//     latency it shows how much of the latency was waiting to be sent, as
//     wrk2 prints corrected and uncorrected latency side by side.
//   - schedule lag: actual - intended send time, for acked and failed
//     messages. A lag p99 above 1 ms means the generator could not keep up
//     (see CheckGenerator).
//
// Histograms keep 3 significant digits (values exact to within 0.1%) from
// 1 ns to 1 hour; larger values are recorded as 1 hour and negative ones as
// 0 (for latency both are counted: clamped_high, clamped_negative).
//
// Messages intended before start+warmup are excluded from the whole-run
// totals, rates and histograms, but are counted in the interval rows, which
// are flagged warmup when they overlap the warmup period. Failed sends are
// counted by kind and never dropped. Producer batches reported through
// Recorder.Batch (records, bytes before compression and on the wire, why the
// batch was sealed) are counted likewise, warmup by the wall clock at their
// ack; Recorder.SetInFlight samples the produce requests in flight at each
// interval's end.
//
// Sent, Success, Failure and Batch are safe for concurrent use and do not
// allocate in steady state: counters are atomic and sharded, and each
// shard's histograms sit behind a short mutex-protected section.
//
// # Output files
//
// Write renders a Result into a run's directory, each file written
// atomically (temporary file, then rename), result.json last so that its
// presence marks a complete write. RenderFiles writes the same files but
// result.json, from a Result alone: `prodbench report DIR` reads DIR with
// Load and renders it again.
//
//   - summary.txt (WriteSummary): the terminal summary, warnings first.
//   - report.md (WriteMarkdown): the same as GitHub-flavoured Markdown, for
//     pull requests.
//   - report.html (WriteHTML): one self-contained page (inline CSS, plots
//     as PNG data URIs, no scripts, a Content-Security-Policy that forbids
//     any fetch) with the warnings, scenario, tables, plots and intervals.
//   - timeseries.csv (WriteTimeseries): one row per interval, columns in
//     TimeseriesColumns.
//   - latency.hlog (WriteHistogramLog): the HdrHistogram interval log,
//     format 1.3, three histograms per interval tagged latency, service and
//     lag; readable by hdrhistogram-go's HistogramLogReader and the
//     HdrHistogram tools (HistogramLogProcessor -tag latency). Written when
//     the intervals carry histograms (schema 2).
//   - latency.hgrm, service.hgrm, lag.hgrm (WritePercentileDistribution):
//     the whole run's percentile distributions in ms, in the classic
//     HdrHistogram text format; service.hgrm and lag.hgrm only when
//     recorded.
//   - plots, each as .png (768x480) and .svg, with titles, units and
//     legends: latency (the percentile spectrum of latency and service time;
//     x is the percentile on a log "nines" scale, x = 1/(1-q), ticked 0%,
//     90%, 99%, 99.9%, …; y in ms), latency-over-time (p50, p99 and max per
//     interval), throughput (target, achieved and sent msg/s per interval),
//     batch-records (the distribution of records per batch) and compression
//     (the compression ratio per interval).
//
// Compare builds a Comparison of several runs; Comparison.Write renders
// compare.md, compare.html, compare.json and the same plots with every run
// overlaid (compare-*.png and .svg). WriteGobench prints runs in the Go
// benchmark format, so that benchstat compares them.
//
// # result.json, schema version 2
//
// Units: durations and timings are int64 nanoseconds (fields ending _ns);
// rates are per second; MB means 10^6 bytes; byte counts are bytes of record
// payload (key+value+headers) unless named otherwise. Floating-point fields
// are never NaN or infinite: a rate or ratio with a zero divisor is 0.
// Timestamps are RFC 3339 with nanoseconds, in UTC. Encoded histograms are
// HdrHistograms in the V2 compressed encoding, base64, as hdrhistogram-go's
// Encode writes them (DecodeHistogram reads them; "" is no histogram), so
// runs can be merged and compared later.
//
//   - schema_version: integer, 2. Bumped when a field is added, changes
//     meaning or is removed; ReadResult reads 1 and 2 and rejects others.
//     Version 1 lacks closed_loop, generator, service_time, schedule_lag,
//     in_flight_requests, throughput.wire_mb_per_sec, the batch details and
//     the interval fields added in 2; they read as zero.
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
//   - closed_loop: true when each send waited for an earlier ack (the "max"
//     rate profile): latency is then service time, not
//     coordinated-omission-free, and the reports say so.
//   - generator: saturated (boolean) and reason (a sentence, omitted when
//     not saturated): whether the load generator could not keep up, that
//     is schedule lag p99 above 1 ms or an achieved rate below 99% of the
//     target (CheckGenerator; never for closed-loop runs). Derived: written
//     by MarshalResult from the other fields.
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
//     acked_bytes / 10^6 / measured window; wire_mb_per_sec =
//     batches.compressed_bytes / 10^6 / measured window (derived).
//   - latency: count, min_ns, mean_ns, p50_ns, p90_ns, p99_ns, p999_ns
//     (99.9th), p9999_ns (99.99th), max_ns, clamped_high, clamped_negative,
//     and histogram: the whole-run latency histogram. Percentiles are the
//     highest value equivalent to the recorded one within 3 significant
//     digits; all are 0 when count is 0.
//   - service_time: the same fields for service time (acked messages);
//     clamped_* are 0.
//   - schedule_lag: the same fields for schedule lag (acked and failed
//     messages); clamped_* are 0.
//   - batches: batches acknowledged after warmup: count, records,
//     uncompressed_bytes (records sections before compression),
//     compressed_bytes (batch bytes on the wire, headers included),
//     compression_ratio = uncompressed_bytes / compressed_bytes,
//     mean_records_per_batch, mean_uncompressed_bytes_per_batch,
//     mean_compressed_bytes_per_batch, sealed_by (object of seal reason to
//     batches: "linger", "size", "count", "flush", "single" for batching
//     off, "other"; omitted when empty) and records_per_batch: p50, p99,
//     max and histogram (records per batch, 1 to 2^24, 3 significant
//     digits; omitted when empty).
//   - in_flight_requests: sampled (false when no sampler was set), mean and
//     max of the produce requests in flight sampled at the end of each
//     interval after warmup.
//   - faults: the target stand-in's scripted faults as they fired (omitted
//     without faults): fault (compact form, e.g. "leader_move,every=2s"),
//     kind, count, first_ns and last_ns (offsets from the run's start) and
//     spans_ns ([from, to] pairs; from == to for an instant).
//   - intervals: array of rows, in time order, warmup included: start_ns and
//     end_ns (offsets from started_at), sent, acked, failed, failed_by_kind
//     (omitted when empty), msgs_per_sec and mb_per_sec (acked, over the
//     row's length), p50_ns, p99_ns, max_ns (latency, 0 when nothing was
//     acked), warmup (true when the row overlaps the warmup period);
//     since version 2: target_msgs_per_sec (the caller's schedule for the
//     interval; omitted when 0, meaning the run's target applies),
//     service_p50_ns, service_p99_ns, service_max_ns, lag_p50_ns,
//     lag_p99_ns, lag_max_ns, batches, batch_records,
//     batch_uncompressed_bytes, batch_wire_bytes, mean_records_per_batch,
//     mean_batch_bytes, mean_batch_wire_bytes, compression_ratio,
//     wire_mb_per_sec, sealed_by (omitted when empty), in_flight_requests
//     (at the row's end) and histograms: latency, service and lag, the
//     interval's encoded histograms (latency.hlog is written from them).
//     Rows sum to the whole run including warmup, so they can exceed
//     counts.
package report
