package workload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Error is a problem with a scenario file: a YAML syntax error, a field the
// strict decoder rejects, or a value Validate rejects. Every error Parse
// and Load return for a file's content is an *Error; use errors.As.
type Error struct {
	// File is the scenario file's name as given to Parse or Load; empty
	// for a Scenario built in code.
	File string
	// Line is the 1-based line of the offending key or value; 0 when
	// unknown (a Scenario built in code).
	Line int
	// Field is the dotted path of the field, with list indices, e.g.
	// "producer.linger" or "topics[1].partitions". Empty for errors about
	// the document as a whole, whose Msg then starts with "yaml: ".
	Field string
	// Msg says what is wrong, in one line.
	Msg string
}

// Error returns "FILE:LINE: FIELD: MSG" on one line, leaving out the
// parts that are empty or zero.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// oneLine replaces line breaks so an error always prints as one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// quote returns s Go-quoted, shortened to about 40 bytes so a huge value
// cannot flood an error message.
func quote(s string) string {
	const max = 40
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// clip shortens an unquoted token for an error message.
func clip(s string) string {
	if len(s) <= 40 && strconv.Quote(s) == `"`+s+`"` && !strings.Contains(s, " ") {
		return s
	}
	return quote(s)
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!str":
		return "string " + quote(n.Value)
	case "!!int":
		return "integer " + clip(n.Value)
	case "!!float":
		return "number " + clip(n.Value)
	case "!!bool":
		return "boolean " + clip(n.Value)
	}
	return fmt.Sprintf("%s %s", quote(n.ShortTag()), quote(n.Value))
}

// yamlLineRE splits a yaml.v3 syntax error into its line and message.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// anchorRE matches yaml.v3's error for an alias to an unknown anchor.
var anchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// parserProblems are the yaml.v3 parser (not scanner) errors. For these
// yaml.v3 reports the 0-based line of the enclosing construct, so the
// 1-based line is one more.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError turns an error of the YAML parser into an *Error with the
// 1-based line the parser names, corrected where yaml.v3 is off by one or
// points at the enclosing construct; when it names none, the line is
// found in data (first unacceptable byte, unknown alias), else line 1.
func syntaxError(file string, data []byte, err error) *Error {
	msg := oneLine(err.Error())
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if slices.Contains(parserProblems, m[2]) {
			line++
		}
		if strings.Contains(m[2], "tab character") {
			line = tabLine(data, line)
		}
		return &Error{File: file, Line: clampLine(line, data), Msg: "yaml: " + m[2]}
	}
	if !strings.HasPrefix(msg, "yaml: ") {
		msg = "yaml: " + msg
	}
	line := badByteLine(data)
	if m := anchorRE.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = bytes.Count(data[:i], []byte("\n")) + 1
		}
	}
	return &Error{File: file, Line: line, Msg: msg}
}

// clampLine keeps a line number within the file's lines (a final line
// break does not start another line).
func clampLine(line int, data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return max(1, min(line, n))
}

// tabLine returns the first line at or after from whose indentation holds
// a tab, or from if there is none.
func tabLine(data []byte, from int) int {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if i+1 < from {
			continue
		}
		indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 {
			return i + 1
		}
	}
	return from
}

// badByteLine returns the line of the first byte sequence YAML does not
// accept (invalid UTF-8 or a character outside YAML's printable set), or
// 1 if there is none.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || !printable(r) {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 1
}

// printable reports whether YAML 1.2 allows r in a stream.
func printable(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
		r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
}

// parseDocument parses data into the node tree of its single document and
// returns the top-level mapping.
func parseDocument(file string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Msg: "yaml: empty file (want a mapping of scenario fields)"}
		}
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(file, data, err)
	default:
		return nil, &Error{File: file, Line: clampLine(extra.Line, data), Msg: "yaml: more than one document (a scenario file holds exactly one)"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, &Error{File: file, Line: clampLine(root.Line, data), Msg: "yaml: empty document (want a mapping of scenario fields)"}
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, &Error{File: file, Line: clampLine(root.Line, data), Msg: "yaml: empty document (want a mapping of scenario fields)"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: clampLine(root.Line, data), Msg: "yaml: the document must be a mapping of scenario fields, got " + describe(root)}
	}
	return root, nil
}

// maxNodes bounds how many nodes one decode visits, counting every
// expansion of an alias, so that alias bombs fail fast.
const maxNodes = 100_000

// scalarDecoder is implemented by types that decode themselves from one
// YAML node (Size, Duration). The error carries neither line nor field.
type scalarDecoder interface {
	decodeScalar(n *yaml.Node) error
}

// decoder strictly decodes a yaml.Node tree into a Go value following its
// yaml struct tags, recording the line of every field it sets. Unknown
// fields, duplicate keys, nulls, merge keys and values of the wrong type
// are errors; the first one found (in file order) is returned.
type decoder struct {
	file  string
	lines map[string]int // dotted field path -> line
	nodes int            // nodes visited so far
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
		if sd, ok := v.Addr().Interface().(scalarDecoder); ok {
			if err := sd.decodeScalar(n); err != nil {
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

// fieldNames returns the yaml names of t's decodable fields, in order.
func fieldNames(t reflect.Type) (names []string, index []int) {
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
	seen := make(map[string]int, len(names))
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		k, err := d.deref(key, path)
		if err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return d.errf(key, path, "a key must be a field name, got %s", describe(k))
		}
		if k.ShortTag() == "!!merge" {
			return d.errf(key, joinPath(path, "<<"), "merge keys are not supported")
		}
		fpath := joinPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			return d.errf(key, fpath, "duplicate key (first set at line %d)", first)
		}
		seen[k.Value] = max(1, key.Line)
		j := slices.Index(names, k.Value)
		if j < 0 {
			return d.errf(key, fpath, "unknown field (%s)", suggest(k.Value, names))
		}
		d.lines[fpath] = lineOf(key, val)
		if err := d.decode(val, v.Field(index[j]), fpath); err != nil {
			return err
		}
	}
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

// suggest returns `did you mean "x"?` for the known name closest to key
// by edit distance, when close enough (at most max(2, len/3) edits), or
// the list of known names.
func suggest(key string, known []string) string {
	best, bestDist := "", -1
	if len(key) <= 64 {
		for _, k := range known {
			d := editDistance(strings.ToLower(key), k)
			if bestDist < 0 || d < bestDist {
				best, bestDist = k, d
			}
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(best)/3) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "want one of: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
