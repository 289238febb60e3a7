package sweep

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/prodbench/prodbench/report"
)

// File names of a capacity directory.
const (
	// CapacityFile is the search record (Capacity as JSON); written last.
	CapacityFile = "capacity.json"
	// CapacityMarkdownFile is the capacity report in Markdown.
	CapacityMarkdownFile = "capacity.md"
	// CapacityHTMLFile is the self-contained capacity report page.
	CapacityHTMLFile = "capacity.html"
)

// Capacity search phases (Step.Phase).
const (
	// PhaseRamp steps double the rate until one fails.
	PhaseRamp = "ramp"
	// PhaseSearch steps bisect the bracket between the last passing and
	// the first failing rate.
	PhaseSearch = "search"
)

// Capacity is capacity.json: a search for the highest constant rate that
// meets an SLO, its steps and its conclusion (see Conclude).
type Capacity struct {
	// SchemaVersion is SchemaVersion when written by this package.
	SchemaVersion int `json:"schema_version"`
	// Scenario, Description and File identify the scenario searched.
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	File        string `json:"file,omitempty"`
	// Target describes the system under test ("sim", "embedded kafka",
	// "kafka host:port"); empty when unknown.
	Target string `json:"target,omitempty"`
	// Status is StatusComplete, or StatusInterrupted when the search was
	// stopped early.
	Status string `json:"status"`
	// SLO is what each step is judged against.
	SLO SLO `json:"slo"`
	// Search holds the search's settings.
	Search Search `json:"search"`
	// StartedAt and EndedAt bound the search (UTC).
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	// Steps are the runs in the order they ran.
	Steps []Step `json:"steps"`

	// Fields below are set by Conclude.

	// Found is true when some rate passed below every failing rate.
	Found bool `json:"found"`
	// KneeMsgsPerSec is the highest passing rate below the lowest failing
	// one: the capacity found, msg/s (0 when not Found).
	KneeMsgsPerSec float64 `json:"knee_msgs_per_sec"`
	// FailMsgsPerSec is the lowest failing rate, msg/s (0 when no step
	// failed).
	FailMsgsPerSec float64 `json:"fail_msgs_per_sec"`
	// Limit is the Limit of the lowest failing step's Evaluation:
	// LimitSLO, LimitErrors or LimitGenerator; LimitNone when no step
	// failed.
	Limit string `json:"limit"`
	// LimitReason is that step's Evaluation.Reason.
	LimitReason string `json:"limit_reason,omitempty"`
	// Verdict states the outcome in sentences, with the numbers.
	Verdict string `json:"verdict"`
}

// Search holds a capacity search's settings.
type Search struct {
	// StartMsgsPerSec is the ramp's first rate; MaxMsgsPerSec the
	// highest rate tried (0: no limit), msg/s.
	StartMsgsPerSec float64 `json:"start_msgs_per_sec"`
	MaxMsgsPerSec   float64 `json:"max_msgs_per_sec,omitempty"`
	// Precision is the relative bracket width at which the binary search
	// stops, e.g. 0.05.
	Precision float64 `json:"precision"`
	// StepDurationNs is each step's duration, warmup included;
	// StepWarmupNs its warmup, ns.
	StepDurationNs int64 `json:"step_duration_ns"`
	StepWarmupNs   int64 `json:"step_warmup_ns"`
	// MaxSteps bounds the number of steps.
	MaxSteps int `json:"max_steps"`
	// Count is the number of repetitions of each step (--count), run back
	// to back; a step passes when more than half of them pass (Combine).
	// 0 or 1 means one run per step.
	Count int `json:"count,omitempty"`
}

// Step is one constant-rate run of a capacity search.
type Step struct {
	// Index is the step's position, 0-based.
	Index int `json:"index"`
	// Phase is PhaseRamp or PhaseSearch.
	Phase string `json:"phase"`
	// RateMsgsPerSec is the offered (target) rate, msg/s.
	RateMsgsPerSec float64 `json:"rate_msgs_per_sec"`
	Outcome
	// Reps are the step's repetitions when Search.Count is above 1, each
	// in <step dir>/rep-N.
	Reps []Rep `json:"reps,omitempty"`
}

// Pass reports whether the step completed and passed.
func (s *Step) Pass() bool { return s.Evaluation != nil && s.Evaluation.Pass }

// failed reports whether the step completed and failed (an interrupted or
// failed run proves nothing).
func (s *Step) failed() bool {
	return s.Evaluation != nil && !s.Evaluation.Pass && s.Evaluation.Limit != LimitIncomplete
}

