// Package kafkasys registers the Kafka target system: kind "kafka", URL
// scheme kafka://, engines "native" (prodbench's producer core over
// package kafka's Transport) and "franz-go" (package franz), and the
// embedded kfake broker as its stand-in. It is separate from package kafka
// so that the franz-go engine's tests may use package kafka.
package kafkasys

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/franz"
	"github.com/prodbench/prodbench/producer/kafka"
	"github.com/prodbench/prodbench/producer/registry"
)

// Kind is Kafka's target kind and URL scheme ("kafka://h1:9092,h2:9092").
const Kind = "kafka"

// Engines of the Kafka system.
const (
	// EngineNative is prodbench's own producer core over this package's
	// Transport. The default.
	EngineNative = "native"
	// EngineFranzGo is franz-go's kgo producer (package producer/franz),
	// as a reference client.
	EngineFranzGo = "franz-go"
)

// TargetConfig is the scenario's `target:` block for kind kafka:
//
//	target: {kind: kafka}                                   # embedded broker
//	target: {kind: kafka, brokers: ["10.0.0.1:9092", "10.0.0.2:9092"]}
//	target: {kind: kafka, url: "kafka://10.0.0.1:9092,10.0.0.2:9092"}
//	target: {kind: kafka, faults: [{kind: leader_move, every: 2s}]}  # embedded, scripted faults
type TargetConfig struct {
	// Brokers are the bootstrap brokers as host:port; empty means an
	// embedded in-process broker (kfake).
	Brokers []string `yaml:"brokers,omitempty" json:"brokers,omitempty"`
	// TLS, when set, connects with TLS (security.protocol SSL/SASL_SSL).
	TLS *TLSConfig `yaml:"tls,omitempty" json:"tls,omitempty"`
	// SASL, when set, authenticates with SASL (SASL_PLAINTEXT/SASL_SSL).
	SASL *SASLConfig `yaml:"sasl,omitempty" json:"sasl,omitempty"`
	// KafkaVersion caps the protocol versions at those of a Kafka release,
	// e.g. "2.8" (franz-go's kversion), for older brokers or brokers that
	// answer ApiVersions oddly. Default "": negotiate.
	KafkaVersion string `yaml:"kafka_version,omitempty" json:"kafka_version,omitempty"`
	// CreateTopics, when not false, creates the scenario's topics that do
	// not exist, with their declared partitions, ReplicationFactor and
	// TopicConfigs, before the run (as OMB does). Default true;
	// --no-create-topics sets false.
	CreateTopics *bool `yaml:"create_topics,omitempty" json:"create_topics,omitempty"`
	// ReplicationFactor of created topics; 0 means the broker's default
	// (default.replication.factor).
	ReplicationFactor int `yaml:"replication_factor,omitempty" json:"replication_factor,omitempty"`
	// TopicConfigs are topic settings for created topics, e.g.
	// {min.insync.replicas: "2", retention.ms: "3600000"}.
	TopicConfigs map[string]string `yaml:"topic_configs,omitempty" json:"topic_configs,omitempty"`
	// Faults are scripted faults of the embedded broker (error, stall,
	// drop_connections, slow, leader_move; see kafka.Fault), e.g.
	//   faults: [{kind: leader_move, every: 2s},
	//            {kind: error, error: REQUEST_TIMED_OUT, rate: 1%}]
	// Refused with brokers: a real cluster cannot be scripted.
	Faults []kafka.Fault `yaml:"faults,omitempty" json:"faults,omitempty"`
	// Warnings are lines about properties prodbench could not honour,
	// recorded by Properties and reported by every run (its log and
	// result). Not part of the scenario.
	Warnings []string `yaml:"-" json:"-"`
}

// createTopics reports whether missing topics are created.
func (c *TargetConfig) createTopics() bool { return c.CreateTopics == nil || *c.CreateTopics }

