package workload

// OpenMessaging Benchmark (OMB) workload and driver files, read as they
// are and translated into a Scenario. The field names and meanings follow
// OMB's benchmark-framework (Workload.java, WorkloadGenerator.java,
// KeyDistributor.java) and driver-kafka (Config.java,
// KafkaBenchmarkDriver.java) at github.com/openmessaging/benchmark.

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// OMB constants, from OMB's sources.
const (
	// OMBKeyCount is the number of distinct keys OMB's key distributors
	// cycle through (KeyDistributor.UNIQUE_COUNT).
	OMBKeyCount = 10_000
	// OMBTopicPrefix is the Kafka driver's topic name prefix
	// (KafkaBenchmarkDriver.getTopicNamePrefix). OMB names topic i
	// "test-topic-%07d-<random suffix>"; prodbench leaves the random
	// suffix out, so that a run can be repeated on the same topics.
	OMBTopicPrefix = "test-topic"
	// OMBKafkaDriverClass is the driverClass of OMB's Kafka driver, the
	// only driver translated.
	OMBKafkaDriverClass = "io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver"
)

// OMBWorkload is an OMB workload file (workloads/*.yaml) with OMB's field
// names, as Workload.java declares them. A nil field is absent from the
// file; OMB's defaults are keyDistributor NO_KEY, warmupDurationMinutes
// 1, backlogDrainRatio 1.0 and 0 or false for the rest.
type OMBWorkload struct {
	// Name is free text (e.g. "1 producer / 1 consumers on 1 topic").
	Name *string `yaml:"name"`
	// Topics is the number of topics created, >= 1.
	Topics *int `yaml:"topics"`
	// PartitionsPerTopic is each topic's partition count, >= 1.
	PartitionsPerTopic *int `yaml:"partitionsPerTopic"`
	// KeyDistributor is NO_KEY, KEY_ROUND_ROBIN or RANDOM_NANO.
	KeyDistributor *string `yaml:"keyDistributor"`
	// MessageSize is each message's value size in bytes.
	MessageSize *int `yaml:"messageSize"`
	// UseRandomizedPayloads makes payloads of randomBytesRatio random
	// bytes then zeros, from a pool of randomizedPayloadPoolSize.
	UseRandomizedPayloads *bool `yaml:"useRandomizedPayloads"`
	// RandomBytesRatio is the random fraction of randomized payloads.
	RandomBytesRatio *float64 `yaml:"randomBytesRatio"`
	// RandomizedPayloadPoolSize is the number of randomized payloads.
	RandomizedPayloadPoolSize *int `yaml:"randomizedPayloadPoolSize"`
	// PayloadFile is the payload sent as every message (path relative
	// to where OMB runs, its repository root).
	PayloadFile *string `yaml:"payloadFile"`
	// SubscriptionsPerTopic is the consumer subscriptions per topic.
	SubscriptionsPerTopic *int `yaml:"subscriptionsPerTopic"`
	// ProducersPerTopic is the producers per topic.
	ProducersPerTopic *int `yaml:"producersPerTopic"`
	// ConsumerPerSubscription is the consumers per subscription.
	ConsumerPerSubscription *int `yaml:"consumerPerSubscription"`
	// ProducerRate is the total publish rate in msg/s; 0 asks OMB to
	// find the highest rate the consumers keep up with.
	ProducerRate *int `yaml:"producerRate"`
	// ConsumerBacklogSizeGB builds a backlog of that many GiB before
	// the consumers start.
	ConsumerBacklogSizeGB *int64 `yaml:"consumerBacklogSizeGB"`
	// BacklogDrainRatio is the backlog fraction that must be drained.
	BacklogDrainRatio *float64 `yaml:"backlogDrainRatio"`
	// TestDurationMinutes is the measured length, in minutes.
	TestDurationMinutes *int `yaml:"testDurationMinutes"`
	// WarmupDurationMinutes is the warmup before it, in minutes
	// (default 1).
	WarmupDurationMinutes *int `yaml:"warmupDurationMinutes"`
}

// ombOnlyKeys are keys of an OMB workload that no prodbench scenario has;
// a file with any of them at its top level is read as an OMB workload.
var ombOnlyKeys = []string{
	"partitionsPerTopic", "producersPerTopic", "producerRate", "messageSize",
	"testDurationMinutes", "warmupDurationMinutes", "subscriptionsPerTopic",
	"consumerPerSubscription", "keyDistributor", "payloadFile",
	"useRandomizedPayloads", "consumerBacklogSizeGB",
}

