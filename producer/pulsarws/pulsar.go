package pulsarws

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/secret"
	"github.com/prodbench/prodbench/producer/registry"
)

// Kind is the target kind of Pulsar's WebSocket API ("ws://" and
// "wss://" URLs).
const Kind = "pulsar-ws"

// EngineName is the name of the one engine both systems of this package
// offer: prodbench's WebSocket producer client.
const EngineName = "pulsar-ws"

// DefaultListen is where `prodbench broker --kind pulsar-ws` (and
// --kind macrometa) listens by default: Pulsar's web service port on
// loopback.
const DefaultListen = "127.0.0.1:8080"

// PulsarConfig is the scenario's `target:` block for kind pulsar-ws:
//
//	target:
//	  kind: pulsar-ws
//	  url: ws://localhost:8080        # the WebSocket service; wss:// for TLS; a path prefix is kept
//	  tenant: public                  # default public
//	  namespace: default              # default default
//	  connections: 4                  # producer connections per topic, default 1
//	  producer_name: bench            # producerName (suffixed -0, -1, ... per connection)
//	  token_env: PULSAR_TOKEN         # or token_file: a JWT sent as "Authorization: Bearer ..."
//
// Without url the target is the embedded stand-in. A scenario topic
// "orders" is persistent://{tenant}/{namespace}/orders; a full name
// (persistent://t/n/x or non-persistent://t/n/x) is used as written.
type PulsarConfig struct {
	// Tenant is the Pulsar tenant of short topic names. Default "public".
	Tenant string `yaml:"tenant,omitempty" json:"tenant,omitempty"`
	// Namespace is the namespace of short topic names. Default "default".
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	// Connections is the number of producer connections per topic, 1 to
	// 256; 0 means the default, 1.
	Connections int `yaml:"connections,omitempty" json:"connections,omitempty"`
	// ProducerName is sent as producerName, suffixed "-N" for connection
	// N (Pulsar requires unique producer names on a topic). Default none
	// (the service names its producers).
	ProducerName string `yaml:"producer_name,omitempty" json:"producer_name,omitempty"`
	// TokenEnv names an environment variable holding a token (JWT) sent
	// as "Authorization: Bearer <token>" on the upgrade request.
	TokenEnv string `yaml:"token_env,omitempty" json:"token_env,omitempty"`
	// TokenFile is a file holding the token (surrounding white space
	// trimmed), instead of TokenEnv.
	TokenFile string `yaml:"token_file,omitempty" json:"token_file,omitempty"`

	service string // from the url: ws[s]://host[:port][/prefix]
}

func init() {
	registry.Register(registry.System{
		Kind:      Kind,
		Schemes:   []string{"ws", "wss"},
		Summary:   "Pulsar's WebSocket producer API (embedded stand-in unless a ws:// or wss:// URL is given)",
		Engines:   []string{EngineName},
		NewConfig: func() any { return &PulsarConfig{} },
		Validate:  validatePulsar,
		ApplyURL:  applyPulsarURL,
		Open:      openPulsar,
		Serve:     func(ctx context.Context, o registry.ServeOptions) (registry.Server, error) { return serve(o, false) },
	})
}

func applyPulsarURL(cfg any, raw string) error {
	c := cfg.(*PulsarConfig)
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("pulsar-ws URL: cannot parse (want ws://host:port or wss://host:port)")
	}
	switch {
	case u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("pulsar-ws URL: scheme %q (want ws or wss)", u.Scheme)
	case u.Host == "":
		return fmt.Errorf("pulsar-ws URL: no host (want ws://host:port)")
	case u.User != nil:
		return fmt.Errorf("pulsar-ws URL: user information is not accepted (use token_env or token_file)")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("pulsar-ws URL: no query or fragment (query parameters are built from the producer options)")
	}
	c.service = u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/")
	return nil
}

