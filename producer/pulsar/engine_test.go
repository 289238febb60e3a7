package pulsar

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/pulsar/standin"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// testConfig is producer.DefaultConfig with a 5 s send timeout:
// pulsar-client-go's per-partition timeout goroutine (failTimeoutMessages)
// notices a closed producer only at its next tick, up to send_timeout after
// Close, and the conformance suite's goroutine check runs in the same
// process within 10 s.
func testConfig() producer.Config {
	c := producer.DefaultConfig()
	c.SendTimeout = 5 * time.Second
	return c
}

func system(t testing.TB) *registry.System {
	s, ok := registry.Lookup(Kind)
	if !ok {
		t.Fatal("kind pulsar not registered")
	}
	return s
}

// openSys opens an engine through the registered System: NewConfig,
// ApplyURL (when url is set), Validate, Open.
func openSys(t testing.TB, url string, edit func(*Target), cfg producer.Config, topics ...registry.Topic) *registry.Opened {
	t.Helper()
	s := system(t)
	c := s.NewConfig()
	if url != "" {
		if err := s.ApplyURL(c, url); err != nil {
			t.Fatalf("ApplyURL: %v", err)
		}
	}
	if edit != nil {
		edit(c.(*Target))
	}
	if err := s.Validate(c, cfg, transporttest.Scope{}); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	op, err := s.Open(ctx, registry.OpenOptions{Config: c, Producer: cfg, Topics: topics, Seed: 7, Log: io.Discard})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = op.Engine.Close(ctx)
		if op.Release != nil {
			op.Release()
		}
	})
	return op
}

