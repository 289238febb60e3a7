package pulsarws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/coder/websocket"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/secret"
	"github.com/prodbench/prodbench/producer/registry"
)

// MacrometaKind is the target kind of Macrometa GDN streams
// ("macrometa://" URLs; https:// URLs in the target block).
const MacrometaKind = "macrometa"

// MacrometaConfig is the scenario's `target:` block for kind macrometa:
//
//	target:
//	  kind: macrometa
//	  url: https://api-<region>.paas.macrometa.io   # GDN API host
//	  tenant: mytenant          # default: from the API key (jsC8) or the JWT's tenant claim
//	  fabric: _system           # default _system
//	  local: false              # true: local streams (c8local/c8locals)
//	  api_key_env: C8_API_KEY   # or api_key_file, or jwt_env
//	  auth: otp                 # otp (jsC8: one-time password per connection) or header (pyC8)
//	  connections: 1
//	  producer_name: bench
//
// Streams are the scenario's topics. Producers connect to
//
//	wss://{host}/_ws/ws/v2/producer/persistent/{tenant}/{c8global|c8local}.{fabric}/{c8globals|c8locals}.{stream}?{options}
//
// as jsC8's Stream.producer and pyC8's create_producer build it. Without
// url the target is the embedded stand-in, which also serves the GDN
// REST calls below.
type MacrometaConfig struct {
	// Tenant is the GDN tenant. Default: the API key without its last
	// two dot-separated parts (jsC8's extractTenantName; "_mm" when that
	// is empty), or the JWT's "tenant" claim.
	Tenant string `yaml:"tenant,omitempty" json:"tenant,omitempty"`
	// Fabric is the geo fabric (database). Default "_system".
	Fabric string `yaml:"fabric,omitempty" json:"fabric,omitempty"`
	// Local selects local streams (c8locals.*, one region) instead of
	// global ones (c8globals.*, geo-replicated). Default false.
	Local bool `yaml:"local,omitempty" json:"local,omitempty"`
	// APIKeyEnv names an environment variable holding the API key, sent
	// as "Authorization: apikey <key>".
	APIKeyEnv string `yaml:"api_key_env,omitempty" json:"api_key_env,omitempty"`
	// APIKeyFile is a file holding the API key, instead of APIKeyEnv.
	APIKeyFile string `yaml:"api_key_file,omitempty" json:"api_key_file,omitempty"`
	// JWTEnv names an environment variable holding a JWT, sent as
	// "Authorization: bearer <jwt>", instead of an API key.
	JWTEnv string `yaml:"jwt_env,omitempty" json:"jwt_env,omitempty"`
	// Auth is how producer connections authenticate: "otp" (the default,
	// as jsC8: POST /apid/otp for a one-time password before each
	// connection, passed as the otp query parameter) or "header" (as
	// pyC8: the Authorization header on the upgrade request).
	Auth string `yaml:"auth,omitempty" json:"auth,omitempty"`
	// Connections is the number of producer connections per stream, 1
	// to 256. Default 1.
	Connections int `yaml:"connections,omitempty" json:"connections,omitempty"`
	// ProducerName is sent as producerName, suffixed "-N" for connection
	// N. Default none.
	ProducerName string `yaml:"producer_name,omitempty" json:"producer_name,omitempty"`

	endpoint string // from the url: http[s]://host[:port]
}

func init() {
	registry.Register(registry.System{
		Kind:      MacrometaKind,
		Schemes:   []string{MacrometaKind},
		Summary:   "Macrometa GDN streams over Pulsar's WebSocket API (embedded stand-in unless a url is given)",
		Engines:   []string{EngineName},
		NewConfig: func() any { return &MacrometaConfig{} },
		Validate:  validateMacrometa,
		ApplyURL:  applyMacrometaURL,
		Open:      openMacrometa,
		Serve:     func(ctx context.Context, o registry.ServeOptions) (registry.Server, error) { return serve(o, true) },
	})
}

