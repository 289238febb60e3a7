package kafkaprops

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
)

func list(kv ...string) []Prop {
	var out []Prop
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Prop{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// TestApplyEach checks each mapped property alone: the option it sets and
// the field it reports.
func TestApplyEach(t *testing.T) {
	for _, c := range []struct {
		key, value string
		check      func(c producer.Config) bool
	}{
		{"acks", "1", func(c producer.Config) bool { return c.Acks == producer.AcksLeader }},
		{"acks", " -1 ", func(c producer.Config) bool { return c.Acks == producer.AcksAll }},
		{"linger.ms", "7", func(c producer.Config) bool { return c.Linger == 7*time.Millisecond }},
		{"batch.size", "16384", func(c producer.Config) bool { return c.MaxBatchBytes == 16384 }},
		{"batch.size", "9999999999", func(c producer.Config) bool { return c.MaxBatchBytes == 1<<31-1 }},
		{"compression.type", "ZSTD", func(c producer.Config) bool { return c.Compression == producer.CodecZstd }},
		{"max.in.flight.requests.per.connection", "1", func(c producer.Config) bool { return c.MaxInFlight == 1 }},
		{"request.timeout.ms", "1000", func(c producer.Config) bool { return c.RequestTimeout == time.Second }},
		{"delivery.timeout.ms", "2000", func(c producer.Config) bool { return c.SendTimeout == 2*time.Second }},
		{"buffer.memory", "4294967296", func(c producer.Config) bool { return c.MaxPendingBytes == 1<<32 }}, // a long: not capped
		{"retries", "2147483647", func(c producer.Config) bool { return c.Retries == 2147483647 }},
		{"retry.backoff.ms", "10", func(c producer.Config) bool { return c.RetryBackoff == 10*time.Millisecond }},
		{"retry.backoff.max.ms", "20", func(c producer.Config) bool { return c.MaxRetryBackoff == 20*time.Millisecond }},
		{"enable.idempotence", "FALSE", func(c producer.Config) bool { return !c.Idempotent }},
		{"transactional.id", " tx-1 ", func(c producer.Config) bool { return c.TransactionalID == "tx-1" }},
		{"partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner", func(c producer.Config) bool { return c.Partitioner == producer.PartitionerRoundRobin }},
		{"partitioner.class", "org.apache.kafka.clients.producer.internals.BuiltInPartitioner", func(c producer.Config) bool { return c.Partitioner == producer.PartitionerUniformBytes }},
	} {
		cfg := producer.DefaultConfig()
		cfg.Idempotent = true
		uses, err := Apply(&cfg, list(c.key, c.value))
		if err != nil || !c.check(cfg) || len(uses) != 1 || uses[0] != (Use{Field: Field(c.key)}) || uses[0].Field == "" {
			t.Errorf("%s=%s: uses %+v, err %v, config %+v", c.key, c.value, uses, err, cfg)
		}
	}
}

// TestApplyErrors: the first bad value is an Error naming its index and
// key, saying what is wanted, never quoting the value; ms that would
// overflow a time.Duration, zlib (no Kafka codec) and Java-invalid
// booleans are refused.
func TestApplyErrors(t *testing.T) {
	for _, c := range []struct {
		key, value, msg string
	}{
		{"linger.ms", "secret-5", "want milliseconds, a whole number >= 0"},
		{"request.timeout.ms", "9223372036854775807", "want milliseconds, a whole number >= 0"},
		{"retry.backoff.ms", "-1", "want milliseconds, a whole number >= 0"},
		{"batch.size", "127", "want a whole number >= 128"},
		{"max.in.flight.requests.per.connection", "0", "want a whole number >= 1"},
		{"retries", "secret", "want a whole number >= 0"},
		{"buffer.memory", "-1", "want a whole number of bytes >= 0"},
		{"compression.type", "zlib", "want none, gzip, snappy, lz4 or zstd"},
		{"compression.zstd.level", "secret", "want a whole number"},
		{"acks", "secret", "want all, -1, 1 or 0"},
		{"enable.idempotence", "1", "want true or false"},
	} {
		cfg := producer.DefaultConfig()
		_, err := Apply(&cfg, list("linger.ms", "1", c.key, c.value, "acks", "x"))
		if err == nil || err.Index != 1 || err.Key != c.key || err.Msg != c.msg {
			t.Errorf("%s=%s: error %+v, want index 1 and %q", c.key, c.value, err, c.msg)
			continue
		}
		if want := "property " + c.key + ": " + c.msg; err.Error() != want {
			t.Errorf("Error() = %q, want %q", err.Error(), want)
		}
	}
}

// TestApplyLevelsAndSkips: the chosen codec's level applies wherever it
// stands, the codec coming from c when compression.type is not given;
// another codec's level and a custom partitioner class are skipped, and
// properties that are no producer option are left alone.
func TestApplyLevelsAndSkips(t *testing.T) {
	cfg := producer.DefaultConfig()
	uses, err := Apply(&cfg, list("compression.gzip.level", "4", "compression.zstd.level", "3", "compression.type", "gzip",
		"partitioner.class", "com.example.MyPartitioner", "security.protocol", "SSL", "partitioner.class", "org.apache.kafka.clients.producer.UniformStickyPartitioner"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Use{
		{Field: "compression_level"},
		{Skipped: "the zstd level does not apply: the compression is gzip"},
		{Field: "compression"},
		{Skipped: "custom partitioner classes cannot run in prodbench; using sticky"},
		{},
		{Field: "partitioner"},
	}
	if !reflect.DeepEqual(uses, want) || cfg.CompressionLevel != 4 || cfg.Compression != producer.CodecGzip {
		t.Errorf("uses %+v (level %d, codec %v), want %+v", uses, cfg.CompressionLevel, cfg.Compression, want)
	}

	cfg = producer.DefaultConfig()
	cfg.Compression = producer.CodecLZ4
	uses, err = Apply(&cfg, list("compression.lz4.level", "9", "compression.lz4.level", "12"))
	if err != nil || cfg.CompressionLevel != 12 || uses[1].Field != "compression_level" {
		t.Errorf("lz4 from the config: level %d, uses %+v, %v", cfg.CompressionLevel, uses, err)
	}
	cfg = producer.DefaultConfig()
	uses, _ = Apply(&cfg, list("compression.gzip.level", "9"))
	if cfg.CompressionLevel != 0 || !strings.Contains(uses[0].Skipped, "the compression is none") {
		t.Errorf("level without compression: level %d, uses %+v", cfg.CompressionLevel, uses)
	}
}

func TestIntBool(t *testing.T) {
	if n, err := Int(" 3 ", 0); n != 3 || err != nil {
		t.Errorf("Int(3) = %d, %v", n, err)
	}
	if _, err := Int("3", 4); err == nil || err.Error() != "want a whole number >= 4" {
		t.Errorf("Int(3, 4): %v", err)
	}
	for v, want := range map[string]bool{"true": true, " True": true, "FALSE": false} {
		if b, err := Bool(v); b != want || err != nil {
			t.Errorf("Bool(%q) = %v, %v", v, b, err)
		}
	}
	for _, v := range []string{"1", "t", "yes", ""} {
		if _, err := Bool(v); err == nil {
			t.Errorf("Bool(%q) accepted", v)
		}
	}
}
