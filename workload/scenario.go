// Package workload describes what a benchmark run does — a Scenario, read
// strictly from a YAML file — and pre-builds what the runner needs to
// generate it without allocating per message: the open-loop send schedule
// (Schedule), message sizes (SizeGen), keys (KeyGen), payloads
// (PayloadGen), headers (HeaderGen) and topic choice (TopicGen). Run plays
// a scenario through a Sender; Plan expands it (rate over time, expected
// messages and bytes) without sending; Points expands a sweep.
//
// Every pseudo-random choice is a pure function of the scenario's seed and
// the message index, so the same seed gives the same sizes, keys,
// payloads, headers and topics, whatever the number of workers.
package workload

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"time"
)

// Limits and defaults applied by Parse and Validate.
const (
	// DefaultWorkers is the number of workers when a file omits workers.
	DefaultWorkers = 4
	// MaxWorkers is the largest accepted workers value.
	MaxWorkers = 1 << 16
	// MaxProducers is the largest accepted producers value: each
	// producer is a client of its own (connections, buffers, producer ID).
	MaxProducers = 1024
	// MaxMessageSize is the largest message value: 64 MiB.
	MaxMessageSize Size = 64 << 20
	// MaxRate is the largest accepted rate, in messages per second: 1e9
	// (one per nanosecond).
	MaxRate = 1e9
	// MaxMessages is the largest accepted messages count: 10^15.
	MaxMessages = 1_000_000_000_000_000
	// MaxNameLen is the longest accepted scenario name, in bytes.
	MaxNameLen = 128
	// MaxTopicNameLen is the longest accepted topic name, in bytes
	// (Kafka's limit).
	MaxTopicNameLen = 249
	// MaxTopics is the largest number of topics a scenario may list.
	MaxTopics = 10_000
	// MaxPartitions is the largest partition count of one topic: 100,000
	// (per-partition state sizes memory; real clusters hold far fewer
	// partitions per topic).
	MaxPartitions = 100_000
	// MaxTotalPartitions is the largest partition count summed over a
	// scenario's topics: 1,000,000.
	MaxTotalPartitions = 1_000_000
)

// Topic selections (Scenario.TopicSelection).
const (
	// TopicSelectionWeighted sends each message to one topic, chosen by
	// weight from (seed, message index). The default.
	TopicSelectionWeighted = "weighted"
	// TopicSelectionFanout sends every message to every topic (Memphis
	// "produce to several stations at once"); each copy counts as one
	// message sent.
	TopicSelectionFanout = "fanout"
)

