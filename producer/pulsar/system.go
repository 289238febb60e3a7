package pulsar

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/internal/secret"
	"github.com/prodbench/prodbench/producer/pulsar/standin"
	"github.com/prodbench/prodbench/producer/registry"
)

// Kind is the target kind of Pulsar's binary protocol.
const Kind = "pulsar"

// URL schemes of Pulsar service URLs.
const (
	SchemePulsar    = "pulsar"
	SchemePulsarSSL = "pulsar+ssl"
)

// EngineName is the one engine: pulsar-client-go's producer.
const EngineName = "pulsar-client-go"

// DefaultListen is where `prodbench broker --kind pulsar` listens by
// default: Pulsar's binary-protocol port on loopback.
const DefaultListen = "127.0.0.1:6650"

// StandInNote is what reports and logs say about the embedded stand-in.
const StandInNote = "the Pulsar target is prodbench's in-process stand-in of the broker's producer path, not Pulsar: latency against it says nothing about Pulsar"

func init() {
	registry.Register(registry.System{
		Kind:      Kind,
		Schemes:   []string{SchemePulsar, SchemePulsarSSL},
		Summary:   "Apache Pulsar's binary protocol through pulsar-client-go; in-process stand-in (not Pulsar) by default",
		Engines:   []string{EngineName},
		NewConfig: func() any { return &Target{} },
		Validate:  validate,
		ApplyURL:  applyURL,
		Describe:  func(c any) string { return describe(c.(*Target)) },
		Open:      open,
		Serve:     serve,
	})
}

func validate(c any, p producer.Config, sc registry.Scope) error {
	t := c.(*Target)
	if field, err := checkTarget(t); err != nil {
		return sc.Errorf(field, "%v", err)
	}
	if err := checkProducerConfig(p, sc.Has); err != nil {
		field, _, _ := strings.Cut(err.Error(), ":")
		return sc.Errorf("producer."+field, "target kind pulsar: %v", err)
	}
	return nil
}

func applyURL(c any, raw string) error {
	u, err := ParseURL(raw)
	if err != nil {
		return err
	}
	c.(*Target).URL = u
	return nil
}

// resolve reads the target's secrets into Options.
func resolve(t *Target) (Options, error) {
	o := Options{
		URL:                 t.URL,
		TLSTrustCertsFile:   t.TLSTrustCertsFile,
		TLSCertFile:         t.TLSCertFile,
		TLSKeyFile:          t.TLSKeyFile,
		TLSAllowInsecure:    t.TLSAllowInsecure,
		TLSValidateHostname: t.TLSValidateHostname,
		RoutingMode:         t.RoutingMode,
		HashingScheme:       t.HashingScheme,
		ProducerName:        t.ProducerName,
		ConnectionTimeout:   time.Duration(t.ConnectionTimeout),
	}
	tok, err := secret.Read(secret.Source{Field: "target.token", Env: t.TokenEnv, File: t.TokenFile, TrimSpace: true})
	if err != nil {
		return o, registry.UsageError("%v", err)
	}
	o.Token = tok
	return o, nil
}

func open(ctx context.Context, oo registry.OpenOptions) (*registry.Opened, error) {
	t := oo.Config.(*Target)
	if field, err := checkTarget(t); err != nil {
		return nil, registry.UsageError("%s: %v", field, err)
	}
	if err := checkProducerConfig(oo.Producer, nil); err != nil {
		return nil, registry.UsageError("target kind pulsar: %v", err)
	}
	if oo.Engine != "" && oo.Engine != EngineName {
		return nil, registry.UsageError("target kind pulsar has one engine, %s; got %q", EngineName, oo.Engine)
	}
	o, err := resolve(t)
	if err != nil {
		return nil, err
	}
	o.seed = uint64(oo.Seed)
	var srv *standin.Server
	var reach string // Opened.Reach: the stand-in's URL
	where := "pulsar " + redact(o.URL)
	if o.URL == "" {
		topics := map[string]int{}
		for _, tp := range oo.Topics {
			topics[tp.Name] = tp.Partitions
		}
		srv, err = standin.Start(standin.Options{Topics: topics, Retain: oo.Retain, ReceiptDelay: oo.ProduceDelay})
		if err != nil {
			return nil, err
		}
		o.URL = srv.URL()
		reach = o.URL
		where = "embedded pulsar stand-in " + trimScheme(o.URL)
		fmt.Fprintln(oo.Log, "warning: "+StandInNote)
	} else if oo.ProduceDelay > 0 {
		return nil, registry.UsageError("--x-produce-delay applies to the embedded pulsar stand-in only")
	}
	names := make([]string, 0, len(oo.Topics))
	for _, tp := range oo.Topics {
		names = append(names, tp.Name)
	}
	e, err := New(ctx, o, oo.Producer, names)
	if err != nil {
		if srv != nil {
			srv.Close()
		}
		return nil, err
	}
	release := func() {
		if srv != nil {
			srv.Close()
		}
	}
	info := map[string]any{"service_url": redact(o.URL), "client": "pulsar-client-go " + ClientVersion}
	parts := map[string]uint32{}
	for _, n := range names {
		if tp, err := e.producerFor(ctx, n); err == nil {
			parts[n] = tp.parts()
		}
	}
	info["partitions"] = parts
	if srv != nil {
		info["stand_in"] = StandInNote
	}
	opened := &registry.Opened{
		Engine:     e,
		EngineName: EngineName,
		Target:     where,
		Reach:      reach,
		StandIn:    srv != nil,
		Caps:       registry.Capabilities{Batches: true},
		Release:    release,
		Info:       info,
	}
	if srv != nil && oo.Retain {
		// Only the embedded stand-in can give back what it got; a real
		// Pulsar has no read back here (verify not supported).
		opened.ReadBack = readBack(srv)
	}
	return opened, nil
}

// ClientVersion is the pulsar-client-go version prodbench is built with.
const ClientVersion = "v0.19.0"

// standinServer adapts the stand-in to registry.Server.
type standinServer struct{ *standin.Server }

func serve(_ context.Context, o registry.ServeOptions) (registry.Server, error) {
	if len(o.Faults) > 0 {
		return nil, registry.UsageError("the pulsar stand-in takes no faults")
	}
	listen := o.Listen
	if listen == "" {
		listen = DefaultListen
	}
	topics := map[string]int{}
	for _, t := range o.Topics {
		topics[t] = o.Partitions
	}
	s, err := standin.Start(standin.Options{Listen: listen, Topics: topics, DefaultPartitions: o.Partitions, Retain: o.Retain})
	if err != nil {
		return nil, err
	}
	logTo(o.Log, "pulsar stand-in listening on %s (%s)", s.URL(), StandInNote)
	return standinServer{s}, nil
}

func logTo(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
