package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/live"
	"github.com/prodbench/prodbench/report/verdict"
	"github.com/prodbench/prodbench/workload"
	"github.com/prodbench/prodbench/workload/verify"
)

// exitThresholds is the exit code when a threshold is crossed (k6's 99);
// the result is written first.
const exitThresholds = verdict.ExitThresholdsCrossed

const runUsage = `Usage: prodbench run SCENARIO [flags]

Runs the scenario file SCENARIO: workers send on an open-loop schedule at
the scenario's rate through the producer to its target system — chosen by
the scenario's target: block or --target URL (Kafka brokers, the simulator,
and every other registered system), an embedded in-process stand-in when no
address is given. A
live line goes to stderr each second; the summary goes to stdout; the
result (result.json, summary.txt, report.md, report.html, latency.hlog,
*.hgrm, timeseries.csv and plots) goes to results/<scenario>-<UTC
timestamp>/ unless --out is set. With --count N the scenario runs N times,
into rep-1 ... rep-N under that directory.

Thresholds (the scenario's thresholds: list and every --threshold) are
checked before the run and evaluated after it: a crossed threshold still
writes the full result, then exits 99.

Ctrl-C stops sending, waits for messages in flight and writes a result
marked interrupted (exit 130).

Flags:
%s
Examples:
  prodbench run scenarios/quickstart.yaml
  prodbench run scenarios/quickstart.yaml --duration 30s --rate 50000
  prodbench run scenarios/quickstart.yaml --brokers 127.0.0.1:9092 --out /tmp/q
  prodbench run scenarios/quickstart.yaml --target kafka://10.0.0.1:9092,10.0.0.2:9092
  prodbench run scenarios/quickstart.yaml --count 5 --threshold 'p(99) < 20ms'
  prodbench run scenarios/peer-100b.yaml --engine franz-go
`

// runFlags are the run command's options.
type runFlags struct {
	shard      string
	shards     int
	startAt    string
	emitResult bool
	target     string
	brokers    string
	out        string
	duration   time.Duration
	warmup     time.Duration // --warmup; applied only when given
	rate       float64
	retain     bool
	drain      time.Duration
	quiet      bool
	cpuProf    string
	memProf    string
	engine     string
	count      int
	thresholds []string
	// thresholdList are the parsed thresholds runOnce evaluates.
	thresholdList []verdict.Threshold
	produceDelay  time.Duration
	ombDriver     string         // --omb-driver (omb.go)
	verify        bool           // --verify (verify.go)
	metricsAddr   string         // --metrics-addr (metrics.go)
	live          *live.Exporter // its exporter, nil when off
	step          int            // sweep point or capacity step, 1-based
	stepName      string         // its label
	// onInterval, when set, sees every interval (perf-test's lines,
	// the metrics exporter).
	onInterval func(report.Interval)
}

