package workload

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
)

// ombDir writes an OMB repository layout under a temporary directory:
// workloads/w.yaml holding body, and payload/p100.data of 100 bytes. It
// returns the workload's path.
func ombDir(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"workloads", "payload"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "payload", "p100.data"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "workloads", "w.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ombBase is a valid OMB workload; cases replace or add lines.
const ombBase = `name: base workload
topics: 1
partitionsPerTopic: 16
messageSize: 100
payloadFile: "payload/p100.data"
producersPerTopic: 1
producerRate: 1000
testDurationMinutes: 15
`

// withField returns ombBase with the line of field replaced by line (or
// line appended when field is not in it; "" line removes the field).
func withField(field, line string) string {
	var out []string
	found := false
	for _, l := range strings.Split(strings.TrimSuffix(ombBase, "\n"), "\n") {
		if strings.HasPrefix(l, field+":") {
			found = true
			if line != "" {
				out = append(out, line)
			}
			continue
		}
		out = append(out, l)
	}
	if !found && line != "" {
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}

func loadOMB(t *testing.T, body string) *Scenario {
	t.Helper()
	s, err := Load(ombDir(t, body))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.OMB() == nil {
		t.Fatal("not recognised as an OMB workload")
	}
	return s
}

func hasNote(s *Scenario, sub string) bool {
	return strings.Contains(s.OMB().Note(), sub)
}

// TestOMBFields checks the translation of every field of OMB's
// Workload.java, one case per field.
func TestOMBFields(t *testing.T) {
	t.Run("name", func(t *testing.T) {
		s := loadOMB(t, withField("name", "name: 1 producer / 1 consumers on 1 topic"))
		if s.Name != "w" || !strings.Contains(s.Description, "1 producer / 1 consumers on 1 topic") || s.OMB().Name != "1 producer / 1 consumers on 1 topic" {
			t.Errorf("name %q, description %q, OMB name %q", s.Name, s.Description, s.OMB().Name)
		}
	})
	t.Run("topics", func(t *testing.T) {
		s := loadOMB(t, withField("topics", "topics: 3"))
		if len(s.Topics) != 3 || s.Topics[2].Name != "test-topic-0000002" || s.TopicSelection != TopicSelectionWeighted {
			t.Errorf("topics %+v selection %s", s.Topics, s.TopicSelection)
		}
		for _, tp := range s.Topics {
			if tp.Weight != 1 {
				t.Errorf("topic %s weight %v, want 1 (OMB spreads the rate evenly)", tp.Name, tp.Weight)
			}
		}
	})
	t.Run("partitionsPerTopic", func(t *testing.T) {
		s := loadOMB(t, withField("topics", "topics: 2"))
		s2 := loadOMB(t, strings.Replace(withField("topics", "topics: 2"), "partitionsPerTopic: 16", "partitionsPerTopic: 7", 1))
		if s.Topics[1].Partitions != 16 || s2.Topics[0].Partitions != 7 || s2.Topics[1].Partitions != 7 {
			t.Errorf("partitions %d, %d/%d", s.Topics[1].Partitions, s2.Topics[0].Partitions, s2.Topics[1].Partitions)
		}
	})
	t.Run("messageSize", func(t *testing.T) {
		s := loadOMB(t, strings.Replace(ombBase, "messageSize: 100\npayloadFile: \"payload/p100.data\"", "messageSize: 2048\nuseRandomizedPayloads: true\nrandomizedPayloadPoolSize: 10", 1))
		if !reflect.DeepEqual(s.Message.Size, FixedSize(2048)) || s.OMB().MessageSize != 2048 {
			t.Errorf("size %+v", s.Message.Size)
		}
	})
	t.Run("payloadFile", func(t *testing.T) {
		s := loadOMB(t, ombBase)
		if s.Message.Payload.Kind != PayloadFile || !strings.HasSuffix(s.Message.Payload.File, filepath.Join("payload", "p100.data")) {
			t.Errorf("payload %+v", s.Message.Payload)
		}
		// The file is read as the payload of every message.
		g, err := NewPayloadGen(s)
		if err != nil {
			t.Fatal(err)
		}
		if p := g.Payload(3); len(p) != 100 {
			t.Errorf("payload of %d bytes, want 100", len(p))
		}
	})
	t.Run("payloadFile size mismatch", func(t *testing.T) {
		_, err := Load(ombDir(t, withField("messageSize", "messageSize: 1024")))
		wantErr(t, err, "payloadFile", "holds 100 bytes but messageSize is 1024")
	})
	t.Run("useRandomizedPayloads randomBytesRatio randomizedPayloadPoolSize", func(t *testing.T) {
		body := withField("payloadFile", "useRandomizedPayloads: true\nrandomBytesRatio: 0.5\nrandomizedPayloadPoolSize: 20")
		s := loadOMB(t, body)
		p := s.Message.Payload
		if p.Kind != PayloadRandomRatio || p.Ratio != 0.5 || p.PoolSize != 20 || !reflect.DeepEqual(s.Message.Size, FixedSize(100)) {
			t.Errorf("payload %+v size %+v", p, s.Message.Size)
		}
		g, err := NewPayloadGen(s)
		if err != nil {
			t.Fatal(err)
		}
		v := g.Payload(0)
		if len(v) != 100 {
			t.Fatalf("payload of %d bytes", len(v))
		}
		for i, b := range v[50:] {
			if b != 0 {
				t.Fatalf("byte %d is %d: OMB's randomized payload ends in zeros after randomBytesRatio", 50+i, b)
			}
		}
	})
	t.Run("randomBytesRatio out of range", func(t *testing.T) {
		_, err := Load(ombDir(t, withField("payloadFile", "useRandomizedPayloads: true\nrandomBytesRatio: 1.5\nrandomizedPayloadPoolSize: 20")))
		wantErr(t, err, "randomBytesRatio", "between 0 and 1")
	})
	t.Run("randomizedPayloadPoolSize zero", func(t *testing.T) {
		_, err := Load(ombDir(t, withField("payloadFile", "useRandomizedPayloads: true\nrandomBytesRatio: 0.5")))
		wantErr(t, err, "randomizedPayloadPoolSize", "between 1 and")
	})
	t.Run("randomized fields without useRandomizedPayloads", func(t *testing.T) {
		s := loadOMB(t, ombBase+"randomBytesRatio: 0.5\n")
		if !hasNote(s, "randomBytesRatio and randomizedPayloadPoolSize: not used") {
			t.Errorf("note %q", s.OMB().Note())
		}
	})
	t.Run("keyDistributor", func(t *testing.T) {
		for kd, want := range map[string]Keys{
			"":                                {Distribution: DistributionNone},
			"keyDistributor: NO_KEY":          {Distribution: DistributionNone},
			"keyDistributor: KEY_ROUND_ROBIN": {Distribution: DistributionRoundRobin, Count: 10000, Format: KeyFormatOMB},
			"keyDistributor: \"RANDOM_NANO\"": {Distribution: DistributionUniform, Count: 10000, Format: KeyFormatOMB},
		} {
			s := loadOMB(t, ombBase+kd+"\n")
			if !reflect.DeepEqual(s.Keys, want) {
				t.Errorf("%s: keys %+v, want %+v", kd, s.Keys, want)
			}
		}
		s := loadOMB(t, ombBase+"keyDistributor: KEY_ROUND_ROBIN\n")
		kg := mustKeyGen(t, s.Keys, s.Seed)
		if k := kg.Key(0, nil); len(k) != 10 {
			t.Errorf("key %q: OMB's keys are 10 base64url characters", k)
		}
		_, err := Load(ombDir(t, ombBase+"keyDistributor: ZIPF\n"))
		wantErr(t, err, "keyDistributor", "NO_KEY, KEY_ROUND_ROBIN or RANDOM_NANO")
	})
	t.Run("producersPerTopic", func(t *testing.T) {
		s := loadOMB(t, strings.Replace(withField("producersPerTopic", "producersPerTopic: 4"), "topics: 1", "topics: 2", 1))
		if s.Workers != 8 || s.Producers != 8 || s.OMB().ProducersPerTopic != 4 || hasNote(s, "producersPerTopic") {
			t.Errorf("workers %d, producers %d, note %q", s.Workers, s.Producers, s.OMB().Note())
		}
		if l := s.Line("producers"); l == 0 || l != s.Line("workers") {
			t.Errorf("producers line %d, want producersPerTopic's (workers at %d)", l, s.Line("workers"))
		}
		// 200 producers: as many workers, one per producer.
		s = loadOMB(t, strings.Replace(withField("producersPerTopic", "producersPerTopic: 100"), "topics: 1", "topics: 2", 1))
		if s.Producers != 200 || s.Workers != 200 {
			t.Errorf("producers %d, workers %d, want 200 and 200", s.Producers, s.Workers)
		}
		s = loadOMB(t, withField("producersPerTopic", "producersPerTopic: 1"))
		if s.ProducerCount() != 1 || s.Workers != 1 {
			t.Errorf("producers %d, workers %d, want 1 and 1", s.ProducerCount(), s.Workers)
		}
		// More than MaxProducers: capped, and the note says so.
		s = loadOMB(t, strings.Replace(withField("producersPerTopic", "producersPerTopic: 600"), "topics: 1", "topics: 2", 1))
		if s.Producers != MaxProducers || !hasNote(s, "OMB opens 1200 producers; prodbench opens at most 1024") {
			t.Errorf("producers %d, note %q", s.Producers, s.OMB().Note())
		}
		_, err := Load(ombDir(t, withField("producersPerTopic", "producersPerTopic: 0")))
		wantErr(t, err, "producersPerTopic", "at least 1")
	})
	t.Run("producerRate", func(t *testing.T) {
		s := loadOMB(t, withField("producerRate", "producerRate: 200000"))
		if s.Rate.Profile != ProfileConstant || s.Rate.MessagesPerSecond != 200000 {
			t.Errorf("rate %+v", s.Rate)
		}
		s = loadOMB(t, withField("producerRate", "producerRate: 0"))
		if s.Rate.Profile != ProfileMax || !s.Rate.ClosedLoop() || !hasNote(s, "producerRate 0") {
			t.Errorf("rate %+v note %q", s.Rate, s.OMB().Note())
		}
		_, err := Load(ombDir(t, withField("producerRate", "producerRate: -5")))
		wantErr(t, err, "producerRate", "negative")
	})
	t.Run("testDurationMinutes warmupDurationMinutes", func(t *testing.T) {
		s := loadOMB(t, ombBase)
		if s.Duration.D() != 16*time.Minute || s.Warmup.D() != time.Minute {
			t.Errorf("duration %v warmup %v: want 15m measured after OMB's default 1m warmup", s.Duration, s.Warmup)
		}
		s = loadOMB(t, ombBase+"warmupDurationMinutes: 0\n")
		if s.Duration.D() != 15*time.Minute || s.Warmup != 0 {
			t.Errorf("duration %v warmup %v", s.Duration, s.Warmup)
		}
		s = loadOMB(t, ombBase+"warmupDurationMinutes: 3\n")
		if s.Duration.D() != 18*time.Minute || s.Warmup.D() != 3*time.Minute {
			t.Errorf("duration %v warmup %v", s.Duration, s.Warmup)
		}
		_, err := Load(ombDir(t, withField("testDurationMinutes", "")))
		wantErr(t, err, "testDurationMinutes", "at least 1")
	})
	t.Run("subscriptionsPerTopic consumerPerSubscription", func(t *testing.T) {
		s := loadOMB(t, ombBase+"subscriptionsPerTopic: 2\nconsumerPerSubscription: 3\n")
		if !hasNote(s, "subscriptionsPerTopic 2, consumerPerSubscription 3: no consumers") || s.OMB().ConsumersPerTopic != 3 {
			t.Errorf("note %q", s.OMB().Note())
		}
	})
	t.Run("consumerBacklogSizeGB backlogDrainRatio", func(t *testing.T) {
		s := loadOMB(t, ombBase+"consumerBacklogSizeGB: 512\nbacklogDrainRatio: 0.5\n")
		if !hasNote(s, "consumerBacklogSizeGB 512: no backlog") || !hasNote(s, "backlogDrainRatio 0.5") {
			t.Errorf("note %q", s.OMB().Note())
		}
		s = loadOMB(t, ombBase+"consumerBacklogSizeGB: 0\n")
		if hasNote(s, "consumerBacklogSizeGB") {
			t.Errorf("a zero backlog noted: %q", s.OMB().Note())
		}
	})
}

// wantErr checks that err is an *Error on field whose message holds sub.
func wantErr(t *testing.T, err error, field, sub string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *Error on %s", err, err, field)
	}
	if e.Field != field || !strings.Contains(e.Msg, sub) || e.Line < 1 || e.File == "" {
		t.Errorf("error %q (field %q line %d), want field %q containing %q", err, e.Field, e.Line, field, sub)
	}
}

// TestOMBErrors checks errors name the file, line and OMB field.
func TestOMBErrors(t *testing.T) {
	p := ombDir(t, "topics: 1\npartitionsPerTopic: 16\nmessageSize: 100\npayloadFile: payload/p100.data\nproducersPerTopic: 1\nproducerRate: 1000\ntestDurationMinutes: 15\npartitionsPerTopik: 3\n")
	_, err := Load(p)
	var e *Error
	if !errors.As(err, &e) || e.Line != 8 || e.Field != "partitionsPerTopik" || !strings.Contains(e.Msg, "partitionsPerTopic") {
		t.Errorf("unknown field: %v", err)
	}
	_, err = Load(ombDir(t, withField("topics", "topics: many")))
	if !errors.As(err, &e) || e.Line != 2 || e.Field != "topics" {
		t.Errorf("wrong type: %v", err)
	}
	_, err = Load(ombDir(t, withField("partitionsPerTopic", "partitionsPerTopic: 0")))
	wantErr(t, err, "partitionsPerTopic", "at least 1")
	_, err = Load(ombDir(t, withField("payloadFile", "payloadFile: payload/missing.data")))
	wantErr(t, err, "payloadFile", "not found")
	_, err = Load(ombDir(t, withField("topics", "topics: 20000")))
	wantErr(t, err, "topics", "between 1 and")
}

// TestOMBFixtures loads the hand-written files in OMB's repository layout
// under testdata/omb.
func TestOMBFixtures(t *testing.T) {
	s := mustLoad(t, "testdata/omb/workloads/1-topic-16-partitions-100b.yaml")
	if s.Name != "1-topic-16-partitions-100b" || len(s.Topics) != 1 || s.Topics[0].Partitions != 16 ||
		s.Rate.MessagesPerSecond != 50000 || s.Workers != 4 || s.Keys.Distribution != DistributionRoundRobin ||
		s.Duration.D() != 16*time.Minute || s.Warmup.D() != time.Minute || s.Message.Payload.Kind != PayloadFile {
		t.Errorf("translated: %+v", s)
	}
	if l := s.Line("rate.messages_per_second"); l != 17 {
		t.Errorf("rate line %d, want producerRate's line 17", l)
	}
	s = mustLoad(t, "testdata/omb/workloads/max-rate-2-topics-randomized.yaml")
	if len(s.Topics) != 2 || s.Producers != 4 || !s.Rate.ClosedLoop() || s.Keys.Distribution != DistributionUniform ||
		s.Message.Payload.Ratio != 0.25 || s.Message.Payload.PoolSize != 50 || s.Warmup != 0 || s.Duration.D() != 5*time.Minute {
		t.Errorf("translated: %+v", s)
	}
	note := s.OMB().Note()
	for _, want := range []string{"producerRate 0", "consumerBacklogSizeGB 4", "backlogDrainRatio 0.9", "subscriptionsPerTopic 2"} {
		if !strings.Contains(note, want) {
			t.Errorf("note lacks %q: %s", want, note)
		}
	}
}

// TestOMBDriver applies the hand-written Kafka driver file: every
// property it maps, the target, and the note of what is not done.
func TestOMBDriver(t *testing.T) {
	s := mustLoad(t, "testdata/omb/workloads/1-topic-16-partitions-100b.yaml")
	if err := s.ApplyOMBDriver("testdata/omb/driver-kafka/kafka-latency.yaml"); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.ProducerConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := producer.DefaultConfig()
	want.Acks = producer.AcksAll
	want.Linger = time.Millisecond
	want.MaxBatchBytes = 131072
	want.Compression = producer.CodecLZ4
	want.CompressionLevel = 9
	want.MaxInFlight = 5
	want.RequestTimeout = 120 * time.Second
	want.SendTimeout = 60 * time.Second
	want.MaxPendingBytes = 64 << 20
	want.Retries = 10
	want.RetryBackoff = 50 * time.Millisecond
	want.MaxRetryBackoff = 500 * time.Millisecond
	want.Idempotent = true
	want.Partitioner = producer.PartitionerRoundRobin
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("producer config\n got %+v\nwant %+v", cfg, want)
	}
	if s.Target == nil || s.Target.Kind != "kafka" || s.Target.URL != "kafka://127.0.0.1:9092" {
		t.Errorf("target %+v", s.Target)
	}
	o := s.OMB()
	if o.Driver != "Kafka" || o.Workload == "" || o.DriverFile == "" {
		t.Errorf("info %+v", o)
	}
	note := o.Note()
	for _, w := range []string{"replicationFactor 3", "topicConfig min.insync.replicas", "properties not used: client.id, sasl.jaas.config", "consumerConfig"} {
		if !strings.Contains(note, w) {
			t.Errorf("note lacks %q: %s", w, note)
		}
	}
	if strings.Contains(note, "s3cret") {
		t.Errorf("note shows a secret: %s", note)
	}
	y, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(y), "s3cret") {
		t.Error("YAML shows a secret")
	}
}

