// Package registry is where target systems register themselves, as
// database/sql drivers do with sql.Register: each system package (Kafka,
// the simulator, NATS JetStream, Pulsar, Pulsar's WebSocket API) calls
// Register from its init function, and a program picks the systems it
// wants up with blank imports (cmd/prodbench/systems.go is the only file
// that lists them). Neither cmd nor workload names a system: a scenario's
// `target: {kind: ...}` block and the `--target URL` flag are resolved
// here, by kind and by URL scheme.
//
// A System decodes and validates its own `target:` block (the scenario
// decoder fills the struct NewConfig returns, strictly, recording lines, so
// errors name file:line:field), can start an embedded stand-in, and opens
// an Engine: what the workload drives.
//
// The package imports only the producer core, so that systems, workload and
// cmd can all depend on it.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prodbench/prodbench/producer"
)

// Engine is what a run drives: prodbench's producer core over a system's
// Transport, or an official client library wrapped thinly (franz-go,
// nats.go, pulsar-client-go). All methods are safe for concurrent use.
type Engine interface {
	// Send hands r to the engine and returns without waiting for the
	// acknowledgement (in async mode). cb is called exactly once per
	// Send, with the Ack or an error, from any goroutine; the error's
	// failure kind is producer.KindOf(err). Send blocks only while the
	// engine's pending limits are reached and block_if_queue_full is set.
	Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error))
	// Flush waits until every record handed to Send so far has had its
	// callback, or ctx ends (returning ctx's error).
	Flush(ctx context.Context) error
	// Close flushes, then releases the engine's connections; records still
	// pending when ctx ends are failed. No goroutine of the engine is left
	// once Close returns.
	Close(ctx context.Context) error
	// Stats returns the engine's counters so far. Counters an engine cannot
	// know are zero and said to be so by its Capabilities.
	Stats() producer.Stats
}

// InFlighter is an Engine that can tell how many produce requests it has
// in flight (the live progress line shows it). Asked for through
// Opened.InFlight, not by type assertion, so wrappers keep it.
type InFlighter interface{ InFlight() int }

// Capabilities say what an engine's figures mean, so that reports print
// "not applicable" rather than a misleading zero.
type Capabilities struct {
	// Batches is true when Stats reports batches, seal reasons and
	// compression (Kafka's record batches, Pulsar's batch messages).
	Batches bool
	// Compression is true when the engine compresses on the client.
	Compression bool
	// Requests is true when Stats reports produce requests.
	Requests bool
}

// Topic is one topic (stream, station) of the scenario, for systems that
// create topics or size an embedded stand-in.
type Topic struct {
	// Name is the topic name as written in the scenario.
	Name string
	// Partitions is the declared partition count, >= 1.
	Partitions int
	// ReplicationFactor is the declared replication factor; 0 means the
	// system's default.
	ReplicationFactor int
	// Configs are system-specific topic settings (e.g. Kafka's
	// retention.ms); nil means none.
	Configs map[string]string
}

// OpenOptions is everything a System needs to open an Engine.
type OpenOptions struct {
	// Config is the target block as decoded from the scenario (a pointer of
	// the type System.NewConfig returns) with any --target URL applied by
	// System.ApplyURL. Never nil.
	Config any
	// Engine is the engine name, one of System.Engines; "" means the first.
	Engine string
	// Producer is the producer configuration from the scenario's
	// `producer:` block with flags applied.
	Producer producer.Config
	// Topics are the scenario's topics.
	Topics []Topic
	// Seed is the scenario's seed (stand-ins that draw random numbers use
	// it).
	Seed int64
	// Retain makes an embedded stand-in keep what it receives (for
	// verification and tests) instead of discarding it.
	Retain bool
	// ProduceDelay, when positive, delays every produce request by that
	// long: a test knob for regression checks (--x-produce-delay). A
	// system without it refuses a non-zero value.
	ProduceDelay time.Duration
	// Log receives warnings, one line each (e.g. an option the target
	// cannot honour, an existing topic with another partition count).
	// Never nil.
	Log io.Writer
}

