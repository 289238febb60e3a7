package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer/sim"
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
	// Not parallel: in the race-free pass the package's other tests
	// (three shard processes, capacity searches) would slow the broker's
	// answers while these points run.
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
	// 20 ms), so 20 ms must batch 1.5× more than 5 ms. Linger 0 sends
	// whatever is there when a request slot frees, which depends on how
	// fast the broker answers, not on linger: about 1 record on a quiet
	// machine, 18.8 and 30.6 on loaded runs, and once 96 (as many as
	// 20 ms) while the shard test's processes ran beside it. So linger 0
	// is not ordered against the others.
	if !(rpb["20ms/64KiB"] > 1.5*rpb["5ms/64KiB"]) {
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
	checkOutputs(t, out, sweep.MarkdownFile, sweep.HTMLFile, "sweep-throughput-latency.png", "sweep-heatmap-latency.png",
		"sweep-heatmap-throughput.png", "sweep-heatmap-records.svg")
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

// simSweepYAML is a sweep of short points on the simulator (1 ms
// latency, SLO p99 1 s): one point for each linger of lingers, each
// running duration (warmup included) at rate msg/s.
func simSweepYAML(name, duration, warmup string, rate int, lingers string) string {
	return fmt.Sprintf(`name: %s
duration: %s
warmup: %s
topics: [{name: s, partitions: 2}]
workers: 2
rate: {messages_per_second: %d}
message: {size: 100}
producer: {acks: all}
target: {kind: sim, sim: {latency: {median: 1ms, p99: 1ms}}}
slo: {p99: 1s}
sweep:
  params:
    producer.linger: [%s]
`, name, duration, warmup, rate, lingers)
}

// simSweep is three short points on the simulator.
var simSweep = simSweepYAML("sim-sweep", "800ms", "200ms", 2000, "0ms, 2ms, 4ms")

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

// simCapacity is the rate at which the simulated broker of s saturates:
// its bandwidth (batch bytes per second) over the bytes one message costs
// on the wire. A record of a value of a few KB without key or headers is
// encoded in the value and about 10 B more (length, attributes, timestamp
// and offset deltas, key and value lengths and header count are varints);
// the 61 B batch header is shared by every record of a batch and, near
// saturation, batches hold several records.
func simCapacity(t *testing.T, s *workload.Scenario) float64 {
	t.Helper()
	sz := s.Message.Size
	if s.Target == nil || simOf(s) == nil || simOf(s).Bandwidth <= 0 || sz.Distribution != workload.SizeFixed {
		t.Fatalf("scenario %s has no bandwidth-limited sim target and fixed message size", s.File)
	}
	size := float64(sz.Value)
	const recordOverhead = 10.0 // bytes per record on the wire beyond the value
	return float64(simOf(s).Bandwidth) / (size + recordOverhead)
}

// TestCapacitySim runs the shipped capacity scenario against the simulated
// broker, which saturates at a known rate: the search must find that rate
// within 10% and name the SLO as the limit. It is timing-sensitive (p99
// latency on a shared 2-core machine, race detector included), so it runs
// alone: not in parallel with the package's other tests.
//
// A whole capacity search is wall-clock work: under -race and a loaded
// machine the generator falls behind before the simulated broker does (CI
// saw the search stop on "the load generator" at 594 msg/s). It runs in
// make test's race-free serial pass instead.
func TestCapacitySim(t *testing.T) {
	if raceDetector {
		t.Skip("wall-clock capacity search: runs in make test's race-free serial pass")
	}
	const shipped = "../../scenarios/capacity.yaml"
	file, limit := shipped, "the SLO (p99 > 50 ms)"
	if raceDetector {
		// Scaled down: a quarter of the bandwidth (and of the rates, so of
		// the work per second), judged on the median, which saturation
		// moves as surely as the p99 but the race detector's stalls do not.
		data := mustRead(t, shipped)
		text := string(data)
		for _, r := range [][2]string{{"\n  p99: 50ms\n", "\n  p50: 50ms\n"}, {"bandwidth: 10MB ", "bandwidth: 2500KB "},
			{"messages_per_second: 500 ", "messages_per_second: 125 "}} {
			if !strings.Contains(text, r[0]) {
				t.Fatalf("%s has no %q", shipped, r[0])
			}
			text = strings.Replace(text, r[0], r[1], 1)
		}
		file = scenarioFile(t, "capacity.yaml", text)
		limit = "the SLO (p50 > 50 ms)"
	}
	s, err := workload.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	want := simCapacity(t, s)
	// A search the tool itself declares limited by the load generator
	// (schedule lag p99 above twice the timer floor: a CPU-heavy process
	// beside the test once pushed it to 7.5 ms at 500 msg/s) measured the
	// machine, not the simulated broker; it is run again, at most three
	// times in all. Any other outcome is judged.
	var (
		out, stdout, stderr string
		code                int
		c                   *sweep.Capacity
	)
	for attempt := 1; ; attempt++ {
		out = filepath.Join(t.TempDir(), "cap")
		start := time.Now()
		code, stdout, stderr = cli(context.Background(), "capacity", file, "--out", out, "--step-duration", "2s", "--step-warmup", "500ms")
		t.Logf("capacity search %d in %v:\n%s", attempt, time.Since(start).Round(time.Millisecond), stdout)
		c, err = sweep.ReadCapacity(out)
		// The generator limit comes with exit 0 when the search still
		// found a knee below it (a loaded make test run showed it), or
		// with a failure when it found none: either way, run again.
		if err == nil && c.Limit == sweep.LimitGenerator && attempt < 3 {
			continue
		}
		break
	}
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !c.Found || math.Abs(c.KneeMsgsPerSec-want)/want > 0.10 {
		t.Fatalf("capacity %.0f msg/s (found %v), want %.0f ±10%%\n%s", c.KneeMsgsPerSec, c.Found, want, c.Verdict)
	}
	if c.Limit != sweep.LimitSLO || !strings.Contains(c.Verdict, "limited by "+limit) {
		t.Fatalf("limit %q, want the SLO: %s", c.Limit, c.Verdict)
	}
	if c.FailMsgsPerSec <= c.KneeMsgsPerSec || (c.FailMsgsPerSec-c.KneeMsgsPerSec)/c.KneeMsgsPerSec > 0.05 {
		t.Fatalf("bracket [%v, %v] wider than --precision 5%%", c.KneeMsgsPerSec, c.FailMsgsPerSec)
	}
	phases := map[string]int{}
	for _, st := range c.Steps {
		phases[st.Phase]++
		if st.Status != sweep.StatusComplete || st.Evaluation == nil {
			t.Fatalf("step %d: %s %s", st.Index, st.Status, st.Error)
		}
		// Each step kept its own run, with its own warmup.
		res := readResult(t, filepath.Join(out, st.Dir))
		if res.WarmupNs != int64(500*time.Millisecond) || math.Abs(res.TargetRateMsgsPerSec-st.RateMsgsPerSec) > 0.01*st.RateMsgsPerSec {
			t.Fatalf("step %d: warmup %d ns, target %v msg/s", st.Index, res.WarmupNs, res.TargetRateMsgsPerSec)
		}
	}
	if phases[sweep.PhaseRamp] < 2 || phases[sweep.PhaseSearch] < 1 {
		t.Fatalf("phases %v: want a ramp then a search", phases)
	}
	if c.Target != "sim" {
		t.Errorf("target %q", c.Target)
	}
	checkOutputs(t, out, sweep.CapacityMarkdownFile, sweep.CapacityHTMLFile, "capacity-latency.png", "capacity-latency.svg", "capacity-throughput.png")
	if !strings.Contains(stdout, "limited by the SLO") || !strings.Contains(stderr, "capacity report in") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

// TestCapacityNothingPasses starts above the simulated broker's capacity:
// no rate passes, exit 1.
func TestCapacityNothingPasses(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "cap")
	code, stdout, stderr := cli(context.Background(), "capacity", "../../scenarios/capacity.yaml", "--out", out,
		"--start-rate", "8000", "--max-steps", "1", "--step-duration", "1s", "--step-warmup", "200ms")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailure, stdout, stderr)
	}
	c, err := sweep.ReadCapacity(out)
	if err != nil {
		t.Fatal(err)
	}
	if c.Found || len(c.Steps) != 1 || c.Limit != sweep.LimitSLO || !strings.Contains(c.Verdict, "Even the lowest rate tried, 8,000 msg/s") {
		t.Fatalf("found %v steps %d limit %q: %s", c.Found, len(c.Steps), c.Limit, c.Verdict)
	}
}