func startStandin(t testing.TB, o standin.Options) *standin.Server {
	t.Helper()
	s, err := standin.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// results collects callbacks.
type results struct {
	mu       sync.Mutex
	calls    int
	acked    int
	ackBytes int64
	kinds    map[string]int
	parts    map[string]map[int32]bool // key -> partitions
	done     map[int]int
	batchMax int32
}

func newResults() *results {
	return &results{kinds: map[string]int{}, parts: map[string]map[int32]bool{}, done: map[int]int{}}
}

func (r *results) cb(a producer.Ack, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.done[a.Record.Context.(int)]++
	if err != nil {
		r.kinds[producer.ErrorKind(err)]++
		return
	}
	r.acked++
	r.ackBytes += int64(len(a.Record.Value))
	k := string(a.Record.Key)
	if r.parts[k] == nil {
		r.parts[k] = map[int32]bool{}
	}
	r.parts[k][a.Partition] = true
	r.batchMax = max(r.batchMax, a.Batch.Records)
}

func value(i int) []byte {
	// Compressible, of varying length.
	return bytes.Repeat([]byte(fmt.Sprintf("value-%05d;", i)), 1+i%7)
}

func sendN(e registry.Engine, topic string, n, keys int, res *results) {
	for i := 0; i < n; i++ {
		r := &producer.Record{Topic: topic, Value: value(i), Context: i,
			Headers: []producer.Header{{Key: "h", Value: []byte(fmt.Sprint(i))}}}
		if keys > 0 {
			r.Key = []byte(fmt.Sprintf("key-%d", i%keys))
		}
		e.Send(context.Background(), r, res.cb)
	}
}

func flush(t testing.TB, e registry.Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// TestCodecsAndBatchingDecodedBack: every codec, batching on and off,
// through pulsar-client-go to the stand-in, which decompresses and splits
// every entry; what it decoded equals what was acked.
func TestCodecsAndBatchingDecodedBack(t *testing.T) {
	codecs := []struct {
		c     producer.Codec
		level int
		index int // Pulsar CompressionType
	}{
		{producer.CodecNone, 0, 0}, {producer.CodecLZ4, 0, 1}, {producer.CodecZlib, 0, 2},
		{producer.CodecZstd, 0, 3}, {producer.CodecZstd, 1, 3}, {producer.CodecZstd, 9, 3}, {producer.CodecSnappy, 0, 4},
	}
	for _, cc := range codecs {
		for _, batching := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v-level%d-batching=%v", cc.c, cc.level, batching), func(t *testing.T) {
				srv := startStandin(t, standin.Options{Topics: map[string]int{"codec": 3}, Retain: true})
				cfg := testConfig()
				cfg.Compression, cfg.CompressionLevel, cfg.Batching = cc.c, cc.level, batching
				cfg.MaxBatchMessages = 50
				op := openSys(t, srv.URL(), nil, cfg, registry.Topic{Name: "codec", Partitions: 3})
				const n = 400
				res := newResults()
				sendN(op.Engine, "codec", n, 10, res)
				flush(t, op.Engine)
				res.mu.Lock()
				defer res.mu.Unlock()
				if res.acked != n || len(res.kinds) != 0 {
					t.Fatalf("acked %d of %d, failures %v", res.acked, n, res.kinds)
				}
				st := srv.Stats()
				if st.DecodeErrors != 0 {
					t.Fatalf("stand-in refused %d SENDs: %s", st.DecodeErrors, srv.LastDecodeError())
				}
				if st.Messages != int64(res.acked) || st.PayloadBytes != res.ackBytes {
					t.Fatalf("stand-in decoded %d messages / %d bytes, acked %d / %d", st.Messages, st.PayloadBytes, res.acked, res.ackBytes)
				}
				if st.EntriesByCodec[cc.index] != st.Entries || st.Entries == 0 {
					t.Fatalf("entries by codec %v, want all %d as %d", st.EntriesByCodec, st.Entries, cc.index)
				}
				if batching && (st.BatchedEntries == 0 || st.Entries >= n) {
					t.Fatalf("batching on: %d entries (%d batched) for %d messages", st.Entries, st.BatchedEntries, n)
				}
				if !batching && (st.BatchedEntries != 0 || st.Entries != n) {
					t.Fatalf("batching off: %d entries (%d batched) for %d messages", st.Entries, st.BatchedEntries, n)
				}
				if batching && res.batchMax > 50 {
					t.Fatalf("a batch of %d records, max_batch_messages 50", res.batchMax)
				}
				// Every message decoded back equals one sent, with its key
				// and header.
				seen := map[string]int{}
				for _, m := range srv.Messages() {
					i := 0
					fmt.Sscan(m.Properties["h"], &i)
					if !bytes.Equal(m.Payload, value(i)) || m.Key != fmt.Sprintf("key-%d", i%10) {
						t.Fatalf("message %d decoded as key %q payload %q", i, m.Key, m.Payload)
					}
					seen[m.Properties["h"]]++
				}
				if len(seen) != n {
					t.Fatalf("%d distinct messages decoded, want %d", len(seen), n)
				}
				for k, ps := range res.parts {
					if len(ps) != 1 {
						t.Fatalf("key %s on partitions %v", k, ps)
					}
				}
				if s := op.Engine.Stats(); s.Records != n || s.Batches != st.Entries {
					t.Fatalf("Stats: %d records in %d batches, stand-in has %d entries", s.Records, s.Batches, st.Entries)
				}
			})
		}
	}
}

// TestSendTimeoutCounted: receipts withheld, every record fails with
// send_timeout.
func TestSendTimeoutCounted(t *testing.T) {
	srv := startStandin(t, standin.Options{Topics: map[string]int{"slow": 2}})
	srv.Hold(true)
	cfg := testConfig()
	cfg.SendTimeout = 300 * time.Millisecond
	op := openSys(t, srv.URL(), nil, cfg, registry.Topic{Name: "slow", Partitions: 2})
	res := newResults()
	sendN(op.Engine, "slow", 20, 0, res)
	flush(t, op.Engine)
	res.mu.Lock()
	defer res.mu.Unlock()
	if res.kinds["send_timeout"] != 20 || res.calls != 20 {
		t.Fatalf("failures %v in %d callbacks, want 20 send_timeout", res.kinds, res.calls)
	}
	if srv.Stats().HeldReceipts == 0 {
		t.Fatal("stand-in withheld no receipt")
	}
	if s := op.Engine.Stats(); s.FailedRecords != 20 {
		t.Fatalf("Stats.FailedRecords = %d", s.FailedRecords)
	}
}

