package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/sweep"
	"github.com/prodbench/prodbench/workload"
)

const sweepUsage = `Usage: prodbench sweep SCENARIO [flags]

Runs every point of the scenario's sweep: block (see scenarios/README.md)
as a full run in its own directory under --out (default
results/<scenario>-sweep-<UTC timestamp>), showing progress on stderr
(points done, total, ETA). Then writes the sweep report: sweep.md and
sweep.html with a table of every point, throughput against latency,
linger × max_batch_bytes heatmaps (when both are swept) and compression
ratio and wire MB/s by codec (when compression is swept), and sweep.json,
the manifest of points, directories and statuses.

The scenario's slo: block (or --slo) picks the best point: the highest
throughput within the SLO, throughputs within 1%% counting as tied and the
lower latency breaking the tie; the report says why it won and by how much.

Repetitions: --count N runs every point N times (1..100), alternated:
every point once, then every point again, and so on, so drift hits all
points alike; repetition n of a point runs in <point dir>/rep-n. The table
gives each point's medians with the min–max of msg/s and p99; a point
meets the SLO when more than half of its repetitions do; and the best
point must differ from the runner-up significantly (two-sided Mann-Whitney
U test of their repetitions, p < 0.05; that needs --count 4 or more) or
the report says the leaders are tied within noise and names them.

Resume: run again with --out pointing at the sweep directory (and the same
--count); points (repetitions) whose result.json is complete are skipped.
Ctrl-C stops after the current run is written (that run is not counted as
done; exit 130).

Flags:
%s
Examples:
  prodbench sweep scenarios/linger-batch-sweep.yaml
  prodbench sweep scenarios/linger-batch-sweep.yaml --duration 3s --slo p99=10ms
  prodbench sweep scenarios/linger-batch-sweep.yaml --count 5 --duration 3s
  prodbench sweep scenarios/linger-batch-sweep.yaml --out results/lb   # resume
`

// sloMetrics are the --slo metric names, with the percentile each bounds
// (0 for the error rate).
var sloMetrics = []struct {
	name string
	pct  float64
}{
	{"p50", 50}, {"p75", 75}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p99.9", 99.9}, {"p99.99", 99.99},
	{"error_rate", 0}, {"max_error_rate", 0},
}

func init() {
	register(command{name: "sweep", summary: "run every point of a scenario's sweep and pick the best within the SLO", run: cmdSweep})
}

// sloOf returns the scenario's slo block with the --slo overrides
// ("p99=50ms", "error_rate=0.1%") applied.
func sloOf(s *workload.Scenario, overrides []string) (sweep.SLO, error) {
	var o sweep.SLO
	if s.SLO != nil {
		for _, l := range s.SLO.Latency() {
			if err := o.Set(l.Percentile, l.Max); err != nil {
				return o, err
			}
		}
		if r := s.SLO.MaxErrorRate; r != nil {
			v := float64(*r)
			o.MaxErrorRate = &v
		}
	}
	for _, kv := range overrides {
		name, val, ok := strings.Cut(kv, "=")
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		if !ok || name == "" || val == "" {
			return o, fmt.Errorf("--slo %q: want METRIC=VALUE, e.g. p99=50ms or error_rate=0.1%%", kv)
		}
		pct, known := -1.0, false
		for _, m := range sloMetrics {
			if m.name == name {
				pct, known = m.pct, true
			}
		}
		if !known {
			names := make([]string, 0, len(sloMetrics)-1)
			for _, m := range sloMetrics[:len(sloMetrics)-1] {
				names = append(names, m.name)
			}
			return o, fmt.Errorf("--slo %q: unknown metric %q (want one of %s)", kv, name, strings.Join(names, ", "))
		}
		if pct == 0 {
			r, err := workload.ParseRatio(val)
			if err != nil {
				return o, fmt.Errorf("--slo %q: %v", kv, err)
			}
			if !(r >= 0 && r <= 1) {
				return o, fmt.Errorf("--slo %q: the error rate must be between 0 and 100%%", kv)
			}
			v := float64(r)
			o.MaxErrorRate = &v
			continue
		}
		d, err := workload.ParseDuration(val)
		if err != nil {
			return o, fmt.Errorf("--slo %q: %v", kv, err)
		}
		if err := o.Set(pct, d.D()); err != nil {
			return o, fmt.Errorf("--slo %q: %v", kv, err)
		}
	}
	return o, nil
}

