package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/prodbench/prodbench/cmd/prodbench/internal/javaprops"
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
	b, a := &before, &after
	changed(&p.Acks, b, a, func(c *producer.Config) string { return c.Acks.String() })
	changed(&p.Linger, b, a, func(c *producer.Config) workload.Duration { return workload.Duration(c.Linger) })
	changed(&p.MaxBatchBytes, b, a, func(c *producer.Config) workload.Size { return workload.Size(c.MaxBatchBytes) })
	changed(&p.Compression, b, a, func(c *producer.Config) string { return c.Compression.String() })
	changed(&p.CompressionLevel, b, a, func(c *producer.Config) int { return c.CompressionLevel })
	changed(&p.MaxInFlight, b, a, func(c *producer.Config) int { return c.MaxInFlight })
	changed(&p.RequestTimeout, b, a, func(c *producer.Config) workload.Duration { return workload.Duration(c.RequestTimeout) })
	changed(&p.MaxPendingBytes, b, a, func(c *producer.Config) workload.Size { return workload.Size(c.MaxPendingBytes) })
	changed(&p.SendTimeout, b, a, func(c *producer.Config) workload.Duration { return workload.Duration(c.SendTimeout) })
	changed(&p.Partitioner, b, a, func(c *producer.Config) string { return c.Partitioner })
	changed(&p.Retries, b, a, func(c *producer.Config) int { return c.Retries })
	changed(&p.RetryBackoff, b, a, func(c *producer.Config) workload.Duration { return workload.Duration(c.RetryBackoff) })
	changed(&p.MaxRetryBackoff, b, a, func(c *producer.Config) workload.Duration { return workload.Duration(c.MaxRetryBackoff) })
	changed(&p.Idempotent, b, a, func(c *producer.Config) bool { return c.Idempotent })
	changed(&p.TransactionalID, b, a, func(c *producer.Config) string { return c.TransactionalID })
}

// changed sets *dst to get(after) when it differs from get(before).
func changed[T comparable](dst **T, before, after *producer.Config, get func(*producer.Config) T) {
	if v := get(after); v != get(before) {
		*dst = &v
	}
}
