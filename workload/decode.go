package workload

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/prodbench/prodbench/workload/units"
)

// maxNodes bounds how many nodes one decode visits, counting every
// expansion of an alias, so that alias bombs fail fast.
const maxNodes = 100_000

// scalarDecoder is implemented by types that decode themselves from one
// YAML node (Size, Duration). The error carries neither line nor field.
type scalarDecoder interface {
	DecodeScalar(n *yaml.Node) error
}

// nodeDecoder is implemented by types that take either a scalar or a
// mapping (SizeSpec, Range, SweepParams): they decode n, an alias already
// resolved and not null, themselves, using d for nested values so that
// lines and errors are recorded as for any field.
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string) error
}

// decoder strictly decodes a yaml.Node tree into a Go value following its
// yaml struct tags, recording the line of every field it sets. Unknown
// fields, duplicate keys, nulls, merge keys and values of the wrong type
// are errors; the first one found (in file order) is returned.
type decoder struct {
	file  string
	lines map[string]int // dotted field path -> line
	nodes int            // nodes visited so far
	// targetKind is the document's target.kind, read before decoding, so
	// that sweep parameters under target. resolve in that system's block.
	targetKind string
}

// targetType is the type of Scenario.Target's block.
var targetType = reflect.TypeOf(Target{})

// prescanTargetKind returns the value of target.kind in the root mapping,
// or "".
func prescanTargetKind(root *yaml.Node) string {
	if k := mapValue(mapValue(root, "target"), "kind"); k != nil && k.Kind == yaml.ScalarNode {
		return k.Value
	}
	return ""
}

// mapValue returns the value of the first entry of the mapping m whose
// key is key, or nil (also when m is nil or not a mapping). Aliases are
// not followed.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// errf returns an *Error at line of n for field path. An error about the
// top-level mapping itself (empty path) is a "yaml: " error.
func (d *decoder) errf(n *yaml.Node, path, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if path == "" {
		msg = "yaml: " + msg
	}
	return &Error{File: d.file, Line: max(1, n.Line), Field: path, Msg: msg}
}

// deref follows an alias to its anchored node, counting the visit.
func (d *decoder) deref(n *yaml.Node, path string) (*yaml.Node, error) {
	at := n
	for i := 0; n.Kind == yaml.AliasNode; i++ {
		if n.Alias == nil || i > 8 {
			return nil, d.errf(at, path, "invalid alias")
		}
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes {
		return nil, d.errf(at, path, "too many nodes (more than %d, counting alias expansions)", maxNodes)
	}
	return n, nil
}

// decode decodes n into v, which must be settable; path names v.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	at := n
	n, err := d.deref(n, path)
	if err != nil {
		return err
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return d.errf(at, path, "missing value")
	}
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			return nd.decodeNode(d, n, path)
		}
		if sd, ok := v.Addr().Interface().(scalarDecoder); ok {
			if err := sd.DecodeScalar(n); err != nil {
				return d.errf(at, path, "%s", err.Error())
			}
			return nil
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := d.decode(n, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return d.mapping(n, v, path)
	case reflect.Slice:
		return d.sequence(n, v, path)
	case reflect.Map:
		return d.stringMap(n, v, path)
	}
	if n.Kind != yaml.ScalarNode {
		return d.errf(at, path, "expected %s, got %s", kindName(v.Kind()), describe(n))
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		switch tag {
		case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
			v.SetString(n.Value)
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if tag == "!!int" {
			var x int64
			if err := n.Decode(&x); err != nil || v.OverflowInt(x) {
				return d.errf(at, path, "integer %s is out of range", quote(n.Value))
			}
			v.SetInt(x)
			return nil
		}
	case reflect.Float64:
		if tag == "!!int" || tag == "!!float" {
			var x float64
			if err := n.Decode(&x); err != nil {
				return d.errf(at, path, "invalid number %s", quote(n.Value))
			}
			v.SetFloat(x)
			return nil
		}
	case reflect.Bool:
		if tag == "!!bool" {
			var x bool
			if err := n.Decode(&x); err != nil {
				return d.errf(at, path, "invalid boolean %s", quote(n.Value))
			}
			v.SetBool(x)
			return nil
		}
	default:
		return d.errf(at, path, "internal error: cannot decode into %s", v.Type())
	}
	return d.errf(at, path, "expected %s, got %s", kindName(v.Kind()), describe(n))
}

// kindName names the YAML form expected for a Go kind.
func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a mapping"
	}
	return k.String()
}

