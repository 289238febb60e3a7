package workload

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/prodbench/prodbench/workload/units"
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

// quote returns s Go-quoted, shortened; see units.Quote.
func quote(s string) string { return units.Quote(s) }

// describe names what a node holds; see units.Describe.
func describe(n *yaml.Node) string { return units.Describe(n) }

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
