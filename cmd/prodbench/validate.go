package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prodbench/prodbench/workload"
)

const validateUsage = `Usage: prodbench validate SCENARIO [flags]

Checks the scenario file SCENARIO strictly (unknown fields, wrong types,
bad values: each error names file:line and the field) and prints its
expanded plan without sending anything: the rate over time, the expected
message count and bytes (summed over the generated messages themselves),
and each point of a sweep. Payload files are read, so missing ones are
reported. Exit 0 when the file is valid, 2 when it is not.

Flags:
%s
Examples:
  prodbench validate scenarios/quickstart.yaml
  prodbench validate scenarios/bursty-steps.yaml --json
`

func init() {
	register(command{name: "validate", summary: "check a scenario file and print its expanded plan", run: cmdValidate})
}

// validateOutput is the --json form of the plan.
type validateOutput struct {
	File     string             `json:"file"`
	Scenario *workload.Scenario `json:"scenario"`
	Plan     *workload.Plan     `json:"plan"`
	Points   []pointOutput      `json:"points,omitempty"`
}

// pointOutput is one sweep point in --json.
type pointOutput struct {
	Index    int                     `json:"index"`
	Label    string                  `json:"label"`
	Settings []workload.SweepSetting `json:"settings"`
	Plan     *workload.Plan          `json:"plan"`
}

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate")
	asJSON := fs.Bool("json", false, "print the scenario (defaults applied), plan and sweep points as JSON")
	asYAML := fs.Bool("yaml", false, "print only the scenario as a prodbench file (defaults applied; an OMB file translated), to save")
	ombDriver := fs.String("omb-driver", "", "OpenMessaging Benchmark Kafka driver file to apply (see docs/coming-from-omb.md)")
	if code, done := parseScenarioArg(fs, args, validateUsage, stdout, stderr); done {
		return code
	}
	s, err := workload.Load(fs.Arg(0))
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if err := applyOMB(s, *ombDriver, io.Discard); err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	if *asYAML {
		return writeScenarioYAML(stdout, stderr, s)
	}
	plan, err := s.Plan()
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	var points []workload.SweepPoint
	var plans []*workload.Plan
	if s.Sweep != nil {
		if points, err = s.Points(); err != nil {
			return fail(stderr, exitUsage, "%v", err)
		}
		for _, pt := range points {
			p, err := pt.Scenario.Plan()
			if err != nil {
				return fail(stderr, exitUsage, "%v (sweep point %s)", err, pt.Label)
			}
			plans = append(plans, p)
		}
	}
	if *asJSON {
		out := validateOutput{File: s.File, Scenario: s, Plan: plan}
		for i, pt := range points {
			out.Points = append(out.Points, pointOutput{Index: pt.Index, Label: pt.Label, Settings: pt.Settings, Plan: plans[i]})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(stderr, exitFailure, "validate: %v", err)
		}
		return exitOK
	}
	writePlan(stdout, s, plan)
	if len(points) > 0 {
		writePoints(stdout, s, points, plans)
	}
	if s.OMB() != nil { // an OMB file: show the translation (omb.go)
		fmt.Fprintf(stdout, "\ntranslated scenario (save it with: prodbench validate %s --yaml > FILE.yaml):\n\n", fs.Arg(0))
		return writeScenarioYAML(stdout, stderr, s)
	}
	return exitOK
}

