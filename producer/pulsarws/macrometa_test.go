package pulsarws

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

const testKey = "acme.bench.S3cr3tValue"

// gdnServer is a test GDN: REST calls and producer upgrades are checked
// and logged; producer connections are served by a stand-in handler.
type gdnServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	log  []string
	otps map[string]bool // issued, unused
	errs []string
}

func newGDN(t *testing.T, streams ...string) *gdnServer {
	g := &gdnServer{otps: map[string]bool{}}
	st := newStandin(standinOptions{retain: true})
	have := map[string]bool{}
	for _, s := range streams {
		have[s] = true
	}
	fail := func(format string, args ...any) {
		g.mu.Lock()
		g.errs = append(g.errs, strings.ReplaceAll(strings.TrimSpace(format), "%", "%%"))
		g.mu.Unlock()
		_ = args
	}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.log = append(g.log, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" auth="+r.Header.Get("Authorization"))
		g.mu.Unlock()
		auth := r.Header.Get("Authorization")
		switch {
		case r.URL.Path == "/apid/otp" && r.Method == http.MethodPost:
			if auth != "apikey "+testKey {
				http.Error(w, `{"error":true,"errorMessage":"bad key"}`, http.StatusUnauthorized)
				return
			}
			g.mu.Lock()
			otp := "otp-" + strconv.Itoa(len(g.log))
			g.otps[otp] = true
			g.mu.Unlock()
			io.WriteString(w, `{"otp":"`+otp+`"}`)
		case r.URL.Path == "/_fabric/_system/_api/streams" && r.Method == http.MethodGet:
			if auth != "apikey "+testKey {
				http.Error(w, `{"error":true,"code":401,"errorMessage":"unauthorized"}`, http.StatusUnauthorized)
				return
			}
			if r.URL.RawQuery != "global=true" {
				fail("list streams query " + r.URL.RawQuery)
			}
			var items []string
			g.mu.Lock()
			for s := range have {
				items = append(items, `{"name":"`+s+`","topic":"`+s+`","local":false,"db":"_system"}`)
			}
			g.mu.Unlock()
			io.WriteString(w, `{"error":false,"code":200,"result":[`+strings.Join(items, ",")+`]}`)
		case strings.HasPrefix(r.URL.Path, "/_fabric/_system/_api/streams/") && r.Method == http.MethodPost:
			if auth != "apikey "+testKey || r.URL.RawQuery != "global=true" {
				fail("create stream " + r.URL.String() + " auth " + auth)
			}
			g.mu.Lock()
			have["c8globals."+strings.TrimPrefix(r.URL.Path, "/_fabric/_system/_api/streams/")] = true
			g.mu.Unlock()
			io.WriteString(w, `{"error":false,"code":200,"result":{"stream-id":"x"}}`)
		case strings.HasPrefix(r.URL.Path, "/_ws/ws/v2/producer/persistent/acme/c8global._system/c8globals."):
			otp := r.URL.Query().Get("otp")
			g.mu.Lock()
			ok := g.otps[otp] || otp == "" && auth == "apikey "+testKey
			delete(g.otps, otp)
			g.mu.Unlock()
			if !ok {
				http.Error(w, "Failed to authenticate client", http.StatusUnauthorized)
				return
			}
			st.ServeHTTP(w, r)
		default:
			fail("unexpected " + r.Method + " " + r.URL.String())
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { g.srv.Close(); st.Close() })
	return g
}

func (g *gdnServer) calls() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.log...)
}

func TestMacrometaURLAuthAndStreams(t *testing.T) {
	t.Setenv("PB_TEST_C8_KEY", testKey)
	g := newGDN(t, "c8globals.existing")
	p := producer.DefaultConfig()
	p.AutoCreateTopics = true
	p.Linger = 10 * time.Millisecond
	p.MaxBatchMessages = 100
	p.Compression = producer.CodecLZ4
	op := open(t, MacrometaKind, g.srv.URL, func(c any) {
		c.(*MacrometaConfig).APIKeyEnv = "PB_TEST_C8_KEY"
		c.(*MacrometaConfig).Connections = 2
	}, p, "existing", "fresh")
	if op.StandIn {
		t.Fatal("a URL target marked as stand-in")
	}
	r := newResults()
	for i := 0; i < 40; i++ {
		r.send(context.Background(), op.Engine, []string{"existing", "fresh"}[i%2], i, nil)
	}
	r.wg.Wait()
	r.check(t, 40)
	if r.kinds[""] != 40 {
		t.Fatalf("outcomes %v", r.kinds)
	}
	calls := g.calls()
	joined := strings.Join(calls, "\n")
	want := []string{
		"GET /_fabric/_system/_api/streams?global=true auth=apikey " + testKey,
		"POST /_fabric/_system/_api/streams/fresh?global=true auth=apikey " + testKey,
		"POST /apid/otp? auth=apikey " + testKey,
	}
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("no request %q in:\n%s", w, joined)
		}
	}
	if strings.Contains(joined, "streams/existing") {
		t.Errorf("existing stream created again:\n%s", joined)
	}
	otps, upgrades := 0, 0
	for _, c := range calls {
		if strings.HasPrefix(c, "POST /apid/otp") {
			otps++
		}
		if strings.HasPrefix(c, "GET /_ws/ws/v2/producer/persistent/acme/c8global._system/c8globals.") {
			upgrades++
			for _, q := range []string{"otp=otp-", "batchingMaxMessages=100", "batchingMaxPublishDelay=10", "compressionType=LZ4", "sendTimeoutMillis=30000", "maxPendingMessages=1000"} {
				if !strings.Contains(c, q) {
					t.Errorf("upgrade %q lacks %s", c, q)
				}
			}
			if strings.Contains(c, "auth=apikey") {
				t.Errorf("otp upgrade carries the API key: %q", c)
			}
		}
	}
	if upgrades != 4 || otps != 4 {
		t.Errorf("%d upgrades and %d OTPs, want 4 each (2 streams x 2 connections, one OTP each)", upgrades, otps)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.errs) > 0 {
		t.Fatalf("server saw bad requests: %v", g.errs)
	}
}

