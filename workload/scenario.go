// Package workload describes what a benchmark run does — a Scenario, read
// strictly from a YAML file — and pre-builds what the runner needs to
// generate it without allocating per message: keys (KeyGen), payloads
// (PayloadGen) and the open-loop send schedule (Schedule).
package workload

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"

	"github.com/prodbench/prodbench/producer"
)

// Limits and defaults applied by Parse and Validate.
const (
	// DefaultWorkers is the number of workers when a file omits workers.
	DefaultWorkers = 4
	// MaxWorkers is the largest accepted workers value.
	MaxWorkers = 1 << 16
	// MaxMessageSize is the largest accepted message.size: 64 MiB.
	MaxMessageSize Size = 64 << 20
	// MaxRate is the largest accepted rate.messages_per_second: 1e9
	// messages per second (one per nanosecond).
	MaxRate = 1e9
	// MaxKeyCount is the largest accepted keys.count: 10 million keys
	// (the key table is built in memory before the run).
	MaxKeyCount = 10_000_000
	// MaxNameLen is the longest accepted scenario name, in bytes.
	MaxNameLen = 128
	// MaxTopicNameLen is the longest accepted topic name, in bytes
	// (Kafka's limit).
	MaxTopicNameLen = 249
)

// Rate profiles (Rate.Profile).
const (
	// ProfileConstant sends MessagesPerSecond evenly spaced messages every
	// second, open loop. The default.
	ProfileConstant = "constant"
)

// Key distributions (Keys.Distribution).
const (
	// DistributionNone sends every message without a key (nil key). The
	// default.
	DistributionNone = "none"
	// DistributionUniform picks each message's key uniformly at random
	// from Keys.Count distinct keys "key-0" ... "key-<Count-1>".
	DistributionUniform = "uniform"
)

// Scenario is one benchmark run's workload, as read from a YAML scenario
// file (see scenarios/quickstart.yaml). Parse and Load return validated
// scenarios; the YAML and JSON field names are the snake_case names in the
// struct tags. The JSON form (embedded in result.json) parses back with
// Parse to an equal Scenario.
type Scenario struct {
	// Name identifies the scenario and names its results directory:
	// 1 to MaxNameLen bytes of [A-Za-z0-9._-], not "." or "..". Required.
	Name string `yaml:"name" json:"name"`
	// Description is free text for reports. Optional.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Duration is how long messages are sent, warmup included. Must be
	// positive. Required.
	Duration Duration `yaml:"duration" json:"duration"`
	// Warmup is the leading part of Duration whose results are not
	// measured. 0 <= Warmup < Duration. Default 0.
	Warmup Duration `yaml:"warmup,omitempty" json:"warmup"`
	// Seed seeds every pseudo-random choice (keys, payload bytes), so the
	// same seed generates the same messages. Default 0.
	Seed int64 `yaml:"seed,omitempty" json:"seed"`
	// Topics are the topics written to; at least one, with distinct names.
	// Required.
	Topics []Topic `yaml:"topics" json:"topics"`
	// Workers is the number of concurrent producer workers, 1 to
	// MaxWorkers. Default DefaultWorkers (4) when the file omits it; a
	// Scenario built in code must set it.
	Workers int `yaml:"workers,omitempty" json:"workers"`
	// Rate is the target send rate. Required.
	Rate Rate `yaml:"rate" json:"rate"`
	// Message describes the messages' values. Required.
	Message Message `yaml:"message" json:"message"`
	// Keys describes the messages' keys. Default: no keys.
	Keys Keys `yaml:"keys,omitempty" json:"keys"`
	// Producer holds producer options; unset ones keep
	// producer.DefaultConfig's values. See ProducerConfig.
	Producer Producer `yaml:"producer,omitempty" json:"producer"`

	// File is the file the scenario was read from, as given to Parse or
	// Load; errors name it. Not part of the file or the JSON form.
	File string `yaml:"-" json:"-"`

	// lines maps the dotted path of every field present in File to its
	// line; nil for a Scenario built in code.
	lines map[string]int
}

// Topic is one topic the scenario writes to.
type Topic struct {
	// Name is the Kafka topic name: 1 to MaxTopicNameLen bytes of
	// [A-Za-z0-9._-], not "." or "..". Required.
	Name string `yaml:"name" json:"name"`
	// Partitions is the topic's partition count, at least 1. Required.
	Partitions int `yaml:"partitions" json:"partitions"`
}