func validatePulsar(cfg any, p producer.Config, sc registry.Scope) error {
	c := cfg.(*PulsarConfig)
	if err := checkConnections(c.Connections, sc); err != nil {
		return err
	}
	if c.TokenEnv != "" && c.TokenFile != "" {
		return sc.Errorf("target.token_file", "set token_env or token_file, not both")
	}
	for _, f := range []struct{ field, v string }{{"tenant", c.Tenant}, {"namespace", c.Namespace}} {
		if strings.ContainsAny(f.v, "/?#% ") {
			return sc.Errorf("target."+f.field, "must not contain '/', '?', '#', '%%' or spaces, got %q", f.v)
		}
	}
	if p.AutoCreateTopics {
		return sc.Errorf("producer.auto_create_topics", "target kind pulsar-ws: topics are created by the broker (allowAutoTopicCreation), not through the WebSocket API")
	}
	return checkProducer(Kind, p, sc)
}

func checkConnections(n int, sc registry.Scope) error {
	if n < 0 || n > 256 {
		return sc.Errorf("target.connections", "must be between 1 and 256, got %d", n)
	}
	return nil
}

// pulsarTopicPath returns topic's path below /ws/v2/producer/:
// persistent/{tenant}/{namespace}/{topic}.
func pulsarTopicPath(topic, tenant, ns string) (string, error) {
	for _, dom := range []string{"persistent", "non-persistent"} {
		if rest, ok := strings.CutPrefix(topic, dom+"://"); ok {
			parts := strings.Split(rest, "/")
			if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
				return "", fmt.Errorf("topic %q: want %s://tenant/namespace/topic", topic, dom)
			}
			for i := range parts {
				parts[i] = url.PathEscape(parts[i])
			}
			return dom + "/" + strings.Join(parts, "/"), nil
		}
	}
	if topic == "" || strings.Contains(topic, "/") || strings.Contains(topic, "://") {
		return "", fmt.Errorf("topic %q: want a short name or persistent://tenant/namespace/topic", topic)
	}
	return "persistent/" + url.PathEscape(tenant) + "/" + url.PathEscape(ns) + "/" + url.PathEscape(topic), nil
}

// wsDial opens a WebSocket to rawURL (whose query may hold a one-time
// password) with header, within timeout. Errors name shown (the URL
// without its query) and never a secret in secrets; a refused handshake
// (HTTP 4xx) is permanent.
func wsDial(ctx context.Context, rawURL, shown string, header http.Header, timeout time.Duration, client *http.Client, secrets ...string) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, rawURL, &websocket.DialOptions{HTTPHeader: header, HTTPClient: client, CompressionMode: websocket.CompressionDisabled})
	if err == nil {
		return ws, nil
	}
	msg := err.Error()
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		body := ""
		if resp.Body != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			body = strings.TrimSpace(string(b))
		}
		msg = "HTTP " + strconv.Itoa(resp.StatusCode)
		if body != "" {
			msg += ": " + body
		}
	}
	msg = redact(msg, append(secrets, rawURL)...)
	e := fmt.Errorf("connect to %s: %s", shown, msg)
	if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 {
		return nil, &permanentError{e}
	}
	return nil, e
}

// redact replaces each non-empty secret in s by "[redacted]".
func redact(s string, secrets ...string) string {
	for _, x := range secrets {
		if x != "" {
			s = strings.ReplaceAll(s, x, "[redacted]")
		}
	}
	return s
}