// Opened is an open Engine with what it runs on.
type Opened struct {
	// Engine is what the run drives.
	Engine Engine
	// EngineName is the engine's name as reported ("native", "franz-go",
	// "nats.go", ...).
	EngineName string
	// Target describes where the engine sends, without secrets, for
	// reports: "embedded kafka 127.0.0.1:40123", "kafka b1:9092,b2:9092",
	// "sim".
	Target string
	// StandIn is true when the target is an in-process stand-in rather
	// than the real system (Pulsar, Macrometa): reports then say plainly
	// that latency says nothing about the real system.
	StandIn bool
	// Reach, when not "", is the URL, in the system's own scheme, by
	// which further producers of the run reach the embedded stand-in
	// this one started ("kafka://127.0.0.1:40123", "pulsar://..."):
	// with producers: N the other N−1 are opened with it, so that all
	// share one stand-in. "" for a target given by URL, and for a
	// stand-in others cannot join (each then starts its own).
	Reach string
	// Caps says which figures the engine reports.
	Caps Capabilities
	// InFlight, when not nil, returns the produce requests in flight.
	InFlight func() int
	// Start, when not nil, is called just before the first message (the
	// simulator counts its stalls from it).
	Start func()
	// Faults, when not nil, returns the faults a stand-in injected so far
	// (scripted faults of the embedded Kafka broker), for the summary,
	// result.json and the timeline plots; times are from the call to
	// Start.
	Faults func() []FaultEvent
	// Release, when not nil, is called after the Engine is closed: it
	// stops an embedded stand-in and closes connections.
	Release func()
	// Info holds what the system learned about the target before sending
	// (cluster ID, brokers, per-topic partitions), for result.json; nil
	// when nothing. By convention the key "summary" holds one line for
	// the run summary (a string, e.g. "cluster: 3 brokers, quickstart: 6
	// partitions, RF 3, security SASL_SSL/SCRAM-SHA-512") and "warnings"
	// the warning lines ([]string) the system also wrote to Log. Never
	// holds a secret.
	Info map[string]any
	// ReadBack, when not nil, reads back what the target holds of topics
	// (for `run --verify` and `prodbench verify`): every partition from
	// its first record to its end as of the call (Kafka: the high
	// watermark, or the last stable offset for a transactional producer,
	// read with read_committed so that aborted records are invisible),
	// calling fn once per record, in order within a partition. The
	// record and its slices are valid only during the call. An error
	// from fn stops the read and is returned; ctx ending stops it with
	// ctx's error. It must be called before Release (an embedded
	// stand-in must have been opened with Retain). Nil means the system
	// cannot read back: verification is not supported for it.
	ReadBack func(ctx context.Context, topics []string, fn func(*ReadRecord) error) error
}

// ReadRecord is one record read back by Opened.ReadBack.
type ReadRecord struct {
	// Topic and Partition say where it was read; Offset is its position
	// (Kafka offset, stream sequence).
	Topic     string
	Partition int32
	Offset    int64
	// Key, Headers and Value are as stored; Key is nil for a keyless
	// record (and for systems that do not carry keys).
	Key     []byte
	Headers []producer.Header
	Value   []byte
}

// FaultEvent is one scripted fault as it fired during a run.
type FaultEvent struct {
	// Fault is the fault in its system's compact form, e.g.
	// "error:NOT_LEADER_OR_FOLLOWER,rate=1%" or "leader_move,every=2s".
	Fault string
	// Kind is the fault's kind, e.g. "leader_move".
	Kind string
	// Count is how many times it fired (requests hit, or leader moves).
	Count int64
	// First and Last are when it first and last fired, from the fault
	// clock's start (the run's start); zero when Count is 0.
	First, Last time.Duration
	// Spans are the stretches in which it fired (firings close together
	// are one span; the system bounds their number). An instant has
	// From == To.
	Spans []FaultSpan
}

// FaultSpan is a stretch of time, from the fault clock's start.
type FaultSpan struct{ From, To time.Duration }

// Scope is what a System's validator sees of the scenario around its
// target block. Field names are dotted paths from the scenario's root, as
// in "target.brokers[0]" or "producer.linger".
type Scope interface {
	// Has reports whether field is set in the scenario file (false for
	// a scenario built in code).
	Has(field string) bool
	// Errorf returns an error about field at its file:line, for a
	// scenario read from a file.
	Errorf(field, format string, args ...any) error
}

// ServeOptions configures a stand-in run on its own (`prodbench broker`).
type ServeOptions struct {
	// Listen is the host:port to listen on; "" means the system's
	// default.
	Listen string
	// Topics are created at start; Partitions is the partition count of
	// topics created on first use.
	Topics     []string
	Partitions int
	// Retain keeps produced data.
	Retain bool
	// Faults are fault specifications as given to --fault (system
	// specific); a system without faults refuses any.
	Faults []string
	// Log receives status lines. Never nil.
	Log io.Writer
}

// Server is a running stand-in.
type Server interface {
	// Addr is the URL clients use, e.g. "kafka://127.0.0.1:9092".
	Addr() string
	// Close stops the server.
	Close() error
}

