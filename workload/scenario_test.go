package workload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"go.yaml.in/yaml/v3"
)

const quickstartPath = "../scenarios/quickstart.yaml"

// stripped returns a copy of s without the fields that depend on where
// it was read from (File, line table).
func stripped(s *Scenario) Scenario {
	c := *s
	c.File, c.lines, c.nodes = "", nil, 0
	return c
}

func TestLoadQuickstart(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, quickstartPath)
	want := Scenario{
		Name:           "quickstart",
		Description:    "20k msg/s of 512 B keyed messages to one 6-partition topic, acks=all, lz4",
		Duration:       Duration(10 * time.Second),
		Warmup:         Duration(2 * time.Second),
		Seed:           1,
		Topics:         []Topic{{Name: "quickstart", Partitions: 6, Weight: 1}},
		TopicSelection: TopicSelectionWeighted,
		Workers:        4,
		Rate:           Rate{Profile: ProfileConstant, MessagesPerSecond: 20000},
		Message:        Message{Size: FixedSize(512), Payload: Payload{Kind: PayloadRandom}},
		Keys:           Keys{Distribution: DistributionUniform, Count: 1000},
		Engine:         "native",
		Producer: Producer{
			Acks:             ptr("all"),
			Linger:           ptr(Duration(5 * time.Millisecond)),
			MaxBatchBytes:    ptr(Size(64 << 10)),
			MaxBatchMessages: ptr(0),
			Compression:      ptr("lz4"),
			MaxInFlight:      ptr(5),
			RequestTimeout:   ptr(Duration(30 * time.Second)),
		},
	}
	if got := stripped(s); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(%s) =\n%+v\nwant\n%+v", quickstartPath, got, want)
	}
	if s.File != quickstartPath {
		t.Errorf("File = %q, want %q", s.File, quickstartPath)
	}
	cfg, err := s.ProducerConfig()
	if err != nil {
		t.Fatal(err)
	}
	wantCfg := producer.DefaultConfig()
	wantCfg.Acks, wantCfg.Linger, wantCfg.MaxBatchBytes = producer.AcksAll, 5*time.Millisecond, 65536
	wantCfg.MaxBatchMessages, wantCfg.Compression, wantCfg.MaxInFlight = 0, producer.CodecLZ4, 5
	wantCfg.RequestTimeout = 30 * time.Second
	if !reflect.DeepEqual(cfg, wantCfg) {
		t.Errorf("ProducerConfig = %+v, want %+v", cfg, wantCfg)
	}
	// The shipped file's line table points at its own lines.
	data, _ := os.ReadFile(quickstartPath)
	lines := strings.Split(string(data), "\n")
	for field, prefix := range map[string]string{
		"name": "name:", "rate.messages_per_second": "  messages_per_second:",
		"producer.linger": "  linger:", "topics[0].partitions": "    partitions:",
	} {
		l := s.Line(field)
		if l < 1 || l > len(lines) || !strings.HasPrefix(lines[l-1], prefix) {
			t.Errorf("Line(%q) = %d, which is not a %q line", field, l, prefix)
		}
	}
}

