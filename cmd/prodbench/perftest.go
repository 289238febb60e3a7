package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload"
)

const perfTestUsage = `Usage: prodbench perf-test --topic T --num-records N --record-size S --throughput R [flags]

Runs the way kafka-producer-perf-test.sh does and prints its lines on
stdout, so scripts that parse perf-test keep working:

  N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency.

every 5 s, and at the end

  N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.

MB/sec is perf-test's own unit, 2^20 bytes. Unlike perf-test, latency is
measured from each record's intended send time (coordinated omission
corrected), said once on stderr. The usual result directory (result.json,
report.html, ...) is written beside it, to results/perf-test-<UTC
timestamp>/ unless --out is set.

--throughput -1 sends as fast as the producer accepts (closed loop).
--producer-props and --producer.config take Kafka producer properties
(acks, linger.ms, batch.size, compression.type, ...; bootstrap.servers
picks the brokers); without bootstrap.servers, --target or --brokers an
embedded broker is used.

Flags:
%s
Example:
  prodbench perf-test --topic perf --num-records 1000000 --record-size 100 \
    --throughput 50000 --producer-props acks=all linger.ms=5
`

func init() {
	register(command{name: "perf-test", summary: "kafka-producer-perf-test's command line and output lines", run: cmdPerfTest})
}

// perfWindow is perf-test's reporting window (ProducerPerformance's
// reportingInterval, 5000 ms).
const perfWindow = 5 * time.Second

func cmdPerfTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := newFlagSet("perf-test")
	addTargetFlags(fs, &f, "run")
	topic := fs.String("topic", "", "topic to produce to (required)")
	num := fs.Int64("num-records", 0, "number of records to produce (required)")
	size := fs.Int("record-size", 0, "record size in bytes (required unless --payload-file)")
	tput := fs.Float64("throughput", 0, "records/sec to send; -1 for no throttling (required)")
	props := fs.StringArray("producer-props", nil, "producer properties key=value ... (space separated, as perf-test)")
	config := fs.String("producer.config", "", "producer properties file")
	payloadFile := fs.String("payload-file", "", "file of payloads, split on --payload-delimiter; each record's payload drawn from it")
	delim := fs.String("payload-delimiter", `\n`, "payload delimiter in --payload-file")
	printMetrics := fs.Bool("print-metrics", false, "print producer metrics at the end")
	partitions := fs.Int("partitions", 6, "partitions of the topic on the embedded broker")
	fs.StringVar(&f.out, "out", "", "result directory (default results/perf-test-<UTC timestamp>)")
	fs.StringVar(&f.ombDriver, "omb-driver", "", "")
	_ = fs.MarkHidden("omb-driver")
	// perf-test's --producer-props takes several space-separated words:
	// gather the words after it that hold '=' and are not flags.
	args = gatherProps(args)
	if code, done := parseFlags(fs, args, perfTestUsage, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return fail(stderr, exitUsage, "perf-test: unexpected argument %q", fs.Arg(0))
	case *topic == "":
		return fail(stderr, exitUsage, "perf-test: --topic is required")
	case *num < 1:
		return fail(stderr, exitUsage, "perf-test: --num-records must be at least 1, got %d", *num)
	case !fs.Changed("throughput"):
		return fail(stderr, exitUsage, "perf-test: --throughput is required (-1 for no throttling)")
	case *payloadFile == "" && *size < 1:
		return fail(stderr, exitUsage, "perf-test: --record-size must be at least 1 (or give --payload-file)")
	case *payloadFile != "" && fs.Changed("record-size"):
		return fail(stderr, exitUsage, "perf-test: give either --record-size or --payload-file")
	}
	s := &workload.Scenario{
		// The description leaves the properties out: they may hold secrets.
		Name: "perf-test", Description: fmt.Sprintf("kafka-producer-perf-test --topic %s --num-records %d --record-size %d --throughput %v", *topic, *num, *size, *tput),
		Messages: *num, Workers: 1, Seed: 1,
		Topics: []workload.Topic{{Name: *topic, Partitions: *partitions}},
		Keys:   workload.Keys{Distribution: workload.DistributionNone},
	}
	if *tput < 0 {
		s.Rate = workload.Rate{Profile: workload.ProfileMax}
	} else {
		s.Rate = workload.Rate{Profile: workload.ProfileConstant, MessagesPerSecond: *tput}
	}
	if *payloadFile != "" {
		d := strings.ReplaceAll(*delim, `\n`, "\n")
		s.Message = workload.Message{Payload: workload.Payload{Kind: workload.PayloadFile, File: *payloadFile, Delimiter: &d}}
	} else {
		// perf-test's payload: random upper-case letters A to Z.
		sep := ""
		s.Message = workload.Message{Size: workload.FixedSize(workload.Size(*size)),
			Payload: workload.Payload{Kind: workload.PayloadText, Separator: &sep, Words: strings.Split("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "")}}
	}
	var all []workload.Property
	if *config != "" {
		data, err := os.ReadFile(*config)
		if err != nil {
			return fail(stderr, exitUsage, "perf-test: --producer.config: %v", err)
		}
		ps, err := workload.ParseProperties(string(data), 1)
		if err != nil {
			return fail(stderr, exitUsage, "perf-test: %s: %v", *config, err)
		}
		all = append(all, ps...)
	}
	for _, kv := range *props {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fail(stderr, exitUsage, "perf-test: --producer-props: want key=value, got %q", kv)
		}
		all = append(all, workload.Property{Key: strings.TrimSpace(k), Value: v})
	}
	pr, err := workload.ApplyKafkaProperties(&s.Producer, all)
	if err != nil {
		return fail(stderr, exitUsage, "perf-test: %v", err)
	}
	if len(pr.Ignored) > 0 {
		fmt.Fprintf(stderr, "prodbench: producer properties not used: %s\n", strings.Join(pr.Ignored, ", "))
	}
	if pr.Bootstrap != "" && !fs.Changed("target") && !fs.Changed("brokers") {
		if err := s.SetTargetURL("kafka://" + pr.Bootstrap); err != nil {
			return fail(stderr, exitUsage, "perf-test: bootstrap.servers: %v", err)
		}
	}
	if err := applyTarget(s, fs, &f); err != nil {
		return fail(stderr, exitUsage, "perf-test: %v", err)
	}
	if sys, _, err := s.TargetSystem(); err == nil {
		s.Engine = sys.DefaultEngine()
	}
	if err := s.Validate(); err != nil {
		return fail(stderr, exitUsage, "perf-test: %v", err)
	}
	cfg, err := s.ProducerConfig()
	if err != nil {
		return fail(stderr, exitUsage, "perf-test: %v", err)
	}
	f.quiet = true
	dir := f.out
	if dir == "" {
		dir = resultsDir("perf-test")
	}
	fmt.Fprintln(stderr, "prodbench: latency is measured from each record's intended send time (perf-test measures from the send call); MB/sec is 2^20 bytes, as perf-test")
	pw := &perfWindowPrinter{w: stdout, hist: report.NewHistogram()}
	f.onInterval = pw.add
	res, code := runOnce(ctx, s, cfg, &f, dir, io.Discard, stderr)
	if res == nil {
		return code
	}
	if err := writePerfTotal(stdout, res); err != nil {
		return fail(stderr, exitFailure, "perf-test: %v", err)
	}
	if *printMetrics {
		writePerfMetrics(stdout, res)
	}
	return code
}

// gatherProps rewrites perf-test's "--producer-props a=1 b=2" (several
// words) to one --producer-props flag per word.
func gatherProps(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a != "--producer-props" {
			out = append(out, a)
			continue
		}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && strings.Contains(args[i+1], "=") {
			i++
			out = append(out, "--producer-props="+args[i])
		}
	}
	return out
}

