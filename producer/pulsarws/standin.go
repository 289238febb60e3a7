package pulsarws

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/prodbench/prodbench/producer/internal/listen"
	"github.com/prodbench/prodbench/producer/internal/propheaders"
	"github.com/prodbench/prodbench/producer/registry"
)

// The embedded stand-in: an in-process server of Pulsar's WebSocket
// producer API (under /ws/v2/producer/... as Pulsar serves it and under
// /_ws/ws/v2/producer/... as Macrometa GDN does) and of the few GDN REST
// calls the macrometa target makes (one-time password, list and create
// streams). It acks every valid frame with a MessageIdData message ID
// (ledger 1 of its topic, entry IDs from 0 in arrival order), answers
// invalid frames as Pulsar does (send-error:3 without context for bad
// JSON, send-error:7 for a bad payload), and can inject send-errors and
// dropped connections. It is a stand-in for trying the tool and for
// tests: latency against it says nothing about Pulsar or Macrometa.

// faults are the stand-in's injected failures, counted over every frame
// the server receives (all connections, all topics), from 1.
type faults struct {
	// sendErrorEvery > 0 answers every sendErrorEvery-th frame with
	// send-error:sendErrorCode instead of an ack.
	sendErrorEvery int64
	sendErrorCode  int
	// dropEvery > 0 closes the connection, without acking, on every
	// dropEvery-th frame.
	dropEvery int64
}

// parseFault parses a --fault specification: "send-error:CODE@N" (every
// N-th frame gets send-error:CODE) or "drop@N" (every N-th frame closes
// its connection unacknowledged).
func parseFault(f *faults, spec string) error {
	what, every, ok := strings.Cut(spec, "@")
	n, err := strconv.ParseInt(every, 10, 64)
	if !ok || err != nil || n < 1 {
		return fmt.Errorf("fault %q: want send-error:CODE@N or drop@N with N >= 1", spec)
	}
	switch {
	case what == "drop":
		f.dropEvery = n
	case strings.HasPrefix(what, "send-error:"):
		code, err := strconv.Atoi(strings.TrimPrefix(what, "send-error:"))
		if err != nil || code < 1 || code > 99 {
			return fmt.Errorf("fault %q: send-error code must be 1-99", spec)
		}
		f.sendErrorEvery, f.sendErrorCode = n, code
	default:
		return fmt.Errorf("fault %q: want send-error:CODE@N or drop@N", spec)
	}
	return nil
}

type standinOptions struct {
	listen string
	retain bool
	faults faults
	// token, when set, is the credential every request must carry:
	// "Authorization: Bearer <token>" or "apikey <token>" on REST calls
	// and WebSocket upgrades, or a one-time password from /apid/otp in
	// the otp query parameter of an upgrade.
	token string
}

// storedMsg is a message the stand-in kept (retain).
type storedMsg struct {
	Payload    []byte
	Key        string
	HasKey     bool
	Properties map[string]string
	Params     string // the connection's query, otp removed
}

type sTopic struct {
	mu    sync.Mutex
	entry uint64
	msgs  []storedMsg
}

// standin is a running stand-in server.
type standin struct {
	o     standinOptions
	ln    net.Listener
	srv   *http.Server
	n     atomic.Int64 // frames received
	acked atomic.Int64
	conns atomic.Int64 // producer connections accepted

	mu      sync.Mutex
	topics  map[string]*sTopic // "persistent://tenant/ns/topic"
	streams map[string]bool    // "fabric/c8globals.name"
	otps    map[string]bool
	rest    []string // REST calls seen, "METHOD path?query"
	active  map[*websocket.Conn]bool
	closing bool // set by Close under mu: no connection joins wg after
	wg      sync.WaitGroup
}

// startStandin listens on o.listen (default 127.0.0.1 with a free port;
// a port alone means 127.0.0.1) and serves until Close.
func startStandin(o standinOptions) (*standin, error) {
	addr, _, _, err := listen.Addr("pulsar-ws stand-in", o.listen)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pulsar-ws stand-in: cannot listen on %s: %v", addr, err)
	}
	s := newStandin(o)
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func newStandin(o standinOptions) *standin {
	return &standin{o: o, topics: map[string]*sTopic{}, streams: map[string]bool{}, otps: map[string]bool{},
		active: map[*websocket.Conn]bool{}}
}

// Addr is the stand-in's WebSocket service URL, "ws://127.0.0.1:PORT".
func (s *standin) Addr() string { return "ws://" + s.ln.Addr().String() }

