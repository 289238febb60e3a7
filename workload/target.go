package workload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// DefaultTargetKind is the target system of a scenario without a target
// block: Kafka, on an embedded broker.
const DefaultTargetKind = "kafka"

// Target is where a scenario's messages go. Its kind names a target
// system registered in producer/registry; every other field of the block
// belongs to that system, which decodes and validates it:
//
//	target: {kind: kafka}                                     # embedded broker
//	target: {kind: kafka, brokers: ["10.0.0.1:9092", "10.0.0.2:9092"]}
//	target: {kind: nats, url: "nats://h1:4222"}
//	target:
//	  kind: sim
//	  sim: {brokers: 3, latency: {median: 1ms, p99: 5ms}}
//
// Workload names no system: an unknown kind is an error listing the
// registered ones.
type Target struct {
	// Kind is the registered system's kind; "" means DefaultTargetKind.
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// URL, when set, is the target's address in the system's URL form
	// (kafka://h1:9092,h2:9092, nats://h:4222, ...), applied to Config by
	// the system as --target is. Optional.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Config is the system's own block: a pointer of the type its
	// registry.System.NewConfig returns, holding every field of the block
	// besides kind and url. Never nil after Parse.
	Config any `yaml:"-" json:"-"`
}

// TargetSystem returns the scenario's target system and its block (the
// system's defaults for a scenario without a target block). The error
// names an unregistered kind.
func (s *Scenario) TargetSystem() (*registry.System, any, error) {
	kind, var_ := DefaultTargetKind, any(nil)
	if s.Target != nil {
		if s.Target.Kind != "" {
			kind = s.Target.Kind
		}
		var_ = s.Target.Config
	}
	sys, ok := registry.Lookup(kind)
	if !ok {
		return nil, nil, fmt.Errorf("unknown target kind %s (registered: %v)", quote(kind), registry.Kinds())
	}
	if var_ == nil {
		var_ = sys.NewConfig()
	}
	return sys, var_, nil
}

// SetTargetURL makes rawURL (--target) the scenario's target: the system
// is chosen by the URL's scheme, and the URL applied to the scenario's
// block when that block is of the same system, else to a new one.
func (s *Scenario) SetTargetURL(rawURL string) error {
	sys, err := registry.ForURL(rawURL)
	if err != nil {
		return err
	}
	var cfg any
	if s.Target != nil && s.Target.Kind == sys.Kind && s.Target.Config != nil {
		cfg = s.Target.Config
	} else {
		cfg = sys.NewConfig()
	}
	if sys.ApplyURL == nil {
		return fmt.Errorf("target kind %s takes no URL", sys.Kind)
	}
	if err := sys.ApplyURL(cfg, rawURL); err != nil {
		return err
	}
	s.Target = &Target{Kind: sys.Kind, URL: rawURL, Config: cfg}
	if s.Engine != "" && !sys.HasEngine(s.Engine) {
		s.Engine = sys.DefaultEngine()
	}
	return nil
}

// decodeNode decodes the target block: kind and url here, every other
// field into the system's own block, strictly, with lines recorded.
func (t *Target) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a mapping, got %s", describe(n))
	}
	rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		k, err := d.deref(key, path)
		if err != nil {
			return err
		}
		if k.Kind == yaml.ScalarNode && (k.Value == "kind" || k.Value == "url") {
			fpath := joinPath(path, k.Value)
			if err := d.once(seen, key, k.Value, fpath); err != nil {
				return err
			}
			d.lines[fpath] = lineOf(key, val)
			dst := &t.Kind
			if k.Value == "url" {
				dst = &t.URL
			}
			if err := d.decode(val, reflect.ValueOf(dst).Elem(), fpath); err != nil {
				return err
			}
			continue
		}
		rest.Content = append(rest.Content, key, val)
	}
	kind := t.Kind
	if kind == "" {
		kind = DefaultTargetKind
	}
	sys, ok := registry.Lookup(kind)
	if !ok {
		at := n
		if l, ok := seen["kind"]; ok {
			at = &yaml.Node{Line: l}
		}
		known := registry.Kinds()
		return d.errf(at, joinPath(path, "kind"), "unknown kind %s (%s)", quote(kind), suggest(kind, known))
	}
	cfg := sys.NewConfig()
	if err := d.decode(rest, reflect.ValueOf(cfg).Elem(), path); err != nil {
		return err
	}
	t.Config = cfg
	return nil
}

// MarshalJSON writes the block flat: kind, url and the system's fields.
func (t Target) MarshalJSON() ([]byte, error) {
	type head struct {
		Kind string `json:"kind,omitempty"`
		URL  string `json:"url,omitempty"`
	}
	h, err := json.Marshal(head{t.Kind, t.URL})
	if err != nil {
		return nil, err
	}
	if t.Config == nil {
		return h, nil
	}
	c, err := json.Marshal(t.Config)
	if err != nil {
		return nil, err
	}
	c = bytes.TrimSpace(c)
	if len(c) < 2 || c[0] != '{' || string(c) == "{}" {
		return h, nil
	}
	if string(h) == "{}" {
		return c, nil
	}
	out := append(h[:len(h)-1:len(h)-1], ',')
	return append(out, c[1:]...), nil
}

// UnmarshalJSON reads what MarshalJSON writes, with the strict decoder's
// rules (JSON is YAML).
func (t *Target) UnmarshalJSON(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return fmt.Errorf("target: invalid JSON")
	}
	return t.decodeNode(&decoder{lines: map[string]int{}}, doc.Content[0], "target")
}

// scope is the registry.Scope a system's validator sees.
type scope struct{ s *Scenario }

func (sc scope) Has(field string) bool { return sc.s.has(field) }
func (sc scope) Errorf(field, format string, args ...any) error {
	return sc.s.errorf(field, format, args...)
}

// validateTarget checks the target block through its system, and the
// engine against the system's engines.
func (s *Scenario) validateTarget() *Error {
	if s.Target != nil && s.Target.URL != "" && s.Target.Config == nil {
		return s.errorf("target.url", "target block not decoded")
	}
	sys, cfg, err := s.TargetSystem()
	if err != nil {
		return s.errorf("target.kind", "%v", err)
	}
	if s.Target != nil && s.Target.URL != "" {
		if sys.ApplyURL == nil {
			return s.errorf("target.url", "target kind %s takes no url", sys.Kind)
		}
		if err := sys.ApplyURL(cfg, s.Target.URL); err != nil {
			return s.errorf("target.url", "%v", err)
		}
	}
	if s.Engine != "" && !sys.HasEngine(s.Engine) {
		return s.errorf("engine", "target kind %s has no engine %s (want one of %v)", sys.Kind, quote(s.Engine), sys.Engines)
	}
	if sys.Validate == nil {
		return nil
	}
	pc, perr := s.ProducerConfig()
	if perr != nil {
		pc = producer.DefaultConfig()
	}
	if err := sys.Validate(cfg, pc, scope{s}); err != nil {
		var we *Error
		if e, ok := err.(*Error); ok {
			we = e
		} else {
			we = s.errorf("target", "%v", err)
		}
		return we
	}
	return nil
}

// engineNames returns the engines of the scenario's system, for errors.
func (s *Scenario) engineNames() []string {
	sys, _, err := s.TargetSystem()
	if err != nil {
		return nil
	}
	return slices.Clone(sys.Engines)
}
