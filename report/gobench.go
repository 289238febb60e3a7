package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// This file writes results in the Go benchmark format
// (golang.org/design/14313-benchmark-format), so that benchstat compares
// runs: `prodbench report --format gobench A > a.txt`, the same for B, then
// `benchstat a.txt b.txt`.

// gobenchUnits lists the units WriteGobench uses with their benchfmt
// metadata ("Unit" lines): whether higher or lower is better.
var gobenchUnits = [][2]string{
	{"msgs/s", "better=higher"},
	{"MB/s", "better=higher"},
	{"wire-MB/s", "better=higher"},
	{"failed-msgs", "better=lower"},
	{"p50-ns", "better=lower"},
	{"p90-ns", "better=lower"},
	{"p99-ns", "better=lower"},
	{"p99.9-ns", "better=lower"},
	{"p99.99-ns", "better=lower"},
	{"max-ns", "better=lower"},
	{"service-p50-ns", "better=lower"},
	{"service-p99-ns", "better=lower"},
	{"service-max-ns", "better=lower"},
	{"lag-p99-ns", "better=lower"},
	{"lag-max-ns", "better=lower"},
}

// GobenchName returns the benchmark name of a scenario: "Benchmark" and the
// name in upper camel case with every character but letters and digits
// dropped ("steady-1k" gives "BenchmarkSteady1k"), or "BenchmarkUnnamed".
// The result is a valid benchmark name without a "-N" GOMAXPROCS suffix.
func GobenchName(scenario string) string {
	var b strings.Builder
	b.WriteString("Benchmark")
	upper := true
	n := 0
	for _, r := range scenario {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxASCII {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		if n == 0 && unicode.IsDigit(r) {
			b.WriteByte('X') // the name must go on with an upper-case letter
		}
		b.WriteRune(r)
		n++
	}
	if n == 0 {
		b.WriteString("Unnamed")
	}
	return b.String()
}

// WriteGobench writes runs in the Go benchmark format: a comment header,
// the Unit metadata lines (which units are better higher or lower) and the
// file's configuration lines (goos, goarch, commit, prodbench-version of
// the first run) once, then for each run a comment line with its scenario,
// status and generator verdict (comments, so that benchstat does not split
// the runs of one build into tables on them), its run: labels[i]
// configuration line when labels[i] is not empty, and one benchmark line: name (GobenchName), 1 iteration,
// then value-unit pairs: msgs/s (acked), MB/s (record payload), wire-MB/s,
// failed-msgs, latency p50-ns … max-ns, and service-*/lag-* when recorded.
// labels may be nil or shorter than runs. Pass `-col run` to benchstat to
// compare runs of one stream by label. It fails on a nil run or a write
// error.
func WriteGobench(w io.Writer, runs []*Result, labels []string) error {
	bw := bufio.NewWriter(w)
	for _, res := range runs {
		if res == nil {
			return errors.New("report: nil result")
		}
	}
	bw.WriteString("# prodbench results in the Go benchmark format; compare two builds with\n" +
		"# `benchstat a.txt b.txt`. Per-run status lines are comments so they do not split the tables.\n")
	for _, u := range gobenchUnits {
		fmt.Fprintf(bw, "Unit %s %s\n", u[0], u[1])
	}
	if len(runs) > 0 {
		e := runs[0].Environment
		fmt.Fprintf(bw, "goos: %s\ngoarch: %s\n", configValue(e.OS), configValue(e.Arch))
		fmt.Fprintf(bw, "commit: %s\nprodbench-version: %s\n", configValue(e.GitCommit), configValue(e.Version))
	}
	for i, res := range runs {
		label := ""
		if i < len(labels) {
			label = labels[i]
		}
		writeGobenchRun(bw, res, label)
	}
	return bw.Flush()
}

// configValue makes v fit a configuration line: one line, never empty.
func configValue(v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return "unknown"
	}
	return v
}

func writeGobenchRun(bw *bufio.Writer, res *Result, label string) {
	status, _ := Judge(res)
	if res.StatusReason != "" {
		status = res.Status
	}
	fmt.Fprintf(bw, "\n# scenario %s, commit %s, status %s, generator-saturated %t\n",
		configValue(res.Scenario.Name), configValue(res.Environment.GitCommit), configValue(status), CheckGenerator(res).Saturated)
	if label != "" {
		fmt.Fprintf(bw, "run: %s\n", configValue(label))
	}
	// Three decimals are below every metric's resolution.
	f := func(v float64) string { return strconv.FormatFloat(math.Round(finite(v)*1000)/1000, 'f', -1, 64) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	pairs := [][2]string{
		{f(res.Throughput.MsgsPerSec), "msgs/s"},
		{f(res.Throughput.MBPerSec), "MB/s"},
		{f(wireMBPerSec(res)), "wire-MB/s"},
		{i(res.Counts.Failed), "failed-msgs"},
	}
	l := res.Latency
	pairs = append(pairs, [][2]string{
		{i(l.P50Ns), "p50-ns"}, {i(l.P90Ns), "p90-ns"}, {i(l.P99Ns), "p99-ns"},
		{i(l.P999Ns), "p99.9-ns"}, {i(l.P9999Ns), "p99.99-ns"}, {i(l.MaxNs), "max-ns"},
	}...)
	cols := timingColumns(res)
	if s := res.ServiceTime; cols[1].recorded() {
		pairs = append(pairs, [][2]string{{i(s.P50Ns), "service-p50-ns"}, {i(s.P99Ns), "service-p99-ns"}, {i(s.MaxNs), "service-max-ns"}}...)
	}
	if g := res.ScheduleLag; cols[2].recorded() {
		pairs = append(pairs, [][2]string{{i(g.P99Ns), "lag-p99-ns"}, {i(g.MaxNs), "lag-max-ns"}}...)
	}
	if b := res.Batches; b.Count > 0 {
		pairs = append(pairs, [2]string{f(b.MeanRecordsPerBatch), "records/batch"}, [2]string{f(b.CompressionRatio), "compression-ratio"})
	}
	bw.WriteString(GobenchName(res.Scenario.Name) + " 1")
	for _, p := range pairs {
		bw.WriteString(" " + p[0] + " " + p[1])
	}
	bw.WriteString("\n")
}