// Close stops the server and closes its connections.
func (s *standin) Close() error {
	var err error
	if s.srv != nil {
		err = s.srv.Close()
	}
	s.mu.Lock()
	s.closing = true
	for ws := range s.active {
		ws.CloseNow()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *standin) topic(name string) *sTopic {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[name]
	if t == nil {
		t = &sTopic{}
		s.topics[name] = t
	}
	return t
}

// messages returns the messages retained for topic ("persistent://t/n/x").
func (s *standin) messages(topic string) []storedMsg {
	s.mu.Lock()
	t := s.topics[topic]
	s.mu.Unlock()
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]storedMsg(nil), t.msgs...)
}

// eachMessage calls fn with each message retained so far for topic
// ("persistent://t/n/x"), in arrival order, with its index (its entry
// ID), until fn returns false. It does not copy the list (messages
// does): fn must neither change nor keep m.
func (s *standin) eachMessage(topic string, fn func(i int, m *storedMsg) bool) {
	s.mu.Lock()
	t := s.topics[topic]
	s.mu.Unlock()
	if t == nil {
		return
	}
	t.mu.Lock()
	msgs := t.msgs[:len(t.msgs):len(t.msgs)] // appends never touch these
	t.mu.Unlock()
	for i := range msgs {
		if !fn(i, &msgs[i]) {
			return
		}
	}
}

func (s *standin) authorized(r *http.Request, allowOTP bool) bool {
	if s.o.token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	if h == "Bearer "+s.o.token || h == "bearer "+s.o.token || h == "apikey "+s.o.token {
		return true
	}
	if otp := r.URL.Query().Get("otp"); allowOTP && otp != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.otps[otp] {
			delete(s.otps, otp) // one-time
			return true
		}
	}
	return false
}

