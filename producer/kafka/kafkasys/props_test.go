package kafkasys

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

func props(kv ...string) []registry.Property {
	var out []registry.Property
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, registry.Property{Key: kv[i], Value: kv[i+1], Source: "c.properties:" + string(rune('1'+i/2))})
	}
	return out
}

func TestApplyPropertiesProducer(t *testing.T) {
	tc := &TargetConfig{}
	p := producer.DefaultConfig()
	err := applyProperties(tc, &p, props(
		"bootstrap.servers", "127.0.0.1:9093,127.0.0.1:9094",
		"linger.ms", "7", "batch.size", "32768", "compression.type", "zstd", "acks", "1",
		"enable.idempotence", "false", "max.in.flight.requests.per.connection", "3", "buffer.memory", "1048576",
		"delivery.timeout.ms", "60000", "request.timeout.ms", "15000", "retries", "4", "retry.backoff.ms", "250",
		"partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner", "transactional.id", "tx-1",
		"key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer",
	))
	if err != nil {
		t.Fatal(err)
	}
	want := producer.DefaultConfig()
	want.Linger, want.MaxBatchBytes, want.Compression, want.Acks = 7*time.Millisecond, 32768, producer.CodecZstd, producer.AcksLeader
	want.Idempotent, want.MaxInFlight, want.MaxPendingBytes = false, 3, 1<<20
	want.SendTimeout, want.RequestTimeout, want.Retries, want.RetryBackoff = time.Minute, 15*time.Second, 4, 250*time.Millisecond
	want.Partitioner, want.TransactionalID = producer.PartitionerRoundRobin, "tx-1"
	gotJ, _ := json.Marshal(p)
	wantJ, _ := json.Marshal(want)
	if string(gotJ) != string(wantJ) {
		t.Errorf("producer config\n got %s\nwant %s", gotJ, wantJ)
	}
	if strings.Join(tc.Brokers, ",") != "127.0.0.1:9093,127.0.0.1:9094" || len(tc.Warnings) != 0 {
		t.Errorf("brokers %v warnings %v", tc.Brokers, tc.Warnings)
	}
}

func TestApplyPropertiesSecurity(t *testing.T) {
	const secret = "pa$$-\"quoted\"-word"
	tc := &TargetConfig{}
	p := producer.DefaultConfig()
	err := applyProperties(tc, &p, props(
		"security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
		"sasl.jaas.config", `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="pa$$-\"quoted\"-word";`,
		"ssl.truststore.type", "PEM", "ssl.truststore.location", "/etc/ca.pem", "ssl.endpoint.identification.algorithm", "",
		"client.dns.lookup", "use_all_dns_ips",
	))
	if err != nil {
		t.Fatal(err)
	}
	if tc.SASL.Username != "alice" || tc.SASL.Password != secret || tc.TLS.CAFile != "/etc/ca.pem" || !tc.TLS.SkipHostnameCheck {
		t.Errorf("security not mapped: %+v %+v", tc.SASL.Username, tc.TLS)
	}
	if got := tc.SecurityMode(); got != "SASL_SSL/SCRAM-SHA-512" {
		t.Errorf("SecurityMode = %q", got)
	}
	if len(tc.Warnings) != 1 || !strings.Contains(tc.Warnings[0], "c.properties:7: property client.dns.lookup") {
		t.Errorf("warnings %q", tc.Warnings)
	}
	b, _ := json.Marshal(tc)
	if strings.Contains(string(b), "quoted") || strings.Contains(string(b), "pa$$") {
		t.Errorf("secret in JSON: %s", b)
	}
}

// TestApplyPropertiesShared: the producer properties go through
// kafkaprops.Apply, so another codec's level is a warning, not applied
// (it once set lz4's level to zstd's 19), and a linger.ms that would
// overflow a time.Duration is refused.
func TestApplyPropertiesShared(t *testing.T) {
	tc, p := &TargetConfig{}, producer.DefaultConfig()
	err := applyProperties(tc, &p, props("compression.type", "lz4", "compression.zstd.level", "19", "compression.lz4.level", "9"))
	if err != nil || p.Compression != producer.CodecLZ4 || p.CompressionLevel != 9 {
		t.Fatalf("levels: %v, codec %v level %d", err, p.Compression, p.CompressionLevel)
	}
	if want := "c.properties:2: property compression.zstd.level: the zstd level does not apply: the compression is lz4"; len(tc.Warnings) != 1 || tc.Warnings[0] != want {
		t.Errorf("warnings %q, want %q", tc.Warnings, want)
	}
	err = applyProperties(&TargetConfig{}, &p, props("linger.ms", "9223372036854775807"))
	if want := "c.properties:1: property linger.ms: want milliseconds, a whole number >= 0"; err == nil || err.Error() != want || !errors.Is(err, registry.ErrUsage) {
		t.Errorf("overflowing linger.ms: %v, want the usage error %q", err, want)
	}
}

