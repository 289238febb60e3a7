package pulsarws

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/prodbench/prodbench/producer"
)

// testServer is a second WebSocket producer API server, independent of
// the stand-in: it checks every frame strictly with encoding/json and
// lets the test decide each answer.
type testServer struct {
	t       *testing.T
	srv     *httptest.Server
	answer  func(ws *websocket.Conn, n int64, idx uint32, ctx string) bool // false: drop the connection
	n       atomic.Int64
	bad     atomic.Int64
	mu      sync.Mutex
	badMsg  string
	conns   atomic.Int64
	queries []string
}

// frameIndex is the message index the tests put in the first 4 bytes of
// each value.
func frameIndex(v []byte) uint32 { return binary.BigEndian.Uint32(v) }

func newTestServer(t *testing.T, answer func(ws *websocket.Conn, n int64, idx uint32, ctx string) bool) *testServer {
	ts := &testServer{t: t, answer: answer}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/ws/v2/producer/persistent/public/default/") {
			http.Error(w, "bad path "+r.URL.Path, http.StatusNotFound)
			return
		}
		ts.mu.Lock()
		ts.queries = append(ts.queries, r.URL.RawQuery)
		ts.mu.Unlock()
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ts.conns.Add(1)
		defer ws.CloseNow()
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var f struct {
				Payload    *string           `json:"payload"`
				Context    *string           `json:"context"`
				Key        *string           `json:"key"`
				Properties map[string]string `json:"properties"`
			}
			d := json.NewDecoder(bytes.NewReader(b))
			d.DisallowUnknownFields()
			var v []byte
			if err = d.Decode(&f); err == nil {
				switch {
				case !json.Valid(b):
					err = errors.New("invalid JSON")
				case f.Payload == nil:
					err = errors.New("no payload")
				case f.Context == nil || *f.Context == "":
					err = errors.New("no context")
				default:
					v, err = base64.StdEncoding.DecodeString(*f.Payload)
					if err == nil && len(v) < 4 {
						err = errors.New("short payload")
					}
				}
			}
			if err != nil {
				ts.bad.Add(1)
				ts.mu.Lock()
				ts.badMsg = fmt.Sprintf("%v: %s", err, b)
				ts.mu.Unlock()
				return
			}
			if !ts.answer(ws, ts.n.Add(1), frameIndex(v), *f.Context) {
				return
			}
		}
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *testServer) url() string { return "ws://" + strings.TrimPrefix(ts.srv.URL, "http://") }

func (ts *testServer) checkFrames(t *testing.T) {
	t.Helper()
	if n := ts.bad.Load(); n > 0 {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		t.Fatalf("%d invalid frames, last: %s", n, ts.badMsg)
	}
}

func write(ws *websocket.Conn, s string) bool {
	return ws.Write(context.Background(), websocket.MessageText, []byte(s)) == nil
}

func okAck(ctx string, entry uint64) string {
	id := base64.StdEncoding.EncodeToString(appendMessageID(nil, messageID{ledger: 9, entry: entry, partition: -1, batchI: -1}))
	// white space and an unknown member, as a JSON encoder may write
	return fmt.Sprintf(`{ "result" : "ok", "extra": {"a": [1, "}"]}, "messageId": %q, "context": %q }`, id, ctx)
}

// outcomes records each message's callbacks by index.
type outcomes struct {
	mu    sync.Mutex
	kinds map[uint32][]string
	wg    sync.WaitGroup
}

func (o *outcomes) send(e interface {
	Send(context.Context, *producer.Record, func(producer.Ack, error))
}, topic string, i uint32) {
	v := make([]byte, 16)
	binary.BigEndian.PutUint32(v, i)
	o.wg.Add(1)
	e.Send(context.Background(), &producer.Record{Topic: topic, Key: []byte(fmt.Sprint("k", i%5)), Value: v}, func(a producer.Ack, err error) {
		o.mu.Lock()
		o.kinds[i] = append(o.kinds[i], producer.ErrorKind(err))
		o.mu.Unlock()
		o.wg.Done()
	})
}