// Scenario is one benchmark run's workload, as read from a YAML scenario
// file (see scenarios/*.yaml and the README's field table). Parse and Load
// return validated scenarios with defaults applied; the YAML and JSON
// field names are the snake_case names in the struct tags. The JSON form
// (embedded in result.json) parses back with Parse to an equal Scenario.
//
// Blocks with several shapes (rate, message.size, message.payload, keys)
// are tagged unions: one field names the variant (rate.profile,
// message.size.distribution, message.payload.kind, keys.distribution) and
// the other fields of the block must be ones that variant uses; any other
// is an error naming it.
type Scenario struct {
	// Name identifies the scenario and names its results directory:
	// 1 to MaxNameLen bytes of [A-Za-z0-9._-], not "." or "..". Required.
	Name string `yaml:"name" json:"name"`
	// Description is free text for reports. Optional.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Duration is how long messages are sent, warmup included. At least
	// one of Duration and Messages is required; with both, the run ends at
	// whichever comes first.
	Duration Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	// Messages is how many messages are sent (kafka-producer-perf-test
	// --num-records), 1 to MaxMessages; 0 means no count limit. With
	// topic_selection fanout each message goes to every topic.
	Messages int64 `yaml:"messages,omitempty" json:"messages,omitempty"`
	// Warmup is the leading part of the run whose messages (by intended
	// send time) are left out of the statistics (OMB
	// warmupDurationMinutes). 0 <= Warmup < Duration when Duration is set.
	// Default 0.
	Warmup Duration `yaml:"warmup,omitempty" json:"warmup"`
	// Seed seeds every pseudo-random choice (sizes, keys, payloads,
	// headers, topics, poisson arrivals), so the same seed generates the
	// same messages. Default 0.
	Seed int64 `yaml:"seed,omitempty" json:"seed"`
	// Topics are the topics written to; 1 to MaxTopics, with distinct
	// names. Required.
	Topics []Topic `yaml:"topics" json:"topics"`
	// TopicSelection is TopicSelectionWeighted ("weighted", the default)
	// or TopicSelectionFanout ("fanout"). "" means weighted.
	TopicSelection string `yaml:"topic_selection,omitempty" json:"topic_selection,omitempty"`
	// Workers is the number of concurrent workers sharing the schedule, 1
	// to MaxWorkers. Default DefaultWorkers (4) when the file omits it; a
	// Scenario built in code must set it.
	Workers int `yaml:"workers,omitempty" json:"workers"`
	// Producers is the number of independent producer instances, 1 to
	// MaxProducers, each with its own connections, buffers and (with
	// idempotence) producer ID; worker w sends through producer
	// w mod Producers. 0 (unset) means 1 (see ProducerCount); when the
	// file sets producers but not workers, workers defaults to
	// max(DefaultWorkers, Producers). Workers must be at least Producers.
	Producers int `yaml:"producers,omitempty" json:"producers,omitempty"`
	// Rate is the target send rate over time. Required.
	Rate Rate `yaml:"rate" json:"rate"`
	// Message describes the messages' values: size and content. Required.
	Message Message `yaml:"message" json:"message"`
	// Keys describes the messages' keys. Default: no keys.
	Keys Keys `yaml:"keys,omitempty" json:"keys"`
	// Headers describes the messages' headers; nil means none.
	Headers *Headers `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Producer holds producer options; unset ones keep
	// producer.DefaultConfig's values. See ProducerConfig.
	Producer Producer `yaml:"producer,omitempty" json:"producer"`
	// Engine is the producer implementation, one of the target system's
	// engines (for Kafka: "native", prodbench's own core, the default, or
	// "franz-go"). "" means the system's default.
	Engine string `yaml:"engine,omitempty" json:"engine,omitempty"`
	// Verify stamps every message and reads the topics back after the
	// run to count lost, duplicated, reordered and corrupted records (as
	// `prodbench run --verify`; see workload/verify). Default false.
	Verify bool `yaml:"verify,omitempty" json:"verify,omitempty"`
	// Target is where messages go, a registered target system; nil means
	// DefaultTargetKind (Kafka) on its embedded stand-in.
	Target *Target `yaml:"target,omitempty" json:"target,omitempty"`
	// Thresholds are pass/fail conditions on the result, one expression
	// per item, e.g. "p(99) < 20ms" or "error_rate < 0.1%". They are
	// parsed by the report; here each must be non-empty. The line of item
	// N is Line("thresholds[N]").
	Thresholds []string `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// SLO is the service-level objective a sweep is judged against; nil
	// means none.
	SLO *SLO `yaml:"slo,omitempty" json:"slo,omitempty"`
	// Sweep runs the scenario once per combination of parameter values;
	// nil means one run. See Points.
	Sweep *Sweep `yaml:"sweep,omitempty" json:"sweep,omitempty"`

	// File is the file the scenario was read from, as given to Parse or
	// Load; errors name it, and relative payload file paths are relative
	// to its directory. Not part of the file or the JSON form.
	File string `yaml:"-" json:"-"`

	// lines maps the dotted path of every field present in File to its
	// line; nil for a Scenario built in code.
	lines map[string]int
	// nodes is the number of YAML nodes File decoded to (0 in code), which
	// bounds the work a sweep may ask for.
	nodes int
	// omb is what OMB files said (omb.go); nil for a prodbench scenario.
	omb *OMBInfo
}