// Rate is the target send rate. Messages are scheduled open loop: each
// message has an intended send time fixed in advance (see Schedule),
// whether or not earlier sends have completed.
type Rate struct {
	// Profile is the shape of the rate over time. Only ProfileConstant
	// ("constant", the default) exists so far.
	Profile string `yaml:"profile,omitempty" json:"profile"`
	// MessagesPerSecond is the rate, summed over all workers and topics:
	// finite, > 0 and <= MaxRate; may be fractional. Required.
	MessagesPerSecond float64 `yaml:"messages_per_second" json:"messages_per_second"`
}

// Message describes the messages' values.
type Message struct {
	// Size is every value's length in bytes, 0 to MaxMessageSize.
	// Required.
	Size Size `yaml:"size" json:"size"`
}

// Keys describes the messages' keys.
type Keys struct {
	// Distribution is DistributionNone ("none", the default) or
	// DistributionUniform ("uniform").
	Distribution string `yaml:"distribution,omitempty" json:"distribution"`
	// Count is the number of distinct keys, 1 to MaxKeyCount; required
	// unless Distribution is none.
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
}

// Producer holds the producer options a scenario sets. A nil field is
// unset and keeps producer.DefaultConfig's value; see producer.Config for
// each option's meaning and default.
type Producer struct {
	// Acks is "all", "leader" or "none" (see producer.ParseAcks).
	Acks *string `yaml:"acks,omitempty" json:"acks,omitempty"`
	// Linger is producer.Config.Linger; 0 is valid and differs from unset.
	Linger *Duration `yaml:"linger,omitempty" json:"linger,omitempty"`
	// MaxBatchBytes is producer.Config.MaxBatchBytes, at least 128 bytes.
	MaxBatchBytes *Size `yaml:"max_batch_bytes,omitempty" json:"max_batch_bytes,omitempty"`
	// MaxBatchMessages is producer.Config.MaxBatchMessages; 0 means no
	// count limit.
	MaxBatchMessages *int `yaml:"max_batch_messages,omitempty" json:"max_batch_messages,omitempty"`
	// Compression is "none", "gzip", "snappy", "lz4" or "zstd".
	Compression *string `yaml:"compression,omitempty" json:"compression,omitempty"`
	// MaxInFlight is producer.Config.MaxInFlight, at least 1.
	MaxInFlight *int `yaml:"max_in_flight,omitempty" json:"max_in_flight,omitempty"`
	// RequestTimeout is producer.Config.RequestTimeout; must be positive.
	RequestTimeout *Duration `yaml:"request_timeout,omitempty" json:"request_timeout,omitempty"`
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
// name), duplicate keys, null values, merge keys, values of the wrong
// type, documents of more than 100,000 nodes (counting every alias
// expansion) and every failure of Validate are errors. Every error is an *Error
// naming file, a line >= 1 and the field (or, for a problem with the
// document as a whole such as a syntax error, a message starting with
// "yaml: "). Parse never panics.
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
	d := &decoder{file: file, lines: map[string]int{"": max(1, root.Line)}}
	s = &Scenario{File: file}
	if err := d.decode(root, reflect.ValueOf(s).Elem(), ""); err != nil {
		return nil, err
	}
	s.lines = d.lines
	if !s.has("workers") {
		s.Workers = DefaultWorkers
	}
	if s.Rate.Profile == "" {
		s.Rate.Profile = ProfileConstant
	}
	if s.Keys.Distribution == "" {
		s.Keys.Distribution = DistributionNone
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
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

// Line returns the line of File where field (a dotted path such as
// "producer.linger" or "topics[0].name") is set or, if it is not set,
// where its closest enclosing field is (1 for a top-level field). It
// returns 0 for a Scenario built in code.
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
// Parse, such as the runner.
func (s *Scenario) Errorf(field, format string, args ...any) error {
	return s.errorf(field, format, args...)
}

func (s *Scenario) errorf(field, format string, args ...any) *Error {
	return &Error{File: s.File, Line: s.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks every field against the limits documented on it and
// returns the first problem as an *Error naming the field and, for a
// scenario read from a file, its line. Empty Rate.Profile and
// Keys.Distribution mean their defaults.
func (s *Scenario) Validate() error {
	if err := s.validateName("name", s.Name, MaxNameLen); err != nil {
		return err
	}
	switch {
	case s.missing("duration"):
		return s.errorf("duration", "required (e.g. \"60s\")")
	case s.Duration <= 0:
		return s.errorf("duration", "must be positive, got %v", s.Duration)
	case s.Warmup < 0:
		return s.errorf("warmup", "must not be negative, got %v", s.Warmup)
	case s.Warmup >= s.Duration:
		return s.errorf("warmup", "must be shorter than duration (%v), got %v", s.Duration, s.Warmup)
	}
	if err := s.validateTopics(); err != nil {
		return err
	}
	if s.Workers < 1 || s.Workers > MaxWorkers {
		return s.errorf("workers", "must be between 1 and %d, got %d", MaxWorkers, s.Workers)
	}
	if err := s.validateRate(); err != nil {
		return err
	}
	switch {
	case s.missing("message.size"):
		return s.errorf("message.size", "required (bytes, e.g. 512 or \"16KiB\")")
	case s.Message.Size < 0 || s.Message.Size > MaxMessageSize:
		return s.errorf("message.size", "must be between 0 and %v, got %v", MaxMessageSize, s.Message.Size)
	}
	switch s.Keys.Distribution {
	case "", DistributionNone:
	case DistributionUniform:
		if s.Keys.Count < 1 || s.Keys.Count > MaxKeyCount {
			return s.errorf("keys.count", "must be between 1 and %d for distribution %q, got %d", MaxKeyCount, s.Keys.Distribution, s.Keys.Count)
		}
	default:
		return s.errorf("keys.distribution", "unknown distribution %s (want none or uniform)", quote(s.Keys.Distribution))
	}
	_, err := s.ProducerConfig()
	return err
}

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

// validateTopics checks the topic list.
func (s *Scenario) validateTopics() *Error {
	if len(s.Topics) == 0 {
		return s.errorf("topics", "at least one topic is required")
	}
	first := make(map[string]int, len(s.Topics))
	for i, t := range s.Topics {
		p := fmt.Sprintf("topics[%d]", i)
		if err := s.validateName(p+".name", t.Name, MaxTopicNameLen); err != nil {
			return err
		}
		if j, dup := first[t.Name]; dup {
			return s.errorf(p+".name", "duplicate topic %s (also topics[%d])", quote(t.Name), j)
		}
		first[t.Name] = i
		switch {
		case s.missing(p + ".partitions"):
			return s.errorf(p+".partitions", "required (at least 1)")
		case t.Partitions < 1:
			return s.errorf(p+".partitions", "must be at least 1, got %d", t.Partitions)
		}
	}
	return nil
}

// validateRate checks the rate block.
func (s *Scenario) validateRate() *Error {
	switch s.Rate.Profile {
	case "", ProfileConstant:
	default:
		return s.errorf("rate.profile", "unknown profile %s (want constant)", quote(s.Rate.Profile))
	}
	r := s.Rate.MessagesPerSecond
	switch {
	case s.missing("rate.messages_per_second"):
		return s.errorf("rate.messages_per_second", "required (messages per second, e.g. 1000)")
	case math.IsNaN(r) || math.IsInf(r, 0):
		return s.errorf("rate.messages_per_second", "must be a finite number, got %v", r)
	case r <= 0:
		return s.errorf("rate.messages_per_second", "must be positive, got %v", r)
	case r > MaxRate:
		return s.errorf("rate.messages_per_second", "must be at most %v, got %v", MaxRate, r)
	}
	return nil
}

// ProducerConfig returns producer.DefaultConfig() with the options the
// scenario sets applied, validated by producer.Config.Validate. An invalid
// option is an *Error naming the field (e.g. "producer.acks") at its line.
func (s *Scenario) ProducerConfig() (producer.Config, error) {
	cfg := producer.DefaultConfig()
	p := s.Producer
	if p.Acks != nil {
		a, err := producer.ParseAcks(*p.Acks)
		if err != nil {
			return cfg, s.errorf("producer.acks", "%s", err.Error())
		}
		cfg.Acks = a
	}
	if p.Linger != nil {
		cfg.Linger = p.Linger.D()
	}
	if p.MaxBatchBytes != nil {
		if int64(*p.MaxBatchBytes) > int64(math.MaxInt) {
			return cfg, s.errorf("producer.max_batch_bytes", "too large, got %v", *p.MaxBatchBytes)
		}
		cfg.MaxBatchBytes = int(*p.MaxBatchBytes)
	}
	if p.MaxBatchMessages != nil {
		cfg.MaxBatchMessages = *p.MaxBatchMessages
	}
	if p.Compression != nil {
		c, err := producer.ParseCodec(*p.Compression)
		if err != nil {
			return cfg, s.errorf("producer.compression", "%s", err.Error())
		}
		cfg.Compression = c
	}
	if p.MaxInFlight != nil {
		cfg.MaxInFlight = *p.MaxInFlight
	}
	if p.RequestTimeout != nil {
		cfg.RequestTimeout = p.RequestTimeout.D()
	}
	if err := cfg.Validate(); err != nil {
		field, msg := "producer", err.Error()
		if name, rest, ok := strings.Cut(msg, ": "); ok {
			field, msg = "producer."+name, rest
		}
		return cfg, s.errorf(field, "%s", msg)
	}
	return cfg, nil
}
