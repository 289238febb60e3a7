// Package sweep judges runs against a service-level objective and renders
// the reports of the two multi-run jobs of prodbench:
//
//   - a sweep (`prodbench sweep`): one full run per point of a scenario's
//     sweep block, recorded in a Manifest (sweep.json) and reported as
//     sweep.md and sweep.html with a table of every point, throughput
//     against latency, linger × batch-size heatmaps and, when compression
//     is swept, compression ratio and wire MB/s by codec; the SLO picks the
//     best point (Manifest.Best);
//   - a capacity search (`prodbench capacity`): constant-rate steps, a
//     ramp then a binary search, recorded in a Capacity (capacity.json) and
//     reported as capacity.md and capacity.html with latency against offered
//     load and the limit that stopped the search (Limit*).
//
// Both judge a run with Evaluate: latency at each SLO percentile (from the
// run's lossless histogram, so p75 or p95 work too), the error rate, and
// whether the load generator actually offered the load. A failing run is
// classified by what stopped it: the load generator (it fell behind its
// schedule and the broker's service time still met the SLO, or it could
// not send the scheduled messages), errors, or the latency SLO. A saturated
// generator is never reported as the broker's limit.
//
// Every file is written atomically (temporary file, then rename); the
// JSON file is written last.
package sweep