func init() {
	registry.Register(registry.System{
		Kind:      Kind,
		Schemes:   []string{Kind},
		Summary:   "Apache Kafka (and Kafka-compatible brokers); embedded kfake broker by default",
		Engines:   []string{EngineNative, EngineFranzGo},
		NewConfig: func() any { return &TargetConfig{} },
		Validate: func(c any, _ producer.Config, sc registry.Scope) error {
			tc := c.(*TargetConfig)
			for i, b := range tc.Brokers {
				if err := CheckBrokerAddr(b); err != nil {
					return sc.Errorf(fmt.Sprintf("target.brokers[%d]", i), "%v", err)
				}
			}
			if field, err := tc.checkSecurity(); err != nil {
				return sc.Errorf(field, "%v", err)
			}
			return tc.checkFaults(sc)
		},
		ApplyURL:   applyURL,
		Properties: applyProperties,
		Describe: func(c any) string {
			if bs := c.(*TargetConfig).Brokers; len(bs) > 0 {
				return "kafka at " + strings.Join(bs, ",") + " (" + c.(*TargetConfig).SecurityMode() + ")"
			}
			d := "kafka, embedded in-process broker"
			for i, f := range c.(*TargetConfig).Faults {
				sep := "; "
				if i == 0 {
					sep = ", faults: "
				}
				d += sep + f.String()
			}
			return d
		},
		Open:  open,
		Serve: serve,
	})
}

// CheckBrokerAddr checks that b is host:port with a port from 1 to 65535;
// the error quotes b.
func CheckBrokerAddr(b string) error {
	host, port, err := net.SplitHostPort(b)
	p, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || p < 1 || p > 65535 || strings.Contains(b, "/") {
		return fmt.Errorf("want host:port with a port from 1 to 65535, got %q", b)
	}
	return nil
}

