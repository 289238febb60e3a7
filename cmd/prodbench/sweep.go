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
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

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

Resume: run again with --out pointing at the sweep directory; points whose
result.json is complete are skipped. Ctrl-C stops after the current point
is written (that point is not counted as done; exit 130).

Flags:
%s
Examples:
  prodbench sweep scenarios/linger-batch-sweep.yaml
  prodbench sweep scenarios/linger-batch-sweep.yaml --duration 3s --slo p99=10ms
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
	if current == "" {
		fmt.Fprintf(p.w, "[%s] %d/%d points  done\n", bar, done, p.total)
		return
	}
	fmt.Fprintf(p.w, "[%s] %d/%d points  ETA %v  (point: %s)\n", bar, done, p.total, eta, current)
}

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var rf runFlags
	var out string
	var slos []string
	fs := pflag.NewFlagSet("sweep", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&out, "out", "", "sweep directory; an existing one is resumed (default results/<scenario>-sweep-<UTC timestamp>)")
	addTargetFlags(fs, &rf, "point")
	fs.DurationVar(&rf.duration, "duration", 0, "override every point's duration (warmup included)")
	fs.DurationVar(&rf.warmup, "warmup", 0, "override every point's warmup (sent, not measured; shorter than the duration)")
	fs.StringVar(&rf.metricsAddr, "metrics-addr", "", "serve live Prometheus metrics on host:port, e.g. 127.0.0.1:9464 (off by default)")
	fs.StringArrayVar(&slos, "slo", nil, "SLO objective overriding the scenario's, e.g. p99=20ms or error_rate=0.1% (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, sweepUsage, fs.FlagUsages())
			return exitOK
		}
		return fail(stderr, exitUsage, "sweep: %v (see 'prodbench help sweep')", err)
	}
	if fs.NArg() != 1 {
		return fail(stderr, exitUsage, "sweep: want exactly one scenario file, got %d arguments (see 'prodbench help sweep')", fs.NArg())
	}
	if rf.drain <= 0 {
		return fail(stderr, exitUsage, "sweep: --drain-timeout must be positive, got %v", rf.drain)
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
		out = filepath.Join("results", fmt.Sprintf("%s-sweep-%s", s.Name, time.Now().UTC().Format("20060102T150405Z")))
	}
	m := newManifest(s, points, slo)
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
	if resumed > 0 {
		fmt.Fprintf(stderr, "prodbench: resuming %s: %d of %d points already done\n", out, resumed, len(points))
	}

	stopMetrics, err := startMetrics(&rf, stderr) // --metrics-addr (metrics.go)
	if err != nil {
		return fail(stderr, exitUsage, "sweep: --metrics-addr: %v", err)
	}
	defer stopMetrics()
	prog := &progress{w: stderr, total: len(points), perStep: points[0].Scenario.Duration.D() + 2*time.Second}
	code := exitOK
	for i, pt := range points {
		mp := &m.Points[i]
		if mp.Done() {
			continue
		}
		if ctx.Err() != nil {
			code = exitInterrupted
			break
		}
		prog.line(m.Done(), strings.ReplaceAll(pt.Label, ",", " "))
		var log bytes.Buffer
		start := time.Now()
		rf.step, rf.stepName = i+1, pt.Label
		res, rc, err := runQuiet(ctx, pt.Scenario, rf, filepath.Join(out, mp.Dir), &log)
		if err != nil {
			return fail(stderr, exitUsage, "%v (sweep point %s)", err, pt.Label)
		}
		mp.ElapsedNs = int64(time.Since(start))
		prog.ran++
		prog.spent += time.Since(start)
		switch {
		case res == nil && rc == exitUsage:
			_, _ = stderr.Write(log.Bytes())
			return fail(stderr, exitUsage, "sweep: point %s cannot run", pt.Label)
		case res == nil:
			mp.Status, mp.Error = sweep.StatusFailed, lastLine(log.Bytes())
			fmt.Fprintf(stderr, "prodbench: sweep point %s failed: %s\n", pt.Label, mp.Error)
			code = exitFailure
		case res.Status == report.StatusInterrupted || rc == exitInterrupted:
			mp.Status, mp.Evaluation = sweep.StatusInterrupted, nil
		default:
			ev, err := sweep.Evaluate(res, slo, sendWindow(pt.Scenario))
			if err != nil {
				mp.Status, mp.Error = sweep.StatusFailed, err.Error()
				code = exitFailure
				break
			}
			mp.Status, mp.Error, mp.Evaluation = sweep.StatusComplete, "", &ev
		}
		if err := sweep.WriteManifest(out, m); err != nil {
			return fail(stderr, exitFailure, "sweep: %v", err)
		}
		if mp.Status == sweep.StatusInterrupted {
			code = exitInterrupted
			break
		}
	}
	if code != exitInterrupted {
		prog.line(m.Done(), "")
	}
	if err := sweep.Write(out, m); err != nil {
		return fail(stderr, exitFailure, "sweep: writing the report: %v", err)
	}
	writeSweepText(stdout, m)
	switch code {
	case exitInterrupted:
		fmt.Fprintf(stderr, "prodbench: sweep interrupted with %d of %d points done; resume with --out %s\n", m.Done(), len(points), out)
	case exitFailure:
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

// newManifest returns the manifest of a sweep not yet run.
func newManifest(s *workload.Scenario, points []workload.SweepPoint, slo sweep.SLO) *sweep.Manifest {
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
		mp := sweep.Point{Index: pt.Index, Label: pt.Label, Dir: pointDir(pt), Status: sweep.StatusPending}
		for _, st := range pt.Settings {
			mp.Settings = append(mp.Settings, sweep.Setting{Path: st.Path, Value: st.Value})
		}
		m.Points = append(m.Points, mp)
	}
	return m
}

