package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/sweep"
	"github.com/prodbench/prodbench/workload"
)

const capacityUsage = `Usage: prodbench capacity SCENARIO [flags]

Finds the highest constant rate the target takes while meeting the SLO
(the scenario's slo: block, or --slo) with errors under the limit: a ramp
that doubles the rate from --start-rate until a step fails, then a binary
search between the last passing and the first failing rate until they are
within --precision. Each step is a full run of --step-duration (its own
--step-warmup included) at a constant rate, kept in its own directory
under --out (default results/<scenario>-capacity-<UTC timestamp>).

The report (capacity.md, capacity.html, capacity.json) gives the capacity
(the knee), plots latency against offered load, and names what stopped
the search: the SLO, errors, or the load generator itself — a generator
that falls behind its schedule while the broker still answers in time is
never reported as the broker's capacity.

Repetitions: --count N runs every step N times (1..100) back to back (the
next rate depends on the step's verdict, so steps cannot be alternated),
repetition n in <step dir>/rep-n. A step passes when more than half of its
repetitions pass (the median repetition's verdict); the table gives its
medians with the min–max of msg/s and p99.

Exit 0 when a capacity was found, 1 when even the starting rate fails (or
a step could not run), 2 on bad input, 130 when interrupted.

Flags:
%s
Examples:
  prodbench capacity scenarios/capacity.yaml
  prodbench capacity scenarios/quickstart.yaml --slo p99=50ms --slo error_rate=0.1%%
  prodbench capacity scenarios/capacity.yaml --start-rate 5000 --step-duration 10s --precision 0.02
  prodbench capacity scenarios/capacity.yaml --count 3
`

func init() {
	register(command{name: "capacity", summary: "find the highest rate that meets the SLO (ramp, then binary search)", run: cmdCapacity})
}

// capacityFlags are the capacity command's search options.
type capacityFlags struct {
	start, maxRate float64
	precision      float64
	stepDur        time.Duration
	stepWarmup     time.Duration
	maxSteps       int
	count          int // repetitions of each step
}

// roundRate rounds a rate to a whole msg/s (to 0.01 below 10 msg/s).
func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*100) / 100
}