// perfWindowPrinter prints perf-test's 5 s lines from the 1 s intervals.
type perfWindowPrinter struct {
	w       io.Writer
	hist    *hdrhistogram.Histogram
	start   time.Time
	count   int64
	bytesMB float64 // 10^6 bytes, from the intervals
}

func (p *perfWindowPrinter) add(iv report.Interval) {
	if p.start.IsZero() {
		p.start = iv.Start
	}
	p.hist.Merge(iv.Histogram)
	p.count += iv.Acked
	p.bytesMB += iv.MBPerSec * iv.End.Sub(iv.Start).Seconds()
	if iv.End.Sub(p.start) >= perfWindow {
		p.print(iv.End)
	}
}

// print writes ProducerPerformance.printWindow's line:
// "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.%n".
func (p *perfWindowPrinter) print(end time.Time) {
	secs := end.Sub(p.start).Seconds()
	if p.count > 0 && secs > 0 {
		fmt.Fprintf(p.w, "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.\n",
			p.count, float64(p.count)/secs, p.bytesMB*1e6/secs/(1<<20), p.hist.Mean()/1e6, float64(p.hist.Max())/1e6)
	}
	p.hist.Reset()
	p.start, p.count, p.bytesMB = end, 0, 0
}

// writePerfTotal writes ProducerPerformance.printTotal's line:
// "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.%n".
func writePerfTotal(w io.Writer, res *report.Result) error {
	h, err := report.DecodeHistogram(res.Latency.Histogram)
	if err != nil {
		return err
	}
	secs := float64(res.MeasuredNs) / 1e9
	n := res.Counts.Acked
	rate, mb := 0.0, 0.0
	if secs > 0 {
		rate = float64(n) / secs
		mb = float64(res.Counts.AckedBytes) / secs / (1 << 20)
	}
	ms := func(q float64) int64 { return h.ValueAtQuantile(q) / 1e6 }
	_, err = fmt.Fprintf(w, "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
		n, rate, mb, h.Mean()/1e6, float64(h.Max())/1e6, ms(50), ms(95), ms(99), ms(99.9))
	return err
}

// writePerfMetrics prints the run's producer figures in the layout of
// Kafka's ToolsUtils.printMetrics (name : value), with Kafka's metric
// names where prodbench has the figure.
func writePerfMetrics(w io.Writer, res *report.Result) {
	var b bytes.Buffer
	secs := float64(res.MeasuredNs) / 1e9
	rows := [][2]string{
		{"producer-metrics:batch-size-avg", fmt.Sprintf("%.3f", res.Batches.MeanCompressedBytes)},
		{"producer-metrics:compression-rate-avg", fmt.Sprintf("%.3f", 1/nonZero(res.Batches.CompressionRatio))},
		{"producer-metrics:record-error-total", fmt.Sprintf("%d", res.Counts.Failed)},
		{"producer-metrics:record-send-total", fmt.Sprintf("%d", res.Counts.Sent)},
		{"producer-metrics:record-send-rate", fmt.Sprintf("%.3f", float64(res.Counts.Sent)/nonZero(secs))},
		{"producer-metrics:records-per-batch-avg", fmt.Sprintf("%.3f", res.Batches.MeanRecordsPerBatch)},
		{"producer-metrics:requests-in-flight-avg", fmt.Sprintf("%.3f", res.InFlight.Mean)},
	}
	for kind, n := range res.Counts.FailedByKind {
		rows = append(rows, [2]string{"prodbench:failed-total:{kind=" + kind + "}", fmt.Sprintf("%d", n)})
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	fmt.Fprintf(&b, "\n%-*s   %s\n", width, "Metric Name", "Value")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s : %s\n", width, r[0], r[1])
	}
	_, _ = w.Write(b.Bytes())
}

func nonZero(x float64) float64 {
	if x == 0 {
		return 1
	}
	return x
}
