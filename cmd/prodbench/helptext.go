package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/prodbench/prodbench/report"
)

// thresholdsHelp is `prodbench help thresholds`: the threshold grammar of
// package report/verdict (ParseThreshold), for --threshold and the
// scenario's thresholds: list.
const thresholdsHelp = `Thresholds: pass/fail conditions checked after a run (k6-style)

Give them with --threshold (repeatable) or in the scenario's thresholds:
list. A run that crosses one still writes its full result, records the
verdict in result.json, summary.txt, report.md and report.html, and exits
99. The error budget (max_error_rate, default 1%, 0 disables it) works the
same way: a run above it is "degraded" and exits 99.

Syntax:  METRIC OP VALUE        (spaces optional: "p(99)<20ms" is fine,
                                 but "20ms", not "20 ms")

METRIC
  pN          latency percentile N, 0 < N < 100: p50, p99, p99.9, p99.99
              (k6's spelling p(N) is read too)
  p999 p9999  aliases of p99.9 and p99.99
  med         alias of p50
  max         largest latency
  mean        mean latency (avg is an alias)
  throughput  acked messages per second over the measured window
  mb_per_s    acked record payload in MB per second (MB = 10^6 bytes)
  error_rate  failed / sent messages

  Latency runs from a message's intended send time to its ack.

OP        <  <=  >  >=

VALUE
  latency (pN, max, mean): a duration with its unit: 20ms, 1.5s, 500us
      (ns, us or µs, ms, s, m, h); a bare number is an error
  throughput, mb_per_s: a plain non-negative number: 50000, 40, 2.5e4
  error_rate: a percentage (0.1%) or a fraction from 0 to 1 (0.001)

A latency threshold on a run that acked nothing is crossed.

Examples:
  prodbench run scenarios/quickstart.yaml --threshold 'p99 < 20ms' --threshold 'error_rate < 0.1%'
  prodbench run scenarios/quickstart.yaml --threshold 'throughput > 50000' --threshold 'p(99.9)<100ms'
`

// writeVersion prints `prodbench --version`: the version (report.Version,
// set at link time, else the module version), the VCS
// revision and time the binary was built from (with "+dirty" for a
// modified tree), and the Go version and platform. Fields the build info
// lacks (go run, tests) print as "unknown".
func writeVersion(w io.Writer) {
	version, rev, at, dirty := report.Version, "unknown", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; version == "dev" && v != "" && v != "(devel)" {
			version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if dirty {
		rev += "+dirty"
	}
	if at != "" {
		rev += " (" + at + ")"
	}
	fmt.Fprintf(w, "prodbench %s, revision %s, %s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
