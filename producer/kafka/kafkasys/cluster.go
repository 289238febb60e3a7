package kafkasys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer/registry"
)

// adminTimeout bounds the whole prepare step's connection check: a wrong
// password, an untrusted certificate or an unreachable broker fails
// within it (well under the 10 s a user waits).
const adminTimeout = 8 * time.Second

// TopicInfo is one topic of the cluster picture.
type TopicInfo struct {
	// Name is the topic name.
	Name string `json:"name"`
	// Partitions is the partition count; ReplicationFactor the replicas
	// of partition 0.
	Partitions        int `json:"partitions"`
	ReplicationFactor int `json:"replication_factor"`
	// Created is true when prodbench created the topic for this run.
	Created bool `json:"created,omitempty"`
	// Leaders, Replicas and ISR are per partition (index = partition),
	// broker node IDs; -1 for no leader.
	Leaders  []int32   `json:"leaders"`
	Replicas [][]int32 `json:"replicas"`
	ISR      [][]int32 `json:"isr"`
}

// ClusterInfo is what a run learned about the cluster before sending, for
// result.json (registry.Opened.Info["cluster"]). It holds no secret.
type ClusterInfo struct {
	// ClusterID is the cluster's ID ("" when the broker sends none).
	ClusterID string `json:"cluster_id"`
	// Brokers are the brokers as "ID host:port", sorted by ID.
	Brokers []string `json:"brokers"`
	// Controller is the controller's node ID, -1 when unknown.
	Controller int32 `json:"controller"`
	// Security is the security mode, e.g. "SASL_SSL/SCRAM-SHA-512".
	Security string `json:"security"`
	// KafkaVersion is the protocol version cap, "" for none.
	KafkaVersion string `json:"kafka_version,omitempty"`
	// Topics are the scenario's topics as the cluster has them.
	Topics []TopicInfo `json:"topics"`
}

// Summary is the one-line picture for the run summary, e.g. "cluster: 3
// brokers, quickstart: 6 partitions, RF 3, security SASL_SSL/SCRAM-SHA-512".
func (c *ClusterInfo) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster: %d broker", len(c.Brokers))
	if len(c.Brokers) != 1 {
		b.WriteString("s")
	}
	for _, t := range c.Topics {
		fmt.Fprintf(&b, ", %s: %d partitions, RF %d", t.Name, t.Partitions, t.ReplicationFactor)
	}
	fmt.Fprintf(&b, ", security %s", c.Security)
	return b.String()
}