func (s *standin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/ws/v2/producer/"), strings.HasPrefix(p, "/_ws/ws/v2/producer/"):
		s.serveProducer(w, r)
	case p == "/apid/otp" && r.Method == http.MethodPost:
		if !s.authorized(r, false) {
			http.Error(w, `{"error":true,"code":401,"errorMessage":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		var b [16]byte
		rand.Read(b[:])
		otp := hex.EncodeToString(b[:])
		s.mu.Lock()
		s.otps[otp] = true
		s.rest = append(s.rest, r.Method+" "+p)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"otp": otp})
	case strings.HasPrefix(p, "/_fabric/"):
		s.serveStreams(w, r)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// serveStreams serves GET /_fabric/{fabric}/_api/streams?global=B and
// POST /_fabric/{fabric}/_api/streams/{name}?global=B as GDN does (the
// subset the SDKs' hasStream and createStream use).
func (s *standin) serveStreams(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/_fabric/")
	fabric, rest, _ := strings.Cut(rest, "/")
	if !s.authorized(r, false) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": true, "code": 401, "errorMessage": "unauthorized"})
		return
	}
	global := r.URL.Query().Get("global")
	prefix := "c8globals."
	if strings.EqualFold(global, "false") {
		prefix = "c8locals."
	}
	s.mu.Lock()
	s.rest = append(s.rest, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	s.mu.Unlock()
	switch {
	case rest == "_api/streams" && r.Method == http.MethodGet:
		var list []map[string]any
		s.mu.Lock()
		for k := range s.streams {
			f, name, _ := strings.Cut(k, "/")
			if f == fabric && (global == "" || strings.HasPrefix(name, prefix)) {
				list = append(list, map[string]any{"name": name, "topic": name, "local": strings.HasPrefix(name, "c8locals."), "db": f})
			}
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"error": false, "code": 200, "result": list})
	case strings.HasPrefix(rest, "_api/streams/") && r.Method == http.MethodPost:
		name := prefix + strings.TrimPrefix(rest, "_api/streams/")
		s.mu.Lock()
		exists := s.streams[fabric+"/"+name]
		s.streams[fabric+"/"+name] = true
		s.mu.Unlock()
		if exists {
			writeJSON(w, http.StatusConflict, map[string]any{"error": true, "code": 409, "errorMessage": "stream already exists"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"error": false, "code": 200, "result": map[string]any{"stream-id": name}})
	default:
		http.NotFound(w, r)
	}
}

// Enumerations the WebSocket service accepts (Pulsar's CompressionType
// and MessageRoutingMode).
var (
	compressionTypes = []string{"NONE", "LZ4", "ZLIB", "ZSTD", "SNAPPY"}
	routingModes     = []string{"SinglePartition", "RoundRobinPartition", "CustomPartition"}
)

// checkParams validates the producer query parameters as Pulsar's
// ProducerHandler.getProducerBuilder does.
func checkParams(q map[string][]string) error {
	get := func(k string) (string, bool) {
		v, ok := q[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	for _, k := range []string{"sendTimeoutMillis", "batchingMaxMessages", "maxPendingMessages", "batchingMaxPublishDelay"} {
		if v, ok := get(k); ok {
			if _, err := strconv.ParseInt(v, 10, 32); err != nil {
				return fmt.Errorf("%s: not an integer: %q", k, v)
			}
		}
	}
	if v, ok := get("compressionType"); ok && !contains(compressionTypes, v) {
		return fmt.Errorf("Invalid compressionType %s", v)
	}
	if v, ok := get("messageRoutingMode"); ok && !contains(routingModes, v) {
		return fmt.Errorf("Invalid messageRoutingMode %s", v)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *standin) serveProducer(w http.ResponseWriter, r *http.Request) {
	topic, ok := topicKey(strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/_ws"), "/ws/v2/producer/"))
	if !ok {
		http.Error(w, "Invalid topic name", http.StatusBadRequest)
		return
	}
	if !s.authorized(r, true) {
		http.Error(w, "Failed to authenticate client", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	if err := checkParams(q); err != nil {
		http.Error(w, "Invalid query params: "+err.Error(), http.StatusBadRequest)
		return
	}
	q.Del("otp")
	params := q.Encode()
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(64 << 20)
	s.conns.Add(1)
	// Join wg under mu, and not once Close has begun: a WaitGroup's Add
	// must not race its Wait (the race detector caught a connection
	// accepted while Close waited).
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ws.CloseNow()
		return
	}
	s.wg.Add(1)
	s.active[ws] = true
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.active, ws)
		s.mu.Unlock()
	}()
	s.produce(ws, s.topic(topic), params)
}

// topicKey returns the name the stand-in keeps the topic at p under, the
// decoded path below /ws/v2/producer/ (domain/tenant/namespace/topic), as
// "domain://tenant/namespace/topic"; false when p is not such a path.
func topicKey(p string) (string, bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 4 || (parts[0] != "persistent" && parts[0] != "non-persistent") || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return "", false
	}
	return parts[0] + "://" + parts[1] + "/" + parts[2] + "/" + parts[3], true
}

// topicKeyOfURL returns the stand-in's name of the topic a producer URL
// (or path) ending in /ws/v2/producer/{domain}/{tenant}/{ns}/{topic},
// escaped as the client sends it, names.
func topicKeyOfURL(u string) (string, bool) {
	i := strings.Index(u, "/ws/v2/producer/")
	if i < 0 {
		return "", false
	}
	p, err := url.PathUnescape(u[i+len("/ws/v2/producer/"):])
	if err != nil {
		return "", false
	}
	return topicKey(p)
}

// readBack returns an Opened.ReadBack over what s retained (s must run
// with retain): it replays the stand-in's record, since it serves no
// consumer. producerURL gives a scenario topic's producer URL or path
// (escaped, as dialled), from which its stand-in topic is found as the stand-in
// finds it. Each retained message of a wanted topic is one ReadRecord,
// topic by topic in the order asked, in arrival order within a topic:
// Partition 0 (a topic of this API is one partition here, and the
// client's acks say 0 for a message ID without a partition), Offset the
// entry ID as acked, Key as sent (nil when the frame had none), Headers
// the message's properties (where the verify stamp travels) sorted by
// key, Value the payload.
func (s *standin) readBack(producerURL func(topic string) string) func(context.Context, []string, func(*registry.ReadRecord) error) error {
	return func(ctx context.Context, topics []string, fn func(*registry.ReadRecord) error) error {
		var (
			rec registry.ReadRecord
			hb  propheaders.Buffer
		)
		for _, name := range topics {
			key, ok := topicKeyOfURL(producerURL(name))
			if !ok {
				continue
			}
			var err error
			s.eachMessage(key, func(i int, m *storedMsg) bool {
				if i%1024 == 0 {
					if err = ctx.Err(); err != nil {
						return false
					}
				}
				rec = registry.ReadRecord{Topic: name, Offset: int64(i), Headers: hb.Headers(m.Properties), Value: m.Payload}
				if m.HasKey {
					rec.Key = []byte(m.Key)
				}
				err = fn(&rec)
				return err == nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// produce serves one producer connection until it fails.
func (s *standin) produce(ws *websocket.Conn, t *sTopic, params string) {
	defer ws.CloseNow()
	ctx := context.Background()
	var buf, out, payload []byte
	for {
		_, rd, err := ws.Reader(ctx)
		if err != nil {
			return
		}
		if buf, err = readAll(buf[:0], rd); err != nil {
			return
		}
		n := s.n.Add(1)
		if f := s.o.faults; f.dropEvery > 0 && n%f.dropEvery == 0 {
			return
		}
		out = out[:0]
		fr, ferr := scanFrame(buf)
		switch {
		case ferr != nil:
			out = appendErrAck(out, CodeDeserialize, "Failed to de-serialize from JSON: "+ferr.Error(), nil)
		case !fr.hasPayload:
			out = appendErrAck(out, CodePayloadEncoding, "missing payload", fr.context)
		default:
			dl := base64.StdEncoding.DecodedLen(len(fr.payload))
			if cap(payload) < dl {
				payload = make([]byte, dl)
			}
			k, err := base64.StdEncoding.Decode(payload[:dl], fr.payload)
			switch {
			case err != nil:
				out = appendErrAck(out, CodePayloadEncoding, "Invalid Base64 message-payload error="+err.Error(), fr.context)
			case s.o.faults.sendErrorEvery > 0 && n%s.o.faults.sendErrorEvery == 0:
				out = appendErrAck(out, s.o.faults.sendErrorCode, "injected by the stand-in", fr.context)
			default:
				t.mu.Lock()
				entry := t.entry
				t.entry++
				if s.o.retain {
					sm := storedMsg{Payload: append([]byte(nil), payload[:k]...), Params: params}
					if fr.key != nil {
						sm.Key, sm.HasKey = unescape(fr.key, fr.keyEsc), true
					}
					if fr.props != nil {
						json.Unmarshal(fr.props, &sm.Properties)
					}
					t.msgs = append(t.msgs, sm)
				}
				t.mu.Unlock()
				s.acked.Add(1)
				out = append(out, `{"result":"ok","messageId":"`...)
				var idb [32]byte
				raw := appendMessageID(idb[:0], messageID{ledger: 1, entry: entry, partition: -1, batchI: -1})
				l := base64.StdEncoding.EncodedLen(len(raw))
				out = growLen(out, l)
				base64.StdEncoding.Encode(out[len(out)-l:], raw)
				out = append(out, `","context":`...)
				out = appendCtx(out, fr.context)
				out = append(out, '}')
			}
		}
		if err := ws.Write(ctx, websocket.MessageText, out); err != nil {
			return
		}
	}
}