func init() {
	register(command{name: "run", summary: "run a scenario and write its results", run: cmdRun})
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := newFlagSet("run")
	addTargetFlags(fs, &f, "run")
	fs.StringVar(&f.shard, "shard", "", "run shard I/N of the scenario's one schedule: the messages i ≡ I (mod N), at their intended times (distributed runs; merge with prodbench merge)")
	fs.IntVar(&f.shards, "shards", 0, "like --shard with the index from $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)")
	fs.StringVar(&f.startAt, "start-at", "", "start the schedule at this RFC 3339 instant (e.g. 2026-12-04T10:00:00Z), the same on every shard; a start already passed is an error")
	fs.BoolVar(&f.emitResult, "emit-result", false, "also print result.json between marker lines on stdout (for kubectl logs | prodbench merge)")
	fs.StringVar(&f.out, "out", "", "result directory (default results/<scenario>-<UTC timestamp>)")
	fs.DurationVar(&f.duration, "duration", 0, "override the scenario's duration (warmup included)")
	fs.DurationVar(&f.warmup, "warmup", 0, "override the scenario's warmup (sent, not measured; 0 or more, shorter than the duration)")
	fs.Float64Var(&f.rate, "rate", 0, "override a constant-rate scenario's rate, msg/s")
	fs.BoolVar(&f.quiet, "quiet", false, "no live progress line")
	fs.StringVar(&f.cpuProf, "cpuprofile", "", "write a CPU profile of the run (pprof format) to FILE")
	fs.StringVar(&f.memProf, "memprofile", "", "write a heap profile (allocations, pprof format) to FILE at the end of the run")
	fs.StringVar(&f.engine, "engine", "", "producer engine of the target system, e.g. native or franz-go for Kafka (default: the scenario's engine, else the system's first)")
	fs.IntVar(&f.count, "count", 1, "run the scenario this many times; each repetition keeps its own result")
	fs.StringArrayVar(&f.thresholds, "threshold", nil, "threshold to enforce, e.g. 'p(99) < 20ms' (repeatable; see 'prodbench help thresholds' in the README)")
	fs.DurationVar(&f.produceDelay, "x-produce-delay", 0, "test knob: delay every produce request (native engine)")
	_ = fs.MarkHidden("x-produce-delay")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve live Prometheus metrics on host:port during the run, e.g. 127.0.0.1:9464 (a missing host means 127.0.0.1; off by default)")
	fs.BoolVar(&f.verify, "verify", false, "stamp every message and read the topics back after the run: lost, duplicated, reordered, corrupted records per partition (a loss or corruption exits 1; as the scenario's verify: true)")
	fs.StringVar(&f.ombDriver, "omb-driver", "", "OpenMessaging Benchmark Kafka driver file (driver-kafka/kafka-*.yaml) whose producer properties and bootstrap.servers apply (see docs/coming-from-omb.md)")
	if code, done := parseScenarioArg(fs, args, runUsage, stdout, stderr); done {
		return code
	}
	s, err := workload.Load(fs.Arg(0))
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if err := applyOMB(s, f.ombDriver, stderr); err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if err := applyOverrides(s, fs, &f); err != nil {
		return fail(stderr, exitUsage, "run: %v", err)
	}
	cfg, err := s.ProducerConfig()
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if f.drain <= 0 {
		return fail(stderr, exitUsage, "run: --drain-timeout must be positive, got %v", f.drain)
	}
	if f.count < 1 {
		return fail(stderr, exitUsage, "run: --count must be at least 1, got %d", f.count)
	}
	if s.Verify {
		f.verify = true
	}
	if f.verify {
		f.retain = true // an embedded broker must keep what it gets to give it back
	}
	thresholds, err := parseThresholds(s, f.thresholds)
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	base := f.out
	if base == "" {
		base = resultsDir(s.Name)
	}
	stopMetrics, err := startMetrics(&f, stderr)
	if err != nil {
		return fail(stderr, exitUsage, "run: --metrics-addr: %v", err)
	}
	defer stopMetrics()
	attachMetrics(&f, s, cfg, 0, "")
	crossed := false
	for i := 1; i <= f.count; i++ {
		dir := base
		if f.count > 1 {
			dir = filepath.Join(base, fmt.Sprintf("rep-%d", i))
			fmt.Fprintf(stderr, "prodbench: repetition %d of %d\n", i, f.count)
		}
		f.thresholdList = thresholds
		res, code := runOnce(ctx, s, cfg, &f, dir, stdout, stderr)
		if res == nil || code == exitInterrupted || code == exitFailure {
			return code
		}
		if code == exitThresholds {
			crossed = true
		}
	}
	if crossed {
		fmt.Fprintf(stderr, "prodbench: a threshold was crossed or the run was degraded (exit %d); results in %s\n", exitThresholds, base)
		return exitThresholds
	}
	return exitOK
}

// writeResult writes a run's result directory; tests replace it to make
// the final write fail.
var writeResult = report.Write