// sendWindow is the planned send window after warmup of s, or 0 when a
// message count may end the run first.
func sendWindow(s *workload.Scenario) time.Duration {
	if s.Duration <= 0 || s.Messages > 0 {
		return 0
	}
	return s.Duration.D() - s.Warmup.D()
}

// pointDir names a point's directory: its index and settings, with every
// character outside [A-Za-z0-9._=-] replaced by '_'.
func pointDir(pt workload.SweepPoint) string {
	parts := make([]string, len(pt.Settings))
	for i, s := range pt.Settings {
		path := s.Path
		if k := strings.LastIndexByte(path, '.'); k >= 0 && k+1 < len(path) {
			path = path[k+1:]
		}
		parts[i] = path + "=" + s.Value
	}
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '=', r == '-':
			return r
		}
		return '_'
	}, strings.Join(parts, "_"))
	if len(name) > 80 {
		name = name[:80]
	}
	return fmt.Sprintf("%03d-%s", pt.Index, name)
}

// runQuiet runs s once into dir with the live lines off and the summary
// discarded; runOnce's messages go to log.
func runQuiet(ctx context.Context, s *workload.Scenario, f runFlags, dir string, log io.Writer) (*report.Result, int, error) {
	cfg, err := s.ProducerConfig()
	if err != nil {
		return nil, exitUsage, err
	}
	f.quiet = true
	attachMetrics(&f, s, cfg, f.step, f.stepName) // --metrics-addr (metrics.go)
	res, code := runOnce(ctx, s, cfg, &f, dir, io.Discard, log)
	return res, code, nil
}

// lastLine returns the last non-empty line of b.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimPrefix(strings.TrimSpace(lines[len(lines)-1]), "prodbench: ")
}

// progress draws the sweep's progress line on stderr.
type progress struct {
	w       io.Writer
	unit    string // "points", or "runs" with repetitions
	total   int
	perStep time.Duration // estimate before any point finished here
	ran     int           // points run in this process
	spent   time.Duration // their wall time
}