// applyMacrometaURL takes https://api-<region>.paas.macrometa.io (the
// target block's url), macrometa://api-<region>.paas.macrometa.io (for
// --target; https) or http://host:port (a local stand-in). A
// *.macrometa.io host without the api- prefix gets it, as jsC8 adds it
// to its url option.
func applyMacrometaURL(cfg any, raw string) error {
	c := cfg.(*MacrometaConfig)
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("macrometa URL: cannot parse (want https://api-<region>.paas.macrometa.io)")
	}
	scheme := u.Scheme
	switch scheme {
	case MacrometaKind:
		scheme = "https"
	case "https", "http":
	default:
		return fmt.Errorf("macrometa URL: scheme %q (want https, or macrometa for --target)", u.Scheme)
	}
	switch {
	case u.Host == "":
		return fmt.Errorf("macrometa URL: no host (want https://api-<region>.paas.macrometa.io)")
	case u.User != nil:
		return fmt.Errorf("macrometa URL: user information is not accepted (use api_key_env, api_key_file or jwt_env)")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return fmt.Errorf("macrometa URL: want only scheme and host, as https://api-<region>.paas.macrometa.io")
	}
	host := u.Host
	if h := u.Hostname(); strings.HasSuffix(h, ".macrometa.io") && !strings.HasPrefix(h, "api-") {
		host = "api-" + host
	}
	c.endpoint = scheme + "://" + host
	return nil
}

func validateMacrometa(cfg any, p producer.Config, sc registry.Scope) error {
	c := cfg.(*MacrometaConfig)
	if err := checkConnections(c.Connections, sc); err != nil {
		return err
	}
	n := 0
	for _, s := range []string{c.APIKeyEnv, c.APIKeyFile, c.JWTEnv} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return sc.Errorf("target.api_key_env", "set one of api_key_env, api_key_file and jwt_env")
	case n == 0 && c.endpoint != "":
		return sc.Errorf("target.api_key_env", "a Macrometa target needs credentials: api_key_env, api_key_file or jwt_env")
	case c.Auth != "" && c.Auth != "otp" && c.Auth != "header":
		return sc.Errorf("target.auth", "want otp or header, got %q", c.Auth)
	case strings.ContainsAny(c.Tenant, "/?#% "):
		return sc.Errorf("target.tenant", "must not contain '/', '?', '#', '%%' or spaces")
	case strings.ContainsAny(c.Fabric, "/?#% "):
		return sc.Errorf("target.fabric", "must not contain '/', '?', '#', '%%' or spaces")
	case p.AutoCreateTopics && p.AutoCreatePartitions > 1:
		return sc.Errorf("producer.auto_create_partitions", "target kind macrometa: streams have no partitions, got %d", p.AutoCreatePartitions)
	}
	return checkProducer(MacrometaKind, p, sc)
}

// tenantFromAPIKey is jsC8's extractTenantName: the key without its last
// two dot-separated parts, or "_mm".
func tenantFromAPIKey(key string) string {
	parts := strings.Split(key, ".")
	if len(parts) <= 2 {
		return "_mm"
	}
	if t := strings.Join(parts[:len(parts)-2], "."); t != "" {
		return t
	}
	return "_mm"
}

