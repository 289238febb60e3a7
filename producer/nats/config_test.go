package nats

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// TestShippedTargetBlocks decodes the target block of every NATS scenario
// strictly into Config, as the scenario decoder does, and validates it.
func TestShippedTargetBlocks(t *testing.T) {
	for _, f := range []string{"nats-quickstart.yaml", "nats-peer-100b.yaml", "memphis-stations.yaml"} {
		b, err := os.ReadFile("../../scenarios/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Target map[string]any `yaml:"target"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Target["kind"] != Kind {
			t.Fatalf("%s: kind %v", f, doc.Target["kind"])
		}
		delete(doc.Target, "kind")
		delete(doc.Target, "url")
		block, _ := yaml.Marshal(doc.Target)
		sys, _ := registry.Lookup(Kind)
		cfg := sys.NewConfig()
		dec := yaml.NewDecoder(bytes.NewReader(block))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := sys.Validate(cfg, producer.DefaultConfig(), transporttest.Scope{}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// TestValidateRefuses: options that mean nothing on NATS are refused
// naming the option and the target kind.
func TestValidateRefuses(t *testing.T) {
	sys, ok := registry.Lookup(Kind)
	if !ok {
		t.Fatal("kind nats not registered")
	}
	if s, err := registry.ForURL("tls://127.0.0.1:4222"); err != nil || s.Kind != Kind {
		t.Fatalf("tls:// → %v %v", s, err)
	}
	for _, field := range []string{"producer.linger", "producer.max_batch_bytes", "producer.compression", "producer.acks",
		"producer.transactional_id", "producer.max_in_flight"} {
		err := sys.Validate(&Config{}, producer.DefaultConfig(), transporttest.Scope{field: true})
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "target kind nats") {
			t.Errorf("%s: %v", field, err)
		}
	}
	p := producer.DefaultConfig()
	p.Partitioner = producer.PartitionerSticky
	if err := sys.Validate(&Config{}, p, transporttest.Scope{}); err == nil || !strings.Contains(err.Error(), "producer.partitioner") {
		t.Errorf("sticky: %v", err)
	}
	p = producer.DefaultConfig()
	p.Compression = producer.CodecLZ4 // set in code, not in a file
	if err := sys.Validate(&Config{}, p, transporttest.Scope{}); err == nil || !strings.Contains(err.Error(), "producer.compression") {
		t.Errorf("lz4: %v", err)
	}
	for c, want := range map[*Config]string{
		{Storage: "disk"}:      `storage "disk": want file or memory`,
		{Retention: "forever"}: `retention "forever": want limits, interest or workqueue`,
		{Discard: "oldest"}:    `discard "oldest": want old or new`,
		{Compression: "zstd"}:  `compression "zstd": want none or s2 (the stream's store compression)`,
	} {
		if err := sys.Validate(c, producer.DefaultConfig(), transporttest.Scope{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", c, err, want)
		}
	}
	for _, c := range []*Config{{Replicas: 3},
		{Auth: Auth{User: "u", Token: "t"}}, {Auth: Auth{Password: "p"}}, {TLS: TLS{CertFile: "c.pem"}}} {
		if err := sys.Validate(c, producer.DefaultConfig(), transporttest.Scope{}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := sys.Validate(&Config{Storage: "memory", Compression: "s2", Discard: "new", Retention: "workqueue"},
		producer.DefaultConfig(), transporttest.Scope{}); err != nil {
		t.Error(err)
	}
}

// TestURLSecrets: a password in a URL or a secret file never shows in
// errors or the target description.
func TestURLSecrets(t *testing.T) {
	c := &Config{}
	if err := applyURL(c, "nats://user:hunter2@127.0.0.1:4222,tls://127.0.0.1:4223"); err != nil {
		t.Fatal(err)
	}
	if r := redact(c.URL); strings.Contains(r, "hunter2") || !strings.Contains(r, "***@127.0.0.1:4222") {
		t.Fatalf("redact = %q", r)
	}
	err := applyURL(c, "http://user:hunter2@127.0.0.1:4222")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("http scheme: %v", err)
	}
	t.Setenv("PB_NATS_PW", "s3cret")
	if _, err := connectOptions(&Config{Auth: Auth{User: "u", PasswordEnv: "PB_NATS_PW"}}, nil); err != nil {
		t.Fatalf("env secret: %v", err)
	}
	_, err = connectOptions(&Config{Auth: Auth{TokenEnv: "PB_NATS_UNSET_VAR"}}, nil)
	if want := "nats: target.auth.token_env: environment variable PB_NATS_UNSET_VAR is not set or empty"; err == nil ||
		err.Error() != want || !errors.Is(err, registry.ErrUsage) {
		t.Fatalf("unset env: %v, want the usage error %q", err, want)
	}
	dir := t.TempDir() // a file that cannot be read
	_, err = connectOptions(&Config{Auth: Auth{User: "u", PasswordFile: dir}}, nil)
	if want := "nats: target.auth.password_file: cannot read " + dir + ": is a directory"; err == nil || err.Error() != want {
		t.Fatalf("unreadable file: %v, want %q", err, want)
	}
}
