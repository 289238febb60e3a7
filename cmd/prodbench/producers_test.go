package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/internal/kafkatest"
	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/workload"
)

// fakeKafka starts a one-broker kfake cluster listening on loopback with
// more options opts, closed when the test ends.
func fakeKafka(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.ListenFn(func(network, _ string) (net.Listener, error) {
		return net.Listen(network, "127.0.0.1:0")
	})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// consumeProducerIDs reads every record of topic (partitions 0 to
// partitions-1) on addr and returns how many there were per producer ID.
func consumeProducerIDs(t *testing.T, addr, topic string, partitions int32) map[int64]int64 {
	t.Helper()
	ids := map[int64]int64{}
	// The end offsets say how many records there are to read.
	for _, r := range kafkatest.Consume(t, []string{addr}, topic, int(endOffsets(t, addr, topic, partitions)), 30*time.Second, 0) {
		ids[r.ProducerID]++
	}
	return ids
}

// endOffsets returns the sum of the end offsets of topic's partitions 0
// to partitions-1 on addr.
func endOffsets(t *testing.T, addr, topic string, partitions int32) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			n += p.Offset
		}
	}
	return n
}

// TestRunSeveralProducersIdempotent: producers: 3 with idempotence on, on
// each Kafka engine, against kfake: the broker sees three InitProducerID
// requests, the records read back carry three distinct producer IDs, and
// result.json's per-producer counts sum to what was read back.
func TestRunSeveralProducersIdempotent(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"native", "franz-go"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			c := fakeKafka(t)
			var inits atomic.Int64
			c.ControlKey(int16(kmsg.InitProducerID), func(kmsg.Request) (kmsg.Response, error, bool) {
				c.KeepControl()
				inits.Add(1)
				return nil, nil, false
			})
			addr := c.ListenAddrs()[0]
			path := shortWith(t, "workers: 2\n", "workers: 4\nproducers: 3\n")
			path = rewrite(t, path, "  acks: all\n", "  acks: all\n  idempotent: true\n")
			out := filepath.Join(t.TempDir(), "out")
			code, stdout, stderr := cli(context.Background(), "run", "--quiet", "--out", out, "--brokers", addr,
				"--engine", engine, "--duration", "600ms", path)
			if !ranOK(code, stderr) {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if n := inits.Load(); n != 3 {
				t.Errorf("broker saw %d InitProducerID requests, want 3", n)
			}
			ids := consumeProducerIDs(t, addr, "short", 3)
			if len(ids) != 3 {
				t.Errorf("records carry producer IDs %v, want 3 distinct", ids)
			}
			var read int64
			for id, n := range ids {
				if id < 0 {
					t.Errorf("%d records without a producer ID", n)
				}
				read += n
			}
			res := readResult(t, out)
			if len(res.Producers) != 3 {
				t.Fatalf("result has %d producers, want 3: %+v", len(res.Producers), res.Producers)
			}
			var sent, acked, failed int64
			for i, p := range res.Producers {
				if p.Index != i || p.Sent == 0 || p.Acked == 0 {
					t.Errorf("producer %d: %+v", i, p)
				}
				sent += p.Sent
				acked += p.Acked
				failed += p.Failed
			}
			if acked != read || sent != acked+failed || failed != 0 {
				t.Errorf("producers sent %d acked %d failed %d; %d records read back", sent, acked, failed, read)
			}
			if res.Counts.Sent > sent || res.Counts.Acked > acked {
				t.Errorf("measured counts %+v exceed the producers' whole-run sums (sent %d, acked %d)", res.Counts, sent, acked)
			}
			if !strings.Contains(stdout, "producers:   3") || !strings.Contains(stdout, "#2") {
				t.Errorf("summary lacks the producers block:\n%s", stdout)
			}
		})
	}
}

// rewrite replaces from by to in the file at path, which must hold it.
func rewrite(t *testing.T, path, from, to string) string {
	t.Helper()
	raw := mustRead(t, path)
	data := string(raw)
	if !strings.Contains(data, from) {
		t.Fatalf("%s has no %q", path, from)
	}
	return scenarioFile(t, "bad.yaml", strings.Replace(data, from, to, 1))
}

