package workload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/prodbench/prodbench/producer/registry"
)

// Sweep modes (Sweep.Mode).
const (
	// SweepProduct runs every combination of the parameters' values (the
	// first parameter varies slowest). The default.
	SweepProduct = "product"
	// SweepZip runs the i-th value of every parameter together; all
	// parameters need the same number of values.
	SweepZip = "zip"
)

// MaxSweepPoints is the largest number of points a sweep may expand to.
const MaxSweepPoints = 10_000

// maxSweepWork bounds points × the scenario's YAML nodes: expanding a
// sweep copies the scenario once per point.
const maxSweepWork = 5_000_000

// Sweep runs a scenario once per combination of parameter values:
//
//	sweep:
//	  mode: product              # or zip
//	  params:
//	    producer.linger: [0ms, 1ms, 5ms]
//	    producer.max_batch_bytes: [16KiB, 64KiB]
//	    rate.messages_per_second: [10000, 50000]
//
// Each parameter is the dotted path of a scalar field of the scenario, as
// in error messages ("topics[0].partitions", "slo.p99.9",
// "target.sim.errors.NOT_LEADER_OR_FOLLOWER"), and each value must parse
// as that field's type. Every point must be a valid scenario. See Points.
type Sweep struct {
	// Mode is SweepProduct (the default, also meant by "") or SweepZip.
	Mode string `yaml:"mode,omitempty" json:"mode"`
	// Params are the swept fields and their values, in file order.
	// Required.
	Params SweepParams `yaml:"params" json:"params"`
}

// SweepParams are a sweep's parameters in file order. In YAML and JSON
// they are a mapping of field path to a list of values.
type SweepParams []SweepParam

// SweepParam is one swept field.
type SweepParam struct {
	// Path is the field's dotted path, e.g. "producer.linger".
	Path string
	// Values are the field's values in canonical JSON ("5ms", 16384,
	// "64KiB", true), each valid for the field's type.
	Values []json.RawMessage
}

// SweepPoint is one point of a sweep.
type SweepPoint struct {
	// Index is the point's position, 0-based.
	Index int
	// Label names the point: "path=value" for each parameter, joined by
	// ","; empty for a scenario without a sweep.
	Label string
	// Settings are the parameter values of the point, in parameter order.
	Settings []SweepSetting
	// Scenario is a deep copy of the scenario with the values applied and
	// no sweep; it shares nothing with the original or other points.
	Scenario *Scenario
}

// SweepSetting is one parameter's value at a sweep point.
type SweepSetting struct {
	// Path is the field's dotted path.
	Path string
	// Value is the value as text (canonical JSON, strings unquoted).
	Value string
}

// decodeNode decodes a mapping of field path to a list of scalar values,
// checking each path against the Scenario type and each value against the
// field's type.
func (sp *SweepParams) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a mapping of field path to a list of values, got %s", describe(n))
	}
	var out SweepParams
	err := d.entries(n, path, "a field path", func(key, val *yaml.Node, k, ppath string) error {
		d.lines[ppath] = lineOf(key, val)
		leaf, err := sweepLeafType(k, d.targetKind)
		if err != nil {
			return d.errf(key, ppath, "%s", err.Error())
		}
		list, err := d.deref(val, ppath)
		if err != nil {
			return err
		}
		if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
			return d.errf(val, ppath, "expected a non-empty list of values, got %s", describe(list))
		}
		p := SweepParam{Path: k}
		for j, c := range list.Content {
			vpath := ppath + "[" + strconv.Itoa(j) + "]"
			d.lines[vpath] = lineOf(nil, c)
			cn, err := d.deref(c, vpath)
			if err != nil {
				return err
			}
			if cn.Kind != yaml.ScalarNode {
				return d.errf(c, vpath, "expected a scalar value, got %s", describe(cn))
			}
			v := reflect.New(leaf).Elem()
			if err := d.decode(c, v, vpath); err != nil {
				return err
			}
			raw, err := json.Marshal(v.Interface())
			if err != nil {
				return d.errf(c, vpath, "cannot encode value: %v", err)
			}
			p.Values = append(p.Values, raw)
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return err
	}
	*sp = out
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler with the strict decoder's
// rules.
func (sp *SweepParams) UnmarshalYAML(n *yaml.Node) error {
	return sp.decodeNode(&decoder{lines: map[string]int{}}, n, "sweep.params")
}

// MarshalJSON writes the parameters as an object in order.
func (sp SweepParams) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range sp {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.Path)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(p.Values)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes, keeping the order.
func (sp *SweepParams) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("sweep params: want an object")
	}
	var out SweepParams
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var vals []json.RawMessage
		if err := dec.Decode(&vals); err != nil {
			return err
		}
		out = append(out, SweepParam{Path: t.(string), Values: vals})
	}
	*sp = out
	return nil
}

