package nats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/secret"
	"github.com/prodbench/prodbench/producer/registry"
)

// Kind is the target kind of NATS JetStream.
const Kind = "nats"

// EngineName is the name of the engine in reports.
const EngineName = "nats.go"

func init() {
	registry.Register(registry.System{
		Kind:      Kind,
		Schemes:   []string{"nats", "tls"},
		Summary:   "NATS JetStream (Memphis's stations as streams) through nats.go; embedded nats-server without a url",
		Engines:   []string{EngineName},
		NewConfig: func() any { return &Config{} },
		Validate:  validate,
		ApplyURL:  applyURL,
		Open:      open,
		Serve:     serve,
	})
}

// connectOptions builds nats.go options from the target block: name,
// reconnects, auth, TLS. Secrets are read here and never printed.
func connectOptions(tc *Config, e *engineHooks) ([]natsgo.Option, error) {
	timeout := tc.ConnectTimeout.D()
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	opts := []natsgo.Option{
		natsgo.Name("prodbench"),
		natsgo.Timeout(timeout),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(100 * time.Millisecond),
		natsgo.ReconnectBufSize(64 << 20),
		natsgo.NoEcho(),
	}
	if e != nil {
		opts = append(opts,
			natsgo.DisconnectErrHandler(func(*natsgo.Conn, error) { e.disconnect() }),
			natsgo.ErrorHandler(func(_ *natsgo.Conn, _ *natsgo.Subscription, err error) {
				if errors.Is(err, natsgo.ErrSlowConsumer) {
					e.slowConsumer()
				}
			}))
	}
	a := &tc.Auth
	switch {
	case a.User != "":
		pw, err := secret.Read(secret.Source{Field: "target.auth.password", Value: a.Password, Env: a.PasswordEnv, File: a.PasswordFile})
		if err != nil {
			return nil, registry.UsageError("nats: %v", err)
		}
		opts = append(opts, natsgo.UserInfo(a.User, pw))
	case a.Token != "" || a.TokenEnv != "" || a.TokenFile != "":
		tok, err := secret.Read(secret.Source{Field: "target.auth.token", Value: a.Token, Env: a.TokenEnv, File: a.TokenFile})
		if err != nil {
			return nil, registry.UsageError("nats: %v", err)
		}
		opts = append(opts, natsgo.Token(tok))
	case a.NKeySeedFile != "":
		o, err := natsgo.NkeyOptionFromSeed(a.NKeySeedFile)
		if err != nil {
			// nats.go's error names the file, not the seed.
			return nil, registry.UsageError("nats: target.auth.nkey_seed_file: %v", err)
		}
		opts = append(opts, o)
	case a.CredsFile != "":
		opts = append(opts, natsgo.UserCredentials(a.CredsFile))
	}
	if tc.TLS.CAFile != "" {
		opts = append(opts, natsgo.RootCAs(tc.TLS.CAFile))
	}
	if tc.TLS.CertFile != "" {
		opts = append(opts, natsgo.ClientCert(tc.TLS.CertFile, tc.TLS.KeyFile))
	}
	if tc.TLS.enabled() {
		opts = append(opts, natsgo.Secure())
	}
	return opts, nil
}

// engineHooks forwards connection events to the engine made after the
// connection.
type engineHooks struct{ e *engine }

func (h *engineHooks) disconnect() {
	if h.e != nil {
		h.e.onDisconnect()
	}
}

func (h *engineHooks) slowConsumer() {
	if h.e != nil {
		h.e.slow.Store(true)
	}
}

// open opens the nats engine (registry.System.Open): it starts the
// embedded server when there is no url, connects, creates or looks up the
// declared topics' streams and returns the engine.
func open(ctx context.Context, o registry.OpenOptions) (*registry.Opened, error) {
	tc, ok := o.Config.(*Config)
	if !ok || tc == nil {
		return nil, fmt.Errorf("nats: Open: config is %T, want *nats.Config", o.Config)
	}
	if err := validate(tc, o.Producer, codeScope{}); err != nil {
		return nil, registry.UsageError("%v", err)
	}
	if o.ProduceDelay > 0 {
		return nil, registry.UsageError("nats: --x-produce-delay is not supported by target kind nats")
	}
	_, opened, err := openEngine(ctx, tc, o.Producer, o.Topics, o.Log)
	return opened, err
}