// writePlan prints the scenario's plan for people.
func writePlan(w io.Writer, s *workload.Scenario, p *workload.Plan) {
	fmt.Fprintf(w, "%s: valid\n\n", s.File)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "%s:\t"+format+"\n", append([]any{k}, args...)...)
	}
	row("name", "%s", s.Name)
	if s.Description != "" {
		row("description", "%s", s.Description)
	}
	row("length", "%s", describeLength(s, p))
	row("rate", "%s", describeRate(s.Rate))
	row("topics", "%s", describeTopics(s))
	row("workers", "%d", s.Workers)
	if n := s.ProducerCount(); n > 1 {
		row("producers", "%d independent producer instances (worker w sends through producer w mod %d)", n, n)
	}
	switch {
	case p.Messages > 0:
		measured := ""
		if !p.ClosedLoop && s.Warmup > 0 {
			measured = fmt.Sprintf(", %d after warmup", p.MeasuredRecords)
		}
		records := ""
		if p.Records != p.Messages {
			records = fmt.Sprintf(" = %d records (fanout to %d topics)", p.Records, len(s.Topics))
		}
		row("messages", "%d%s%s", p.Messages, records, measured)
		exact := "exact"
		if !p.Exact {
			exact = fmt.Sprintf("estimated from the first %d messages", workload.MaxExactMessages)
		}
		row("bytes", "%s (keys %s, values %s, headers %s; %.1f B per record, %s)",
			mb(p.Bytes), mb(p.KeyBytes), mb(p.ValueBytes), mb(p.HeaderBytes), p.MeanRecordBytes(), exact)
		if p.Length > 0 {
			row("throughput", "%.1f msg/s, %.3f MB/s on average (MB = 10^6 B)", p.MeanRate,
				float64(p.Bytes)/1e6/p.Length.Seconds())
		}
	default:
		row("messages", "as many as the producer accepts in %v (closed loop)", s.Duration)
	}
	row("message", "%s", describeMessage(s))
	row("keys", "%s", describeKeys(s.Keys))
	if s.Headers != nil {
		row("headers", "%s per message, values %s", describeRange(s.Headers.Count), s.Headers.ValueSize)
	}
	row("producer", "%s", describeProducer(s.Producer))
	row("engine", "%s", s.Engine)
	row("target", "%s", describeTarget(s))
	if len(s.Thresholds) > 0 {
		row("thresholds", "%s", strings.Join(s.Thresholds, "; "))
	}
	if s.SLO != nil {
		row("slo", "%s", describeSLO(s.SLO))
	}
	tw.Flush()
	if len(p.Rows) > 0 {
		fmt.Fprintf(w, "\nrate over time (target at the window start; messages due in the window):\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "from\tto\ttarget msg/s\tmsg/s\tmessages\t\n")
		for _, r := range p.Rows {
			fmt.Fprintf(tw, "%v\t%v\t%.1f\t%.1f\t%d\t\n", r.From, r.To, r.Target, r.Rate, r.Messages)
		}
		tw.Flush()
	}
}

// writePoints prints a sweep's points.
func writePoints(w io.Writer, s *workload.Scenario, points []workload.SweepPoint, plans []*workload.Plan) {
	fmt.Fprintf(w, "\nsweep: %s, %d points\n", s.Sweep.Mode, len(points))
	tw := newTable(w)
	fmt.Fprintf(tw, "#\tpoint\tmessages\tbytes\tmsg/s\n")
	for i, pt := range points {
		p := plans[i]
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%.1f\n", pt.Index, pt.Label, p.Messages, mb(p.Bytes), p.MeanRate)
	}
	tw.Flush()
}

// mb formats a byte count in MB (10^6 B).
func mb(b int64) string { return fmt.Sprintf("%.3f MB", float64(b)/1e6) }

func describeLength(s *workload.Scenario, p *workload.Plan) string {
	var parts []string
	if s.Duration > 0 {
		parts = append(parts, s.Duration.String())
	}
	if s.Messages > 0 {
		parts = append(parts, fmt.Sprintf("%d messages", s.Messages))
	}
	out := strings.Join(parts, " or ") + " (whichever first)"
	if len(parts) == 1 {
		out = parts[0]
	}
	if s.Duration == 0 && p.Length > 0 {
		out += fmt.Sprintf(", the last due at %v", p.Length)
	}
	if s.Warmup > 0 {
		out += fmt.Sprintf("; warmup %v (messages due before it are not measured)", s.Warmup)
	}
	return out
}

func describeRate(r workload.Rate) string {
	switch r.Profile {
	case workload.ProfileConstant:
		return fmt.Sprintf("constant %g msg/s, open loop", r.MessagesPerSecond)
	case workload.ProfileRamp:
		return fmt.Sprintf("ramp %g → %g msg/s over %v, then %g msg/s, open loop", r.From, r.To, r.Over, r.To)
	case workload.ProfileSteps:
		var b strings.Builder
		for i, st := range r.Steps {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%g msg/s for %v", st.Rate, st.For)
		}
		if r.Repeat {
			b.WriteString(", repeated")
		} else {
			b.WriteString(", then the last rate")
		}
		return "steps " + b.String() + ", open loop"
	case workload.ProfileSine:
		return fmt.Sprintf("sine %g ± %g msg/s, period %v, open loop", r.Mean, r.Amplitude, r.Period)
	case workload.ProfilePoisson:
		return fmt.Sprintf("poisson arrivals, mean %g msg/s (seeded), open loop", r.Mean)
	case workload.ProfileMax:
		return "max: as fast as the producer accepts (closed loop, reported as such)"
	}
	return r.Profile
}