// Load reads the scenario file at path and returns Parse(path, data). A
// file that cannot be read gives an error naming path (wrapping the
// os.ReadFile error, so errors.Is(err, fs.ErrNotExist) works); problems
// with the content are *Error values.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes a scenario file's content strictly, applies defaults and
// validates it. file names the content in errors and becomes
// Scenario.File. data must hold exactly one YAML document whose top level
// is a mapping; unknown fields (with a suggestion of the closest known
// name), fields a tagged union's variant does not use, duplicate keys,
// null values, merge keys, values of the wrong type, documents of more
// than 100,000 nodes (counting every alias expansion) and every failure of
// Validate are errors. Every error is an *Error naming file, a line >= 1
// and the field (or, for a problem with the document as a whole such as a
// syntax error, a message starting with "yaml: "). Parse reads no other
// file (payload files are read when generators are built) and never
// panics.
func Parse(file string, data []byte) (s *Scenario, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, &Error{File: file, Line: 1, Msg: fmt.Sprintf("yaml: internal error: %v", r)}
		}
	}()
	root, err := parseDocument(file, data)
	if err != nil {
		return nil, err
	}
	if isOMBWorkload(root) { // an OMB workload file, translated (omb.go)
		return parseOMB(file, root)
	}
	d := &decoder{file: file, lines: map[string]int{"": max(1, root.Line)}, targetKind: prescanTargetKind(root)}
	s = &Scenario{File: file}
	if err := d.decode(root, reflect.ValueOf(s).Elem(), ""); err != nil {
		return nil, err
	}
	s.lines, s.nodes = d.lines, d.nodes
	s.applyDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// applyDefaults fills in the defaults of fields the file leaves out, so
// that the JSON form states them.
func (s *Scenario) applyDefaults() {
	if !s.has("workers") {
		s.Workers = DefaultWorkers
		if s.Producers > s.Workers && s.Producers <= MaxProducers {
			s.Workers = s.Producers
		}
	}
	if s.TopicSelection == "" {
		s.TopicSelection = TopicSelectionWeighted
	}
	for i := range s.Topics {
		if s.TopicSelection != TopicSelectionFanout && !s.has(fmt.Sprintf("topics[%d].weight", i)) {
			s.Topics[i].Weight = 1
		}
	}
	if sys, _, err := s.TargetSystem(); err == nil && s.Engine == "" {
		s.Engine = sys.DefaultEngine()
	}
	if s.Rate.Profile == "" {
		s.Rate.Profile = ProfileConstant
	}
	if s.Message.Payload.Kind == "" {
		s.Message.Payload.Kind = PayloadRandom
	}
	if s.Keys.Distribution == "" {
		s.Keys.Distribution = DistributionNone
	}
	if s.Headers != nil && s.Headers.ValueSize.Distribution == "" {
		s.Headers.ValueSize = FixedSize(0)
	}
	if s.Target != nil && s.Target.Kind == "" {
		s.Target.Kind = DefaultTargetKind
	}
	if s.Sweep != nil && s.Sweep.Mode == "" {
		s.Sweep.Mode = SweepProduct
	}
}

// has reports whether field (a dotted path) is set in the scenario's
// file. It is false for a Scenario built in code.
func (s *Scenario) has(field string) bool {
	_, ok := s.lines[field]
	return ok
}

// missing reports whether the scenario was read from a file that does not
// set field.
func (s *Scenario) missing(field string) bool {
	return s.lines != nil && !s.has(field)
}

// set reports whether field, whose value is v, is set: present in the
// file for a scenario read from one, non-zero for one built in code.
func (s *Scenario) set(field string, v reflect.Value) bool {
	if s.lines != nil {
		return s.has(field)
	}
	return !v.IsZero()
}

// Line returns the line of File where field (a dotted path such as
// "producer.linger", "topics[0].name" or "thresholds[2]") is set or, if it
// is not set, where its closest enclosing field is (1 for a top-level
// field). It returns 0 for a Scenario built in code.
func (s *Scenario) Line(field string) int {
	if s.lines == nil {
		return 0
	}
	for {
		if l, ok := s.lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return max(1, s.lines[""])
		}
		field = field[:i]
	}
}

// Errorf returns an *Error about field (a dotted path) at its line in
// File (see Line), for callers that find problems with a scenario after
// Parse, such as the runner or the threshold parser.
func (s *Scenario) Errorf(field, format string, args ...any) error {
	return s.errorf(field, format, args...)
}