// checkOutDir creates the result directory dir and checks that a file can
// be created in it, before the run starts: a read-only or missing parent
// is found before the run, not after it. created reports that dir did not
// exist before.
func checkOutDir(dir string) (created bool, err error) {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		created = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".prodbench-probe-*")
	if err != nil {
		return created, fmt.Errorf("%s is not writable: %w", dir, err)
	}
	probe.Close()
	return created, os.Remove(probe.Name())
}

// fallbackDir is where a run's results go when its result directory
// cannot be written at the end: os.TempDir()/prodbench-results/<base of
// dir>-<UTC time>.
func fallbackDir(dir string) string {
	return filepath.Join(os.TempDir(), "prodbench-results",
		fmt.Sprintf("%s-%s", filepath.Base(filepath.Clean(dir)), time.Now().UTC().Format("20060102T150405.000Z")))
}

// parseThresholds parses the scenario's thresholds (errors at their line)
// and the --threshold flags.
func parseThresholds(s *workload.Scenario, flags []string) ([]verdict.Threshold, error) {
	var out []verdict.Threshold
	for i, t := range s.Thresholds {
		th, err := verdict.ParseThreshold(t)
		if err != nil {
			return nil, s.Errorf(fmt.Sprintf("thresholds[%d]", i), "%v", err)
		}
		out = append(out, th)
	}
	for _, t := range flags {
		th, err := verdict.ParseThreshold(t)
		if err != nil {
			return nil, fmt.Errorf("run: --threshold: %w", err)
		}
		out = append(out, th)
	}
	return out, nil
}

// applyOverrides applies --warmup, --duration, --rate and --engine to s
// and validates it again.
func applyOverrides(s *workload.Scenario, fs *pflag.FlagSet, f *runFlags) error {
	if fs.Lookup("warmup") != nil && fs.Changed("warmup") {
		if f.warmup < 0 {
			return fmt.Errorf("--warmup must not be negative, got %v", f.warmup)
		}
		if d := s.Duration.D(); d > 0 && !fs.Changed("duration") && f.warmup >= d {
			return fmt.Errorf("--warmup %v must be shorter than the scenario's duration %v", f.warmup, d)
		}
		s.Warmup = workload.Duration(f.warmup)
	}
	if fs.Changed("duration") {
		if f.duration <= s.Warmup.D() {
			return fmt.Errorf("--duration %v must be longer than the scenario's warmup %v", f.duration, s.Warmup.D())
		}
		s.Duration = workload.Duration(f.duration)
	}
	if fs.Changed("rate") {
		if !(f.rate > 0) || math.IsInf(f.rate, 0) {
			return fmt.Errorf("--rate must be a positive number of msg/s, got %v", f.rate)
		}
		if p := s.Rate.Profile; p != "" && p != workload.ProfileConstant {
			return fmt.Errorf("--rate applies to constant-rate scenarios; %s uses the %s profile", s.File, p)
		}
		s.Rate.MessagesPerSecond = f.rate
	}
	if err := applyTarget(s, fs, f); err != nil {
		return err
	}
	if fs.Changed("engine") {
		sys, _, err := s.TargetSystem()
		if err != nil {
			return err
		}
		if !sys.HasEngine(f.engine) || f.engine == "" {
			return fmt.Errorf("--engine: target kind %s has engines %v, got %q", sys.Kind, sys.Engines, f.engine)
		}
		s.Engine = f.engine
	}
	return s.Validate()
}

