package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/sweep"
	"github.com/prodbench/prodbench/workload"
)

// lingerBatchSweep is the must-show sweep: linger × max_batch_bytes at a
// fixed 10k msg/s of 200 B keyed messages over 2 partitions (about 5,000
// msg/s and 1 MB/s per partition) on the embedded broker.
const lingerBatchSweep = `name: linger-batch-test
duration: 1500ms
warmup: 300ms
seed: 3
topics: [{name: lb, partitions: 2}]
workers: 2
rate: {messages_per_second: 10000}
message: {size: 200}
keys: {distribution: uniform, count: 100}
producer: {acks: all, compression: none}
slo: {p99: 200ms, max_error_rate: 0.1%}
sweep:
  params:
    producer.linger: [0ms, 5ms, 20ms]
    producer.max_batch_bytes: [2KiB, 64KiB]
`

// TestSweepLingerBatch runs linger × max_batch_bytes on the embedded
// broker: records per batch grow with linger while the batch size is
// large enough, and with max_batch_bytes where the batch size is the
// binding limit; then runs the sweep again and checks it resumes with
// nothing left to do.
func TestSweepLingerBatch(t *testing.T) {
	if raceDetector {
		// Batch sizes depend on timing: under the race detector with other
		// packages on the same 2 cores, CI saw 5 ms and 20 ms lingers give
		// the same batches (request round trips, not linger, bound them).
		// make test runs this in its race-free, serial pass.
		t.Skip("timing-dependent; checked in make test's race-free pass")
	}
	t.Parallel()
	path := scenarioFile(t, "lb.yaml", lingerBatchSweep)
	out := filepath.Join(t.TempDir(), "sweep")
	start := time.Now()
	code, stdout, stderr := cli(context.Background(), "sweep", path, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("6 points in %v", time.Since(start).Round(time.Millisecond))
	m, err := sweep.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Done() != 6 || len(m.Points) != 6 {
		t.Fatalf("%d of %d points done", m.Done(), len(m.Points))
	}
	rpb := map[string]float64{}
	for _, p := range m.Points {
		key := p.Value("producer.linger") + "/" + p.Value("producer.max_batch_bytes")
		rpb[key] = p.Evaluation.Metrics.MeanRecordsPerBatch
		if p.Evaluation.Metrics.Failed != 0 || p.Evaluation.Metrics.Acked == 0 {
			t.Errorf("point %s: %+v", p.Label, p.Evaluation.Metrics)
		}
		if _, err := os.Stat(filepath.Join(out, p.Dir, report.ResultFile)); err != nil {
			t.Errorf("point %s: %v", p.Label, err)
		}
	}
	t.Logf("mean records per batch (linger/max_batch_bytes): %v", rpb)
	// With 64 KiB batches linger is the limit: records per batch grow with
	// it (about 5,000 msg/s per partition: ~25 records in 5 ms, ~100 in
	// 20 ms; linger 0 sends whatever is there when a request slot frees,
	// which on a slow machine is already ~19: hence only 1.2× from 0 to
	// 5 ms, as measured once in CI at 18.8 against 26.7).
	if !(rpb["5ms/64KiB"] > 1.2*rpb["0s/64KiB"] && rpb["20ms/64KiB"] > 1.5*rpb["5ms/64KiB"]) {
		t.Errorf("records per batch do not grow with linger at 64KiB: 0s %.1f, 5ms %.1f, 20ms %.1f",
			rpb["0s/64KiB"], rpb["5ms/64KiB"], rpb["20ms/64KiB"])
	}
	// With a 20 ms linger a 2 KiB batch fills after about 9 records of
	// ~210 B: max_batch_bytes binds, and a larger one holds more.
	if !(rpb["20ms/2KiB"] <= 10 && rpb["20ms/64KiB"] > 4*rpb["20ms/2KiB"] && rpb["5ms/64KiB"] > 1.5*rpb["5ms/2KiB"]) {
		t.Errorf("records per batch do not grow with max_batch_bytes: 20ms: 2KiB %.1f, 64KiB %.1f; 5ms: 2KiB %.1f, 64KiB %.1f",
			rpb["20ms/2KiB"], rpb["20ms/64KiB"], rpb["5ms/2KiB"], rpb["5ms/64KiB"])
	}
	// ...and those 2 KiB batches were sealed by size, not by linger.
	for _, p := range m.Points {
		if p.Value("producer.linger") != "20ms" || p.Value("producer.max_batch_bytes") != "2KiB" {
			continue
		}
		res, err := report.ReadResult(filepath.Join(out, p.Dir, report.ResultFile))
		if err != nil {
			t.Fatal(err)
		}
		if sb := res.Batches.SealedBy; sb[report.SealSize] <= sb[report.SealLinger] {
			t.Errorf("20ms/2KiB batches sealed by %v, want mostly by size", sb)
		}
	}
	for _, f := range []string{sweep.MarkdownFile, sweep.HTMLFile, "sweep-throughput-latency.png", "sweep-heatmap-latency.png",
		"sweep-heatmap-throughput.png", "sweep-heatmap-records.svg"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	if !strings.Contains(stdout, "best: #") || strings.Count(stderr, "ETA") != 6 || !strings.Contains(stderr, "6/6 points  done") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}

	// Run again into the same directory: every point is done.
	start = time.Now()
	code, _, stderr = cli(context.Background(), "sweep", path, "--out", out)
	if code != exitOK || !strings.Contains(stderr, "6 of 6 points already done") || strings.Contains(stderr, "ETA") {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("a finished sweep took %v to resume", el)
	}
}

// simSweep is three short points on the simulator.
const simSweep = `name: sim-sweep
duration: 800ms
warmup: 200ms
topics: [{name: s, partitions: 2}]
workers: 2
rate: {messages_per_second: 2000}
message: {size: 100}
producer: {acks: all}
target: {kind: sim, sim: {latency: {median: 1ms, p99: 1ms}}}
slo: {p99: 1s}
sweep:
  params:
    producer.linger: [0ms, 2ms, 4ms]
`

// TestSweepInterruptAndResume stops a sweep while its second point runs,
// then resumes it: the finished point is kept, the interrupted one is run
// again.
func TestSweepInterruptAndResume(t *testing.T) {
	t.Parallel()
	path := scenarioFile(t, "sim.yaml", simSweep)
	out := filepath.Join(t.TempDir(), "sweep")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the first point's result is written.
		for ctx.Err() == nil {
			if entries, _ := filepath.Glob(filepath.Join(out, "000-*", report.ResultFile)); len(entries) > 0 {
				time.Sleep(100 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	code, _, stderr := cli(ctx, "sweep", path, "--out", out)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, exitInterrupted, stderr)
	}
	m, err := sweep.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Done() != 1 || !m.Points[0].Done() || m.Points[1].Done() || m.Points[2].Status != sweep.StatusPending {
		t.Fatalf("after the interrupt: %d done; statuses %s %s %s", m.Done(), m.Points[0].Status, m.Points[1].Status, m.Points[2].Status)
	}
	if !strings.Contains(stderr, "resume with --out") {
		t.Errorf("stderr does not say how to resume:\n%s", stderr)
	}
	// The report exists and says the sweep is incomplete.
	md, err := os.ReadFile(filepath.Join(out, sweep.MarkdownFile))
	if err != nil || !strings.Contains(string(md), "2 of 3 points have not completed") {
		t.Fatalf("sweep.md: %v\n%s", err, md)
	}
	first, _ := os.Stat(filepath.Join(out, m.Points[0].Dir, report.ResultFile))

	code, stdout, stderr := cli(context.Background(), "sweep", path, "--out", out)
	if code != exitOK {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "1 of 3 points already done") || strings.Count(stderr, "ETA") != 2 {
		t.Fatalf("resume ran the wrong points:\n%s", stderr)
	}
	if m, err = sweep.ReadManifest(out); err != nil || m.Done() != 3 {
		t.Fatalf("after resuming: %v, %d done", err, m.Done())
	}
	again, _ := os.Stat(filepath.Join(out, m.Points[0].Dir, report.ResultFile))
	if !again.ModTime().Equal(first.ModTime()) {
		t.Error("the finished point was run again")
	}
	if !strings.Contains(stdout, "best: #") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestSweepCapacityBadInput(t *testing.T) {
	t.Parallel()
	withSweep := func(t *testing.T) string { return scenarioFile(t, "s.yaml", simSweep) }
	noSLO := func(t *testing.T) string {
		return scenarioFile(t, "n.yaml", strings.Split(simSweep, "slo:")[0]) // no slo, no sweep
	}
	other := func(t *testing.T) []string {
		// A sweep directory of another scenario.
		out := filepath.Join(t.TempDir(), "out")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := sweep.WriteManifest(out, &sweep.Manifest{Scenario: "someone-else", Points: []sweep.Point{{Label: "x"}}}); err != nil {
			t.Fatal(err)
		}
		return []string{"sweep", withSweep(t), "--out", out}
	}
	changed := func(t *testing.T) []string {
		// A sweep directory of this scenario, started with other settings.
		out := filepath.Join(t.TempDir(), "out")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		m := &sweep.Manifest{Scenario: "sim-sweep", SpecDigest: "0123"}
		for _, l := range []string{"0s", "2ms", "4ms"} {
			m.Points = append(m.Points, sweep.Point{Label: "producer.linger=" + l})
		}
		if err := sweep.WriteManifest(out, m); err != nil {
			t.Fatal(err)
		}
		return []string{"sweep", withSweep(t), "--out", out}
	}
	for _, tc := range []struct {
		name     string
		args     func(t *testing.T) []string
		contains []string
	}{
		{"sweep changed scenario", changed, []string{"other settings", "another --out"}},
		{"sweep brokers for the simulator", func(t *testing.T) []string { return []string{"sweep", withSweep(t), "--brokers", "127.0.0.1:1"} },
			[]string{"--brokers does not apply", "simulator"}},
		{"capacity brokers for the simulator", func(t *testing.T) []string {
			return []string{"capacity", "../../scenarios/capacity.yaml", "--brokers", "127.0.0.1:1"}
		}, []string{"--brokers does not apply"}},
		{"sweep without a sweep block", func(t *testing.T) []string { return []string{"sweep", "testdata/short.yaml"} }, []string{"no sweep: block"}},
		{"sweep unknown slo metric", func(t *testing.T) []string { return []string{"sweep", withSweep(t), "--slo", "p42=1ms"} },
			[]string{`unknown metric "p42"`, "p99.9", "error_rate"}},
		{"sweep slo without value", func(t *testing.T) []string { return []string{"sweep", withSweep(t), "--slo", "p99"} }, []string{"METRIC=VALUE"}},
		{"sweep bad slo duration", func(t *testing.T) []string { return []string{"sweep", withSweep(t), "--slo", "p99=fast"} }, []string{"p99=fast"}},
		{"sweep other sweep's directory", other, []string{"someone-else", "another --out"}},
		{"sweep two files", func(t *testing.T) []string { return []string{"sweep", "a.yaml", "b.yaml"} }, []string{"exactly one scenario"}},
		{"capacity with a sweep block", func(t *testing.T) []string { return []string{"capacity", withSweep(t)} }, []string{"sweep: block"}},
		{"capacity without slo", func(t *testing.T) []string {
			return []string{"capacity", noSLO(t)}
		}, []string{"no SLO", "--slo p99=50ms"}},
		{"capacity unknown slo metric", func(t *testing.T) []string {
			return []string{"capacity", "testdata/short.yaml", "--slo", "latency=5ms"}
		},
			[]string{`unknown metric "latency"`}},
		{"capacity bad error rate", func(t *testing.T) []string {
			return []string{"capacity", "testdata/short.yaml", "--slo", "p99=5ms", "--slo", "error_rate=150%"}
		}, []string{"error_rate=150%"}},
		{"capacity precision", func(t *testing.T) []string {
			return []string{"capacity", "testdata/short.yaml", "--slo", "p99=5ms", "--precision", "0"}
		}, []string{"--precision"}},
		{"capacity step warmup", func(t *testing.T) []string {
			return []string{"capacity", "testdata/short.yaml", "--slo", "p99=5ms", "--step-duration", "1s", "--step-warmup", "2s"}
		}, []string{"--step-duration 1s must be longer"}},
		{"capacity max below start", func(t *testing.T) []string {
			return []string{"capacity", "testdata/short.yaml", "--slo", "p99=5ms", "--max-rate", "10"}
		}, []string{"--max-rate 10 is below the starting rate 2000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := cli(context.Background(), tc.args(t)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", code, exitUsage, stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Fatalf("want one error line, got:\n%s", stderr)
			}
			for _, want := range tc.contains {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q does not say %q", stderr, want)
				}
			}
		})
	}
}

func TestSLOFlags(t *testing.T) {
	t.Parallel()
	s, err := workload.Parse("x.yaml", []byte(`name: x
duration: 1s
topics: [{name: t, partitions: 1}]
rate: {messages_per_second: 10}
message: {size: 10}
slo: {p99: 20ms, "p99.9": 80ms, max_error_rate: 1%}
`))
	if err != nil {
		t.Fatal(err)
	}
	o, err := sloOf(s, []string{"p99=50ms", "p95=10ms", "error_rate=0.1%"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.String(), "p95 ≤ 10 ms, p99 ≤ 50 ms, p99.9 ≤ 80 ms, error rate ≤ 0.1%"; got != want {
		t.Fatalf("SLO %q, want %q", got, want)
	}
	if o, _ = sloOf(s, []string{"max_error_rate=0.05"}); *o.MaxErrorRate != 0.05 {
		t.Fatalf("max_error_rate alias: %v", *o.MaxErrorRate)
	}
	if _, err := sloOf(s, []string{"p99=-1ms"}); err == nil {
		t.Fatal("a negative bound accepted")
	}
}

func TestCapacitySearch(t *testing.T) {
	t.Parallel()
	// A system that passes below 7,921 msg/s.
	const knee = 7921.0
	var rates []float64
	run := func(_ string, r float64) (bool, bool) {
		rates = append(rates, r)
		return r < knee, true
	}
	lo, hi := capacitySearch(1000, 0, 0.05, 30, run)
	if !(lo < knee && hi >= knee && (hi-lo)/lo <= 0.05) {
		t.Fatalf("bracket [%v, %v] around %v (steps %v)", lo, hi, knee, rates)
	}
	if want := []float64{1000, 2000, 4000, 8000, 6000, 7000, 7500, 7750}; !equalRates(rates, want) {
		t.Fatalf("steps %v, want %v", rates, want)
	}

	// The first step fails: no bracket below it.
	rates = nil
	if lo, hi = capacitySearch(10000, 0, 0.05, 30, run); lo != 0 || hi != 10000 || len(rates) != 1 {
		t.Fatalf("bracket [%v, %v] after %v", lo, hi, rates)
	}
	// --max-rate caps the ramp; nothing fails below it.
	rates = nil
	if lo, hi = capacitySearch(1000, 3000, 0.05, 30, run); lo != 3000 || hi != 0 || !equalRates(rates, []float64{1000, 2000, 3000}) {
		t.Fatalf("bracket [%v, %v] after %v", lo, hi, rates)
	}
	// --max-steps bounds the search.
	rates = nil
	if capacitySearch(1000, 0, 0.001, 6, run); len(rates) != 6 {
		t.Fatalf("%d steps, want 6", len(rates))
	}
	// A step that cannot run stops it.
	n := 0
	capacitySearch(1000, 0, 0.05, 30, func(string, float64) (bool, bool) { n++; return true, n < 3 })
	if n != 3 {
		t.Fatalf("%d steps after a stop, want 3", n)
	}
}

func equalRates(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}