// resumeManifest marks the points of m already complete in dir: a point
// whose dir/<point>/result.json is complete is done, re-evaluated against
// m's SLO. A dir holding another sweep's manifest is an error. It returns
// the number of points found done.
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
	for i := range old.Points {
		if old.Points[i].Label != m.Points[i].Label {
			return 0, fmt.Errorf("--out %s holds a different sweep: its point %d is %s, this sweep's is %s; choose another --out", dir, i, old.Points[i].Label, m.Points[i].Label)
		}
	}
	m.CreatedAt = old.CreatedAt
	done := 0
	for i := range m.Points {
		mp := &m.Points[i]
		mp.Dir = old.Points[i].Dir
		mp.ElapsedNs = old.Points[i].ElapsedNs
		res, err := report.ReadResult(filepath.Join(dir, mp.Dir, report.ResultFile))
		if err != nil || res.Status == report.StatusInterrupted {
			if old.Points[i].Status != sweep.StatusPending {
				mp.Status = old.Points[i].Status
				if mp.Status == sweep.StatusComplete {
					mp.Status = sweep.StatusPending // its result is gone
				}
				mp.Error = old.Points[i].Error
			}
			continue
		}
		ev, err := sweep.Evaluate(res, m.SLO, sendWindowOf(res))
		if err != nil {
			continue
		}
		mp.Status, mp.Error, mp.Evaluation = sweep.StatusComplete, "", &ev
		done++
	}
	return done, nil
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
func writeSweepText(w io.Writer, m *sweep.Manifest) {
	pn := "p" + sweep.PercentileName(m.SLO.RankPercentile())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "#\tpoint\tstatus\tmsg/s\t%s ms\terrors\trecords/batch\tSLO\n", pn)
	best, why := m.Best()
	for i := range m.Points {
		p := &m.Points[i]
		if !p.Done() {
			fmt.Fprintf(tw, "%d\t%s\t%s\t\t\t\t\t\n", p.Index, p.ShortLabel(), p.Status)
			continue
		}
		ev := p.Evaluation
		verdict := "ok"
		switch {
		case best != nil && best.Index == p.Index:
			verdict = "best"
		case !ev.Pass:
			verdict = "miss: " + ev.Reason
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f\t%.3f\t%.3f%%\t%.1f\t%s\n", p.Index, p.ShortLabel(), p.Status,
			ev.Metrics.MsgsPerSec, float64(ev.RankLatencyNs)/1e6, ev.Metrics.ErrorRate*100, ev.Metrics.MeanRecordsPerBatch, verdict)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nSLO: %s\n", m.SLO)
	if best != nil {
		fmt.Fprintf(w, "best: #%d (%s): %s\n", best.Index, m.Points[best.Index].ShortLabel(), best.Reason)
	} else {
		fmt.Fprintf(w, "best: none: %s\n", why)
	}
}
