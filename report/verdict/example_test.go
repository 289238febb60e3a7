package verdict_test

import (
	"fmt"
	"os"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/verdict"
)

func ExampleParseThreshold() {
	for _, s := range []string{
		"p(99)<20ms",
		"p999 < 0.1s",
		"max <= 1500us",
		"throughput > 5e4",
		"mb_per_s >= 40",
		"error_rate <= 0.001",
		"p(99) < 20",
		"p(99.9) < 100 ms",
		"thruput > 50000",
		"error_rate < 5",
	} {
		t, err := verdict.ParseThreshold(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t)
	}
	// Output:
	// p99 < 20ms
	// p99.9 < 100ms
	// max <= 1.5ms
	// throughput > 50000
	// mb_per_s >= 40
	// error_rate <= 0.1%
	// threshold "p(99) < 20": column 9: latency needs a unit, e.g. 20ms
	// threshold "p(99.9) < 100 ms": column 15: no space between a number and its unit: write 100ms
	// threshold "thruput > 50000": column 1: unknown metric "thruput" (did you mean "throughput"?); want pN (p99, p99.9), max, mean, throughput, mb_per_s or error_rate
	// threshold "error_rate < 5": column 14: error_rate fraction 5 is more than 1; write 5% for a percentage
}

func ExampleEvaluate() {
	ts, err := verdict.ParseThresholds([]string{"p(99) < 20ms", "throughput > 50000", "error_rate < 0.1%"})
	if err != nil {
		fmt.Println(err)
		os.Exit(verdict.ExitUsage)
	}
	// A run's metrics; normally verdict.MetricsFromResult(res).
	m := verdict.Metrics{
		MsgsPerSec: 19997.2, MBPerSec: 10.376, Acked: 160000,
		PercentileNs: map[float64]float64{50: 3.799e6, 90: 6.513e6, 99: 12.231e6, 99.9: 21.332e6, 99.99: 28.836e6},
	}
	outcomes, crossed := verdict.Evaluate(ts, m)
	_ = verdict.WriteOutcomes(os.Stdout, outcomes)
	if crossed {
		fmt.Println("exit code", verdict.ExitThresholdsCrossed)
	}
	// Output:
	// ok       p99 < 20ms           observed 12.231ms
	// CROSSED  throughput > 50000   observed 19997.2 msg/s
	// ok       error_rate < 0.1%    observed 0.000%
	// exit code 99
}

// run returns a result with the given throughput (msg/s of 512 B messages)
// and p99 (ms); the other latencies are fixed fractions of the p99.
func run(msgsPerSec, p99ms float64) *report.Result {
	ns := func(f float64) int64 { return int64(f * p99ms * 1e6) }
	return &report.Result{
		Counts:     report.Counts{Sent: 1_000_000, Acked: 1_000_000},
		Throughput: report.Throughput{MsgsPerSec: msgsPerSec, MBPerSec: msgsPerSec * 512 / 1e6},
		Latency: report.Latency{
			P50Ns: ns(0.4), P90Ns: ns(0.7), P99Ns: ns(1), P999Ns: ns(1.8),
			P9999Ns: ns(2.8), MaxNs: ns(5), MeanNs: ns(0.45),
		},
	}
}

func ExampleWriteTable() {
	// Five runs of each build; the candidate adds about 2 ms to every
	// request.
	base := []*report.Result{
		run(50210, 5.02), run(49630, 4.87), run(50480, 5.31), run(49890, 5.12), run(50120, 4.95),
	}
	cand := []*report.Result{
		run(49970, 7.01), run(50350, 7.24), run(49720, 6.88), run(50060, 7.12), run(50250, 6.97),
	}
	c := verdict.Compare(base, cand, nil, 0)
	if err := verdict.WriteTable(os.Stdout, c, verdict.FormatText); err != nil {
		fmt.Println(err)
	}
	if c.Regressed() {
		fmt.Println("exit code", verdict.ExitRegression)
	}
	// Output:
	// metric           baseline      candidate     delta  p-value  verdict
	// throughput  50120.0 msg/s  50060.0 msg/s    -0.12%    1.000  ~
	// mb_per_s      25.661 MB/s    25.631 MB/s    -0.12%    1.000  ~
	// p50               2.008ms        2.804ms   +39.64%    0.008  worse
	// p90               3.514ms        4.907ms   +39.64%    0.008  worse
	// p99               5.020ms        7.010ms   +39.64%    0.008  regression
	// p99.9             9.036ms       12.618ms   +39.64%    0.008  worse
	// p99.99           14.056ms       19.628ms   +39.64%    0.008  worse
	// max              25.100ms       35.050ms   +39.64%    0.008  worse
	// mean              2.259ms        3.155ms   +39.64%    0.008  worse
	// error_rate         0.000%         0.000%  +0.000pp    1.000  ~
	//
	// baseline 5 runs, candidate 5 runs; alpha 0.05; limits throughput=5%, p99=10%
	// exit code 1
}

func ExampleWriteTable_markdown() {
	// One run each: no significance test, the limits alone decide.
	limits, err := verdict.ParseLimits([]string{"throughput=5%", "p99=10%", "p9999=50%"})
	if err != nil {
		fmt.Println(err)
		os.Exit(verdict.ExitUsage)
	}
	c := verdict.Compare([]*report.Result{run(50000, 5)}, []*report.Result{run(46000, 5.2)}, limits, 0)
	if err := verdict.WriteTable(os.Stdout, c, verdict.FormatMarkdown); err != nil {
		fmt.Println(err)
	}
	fmt.Println("regressed:", c.Regressed())
	// Output:
	// | metric | baseline | candidate | delta | p-value | verdict |
	// | --- | ---: | ---: | ---: | ---: | --- |
	// | throughput | 50000.0 msg/s | 46000.0 msg/s | -8.00% | - | regression |
	// | mb_per_s | 25.600 MB/s | 23.552 MB/s | -8.00% | - | ~ |
	// | p50 | 2.000ms | 2.080ms | +4.00% | - | ~ |
	// | p90 | 3.500ms | 3.640ms | +4.00% | - | ~ |
	// | p99 | 5.000ms | 5.200ms | +4.00% | - | ok |
	// | p99.9 | 9.000ms | 9.360ms | +4.00% | - | ~ |
	// | p99.99 | 14.000ms | 14.560ms | +4.00% | - | ok |
	// | max | 25.000ms | 26.000ms | +4.00% | - | ~ |
	// | mean | 2.250ms | 2.340ms | +4.00% | - | ~ |
	// | error_rate | 0.000% | 0.000% | +0.000pp | - | ~ |
	//
	// - baseline 1 run, candidate 1 run; alpha 0.05; limits throughput=5%, p99=10%, p99.99=50%
	// - one run on each side: no significance test; a change beyond its limit is a regression, but noise alone can cross it: repeat each build 5 or more times when the result gates a merge
	// regressed: true
}
