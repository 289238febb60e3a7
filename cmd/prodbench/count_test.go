package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/sweep"
)

// simCountSweep is two short points on the simulator.
const simCountSweep = `name: sim-count
duration: 400ms
warmup: 100ms
topics: [{name: s, partitions: 2}]
workers: 2
rate: {messages_per_second: 1000}
message: {size: 100}
producer: {acks: all}
target: {kind: sim, sim: {latency: {median: 1ms, p99: 1ms}}}
slo: {p99: 1s}
sweep:
  params:
    producer.linger: [0ms, 2ms]
`

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