// TestSendErrorsAndDrops: a server answering some frames with
// send-error:8 and send-error:5 (each followed by a stray second ack for
// the same context), and dropping the connection at frames 150 and 300.
// Every message gets one outcome, the one the server gave its frame;
// messages on a dropped connection fail as pulsar-ws:connection; sending
// resumes after each reconnect.
func TestSendErrorsAndDrops(t *testing.T) {
	var mu sync.Mutex
	sent := map[uint32]string{} // index -> the server's answer
	dup := false
	ts := newTestServer(t, func(ws *websocket.Conn, n int64, idx uint32, ctx string) bool {
		mu.Lock()
		if _, seen := sent[idx]; seen {
			dup = true
		}
		mu.Unlock()
		var ans, frame string
		switch {
		case n == 150 || n == 300:
			mu.Lock()
			sent[idx] = "drop"
			mu.Unlock()
			return false
		case n <= 400 && n%7 == 0:
			ans = "pulsar-ws:send-error:8"
			frame = fmt.Sprintf(`{"result":"send-error:8","errorMsg":"Could not send message: \"queue\" full","context":%q}`, ctx)
		case n <= 400 && n%11 == 0:
			ans = "pulsar-ws:send-error:5"
			frame = fmt.Sprintf(`{"result":"send-error:5","errorMsg":"Failed to authenticate client","context":%q}`, ctx)
		default:
			ans, frame = "", okAck(ctx, uint64(n))
		}
		mu.Lock()
		sent[idx] = ans
		mu.Unlock()
		if !write(ws, frame) {
			return false
		}
		if ans != "" && !write(ws, okAck(ctx, uint64(n))) { // stray: must not count twice
			return false
		}
		return true
	})
	p := producer.DefaultConfig()
	p.MaxPendingMessages = 20
	op := open(t, Kind, ts.url(), func(c any) { c.(*PulsarConfig).Connections = 2 }, p, "faults")
	cl := op.Engine.(*client)
	o := &outcomes{kinds: map[uint32][]string{}}
	const n = 500
	for i := uint32(0); i < n; i++ {
		o.send(cl, "faults", i)
	}
	o.wg.Wait()
	// After the faults: everything sent now is acked.
	const more = 100
	for i := uint32(n); i < n+more; i++ {
		o.send(cl, "faults", i)
	}
	o.wg.Wait()
	ts.checkFrames(t)
	mu.Lock()
	defer mu.Unlock()
	if dup {
		t.Fatal("a message was written twice")
	}
	count := map[string]int{}
	for i := uint32(0); i < n+more; i++ {
		ks := o.kinds[i]
		if len(ks) != 1 {
			t.Fatalf("message %d: outcomes %v, want exactly one", i, ks)
		}
		k := ks[0]
		count[k]++
		srv, written := sent[i]
		switch {
		case k == "pulsar-ws:connection":
			// Its frame was dropped, or its answer was lost with the
			// connection (a reset discards what the client had not read).
		case !written:
			t.Fatalf("message %d: outcome %q for a frame the server never read", i, k)
		case k != srv:
			t.Fatalf("message %d: outcome %q, server answered %q", i, k, srv)
		}
		if i >= n && k != "" {
			t.Fatalf("message %d after the faults: %q, want acked", i, k)
		}
	}
	if count["pulsar-ws:send-error:8"] == 0 || count["pulsar-ws:send-error:5"] == 0 || count["pulsar-ws:connection"] < 2 {
		t.Fatalf("outcomes %v: want both send-error codes and at least one failure per drop", count)
	}
	if cl.Reconnects() < 2 || ts.conns.Load() < 4 {
		t.Fatalf("%d reconnects, %d server connections; want >= 2 and >= 4", cl.Reconnects(), ts.conns.Load())
	}
	if cl.LateAcks() == 0 {
		t.Fatal("stray second acks were not seen as late")
	}
	st := cl.Stats()
	if st.Records != int64(count[""]) || st.FailedRecords != int64(n+more-count[""]) {
		t.Fatalf("Stats %+v vs outcomes %v", st, count)
	}
}

