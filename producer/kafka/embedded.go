package kafka

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/prodbench/prodbench/producer/registry"
)

// DefaultEmbeddedPartitions is the partition count of auto-created
// topics, and of seeded topics given a count <= 0, when
// EmbeddedOptions.DefaultPartitions is <= 0.
const DefaultEmbeddedPartitions = 10

// EmbeddedOptions configures StartEmbedded.
type EmbeddedOptions struct {
	// Listen is the host:port the broker listens on. "" means 127.0.0.1
	// with a random free port; port 0 also picks a random port. The
	// broker advertises the address it actually listens on, so an
	// unspecified host (0.0.0.0) only works for clients on the same
	// machine.
	Listen string
	// Topics are created at start: topic name → partition count (<= 0
	// means DefaultPartitions).
	Topics map[string]int32
	// DefaultPartitions is the partition count of topics auto-created by
	// a Metadata request that allows it (Options.AutoCreateTopics).
	// Default DefaultEmbeddedPartitions (10).
	DefaultPartitions int32
	// Retain keeps produced records so they can be consumed back. By
	// default produced records are discarded (offsets still advance) so
	// long benchmark runs use constant memory.
	Retain bool
	// Faults are scripted faults (see Fault), checked here; with a
	// leader_move fault the cluster has FaultBrokers brokers (node IDs
	// 0..FaultBrokers-1), else one.
	Faults []Fault
	// Seed seeds the faults' rate draws.
	Seed int64
}

// Embedded is an in-process single-broker Kafka cluster (franz-go's
// kfake) with node ID 0, for tests and self-contained benchmarks. It
// speaks the Kafka protocol (Produce v3-v13 with full RecordBatch
// validation, Metadata, Fetch, ...) on a TCP listener.
type Embedded struct {
	cluster *kfake.Cluster
	faults  *injector // nil without faults
}

// StartEmbedded starts an embedded broker as configured by opts. It
// fails with an error naming the address when opts.Listen is malformed
// or cannot be listened on (e.g. the port is in use). Close it when done.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("kafka: embedded broker: bad listen address %q: %w", listen, err)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("kafka: embedded broker: bad port in listen address %q", listen)
	} else if host == "" {
		// ":9092" would listen on every interface; keep to loopback
		// unless a host is named.
		listen = net.JoinHostPort("127.0.0.1", strconv.FormatUint(p, 10))
	}
	if len(opts.Faults) > MaxFaults {
		return nil, fmt.Errorf("kafka: embedded broker: at most %d faults, got %d", MaxFaults, len(opts.Faults))
	}
	brokers := 1
	for i := range opts.Faults {
		if err := opts.Faults[i].Check(); err != nil {
			return nil, fmt.Errorf("kafka: embedded broker: fault %d (%s): %w", i+1, opts.Faults[i].Kind, err)
		}
		if opts.Faults[i].Kind == FaultLeaderMove {
			brokers = FaultBrokers
		}
	}
	parts := int(opts.DefaultPartitions)
	if parts <= 0 {
		parts = DefaultEmbeddedPartitions
	}
	listens := 0
	kopts := []kfake.Opt{
		kfake.NumBrokers(brokers),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			// The first broker takes the given address, further ones
			// (leader_move) a free port on the same host.
			addr := listen
			listens++
			if listens > 1 {
				h, _, _ := net.SplitHostPort(listen)
				addr = net.JoinHostPort(h, "0")
			}
			return net.Listen(network, addr)
		}),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(parts),
	}
	for topic, n := range opts.Topics {
		if topic == "" {
			return nil, fmt.Errorf("kafka: embedded broker: empty topic name")
		}
		if n <= 0 {
			n = int32(parts)
		}
		kopts = append(kopts, kfake.SeedTopics(n, topic))
	}
	if !opts.Retain {
		kopts = append(kopts, kfake.BlackholeProduce())
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: embedded broker cannot listen on %s: %w", listen, err)
	}
	e := &Embedded{cluster: c}
	if len(opts.Faults) > 0 {
		e.faults = newInjector(c, opts.Faults, int32(brokers), opts.Seed)
	}
	return e, nil
}

// StartFaults starts the fault clock at t (the run's start): windows are
// timed from it. Without a call, the first produce request starts it. A
// no-op without faults.
func (e *Embedded) StartFaults(t time.Time) {
	if e.faults != nil {
		e.faults.Start(t)
	}
}

// FaultEvents returns each scripted fault's firings so far, in the order
// of EmbeddedOptions.Faults; nil without faults.
func (e *Embedded) FaultEvents() []registry.FaultEvent {
	if e.faults == nil {
		return nil
	}
	return e.faults.Events()
}

// Addrs returns the host:port addresses the broker listens on, for
// Options.Brokers.
func (e *Embedded) Addrs() []string { return e.cluster.ListenAddrs() }

// Cluster returns the underlying kfake cluster, for fault injection in
// tests (ControlKey, Fault).
func (e *Embedded) Cluster() *kfake.Cluster { return e.cluster }

// Close stops the broker and closes its connections. It is idempotent.
func (e *Embedded) Close() {
	if e.faults != nil {
		e.faults.stop()
	}
	e.cluster.Close()
}