func describeTopics(s *workload.Scenario) string {
	var parts []string
	var total float64
	for _, t := range s.Topics {
		total += t.Weight
	}
	for _, t := range s.Topics {
		share := ""
		if s.TopicSelection != workload.TopicSelectionFanout && len(s.Topics) > 1 {
			share = fmt.Sprintf(", %.1f%%", 100*t.Weight/total)
		}
		unit := "partitions"
		if t.Partitions == 1 {
			unit = "partition"
		}
		parts = append(parts, fmt.Sprintf("%s (%d %s%s)", t.Name, t.Partitions, unit, share))
	}
	out := strings.Join(parts, ", ")
	if len(s.Topics) > 1 {
		out += "; selection " + s.TopicSelection
	}
	return out
}

func describeMessage(s *workload.Scenario) string {
	p := s.Message.Payload
	var content string
	switch p.Kind {
	case workload.PayloadRandomRatio:
		content = fmt.Sprintf("random_ratio %g (random prefix, then zeros)", p.Ratio)
	case workload.PayloadText:
		content = "text"
		if len(p.Words) > 0 {
			content += fmt.Sprintf(" from %d words", len(p.Words))
		}
	case workload.PayloadJSON:
		content = "json records from a template"
	case workload.PayloadFile:
		if p.File != "" {
			content = "file " + s.PayloadPath(p.File)
			if p.Delimiter != nil {
				content += fmt.Sprintf(" split on %q", *p.Delimiter)
			}
		} else {
			files := make([]string, len(p.Files))
			for i, f := range p.Files {
				files[i] = s.PayloadPath(f)
			}
			content = "files " + strings.Join(files, ", ")
		}
	default:
		content = p.Kind
	}
	if p.Kind == workload.PayloadJSON || p.Kind == workload.PayloadFile {
		return content
	}
	return fmt.Sprintf("%s, size %s", content, s.Message.Size)
}

func describeKeys(k workload.Keys) string {
	format := k.Format
	if format == "" {
		format = workload.DefaultKeyFormat
	}
	switch k.Distribution {
	case workload.DistributionNone:
		return "none (sticky partitioning)"
	case workload.DistributionZipf:
		return fmt.Sprintf("zipf s=%g over %d keys, format %q", k.Exponent, k.Count, format)
	case workload.DistributionHotspot:
		return fmt.Sprintf("hotspot: %g of messages to %g of %d keys, format %q", k.HotShare, k.HotFraction, k.Count, format)
	case workload.DistributionSequential:
		return fmt.Sprintf("sequential (a new key per message), format %q", format)
	}
	return fmt.Sprintf("%s over %d keys, format %q", k.Distribution, k.Count, format)
}

func describeRange(r workload.Range) string {
	if r.Min == r.Max {
		return fmt.Sprint(r.Min)
	}
	return fmt.Sprintf("%d to %d", r.Min, r.Max)
}

// describeProducer lists the producer options the scenario sets.
func describeProducer(p workload.Producer) string {
	v := reflect.ValueOf(p)
	var parts []string
	for i := range v.NumField() {
		f := v.Field(i)
		if f.IsNil() {
			continue
		}
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		parts = append(parts, fmt.Sprintf("%s=%v", name, f.Elem().Interface()))
	}
	if len(parts) == 0 {
		return "defaults"
	}
	return strings.Join(parts, " ") + " (others default)"
}

// describeTarget describes the scenario's target through its system.
func describeTarget(s *workload.Scenario) string {
	sys, cfg, err := s.TargetSystem()
	if err != nil {
		return err.Error()
	}
	if sys.Describe == nil {
		return sys.Kind
	}
	return sys.Describe(cfg)
}

func describeSLO(o *workload.SLO) string {
	var parts []string
	for _, l := range o.Latency() {
		parts = append(parts, fmt.Sprintf("p%g <= %v", l.Percentile, l.Max.Round(time.Microsecond)))
	}
	if o.MaxErrorRate != nil {
		parts = append(parts, fmt.Sprintf("error rate <= %v", *o.MaxErrorRate))
	}
	return strings.Join(parts, ", ")
}