// capacitySearch runs a capacity search: run(phase, rate) plays one step
// and reports whether it passed, or ok false to stop the search
// (interrupted, or the step could not run). The ramp starts at start and
// doubles (capped at maxRate when positive) until a step fails or maxRate
// passes; then the bracket between the highest passing and the lowest
// failing rate is bisected until (hi − lo)/lo <= precision. At most
// maxSteps steps run. It returns the bracket: lo 0 when even start failed,
// hi 0 when no step failed.
func capacitySearch(start, maxRate, precision float64, maxSteps int, run func(phase string, rate float64) (pass, ok bool)) (lo, hi float64) {
	steps := 0
	step := func(phase string, rate float64) (bool, bool) {
		steps++
		return run(phase, rate)
	}
	rate := roundRate(start)
	for {
		if steps >= maxSteps {
			return lo, hi
		}
		pass, ok := step(sweep.PhaseRamp, rate)
		if !ok {
			return lo, hi
		}
		if !pass {
			hi = rate
			break
		}
		lo = rate
		if maxRate > 0 && rate >= maxRate {
			return lo, hi
		}
		next := roundRate(rate * 2)
		if maxRate > 0 {
			next = math.Min(next, maxRate)
		}
		rate = next
	}
	if lo == 0 {
		return lo, hi
	}
	for steps < maxSteps && (hi-lo) > precision*lo {
		mid := roundRate((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break
		}
		pass, ok := step(sweep.PhaseSearch, mid)
		if !ok {
			break
		}
		if pass {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, hi
}

// stepScenario is base at a constant rate for one step of d (warmup w
// included), with no message count and no sweep.
func stepScenario(base *workload.Scenario, rate float64, d, w time.Duration) (*workload.Scenario, error) {
	s := base.Clone()
	s.Rate = workload.Rate{Profile: workload.ProfileConstant, MessagesPerSecond: rate}
	s.Duration, s.Warmup, s.Messages, s.Sweep = workload.Duration(d), workload.Duration(w), 0, nil
	return s, s.Validate()
}

func cmdCapacity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var rf runFlags
	var cf capacityFlags
	var out string
	var slos []string
	fs := newFlagSet("capacity")
	fs.StringArrayVar(&slos, "slo", nil, "SLO objective overriding the scenario's, e.g. p99=50ms or error_rate=0.1% (repeatable)")
	fs.StringVar(&out, "out", "", "output directory (default results/<scenario>-capacity-<UTC timestamp>)")
	fs.Float64Var(&cf.start, "start-rate", 0, "first rate of the ramp, msg/s (default: the scenario's rate)")
	fs.Float64Var(&cf.maxRate, "max-rate", 0, "highest rate tried, msg/s (0: no limit)")
	fs.Float64Var(&cf.precision, "precision", 0.05, "stop bisecting when (fail − pass)/pass is at most this")
	fs.DurationVar(&cf.stepDur, "step-duration", 5*time.Second, "duration of each step, its warmup included")
	fs.DurationVar(&cf.stepWarmup, "step-warmup", time.Second, "warmup of each step, not measured")
	fs.DurationVar(&cf.stepWarmup, "warmup", time.Second, "the same as --step-warmup (as on run and sweep)")
	fs.IntVar(&cf.maxSteps, "max-steps", 30, "most steps the search runs")
	fs.IntVar(&cf.count, "count", 1, "run every step this many times (1..100), back to back; a step passes when more than half of them pass")
	fs.StringVar(&rf.metricsAddr, "metrics-addr", "", "serve live Prometheus metrics on host:port, e.g. 127.0.0.1:9464 (off by default)")
	addTargetFlags(fs, &rf, "step")
	if code, done := parseScenarioArg(fs, args, capacityUsage, stdout, stderr); done {
		return code
	}
	switch {
	case fs.Changed("start-rate") && !(cf.start > 0 && cf.start <= workload.MaxRate):
		return fail(stderr, exitUsage, "capacity: --start-rate must be a positive rate up to %g msg/s, got %v", float64(workload.MaxRate), cf.start)
	case !(cf.maxRate >= 0 && cf.maxRate <= workload.MaxRate):
		return fail(stderr, exitUsage, "capacity: --max-rate must be 0 (no limit) or a positive rate up to %g msg/s, got %v", float64(workload.MaxRate), cf.maxRate)
	case !(cf.precision > 0 && cf.precision <= 1):
		return fail(stderr, exitUsage, "capacity: --precision must be in (0, 1], got %v", cf.precision)
	case cf.stepWarmup < 0:
		return fail(stderr, exitUsage, "capacity: --step-warmup must not be negative, got %v", cf.stepWarmup)
	case cf.stepDur <= cf.stepWarmup:
		return fail(stderr, exitUsage, "capacity: --step-duration %v must be longer than --step-warmup %v", cf.stepDur, cf.stepWarmup)
	case cf.maxSteps < 1:
		return fail(stderr, exitUsage, "capacity: --max-steps must be at least 1, got %d", cf.maxSteps)
	case cf.count < 1 || cf.count > sweep.MaxCount:
		return fail(stderr, exitUsage, "capacity: --count must be between 1 and %d, got %d", sweep.MaxCount, cf.count)
	case rf.drain <= 0:
		return fail(stderr, exitUsage, "capacity: --drain-timeout must be positive, got %v", rf.drain)
	}
	s, err := workload.Load(fs.Arg(0))
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if s.Sweep != nil {
		return fail(stderr, exitUsage, "capacity: %s has a sweep: block; capacity searches one configuration (remove the sweep, or use prodbench sweep)", s.File)
	}
	if p := s.Rate.Profile; p != "" && p != workload.ProfileConstant {
		return fail(stderr, exitUsage, "capacity: %s uses the %s rate profile; capacity steps a constant rate (rate.messages_per_second)", s.File, p)
	}
	slo, err := sloOf(s, slos)
	if err != nil {
		return fail(stderr, exitUsage, "capacity: %v", err)
	}
	if err := applyTarget(s, fs, &rf); err != nil {
		return fail(stderr, exitUsage, "capacity: %v", err)
	}
	if slo.IsZero() {
		return fail(stderr, exitUsage, "capacity: no SLO: add an slo: block to %s or pass --slo p99=50ms", s.File)
	}
	if !fs.Changed("start-rate") {
		cf.start = s.Rate.MessagesPerSecond
	}
	if cf.maxRate > 0 && cf.maxRate < cf.start {
		return fail(stderr, exitUsage, "capacity: --max-rate %v is below the starting rate %v", cf.maxRate, cf.start)
	}
	// Check one step's scenario before anything runs.
	if st, err := stepScenario(s, roundRate(cf.start), cf.stepDur, cf.stepWarmup); err != nil {
		return fail(stderr, exitUsage, "capacity: %v", err)
	} else if _, err := st.ProducerConfig(); err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if out == "" {
		out = resultsDir(s.Name + "-capacity")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fail(stderr, exitFailure, "capacity: %v", err)
	}
	c := &sweep.Capacity{Scenario: s.Name, Description: s.Description, File: s.File, Status: sweep.StatusComplete, SLO: slo,
		StartedAt: time.Now().UTC(),
		Search: sweep.Search{StartMsgsPerSec: roundRate(cf.start), MaxMsgsPerSec: cf.maxRate, Precision: cf.precision,
			StepDurationNs: int64(cf.stepDur), StepWarmupNs: int64(cf.stepWarmup), MaxSteps: cf.maxSteps}}
	if cf.count > 1 {
		c.Search.Count = cf.count
	}
	reps := ""
	if cf.count > 1 {
		reps = fmt.Sprintf(", each run %d times", cf.count)
	}
	fmt.Fprintf(stderr, "prodbench: capacity of %s: SLO %s; steps of %v (warmup %v)%s from %s msg/s\n",
		s.Name, slo, cf.stepDur, cf.stepWarmup, reps, strconv.FormatFloat(c.Search.StartMsgsPerSec, 'f', -1, 64))

	stopMetrics, err := startMetrics(&rf, stderr) // --metrics-addr (metrics.go)
	if err != nil {
		return fail(stderr, exitUsage, "capacity: --metrics-addr: %v", err)
	}
	defer stopMetrics()
	code := exitOK
	run := func(phase string, rate float64) (bool, bool) {
		if ctx.Err() != nil {
			code = exitInterrupted
			return false, false
		}
		st := sweep.Step{Index: len(c.Steps), Phase: phase, RateMsgsPerSec: rate,
			Outcome: sweep.Outcome{Dir: fmt.Sprintf("step-%02d-%s", len(c.Steps)+1, strconv.FormatFloat(rate, 'f', -1, 64))}}
		fmt.Fprintf(stderr, "step %2d  %-6s  %12.0f msg/s  ", st.Index+1, phase, rate)
		ss, err := stepScenario(s, rate, cf.stepDur, cf.stepWarmup)
		if err != nil {
			fmt.Fprintln(stderr)
			code = exitUsage
			fmt.Fprintf(stderr, "prodbench: capacity: %v\n", err)
			return false, false
		}
		rf.step, rf.stepName = st.Index+1, fmt.Sprintf("%.0f msg/s", rate)
		// one runs the step (or one repetition of it) into rel;
		// evalFailed is set when its result could not be evaluated.
		evalFailed := false
		one := func(rel string) (r sweep.Rep, rc int) {
			var log bytes.Buffer
			begin := time.Now()
			res, rc, err := runQuiet(ctx, ss, rf, filepath.Join(out, rel), &log)
			r = sweep.Rep{Outcome: sweep.Outcome{Dir: rel, ElapsedNs: int64(time.Since(begin))}}
			switch {
			case err != nil || res == nil:
				r.Status = sweep.StatusFailed
				if err != nil {
					r.Error = err.Error()
				} else {
					r.Error = lastLine(log.Bytes())
				}
			case res.Status == report.StatusInterrupted || rc == exitInterrupted:
				r.Status = sweep.StatusInterrupted
			default:
				ev, err := sweep.Evaluate(res, slo, sendWindow(ss))
				if err != nil {
					r.Status, r.Error, evalFailed = sweep.StatusFailed, err.Error(), true
					break
				}
				r.Status, r.Evaluation = sweep.StatusComplete, &ev
				if c.Target == "" {
					c.Target = targetOf(res)
				}
			}
			return r, rc
		}
		var rc int
		if cf.count == 1 {
			var r sweep.Rep
			r, rc = one(st.Dir)
			st.Status, st.Error, st.ElapsedNs, st.Evaluation = r.Status, r.Error, r.ElapsedNs, r.Evaluation
		} else {
			for n := 1; n <= cf.count; n++ {
				var r sweep.Rep
				r, rc = one(path.Join(st.Dir, sweep.RepDir(n)))
				r.N = n
				st.Reps = append(st.Reps, r)
				if r.Status != sweep.StatusComplete {
					break
				}
				if r.Evaluation.Pass {
					fmt.Fprint(stderr, "+")
				} else {
					fmt.Fprint(stderr, "-")
				}
			}
			st.Settle(cf.count)
			fmt.Fprint(stderr, "  ")
		}
		pass, ok := false, true
		switch {
		case st.Status == sweep.StatusFailed && evalFailed:
			fmt.Fprintf(stderr, "could not evaluate: %s\n", st.Error)
			code, ok = exitFailure, false
		case st.Status == sweep.StatusFailed:
			fmt.Fprintf(stderr, "could not run: %s\n", st.Error)
			code, ok = exitFailure, false
			if rc == exitUsage {
				code = exitUsage
			}
		case st.Status == sweep.StatusInterrupted:
			fmt.Fprintln(stderr, "interrupted")
			code, ok = exitInterrupted, false
		case st.Evaluation == nil:
			// Not reached: every repetition ran and completed.
			fmt.Fprintf(stderr, "could not run: %d of %d repetitions completed\n", len(st.Reps), cf.count)
			code, ok = exitFailure, false
		default:
			ev := st.Evaluation
			pn := "p" + sweep.PercentileName(ev.RankPercentile)
			switch {
			case ev.Pass && ev.Spread != nil:
				fmt.Fprintf(stderr, "pass  %d of %d; %s %.3f ms (%.3f–%.3f), errors %.3f%%\n", ev.Spread.Passed, ev.Spread.Reps, pn,
					float64(ev.RankLatencyNs)/1e6, ev.Spread.RankLatencyNs.Min/1e6, ev.Spread.RankLatencyNs.Max/1e6, ev.Metrics.ErrorRate*100)
			case ev.Pass:
				fmt.Fprintf(stderr, "pass  %s %.3f ms, errors %.3f%%\n", pn, float64(ev.RankLatencyNs)/1e6, ev.Metrics.ErrorRate*100)
			default:
				fmt.Fprintf(stderr, "FAIL  limited by %s: %s\n", ev.LimitName(), ev.Reason)
			}
			pass = ev.Pass
			if ev.Limit == sweep.LimitGenerator {
				// Higher rates would measure the generator too, and
				// bisecting below it finds the generator's limit, not
				// the system's: stop here.
				fmt.Fprintln(stderr, "prodbench: capacity: generator limit: the search stops (the steps above would measure the load generator, not the system under test)")
				ok = false
			}
		}
		c.Steps = append(c.Steps, st)
		c.EndedAt = time.Now().UTC()
		if err := sweep.WriteCapacityJSON(out, c); err != nil {
			fmt.Fprintf(stderr, "prodbench: capacity: %v\n", err)
			code, ok = exitFailure, false
		}
		return pass, ok
	}
	capacitySearch(cf.start, cf.maxRate, cf.precision, cf.maxSteps, run)
	if code == exitUsage {
		return exitUsage
	}
	if code == exitInterrupted {
		c.Status = sweep.StatusInterrupted
	}
	c.EndedAt = time.Now().UTC()
	if err := sweep.WriteCapacity(out, c); err != nil {
		return fail(stderr, exitFailure, "capacity: %v", err)
	}
	writeCapacityText(stdout, c)
	fmt.Fprintf(stderr, "prodbench: capacity report in %s\n", filepath.Join(out, sweep.CapacityHTMLFile))
	switch {
	case code != exitOK:
		return code
	case !c.Found:
		return exitFailure
	}
	return exitOK
}

// writeCapacityText prints the search's steps and verdict for people.
// With repetitions it adds the min–max of msg/s and of the rank latency
// and how many repetitions passed.
func writeCapacityText(w io.Writer, c *sweep.Capacity) {
	pn := "p" + sweep.PercentileName(c.SLO.RankPercentile())
	reps := c.Search.Count > 1
	tw := newTable(w)
	if reps {
		fmt.Fprintf(tw, "step\tphase\toffered msg/s\tachieved msg/s\tmin–max\t%s ms\tmin–max\terrors\tresult\n", pn)
	} else {
		fmt.Fprintf(tw, "step\tphase\toffered msg/s\tachieved msg/s\t%s ms\terrors\tresult\n", pn)
	}
	for i := range c.Steps {
		st := &c.Steps[i]
		if st.Evaluation == nil {
			if reps {
				fmt.Fprintf(tw, "%d\t%s\t%.0f\t\t\t\t\t\t%s %s\n", st.Index+1, st.Phase, st.RateMsgsPerSec, st.Status, st.Error)
			} else {
				fmt.Fprintf(tw, "%d\t%s\t%.0f\t\t\t\t%s %s\n", st.Index+1, st.Phase, st.RateMsgsPerSec, st.Status, st.Error)
			}
			continue
		}
		ev := st.Evaluation
		result := "pass"
		if !ev.Pass {
			result = "fail: " + ev.LimitName()
		}
		if sp := ev.Spread; reps && sp != nil {
			fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.1f\t%.1f–%.1f\t%.3f\t%.3f–%.3f\t%.3f%%\t%s (%d of %d passed)\n", st.Index+1, st.Phase, st.RateMsgsPerSec,
				ev.Metrics.MsgsPerSec, sp.MsgsPerSec.Min, sp.MsgsPerSec.Max, float64(ev.RankLatencyNs)/1e6,
				sp.RankLatencyNs.Min/1e6, sp.RankLatencyNs.Max/1e6, ev.Metrics.ErrorRate*100, result, sp.Passed, sp.Reps)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.1f\t%.3f\t%.3f%%\t%s\n", st.Index+1, st.Phase, st.RateMsgsPerSec,
			ev.Metrics.MsgsPerSec, float64(ev.RankLatencyNs)/1e6, ev.Metrics.ErrorRate*100, result)
	}
	tw.Flush()
	if reps {
		fmt.Fprintf(w, "\n%d repetitions per step, back to back; figures are medians; a step passes when more than half of its repetitions do\n", c.Search.Count)
	}
	fmt.Fprintf(w, "\n%s\n", c.Verdict)
}