// simOf returns the simulator block of s's target, nil when there is none.
func simOf(s *workload.Scenario) *sim.SimTarget {
	if s.Target == nil {
		return nil
	}
	c, ok := s.Target.Config.(*sim.TargetConfig)
	if !ok {
		return nil
	}
	return c.Sim
}

// simCountSweep is two short points on the simulator.
var simCountSweep = simSweepYAML("sim-count", "400ms", "100ms", 1000, "0ms, 2ms")

// TestSweepCount runs a sweep with --count 3 on the simulator: every point
// has 3 repetitions, each in its own rep-N directory, run in rounds
// (every point once, then again); the point's figures are medians with a
// spread; 3 against 3 repetitions can never differ significantly, so the
// report declares no best point but a tie within noise. Resuming with
// the same --count runs nothing; with another it is refused.
func TestSweepCount(t *testing.T) {
	t.Parallel()
	path := scenarioFile(t, "count.yaml", simCountSweep)
	out := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := cli(context.Background(), "sweep", path, "--out", out, "--count", "3")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	m, err := sweep.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Count != 3 || m.Done() != 2 || len(m.Points) != 2 {
		t.Fatalf("count %d, %d of %d points done", m.Count, m.Done(), len(m.Points))
	}
	passed := 0
	for _, p := range m.Points {
		if len(p.Reps) != 3 {
			t.Fatalf("point %s has %d repetitions, want 3", p.Label, len(p.Reps))
		}
		for i, r := range p.Reps {
			if r.N != i+1 || !r.Done() || r.Dir != p.Dir+"/rep-"+string(rune('1'+i)) {
				t.Errorf("point %s repetition %d: %+v", p.Label, i+1, r)
			}
			if _, err := os.Stat(filepath.Join(out, r.Dir, report.ResultFile)); err != nil {
				t.Errorf("point %s: %v", p.Label, err)
			}
		}
		sp := p.Evaluation.Spread
		if sp == nil || sp.Reps != 3 {
			t.Fatalf("point %s: spread %+v, want 3 repetitions", p.Label, sp)
		}
		mt := p.Evaluation.Metrics
		if !(sp.MsgsPerSec.Min <= mt.MsgsPerSec && mt.MsgsPerSec <= sp.MsgsPerSec.Max && sp.MsgsPerSec.Min > 0) ||
			!(sp.P99Ns.Min <= float64(mt.P99Ns) && float64(mt.P99Ns) <= sp.P99Ns.Max) {
			t.Errorf("point %s: median msg/s %.1f p99 %d outside the spread %+v", p.Label, mt.MsgsPerSec, mt.P99Ns, sp)
		}
		if p.Evaluation.Pass {
			passed++
		}
	}
	// Rounds: repetition 1 of every point before any repetition 2.
	var order []string
	for _, l := range strings.Split(stderr, "\n") {
		if i := strings.Index(l, "(point: "); i >= 0 && strings.Contains(l, "ETA") {
			order = append(order, l[i:])
		}
	}
	want := []string{"linger=0s, repetition 1", "linger=2ms, repetition 1", "linger=0s, repetition 2",
		"linger=2ms, repetition 2", "linger=0s, repetition 3", "linger=2ms, repetition 3"}
	if len(order) != len(want) {
		t.Fatalf("%d runs in the progress, want %d:\n%s", len(order), len(want), stderr)
	}
	for i := range want {
		if !strings.Contains(order[i], want[i]) {
			t.Errorf("run %d is %q, want %q", i+1, order[i], want[i])
		}
	}
	if !strings.Contains(stderr, "6/6 runs  done") {
		t.Errorf("stderr:\n%s", stderr)
	}
	// Both points met the SLO (unless a loaded machine failed one): with
	// 3 against 3 repetitions no difference is significant.
	if passed == 2 && (!strings.Contains(stdout, "best: none. Tied within noise: #") || !strings.Contains(stdout, "use --count 4 or more")) {
		t.Errorf("stdout does not report a tie:\n%s", stdout)
	}
	if !strings.Contains(stdout, "msg/s min–max") {
		t.Errorf("stdout has no spread:\n%s", stdout)
	}
	md, err := os.ReadFile(filepath.Join(out, sweep.MarkdownFile))
	if err != nil || !strings.Contains(string(md), "msg/s (min–max)") || !strings.Contains(string(md), "3 repetitions per point") {
		t.Errorf("sweep.md: %v\n%s", err, md)
	}

	// Resume with the same --count: nothing runs.
	code, _, stderr = cli(context.Background(), "sweep", path, "--out", out, "--count", "3")
	if code != exitOK || !strings.Contains(stderr, "6 of 6 runs (2 points × 3 repetitions) already done") || strings.Contains(stderr, "ETA") {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	// A repetition whose result is gone runs again, alone.
	if err := os.Remove(filepath.Join(out, m.Points[1].Reps[1].Dir, report.ResultFile)); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(context.Background(), "sweep", path, "--out", out, "--count", "3")
	if code != exitOK || !strings.Contains(stderr, "5 of 6 runs (2 points × 3 repetitions) already done") ||
		strings.Count(stderr, "ETA") != 1 || !strings.Contains(stderr, "linger=2ms, repetition 2 of 3") {
		t.Fatalf("resume after a lost repetition: exit %d\n%s", code, stderr)
	}
	if m, err = sweep.ReadManifest(out); err != nil || m.Done() != 2 || m.Points[1].RepsDone() != 3 {
		t.Fatalf("after resuming: %v", err)
	}
	// With another --count: refused.
	code, _, stderr = cli(context.Background(), "sweep", path, "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "--count 3, not 1") {
		t.Fatalf("resume with another --count: exit %d\n%s", code, stderr)
	}
}

// TestCapacityCount runs two steps of a capacity search with --count 2 on
// the simulator: each step keeps both repetitions in rep-N directories and
// shows their spread.
func TestCapacityCount(t *testing.T) {
	t.Parallel()
	path := scenarioFile(t, "cap.yaml", strings.Split(simCountSweep, "\nsweep:")[0]+"\n")
	out := filepath.Join(t.TempDir(), "cap")
	code, stdout, stderr := cli(context.Background(), "capacity", path, "--out", out, "--count", "2",
		"--max-steps", "2", "--start-rate", "500", "--step-duration", "400ms", "--step-warmup", "100ms")
	if code != exitOK && code != exitFailure {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	c, err := sweep.ReadCapacity(out)
	if err != nil {
		t.Fatal(err)
	}
	if c.Search.Count != 2 || len(c.Steps) == 0 {
		t.Fatalf("count %d, %d steps\n%s", c.Search.Count, len(c.Steps), stderr)
	}
	for _, s := range c.Steps {
		if len(s.Reps) != 2 || s.Evaluation == nil || s.Evaluation.Spread == nil || s.Evaluation.Spread.Reps != 2 {
			t.Fatalf("step %d: %d repetitions, evaluation %+v", s.Index+1, len(s.Reps), s.Evaluation)
		}
		for _, r := range s.Reps {
			if _, err := os.Stat(filepath.Join(out, r.Dir, report.ResultFile)); err != nil {
				t.Errorf("step %d: %v", s.Index+1, err)
			}
		}
	}
	if !strings.Contains(stdout, "2 repetitions per step") || !strings.Contains(stdout, "min–max") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// TestCountBadValue checks that a --count outside 1..100 or not a number
// is one error line naming the flag, exit 2, before anything runs.
func TestCountBadValue(t *testing.T) {
	t.Parallel()
	sweepFile := scenarioFile(t, "s.yaml", simCountSweep)
	capFile := scenarioFile(t, "c.yaml", strings.Split(simCountSweep, "\nsweep:")[0]+"\n")
	for _, args := range [][]string{
		{"sweep", sweepFile, "--count", "0"},
		{"sweep", sweepFile, "--count", "101"},
		{"sweep", sweepFile, "--count", "three"},
		{"capacity", capFile, "--count", "-1"},
		{"capacity", capFile, "--count", "1000"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := cli(context.Background(), append(args, "--out", out)...)
		if code != exitUsage || !strings.Contains(stderr, "--count") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want %d with one line naming --count:\n%s", args, code, exitUsage, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: %s was created", args, out)
		}
	}
}
