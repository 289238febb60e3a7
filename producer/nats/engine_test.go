package nats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// startServer starts an embedded server for the test.
func startServer(t testing.TB) *Embedded {
	t.Helper()
	emb, err := StartEmbedded(EmbeddedOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emb.Close() })
	return emb
}

// openOn opens an engine on emb with topics.
func openOn(t testing.TB, emb *Embedded, tc *Config, pc producer.Config, topics ...registry.Topic) *engine {
	t.Helper()
	c := *tc
	c.URL = emb.URL()
	pc.AutoCreateTopics = true
	e, _, err := openEngine(context.Background(), &c, pc, topics, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

func TestConformance(t *testing.T) {
	transporttest.RunEngine(t, transporttest.Harness{
		Positions: true,
		Open: func(t testing.TB, cfg producer.Config, topic string, partitions int) registry.Engine {
			emb := startServer(t)
			return openOn(t, emb, &Config{}, cfg, registry.Topic{Name: topic, Partitions: partitions})
		},
	})
}

type result struct {
	mu    sync.Mutex
	acked map[string]producer.Ack // value -> ack
	errs  map[string]int          // failure kind -> count
	calls int
}

func newResult() *result { return &result{acked: map[string]producer.Ack{}, errs: map[string]int{}} }

func (r *result) cb(a producer.Ack, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if err != nil {
		r.errs[producer.ErrorKind(err)]++
		return
	}
	r.acked[string(a.Record.Value)] = a
}

// readBack reads every message of stream with an ordered consumer.
func readBack(t *testing.T, url, stream string) []jetstream.Msg {
	t.Helper()
	nc, err := natsgo.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := int(info.State.Msgs)
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for len(out) < n {
		batch, err := c.Fetch(min(n-len(out), 500), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			out = append(out, m)
		}
		if batch.Error() != nil {
			t.Fatal(batch.Error())
		}
	}
	return out
}

// TestReadBackExactlyOnceKeyedOrder: every acked message is in the stream
// exactly once, at the acked sequence, on the subject of its key's
// partition, and the messages of a key are in send order.
func TestReadBackExactlyOnceKeyedOrder(t *testing.T) {
	emb := startServer(t)
	const n, parts, keys = 3000, 6, 50
	e := openOn(t, emb, &Config{KeyHeader: "Key"}, producer.DefaultConfig(), registry.Topic{Name: "orders", Partitions: parts})
	res := newResult()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("user-%d", i%keys)
		e.Send(ctx, &producer.Record{Topic: "orders", Key: []byte(k), Value: []byte(fmt.Sprintf("%s/%06d", k, i)),
			Headers: []producer.Header{{Key: "h1", Value: []byte("v" + strconv.Itoa(i))}}}, res.cb)
	}
	fctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := e.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	if len(res.errs) > 0 || len(res.acked) != n {
		t.Fatalf("acked %d of %d, failures %v", len(res.acked), n, res.errs)
	}
	msgs := readBack(t, emb.URL(), "orders")
	if len(msgs) != n {
		t.Fatalf("stream holds %d messages, want %d", len(msgs), n)
	}
	seen := map[string]int{}
	lastOfKey := map[string]int{}
	for _, m := range msgs {
		v := string(m.Data())
		seen[v]++
		a, ok := res.acked[v]
		if !ok {
			t.Fatalf("message %q in the stream was never acked", v)
		}
		md, _ := m.Metadata()
		if md.Sequence.Stream != uint64(a.Offset) {
			t.Fatalf("%q stored at sequence %d, acked with %d", v, md.Sequence.Stream, a.Offset)
		}
		k, num, _ := strings.Cut(v, "/")
		if got := m.Headers().Get("Key"); got != k {
			t.Fatalf("%q: key header %q", v, got)
		}
		want := fmt.Sprintf("orders.%d", producer.KeyPartition([]byte(k), parts))
		if m.Subject() != want || a.Partition != producer.KeyPartition([]byte(k), parts) {
			t.Fatalf("%q on subject %s (ack partition %d), want %s", v, m.Subject(), a.Partition, want)
		}
		i, _ := strconv.Atoi(num)
		if m.Headers().Get("h1") != "v"+strconv.Itoa(i) {
			t.Fatalf("%q: header h1 = %q", v, m.Headers().Get("h1"))
		}
		if last, ok := lastOfKey[k]; ok && i < last {
			t.Fatalf("key %s: message %d stored after %d", k, i, last)
		}
		lastOfKey[k] = i
	}
	for v, c := range seen {
		if c != 1 {
			t.Fatalf("%q stored %d times", v, c)
		}
	}
}

// TestIdempotentResendAfterTimeout: the first PubAck of every 10th message
// is dropped, so its attempt times out and it is resent. With idempotent
// the stream's duplicate window keeps one copy and the resend's PubAck is
// counted as a duplicate; without, the stream holds the copies (the check
// can fail).
func TestIdempotentResendAfterTimeout(t *testing.T) {
	for _, idem := range []bool{true, false} {
		t.Run(fmt.Sprintf("idempotent=%v", idem), func(t *testing.T) {
			emb := startServer(t)
			pc := producer.DefaultConfig()
			pc.Idempotent = idem
			pc.RequestTimeout = 300 * time.Millisecond
			pc.RetryBackoff = 10 * time.Millisecond
			pc.Retries = 5
			e := openOn(t, emb, &Config{}, pc, registry.Topic{Name: "idem", Partitions: 1})
			e.dropAck = func(r *producer.Record, attempt int) bool {
				i, _ := strconv.Atoi(string(r.Value))
				return attempt == 1 && i%10 == 0
			}
			const n = 200
			res := newResult()
			for i := 0; i < n; i++ {
				e.Send(context.Background(), &producer.Record{Topic: "idem", Value: []byte(strconv.Itoa(i))}, res.cb)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := e.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if len(res.errs) > 0 || len(res.acked) != n {
				t.Fatalf("acked %d of %d, failures %v", len(res.acked), n, res.errs)
			}
			if st := e.Stats(); st.Retries < n/10 {
				t.Fatalf("Retries = %d, want >= %d", st.Retries, n/10)
			}
			msgs := readBack(t, emb.URL(), "idem")
			if idem {
				if len(msgs) != n {
					t.Fatalf("stream holds %d messages, want %d (no duplicate)", len(msgs), n)
				}
				if d := e.Duplicates(); d != n/10 {
					t.Fatalf("Duplicates = %d, want %d", d, n/10)
				}
			} else if len(msgs) != n+n/10 {
				t.Fatalf("without idempotence the stream holds %d messages, want %d (each resend stored)", len(msgs), n+n/10)
			}
		})
	}
}

// TestRestartLosesNothingAcked: the server restarts (file storage) while
// records are being sent; every acked record is in the stream afterwards,
// exactly once with idempotence.
func TestRestartLosesNothingAcked(t *testing.T) {
	emb := startServer(t)
	pc := producer.DefaultConfig()
	pc.Idempotent = true
	pc.RequestTimeout = time.Second
	pc.RetryBackoff = 50 * time.Millisecond
	pc.MaxRetryBackoff = 500 * time.Millisecond
	pc.Retries = 50
	pc.SendTimeout = 50 * time.Second
	e := openOn(t, emb, &Config{}, pc, registry.Topic{Name: "durable", Partitions: 3})
	res := newResult()
	const n = 4000
	restarted := make(chan error, 1)
	for i := 0; i < n; i++ {
		if i == n/2 {
			go func() { restarted <- emb.Restart() }()
		}
		e.Send(context.Background(), &producer.Record{Topic: "durable", Key: []byte(strconv.Itoa(i % 7)), Value: []byte(fmt.Sprintf("m%05d", i))}, res.cb)
		if i%100 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if res.calls != n {
		t.Fatalf("%d callbacks for %d records", res.calls, n)
	}
	if len(res.acked) == 0 {
		t.Fatalf("nothing acked; failures %v", res.errs)
	}
	msgs := readBack(t, emb.URL(), "durable")
	seen := map[string]int{}
	for _, m := range msgs {
		seen[string(m.Data())]++
	}
	for v := range res.acked {
		if seen[v] != 1 {
			t.Fatalf("acked %q is in the stream %d times", v, seen[v])
		}
	}
	t.Logf("%d acked, %d failed %v, %d stored, %d duplicates, %d retries", len(res.acked), n-len(res.acked), res.errs, len(msgs), e.Duplicates(), e.Stats().Retries)
}

func TestQueueFullAndErrors(t *testing.T) {
	emb := startServer(t)
	pc := producer.DefaultConfig()
	pc.MaxPendingMessages = 1
	pc.BlockIfQueueFull = false
	pc.RequestTimeout = 200 * time.Millisecond // the stuck record fails at Close, with nats:timeout
	pc.Retries = 0
	e := openOn(t, emb, &Config{}, pc, registry.Topic{Name: "qf", Partitions: 1})
	res := newResult()
	e.dropAck = func(*producer.Record, int) bool { return true } // the one slot stays busy
	e.Send(context.Background(), &producer.Record{Topic: "qf", Value: []byte("a")}, res.cb)
	e.Send(context.Background(), &producer.Record{Topic: "qf", Value: []byte("b")}, res.cb)
	res.mu.Lock()
	if res.errs["queue_full"] != 1 {
		t.Fatalf("failures %v, want one queue_full", res.errs)
	}
	res.mu.Unlock()

	// A stream that refuses new messages when full: nats:max_msgs.
	emb2 := startServer(t)
	pc2 := producer.DefaultConfig()
	e2 := openOn(t, emb2, &Config{MaxMsgs: 5, Discard: "new"}, pc2, registry.Topic{Name: "full", Partitions: 1})
	res2 := newResult()
	for i := 0; i < 8; i++ {
		e2.Send(context.Background(), &producer.Record{Topic: "full", Value: []byte(strconv.Itoa(i))}, res2.cb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(res2.acked) != 5 || res2.errs[KindMaxMsgs] != 3 {
		t.Fatalf("acked %d, failures %v; want 5 acked and 3 %s", len(res2.acked), res2.errs, KindMaxMsgs)
	}

	// No stream on the subject: nats:stream_not_found at Send without
	// auto-create.
	pc3 := producer.DefaultConfig()
	pc3.AutoCreateTopics = false
	c := &Config{URL: emb2.URL()}
	e3, _, err := openEngine(context.Background(), c, pc3, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e3.Close(context.Background())
	res3 := newResult()
	e3.Send(context.Background(), &producer.Record{Topic: "missing", Value: []byte("x")}, res3.cb)
	if res3.errs[KindStreamNotFound] != 1 {
		t.Fatalf("failures %v, want %s", res3.errs, KindStreamNotFound)
	}
}

func TestSyncMode(t *testing.T) {
	emb := startServer(t)
	pc := producer.DefaultConfig()
	pc.SendMode = producer.SendSync
	e := openOn(t, emb, &Config{Storage: "memory"}, pc, registry.Topic{Name: "sync", Partitions: 2})
	for i := 0; i < 20; i++ {
		done := false
		e.Send(context.Background(), &producer.Record{Topic: "sync", Value: []byte("x")}, func(a producer.Ack, err error) {
			if err != nil || a.Offset != int64(i+1) {
				t.Errorf("record %d: offset %d err %v", i, a.Offset, err)
			}
			done = true
		})
		if !done {
			t.Fatalf("sync Send returned before the callback")
		}
	}
}

func TestParseAck(t *testing.T) {
	for _, b := range []string{`{"stream":"s","seq":42,"duplicate":true}`, `{"stream":"s", "seq":42,"duplicate": true}`} {
		seq, dup, err := parseAck([]byte(b))
		if err != nil || seq != 42 || !dup {
			t.Fatalf("%s: got %d %v %v", b, seq, dup, err)
		}
	}
	if _, dup, _ := parseAck([]byte(`{"stream":"s","seq":42}`)); dup {
		t.Fatal("duplicate without the field")
	}
	_, _, err := parseAck([]byte(`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"}}`))
	if producer.ErrorKind(err) != KindWrongLastSequence {
		t.Fatalf("kind %q", producer.ErrorKind(err))
	}
	_, _, err = parseAck([]byte(`{"error":{"code":503,"err_code":10077,"description":"maximum bytes exceeded"}}`))
	if producer.ErrorKind(err) != KindMaxBytes {
		t.Fatalf("kind %q", producer.ErrorKind(err))
	}
	var se *producer.SystemError
	_, _, err = parseAck([]byte(`{"error":{"code":500,"err_code":10009,"description":"JetStream cluster not leader"}}`))
	if producer.ErrorKind(err) != KindNotLeader || !errors.As(err, &se) || !se.Retriable {
		t.Fatalf("kind %q", producer.ErrorKind(err))
	}
}
