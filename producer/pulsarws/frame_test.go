package pulsarws

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

func TestAppendFrameIsJSON(t *testing.T) {
	cases := []*producer.Record{
		{Value: []byte{}},
		{Value: []byte{0, 1, 2, 0xff}, Key: []byte("plain")},
		{Value: []byte("x"), Key: []byte("q\"b\\s\x00\x1f\n\t\r\xc3\x28é€")},
		{Value: bytes.Repeat([]byte{0xab}, 1000), Key: []byte{}, Headers: []producer.Header{{Key: "a\"b", Value: []byte("\x01\xff")}, {Key: "ü", Value: nil}}},
	}
	for i, r := range cases {
		b := appendFrame(nil, r, uint64(i)*1e15)
		var f struct {
			Payload    string            `json:"payload"`
			Context    string            `json:"context"`
			Key        *string           `json:"key"`
			Properties map[string]string `json:"properties"`
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err := d.Decode(&f); err != nil || !json.Valid(b) {
			t.Fatalf("case %d: %v: %s", i, err, b)
		}
		v, err := base64.StdEncoding.DecodeString(f.Payload)
		if err != nil || !bytes.Equal(v, r.Value) {
			t.Fatalf("case %d: payload %q", i, f.Payload)
		}
		if f.Context == "" {
			t.Fatalf("case %d: no context", i)
		}
		if (f.Key != nil) != (r.Key != nil) {
			t.Fatalf("case %d: key presence", i)
		}
		if f.Key != nil && strings.ToValidUTF8(string(r.Key), "\ufffd") != *f.Key {
			t.Fatalf("case %d: key %q, want %q", i, *f.Key, r.Key)
		}
		for _, h := range r.Headers {
			if got := f.Properties[h.Key]; got != strings.ToValidUTF8(string(h.Value), "\ufffd") {
				t.Fatalf("case %d: property %q = %q", i, h.Key, got)
			}
		}
	}
}

func TestParseAck(t *testing.T) {
	var a ackFrame
	good := map[string][4]string{ // frame -> result, messageId, context, errorMsg
		`{"result":"ok","messageId":"CAEQAg==","context":"12"}`:                         {"ok", "CAEQAg==", "12", ""},
		` { "context" : "7" , "result":"send-error:8", "errorMsg":"a\"b", "x":[1,{}]} `: {"send-error:8", "", "7", `a"b`},
		`{"result":"send-error:3","errorMsg":"bad","context":null}`:                     {"send-error:3", "", "", "bad"},
	}
	for f, want := range good {
		if err := parseAck([]byte(f), &a); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := [4]string{string(a.result), string(a.messageID), string(a.context), unescape(a.errorMsg, a.escaped&8 != 0)}
		if got != want {
			t.Fatalf("%s: got %q, want %q", f, got, want)
		}
	}
	if err := parseAck([]byte(`{"result":"send-error:3","context":null}`), &a); err != nil || a.hasCtx {
		t.Fatalf("null context: %v %v", err, a.hasCtx)
	}
	for _, f := range []string{``, `[]`, `{"result":"ok"`, `{"result":ok}x`, `{"result":"ok",}`, `{"a":"\u0001` + "\x01" + `"}`} {
		if parseAck([]byte(f), &a) == nil {
			t.Fatalf("accepted %q", f)
		}
	}
	id, ok := decodeMessageID([]byte(base64.StdEncoding.EncodeToString(appendMessageID(nil, messageID{ledger: 5, entry: 300, partition: 2, batchI: 7}))))
	if !ok || id != (messageID{ledger: 5, entry: 300, partition: 2, batchI: 7}) {
		t.Fatalf("message ID round trip: %+v %v", id, ok)
	}
	if _, ok := decodeMessageID([]byte("not base64!")); ok {
		t.Fatal("decoded junk")
	}
}

// TestServeFaults: `prodbench broker --kind pulsar-ws --fault ...` through
// the registered System: injected send-errors are counted by code, and
// dropped connections as pulsar-ws:connection, each message once.
func TestServeFaults(t *testing.T) {
	sys, _ := registry.Lookup(Kind)
	var log bytes.Buffer
	srv, err := sys.Serve(context.Background(), registry.ServeOptions{Listen: "127.0.0.1:0", Faults: []string{"send-error:8@10", "drop@97"}, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.Contains(log.String(), "stand-in") || !strings.Contains(log.String(), srv.Addr()) {
		t.Fatalf("status line %q", log.String())
	}
	if _, err := sys.Serve(context.Background(), registry.ServeOptions{Faults: []string{"explode@3"}, Log: &log}); err == nil {
		t.Fatal("bad fault accepted")
	}
	p := producer.DefaultConfig()
	p.MaxPendingMessages = 8
	op := open(t, Kind, srv.Addr(), nil, p, "served")
	r := newResults()
	const n = 400
	for i := 0; i < n; i++ {
		r.send(context.Background(), op.Engine, "served", i, nil)
	}
	r.wg.Wait()
	r.check(t, n)
	if r.kinds["pulsar-ws:send-error:8"] == 0 || r.kinds["pulsar-ws:connection"] == 0 || r.kinds[""] == 0 {
		t.Fatalf("outcomes %v: want acks, send-error:8 and connection failures", r.kinds)
	}
	if len(r.kinds) != 3 {
		t.Fatalf("unexpected failure kinds: %v", r.kinds)
	}
}

func TestValidatePulsar(t *testing.T) {
	sc := noScope{}
	p := producer.DefaultConfig()
	if err := validatePulsar(&PulsarConfig{}, p, sc); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	bad := []func(*producer.Config){
		func(p *producer.Config) { p.Acks = producer.AcksLeader },
		func(p *producer.Config) { p.Idempotent = true },
		func(p *producer.Config) { p.MaxBatchBytes = 4096 },
		func(p *producer.Config) { p.MaxInFlight = 1 },
		func(p *producer.Config) { p.Linger = 1500e3 },
		func(p *producer.Config) { p.AutoCreateTopics = true },
	}
	for i, f := range bad {
		q := producer.DefaultConfig()
		f(&q)
		if err := validatePulsar(&PulsarConfig{}, q, sc); err == nil || !strings.Contains(err.Error(), "producer.") {
			t.Errorf("case %d accepted or unnamed: %v", i, err)
		}
	}
	c := &PulsarConfig{}
	for _, u := range []string{"http://h:8080", "ws://", "ws://u:secret@h", "ws://h?x=1"} {
		if err := applyPulsarURL(c, u); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("URL %q: %v", u, err)
		}
	}
	if err := applyPulsarURL(c, "wss://h:8443/prefix/"); err != nil || c.service != "wss://h:8443/prefix" {
		t.Fatalf("prefix URL: %q %v", c.service, err)
	}
	if p, err := pulsarTopicPath("persistent://t/n/x", "public", "default"); err != nil || p != "persistent/t/n/x" {
		t.Fatalf("full topic: %q %v", p, err)
	}
	if _, err := pulsarTopicPath("a/b", "public", "default"); err == nil {
		t.Fatal("topic with a slash accepted")
	}
}