// TestQuickstartPlainYAML checks that the struct tags agree with the strict
// decoder: yaml.v3's own KnownFields decoding gives the same scenario.
func TestQuickstartPlainYAML(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(quickstartPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("q.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	var plain Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&plain); err != nil {
		t.Fatal(err)
	}
	// The defaults Parse fills in.
	plain.Rate.Profile, plain.TopicSelection, plain.Engine = ProfileConstant, TopicSelectionWeighted, "native"
	plain.Message.Payload.Kind, plain.Topics[0].Weight = PayloadRandom, 1
	if got := stripped(s); !reflect.DeepEqual(got, plain) {
		t.Errorf("Parse =\n%+v\nyaml.v3 =\n%+v", got, plain)
	}
}

// mustLoad loads the scenario at path, failing t on an error.
func mustLoad(t testing.TB, path string) *Scenario {
	t.Helper()
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shippedScenarios lists scenarios/*.yaml and the test scenarios.
func shippedScenarios(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) < 7 {
		t.Fatalf("scenarios/*.yaml: %v, %d files", err, len(files))
	}
	more, _ := filepath.Glob("testdata/*.yaml")
	return append(files, more...)
}

// TestJSONRoundTrip checks that the JSON form embedded in result.json
// parses back (JSON is YAML) to the same scenario.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, path := range shippedScenarios(t) {
		s := mustLoad(t, path)
		j, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("result.json", j)
		if err != nil {
			t.Fatalf("%s: JSON %s does not parse back: %v", path, j, err)
		}
		if !reflect.DeepEqual(stripped(back), stripped(s)) {
			t.Errorf("%s: round trip changed the scenario:\n%+v\n%+v", path, stripped(back), stripped(s))
		}
		var viaJSON Scenario
		if err := json.Unmarshal(j, &viaJSON); err != nil || !reflect.DeepEqual(viaJSON, stripped(s)) {
			t.Errorf("%s: json.Unmarshal = %+v, %v", path, viaJSON, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, "testdata/minimal.yaml")
	if s.Workers != DefaultWorkers || s.Warmup != 0 || s.Seed != 0 || s.Messages != 0 ||
		s.Rate.Profile != ProfileConstant || s.Keys.Distribution != DistributionNone ||
		s.Message.Payload.Kind != PayloadRandom || s.TopicSelection != TopicSelectionWeighted ||
		s.Topics[0].Weight != 1 || s.Engine != "native" || s.Headers != nil || s.Target != nil ||
		s.SLO != nil || s.Sweep != nil || s.Thresholds != nil || s.Producer != (Producer{}) {
		t.Errorf("defaults not applied: %+v", stripped(s))
	}
	cfg, err := s.ProducerConfig()
	if err != nil || !reflect.DeepEqual(cfg, producer.DefaultConfig()) {
		t.Errorf("ProducerConfig = %+v, %v; want DefaultConfig", cfg, err)
	}
}

func TestProducerConfig(t *testing.T) {
	t.Parallel()
	def := producer.DefaultConfig()
	with := func(f func(*producer.Config)) producer.Config { c := def; f(&c); return c }
	tests := []struct {
		name  string
		block string // the producer: block's lines
		want  producer.Config
	}{
		// no producer block: every default
		{"unset", "", def},
		// linger 0 is set, and differs from the 5ms default
		{"linger zero", "producer:\n  linger: 0ms\n", with(func(c *producer.Config) { c.Linger = 0 })},
		// linger unset keeps 5ms while other fields change
		{"linger unset", "producer:\n  acks: none\n", with(func(c *producer.Config) { c.Acks = producer.AcksNone })},
		// acks by number, as ParseAcks allows
		{"acks 1", "producer:\n  acks: 1\n", with(func(c *producer.Config) { c.Acks = producer.AcksLeader })},
		// every field set
		{"all", `producer:
  acks: all
  linger: 1s
  max_batch_bytes: 1MB
  max_batch_messages: 100
  compression: zstd
  compression_level: 3
  max_in_flight: 1
  request_timeout: 1m
  send_mode: sync
  batching: false
  max_pending_messages: 1000
  max_pending_bytes: 64MiB
  block_if_queue_full: false
  send_timeout: 2m
  partitioner: uniform_bytes
  retries: 9
  retry_backoff: 50ms
  max_retry_backoff: 2s
  idempotent: true
  transactional_id: tx-1
  transaction_max_messages: 500
  transaction_interval: 250ms
  auto_create_topics: true
  auto_create_partitions: 12
`, producer.Config{Acks: producer.AcksAll, Linger: time.Second, MaxBatchBytes: 1_000_000,
			MaxBatchMessages: 100, Compression: producer.CodecZstd, CompressionLevel: 3, MaxInFlight: 1, RequestTimeout: time.Minute,
			SendMode: producer.SendSync, Batching: false, MaxPendingMessages: 1000, MaxPendingBytes: 64 << 20,
			BlockIfQueueFull: false, SendTimeout: 2 * time.Minute, Partitioner: producer.PartitionerUniformBytes,
			Retries: 9, RetryBackoff: 50 * time.Millisecond, MaxRetryBackoff: 2 * time.Second, Idempotent: true,
			TransactionalID: "tx-1", TransactionMaxMessages: 500, TransactionInterval: 250 * time.Millisecond,
			AutoCreateTopics: true, AutoCreatePartitions: 12}},
		// zero values that differ from the defaults are applied
		{"zeros", "producer:\n  retries: 0\n  send_timeout: 0s\n  max_pending_bytes: 0\n  block_if_queue_full: false\n",
			with(func(c *producer.Config) {
				c.Retries, c.SendTimeout, c.MaxPendingBytes, c.BlockIfQueueFull = 0, 0, 0, false
			})},
		// sizes as plain integers
		{"bytes int", "producer:\n  max_batch_bytes: 128\n", with(func(c *producer.Config) { c.MaxBatchBytes = 128 })},
		// an empty mapping sets nothing
		{"empty block", "producer: {}\n", def},
	}
	minimal, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse("p.yaml", append(append([]byte{}, minimal...), tt.block...))
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ProducerConfig()
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ProducerConfig = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestValidateInCode(t *testing.T) {
	t.Parallel()
	s := &Scenario{
		Name: "code", Duration: Duration(time.Second), Workers: 1,
		Topics:   []Topic{{Name: "t", Partitions: 1}},
		Rate:     Rate{MessagesPerSecond: 10},
		Producer: Producer{Linger: ptr(Duration(0))},
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if cfg, _ := s.ProducerConfig(); cfg.Linger != 0 {
		t.Errorf("Linger = %v, want 0", cfg.Linger)
	}
	s.Workers = 0 // no default outside Parse
	err := s.Validate()
	var e *Error
	if !errors.As(err, &e) || e.Line != 0 || e.Field != "workers" || err.Error() != "workers: must be between 1 and 65536, got 0" {
		t.Errorf("Validate = %v, want a line-less workers error", err)
	}
	if l := s.Line("workers"); l != 0 {
		t.Errorf("Line = %d, want 0 for a scenario built in code", l)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/no-such-file.yaml")
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "testdata/no-such-file.yaml") {
		t.Errorf("Load = %v, want a not-exist error naming the path", err)
	}
}

func TestScenarioErrorf(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, quickstartPath)
	got := s.Errorf("producer.nonexistent", "x %d", 1).Error()
	if want := quickstartPath + ":" + strconv.Itoa(s.Line("producer")) + ": producer.nonexistent: x 1"; got != want {
		t.Errorf("Errorf = %q, want %q", got, want)
	}
}

// errRE is how every Parse error of a file named fuzz.yaml starts.
var errRE = regexp.MustCompile(`^fuzz\.yaml:[1-9][0-9]*: `)

// FuzzParse checks that Parse never panics, that every error is a
// one-line *Error with file, line >= 1 and a field (or "yaml: "), and that
// every accepted scenario is valid and survives the JSON round trip.
func FuzzParse(f *testing.F) {
	for _, p := range shippedScenarios(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "{}", "- a\n", "name: a\nname: b\n", "name: [\n", "a: &a [*a]\n",
		"name: x\nduration: 10\n", "producer:\n  lingr: 5ms\n", "---\n---\n",
		"topics: &t [{name: a, partitions: 1}, *t]\n", "<<: {name: a}\n",
		"message:\n  size: 1.5KiB\n", "rate: {messages_per_second: .nan}\n",
		"rate: {profile: ramp, from: 1, to: 2, over: 1s, mean: 3}\n",
		"message: {size: {distribution: normal, mean: 1, stddev: 1, table: []}}\n",
		"sweep: {params: {producer.linger: [1ms, x]}}\n", "sweep: {params: {\"slo.p99.9\": [1ms]}}\n",
		"target: {kind: sim, sim: {errors: {NOT_LEADR: 0.1}}}\n", "headers: {count: {min: 3}}\n",
		"message: {payload: {kind: json, template: '{\"a\": {{int 1}}}'}}\n",
		"keys: {distribution: zipf, count: 5, exponent: -1, format: '%d%d'}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang would stall the fuzzer silently; crash with the input instead.
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("WATCHDOG slow input %q", data)) })
		defer watchdog.Stop()
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %q is not an *Error", err, err)
			}
			msg := err.Error()
			if e.Line < 1 || !errRE.MatchString(msg) || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("malformed error %q (%#v)", msg, e)
			}
			if e.Field == "" && !strings.HasPrefix(e.Msg, "yaml: ") {
				t.Fatalf("error without field or yaml: %q", msg)
			}
			if e.Field != "" && !strings.HasPrefix(msg, "fuzz.yaml:"+strconv.Itoa(e.Line)+": "+e.Field+": ") {
				t.Fatalf("error %q does not name its field %q", msg, e.Field)
			}
			if strings.Contains(msg, "internal error") {
				t.Fatalf("internal error: %q", msg)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted a scenario Validate rejects: %v", err)
		}
		if _, err := s.ProducerConfig(); err != nil {
			t.Fatalf("ProducerConfig: %v", err)
		}
		j, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		back, err := Parse("result.json", j)
		if err != nil {
			t.Fatalf("JSON %s does not parse back: %v", j, err)
		}
		if !reflect.DeepEqual(stripped(back), stripped(s)) {
			t.Fatalf("JSON round trip changed the scenario:\n%+v\n%+v", stripped(back), stripped(s))
		}
	})
}