func (s *Scenario) errorf(field, format string, args ...any) *Error {
	return &Error{File: s.File, Line: s.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every field against the limits documented on it and
// returns the first problem as an *Error naming the field and, for a
// scenario read from a file, its line. Empty variant tags (rate.profile,
// keys.distribution, ...) mean their defaults. A sweep's points are
// validated too.
func (s *Scenario) Validate() error {
	if err := s.validate(); err != nil {
		return err
	}
	if s.Sweep != nil {
		if _, err := s.Points(); err != nil {
			return err
		}
	}
	return nil
}

// validate checks everything but the sweep's points.
func (s *Scenario) validate() *Error {
	for _, check := range []func() *Error{
		func() *Error { return s.validateName("name", s.Name, MaxNameLen) },
		s.validateLength,
		s.validateTopics,
		s.validateWorkers,
		s.validateRate,
		s.validateMessage,
		s.validateKeys,
		s.validateHeaders,
		s.validateProducer,
		s.validateTarget,
		s.validateThresholds,
		s.validateSLO,
		s.validateSweep,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateLength checks duration, messages and warmup.
func (s *Scenario) validateLength() *Error {
	switch {
	case s.missing("duration") && s.missing("messages"):
		return s.errorf("duration", "required: a duration (e.g. \"60s\") or a message count (messages: N)")
	case s.lines == nil && s.Duration == 0 && s.Messages == 0:
		return s.errorf("duration", "a duration or a message count is required")
	case s.Duration < 0 || s.has("duration") && s.Duration == 0:
		return s.errorf("duration", "must be positive, got %v", s.Duration)
	case s.Messages < 0 || s.has("messages") && s.Messages == 0 || s.Messages > MaxMessages:
		return s.errorf("messages", "must be between 1 and %d, got %d", int64(MaxMessages), s.Messages)
	case s.Warmup < 0:
		return s.errorf("warmup", "must not be negative, got %v", s.Warmup)
	case s.Duration > 0 && s.Warmup >= s.Duration:
		return s.errorf("warmup", "must be shorter than duration (%v), got %v", s.Duration, s.Warmup)
	}
	return nil
}

// validateWorkers checks workers.
func (s *Scenario) validateWorkers() *Error {
	if s.Workers < 1 || s.Workers > MaxWorkers {
		return s.errorf("workers", "must be between 1 and %d, got %d", MaxWorkers, s.Workers)
	}
	switch {
	case s.Producers == 0 && !s.has("producers"):
		// Unset: one producer.
	case s.Producers < 1 || s.Producers > MaxProducers:
		return s.errorf("producers", "must be between 1 and %d (each producer opens its own connections), got %d", MaxProducers, s.Producers)
	case s.Workers < s.Producers:
		return s.errorf("producers", "%d producers need at least as many workers (each worker sends through one producer), got workers: %d", s.Producers, s.Workers)
	}
	return nil
}

// ProducerCount returns the number of producer instances to open:
// Producers, or 1 when unset.
func (s *Scenario) ProducerCount() int { return max(s.Producers, 1) }

// validateName checks a scenario or topic name.
func (s *Scenario) validateName(field, name string, maxLen int) *Error {
	switch {
	case name == "":
		return s.errorf(field, "required: 1 to %d characters of letters, digits, '.', '_' and '-'", maxLen)
	case len(name) > maxLen:
		return s.errorf(field, "too long (%d bytes, max %d)", len(name), maxLen)
	case name == "." || name == "..":
		return s.errorf(field, "must not be %q", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return s.errorf(field, "must contain only letters, digits, '.', '_' and '-', got %s", quote(name))
		}
	}
	return nil
}

// validateThresholds checks that every threshold is a non-empty string.
func (s *Scenario) validateThresholds() *Error {
	for i, t := range s.Thresholds {
		if strings.TrimSpace(t) == "" {
			return s.errorf(fmt.Sprintf("thresholds[%d]", i), "must not be empty (e.g. \"p(99) < 20ms\")")
		}
	}
	return nil
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// checkFloat returns an error for field unless lo <= x <= hi and x is
// finite.
func (s *Scenario) checkFloat(field string, x, lo, hi float64) *Error {
	if !finite(x) {
		return s.errorf(field, "must be a finite number, got %v", x)
	}
	if x < lo || x > hi {
		return s.errorf(field, "must be between %v and %v, got %v", lo, hi, x)
	}
	return nil
}

// checkPositiveDuration returns an error for field unless d > 0.
func (s *Scenario) checkPositiveDuration(field string, d Duration) *Error {
	if d <= 0 {
		return s.errorf(field, "must be positive, got %v", d)
	}
	return nil
}

// maxPlanDuration bounds the length of a run whose end the schedule
// decides (a message count on a profile that slows down): 1000 hours.
const maxPlanDuration = 1000 * time.Hour