// openEngine is open without the registry types' checks, for tests.
func openEngine(ctx context.Context, tc *Config, pc producer.Config, topics []registry.Topic, log io.Writer) (*engine, *registry.Opened, error) {
	if log == nil {
		log = io.Discard
	}
	var emb *Embedded
	url := tc.URL
	target := "nats " + redact(tc.URL)
	var reach string // Opened.Reach: the embedded server's URL
	if url == "" {
		var err error
		emb, err = StartEmbedded(EmbeddedOptions{StoreDir: tc.StoreDir})
		if err != nil {
			return nil, nil, err
		}
		url = emb.URL()
		target = "embedded nats " + emb.Addr()
		reach = url
	}
	cleanup := func() {
		if emb != nil {
			_ = emb.Close()
		}
	}
	hooks := &engineHooks{}
	opts, err := connectOptions(tc, hooks)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	nc, err := natsgo.Connect(url, opts...)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("nats: connect to %s: %w", redact(url), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		cleanup()
		return nil, nil, fmt.Errorf("nats: %w", err)
	}
	parts := pc.AutoCreatePartitions
	if parts < 1 {
		parts = 1
	}
	tm := &topicMaker{js: js, tc: tc, create: pc.AutoCreateTopics, parts: parts, log: log}
	e, err := newEngine(nc, js, tc, pc, tm)
	if err != nil {
		nc.Close()
		cleanup()
		return nil, nil, fmt.Errorf("nats: %w", err)
	}
	hooks.e = e
	info := map[string]any{"server_url": redact(nc.ConnectedUrlRedacted()), "server_id": nc.ConnectedServerId(),
		"server_version": nc.ConnectedServerVersion()}
	streams := map[string]any{}
	for _, t := range topics {
		// The embedded server starts empty: its declared stations are
		// created whatever auto_create_topics says.
		st, err := tm.ensure(ctx, t.Name, t.Partitions, t.ReplicationFactor, emb != nil || pc.AutoCreateTopics)
		if err != nil {
			_ = e.Close(context.Background())
			cleanup()
			return nil, nil, fmt.Errorf("nats: topic %s: %w", t.Name, err)
		}
		e.addStation(st)
		streams[t.Name] = map[string]any{"stream": st.stream, "subjects": st.subjects}
	}
	info["streams"] = streams
	return e, &registry.Opened{
		Engine:     e,
		EngineName: EngineName,
		Target:     target,
		Reach:      reach,
		Caps:       registry.Capabilities{Requests: true},
		InFlight:   e.InFlight,
		Release:    cleanup,
		Info:       info,
		ReadBack:   readBackFunc(e, url, tc),
	}, nil
}

// codeScope is a registry.Scope for configurations built in code.
type codeScope struct{}

func (codeScope) Has(string) bool { return false }
func (codeScope) Errorf(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
}

// serve runs the embedded server alone (`prodbench broker --kind nats`):
// JetStream on, file store in a temporary directory, streams created for
// the given topics with the given partitions.
func serve(ctx context.Context, o registry.ServeOptions) (registry.Server, error) {
	if len(o.Faults) > 0 {
		return nil, registry.UsageError("nats: the embedded server takes no --fault (got %s)", strings.Join(o.Faults, ", "))
	}
	listen := o.Listen
	if listen == "" {
		listen = DefaultListen
	}
	emb, err := StartEmbedded(EmbeddedOptions{Listen: listen})
	if err != nil {
		return nil, err
	}
	if len(o.Topics) > 0 {
		nc, err := natsgo.Connect(emb.URL(), natsgo.Name("prodbench-broker"))
		if err != nil {
			_ = emb.Close()
			return nil, fmt.Errorf("nats: %w", err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			_ = emb.Close()
			return nil, fmt.Errorf("nats: %w", err)
		}
		tm := &topicMaker{js: js, tc: &Config{}, log: o.Log}
		for _, t := range o.Topics {
			if _, err := tm.ensure(ctx, t, max(o.Partitions, 1), 1, true); err != nil {
				_ = emb.Close()
				return nil, fmt.Errorf("nats: topic %s: %w", t, err)
			}
		}
	}
	if o.Log != nil {
		fmt.Fprintf(o.Log, "nats-server (JetStream, file store in %s) listening on %s\n", emb.StoreDir(), emb.URL())
	}
	return &served{emb}, nil
}

type served struct{ e *Embedded }

func (s *served) Addr() string { return s.e.URL() }
func (s *served) Close() error { return s.e.Close() }
