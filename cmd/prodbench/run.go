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
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka"
	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload"
)

const runUsage = `Usage: prodbench run SCENARIO [flags]

Runs the scenario file SCENARIO: workers send on an open-loop schedule at
the scenario's rate through the producer core to Kafka brokers (an embedded
in-process broker when --brokers is not given). A live line goes to stderr
each second; the summary goes to stdout; result.json, summary.txt and
latency.png go to results/<scenario>-<UTC timestamp>/ unless --out is set.
Ctrl-C stops sending, waits for messages in flight and writes a result
marked interrupted (exit 130).

Flags:
%s
Examples:
  prodbench run scenarios/quickstart.yaml
  prodbench run scenarios/quickstart.yaml --duration 30s --rate 50000
  prodbench run scenarios/quickstart.yaml --brokers 127.0.0.1:9092 --out /tmp/q
`

// runFlags are the run command's options.
type runFlags struct {
	brokers  []string
	out      string
	duration time.Duration
	rate     float64
	retain   bool
	drain    time.Duration
	quiet    bool
}

func init() {
	register(command{name: "run", summary: "run a scenario and write its results", run: cmdRun})
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringSliceVar(&f.brokers, "brokers", nil, "Kafka bootstrap brokers host:port,... (default: start an embedded broker)")
	fs.StringVar(&f.out, "out", "", "result directory (default results/<scenario>-<UTC timestamp>)")
	fs.DurationVar(&f.duration, "duration", 0, "override the scenario's duration (warmup included)")
	fs.Float64Var(&f.rate, "rate", 0, "override the scenario's rate, msg/s")
	fs.BoolVar(&f.retain, "retain", false, "embedded broker keeps produced data (default: discard it)")
	fs.DurationVar(&f.drain, "drain-timeout", 30*time.Second, "after sending, how long to wait for messages in flight before failing them")
	fs.BoolVar(&f.quiet, "quiet", false, "no live progress line")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, runUsage, fs.FlagUsages())
			return exitOK
		}
		return fail(stderr, exitUsage, "run: %v (see 'prodbench help run')", err)
	}
	if fs.NArg() != 1 {
		return fail(stderr, exitUsage, "run: want exactly one scenario file, got %d arguments (see 'prodbench help run')", fs.NArg())
	}
	s, err := workload.Load(fs.Arg(0))
	if err != nil {
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
	return runScenario(ctx, s, cfg, &f, stdout, stderr)
}

// applyOverrides applies --duration and --rate to s and validates again.
func applyOverrides(s *workload.Scenario, fs *pflag.FlagSet, f *runFlags) error {
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
		s.Rate.MessagesPerSecond = f.rate
	}
	return s.Validate()
}

// connect returns a transport to --brokers, or to a new embedded broker
// holding the scenario's topics; stop releases both.
func connect(ctx context.Context, s *workload.Scenario, cfg producer.Config, f *runFlags) (*kafka.Transport, func(), error) {
	var emb *kafka.Embedded
	brokers := f.brokers
	if len(brokers) == 0 {
		topics := map[string]int32{}
		for _, t := range s.Topics {
			topics[t.Name] = int32(t.Partitions)
		}
		var err error
		emb, err = kafka.StartEmbedded(kafka.EmbeddedOptions{Topics: topics, Retain: f.retain})
		if err != nil {
			return nil, nil, err
		}
		brokers = emb.Addrs()
	}
	tr, err := kafka.New(ctx, kafka.Options{Brokers: brokers, Acks: cfg.Acks, RequestTimeout: cfg.RequestTimeout})
	if err != nil {
		if emb != nil {
			emb.Close()
		}
		return nil, nil, err
	}
	// Load every topic's metadata now, so a missing topic fails before
	// the run starts and before any result directory exists.
	for _, t := range s.Topics {
		if _, err := tr.Partitions(ctx, t.Name); err != nil {
			tr.Close()
			if emb != nil {
				emb.Close()
			}
			return nil, nil, fmt.Errorf("topic %q on %s: %w", t.Name, strings.Join(brokers, ","), err)
		}
	}
	stop := func() {
		tr.Close()
		if emb != nil {
			emb.Close()
		}
	}
	return tr, stop, nil
}

