package workload

import (
	"fmt"
	"strconv"
	"strings"
)

// templateEpochMs is the Unix time in milliseconds of 2026-01-01T00:00:00Z,
// the base of {{timestamp}}: generated payloads do not depend on the clock,
// so the same seed gives the same records.
const templateEpochMs = 1767225600000

// maxTemplateString is the longest {{string}} placeholder value.
const maxTemplateString = 1 << 16

// Template is a parsed json payload template: literal text with
// placeholders in double braces, each replaced by a generated value when a
// record is rendered. Values are written raw, so the template decides
// quoting (`"user": "{{string 8}}"`, `"n": {{int 1 9}}`):
//
//	{{seq}}              the record's sequence number (0, 1, ...)
//	{{timestamp}}        Unix milliseconds: 2026-01-01T00:00:00Z + seq ms
//	{{int MIN MAX}}      a uniform integer in [MIN, MAX]
//	{{string N}}         N random characters of [a-z0-9]
//	{{string MIN MAX}}   a random string of uniform length in [MIN, MAX]
//	{{enum A B ...}}     one of the words A, B, ... uniformly
//	{{uuid}}             a random version 4 UUID
//
// Random values are drawn from (seed, sequence number, placeholder), so
// a template renders the same records for the same seed.
type Template struct {
	parts []templatePart
}

// templatePart is a literal followed by at most one placeholder.
type templatePart struct {
	lit    string
	kind   string // "" (literal only), seq, timestamp, int, string, enum, uuid
	lo, hi int64
	words  []string
}

// ParseTemplate parses a json payload template (see Template). An unclosed
// "{{", an unknown placeholder or bad arguments are errors naming the
// placeholder.
func ParseTemplate(src string) (*Template, error) {
	if src == "" {
		return nil, fmt.Errorf("must not be empty (e.g. '{\"id\": {{seq}}}')")
	}
	t := &Template{}
	rest := src
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.parts = append(t.parts, templatePart{lit: rest})
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ at byte %d", len(src)-len(rest)+i)
		}
		inner := rest[i+2 : i+j]
		p, err := parsePlaceholder(inner)
		if err != nil {
			return nil, err
		}
		p.lit = rest[:i]
		t.parts = append(t.parts, p)
		rest = rest[i+j+2:]
	}
	return t, nil
}

// parsePlaceholder parses the inside of one {{...}}.
func parsePlaceholder(inner string) (templatePart, error) {
	f := strings.Fields(inner)
	bad := func(format string, args ...any) (templatePart, error) {
		shown := inner
		if len(shown) > 40 || strings.ContainsAny(shown, "\r\n\t") {
			shown = quote(shown)
		}
		return templatePart{}, fmt.Errorf("{{%s}}: %s", shown, fmt.Sprintf(format, args...))
	}
	if len(f) == 0 {
		return bad("empty placeholder (want seq, timestamp, int MIN MAX, string N, string MIN MAX, enum A B ..., uuid)")
	}
	ints := func(args []string) ([]int64, error) {
		out := make([]int64, len(args))
		for k, a := range args {
			v, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s is not an integer", quote(a))
			}
			out[k] = v
		}
		return out, nil
	}
	p := templatePart{kind: f[0]}
	switch f[0] {
	case "seq", "timestamp", "uuid":
		if len(f) != 1 {
			return bad("takes no arguments")
		}
	case "int":
		if len(f) != 3 {
			return bad("want int MIN MAX")
		}
		v, err := ints(f[1:])
		if err != nil {
			return bad("%v", err)
		}
		if v[0] > v[1] {
			return bad("MIN must not exceed MAX")
		}
		p.lo, p.hi = v[0], v[1]
	case "string":
		if len(f) != 2 && len(f) != 3 {
			return bad("want string N or string MIN MAX")
		}
		v, err := ints(f[1:])
		if err != nil {
			return bad("%v", err)
		}
		p.lo, p.hi = v[0], v[len(v)-1]
		if p.lo < 0 || p.hi > maxTemplateString || p.lo > p.hi {
			return bad("lengths must satisfy 0 <= MIN <= MAX <= %d", maxTemplateString)
		}
	case "enum":
		if len(f) < 2 {
			return bad("want enum A B ... (at least one word)")
		}
		p.words = f[1:]
	default:
		return bad("unknown placeholder %s (want seq, timestamp, int, string, enum or uuid)", quote(f[0]))
	}
	return p, nil
}

// templateChars are {{string}}'s characters.
const templateChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// Render appends record seq to dst, drawing random values from the stream
// started at base.
func (t *Template) Render(dst []byte, seq int64, base uint64) []byte {
	rb := mix(base, seq)
	var draw int64
	next := func() uint64 { draw++; return mix(rb, draw) }
	for _, p := range t.parts {
		dst = append(dst, p.lit...)
		switch p.kind {
		case "seq":
			dst = strconv.AppendInt(dst, seq, 10)
		case "timestamp":
			dst = strconv.AppendInt(dst, templateEpochMs+seq, 10)
		case "int":
			span := uint64(p.hi-p.lo) + 1
			h := next()
			if span == 0 { // the whole int64 range
				dst = strconv.AppendInt(dst, int64(h), 10)
			} else {
				dst = strconv.AppendInt(dst, p.lo+int64(reduce(h, span)), 10)
			}
		case "string":
			n := p.lo + int64(reduce(next(), uint64(p.hi-p.lo)+1))
			for range n {
				dst = append(dst, templateChars[reduce(next(), uint64(len(templateChars)))])
			}
		case "enum":
			dst = append(dst, p.words[reduce(next(), uint64(len(p.words)))]...)
		case "uuid":
			var b [16]byte
			h1, h2 := next(), next()
			for k := range 8 {
				b[k], b[8+k] = byte(h1>>(8*k)), byte(h2>>(8*k))
			}
			b[6] = b[6]&0x0f | 0x40 // version 4
			b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
			const hex = "0123456789abcdef"
			for k, c := range b {
				if k == 4 || k == 6 || k == 8 || k == 10 {
					dst = append(dst, '-')
				}
				dst = append(dst, hex[c>>4], hex[c&15])
			}
		}
	}
	return dst
}