// tenantFromJWT returns the JWT's "tenant" claim (unverified: the server
// verifies the token).
func tenantFromJWT(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) < 2 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Tenant string `json:"tenant"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	return claims.Tenant
}

// gdn is a GDN REST client for the calls a producer needs.
type gdn struct {
	endpoint string
	auth     string // Authorization header value; "" for the stand-in
	secret   string
	fabric   string
	global   bool
	http     *http.Client
}

// call does one REST request and decodes the JSON answer into out. The
// error names method, path and status and GDN's errorMessage, never the
// credentials.
func (g *gdn) call(ctx context.Context, method, path string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, g.endpoint+path, nil)
	if err != nil {
		return 0, err
	}
	if g.auth != "" {
		req.Header.Set("Authorization", g.auth)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := g.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %s", method, path, redact(err.Error(), g.secret))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		json.Unmarshal(body, &e)
		msg := e.ErrorMessage
		if msg == "" {
			msg = strings.TrimSpace(string(body[:min(len(body), 200)]))
		}
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, redact(msg, g.secret))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: bad JSON answer: %v", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (g *gdn) globalQS() string { return "global=" + strconv.FormatBool(g.global) }

// streams lists the fabric's streams (GET /_fabric/{fabric}/_api/streams,
// as jsC8's getStreams and pyC8's streams): topic names such as
// "c8globals.orders".
func (g *gdn) streams(ctx context.Context) (map[string]bool, error) {
	var out struct {
		Result []struct {
			Name  string `json:"name"`
			Topic string `json:"topic"`
		} `json:"result"`
	}
	if _, err := g.call(ctx, http.MethodGet, "/_fabric/"+url.PathEscape(g.fabric)+"/_api/streams?"+g.globalQS(), &out); err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, s := range out.Result {
		m[s.Name], m[s.Topic] = true, true
	}
	return m, nil
}

// createStream creates a stream (POST
// /_fabric/{fabric}/_api/streams/{name}?global=B, as jsC8's createStream
// and pyC8's create_stream).
func (g *gdn) createStream(ctx context.Context, name string) error {
	code, err := g.call(ctx, http.MethodPost, "/_fabric/"+url.PathEscape(g.fabric)+"/_api/streams/"+url.PathEscape(name)+"?"+g.globalQS(), nil)
	if code == http.StatusConflict {
		return nil // created meanwhile
	}
	return err
}

// otp fetches a one-time password (POST /apid/otp, as jsC8's
// Stream.getOtp).
func (g *gdn) otp(ctx context.Context) (string, error) {
	var out struct {
		OTP string `json:"otp"`
	}
	if _, err := g.call(ctx, http.MethodPost, "/apid/otp", &out); err != nil {
		return "", err
	}
	if out.OTP == "" {
		return "", fmt.Errorf("POST /apid/otp: no otp in the answer")
	}
	return out.OTP, nil
}

// streamName splits a scenario topic into the stream name and its
// topic: "orders" is stream orders, topic c8globals.orders (c8locals.
// for local streams); a name already prefixed is used as is.
func streamName(topic string, local bool) (name, full string) {
	for _, p := range []string{"c8globals.", "c8locals."} {
		if rest, ok := strings.CutPrefix(topic, p); ok {
			return rest, topic
		}
	}
	if local {
		return topic, "c8locals." + topic
	}
	return topic, "c8globals." + topic
}

// MacrometaProducerURL returns the producer WebSocket URL of stream for
// endpoint (https://host or http://host), without query:
// wss://{host}/_ws/ws/v2/producer/persistent/{tenant}/{c8global|c8local}.{fabric}/{c8globals|c8locals}.{stream}.
func MacrometaProducerURL(endpoint, tenant, fabric string, local bool, stream string) string {
	ws := "wss://" + strings.TrimPrefix(endpoint, "https://")
	if strings.HasPrefix(endpoint, "http://") {
		ws = "ws://" + strings.TrimPrefix(endpoint, "http://")
	}
	region := "c8global."
	if local {
		region = "c8local."
	}
	_, full := streamName(stream, local)
	return ws + "/_ws/ws/v2/producer/persistent/" + url.PathEscape(tenant) + "/" + url.PathEscape(region+fabric) + "/" + url.PathEscape(full)
}

func openMacrometa(ctx context.Context, o registry.OpenOptions) (*registry.Opened, error) {
	c := o.Config.(*MacrometaConfig)
	if err := validateMacrometa(c, o.Producer, noScope{}); err != nil {
		return nil, registry.UsageError("%v", err)
	}
	if o.ProduceDelay > 0 {
		return nil, registry.UsageError("--x-produce-delay applies to Kafka's native engine only")
	}
	for _, t := range o.Topics {
		if t.Partitions > 1 {
			return nil, registry.UsageError("topic %s: Macrometa streams have no partitions, got %d", t.Name, t.Partitions)
		}
		if t.Name == "" || strings.ContainsAny(t.Name, "/?#% ") {
			return nil, registry.UsageError("topic %q: a stream name must not contain '/', '?', '#', '%%' or spaces", t.Name)
		}
	}
	g := &gdn{fabric: c.Fabric, global: !c.Local, http: &http.Client{Timeout: o.Producer.RequestTimeout}}
	if g.fabric == "" {
		g.fabric = "_system"
	}
	tenant := c.Tenant
	opened := &registry.Opened{EngineName: EngineName, Caps: registry.Capabilities{Requests: true}}
	g.endpoint = c.endpoint
	if g.endpoint == "" {
		s, err := startStandin(standinOptions{retain: o.Retain})
		if err != nil {
			return nil, err
		}
		g.endpoint = "http://" + strings.TrimPrefix(s.Addr(), "ws://")
		opened.StandIn = true
		opened.Target = "embedded macrometa stand-in " + g.endpoint
		opened.Release = func() { s.Close() }
		if tenant == "" {
			tenant = "_mm"
		}
		if o.Retain {
			// Only the embedded stand-in gives back what it got; a real
			// Macrometa has no read back here (verify not supported).
			opened.ReadBack = s.readBack(func(topic string) string {
				return MacrometaProducerURL(g.endpoint, tenant, g.fabric, c.Local, topic)
			})
		}
	} else {
		opened.Target = "macrometa " + g.endpoint
		if c.JWTEnv != "" {
			jwt, err := secret.Read(secret.Source{Field: "target.jwt", Env: c.JWTEnv, TrimSpace: true})
			if err != nil {
				return nil, registry.UsageError("%v", err)
			}
			g.auth, g.secret = "bearer "+jwt, jwt
			if tenant == "" {
				tenant = tenantFromJWT(jwt)
			}
			if tenant == "" {
				return nil, registry.UsageError("target.tenant: the JWT has no tenant claim; set tenant")
			}
		} else {
			key, err := secret.Read(secret.Source{Field: "target.api_key", Env: c.APIKeyEnv, File: c.APIKeyFile, TrimSpace: true})
			if err != nil {
				return nil, registry.UsageError("%v", err)
			}
			g.auth, g.secret = "apikey "+key, key
			if tenant == "" {
				tenant = tenantFromAPIKey(key)
			}
		}
	}
	fail := func(err error) (*registry.Opened, error) {
		if opened.Release != nil {
			opened.Release()
		}
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, o.Producer.RequestTimeout)
	defer cancel()
	have, err := g.streams(rctx)
	if err != nil {
		return fail(fmt.Errorf("macrometa: %w", err))
	}
	var created, topics []string
	for _, t := range o.Topics {
		name, full := streamName(t.Name, c.Local)
		topics = append(topics, t.Name)
		if have[full] {
			continue
		}
		if !o.Producer.AutoCreateTopics && !opened.StandIn {
			return fail(registry.UsageError("macrometa: stream %s does not exist in fabric %s (create it, or set producer.auto_create_topics: true)", full, g.fabric))
		}
		if err := g.createStream(rctx, name); err != nil {
			return fail(fmt.Errorf("macrometa: create stream %s: %w", full, err))
		}
		created = append(created, full)
		have[full] = true
	}
	sort.Strings(created)
	useOTP := c.Auth != "header"
	var header http.Header
	if !useOTP && g.auth != "" {
		header = http.Header{"Authorization": {g.auth}}
	}
	dial := func(ctx context.Context, topic string, idx int) (*websocket.Conn, error) {
		shown := MacrometaProducerURL(g.endpoint, tenant, g.fabric, c.Local, topic)
		name := ""
		if c.ProducerName != "" {
			name = c.ProducerName + "-" + strconv.Itoa(idx)
		}
		q := QueryParams(o.Producer, name)
		otp := ""
		if useOTP {
			octx, cancel := context.WithTimeout(ctx, o.Producer.RequestTimeout)
			var err error
			otp, err = g.otp(octx)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("macrometa: %w", err)
			}
			q += "&otp=" + url.QueryEscape(otp)
		}
		return wsDial(ctx, shown+"?"+q, shown, header, o.Producer.RequestTimeout, nil, otp, g.secret)
	}
	cl, err := newClient(ctx, clientOptions{Dial: dial, Producer: o.Producer, Connections: c.Connections, Topics: topics})
	if err != nil {
		return fail(fmt.Errorf("macrometa: %w", err))
	}
	opened.Engine = cl
	opened.InFlight = cl.InFlight
	opened.Info = map[string]any{"endpoint": g.endpoint, "tenant": tenant, "fabric": g.fabric, "local": c.Local,
		"auth": map[bool]string{true: "otp", false: "header"}[useOTP], "streams_created": created,
		"connections_per_stream": max(1, c.Connections), "query": QueryParams(o.Producer, "")}
	return opened, nil
}