// lineOf is the line recorded for a field: the value's line for scalars,
// the key's line for mappings and lists (where their block starts).
func lineOf(key, val *yaml.Node) int {
	if val.Kind == yaml.ScalarNode || val.Kind == yaml.AliasNode || key == nil {
		return max(1, val.Line)
	}
	return max(1, key.Line)
}

// sequence decodes a YAML list into the slice v.
func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.SequenceNode {
		return d.errf(n, path, "expected a list, got %s", describe(n))
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		d.lines[p] = lineOf(nil, c)
		if err := d.decode(c, s.Index(i), p); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

// fieldNameCache holds fieldNames' results by type.
var fieldNameCache sync.Map // reflect.Type -> [2]any{[]string, []int}

// fieldNames returns the yaml names of t's decodable fields, in order.
// The slices are shared: callers must not modify them.
func fieldNames(t reflect.Type) (names []string, index []int) {
	if v, ok := fieldNameCache.Load(t); ok {
		p := v.([2]any)
		return p[0].([]string), p[1].([]int)
	}
	names, index = fieldNamesOf(t)
	fieldNameCache.Store(t, [2]any{names, index})
	return names, index
}

// fieldNamesOf computes fieldNames.
func fieldNamesOf(t reflect.Type) (names []string, index []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		names = append(names, name)
		index = append(index, i)
	}
	return names, index
}

// mapping decodes a YAML mapping into the struct v.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a mapping, got %s", describe(n))
	}
	names, index := fieldNames(v.Type())
	return d.entries(n, path, "a field name", func(key, val *yaml.Node, k, fpath string) error {
		j := slices.Index(names, k)
		if j < 0 {
			return d.errf(key, fpath, "unknown field (%s)", suggest(k, names))
		}
		d.lines[fpath] = lineOf(key, val)
		return d.decode(val, v.Field(index[j]), fpath)
	})
}

// entries calls fn for each entry of the mapping n (at path) in file
// order, with the key node, the value node, the key's text and the
// entry's path (path.key). Keys must be scalars (keyName says what they
// name, for the error: "a field name"), neither merge keys nor repeated;
// the first error, of entries or fn, is returned.
func (d *decoder) entries(n *yaml.Node, path, keyName string, fn func(key, val *yaml.Node, k, fpath string) error) error {
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		k, err := d.deref(key, path)
		if err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return d.errf(key, path, "a key must be %s, got %s", keyName, describe(k))
		}
		if k.ShortTag() == "!!merge" {
			return d.errf(key, joinPath(path, "<<"), "merge keys are not supported")
		}
		fpath := joinPath(path, k.Value)
		if err := d.once(seen, key, k.Value, fpath); err != nil {
			return err
		}
		if err := fn(key, val, k.Value, fpath); err != nil {
			return err
		}
	}
	return nil
}

// once records in seen the line of key, whose text is k (at fpath), or
// returns the error for a key seen before in the same mapping.
func (d *decoder) once(seen map[string]int, key *yaml.Node, k, fpath string) error {
	if first, dup := seen[k]; dup {
		return d.errf(key, fpath, "duplicate key (first set at line %d)", first)
	}
	seen[k] = max(1, key.Line)
	return nil
}

// joinPath appends a key to a dotted path, quoting keys that are not
// plain identifiers so that error messages stay readable and one line.
func joinPath(path, key string) string {
	plain := key != "" && len(key) <= 64
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			plain = false
			break
		}
	}
	if !plain {
		key = quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns `did you mean "x"?` or the list of known names; see
// units.Suggest.
func suggest(key string, known []string) string { return units.Suggest(key, known) }

// stringMap decodes a YAML mapping into v, a map with string keys. Keys
// must be scalars and distinct; each entry's line is recorded under
// path.key.
func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a mapping, got %s", describe(n))
	}
	if v.Type().Key().Kind() != reflect.String {
		return d.errf(n, path, "internal error: cannot decode into %s", v.Type())
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	err := d.entries(n, path, "a name", func(key, val *yaml.Node, k, fpath string) error {
		d.lines[fpath] = lineOf(key, val)
		e := reflect.New(v.Type().Elem()).Elem()
		if err := d.decode(val, e, fpath); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		return nil
	})
	if err != nil {
		return err
	}
	v.Set(m)
	return nil
}
