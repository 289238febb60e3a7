// Package verdict turns prodbench results into pass/fail answers for CI:
// thresholds on one run (k6-style) and the comparison of a candidate build
// against a baseline (benchstat-style).
//
// # Thresholds
//
// A threshold is a one-line condition on a run's result, checked after the
// run; the syntax follows k6's thresholds
// (https://grafana.com/docs/k6/latest/using-k6/thresholds/):
//
//	METRIC OP VALUE
//
// Spaces and tabs between the three parts are optional ("p(99)<20ms" is
// fine), but a number and its unit are written together ("20ms", not
// "20 ms").
//
// METRIC is one of
//
//	pN          latency percentile N, 0 < N < 100: p50, p99, p99.9, p99.99 (the
//	            name every report prints; the k6 spelling p(N) is read too)
//	p999 p9999  aliases of p99.9 and p99.99
//	med         alias of p50 (k6's name)
//	max         largest latency
//	mean        mean latency (avg is an alias, k6's name)
//	throughput  acked messages per second over the measured window
//	mb_per_s    acked record payload in MB per second, MB = 10^6 bytes
//	error_rate  failed / sent messages (0 when nothing was sent and nothing failed)
//
// Latency runs from a message's intended send time to its ack (see package
// report). p50, p90, p99, p99.9 and p99.99 are read from the
// result's stored percentiles; any other pN is computed from the result's
// encoded HdrHistogram (3 significant digits).
//
// OP is <, <=, > or >=.
//
// VALUE depends on the metric:
//
//   - latency (pN, max, mean): a Go duration with its unit, e.g. 20ms,
//     1.5s, 500us (units ns, us or µs, ms, s, m, h). A bare number is an
//     error: k6 reads it as milliseconds, prodbench asks you to say so.
//   - throughput and mb_per_s: a plain non-negative decimal number, e.g.
//     50000, 40, 2.5e4.
//   - error_rate: a percentage, e.g. 0.1%, or a fraction from 0 to 1, e.g.
//     0.001.
//
// Examples:
//
//	p99 < 20ms
//	p99.9 < 100ms
//	max <= 1s
//	throughput > 50000
//	mb_per_s >= 40
//	error_rate < 0.1%
//
// ParseThreshold reports a malformed threshold as one line that names the
// column (1-based, counted in characters) of the offending token:
//
//	threshold "p(99) < 20": column 9: latency needs a unit, e.g. 20ms
//
// Thresholds are parsed before a run (ParseThresholds) and evaluated after
// it on the run's Metrics (MetricsFromResult, Evaluate). A latency threshold
// on a run that acked no messages is crossed: there is no latency to check.
// A run that crosses a threshold still writes its full result and then
// exits with ExitThresholdsCrossed (99, k6's code).
//
// # Comparing builds
//
// Compare sets the repetitions of a baseline build against those of a
// candidate, metric by metric (throughput, mb_per_s, p50, p90, p99, p99.9,
// p99.99, max, mean, error_rate). For each metric it reports the medians of
// both sides, the change of the candidate against the baseline, a two-sided
// Mann-Whitney U test p-value and a verdict, as benchstat does
// (golang.org/x/perf/cmd/benchstat):
//
//   - "~": no significant change (p >= alpha; alpha defaults to 0.05).
//   - "regression": a significant change for the worse, beyond the
//     metric's limit (below). Only regressions fail a comparison
//     (ExitRegression).
//   - "improvement": a significant change for the better beyond the
//     metric's limit (any significant improvement when it has no limit).
//   - "ok": a significant change not shown to go beyond the limit.
//   - "worse": a significant change for the worse of a metric that has no
//     limit; informational, it does not fail the comparison.
//   - "insufficient samples": the test cannot reach p < alpha with this
//     many repetitions whatever the data (2 against 2 gives at best
//     p = 0.33, 3 against 3 p = 0.1; 4 against 4 or 3 against 5 is the
//     least that can reach 0.05), so nothing is concluded. benchstat
//     likewise refuses to call a difference it could not detect.
//
// "Worse" is direction-aware: for latencies and error_rate higher is worse,
// for throughput and mb_per_s lower is worse. The delta shown is the signed
// change (candidate - baseline) / baseline of the medians; for error_rate it
// is the difference in percentage points.
//
// Limits are written METRIC=PERCENT (ParseLimit), e.g. throughput=5% or
// p99=10%: how much worse the candidate may be before a change counts as a
// regression. For error_rate the limit is in percentage points:
// error_rate=0.1% allows the error rate to rise by 0.1 points. With no
// limits given, DefaultLimits applies: throughput=5%, p99=10%.
//
// A significant change of a limited metric is a regression only when the
// candidate is also significantly worse than the baseline moved by the
// limit: the one-sided Mann-Whitney test of the candidate against every
// baseline value times 1+limit (latency; 1-limit for throughput; plus the
// limit for error_rate) gives p < alpha. Comparing the medians' change with
// the limit is not enough: when a metric's run-to-run noise is as large as
// its limit (p99 on a shared 2-core CI machine varies by about 10%),
// significant-looking noise carries the median change past the limit in
// about 1.6% of comparisons of a build with itself at 5 runs a side (1 in
// 6 batches of 10). With the moved-baseline test it is 0.25%, and a
// p99 slowed from 5 ms to 7 ms is still flagged 99% of the time (the noise
// tests of this package measure both).
//
// With a single run on each side no significance test is possible; then a
// metric regresses when its change alone exceeds its limit. That is noisy:
// with 10% p99 noise a third of single-run comparisons of a build with
// itself cross a 10% limit. Run each build several times (5 or more) when
// the comparison gates a merge.
//
// WriteTable renders a Comparison as an aligned text table or a Markdown
// table with the columns metric, baseline, candidate, delta, p-value and
// verdict, and notes under it.
//
// # Exit codes
//
// ExitRegression (1) and ExitUsage (2) are the codes of `prodbench compare`
// (0 when nothing regressed); ExitThresholdsCrossed (99) is the code of a
// run whose thresholds were crossed.
package verdict