// isOMBWorkload reports whether the top-level mapping root has a key only
// OMB workload files have.
func isOMBWorkload(root *yaml.Node) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if slices.Contains(ombOnlyKeys, root.Content[i].Value) {
			return true
		}
	}
	return false
}

// OMBInfo says where a scenario translated from OMB files came from and
// what of them prodbench does not do.
type OMBInfo struct {
	// Workload is the OMB workload file; "" when only a driver file was
	// applied to a prodbench scenario.
	Workload string
	// Name is the workload's OMB name (free text).
	Name string
	// Driver is the driver file's name field (OMB's TestResult.driver),
	// e.g. "Kafka"; "" without a driver file.
	Driver string
	// DriverFile is the driver file; "" without one.
	DriverFile string
	// Topics, PartitionsPerTopic, MessageSize, ProducersPerTopic and
	// ConsumersPerTopic are the workload's figures, for OMB's result
	// format.
	Topics, PartitionsPerTopic, MessageSize, ProducersPerTopic, ConsumersPerTopic int
	// NotDone lists, one item each, the fields prodbench does not do and
	// what it does instead. Property values never appear (they may be
	// secrets): only their names.
	NotDone []string
}

// Note returns NotDone as one note, "" when empty.
func (o *OMBInfo) Note() string {
	if o == nil || len(o.NotDone) == 0 {
		return ""
	}
	return "not done by prodbench: " + strings.Join(o.NotDone, "; ")
}

// OMB returns what the scenario's OMB files said, nil for a prodbench
// scenario without an OMB driver file.
func (s *Scenario) OMB() *OMBInfo { return s.omb }

var unsafeNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ombName makes a scenario name from the workload file's base name.
func ombName(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	n := strings.Trim(unsafeNameChars.ReplaceAllString(base, "-"), "-.")
	if n == "" {
		n = "omb"
	}
	if len(n) > MaxNameLen {
		n = n[:MaxNameLen]
	}
	return n
}