// TestQueueFullCounted: with receipts withheld and a pending limit of 5
// per partition, DisableBlockIfQueueFull fails the rest at once.
func TestQueueFullCounted(t *testing.T) {
	srv := startStandin(t, standin.Options{Topics: map[string]int{"full": 0}})
	srv.Hold(true)
	cfg := testConfig()
	cfg.MaxPendingMessages = 5
	cfg.BlockIfQueueFull = false
	cfg.SendTimeout = 0
	op := openSys(t, srv.URL(), nil, cfg, registry.Topic{Name: "full", Partitions: 1})
	res := newResults()
	sendN(op.Engine, "full", 20, 0, res)
	res.mu.Lock()
	got := res.kinds["queue_full"]
	res.mu.Unlock()
	if got != 15 {
		t.Fatalf("%d queue_full failures, want 15 (20 sent, 5 pending allowed)", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = op.Engine.Close(ctx) // the 5 held records fail as the producer closes
	res.mu.Lock()
	defer res.mu.Unlock()
	if res.calls != 20 {
		t.Fatalf("%d callbacks after Close, want 20", res.calls)
	}
	for i := 0; i < 20; i++ {
		if res.done[i] != 1 {
			t.Fatalf("record %d: %d callbacks", i, res.done[i])
		}
	}
	if res.kinds["queue_full"]+res.kinds["closed"] != 20 {
		t.Fatalf("failure kinds %v, want queue_full and closed only", res.kinds)
	}
}

// TestConformance runs the engine conformance suite against the embedded
// stand-in (Open without a URL).
func TestConformance(t *testing.T) {
	transporttest.RunEngine(t, transporttest.Harness{
		Positions:      true,
		PendingWindows: 3, // max_pending_messages is per partition in pulsar-client-go
		Open: func(t testing.TB, cfg producer.Config, topic string, partitions int) registry.Engine {
			// The suite's default 30 s send_timeout would keep
			// pulsar-client-go's timeout goroutine alive up to 30 s after
			// Close (see testConfig); none starts none.
			cfg.SendTimeout = 0
			op := openSys(t, "", nil, cfg, registry.Topic{Name: topic, Partitions: partitions})
			if !op.StandIn || op.EngineName != EngineName {
				t.Fatalf("Opened: StandIn %v, engine %q", op.StandIn, op.EngineName)
			}
			return op.Engine
		},
	})
}

// TestRouting: murmur3 key hashing, single-partition keyless routing and
// explicit partitions land where expected.
func TestRouting(t *testing.T) {
	srv := startStandin(t, standin.Options{Topics: map[string]int{"route": 4}, Retain: true})
	cfg := testConfig()
	op := openSys(t, srv.URL(), func(c *Target) { c.RoutingMode, c.HashingScheme = RoutingSinglePartition, HashMurmur3 },
		cfg, registry.Topic{Name: "route", Partitions: 4})
	type got struct {
		key  string
		part int32
	}
	var mu sync.Mutex
	var acks []got
	cb := func(a producer.Ack, err error) {
		if err != nil {
			t.Errorf("send: %v", err)
			return
		}
		mu.Lock()
		acks = append(acks, got{string(a.Record.Key), a.Partition})
		mu.Unlock()
	}
	for i := 0; i < 100; i++ {
		op.Engine.Send(context.Background(), &producer.Record{Topic: "route", Key: []byte(fmt.Sprintf("u%d", i)), Value: []byte("v")}, cb)
		op.Engine.Send(context.Background(), &producer.Record{Topic: "route", Value: []byte("keyless")}, cb)
	}
	op.Engine.Send(context.Background(), &producer.Record{Topic: "route", Value: []byte("explicit"), UsePartition: true, Partition: 2}, cb)
	res := newResults()
	op.Engine.Send(context.Background(), &producer.Record{Topic: "route", Value: []byte("x"), UsePartition: true, Partition: 9, Context: 0}, res.cb)
	flush(t, op.Engine)
	if res.kinds["topic"] != 1 {
		t.Fatalf("partition 9 of 4: failures %v, want one topic error", res.kinds)
	}
	mu.Lock()
	defer mu.Unlock()
	keyless := map[int32]int{}
	for _, a := range acks {
		if a.key != "" {
			if want := int32(Murmur3Hash(a.key) % 4); a.part != want {
				t.Fatalf("key %s on partition %d, murmur3 says %d", a.key, a.part, want)
			}
		} else {
			keyless[a.part]++
		}
	}
	if len(keyless) != 2 || keyless[2] < 1 {
		// 100 keyless on one partition plus the explicit one on 2 (which
		// may be the same partition: then one entry with 101).
		if !(len(keyless) == 1 && keyless[2] == 101) {
			t.Fatalf("keyless partitions %v, want one partition (plus the explicit 2)", keyless)
		}
	}
	if JavaStringHash("key-1") != 0x3da0e8d4&0xffffffff && JavaStringHash("a") != 97 {
		t.Fatal("JavaStringHash")
	}
	if JavaStringHash("ab") != 97*31+98 {
		t.Fatalf("JavaStringHash(ab) = %d", JavaStringHash("ab"))
	}
}

// TestSyncMode: with send_mode sync the callback has run when Send returns.
func TestSyncMode(t *testing.T) {
	srv := startStandin(t, standin.Options{Topics: map[string]int{"sync": 2}})
	cfg := testConfig()
	cfg.SendMode = producer.SendSync
	cfg.Linger = time.Hour // sync sends flush their batch at once
	op := openSys(t, srv.URL(), nil, cfg, registry.Topic{Name: "sync", Partitions: 2})
	for i := 0; i < 20; i++ {
		ran := false
		op.Engine.Send(context.Background(), &producer.Record{Topic: "sync", Value: []byte("v"), Context: i}, func(_ producer.Ack, err error) {
			if err != nil {
				t.Errorf("send %d: %v", i, err)
			}
			ran = true
		})
		if !ran {
			t.Fatalf("send %d: callback had not run when Send returned", i)
		}
	}
	if srv.Stats().Messages != 20 {
		t.Fatalf("stand-in got %d messages", srv.Stats().Messages)
	}
}

// TestTokenAuth: the right token connects; a wrong one fails Open, and
// the token appears in no error.
func TestTokenAuth(t *testing.T) {
	const secret = "s3cret-token-value"
	srv := startStandin(t, standin.Options{Topics: map[string]int{"auth": 1}, Token: secret})
	t.Setenv("PB_PULSAR_TOKEN", secret)
	op := openSys(t, srv.URL(), func(c *Target) { c.TokenEnv = "PB_PULSAR_TOKEN" }, testConfig(), registry.Topic{Name: "auth", Partitions: 1})
	res := newResults()
	sendN(op.Engine, "auth", 10, 0, res)
	flush(t, op.Engine)
	if res.acked != 10 {
		t.Fatalf("acked %d of 10: %v", res.acked, res.kinds)
	}

	file := transporttest.TempFile(t, "token", []byte("wrong-"+secret+"\n"))
	s := system(t)
	c := s.NewConfig()
	_ = s.ApplyURL(c, srv.URL())
	c.(*Target).TokenFile = file
	c.(*Target).ConnectionTimeout = 0
	cfg := testConfig()
	cfg.RequestTimeout = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := s.Open(ctx, registry.OpenOptions{Config: c, Producer: cfg, Topics: []registry.Topic{{Name: "auth", Partitions: 1}}, Log: io.Discard})
	if err == nil {
		t.Fatal("Open with a wrong token succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the token: %v", err)
	}
	if srv.Stats().AuthFailures == 0 {
		t.Fatal("stand-in saw no failed authentication")
	}
}

// TestTLS: pulsar+ssl:// to the stand-in serving TLS, trusting its
// certificate through tls_trust_certs_file.
func TestTLS(t *testing.T) {
	certPEM, keyPEM := transporttest.SelfSigned(t)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := startStandin(t, standin.Options{Topics: map[string]int{"tls": 2}, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	if !strings.HasPrefix(srv.URL(), "pulsar+ssl://") {
		t.Fatalf("URL %s", srv.URL())
	}
	ca := transporttest.TempFile(t, "ca.pem", certPEM)
	op := openSys(t, srv.URL(), func(c *Target) { c.TLSTrustCertsFile = ca }, testConfig(), registry.Topic{Name: "tls", Partitions: 2})
	res := newResults()
	sendN(op.Engine, "tls", 50, 5, res)
	flush(t, op.Engine)
	if res.acked != 50 || srv.Stats().Messages != 50 {
		t.Fatalf("acked %d, stand-in %d, failures %v", res.acked, srv.Stats().Messages, res.kinds)
	}
}

// TestValidate: options Pulsar cannot honour are refused, naming them.
func TestValidate(t *testing.T) {
	s := system(t)
	cases := []struct {
		name  string
		edit  func(*Target, *producer.Config)
		field string
	}{
		{"gzip", func(_ *Target, c *producer.Config) { c.Compression = producer.CodecGzip }, "producer.compression"},
		{"lz4 level", func(_ *Target, c *producer.Config) { c.Compression, c.CompressionLevel = producer.CodecLZ4, 3 }, "producer.compression_level"},
		{"acks leader", func(_ *Target, c *producer.Config) { c.Acks = producer.AcksLeader }, "producer.acks"},
		{"idempotent", func(_ *Target, c *producer.Config) { c.Idempotent = true }, "producer.idempotent"},
		{"linger 0", func(_ *Target, c *producer.Config) { c.Linger = 0 }, "producer.linger"},
		{"max_in_flight", func(_ *Target, c *producer.Config) { c.MaxInFlight = 1 }, "producer.max_in_flight"},
		{"routing", func(t *Target, _ *producer.Config) { t.RoutingMode = "sticky" }, "target.routing_mode"},
		{"hashing", func(t *Target, _ *producer.Config) { t.HashingScheme = "crc" }, "target.hashing_scheme"},
		{"token without url", func(t *Target, _ *producer.Config) { t.TokenEnv = "X" }, "target.url"},
	}
	for _, tc := range cases {
		c := s.NewConfig().(*Target)
		cfg := testConfig()
		tc.edit(c, &cfg)
		err := s.Validate(c, cfg, transporttest.Scope{})
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("%s: got %v, want an error on %s", tc.name, err, tc.field)
		}
	}
	if err := s.Validate(s.NewConfig(), testConfig(), transporttest.Scope{"producer.partitioner": true}); err == nil ||
		!strings.HasPrefix(err.Error(), "producer.partitioner:") {
		t.Errorf("partitioner set: got %v", err)
	}
	cfg := testConfig()
	cfg.Batching = false
	cfg.Linger = 0
	if err := s.Validate(s.NewConfig(), cfg, transporttest.Scope{}); err != nil {
		t.Errorf("batching off with linger 0: %v", err)
	}
	for _, bad := range []string{"http://h:1", "pulsar://h", "pulsar://user:pw@h:6650", "pulsar://h:6650/x", "pulsar://h:99999"} {
		err := s.ApplyURL(s.NewConfig(), bad)
		if err == nil {
			t.Errorf("ApplyURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("ApplyURL error shows the password: %v", err)
		}
	}
	c := s.NewConfig()
	if err := s.ApplyURL(c, "pulsar+ssl://127.0.0.1:6651"); err != nil || c.(*Target).URL != "pulsar+ssl://127.0.0.1:6651" {
		t.Errorf("ApplyURL pulsar+ssl: %v %+v", err, c)
	}
	if sys, err := registry.ForURL("pulsar+ssl://127.0.0.1:6651"); err != nil || sys.Kind != Kind {
		t.Errorf("ForURL: %v", err)
	}
}

// TestServe: the stand-in alone, as `prodbench broker --kind pulsar`.
func TestServe(t *testing.T) {
	s := system(t)
	if _, err := s.Serve(context.Background(), registry.ServeOptions{Listen: "127.0.0.1:0", Faults: []string{"x"}, Log: io.Discard}); err == nil {
		t.Fatal("Serve accepted a fault")
	}
	var log bytes.Buffer
	srv, err := s.Serve(context.Background(), registry.ServeOptions{Listen: "127.0.0.1:0", Topics: []string{"served"}, Partitions: 3, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.Contains(log.String(), "not Pulsar") {
		t.Fatalf("Serve log lacks the stand-in note: %q", log.String())
	}
	op := openSys(t, srv.Addr(), nil, testConfig(), registry.Topic{Name: "served", Partitions: 3})
	if op.StandIn {
		t.Fatal("a URL target reported as the embedded stand-in")
	}
	res := newResults()
	sendN(op.Engine, "served", 30, 3, res)
	flush(t, op.Engine)
	if res.acked != 30 {
		t.Fatalf("acked %d of 30: %v", res.acked, res.kinds)
	}
	if p := op.Info["partitions"].(map[string]uint32)["served"]; p != 3 {
		t.Fatalf("partitions %d, want 3", p)
	}
}

// TestReadBackStandIn: the embedded stand-in opened with Retain reads back
// exactly the wanted topics' messages, under the scenario's topic names,
// with their keys, properties as headers, payloads, and the partition and
// offset their acks named (partition 0 for a non-partitioned topic).
func TestReadBackStandIn(t *testing.T) {
	t.Parallel()
	s := system(t)
	cfg := testConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topics := []registry.Topic{{Name: "orders", Partitions: 3}, {Name: "flat"}, {Name: "other", Partitions: 2}}
	op, err := s.Open(ctx, registry.OpenOptions{Config: s.NewConfig(), Producer: cfg, Topics: topics, Retain: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = op.Engine.Close(ctx)
		op.Release()
	}()
	if op.ReadBack == nil {
		t.Fatal("no ReadBack on the retained stand-in")
	}
	type where struct {
		topic     string
		partition int32
		offset    int64
	}
	var mu sync.Mutex
	acked := map[string]where{} // "topic/i" -> where the ack put it
	const n = 300
	for _, topic := range []string{"orders", "flat", "other"} {
		for i := 0; i < n; i++ {
			r := &producer.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%d", i%7)), Value: value(i),
				Headers: []producer.Header{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "a", Value: []byte(topic)}}}
			op.Engine.Send(ctx, r, func(a producer.Ack, err error) {
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[a.Topic+"/"+string(a.Record.Headers[0].Value)] = where{a.Topic, a.Partition, a.Offset}
				mu.Unlock()
			})
		}
	}
	flush(t, op.Engine)
	seen := map[string]int{}
	last := map[where]int64{}
	err = op.ReadBack(ctx, []string{"orders", "flat"}, func(r *registry.ReadRecord) error {
		if len(r.Headers) != 2 || r.Headers[0].Key != "a" || string(r.Headers[0].Value) != r.Topic || r.Headers[1].Key != "h" {
			return fmt.Errorf("%s: headers %q", r.Topic, r.Headers)
		}
		var i int
		fmt.Sscan(string(r.Headers[1].Value), &i)
		id := r.Topic + "/" + string(r.Headers[1].Value)
		seen[id]++
		if string(r.Key) != fmt.Sprintf("key-%d", i%7) || string(r.Value) != string(value(i)) {
			return fmt.Errorf("%s: key %q value %q", id, r.Key, r.Value)
		}
		mu.Lock()
		a, ok := acked[id]
		mu.Unlock()
		if !ok || a.partition != r.Partition || a.offset != r.Offset {
			return fmt.Errorf("%s read back at partition %d offset %d, acked %+v (%v)", id, r.Partition, r.Offset, a, ok)
		}
		p := where{topic: r.Topic, partition: r.Partition}
		if o, had := last[p]; had && r.Offset <= o {
			return fmt.Errorf("%s: offset %d after %d in its partition", id, r.Offset, o)
		}
		last[p] = r.Offset
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2*n {
		t.Fatalf("read back %d distinct messages, want %d", len(seen), 2*n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("%s read back %d times", id, c)
		}
	}
	if _, ok := last[where{topic: "flat"}]; !ok {
		t.Fatalf("non-partitioned topic not read back at partition 0: %v", last)
	}
	// fn's error stops the read and is returned.
	stop := errors.New("stop")
	calls := 0
	if err := op.ReadBack(ctx, []string{"orders"}, func(*registry.ReadRecord) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("ReadBack returned %v after %d calls, want stop after 1", err, calls)
	}
	// A context that has ended stops it with the context's error.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if err := op.ReadBack(cctx, []string{"orders"}, func(*registry.ReadRecord) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadBack with a cancelled context returned %v", err)
	}
}

// TestNoReadBackWithoutRetain: a stand-in that keeps nothing, or a
// Pulsar given by URL (here a stand-in the engine does not own), offers no
// read back even with Retain.
func TestNoReadBackWithoutRetain(t *testing.T) {
	t.Parallel()
	op := openSys(t, "", nil, testConfig(), registry.Topic{Name: "x", Partitions: 1})
	if op.ReadBack != nil {
		t.Fatal("ReadBack set on a stand-in that retains nothing")
	}
	srv := startStandin(t, standin.Options{Retain: true})
	s := system(t)
	c := s.NewConfig()
	if err := s.ApplyURL(c, srv.URL()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	op, err := s.Open(ctx, registry.OpenOptions{Config: c, Producer: testConfig(), Topics: []registry.Topic{{Name: "x", Partitions: 1}}, Retain: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Engine.Close(ctx)
	if op.ReadBack != nil {
		t.Fatal("ReadBack set on a Pulsar given by URL")
	}
}