func TestMacrometaHeaderAuthAndErrors(t *testing.T) {
	t.Setenv("PB_TEST_C8_KEY", testKey)
	g := newGDN(t, "c8globals.orders")
	p := producer.DefaultConfig()
	op := open(t, MacrometaKind, g.srv.URL, func(c any) {
		c.(*MacrometaConfig).APIKeyEnv = "PB_TEST_C8_KEY"
		c.(*MacrometaConfig).Auth = "header"
	}, p, "orders")
	r := newResults()
	r.send(context.Background(), op.Engine, "orders", 0, nil)
	r.wg.Wait()
	if r.kinds[""] != 1 {
		t.Fatalf("outcome %v", r.kinds)
	}
	for _, c := range g.calls() {
		if strings.HasPrefix(c, "POST /apid/otp") {
			t.Fatalf("header auth fetched an OTP: %q", c)
		}
	}

	sys, _ := registry.Lookup(MacrometaKind)
	try := func(key string, topics []registry.Topic, p producer.Config) error {
		t.Setenv("PB_TEST_C8_KEY", key)
		cfg := sys.NewConfig()
		cfg.(*MacrometaConfig).APIKeyEnv = "PB_TEST_C8_KEY"
		if err := sys.ApplyURL(cfg, g.srv.URL); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		op, err := sys.Open(ctx, registry.OpenOptions{Config: cfg, Producer: p, Topics: topics, Log: io.Discard})
		if err == nil {
			op.Engine.Close(ctx)
			return nil
		}
		if strings.Contains(err.Error(), key) {
			t.Fatalf("error shows the API key: %v", err)
		}
		return err
	}
	// A missing stream without auto_create_topics: a usage error naming it.
	err := try(testKey, []registry.Topic{{Name: "missing", Partitions: 1}}, producer.DefaultConfig())
	if !errors.Is(err, registry.ErrUsage) || !strings.Contains(err.Error(), "c8globals.missing") {
		t.Fatalf("missing stream: %v", err)
	}
	// A wrong key: refused, the key not shown.
	if err := try("other.bench.WrongSecret", []registry.Topic{{Name: "orders", Partitions: 1}}, producer.DefaultConfig()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestMacrometaConfig(t *testing.T) {
	c := &MacrometaConfig{}
	if err := applyMacrometaURL(c, "https://play.paas.macrometa.io"); err != nil || c.endpoint != "https://api-play.paas.macrometa.io" {
		t.Fatalf("jsC8 api- prefix: %q %v", c.endpoint, err)
	}
	if err := applyMacrometaURL(c, "macrometa://api-eu.paas.macrometa.io"); err != nil || c.endpoint != "https://api-eu.paas.macrometa.io" {
		t.Fatalf("macrometa scheme: %q %v", c.endpoint, err)
	}
	if err := applyMacrometaURL(c, "https://user:pw@api-eu.paas.macrometa.io"); err == nil || strings.Contains(err.Error(), "pw") {
		t.Fatalf("user info: %v", err)
	}
	if got := MacrometaProducerURL("https://api-eu.paas.macrometa.io", "acme", "_system", false, "orders"); got != "wss://api-eu.paas.macrometa.io/_ws/ws/v2/producer/persistent/acme/c8global._system/c8globals.orders" {
		t.Fatalf("global URL %s", got)
	}
	if got := MacrometaProducerURL("https://h", "acme", "fab", true, "orders"); got != "wss://h/_ws/ws/v2/producer/persistent/acme/c8local.fab/c8locals.orders" {
		t.Fatalf("local URL %s", got)
	}
	if tenantFromAPIKey("acme.bench.secret") != "acme" || tenantFromAPIKey("a.b.c.d") != "a.b" || tenantFromAPIKey("x.y") != "_mm" {
		t.Fatal("tenantFromAPIKey")
	}
	// header.{"tenant":"acme"}.sig
	if got := tenantFromJWT("e30.eyJ0ZW5hbnQiOiJhY21lIn0.c2ln"); got != "acme" {
		t.Fatalf("tenantFromJWT = %q", got)
	}
	sc := noScope{}
	if err := validateMacrometa(&MacrometaConfig{endpoint: "https://h"}, producer.DefaultConfig(), sc); err == nil {
		t.Fatal("a URL target without credentials validated")
	}
	p := producer.DefaultConfig()
	p.Compression = producer.CodecGzip
	if err := validateMacrometa(&MacrometaConfig{}, p, sc); err == nil || !strings.Contains(err.Error(), "producer.compression") {
		t.Fatalf("gzip: %v", err)
	}
}