func runScenario(ctx context.Context, s *workload.Scenario, cfg producer.Config, f *runFlags, stdout, stderr io.Writer) int {
	connectCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	tr, stopTransport, err := connect(connectCtx, s, cfg, f)
	cancel()
	if err != nil {
		return fail(stderr, exitFailure, "run: %v", err)
	}
	defer stopTransport()
	p, err := producer.New(cfg, tr)
	if err != nil {
		return fail(stderr, exitUsage, "run: %v", err)
	}
	dir := f.out
	if dir == "" {
		dir = filepath.Join("results", fmt.Sprintf("%s-%s", s.Name, time.Now().UTC().Format("20060102T150405Z")))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		_ = p.Close(context.Background())
		return fail(stderr, exitFailure, "run: %v", err)
	}

	start := time.Now()
	warmupEnd := start.Add(s.Warmup.D())
	rec := report.NewRecorder(start, s.Warmup.D(), time.Second)
	// Producer counters at the end of warmup, so batch statistics cover
	// the measured window only.
	var statsMu sync.Mutex
	atWarmup := producer.Stats{}
	warmupTimer := time.AfterFunc(s.Warmup.D(), func() {
		statsMu.Lock()
		atWarmup = p.Stats()
		statsMu.Unlock()
	})
	live := func(iv report.Interval) {
		if f.quiet {
			return
		}
		tag := ""
		if iv.Start.Before(warmupEnd) {
			tag = " (warmup)"
		}
		fmt.Fprintf(stderr, "%6.1fs  %9.0f msg/s  p99 %8.3f ms  acked %d  errors %d%s\n",
			iv.End.Sub(start).Seconds(), iv.MsgsPerSec, float64(iv.P99Ns)/1e6, iv.Acked, iv.Failed, tag)
	}
	info, err := workload.Run(ctx, s, workload.RunOptions{Sender: p, Recorder: rec, Start: start, OnInterval: live})
	if err != nil {
		_ = p.Close(context.Background())
		return fail(stderr, exitFailure, "run: %v", err)
	}
	if info.Interrupted {
		fmt.Fprintf(stderr, "prodbench: interrupted after %d of %d messages; waiting up to %v for messages in flight\n",
			info.Sent, info.Scheduled, f.drain)
	}
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), f.drain)
	closeErr := p.Close(drainCtx)
	cancelDrain()
	if closeErr != nil {
		fmt.Fprintf(stderr, "prodbench: messages still in flight after %v were failed as closed\n", f.drain)
	}
	warmupTimer.Stop()
	end := time.Now()
	sum := rec.Finish(end)

	res, err := report.NewResult(sum)
	if err != nil {
		return fail(stderr, exitFailure, "run: %v", err)
	}
	if info.Interrupted {
		res.Status = report.StatusInterrupted
	}
	res.Scenario = report.Scenario{Name: s.Name, Description: s.Description, File: s.File}
	if spec, err := json.Marshal(s); err == nil {
		res.Scenario.Spec = spec
	}
	if opts, err := json.Marshal(cfg); err == nil {
		res.Options = opts
	}
	res.Environment = report.CollectEnvironment()
	res.TargetRateMsgsPerSec = s.Rate.MessagesPerSecond
	statsMu.Lock()
	st := p.Stats()
	if !end.Before(warmupEnd) {
		st = st.Sub(atWarmup)
	}
	statsMu.Unlock()
	res.Batches = report.NewBatches(st.Batches, st.Records, st.UncompressedBytes, st.WireBytes)
	if err := report.Write(dir, res); err != nil {
		return fail(stderr, exitFailure, "run: writing results: %v", err)
	}
	_ = report.WriteSummary(stdout, res)
	fmt.Fprintf(stderr, "prodbench: results in %s\n", dir)
	if info.Interrupted {
		return exitInterrupted
	}
	return exitOK
}