func TestApplyPropertiesErrors(t *testing.T) {
	for _, c := range []struct {
		kv   []string
		want string
	}{
		{[]string{"linger.ms", "secret-5"}, "c.properties:1: property linger.ms: want milliseconds"},
		{[]string{"acks", "secret"}, "property acks"},
		{[]string{"security.protocol", "SASL_SSL"}, "needs sasl.mechanism"},
		{[]string{"ssl.truststore.type", "JKS"}, "PEM only"},
		{[]string{"sasl.jaas.config", "secret"}, "LoginModule"},
		{[]string{"sasl.mechanism", "PLAIN", "sasl.jaas.config", `x.PlainLoginModule required username="u";`}, "username and password"},
		{[]string{"bootstrap.servers", "h:99999"}, "port"},
	} {
		tc, p := &TargetConfig{}, producer.DefaultConfig()
		err := applyProperties(tc, &p, props(c.kv...))
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, registry.ErrUsage) {
			t.Errorf("%v: error %v, want usage error with %q", c.kv, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: error %q holds the value", c.kv, err)
		}
	}
}

func TestCheckSecurity(t *testing.T) {
	for _, c := range []struct {
		cfg   TargetConfig
		field string
	}{
		{TargetConfig{TLS: &TLSConfig{CertFile: "c.pem"}}, "target.tls.cert_file"},
		{TargetConfig{SASL: &SASLConfig{Mechanism: "SCRAM-SHA-256", Username: "u"}}, "target.sasl.password_env"},
		{TargetConfig{SASL: &SASLConfig{Mechanism: "OAUTHBEARER"}}, "target.sasl.token_file"},
		{TargetConfig{SASL: &SASLConfig{Mechanism: "KERBEROS"}}, "target.sasl.mechanism"},
		{TargetConfig{KafkaVersion: "2.x"}, "target.kafka_version"},
		{TargetConfig{ReplicationFactor: -1}, "target.replication_factor"},
	} {
		if field, err := c.cfg.checkSecurity(); field != c.field || err == nil {
			t.Errorf("%+v: field %q err %v, want %q", c.cfg, field, err, c.field)
		}
	}
	ok := TargetConfig{KafkaVersion: "2.8", TLS: &TLSConfig{CAFile: "x"}, SASL: &SASLConfig{Mechanism: "scram-sha-512", Username: "u", PasswordEnv: "P"}}
	if field, err := ok.checkSecurity(); err != nil {
		t.Errorf("valid config refused: %s %v", field, err)
	}
}

func TestKgoOptionsSecretsFromEnvAndFile(t *testing.T) {
	t.Setenv("PB_TEST_PW", "")
	c := TargetConfig{SASL: &SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordEnv: "PB_TEST_PW"}}
	if _, err := c.kgoOptions(); err == nil || !strings.Contains(err.Error(), "target.sasl.password_env: environment variable PB_TEST_PW is not set or empty") {
		t.Errorf("unset env: %v", err)
	}
	c = TargetConfig{TLS: &TLSConfig{CAFile: "/nonexistent/ca.pem"}}
	if _, err := c.kgoOptions(); err == nil || !strings.Contains(err.Error(), "target.tls.ca_file") {
		t.Errorf("missing CA file: %v", err)
	}
	c = TargetConfig{SASL: &SASLConfig{Mechanism: "AWS_MSK_IAM"}}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if _, err := c.kgoOptions(); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("MSK IAM without credentials: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	if opts, err := c.kgoOptions(); err != nil || len(opts) != 1 {
		t.Errorf("MSK IAM: %d opts, %v", len(opts), err)
	}
	c = TargetConfig{SASL: &SASLConfig{Mechanism: "OAUTHBEARER", TokenFile: "/nonexistent/token"}, KafkaVersion: "2.8"}
	if _, err := c.kgoOptions(); err == nil || !strings.Contains(err.Error(), "target.sasl.token_file: cannot read /nonexistent/token: no such file") {
		t.Errorf("missing token file: %v", err)
	}
}

func TestApplyPropertiesOAuthUnsecured(t *testing.T) {
	tc, p := &TargetConfig{}, producer.DefaultConfig()
	err := applyProperties(tc, &p, props("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "OAUTHBEARER",
		"sasl.jaas.config", `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";`))
	if err != nil {
		t.Fatal(err)
	}
	if tc.SASL.UnsecuredSub != "alice" || tc.SecurityMode() != "SASL_PLAINTEXT/OAUTHBEARER" {
		t.Errorf("got %+v %s", tc.SASL, tc.SecurityMode())
	}
	if opts, err := tc.kgoOptions(); err != nil || len(opts) != 1 {
		t.Errorf("kgoOptions: %d, %v", len(opts), err)
	}
	tok := unsecuredJWT("alice")
	if parts := strings.Split(tok, "."); len(parts) != 3 || parts[2] != "" || !strings.HasPrefix(tok, "eyJhbGciOiJub25lIn0.") {
		t.Errorf("unsecured token %q", tok)
	}
}