func appendCtx(out, ctx []byte) []byte {
	if ctx == nil {
		return append(out, "null"...)
	}
	out = append(out, '"')
	out = append(out, ctx...)
	return append(out, '"')
}

func appendErrAck(out []byte, code int, msg string, ctx []byte) []byte {
	out = append(out, `{"result":"send-error:`...)
	out = strconv.AppendInt(out, int64(code), 10)
	out = append(out, `","errorMsg":`...)
	out = appendJSONStringS(out, msg)
	if ctx != nil {
		out = append(out, `,"context":`...)
		out = appendCtx(out, ctx)
	}
	return append(out, '}')
}

// frameFields are the members of a producer frame the stand-in uses, as
// raw JSON (strings without quotes).
type frameFields struct {
	payload, context, key, props []byte
	hasPayload, keyEsc           bool
}

var errNotObject = errors.New("not a JSON object")

// scanFrame checks b is valid JSON (encoding/json's json.Valid) and
// picks out payload, context, key and properties.
func scanFrame(b []byte) (frameFields, error) {
	var f frameFields
	if !json.Valid(b) {
		return f, errors.New("invalid JSON")
	}
	i := skipWS(b, 0)
	if b[i] != '{' {
		return f, errNotObject
	}
	i = skipWS(b, i+1)
	if b[i] == '}' {
		return f, nil
	}
	for {
		key, _, j, _ := scanString(b, i)
		i = skipWS(b, j)
		i = skipWS(b, i+1) // ':'
		var val []byte
		var esc, isStr bool
		start := i
		if b[i] == '"' {
			val, esc, j, _ = scanString(b, i)
			isStr = true
		} else {
			j, _ = skipValue(b, i)
		}
		i = j
		switch string(key) {
		case "payload":
			if isStr {
				f.payload, f.hasPayload = val, true
			}
		case "context":
			if isStr && !esc {
				f.context = val
			}
		case "key":
			if isStr {
				f.key, f.keyEsc = val, esc
			}
		case "properties":
			if b[start] == '{' {
				f.props = b[start:i]
			}
		}
		i = skipWS(b, i)
		if b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		return f, nil
	}
}