// runOnce runs s once into dir. It returns the written result (nil when
// nothing was written) and the exit code: exitOK, exitInterrupted, or the
// failure's code.
func runOnce(ctx context.Context, s *workload.Scenario, cfg producer.Config, f *runFlags, dir string, stdout, stderr io.Writer) (*report.Result, int) {
	var rec *report.Recorder
	cfg.OnBatch = func(info producer.BatchInfo, reason string) {
		rec.Batch(int(info.Records), int(info.UncompressedBytes), int(info.CompressedBytes), reason)
	}
	created, err := checkOutDir(dir)
	if err != nil {
		return nil, fail(stderr, exitUsage, "run: --out: %v", err)
	}
	openCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	o, err := openEngine(openCtx, s, cfg, f, stderr)
	cancel()
	if err != nil {
		if created {
			_ = os.Remove(dir) // no empty result directory after a failed start
		}
		return nil, fail(stderr, openExit(err), "run: %v", err)
	}
	defer release(o)
	var runID uint64
	if f.verify {
		if err := verifySupported(s, o); err != nil {
			_ = closeWithin(o.Engine, time.Second)
			return nil, fail(stderr, exitUsage, "run: %v", err)
		}
		runID = newRunID()
	}
	stopProfile, err := startProfiles(f.cpuProf, f.memProf)
	if err != nil {
		_ = closeWithin(o.Engine, time.Second)
		return nil, fail(stderr, exitUsage, "run: %v", err)
	}

	floor := report.MeasureTimerFloor(200 * time.Millisecond)
	start := time.Now()
	shard, startAt, err := shardFlags(f)
	if err != nil {
		_ = closeWithin(o.Engine, time.Second)
		return nil, fail(stderr, exitUsage, "run: %v", err)
	}
	if !startAt.IsZero() {
		if startAt.Before(start) {
			_ = closeWithin(o.Engine, time.Second)
			return nil, fail(stderr, exitFailure, "run: --start-at %s has already passed (now %s): too late to start this shard", f.startAt, start.UTC().Format(time.RFC3339))
		}
		start = startAt
		fmt.Fprintf(stderr, "prodbench: shard %s waiting for the common start %s\n", shard, startAt.UTC().Format(time.RFC3339))
	}
	warmupEnd := start.Add(s.Warmup.D())
	rec = report.NewRecorder(start, s.Warmup.D(), time.Second)
	if o.InFlight != nil {
		rec.SetInFlight(o.InFlight)
	}
	live := func(iv report.Interval) {
		if f.onInterval != nil {
			f.onInterval(iv)
		}
		if f.quiet {
			return
		}
		tag := ""
		if iv.Start.Before(warmupEnd) {
			tag = " (warmup)"
		}
		fmt.Fprintf(stderr, "%6.1fs  %9.0f msg/s  p99 %8.3f ms  lag p99 %7.3f ms  acked %d  errors %d%s\n",
			iv.End.Sub(start).Seconds(), iv.MsgsPerSec, float64(iv.P99Ns)/1e6, float64(iv.LagP99Ns)/1e6, iv.Acked, iv.Failed, tag)
	}
	if o.Start != nil {
		o.Start()
	}
	snds := senders(o) // target.go: one per producer
	counts := make([]workload.ProducerCounts, len(snds))
	info, err := workload.Run(ctx, s, workload.RunOptions{Senders: snds, Counts: counts, Recorder: rec, Start: start, Shard: shard,
		MaxStartDelay: maxStartDelay(startAt), Tick: func(now time.Time) { live(rec.Tick(now)) }, VerifyRun: runID})
	if err != nil {
		_ = closeWithin(o.Engine, time.Second)
		if se := (*workload.Error)(nil); errors.As(err, &se) {
			return nil, fail(stderr, exitUsage, "run: %v", err) // bad input found late: a payload file
		}
		return nil, fail(stderr, exitFailure, "run: %v", err)
	}
	if info.Interrupted {
		fmt.Fprintf(stderr, "prodbench: interrupted after %d of %d messages; waiting up to %v for messages in flight (interrupt again to fail them now)\n",
			info.Sent, info.Scheduled, f.drain)
	}
	drainCtx, cancelDrain := context.WithTimeout(hardStop(ctx), f.drain)
	if err := o.Engine.Close(drainCtx); err != nil {
		if hardStop(ctx).Err() != nil {
			fmt.Fprintf(stderr, "prodbench: interrupted again: messages in flight were failed as closed\n")
		} else {
			fmt.Fprintf(stderr, "prodbench: messages still in flight after %v were failed as closed\n", f.drain)
		}
	}
	cancelDrain()
	end := time.Now()
	if err := stopProfile(); err != nil {
		fmt.Fprintf(stderr, "prodbench: profile: %v\n", err)
	}
	res, err := report.NewResult(rec.Finish(end))
	if err != nil {
		return nil, fail(stderr, exitFailure, "run: %v", err)
	}
	fillResult(res, s, cfg, o, info)
	res.Producers = producerResults(o, counts)
	if info.Verify != nil {
		fmt.Fprintf(stderr, "prodbench: verify: reading back %d topic(s) from %s\n", len(info.Verify.Topics), o.Target)
		res.Verify = checkDelivery(ctx, o, info.Verify)
	}
	res.TimerFloor = floor
	res.CPUNsPerRecord = cpuNsPerRecord(o.Engine.Stats().Records)
	if shard.Count > 1 {
		res.Shard = &report.Shard{Index: int(shard.Index), Count: int(shard.Count), StartedAt: info.Began}
	}
	report.Finalize(res)
	if len(f.thresholdList) > 0 && res.Status != report.StatusInterrupted {
		if m, err := verdict.MetricsFromResult(res); err != nil {
			fmt.Fprintf(stderr, "prodbench: thresholds: %v\n", err)
		} else {
			out, _ := verdict.Evaluate(f.thresholdList, m)
			verdict.Record(res, out)
		}
	}
	writeErr := writeResult(dir, res)
	if writeErr != nil {
		fallback := fallbackDir(dir)
		if err := os.MkdirAll(fallback, 0o755); err == nil {
			err = writeResult(fallback, res)
		}
		if err == nil {
			fmt.Fprintf(stderr, "prodbench: writing results to %s failed: %v; wrote them to %s instead\n", dir, writeErr, fallback)
			dir = fallback
		} else {
			fmt.Fprintf(stderr, "prodbench: writing results to %s failed: %v; the fallback %s failed too: %v\n", dir, writeErr, fallback, err)
			dir = ""
		}
	}
	if info.Verify != nil && dir != "" {
		if err := writeOutcomes(dir, info.Verify); err != nil {
			fmt.Fprintf(stderr, "prodbench: verify: writing %s: %v\n", verify.FileName, err)
		}
	}
	if sum, ok := o.Info["summary"].(string); ok && sum != "" {
		fmt.Fprintf(stdout, "%s\n", sum)
	}
	if o.StandIn {
		fmt.Fprintf(stdout, "target:      %s — an in-process STAND-IN, not the real system: its latency says nothing about it\n", o.Target)
	}
	_ = report.WriteSummary(stdout, res)
	if len(res.Thresholds) > 0 {
		fmt.Fprintln(stdout, "\nthresholds:")
		for _, t := range res.Thresholds {
			mark := "ok    "
			if !t.OK {
				mark = "FAILED"
			}
			fmt.Fprintf(stdout, "  %s %s (observed %s)\n", mark, t.Threshold, t.Observed)
		}
	}
	if f.emitResult {
		if err := emitResult(stdout, res); err != nil {
			fmt.Fprintf(stderr, "prodbench: --emit-result: %v\n", err)
		}
	}
	if writeErr != nil {
		// The summary above is the evidence; exit 1 so CI notices.
		return res, exitFailure
	}
	fmt.Fprintf(stderr, "prodbench: results in %s\n", dir)
	if info.Interrupted {
		return res, exitInterrupted
	}
	if code := verdict.ExitCode(res); code != 0 {
		fmt.Fprintf(stderr, "prodbench: %s\n", report.StatusLine(res))
		return res, code
	}
	return res, exitOK
}