// Conclude sets Found, KneeMsgsPerSec, FailMsgsPerSec, Limit, LimitReason
// and Verdict from the steps: the knee is the highest passing rate below
// the lowest failing rate (so a noisy pass above a failure does not count),
// and the limit is what failed the lowest failing step.
func (c *Capacity) Conclude() {
	c.Found, c.KneeMsgsPerSec, c.FailMsgsPerSec, c.Limit, c.LimitReason = false, 0, 0, LimitNone, ""
	var fail *Step
	for i := range c.Steps {
		if s := &c.Steps[i]; s.failed() && (fail == nil || s.RateMsgsPerSec < fail.RateMsgsPerSec) {
			fail = s
		}
	}
	var knee *Step
	for i := range c.Steps {
		s := &c.Steps[i]
		if !s.Pass() || fail != nil && s.RateMsgsPerSec >= fail.RateMsgsPerSec {
			continue
		}
		if knee == nil || s.RateMsgsPerSec > knee.RateMsgsPerSec {
			knee = s
		}
	}
	if fail != nil {
		c.FailMsgsPerSec = fail.RateMsgsPerSec
		c.Limit, c.LimitReason = fail.Evaluation.Limit, fail.Evaluation.Reason
	}
	slo := c.SLO.String()
	var b strings.Builder
	switch {
	case knee == nil && fail == nil:
		b.WriteString("No step completed, so no capacity was measured.")
	case knee == nil:
		fmt.Fprintf(&b, "Even the lowest rate tried, %s msg/s, misses the SLO (%s): %s, limited by %s. Start lower (--start-rate).",
			rateString(fail.RateMsgsPerSec), slo, fail.Evaluation.Reason, fail.Evaluation.LimitName())
	case fail == nil:
		c.Found, c.KneeMsgsPerSec = true, knee.RateMsgsPerSec
		fmt.Fprintf(&b, "No limit found: every rate up to %s msg/s met the SLO (%s)", rateString(knee.RateMsgsPerSec), slo)
		if c.Search.MaxMsgsPerSec > 0 && knee.RateMsgsPerSec >= c.Search.MaxMsgsPerSec {
			b.WriteString(", the --max-rate")
		}
		b.WriteString(". The capacity is at least that.")
	default:
		c.Found, c.KneeMsgsPerSec = true, knee.RateMsgsPerSec
		k := knee.Evaluation
		pn := "p" + PercentileName(k.RankPercentile)
		if c.Limit == LimitGenerator {
			fmt.Fprintf(&b, "The load generator, not the broker, stopped the search: at %s msg/s %s. ",
				rateString(fail.RateMsgsPerSec), fail.Evaluation.Reason)
			fmt.Fprintf(&b, "The broker met the SLO (%s) up to %s msg/s (%s %s ms); its capacity is at least that, and was not measured. Measure beyond it with a faster load generator (more cores, or several instances).",
				slo, rateString(knee.RateMsgsPerSec), pn, msString(k.RankLatencyNs))
			break
		}
		fmt.Fprintf(&b, "The highest rate that met the SLO (%s) is %s msg/s, with %s %s ms and error rate %s. ",
			slo, rateString(knee.RateMsgsPerSec), pn, msString(k.RankLatencyNs), percentString(k.Metrics.ErrorRate))
		fmt.Fprintf(&b, "At %s msg/s (+%s) it breaks, limited by %s: %s.",
			rateString(fail.RateMsgsPerSec), relMore(fail.RateMsgsPerSec, knee.RateMsgsPerSec), fail.Evaluation.LimitName(), fail.Evaluation.Reason)
	}
	if c.Status == StatusInterrupted {
		b.WriteString(" The search was interrupted before it finished.")
	}
	c.Verdict = b.String()
}

// ReadCapacity reads dir/capacity.json. It fails, naming the file, when
// it cannot be read or parsed or has another schema version.
func ReadCapacity(dir string) (*Capacity, error) {
	var c Capacity
	if err := readDoc(dir, CapacityFile, &c, &c.SchemaVersion); err != nil {
		return nil, err
	}
	return &c, nil
}

// WriteCapacity concludes c (Conclude) and writes into dir capacity.md,
// capacity.html, the plots (capacity-*.png and .svg) and finally
// capacity.json, each atomically, everything rendered first. dir must
// exist.
func WriteCapacity(dir string, c *Capacity) error {
	var figs []figure
	js, err := concludedJSON(c, func() (err error) {
		figs, err = capacityFigures(c)
		return err
	})
	if err != nil {
		return err
	}
	return writeReport(dir, figs,
		CapacityMarkdownFile, func(w io.Writer) error { return WriteCapacityMarkdown(w, c) },
		CapacityHTMLFile, func(w io.Writer, figs []figure, files []namedFile) error {
			return writeCapacityHTML(w, c, figs, files)
		},
		namedFile{CapacityFile, js})
}

// WriteCapacityJSON concludes c and writes dir/capacity.json alone,
// atomically: the search's record after each step, before the report is
// rendered at its end. dir must exist.
func WriteCapacityJSON(dir string, c *Capacity) error {
	js, err := concludedJSON(c, nil)
	if err != nil {
		return err
	}
	return report.WriteFileAtomic(filepath.Join(dir, CapacityFile), js)
}

// concludedJSON sets c's SchemaVersion, concludes it (Conclude), calls
// render (when not nil) on the concluded c, and returns c as JSON; c must
// not be nil. It returns the first error.
func concludedJSON(c *Capacity, render func() error) ([]byte, error) {
	if c == nil {
		return nil, errors.New("sweep: nil capacity")
	}
	c.SchemaVersion = SchemaVersion
	c.Conclude()
	if render != nil {
		if err := render(); err != nil {
			return nil, err
		}
	}
	return marshal(c)
}

// bracketWidth is (hi − lo) / lo, or +Inf without a positive lo.
func bracketWidth(lo, hi float64) float64 {
	if !(lo > 0) {
		return math.Inf(1)
	}
	return (hi - lo) / lo
}