// line writes "[#####-----] 5/20 points  ETA 3m10s  (point: …)".
func (p *progress) line(done int, current string) {
	const width = 20
	filled := 0
	if p.total > 0 {
		filled = done * width / p.total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat("-", width-filled)
	per := p.perStep
	if p.ran > 0 {
		per = p.spent / time.Duration(p.ran)
	}
	eta := (per * time.Duration(p.total-done)).Round(time.Second)
	unit := p.unit
	if unit == "" {
		unit = "points"
	}
	if current == "" {
		fmt.Fprintf(p.w, "[%s] %d/%d %s  done\n", bar, done, p.total, unit)
		return
	}
	fmt.Fprintf(p.w, "[%s] %d/%d %s  ETA %v  (point: %s)\n", bar, done, p.total, unit, eta, current)
}

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var rf runFlags
	var out string
	var slos []string
	var count int
	fs := newFlagSet("sweep")
	fs.StringVar(&out, "out", "", "sweep directory; an existing one is resumed (default results/<scenario>-sweep-<UTC timestamp>)")
	addTargetFlags(fs, &rf, "point")
	fs.DurationVar(&rf.duration, "duration", 0, "override every point's duration (warmup included)")
	fs.DurationVar(&rf.warmup, "warmup", 0, "override every point's warmup (sent, not measured; shorter than the duration)")
	fs.StringVar(&rf.metricsAddr, "metrics-addr", "", "serve live Prometheus metrics on host:port, e.g. 127.0.0.1:9464 (off by default)")
	fs.StringArrayVar(&slos, "slo", nil, "SLO objective overriding the scenario's, e.g. p99=20ms or error_rate=0.1% (repeatable)")
	fs.IntVar(&count, "count", 1, "run every point this many times (1..100), alternated; shows medians with min–max, and a best point must differ significantly from the runner-up")
	if code, done := parseScenarioArg(fs, args, sweepUsage, stdout, stderr); done {
		return code
	}
	if rf.drain <= 0 {
		return fail(stderr, exitUsage, "sweep: --drain-timeout must be positive, got %v", rf.drain)
	}
	if count < 1 || count > sweep.MaxCount {
		return fail(stderr, exitUsage, "sweep: --count must be between 1 and %d, got %d", sweep.MaxCount, count)
	}
	s, err := workload.Load(fs.Arg(0))
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if s.Sweep == nil {
		return fail(stderr, exitUsage, "sweep: %s has no sweep: block (add sweep.params, e.g. producer.linger: [0ms, 5ms]; see scenarios/README.md)", s.File)
	}
	slo, err := sloOf(s, slos)
	if err != nil {
		return fail(stderr, exitUsage, "sweep: %v", err)
	}
	if err := applyTarget(s, fs, &rf); err != nil {
		return fail(stderr, exitUsage, "sweep: %v", err)
	}
	points, err := s.Points()
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	for _, pt := range points {
		if err := applyOverrides(pt.Scenario, fs, &rf); err != nil {
			return fail(stderr, exitUsage, "sweep: %v (sweep point %s)", err, pt.Label)
		}
		if _, err := pt.Scenario.ProducerConfig(); err != nil {
			return fail(stderr, exitUsage, "%v (sweep point %s)", err, pt.Label)
		}
	}
	if out == "" {
		out = resultsDir(s.Name + "-sweep")
	}
	m := newManifest(s, points, slo, count)
	m.SpecDigest = specDigest(s, rf.duration)
	resumed, err := resumeManifest(out, m)
	if err != nil {
		return fail(stderr, exitUsage, "sweep: %v", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fail(stderr, exitFailure, "sweep: %v", err)
	}
	if err := sweep.WriteManifest(out, m); err != nil {
		return fail(stderr, exitFailure, "sweep: %v", err)
	}
	switch {
	case resumed > 0 && count > 1:
		fmt.Fprintf(stderr, "prodbench: resuming %s: %d of %d runs (%d points × %d repetitions) already done\n", out, resumed, len(points)*count, len(points), count)
	case resumed > 0:
		fmt.Fprintf(stderr, "prodbench: resuming %s: %d of %d points already done\n", out, resumed, len(points))
	}

	stopMetrics, err := startMetrics(&rf, stderr) // --metrics-addr (metrics.go)
	if err != nil {
		return fail(stderr, exitUsage, "sweep: --metrics-addr: %v", err)
	}
	defer stopMetrics()
	prog := &progress{w: stderr, total: len(points) * count, perStep: points[0].Scenario.Duration.D() + 2*time.Second}
	if count > 1 {
		prog.unit = "runs"
	}
	code := exitOK
	// Repetitions run in rounds (every point once, then every point
	// again), so slow drift of the machine or the target hits every point
	// alike instead of favouring the points run first.
rounds:
	for round := 1; round <= count; round++ {
		for i, pt := range points {
			mp := &m.Points[i]
			var rep *sweep.Rep
			dir, label, what := mp.Dir, strings.ReplaceAll(pt.Label, ",", " "), "point "+pt.Label
			if count > 1 {
				rep = &mp.Reps[round-1]
				if rep.Done() {
					continue
				}
				dir = rep.Dir
				label += fmt.Sprintf(", repetition %d of %d", round, count)
				what += fmt.Sprintf(" (repetition %d)", round)
			} else if mp.Done() {
				continue
			}
			if ctx.Err() != nil {
				code = exitInterrupted
				break rounds
			}
			prog.line(runsDone(m), label)
			var log bytes.Buffer
			start := time.Now()
			rf.step, rf.stepName = i+1, pt.Label
			res, rc, err := runQuiet(ctx, pt.Scenario, rf, filepath.Join(out, dir), &log)
			if err != nil {
				return fail(stderr, exitUsage, "%v (sweep point %s)", err, pt.Label)
			}
			elapsed := int64(time.Since(start))
			prog.ran++
			prog.spent += time.Since(start)
			var status, errText string
			var ev *sweep.Evaluation
			switch {
			case res == nil && rc == exitUsage:
				_, _ = stderr.Write(log.Bytes())
				return fail(stderr, exitUsage, "sweep: point %s cannot run", pt.Label)
			case res == nil:
				status, errText = sweep.StatusFailed, lastLine(log.Bytes())
				fmt.Fprintf(stderr, "prodbench: sweep %s failed: %s\n", what, errText)
				code = exitFailure
			case res.Status == report.StatusInterrupted || rc == exitInterrupted:
				status = sweep.StatusInterrupted
			default:
				e, err := sweep.Evaluate(res, slo, sendWindow(pt.Scenario))
				if err != nil {
					status, errText = sweep.StatusFailed, err.Error()
					code = exitFailure
					break
				}
				status, ev = sweep.StatusComplete, &e
			}
			if rep != nil {
				rep.Status, rep.Error, rep.ElapsedNs, rep.Evaluation = status, errText, elapsed, ev
				mp.Settle(count)
			} else {
				mp.Status, mp.Error, mp.ElapsedNs, mp.Evaluation = status, errText, elapsed, ev
			}
			if err := sweep.WriteManifest(out, m); err != nil {
				return fail(stderr, exitFailure, "sweep: %v", err)
			}
			if status == sweep.StatusInterrupted {
				code = exitInterrupted
				break rounds
			}
		}
	}
	if code != exitInterrupted {
		prog.line(runsDone(m), "")
	}
	if err := sweep.Write(out, m); err != nil {
		return fail(stderr, exitFailure, "sweep: writing the report: %v", err)
	}
	writeSweepText(stdout, m)
	switch {
	case code == exitInterrupted && count > 1:
		fmt.Fprintf(stderr, "prodbench: sweep interrupted with %d of %d runs done (%d of %d points); resume with --out %s --count %d\n", runsDone(m), len(points)*count, m.Done(), len(points), out, count)
	case code == exitInterrupted:
		fmt.Fprintf(stderr, "prodbench: sweep interrupted with %d of %d points done; resume with --out %s\n", m.Done(), len(points), out)
	case code == exitFailure:
		fmt.Fprintf(stderr, "prodbench: some points failed; run again with --out %s to retry them\n", out)
	}
	fmt.Fprintf(stderr, "prodbench: sweep report in %s\n", filepath.Join(out, sweep.HTMLFile))
	return code
}

// specDigest is a digest of s without its SLO (which only judges the
// points) and of the --duration override: what a resumed sweep must share.
func specDigest(s *workload.Scenario, duration time.Duration) string {
	c := s.Clone()
	c.SLO = nil
	b, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(append(b, []byte("\nduration="+duration.String())...))
	return hex.EncodeToString(sum[:12])
}

// newManifest returns the manifest of a sweep not yet run, with count
// repetitions per point.
func newManifest(s *workload.Scenario, points []workload.SweepPoint, slo sweep.SLO, count int) *sweep.Manifest {
	m := &sweep.Manifest{Scenario: s.Name, Description: s.Description, File: s.File, Mode: s.Sweep.Mode,
		SLO: slo, CreatedAt: time.Now().UTC()}
	if m.Mode == "" {
		m.Mode = workload.SweepProduct
	}
	for _, p := range s.Sweep.Params {
		prm := sweep.Param{Path: p.Path}
		for _, raw := range p.Values {
			v := string(raw)
			if uq, err := strconv.Unquote(v); err == nil {
				v = uq
			}
			prm.Values = append(prm.Values, v)
		}
		m.Params = append(m.Params, prm)
	}
	for _, pt := range points {
		mp := sweep.Point{Index: pt.Index, Label: pt.Label, Outcome: sweep.Outcome{Dir: pointDir(pt), Status: sweep.StatusPending}}
		for _, st := range pt.Settings {
			mp.Settings = append(mp.Settings, sweep.Setting{Path: st.Path, Value: st.Value})
		}
		m.Points = append(m.Points, mp)
	}
	if count > 1 {
		m.Count = count
		for i := range m.Points {
			addReps(&m.Points[i], count)
		}
	}
	return m
}

// addReps sets p.Reps to count pending repetitions in p.Dir/rep-N.
func addReps(p *sweep.Point, count int) {
	p.Reps = make([]sweep.Rep, count)
	for r := range p.Reps {
		p.Reps[r] = sweep.Rep{N: r + 1, Outcome: sweep.Outcome{Dir: path.Join(p.Dir, sweep.RepDir(r+1)), Status: sweep.StatusPending}}
	}
}

// runsDone returns the number of runs of m done: its points done, or with
// repetitions their repetitions done.
func runsDone(m *sweep.Manifest) int {
	if m.Reps() == 1 {
		return m.Done()
	}
	n := 0
	for i := range m.Points {
		n += m.Points[i].RepsDone()
	}
	return n
}

// resumeManifest marks the points (or repetitions) of m already complete
// in dir: a run whose result.json (dir/<point>/ or dir/<point>/rep-N/) is
// complete is done, re-evaluated against m's SLO. A dir holding another
// sweep's manifest, or one run with another --count, is an error. It
// returns the number of runs found done.
func resumeManifest(dir string, m *sweep.Manifest) (int, error) {
	old, err := sweep.ReadManifest(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, err
	}
	if old.Scenario != m.Scenario || len(old.Points) != len(m.Points) {
		return 0, fmt.Errorf("--out %s holds a sweep of %s with %d points, not this one (%s, %d points); choose another --out", dir, old.Scenario, len(old.Points), m.Scenario, len(m.Points))
	}
	if old.SpecDigest != "" && old.SpecDigest != m.SpecDigest {
		return 0, fmt.Errorf("--out %s holds a sweep of %s with other settings (the scenario or --duration changed since); choose another --out", dir, old.Scenario)
	}
	if old.Reps() != m.Reps() {
		return 0, fmt.Errorf("--out %s holds a sweep run with --count %d, not %d; resume it with --count %d or choose another --out", dir, old.Reps(), m.Reps(), old.Reps())
	}
	for i := range old.Points {
		if old.Points[i].Label != m.Points[i].Label {
			return 0, fmt.Errorf("--out %s holds a different sweep: its point %d is %s, this sweep's is %s; choose another --out", dir, i, old.Points[i].Label, m.Points[i].Label)
		}
	}
	m.CreatedAt = old.CreatedAt
	done := 0
	for i := range m.Points {
		mp, op := &m.Points[i], &old.Points[i]
		mp.Dir = op.Dir
		if m.Reps() == 1 {
			mp.ElapsedNs = op.ElapsedNs
			mp.Status, mp.Error, mp.Evaluation = resumeRun(dir, mp.Dir, op.Status, op.Error, m.SLO)
			if mp.Done() {
				done++
			}
			continue
		}
		addReps(mp, m.Reps())
		for r := range mp.Reps {
			rp := &mp.Reps[r]
			var or sweep.Rep
			if r < len(op.Reps) {
				or = op.Reps[r]
				rp.Dir, rp.ElapsedNs = or.Dir, or.ElapsedNs
			}
			rp.Status, rp.Error, rp.Evaluation = resumeRun(dir, rp.Dir, or.Status, or.Error, m.SLO)
			if rp.Done() {
				done++
			}
		}
		mp.Settle(m.Reps())
	}
	return done, nil
}

// resumeRun returns the status, error and evaluation of the run in
// dir/rel on resume: complete and re-evaluated against slo when its
// result.json is there and complete; else the old status (oldStatus,
// oldErr from the manifest), with a complete run whose result is gone
// back to pending.
func resumeRun(dir, rel, oldStatus, oldErr string, slo sweep.SLO) (string, string, *sweep.Evaluation) {
	res, err := report.ReadResult(filepath.Join(dir, rel, report.ResultFile))
	if err == nil && res.Status != report.StatusInterrupted {
		if ev, err := sweep.Evaluate(res, slo, sendWindowOf(res)); err == nil {
			return sweep.StatusComplete, "", &ev
		}
		return sweep.StatusPending, "", nil
	}
	switch oldStatus {
	case "", sweep.StatusPending, sweep.StatusComplete: // a complete run whose result is gone
		return sweep.StatusPending, "", nil
	}
	return oldStatus, oldErr, nil
}

// sendWindowOf is the planned send window after warmup of the scenario
// stored in res (its duration minus its warmup), or 0 when unknown or when
// a message count may end the run first.
func sendWindowOf(res *report.Result) time.Duration {
	var spec struct {
		Duration string `json:"duration"`
		Warmup   string `json:"warmup"`
		Messages int64  `json:"messages"`
	}
	if len(res.Scenario.Spec) == 0 || json.Unmarshal(res.Scenario.Spec, &spec) != nil || spec.Messages > 0 || spec.Duration == "" {
		return 0
	}
	d, err := workload.ParseDuration(spec.Duration)
	if err != nil {
		return 0
	}
	var w workload.Duration
	if spec.Warmup != "" {
		if w, err = workload.ParseDuration(spec.Warmup); err != nil {
			return 0
		}
	}
	return max(d.D()-w.D(), 0)
}

// writeSweepText prints the sweep's points and the best one for people.
// With repetitions it adds the min–max of msg/s and of the rank latency.
func writeSweepText(w io.Writer, m *sweep.Manifest) {
	pn := "p" + sweep.PercentileName(m.SLO.RankPercentile())
	reps := m.Reps() > 1
	tw := newTable(w)
	if reps {
		fmt.Fprintf(tw, "#\tpoint\tstatus\tmsg/s\tmsg/s min–max\t%s ms\t%s min–max\terrors\trecords/batch\tSLO\n", pn, pn)
	} else {
		fmt.Fprintf(tw, "#\tpoint\tstatus\tmsg/s\t%s ms\terrors\trecords/batch\tSLO\n", pn)
	}
	best, why := m.Best()
	for i := range m.Points {
		p := &m.Points[i]
		if !p.Done() {
			status := p.Status
			if reps && p.RepsDone() > 0 {
				status += fmt.Sprintf(" (%d/%d)", p.RepsDone(), m.Reps())
			}
			if reps {
				fmt.Fprintf(tw, "%d\t%s\t%s\t\t\t\t\t\t\t\n", p.Index, p.ShortLabel(), status)
			} else {
				fmt.Fprintf(tw, "%d\t%s\t%s\t\t\t\t\t\n", p.Index, p.ShortLabel(), status)
			}
			continue
		}
		ev := p.Evaluation
		verdict := "ok"
		switch {
		case best.Declared() && best.Index == p.Index:
			verdict = "best"
		case best.IsTied(p.Index):
			verdict = "tied"
		case !ev.Pass:
			verdict = "miss: " + ev.Reason
		}
		if sp := ev.Spread; reps && sp != nil {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f\t%.1f–%.1f\t%.3f\t%.3f–%.3f\t%.3f%%\t%.1f\t%s\n", p.Index, p.ShortLabel(), p.Status,
				ev.Metrics.MsgsPerSec, sp.MsgsPerSec.Min, sp.MsgsPerSec.Max, float64(ev.RankLatencyNs)/1e6,
				sp.RankLatencyNs.Min/1e6, sp.RankLatencyNs.Max/1e6, ev.Metrics.ErrorRate*100, ev.Metrics.MeanRecordsPerBatch, verdict)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f\t%.3f\t%.3f%%\t%.1f\t%s\n", p.Index, p.ShortLabel(), p.Status,
			ev.Metrics.MsgsPerSec, float64(ev.RankLatencyNs)/1e6, ev.Metrics.ErrorRate*100, ev.Metrics.MeanRecordsPerBatch, verdict)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nSLO: %s\n", m.SLO)
	if reps {
		fmt.Fprintf(w, "%d repetitions per point, alternated; figures are medians\n", m.Reps())
	}
	switch {
	case best.Declared():
		fmt.Fprintf(w, "best: #%d (%s): %s\n", best.Index, m.Points[best.Index].ShortLabel(), best.Reason)
	case best != nil:
		fmt.Fprintf(w, "best: none. %s\n", best.Reason)
	default:
		fmt.Fprintf(w, "best: none: %s\n", why)
	}
}