// TestWindowQueueFullTimeoutSync: a server that holds its acks. With a
// window of 2 and block_if_queue_full false the third Send fails at once
// with queue_full; unacked messages fail with send_timeout; an ack
// arriving afterwards is ignored; in sync mode Send returns after the
// callback.
func TestWindowQueueFullTimeoutSync(t *testing.T) {
	release := make(chan struct{})
	var held sync.WaitGroup
	ts := newTestServer(t, func(ws *websocket.Conn, n int64, idx uint32, ctx string) bool {
		if idx < 1000 {
			held.Done()
			<-release
		}
		return write(ws, okAck(ctx, uint64(n)))
	})
	p := producer.DefaultConfig()
	p.MaxPendingMessages = 2
	p.BlockIfQueueFull = false
	p.SendTimeout = 100 * time.Millisecond
	op := open(t, Kind, ts.url(), nil, p, "held")
	cl := op.Engine.(*client)
	o := &outcomes{kinds: map[uint32][]string{}}
	held.Add(1) // the server reads (and holds) the first frame
	o.send(cl, "held", 0)
	o.send(cl, "held", 1)
	o.send(cl, "held", 2) // window full: fails in Send
	o.mu.Lock()
	if got := o.kinds[2]; len(got) != 1 || got[0] != "queue_full" {
		o.mu.Unlock()
		t.Fatalf("third message: %v, want queue_full at once", got)
	}
	o.mu.Unlock()
	held.Wait()
	o.wg.Wait() // both time out while the server holds
	o.mu.Lock()
	for i := uint32(0); i < 2; i++ {
		if got := o.kinds[i]; len(got) != 1 || got[0] != "send_timeout" {
			t.Errorf("message %d: %v, want send_timeout", i, got)
		}
	}
	o.mu.Unlock()
	held.Add(1) // frame 1 reaches the handler after release
	close(release)
	held.Wait()

	// Sync mode on a fresh engine: the callback has run when Send returns.
	ps := producer.DefaultConfig()
	ps.SendMode = producer.SendSync
	ops := open(t, Kind, ts.url(), nil, ps, "sync")
	for i := uint32(1000); i < 1010; i++ {
		var ran atomic.Bool
		v := make([]byte, 4)
		binary.BigEndian.PutUint32(v, i)
		ops.Engine.Send(context.Background(), &producer.Record{Topic: "sync", Value: v}, func(a producer.Ack, err error) {
			if err != nil || a.Offset < 0 {
				t.Errorf("sync message %d: %v offset %d", i, err, a.Offset)
			}
			ran.Store(true)
		})
		if !ran.Load() {
			t.Fatalf("sync Send %d returned before its callback", i)
		}
	}
	ts.checkFrames(t)
}

func TestQueryParamsMapping(t *testing.T) {
	p := producer.DefaultConfig()
	p.Batching = true
	p.MaxBatchMessages = 100
	p.Linger = 10 * time.Millisecond
	p.Compression = producer.CodecLZ4
	p.SendTimeout = 30 * time.Second
	p.MaxPendingMessages = 1000
	p.Partitioner = producer.PartitionerRoundRobin
	got := QueryParams(p, "bench-0")
	want := "batchingEnabled=true&batchingMaxMessages=100&batchingMaxPublishDelay=10&compressionType=LZ4&maxPendingMessages=1000&messageRoutingMode=RoundRobinPartition&producerName=bench-0&sendTimeoutMillis=30000"
	if got != want {
		t.Fatalf("QueryParams:\n got %s\nwant %s", got, want)
	}
	p.Batching = false
	p.Compression = producer.CodecZlib
	p.Partitioner = producer.PartitionerDefault
	if got := QueryParams(p, ""); got != "batchingEnabled=false&compressionType=ZLIB&maxPendingMessages=1000&sendTimeoutMillis=30000" {
		t.Fatalf("QueryParams without batching: %s", got)
	}
	if err := checkParams(map[string][]string{"compressionType": {"GZIP"}}); err == nil {
		t.Fatal("stand-in accepted compressionType GZIP")
	}
}