// prepare connects an admin client with the target's security, fails fast
// with one line naming the brokers when that is impossible, creates the
// declared topics that are missing (unless create_topics is false) and
// returns the cluster picture plus warning lines.
func prepare(ctx context.Context, cfg *TargetConfig, brokers []string, sec []kgo.Opt, topics []registry.Topic, autoCreate bool) (*ClusterInfo, []string, error) {
	opts := append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ClientID("prodbench-admin"),
		kgo.DialTimeout(5 * time.Second), kgo.RequestRetries(2), kgo.RetryTimeout(adminTimeout)}, sec...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, nil, registry.UsageError("kafka: brokers %s: %v", strings.Join(brokers, ","), err)
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	if err := cl.Ping(pctx); err != nil {
		cause := oneLine(err)
		if cfg.SASL != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
			cause = "the broker closed the connection during SASL authentication: wrong username or password, or a mechanism it does not enable"
		}
		return nil, nil, fmt.Errorf("kafka: cannot connect to brokers %s (security %s): %s", strings.Join(brokers, ","), cfg.SecurityMode(), cause)
	}
	adm := kadm.NewClient(cl)
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	actx, cancel2 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel2()
	// All topics: asking for a missing one by name makes kgo retry it.
	md, err := adm.Metadata(actx)
	if err != nil {
		return nil, nil, fmt.Errorf("kafka: metadata from %s: %s", strings.Join(brokers, ","), oneLine(err))
	}
	var warns []string
	created := map[string]bool{}
	for _, t := range topics {
		td, ok := md.Topics[t.Name]
		missing := !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition)
		if !missing {
			if td.Err != nil {
				return nil, nil, fmt.Errorf("kafka: topic %q on %s: %s", t.Name, strings.Join(brokers, ","), oneLine(td.Err))
			}
			if n := len(td.Partitions); t.Partitions > 0 && n != t.Partitions {
				warns = append(warns, fmt.Sprintf("kafka: topic %s exists with %d partitions; the scenario declares %d (the run uses %d)", t.Name, n, t.Partitions, n))
			}
			continue
		}
		if !cfg.createTopics() {
			if autoCreate {
				continue
			}
			return nil, nil, fmt.Errorf("kafka: topic %q does not exist on %s and topic creation is off (create_topics: false / --no-create-topics)", t.Name, strings.Join(brokers, ","))
		}
		rf := t.ReplicationFactor
		if rf == 0 {
			rf = cfg.ReplicationFactor
		}
		if rf == 0 {
			rf = -1
		}
		configs := map[string]*string{}
		for k, v := range cfg.TopicConfigs {
			configs[k] = kadm.StringPtr(v)
		}
		for k, v := range t.Configs {
			configs[k] = kadm.StringPtr(v)
		}
		parts := int32(t.Partitions)
		if parts <= 0 {
			parts = -1
		}
		r, err := adm.CreateTopic(actx, parts, int16(rf), configs, t.Name)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			msg := oneLine(err)
			if r.ErrMessage != "" {
				msg += " (" + r.ErrMessage + ")"
			}
			return nil, nil, fmt.Errorf("kafka: creating topic %q (%d partitions) on %s: %s", t.Name, parts, strings.Join(brokers, ","), msg)
		}
		created[t.Name] = true
	}
	// Read back: what the run actually runs against, leaders elected.
	var info *ClusterInfo
	for backoff := 20 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		md, err = adm.Metadata(actx, names...)
		if err != nil {
			return nil, nil, fmt.Errorf("kafka: metadata from %s: %s", strings.Join(brokers, ","), oneLine(err))
		}
		var ready bool
		info, ready = clusterInfo(md, names, created)
		if ready {
			break
		}
		select {
		case <-actx.Done():
			return nil, nil, fmt.Errorf("kafka: topics %s have no leader on %s after 30s", strings.Join(names, ","), strings.Join(brokers, ","))
		case <-time.After(backoff):
		}
	}
	info.Security = cfg.SecurityMode()
	info.KafkaVersion = cfg.KafkaVersion
	return info, warns, nil
}

// clusterInfo builds the picture from md; ready is false while a created
// topic is not listed yet or has a partition without a leader.
func clusterInfo(md kadm.Metadata, names []string, created map[string]bool) (*ClusterInfo, bool) {
	info := &ClusterInfo{ClusterID: md.Cluster, Controller: md.Controller, Topics: []TopicInfo{}}
	bs := append(kadm.BrokerDetails(nil), md.Brokers...)
	sort.Slice(bs, func(i, j int) bool { return bs[i].NodeID < bs[j].NodeID })
	for _, b := range bs {
		info.Brokers = append(info.Brokers, fmt.Sprintf("%d %s", b.NodeID, net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))))
	}
	ready := true
	for _, n := range names {
		td, ok := md.Topics[n]
		if !ok || td.Err != nil {
			if created[n] {
				ready = false
			}
			continue
		}
		ti := TopicInfo{Name: n, Partitions: len(td.Partitions), Created: created[n]}
		for _, p := range td.Partitions.Sorted() {
			if p.Leader < 0 {
				ready = false
			}
			ti.Leaders = append(ti.Leaders, p.Leader)
			ti.Replicas = append(ti.Replicas, p.Replicas)
			ti.ISR = append(ti.ISR, p.ISR)
		}
		if len(ti.Replicas) > 0 {
			ti.ReplicationFactor = len(ti.Replicas[0])
		}
		if created[n] && ti.Partitions == 0 {
			ready = false
		}
		info.Topics = append(info.Topics, ti)
	}
	return info, ready
}

// oneLine flattens err to one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