// TestOMBDriverErrors checks driver errors name the file, the property
// and its line.
func TestOMBDriverErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "d.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := func() *Scenario {
		s := mustLoad(t, "testdata/omb/workloads/1-topic-16-partitions-100b.yaml")
		return s
	}
	s := base()
	err := s.ApplyOMBDriver(write("name: Kafka\nproducerConfig: |\n  acks=all\n  linger.ms=soon\n"))
	var e *Error
	if !errors.As(err, &e) || e.Field != "linger.ms" || e.Line != 4 || !strings.Contains(e.Msg, `got "soon"`) {
		t.Errorf("bad linger.ms: %v", err)
	}
	err = s.ApplyOMBDriver(write("name: Kafka\nproducerConfig: |\n  acks=1\n  enable.idempotence=true\n"))
	if !errors.As(err, &e) || e.Field != "acks" || e.Line != 3 || !strings.Contains(e.Msg, "idempotent") {
		t.Errorf("idempotence with acks=1: %v", err)
	}
	err = s.ApplyOMBDriver(write("name: Pulsar\ndriverClass: io.openmessaging.benchmark.driver.pulsar.PulsarBenchmarkDriver\n"))
	if !errors.As(err, &e) || e.Field != "driverClass" {
		t.Errorf("pulsar driver: %v", err)
	}
	err = s.ApplyOMBDriver(write("name: Kafka\nproducerConfg: |\n  acks=all\n"))
	if !errors.As(err, &e) || e.Field != "producerConfg" || !strings.Contains(e.Msg, "producerConfig") {
		t.Errorf("typo: %v", err)
	}
	// s is unchanged by the failed applications.
	if s.Producer.Acks != nil || s.Target != nil {
		t.Errorf("scenario changed: %+v %+v", s.Producer, s.Target)
	}
}