// ParseBrokers splits a comma-separated broker list ("h1:9092,h2:9092"),
// checking each entry; an empty list or entry is an error.
func ParseBrokers(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("empty broker list")
	}
	var out []string
	for _, b := range strings.Split(list, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			return nil, fmt.Errorf("empty entry in broker list %q", list)
		}
		if err := CheckBrokerAddr(b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func applyURL(c any, raw string) error {
	rest, ok := strings.CutPrefix(raw, Kind+"://")
	if !ok {
		return fmt.Errorf("want kafka://host:port[,host:port...]")
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.Contains(rest, "@") {
		// Never echo it: the part before @ may be a password.
		return fmt.Errorf("kafka URL: user info (user:password@) is not supported: give SASL credentials in the scenario's target.sasl")
	}
	bs, err := ParseBrokers(rest)
	if err != nil {
		return fmt.Errorf("kafka URL: %v", err)
	}
	c.(*TargetConfig).Brokers = bs
	return nil
}

func open(ctx context.Context, o registry.OpenOptions) (*registry.Opened, error) {
	cfg := o.Producer
	engine := o.Engine
	if engine == "" {
		engine = EngineNative
	}
	tc := o.Config.(*TargetConfig)
	sec, err := tc.kgoOptions()
	if err != nil {
		return nil, registry.UsageError("kafka: %v", err)
	}
	brokers := tc.Brokers
	var emb *kafka.Embedded
	where := "kafka " + strings.Join(brokers, ",")
	var reach string // Opened.Reach: set for the embedded broker
	if len(brokers) > 0 && len(tc.Faults) > 0 {
		return nil, registry.UsageError("kafka: faults are injected by the embedded broker; drop the brokers (--brokers, --target) or the faults block")
	}
	if len(brokers) == 0 {
		if tc.TLS.on() || tc.SASL != nil {
			return nil, registry.UsageError("kafka: tls and sasl need brokers (the embedded broker speaks plaintext)")
		}
		topics := map[string]int32{}
		for _, t := range o.Topics {
			topics[t.Name] = int32(t.Partitions)
		}
		emb, err = kafka.StartEmbedded(kafka.EmbeddedOptions{Topics: topics, Retain: o.Retain, DefaultPartitions: cfg.AutoCreatePartitions,
			Faults: tc.Faults, Seed: o.Seed})
		if err != nil {
			return nil, err
		}
		brokers = emb.Addrs()
		where = "embedded kafka " + strings.Join(brokers, ",")
		if len(tc.Faults) == 0 { // a URL with faults is refused: then each producer has its own broker
			reach = "kafka://" + strings.Join(brokers, ",")
		}
	}
	closeEmb := func() {
		if emb != nil {
			emb.Close()
		}
	}
	cluster, warns, err := prepare(ctx, tc, brokers, sec, o.Topics, cfg.AutoCreateTopics)
	if err != nil {
		closeEmb()
		return nil, err
	}
	warns = append(append(append([]string(nil), tc.Warnings...), tc.securityWarnings()...), warns...)
	for _, w := range warns {
		fmt.Fprintln(o.Log, "prodbench: warning: "+w)
	}
	info := map[string]any{"cluster": cluster, "summary": cluster.Summary(), "security": cluster.Security}
	if len(warns) > 0 {
		info["warnings"] = warns
	}
	if engine == EngineFranzGo {
		if err := franz.Validate(cfg); err != nil {
			closeEmb()
			return nil, registry.UsageError("engine franz-go: %v", err)
		}
		if o.ProduceDelay > 0 {
			closeEmb()
			return nil, registry.UsageError("--x-produce-delay applies to the native engine only")
		}
		e, err := franz.New(ctx, brokers, cfg, franz.WithKgoOptions(sec...))
		if err != nil {
			closeEmb()
			return nil, err
		}
		return withFaults(&registry.Opened{Engine: e, EngineName: engine, Target: where, Reach: reach, Release: closeEmb, Info: info,
			Caps:     registry.Capabilities{Batches: true, Compression: true, Requests: true},
			ReadBack: readBack(brokers, sec, cfg.TransactionalID != "")}, emb), nil
	}
	tr, err := kafka.New(ctx, kafka.Options{Brokers: brokers, Acks: cfg.Acks, RequestTimeout: cfg.RequestTimeout,
		TransactionalID: cfg.TransactionalID, ProduceDelay: o.ProduceDelay, ExtraOpts: sec})
	if err != nil {
		closeEmb()
		return nil, err
	}
	release := func() {
		tr.Close()
		closeEmb()
	}
	// Load every topic's metadata now, so a missing topic fails before
	// the run starts and before any result directory exists.
	if !cfg.AutoCreateTopics {
		for _, t := range o.Topics {
			if _, err := tr.Partitions(ctx, t.Name); err != nil {
				release()
				return nil, fmt.Errorf("topic %q on %s: %w", t.Name, strings.Join(brokers, ","), err)
			}
		}
	}
	p, err := producer.New(cfg, tr)
	if err != nil {
		release()
		return nil, registry.UsageError("%v", err)
	}
	// Partitions and leaders are loaded before the run's clock starts,
	// not by the first records' Sends.
	names := make([]string, len(o.Topics))
	for i, t := range o.Topics {
		names[i] = t.Name
	}
	if err := p.LoadTopics(ctx, names...); err != nil {
		_ = p.Close(context.Background())
		release()
		return nil, fmt.Errorf("on %s: %w", strings.Join(brokers, ","), err)
	}
	return withFaults(&registry.Opened{Engine: p, EngineName: engine, Target: where, Reach: reach, Release: release, InFlight: p.InFlight, Info: info,
		Caps:     registry.Capabilities{Batches: true, Compression: true, Requests: true},
		ReadBack: readBack(brokers, sec, cfg.TransactionalID != "")}, emb), nil
}

// embeddedServer adapts Embedded to registry.Server.
type embeddedServer struct{ e *kafka.Embedded }

func (s embeddedServer) Addr() string { return Kind + "://" + strings.Join(s.e.Addrs(), ",") }
func (s embeddedServer) Close() error { s.e.Close(); return nil }

func serve(_ context.Context, o registry.ServeOptions) (registry.Server, error) {
	var faults []kafka.Fault
	for _, spec := range o.Faults {
		f, err := kafka.ParseFault(spec)
		if err != nil {
			return nil, registry.UsageError("--fault %q: %v", spec, err)
		}
		faults = append(faults, f)
	}
	parts := int32(o.Partitions)
	if parts < 1 {
		parts = 6
	}
	seed := map[string]int32{}
	for _, t := range o.Topics {
		seed[t] = parts
	}
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:9092"
	}
	e, err := kafka.StartEmbedded(kafka.EmbeddedOptions{Listen: listen, Topics: seed, DefaultPartitions: parts, Retain: o.Retain, Faults: faults})
	if err != nil {
		return nil, err
	}
	for _, f := range faults {
		fmt.Fprintf(o.Log, "prodbench: fault %s armed (its clock starts with the first produce request)\n", f)
	}
	return embeddedServer{e}, nil
}
