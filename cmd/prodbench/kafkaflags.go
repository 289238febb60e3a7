package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/prodbench/prodbench/internal/javaprops"
	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/workload"
)

// addClientFlags registers the client-property flags run, sweep and
// capacity share: --producer-config FILE, --producer-prop KEY=VALUE,
// --no-create-topics and --kafka-version. Precedence: these flags (the
// later --producer-prop winning) over the properties file over the
// scenario; --target/--brokers over bootstrap.servers.
func addClientFlags(fs *pflag.FlagSet) {
	fs.String("producer-config", "", "client properties FILE, as kafka-producer-perf-test --producer.config takes it (security.protocol, sasl.*, ssl.*, linger.ms, batch.size, acks, ...; see docs/real-clusters.md)")
	fs.StringArray("producer-prop", nil, "client property KEY=VALUE, over --producer-config and the scenario (repeatable, as perf-test's --producer-props)")
	fs.Bool("no-create-topics", false, "do not create the scenario's missing topics (for clusters where you may not); Kafka")
	fs.String("kafka-version", "", "cap the Kafka protocol versions at a release, e.g. 2.8 (for old brokers); Kafka")
}

// applyClientFlags applies the client-property flags to s: to its target
// block through the system's registry.System.Properties, and to its
// producer block (the options the properties change). Applied once per
// flag set: sweep points, cloned from the scenario it was applied to,
// keep their swept values. The error names the flag, file:line or key,
// never a value.
func applyClientFlags(s *workload.Scenario, fs *pflag.FlagSet, url string) error {
	if fs.Lookup("producer-config") == nil || fs.Lookup("producer-config").Annotations["applied"] != nil {
		return nil
	}
	props, err := clientProps(fs)
	if err != nil || len(props) == 0 {
		return err
	}
	_ = fs.SetAnnotation("producer-config", "applied", []string{"yes"})
	sys, tcfg, err := s.TargetSystem()
	if err != nil {
		return err
	}
	if sys.Properties == nil {
		return fmt.Errorf("%s: target kind %s takes no client properties", props[0].Source, sys.Kind)
	}
	if s.Target == nil || s.Target.Config == nil {
		s.Target = &workload.Target{Kind: sys.Kind, Config: tcfg}
	}
	before, err := s.ProducerConfig()
	if err != nil {
		return err
	}
	after := before
	if err := sys.Properties(s.Target.Config, &after, props); err != nil {
		return err
	}
	if url != "" && sys.ApplyURL != nil {
		// The flag wins over bootstrap.servers.
		if err := sys.ApplyURL(s.Target.Config, url); err != nil {
			return err
		}
	}
	setProducer(&s.Producer, before, after)
	return nil
}

// clientProps collects the properties: the file's, then --producer-prop,
// then --no-create-topics and --kafka-version.
func clientProps(fs *pflag.FlagSet) ([]registry.Property, error) {
	var props []registry.Property
	if file, _ := fs.GetString("producer-config"); fs.Changed("producer-config") {
		if file == "" {
			return nil, fmt.Errorf("--producer-config is empty")
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--producer-config: %v", err)
		}
		ps, err := javaprops.Parse(file, data)
		if err != nil {
			return nil, fmt.Errorf("--producer-config: %v", err)
		}
		for _, p := range ps {
			props = append(props, registry.Property{Key: p.Key, Value: p.Value, Source: fmt.Sprintf("%s:%d", file, p.Line)})
		}
	}
	kvs, _ := fs.GetStringArray("producer-prop")
	for i, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("--producer-prop #%d: want KEY=VALUE", i+1)
		}
		props = append(props, registry.Property{Key: k, Value: v, Source: "--producer-prop"})
	}
	if nc, _ := fs.GetBool("no-create-topics"); nc {
		props = append(props, registry.Property{Key: "create_topics", Value: "false", Source: "--no-create-topics"})
	}
	if fs.Changed("kafka-version") {
		v, _ := fs.GetString("kafka-version")
		props = append(props, registry.Property{Key: "kafka_version", Value: v, Source: "--kafka-version"})
	}
	return props, nil
}

// setProducer writes into p the options that differ between before and
// after, so the scenario's producer block says what the properties chose.
func setProducer(p *workload.Producer, before, after producer.Config) {
	str := func(s string) *string { return &s }
	dur := func(d interface{ Nanoseconds() int64 }) *workload.Duration {
		v := workload.Duration(d.Nanoseconds())
		return &v
	}
	if after.Acks != before.Acks {
		p.Acks = str(after.Acks.String())
	}
	if after.Linger != before.Linger {
		p.Linger = dur(after.Linger)
	}
	if after.MaxBatchBytes != before.MaxBatchBytes {
		v := workload.Size(after.MaxBatchBytes)
		p.MaxBatchBytes = &v
	}
	if after.Compression != before.Compression {
		p.Compression = str(after.Compression.String())
	}
	if after.CompressionLevel != before.CompressionLevel {
		v := after.CompressionLevel
		p.CompressionLevel = &v
	}
	if after.MaxInFlight != before.MaxInFlight {
		v := after.MaxInFlight
		p.MaxInFlight = &v
	}
	if after.RequestTimeout != before.RequestTimeout {
		p.RequestTimeout = dur(after.RequestTimeout)
	}
	if after.MaxPendingBytes != before.MaxPendingBytes {
		v := workload.Size(after.MaxPendingBytes)
		p.MaxPendingBytes = &v
	}
	if after.SendTimeout != before.SendTimeout {
		p.SendTimeout = dur(after.SendTimeout)
	}
	if after.Partitioner != before.Partitioner {
		p.Partitioner = str(after.Partitioner)
	}
	if after.Retries != before.Retries {
		v := after.Retries
		p.Retries = &v
	}
	if after.RetryBackoff != before.RetryBackoff {
		p.RetryBackoff = dur(after.RetryBackoff)
	}
	if after.MaxRetryBackoff != before.MaxRetryBackoff {
		p.MaxRetryBackoff = dur(after.MaxRetryBackoff)
	}
	if after.Idempotent != before.Idempotent {
		v := after.Idempotent
		p.Idempotent = &v
	}
	if after.TransactionalID != before.TransactionalID {
		p.TransactionalID = str(after.TransactionalID)
	}
}