// TestKafkaPropertiesMapping checks each mapped property alone.
func TestKafkaPropertiesMapping(t *testing.T) {
	for _, c := range []struct {
		prop, value string
		check       func(p Producer) bool
	}{
		{"acks", "1", func(p Producer) bool { return *p.Acks == "1" }},
		{"linger.ms", "7", func(p Producer) bool { return p.Linger.D() == 7*time.Millisecond }},
		{"batch.size", "16384", func(p Producer) bool { return *p.MaxBatchBytes == 16384 }},
		{"compression.type", "zstd", func(p Producer) bool { return *p.Compression == "zstd" }},
		{"max.in.flight.requests.per.connection", "1", func(p Producer) bool { return *p.MaxInFlight == 1 }},
		{"request.timeout.ms", "1000", func(p Producer) bool { return p.RequestTimeout.D() == time.Second }},
		{"delivery.timeout.ms", "2000", func(p Producer) bool { return p.SendTimeout.D() == 2*time.Second }},
		{"buffer.memory", "1024", func(p Producer) bool { return *p.MaxPendingBytes == 1024 }},
		{"retries", "2147483647", func(p Producer) bool { return *p.Retries == 2147483647 }},
		{"retry.backoff.ms", "10", func(p Producer) bool { return p.RetryBackoff.D() == 10*time.Millisecond }},
		{"retry.backoff.max.ms", "20", func(p Producer) bool { return p.MaxRetryBackoff.D() == 20*time.Millisecond }},
		{"enable.idempotence", "false", func(p Producer) bool { return !*p.Idempotent }},
		{"transactional.id", "tx-1", func(p Producer) bool { return *p.TransactionalID == "tx-1" }},
		{"partitioner.class", "org.apache.kafka.clients.producer.UniformStickyPartitioner", func(p Producer) bool { return *p.Partitioner == "sticky" }},
		{"partitioner.class", "org.apache.kafka.clients.producer.internals.BuiltInPartitioner", func(p Producer) bool { return *p.Partitioner == "uniform_bytes" }},
	} {
		var p Producer
		res, err := ApplyKafkaProperties(&p, []Property{{Key: c.prop, Value: c.value, Line: 1}})
		if err != nil || !c.check(p) || len(res.Ignored) != 0 {
			t.Errorf("%s=%s: err %v ignored %v", c.prop, c.value, err, res.Ignored)
		}
	}
	// A bad value leaves p unchanged; Java takes true or false only.
	var p Producer
	_, err := ApplyKafkaProperties(&p, []Property{{Key: "linger.ms", Value: "5"}, {Key: "enable.idempotence", Value: "1", Line: 7}})
	if pe := (*PropertyError)(nil); !errors.As(err, &pe) || pe.Line != 7 || pe.Msg != `want true or false, got "1"` || p.Linger != nil {
		t.Errorf("enable.idempotence=1: %v, linger %v", err, p.Linger)
	}
	res, err := ApplyKafkaProperties(&p, []Property{{Key: "compression.type", Value: "gzip"}, {Key: "compression.gzip.level", Value: "4"}, {Key: "compression.zstd.level", Value: "3"}})
	if err != nil || *p.CompressionLevel != 4 || !reflect.DeepEqual(res.Ignored, []string{"compression.zstd.level"}) {
		t.Errorf("levels: %v %v %v", err, p.CompressionLevel, res.Ignored)
	}
	props, err := ParseProperties("# comment\nbootstrap.servers = PLAINTEXT://h1:9092,h2:9092\nacks: all\nlinger.ms 5\n", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != 3 || props[2].Key != "linger.ms" || props[2].Value != "5" || props[2].Line != 13 {
		t.Errorf("properties %+v", props)
	}
	res, err = ApplyKafkaProperties(&p, props)
	if err != nil || res.Bootstrap != "h1:9092,h2:9092" || res.BootstrapLine != 11 {
		t.Errorf("bootstrap %q line %d err %v", res.Bootstrap, res.BootstrapLine, err)
	}
}

// TestOMBYAMLRoundTrip checks that validate's YAML reads back as the same
// scenario.
func TestOMBYAMLRoundTrip(t *testing.T) {
	for _, f := range []string{"testdata/omb/workloads/1-topic-16-partitions-100b.yaml", "testdata/omb/workloads/max-rate-2-topics-randomized.yaml"} {
		s := mustLoad(t, f)
		if err := s.ApplyOMBDriver("testdata/omb/driver-kafka/kafka-latency.yaml"); err != nil {
			t.Fatal(err)
		}
		y, err := s.YAML()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(y), "# Translated from the OMB workload") || !strings.Contains(string(y), "# Not done by prodbench:") {
			t.Errorf("header missing:\n%s", y)
		}
		back, err := Parse("saved.yaml", y)
		if err != nil {
			t.Fatalf("%s: saved YAML does not parse: %v\n%s", f, err, y)
		}
		a, _ := json.Marshal(s)
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Errorf("%s: round trip differs\n got %s\nwant %s", f, b, a)
		}
	}
}