// System is one target system. Kind, NewConfig and Open are required.
type System struct {
	// Kind is the name used in `target: {kind: ...}`, e.g. "kafka".
	Kind string
	// Schemes are the URL schemes --target accepts for this system, e.g.
	// "kafka"; a scheme belongs to one system.
	Schemes []string
	// Summary is one line for help texts.
	Summary string
	// Engines are the engine names the system offers; the first is the
	// default. Empty means one engine named Kind.
	Engines []string
	// NewConfig returns a pointer to a new zero target block, a struct
	// whose yaml and json tags (the same names) are the block's fields
	// besides kind and url. The scenario decoder fills it strictly.
	NewConfig func() any
	// Validate checks a decoded block (from NewConfig) and the producer
	// options against what the system can do, returning the first
	// problem as sc.Errorf(field, ...). Options the system cannot honour
	// are refused here, naming the option. May be nil.
	Validate func(cfg any, p producer.Config, sc Scope) error
	// ApplyURL applies a --target URL (scheme included, as the user typed
	// it) to cfg. Errors name the URL's bad part, never a secret. Nil
	// means the system takes no URL.
	ApplyURL func(cfg any, rawURL string) error
	// Properties, when not nil, applies client properties (--producer-config
	// FILE, then --producer-prop KEY=VALUE, later ones winning) to cfg (the
	// block from NewConfig) and p, in the form the system's own clients
	// take them (Kafka's Java client properties: security.protocol,
	// linger.ms, ...). A bad value is an error naming the property's Key
	// and Source, never its value; a property the system cannot honour is
	// kept as one warning line, which the system reports when opened (its
	// Log and Opened.Info["warnings"]). Nil means the system takes none.
	Properties func(cfg any, p *producer.Config, props []Property) error
	// Describe returns one line describing cfg for `prodbench validate`,
	// without secrets, e.g. "kafka at b1:9092,b2:9092". Nil means the
	// kind alone.
	Describe func(cfg any) string
	// Open opens an engine. Errors that are the input's fault wrap
	// ErrUsage.
	Open func(ctx context.Context, o OpenOptions) (*Opened, error)
	// Serve starts the system's stand-in alone, for `prodbench broker
	// --kind`. Nil means the system has none.
	Serve func(ctx context.Context, o ServeOptions) (Server, error)
}

// Property is one client property, as Java clients read them from a
// properties file (kafka-producer-perf-test --producer.config, OMB's
// driver commonConfig/producerConfig) or --producer-props KEY=VALUE.
type Property struct {
	// Key is the property name, e.g. "linger.ms".
	Key string
	// Value is the value as written; it may be a secret: never print it.
	Value string
	// Source says where it was given, for errors and warnings:
	// "client.properties:12" or "--producer-prop".
	Source string
}

// ErrUsage marks an Open error as the input's fault (a bad option or
// URL), which the CLI reports with exit code 2 rather than 1.
var ErrUsage = errors.New("usage")

// UsageError returns an error wrapping ErrUsage with the given message.
func UsageError(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

var (
	mu       sync.RWMutex
	byKind   = map[string]*System{}
	byScheme = map[string]*System{}
)

// Register makes a system available by its kind and schemes. It panics if
// Kind, NewConfig or Open is missing, or if the kind or a scheme is taken:
// both are programming errors found at init.
func Register(s System) {
	if s.Kind == "" || s.NewConfig == nil || s.Open == nil {
		panic("registry: Register needs Kind, NewConfig and Open")
	}
	if len(s.Engines) == 0 {
		s.Engines = []string{s.Kind}
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := byKind[s.Kind]; dup {
		panic("registry: system " + s.Kind + " registered twice")
	}
	for _, sc := range s.Schemes {
		if o, dup := byScheme[sc]; dup {
			panic("registry: scheme " + sc + " taken by " + o.Kind)
		}
	}
	sys := s
	byKind[s.Kind] = &sys
	for _, sc := range s.Schemes {
		byScheme[sc] = &sys
	}
}

// Lookup returns the system registered as kind.
func Lookup(kind string) (*System, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := byKind[kind]
	return s, ok
}

// Kinds returns the registered kinds, sorted.
func Kinds() []string { return sortedKeys(byKind) }

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string { return sortedKeys(byScheme) }

// sortedKeys returns the keys of m, a registry map, sorted, under mu.
func sortedKeys[V any](m map[string]V) []string {
	mu.RLock()
	defer mu.RUnlock()
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ForURL returns the system whose scheme starts rawURL ("nats://h:4222").
// The error names the scheme and the known ones; it never repeats the
// rest of the URL, which may hold a password.
func ForURL(rawURL string) (*System, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("target URL must start with a scheme such as kafka:// (known: %s)", strings.Join(Schemes(), ", "))
	}
	mu.RLock()
	s, found := byScheme[strings.ToLower(scheme)]
	mu.RUnlock()
	if !found {
		return nil, fmt.Errorf("unknown target URL scheme %q (known: %s)", scheme, strings.Join(Schemes(), ", "))
	}
	return s, nil
}

// HasEngine reports whether name ("" meaning the default) is one of s's
// engines.
func (s *System) HasEngine(name string) bool {
	return name == "" || slices.Contains(s.Engines, name)
}

// DefaultEngine is s's first engine.
func (s *System) DefaultEngine() string { return s.Engines[0] }