// TestOpenProducersEmbeddedOnce: producers: 3 on the embedded broker
// opens three engines on one stand-in (the first starts it, the others
// connect to it), each an idempotent producer of its own, and releasing
// the set stops the stand-in.
func TestOpenProducersEmbeddedOnce(t *testing.T) {
	t.Parallel()
	s, err := workload.Parse("p.yaml", []byte("name: p\nduration: 1s\ntopics: [{name: p, partitions: 3}]\nproducers: 3\nrate: {messages_per_second: 100}\nmessage: {size: 10}\nproducer: {idempotent: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Workers != workload.DefaultWorkers {
		t.Fatalf("workers %d, want the default %d", s.Workers, workload.DefaultWorkers)
	}
	cfg, err := s.ProducerConfig()
	if err != nil {
		t.Fatal(err)
	}
	var logb strings.Builder
	o, err := openEngine(context.Background(), s, cfg, &runFlags{retain: true}, &logb)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			release(o)
		}
	}()
	set, ok := o.Engine.(*producerSet)
	if !ok || len(set.parts) != 3 {
		t.Fatalf("engine %T, want a set of 3", o.Engine)
	}
	addr, ok := strings.CutPrefix(set.parts[0].Target, "embedded kafka ")
	if !ok {
		t.Fatalf("first producer's target %q", set.parts[0].Target)
	}
	for i, p := range set.parts[1:] {
		if p.Target != "kafka "+addr {
			t.Errorf("producer %d target %q, want the first one's stand-in kafka %s", i+1, p.Target, addr)
		}
	}
	snds := senders(o)
	var wg sync.WaitGroup
	for i, snd := range snds {
		for k := range 5 {
			wg.Add(1)
			snd.Send(context.Background(), &producer.Record{Topic: "p", Value: []byte{byte(i), byte(k)}}, func(_ producer.Ack, err error) {
				if err != nil {
					t.Errorf("producer %d: %v", i, err)
				}
				wg.Done()
			})
		}
	}
	wg.Wait()
	if ids := consumeProducerIDs(t, addr, "p", 3); len(ids) != 3 {
		t.Errorf("producer IDs %v, want 3 distinct", ids)
	}
	if err := closeWithin(o.Engine, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	release(o)
	released = true
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("the stand-in at %s still listens after release", addr)
	}
}

// TestOpenProducersShareStandIn: with producers: 3 on the embedded
// stand-ins of NATS, Pulsar and Pulsar WebSocket, the first producer
// starts the stand-in and the other two join it by its Reach URL (their
// targets are not "embedded ..."); Macrometa's stand-in cannot be joined
// by URL (a URL target needs credentials), so each producer there starts
// its own.
func TestOpenProducersShareStandIn(t *testing.T) {
	t.Parallel()
	for kind, share := range map[string]bool{"nats": true, "pulsar": true, "pulsar-ws": true, "macrometa": false} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s, err := workload.Parse("p.yaml", []byte("name: p\nduration: 1s\ntopics: [{name: p, partitions: 1}]\nproducers: 3\n"+
				"rate: {messages_per_second: 100}\nmessage: {size: 10}\ntarget: {kind: "+kind+"}\n"))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := s.ProducerConfig()
			if err != nil {
				t.Fatal(err)
			}
			o, err := openEngine(context.Background(), s, cfg, &runFlags{retain: true}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer release(o)
			set, ok := o.Engine.(*producerSet)
			if !ok || len(set.parts) != 3 {
				t.Fatalf("engine %T, want a set of 3", o.Engine)
			}
			if set.parts[0].Reach == "" == share {
				t.Fatalf("first producer: Reach %q, target %q", set.parts[0].Reach, set.parts[0].Target)
			}
			for i, p := range set.parts[1:] {
				if embedded := strings.HasPrefix(p.Target, "embedded "); embedded == share {
					t.Errorf("producer %d target %q (share %v)", i+1, p.Target, share)
				}
			}
		})
	}
}