// parseOMB translates the OMB workload whose top-level mapping is root.
// Errors name file, line and the OMB field.
func parseOMB(file string, root *yaml.Node) (*Scenario, error) {
	d := &decoder{file: file, lines: map[string]int{"": max(1, root.Line)}}
	var w OMBWorkload
	if err := d.decode(root, reflect.ValueOf(&w).Elem(), ""); err != nil {
		return nil, err
	}
	s, err := translateOMB(file, &w, d.lines)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// fieldLine returns the line of OMB field f in lines (a decoder's field
// lines), or the document's line (at least 1) when f is not in the file.
func fieldLine(lines map[string]int, f string) int {
	if l, ok := lines[f]; ok {
		return l
	}
	return max(1, lines[""])
}

// translateOMB builds the scenario of w; lines are w's field lines.
func translateOMB(file string, w *OMBWorkload, lines map[string]int) (*Scenario, error) {
	line := func(f string) int { return fieldLine(lines, f) }
	bad := func(f, format string, args ...any) error {
		return &Error{File: file, Line: line(f), Field: f, Msg: fmt.Sprintf(format, args...)}
	}
	intOr := func(p *int, def int) int {
		if p == nil {
			return def
		}
		return *p
	}
	info := &OMBInfo{Workload: file}
	s := &Scenario{File: file, omb: info, lines: map[string]int{"": line("")}}
	at := func(field, ombField string) { s.lines[field] = line(ombField) }

	// name: OMB's is free text; the file's base name names the results.
	s.Name = ombName(file)
	at("name", "name")
	if w.Name != nil {
		info.Name = *w.Name
	}
	s.Description = "OMB workload " + filepath.Base(file)
	if info.Name != "" {
		s.Description += ": " + info.Name
	}
	at("description", "name")

	// topics and partitionsPerTopic.
	if w.Topics == nil {
		return nil, bad("topics", "required: the number of topics (OMB topics)")
	}
	if *w.Topics < 1 || *w.Topics > MaxTopics {
		return nil, bad("topics", "must be between 1 and %d, got %d", MaxTopics, *w.Topics)
	}
	if w.PartitionsPerTopic == nil {
		return nil, bad("partitionsPerTopic", "required: each topic's partition count")
	}
	parts := *w.PartitionsPerTopic
	if parts < 1 {
		return nil, bad("partitionsPerTopic", "must be at least 1, got %d", parts)
	}
	info.Topics, info.PartitionsPerTopic = *w.Topics, parts
	at("topics", "topics")
	for i := range *w.Topics {
		s.Topics = append(s.Topics, Topic{Name: fmt.Sprintf("%s-%07d", OMBTopicPrefix, i), Partitions: parts, Weight: 1})
		p := fmt.Sprintf("topics[%d]", i)
		at(p+".name", "topics")
		at(p+".partitions", "partitionsPerTopic")
	}

	// producersPerTopic: OMB opens that many producers per topic.
	ppt := intOr(w.ProducersPerTopic, 0)
	if ppt < 1 {
		return nil, bad("producersPerTopic", "must be at least 1 (OMB sends nothing without producers), got %d", ppt)
	}
	info.ProducersPerTopic = ppt
	// Each is a producer instance of its own here too (producers: N),
	// with one worker each.
	producers := int64(*w.Topics) * int64(ppt)
	s.Producers = int(min(producers, MaxProducers))
	s.Workers = s.Producers
	at("workers", "producersPerTopic")
	at("producers", "producersPerTopic")
	if producers > MaxProducers {
		info.NotDone = append(info.NotDone, fmt.Sprintf(
			"producersPerTopic %d: OMB opens %d producers; prodbench opens at most %d",
			ppt, producers, MaxProducers))
	}

	// producerRate: total msg/s; 0 means OMB's search for the highest
	// sustainable rate.
	if w.ProducerRate == nil {
		return nil, bad("producerRate", "required: the total publish rate in msg/s (0 for OMB's rate search)")
	}
	at("rate", "producerRate")
	at("rate.profile", "producerRate")
	switch r := *w.ProducerRate; {
	case r < 0:
		return nil, bad("producerRate", "must not be negative, got %d", r)
	case r == 0:
		s.Rate = Rate{Profile: ProfileMax}
		info.NotDone = append(info.NotDone,
			"producerRate 0: OMB searches for the highest rate its consumers keep up with; here a closed loop (rate profile max) sends as fast as the producer accepts; for the highest rate within a latency SLO use prodbench capacity")
	default:
		s.Rate = Rate{Profile: ProfileConstant, MessagesPerSecond: float64(r)}
		at("rate.messages_per_second", "producerRate")
	}

	// testDurationMinutes and warmupDurationMinutes: prodbench's duration
	// includes the warmup.
	test := intOr(w.TestDurationMinutes, 0)
	if test < 1 {
		return nil, bad("testDurationMinutes", "must be at least 1 (OMB runs forever with 0), got %d", test)
	}
	warm := intOr(w.WarmupDurationMinutes, 1)
	if warm < 0 {
		return nil, bad("warmupDurationMinutes", "must not be negative, got %d", warm)
	}
	s.Duration = Duration(time.Duration(test+warm) * time.Minute)
	s.Warmup = Duration(time.Duration(warm) * time.Minute)
	at("duration", "testDurationMinutes")
	if w.WarmupDurationMinutes != nil {
		at("warmup", "warmupDurationMinutes")
	} else {
		at("warmup", "testDurationMinutes")
	}

	// messageSize and the payload.
	if w.MessageSize == nil {
		return nil, bad("messageSize", "required: the message size in bytes")
	}
	size := *w.MessageSize
	if size < 0 || Size(size) > MaxMessageSize {
		return nil, bad("messageSize", "must be between 0 and %d, got %d", int64(MaxMessageSize), size)
	}
	info.MessageSize = size
	at("message", "messageSize")
	if w.UseRandomizedPayloads != nil && *w.UseRandomizedPayloads {
		ratio := 0.0
		if w.RandomBytesRatio != nil {
			ratio = *w.RandomBytesRatio
		}
		if !finite(ratio) || ratio < 0 || ratio > 1 {
			return nil, bad("randomBytesRatio", "must be between 0 and 1, got %v", ratio)
		}
		pool := intOr(w.RandomizedPayloadPoolSize, 0)
		if pool < 1 || pool > MaxPoolSize {
			return nil, bad("randomizedPayloadPoolSize", "must be between 1 and %d with useRandomizedPayloads (OMB draws each payload from this pool), got %d", MaxPoolSize, pool)
		}
		s.Message = Message{Size: FixedSize(Size(size)), Payload: Payload{Kind: PayloadRandomRatio, Ratio: ratio, PoolSize: pool}}
		at("message.size", "messageSize")
		at("message.payload", "useRandomizedPayloads")
		at("message.payload.kind", "useRandomizedPayloads")
		at("message.payload.ratio", "randomBytesRatio")
		at("message.payload.pool_size", "randomizedPayloadPoolSize")
		if w.PayloadFile != nil {
			info.NotDone = append(info.NotDone, "payloadFile: not read, as in OMB, since useRandomizedPayloads is true")
		}
	} else {
		if w.RandomBytesRatio != nil || w.RandomizedPayloadPoolSize != nil {
			info.NotDone = append(info.NotDone, "randomBytesRatio and randomizedPayloadPoolSize: not used, as in OMB, since useRandomizedPayloads is not true")
		}
		if w.PayloadFile == nil || *w.PayloadFile == "" {
			return nil, bad("payloadFile", "required unless useRandomizedPayloads is true: OMB sends this file's content as every message")
		}
		path, err := ombPayloadPath(file, *w.PayloadFile)
		if err != nil {
			return nil, bad("payloadFile", "%v", err)
		}
		if st, err := os.Stat(path); err == nil && st.Size() != int64(size) {
			return nil, bad("payloadFile", "%s holds %d bytes but messageSize is %d (OMB refuses this mismatch too)", *w.PayloadFile, st.Size(), size)
		}
		s.Message = Message{Payload: Payload{Kind: PayloadFile, File: path}}
		at("message.payload", "payloadFile")
		at("message.payload.kind", "payloadFile")
		at("message.payload.file", "payloadFile")
	}

	// keyDistributor.
	kd := "NO_KEY"
	if w.KeyDistributor != nil {
		kd = *w.KeyDistributor
	}
	switch kd {
	case "NO_KEY":
		s.Keys = Keys{Distribution: DistributionNone}
	case "KEY_ROUND_ROBIN":
		s.Keys = Keys{Distribution: DistributionRoundRobin, Count: OMBKeyCount, Format: KeyFormatOMB}
	case "RANDOM_NANO":
		s.Keys = Keys{Distribution: DistributionUniform, Count: OMBKeyCount, Format: KeyFormatOMB}
	default:
		return nil, bad("keyDistributor", "unknown key distributor %s (want NO_KEY, KEY_ROUND_ROBIN or RANDOM_NANO)", quote(kd))
	}
	if w.KeyDistributor != nil {
		at("keys", "keyDistributor")
		at("keys.distribution", "keyDistributor")
		if s.Keys.Distribution != DistributionNone {
			at("keys.count", "keyDistributor")
			at("keys.format", "keyDistributor")
		}
	}

	// Consumers and backlog: not done, said once.
	subs, cons := intOr(w.SubscriptionsPerTopic, 0), intOr(w.ConsumerPerSubscription, 0)
	info.ConsumersPerTopic = cons
	if subs != 0 || cons != 0 {
		info.NotDone = append(info.NotDone, fmt.Sprintf(
			"subscriptionsPerTopic %d, consumerPerSubscription %d: no consumers; prodbench measures the producer, from intended send time to ack (no end-to-end latency, no consume rate)", subs, cons))
	}
	if w.ConsumerBacklogSizeGB != nil && *w.ConsumerBacklogSizeGB != 0 {
		info.NotDone = append(info.NotDone, fmt.Sprintf(
			"consumerBacklogSizeGB %d: no backlog is built or drained; the run lasts testDurationMinutes", *w.ConsumerBacklogSizeGB))
	}
	if w.BacklogDrainRatio != nil && *w.BacklogDrainRatio != 1 {
		info.NotDone = append(info.NotDone, fmt.Sprintf("backlogDrainRatio %v: no backlog is drained", *w.BacklogDrainRatio))
	}
	info.NotDone = append(info.NotDone, fmt.Sprintf("topic names: %s-0000000 onwards, without OMB's random suffix, so runs can repeat on the same topics", OMBTopicPrefix))

	s.applyDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// ombPayloadPath finds an OMB payloadFile. OMB reads it relative to the
// directory it runs in, its repository root, with workload files in
// workloads/: the file is looked for beside the workload's directory
// (the repository layout), then relative to the current directory, then
// beside the workload file. The first that exists wins; the error lists
// where it looked.
func ombPayloadPath(workloadFile, p string) (string, error) {
	if filepath.IsAbs(p) {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s not found", p)
		}
		return p, nil
	}
	dir := filepath.Dir(workloadFile)
	cands := []string{filepath.Join(dir, "..", p), p, filepath.Join(dir, p)}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			if abs, err := filepath.Abs(c); err == nil {
				return abs, nil
			}
			return c, nil
		}
	}
	return "", fmt.Errorf("%s not found (looked for %s)", p, strings.Join(cands, ", "))
}