// sweepLeafType resolves a field path against the Scenario type and
// returns the type of the field it names, which must be a scalar field.
//
// kind is the scenario's target kind: paths under "target." other than
// target.kind and target.url resolve in that system's block.
func sweepLeafType(path, kind string) (reflect.Type, error) {
	if path == "sweep" || strings.HasPrefix(path, "sweep.") {
		return nil, fmt.Errorf("a sweep cannot sweep itself")
	}
	t := reflect.TypeOf(Scenario{})
	rest := path
	for rest != "" {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == targetType && rest != "kind" && rest != "url" {
			if kind == "" {
				kind = DefaultTargetKind
			}
			sys, ok := registry.Lookup(kind)
			if !ok {
				return nil, fmt.Errorf("unknown field path %s: target kind %s is not registered", quote(path), quote(kind))
			}
			t = reflect.TypeOf(sys.NewConfig())
			continue
		}
		switch {
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			if t.Kind() != reflect.Slice || end < 0 {
				return nil, fmt.Errorf("unknown field path %s: not a list", quote(path))
			}
			if _, err := strconv.Atoi(rest[1:end]); err != nil {
				return nil, fmt.Errorf("bad index in field path %s", quote(path))
			}
			t, rest = t.Elem(), strings.TrimPrefix(rest[end+1:], ".")
		case t.Kind() == reflect.Map:
			k, r, _ := strings.Cut(rest, ".")
			if k == "" || r != "" {
				return nil, fmt.Errorf("unknown field path %s", quote(path))
			}
			t, rest = t.Elem(), ""
		case t.Kind() == reflect.Struct:
			name, r, ok := matchField(t, rest)
			if !ok {
				names, _ := fieldNames(t)
				seg, _, _ := strings.Cut(rest, ".")
				return nil, fmt.Errorf("unknown field path %s (%s)", quote(path), suggest(seg, names))
			}
			f, _ := fieldByYAML(t, name)
			t, rest = f.Type, r
		default:
			return nil, fmt.Errorf("unknown field path %s: %s is not a block", quote(path), quote(strings.TrimSuffix(path, rest)))
		}
	}
	if !isScalarType(t) {
		return nil, fmt.Errorf("%s is not a scalar field (sweep one of its fields)", quote(path))
	}
	return t, nil
}

// matchField finds the yaml field of struct t that rest starts with (the
// longest, since names such as "p99.9" contain dots) and returns it and
// what follows it.
func matchField(t reflect.Type, rest string) (name, after string, ok bool) {
	names, _ := fieldNames(t)
	for _, n := range names {
		if !strings.HasPrefix(rest, n) || len(n) <= len(name) {
			continue
		}
		tail := rest[len(n):]
		switch {
		case tail == "":
		case tail[0] == '.':
			tail = tail[1:]
		case tail[0] == '[':
		default:
			continue
		}
		name, after, ok = n, tail, true
	}
	return name, after, ok
}