// fillResult adds what the recorder does not know: status, scenario,
// options, environment, target rates and closed loop.
func fillResult(res *report.Result, s *workload.Scenario, cfg producer.Config, o *registry.Opened, info workload.RunInfo) {
	if info.Interrupted {
		res.Status = report.StatusInterrupted
	}
	res.Scenario = report.Scenario{Name: s.Name, Description: s.Description, File: s.File}
	if spec, err := json.Marshal(s); err == nil {
		res.Scenario.Spec = spec
	}
	res.Options = optionsJSON(cfg, o)
	res.EngineCaps = &report.EngineCaps{Batches: o.Caps.Batches, Compression: o.Caps.Compression}
	res.Environment = report.CollectEnvironment()
	res.ClosedLoop = info.ClosedLoop
	res.Workers = s.Workers
	if !info.ClosedLoop {
		measured := time.Duration(res.MeasuredNs)
		res.TargetRateMsgsPerSec = s.Rate.MeanRate(measured)
		for i := range res.Intervals {
			row := &res.Intervals[i]
			from, to := time.Duration(row.StartNs), time.Duration(row.EndNs)
			if to > from {
				row.TargetMsgsPerSec = float64(targetCount(s, to)-targetCount(s, from)) / (to - from).Seconds()
			}
		}
	}
	if !info.ClosedLoop {
		from, to := time.Duration(res.WarmupNs), time.Duration(res.WarmupNs+res.MeasuredNs)
		a, b := targetCount(s, from), targetCount(s, to)
		if sh := info.Shard; sh.Count > 1 {
			a, b = sh.Share(a), sh.Share(b)
		}
		res.DueInWindow = b - a
	}
	if o.Faults != nil {
		for _, ev := range o.Faults() {
			f := report.Fault{Fault: ev.Fault, Kind: ev.Kind, Count: ev.Count, FirstNs: int64(ev.First), LastNs: int64(ev.Last)}
			for _, sp := range ev.Spans {
				f.Spans = append(f.Spans, [2]int64{int64(sp.From), int64(sp.To)})
			}
			res.Faults = append(res.Faults, f)
		}
	}
	st := o.Engine.Stats()
	res.Producer.Retries = st.Retries
	// An engine without a per-batch hook (Config.OnBatch): fall back to its
	// whole-run totals (warmup included).
	if res.Batches.Count == 0 {
		if st := o.Engine.Stats(); st.Batches > 0 {
			res.Batches = report.NewBatches(st.Batches, st.Records, st.UncompressedBytes, st.WireBytes)
		}
	}
}

// targetCount is how many messages the schedule holds in [0, d).
func targetCount(s *workload.Scenario, d time.Duration) int64 {
	sched, err := workload.NewSchedule(s.Rate, s.Seed)
	if err != nil {
		return 0
	}
	return sched.Count(d)
}

// optionsJSON is the producer configuration with the engine and target.
func optionsJSON(cfg producer.Config, o *registry.Opened) json.RawMessage {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw
	}
	m["engine"] = o.EngineName
	m["target"] = o.Target
	if o.StandIn {
		m["stand_in"] = true
	}
	if o.Info != nil {
		m["target_info"] = o.Info // the cluster picture (kafka), no secrets
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// targetOf returns the target named in res's options ("sim", "embedded
// kafka 127.0.0.1:…"), or "".
func targetOf(res *report.Result) string {
	var o struct {
		Target string `json:"target"`
	}
	if json.Unmarshal(res.Options, &o) != nil {
		return ""
	}
	return o.Target
}

// maxStartDelay is how late a shard may begin after a --start-at instant
// before the run is refused as not the planned load; without --start-at
// the start is "now" and any delay in opening the engine is fine.
func maxStartDelay(startAt time.Time) time.Duration {
	if startAt.IsZero() {
		return 0
	}
	return time.Second
}