func openPulsar(ctx context.Context, o registry.OpenOptions) (*registry.Opened, error) {
	c := o.Config.(*PulsarConfig)
	if err := validatePulsar(c, o.Producer, noScope{}); err != nil {
		return nil, registry.UsageError("%v", err)
	}
	if o.ProduceDelay > 0 {
		return nil, registry.UsageError("--x-produce-delay applies to Kafka's native engine only")
	}
	token, err := secret.Read(secret.Source{Field: "target.token", Env: c.TokenEnv, File: c.TokenFile, TrimSpace: true})
	if err != nil {
		return nil, registry.UsageError("%v", err)
	}
	tenant, ns := c.Tenant, c.Namespace
	if tenant == "" {
		tenant = "public"
	}
	if ns == "" {
		ns = "default"
	}
	topics := make([]string, 0, len(o.Topics))
	paths := map[string]string{}
	for _, t := range o.Topics {
		p, err := pulsarTopicPath(t.Name, tenant, ns)
		if err != nil {
			return nil, registry.UsageError("%v", err)
		}
		paths[t.Name] = p
		topics = append(topics, t.Name)
	}
	opened := &registry.Opened{EngineName: EngineName, Caps: registry.Capabilities{Requests: true}}
	service := c.service
	if service == "" {
		s, err := startStandin(standinOptions{retain: o.Retain})
		if err != nil {
			return nil, err
		}
		service = s.Addr()
		opened.StandIn = true
		opened.Target = "embedded pulsar-ws stand-in " + service
		opened.Reach = service
		opened.Release = func() { s.Close() }
		if o.Retain {
			// Only the embedded stand-in gives back what it got; a real
			// Pulsar has no read back here (verify not supported).
			opened.ReadBack = s.readBack(func(topic string) string {
				p, err := pulsarTopicPath(topic, tenant, ns)
				if err != nil {
					return ""
				}
				return "/ws/v2/producer/" + p
			})
		}
	} else {
		opened.Target = "pulsar-ws " + service
	}
	var header http.Header
	if token != "" {
		header = http.Header{"Authorization": {"Bearer " + token}}
	}
	dial := func(ctx context.Context, topic string, idx int) (*websocket.Conn, error) {
		p, ok := paths[topic]
		if !ok {
			var err error
			if p, err = pulsarTopicPath(topic, tenant, ns); err != nil {
				return nil, &permanentError{err}
			}
		}
		name := ""
		if c.ProducerName != "" {
			name = c.ProducerName + "-" + strconv.Itoa(idx)
		}
		shown := service + "/ws/v2/producer/" + p
		return wsDial(ctx, shown+"?"+QueryParams(o.Producer, name), shown, header, o.Producer.RequestTimeout, nil, token)
	}
	cl, err := newClient(ctx, clientOptions{Dial: dial, Producer: o.Producer, Connections: c.Connections, Topics: topics})
	if err != nil {
		if opened.Release != nil {
			opened.Release()
		}
		return nil, fmt.Errorf("pulsar-ws: %w", err)
	}
	opened.Engine = cl
	opened.InFlight = cl.InFlight
	opened.Info = map[string]any{"service": service, "tenant": tenant, "namespace": ns,
		"connections_per_topic": max(1, c.Connections), "query": QueryParams(o.Producer, "")}
	return opened, nil
}

// server is a stand-in run by Serve.
type server struct {
	s    *standin
	addr string
}

func (v *server) Addr() string { return v.addr }
func (v *server) Close() error { return v.s.Close() }

// serve starts the stand-in alone for `prodbench broker`.
func serve(o registry.ServeOptions, macrometa bool) (registry.Server, error) {
	so := standinOptions{listen: o.Listen, retain: o.Retain}
	if so.listen == "" {
		so.listen = DefaultListen
	}
	for _, f := range o.Faults {
		if err := parseFault(&so.faults, f); err != nil {
			return nil, registry.UsageError("%v", err)
		}
	}
	s, err := startStandin(so)
	if err != nil {
		return nil, err
	}
	addr := s.Addr()
	if macrometa {
		addr = "http://" + strings.TrimPrefix(addr, "ws://")
		for _, t := range o.Topics {
			s.streams["_system/c8globals."+t] = true
		}
	}
	fmt.Fprintf(o.Log, "%s stand-in (not %s: latency here says nothing about it) listening on %s\n",
		map[bool]string{false: Kind, true: MacrometaKind}[macrometa],
		map[bool]string{false: "Pulsar", true: "Macrometa"}[macrometa], addr)
	return &server{s: s, addr: addr}, nil
}