// fieldByYAML returns the field of struct t with yaml name name.
func fieldByYAML(t reflect.Type, name string) (reflect.StructField, int) {
	names, index := fieldNames(t)
	for j, n := range names {
		if n == name {
			return t.Field(index[j]), index[j]
		}
	}
	return reflect.StructField{}, -1
}

// isScalarType reports whether a field of type t takes a scalar value.
func isScalarType(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeOf(SizeSpec{}), reflect.TypeOf(Range{}):
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// validateSweep checks the sweep block's shape (not its points).
func (s *Scenario) validateSweep() *Error {
	w := s.Sweep
	if w == nil {
		return nil
	}
	switch w.Mode {
	case "", SweepProduct, SweepZip:
	default:
		return s.errorf("sweep.mode", "unknown mode %s (want %s or %s)", quote(w.Mode), SweepProduct, SweepZip)
	}
	if len(w.Params) == 0 {
		return s.errorf("sweep.params", "at least one parameter is required")
	}
	points := 1
	for _, p := range w.Params {
		field := joinPath("sweep.params", p.Path)
		kind := ""
		if s.Target != nil {
			kind = s.Target.Kind
		}
		if _, err := sweepLeafType(p.Path, kind); err != nil {
			return s.errorf(field, "%s", err.Error())
		}
		if len(p.Values) == 0 {
			return s.errorf(field, "expected a non-empty list of values")
		}
		if w.Mode == SweepZip {
			if n := len(w.Params[0].Values); len(p.Values) != n {
				return s.errorf(field, "has %d values but %s has %d: zip needs equal lengths", len(p.Values), quote(w.Params[0].Path), n)
			}
			points = len(p.Values)
			continue
		}
		if points > MaxSweepPoints/len(p.Values) {
			return s.errorf(field, "the sweep has more than %d points", MaxSweepPoints)
		}
		points *= len(p.Values)
	}
	if points*max(s.nodes, 1) > maxSweepWork {
		return s.errorf("sweep.params", "%d points of a scenario of %d YAML nodes is too much to expand (at most %d points × nodes)", points, s.nodes, maxSweepWork)
	}
	return nil
}

// Points expands the sweep: one SweepPoint per combination (product) or
// per index (zip), each with a deep copy of the scenario holding the
// point's values and no sweep, validated. A scenario without a sweep has
// one point: a copy of itself with an empty label. An invalid point is an
// *Error naming the field at the line of the swept value that broke it
// (or of the field, if another value did), with the point's label.
func (s *Scenario) Points() ([]SweepPoint, error) {
	if s.Sweep == nil {
		c := s.Clone()
		return []SweepPoint{{Scenario: c}}, nil
	}
	if err := s.validateSweep(); err != nil {
		return nil, err
	}
	params := s.Sweep.Params
	var combos [][]int // value index of each parameter, per point
	if s.Sweep.Mode == SweepZip {
		for j := range params[0].Values {
			c := make([]int, len(params))
			for k := range c {
				c[k] = j
			}
			combos = append(combos, c)
		}
	} else {
		combos = [][]int{{}}
		for _, p := range params {
			var next [][]int
			for _, c := range combos {
				for j := range p.Values {
					next = append(next, append(append([]int{}, c...), j))
				}
			}
			combos = next
		}
	}
	// Each value's YAML node, parsed once.
	nodes := make([][]*yaml.Node, len(params))
	for k, p := range params {
		for _, raw := range p.Values {
			var doc yaml.Node
			if err := yaml.Unmarshal(raw, &doc); err != nil || len(doc.Content) == 0 {
				return nil, s.errorf(joinPath("sweep.params", p.Path), "invalid value %s", quote(string(raw)))
			}
			nodes[k] = append(nodes[k], doc.Content[0])
		}
	}
	points := make([]SweepPoint, 0, len(combos))
	for n, c := range combos {
		pt := SweepPoint{Index: n, Scenario: s.Clone()}
		pt.Scenario.Sweep = nil
		labels := make([]string, len(params))
		for k, p := range params {
			raw := p.Values[c[k]]
			vfield := joinPath("sweep.params", p.Path) + "[" + strconv.Itoa(c[k]) + "]"
			if err := pt.Scenario.apply(p.Path, nodes[k][c[k]], s.Line(vfield)); err != nil {
				return nil, err
			}
			val := string(raw)
			var str string
			if json.Unmarshal(raw, &str) == nil {
				val = str
			}
			pt.Settings = append(pt.Settings, SweepSetting{Path: p.Path, Value: val})
			labels[k] = p.Path + "=" + val
		}
		pt.Label = strings.Join(labels, ",")
		if err := pt.Scenario.validate(); err != nil {
			err.Msg += " (sweep point " + pt.Label + ")"
			return nil, err
		}
		points = append(points, pt)
	}
	return points, nil
}

// apply sets the field at path to the value node, recording line as the
// field's line (for a scenario read from a file) and forgetting the lines
// of whatever the field held before.
func (s *Scenario) apply(path string, node *yaml.Node, line int) *Error {
	if err := s.applyValue(path, node, line); err != nil {
		if s.lines != nil {
			err.Line = max(1, line)
		}
		return err
	}
	return nil
}

// applyValue is apply without the error's line.
func (s *Scenario) applyValue(path string, node *yaml.Node, line int) *Error {
	v := reflect.ValueOf(s).Elem()
	rest := path
	var setMap func(reflect.Value) // completes a map entry after decoding
	for rest != "" {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.Kind() == reflect.Interface {
				v = v.Elem()
				continue
			}
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		if v.Type() == targetType && rest != "kind" && rest != "url" {
			t := v.Addr().Interface().(*Target)
			if t.Config == nil {
				return s.errorf(path, "unknown field path")
			}
			v = reflect.ValueOf(t.Config)
			continue
		}
		switch {
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			i, _ := strconv.Atoi(rest[1:end])
			if i < 0 || i >= v.Len() {
				return s.errorf(path, "index %d out of range (the scenario has %d)", i, v.Len())
			}
			v, rest = v.Index(i), strings.TrimPrefix(rest[end+1:], ".")
		case v.Kind() == reflect.Map:
			if v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			m, key := v, reflect.ValueOf(rest).Convert(v.Type().Key())
			e := reflect.New(v.Type().Elem()).Elem()
			setMap = func(val reflect.Value) { m.SetMapIndex(key, val) }
			v, rest = e, ""
		case v.Kind() == reflect.Struct:
			name, r, _ := matchField(v.Type(), rest)
			_, idx := fieldByYAML(v.Type(), name)
			if idx < 0 {
				return s.errorf(path, "unknown field")
			}
			v, rest = v.Field(idx), r
		default:
			return s.errorf(path, "not a field path")
		}
	}
	lines := s.lines
	if lines == nil {
		lines = map[string]int{}
	}
	d := &decoder{file: s.File, lines: lines}
	if err := d.decode(node, v, path); err != nil {
		return err.(*Error)
	}
	if setMap != nil {
		setMap(v)
	}
	if s.lines != nil {
		dot, bracket := path+".", path+"["
		for k := range s.lines {
			if strings.HasPrefix(k, dot) || strings.HasPrefix(k, bracket) {
				delete(s.lines, k)
			}
		}
		s.lines[path] = max(1, line)
	}
	return nil
}

// Clone returns a deep copy of s: no pointer, slice or map is shared.
func (s *Scenario) Clone() *Scenario {
	c := &Scenario{}
	deepCopy(reflect.ValueOf(c).Elem(), reflect.ValueOf(s).Elem())
	c.lines, c.nodes = maps.Clone(s.lines), s.nodes
	return c
}

// deepCopy copies src into dst (settable, same type), duplicating every
// pointer, slice and map; unexported fields are skipped.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		deepCopy(e, src.Elem())
		dst.Set(e)
	default:
		dst.Set(src)
	}
}