// TestOMBDetection checks a prodbench scenario is not taken for OMB.
func TestOMBDetection(t *testing.T) {
	s := mustLoad(t, "../scenarios/quickstart.yaml")
	if s.OMB() != nil {
		t.Error("quickstart read as OMB")
	}
}

// FuzzParseProperties checks that ParseProperties (--producer-config
// files) never panics and never echoes its input in an error (a value may
// be a secret).
func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"", "# comment\nbootstrap.servers = PLAINTEXT://h1:9092\nacks: all\nlinger.ms 5\n",
		"a=b\\\n  c\n", "sasl.jaas.config=secret\\", "=\n:\n \\u12", "k=${x}\n", "!c\nk\n",
	} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, text string, first int) {
		if _, err := ParseProperties(text, first); err != nil && len(text) > 8 && strings.Contains(err.Error(), text) {
			t.Fatalf("error %q echoes the input", err)
		}
	})
}

// FuzzParseOMB feeds OpenMessaging Benchmark workload files (recognised by
// Parse) to Parse: no panic, no hang, and every error names fuzz.yaml and
// a line.
func FuzzParseOMB(f *testing.F) {
	files, _ := filepath.Glob("testdata/omb/workloads/*.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\ntopics: 1\npartitionsPerTopic: 2147483647\nmessageSize: 1\nproducerRate: 1\ntestDurationMinutes: 1\n"))
	f.Add([]byte("name: x\ntopics: 100000000\npartitionsPerTopic: 1\nmessageSize: 1\nproducerRate: 1\ntestDurationMinutes: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		timer := time.AfterFunc(10*time.Second, func() { panic("Parse hung on " + string(data)) })
		defer timer.Stop()
		go func() {
			defer close(done)
			s, err := Parse("fuzz.yaml", data)
			if err != nil {
				if !errRE.MatchString(err.Error()) && !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
					t.Errorf("error %q does not name fuzz.yaml", err)
				}
				return
			}
			if err := s.Validate(); err != nil {
				t.Errorf("accepted scenario fails Validate: %v", err)
			}
		}()
		<-done
	})
}
