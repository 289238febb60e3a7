// Package javaprops reads Java .properties files (the format of
// java.util.Properties.load, as Kafka clients' client.properties and
// kafka-producer-perf-test --producer.config use) into key/value pairs with
// their line numbers. Each logical line is decoded by
// github.com/magiconair/properties (escapes, separators, continuation
// lines); this package adds line numbers and strictness: a duplicate key
// is an error naming both lines. Errors never quote a value (values may be
// passwords).
package javaprops

import (
	"fmt"
	"strings"

	"github.com/magiconair/properties"
)

// Prop is one key/value pair of a properties file.
type Prop struct {
	// Key and Value are decoded (escapes resolved, separators and
	// surrounding blanks removed).
	Key, Value string
	// Line is the 1-based line where the key starts.
	Line int
}

// Parse reads data, a properties file named name (for errors), returning
// its entries in file order. ${...} is not expanded. Errors look like
// "client.properties:7: ..." and never hold a value.
func Parse(name string, data []byte) ([]Prop, error) {
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	loader := properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	var out []Prop
	seen := map[string]int{}
	for i := 0; i < len(lines); i++ {
		start := i
		trimmed := strings.TrimLeft(lines[i], " \t\f")
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == '!' {
			continue
		}
		logical := lines[i]
		for continues(lines[i]) && i+1 < len(lines) {
			i++
			logical += "\n" + lines[i]
		}
		p, err := loader.LoadBytes([]byte(logical))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: malformed line (bad escape sequence?)", name, start+1)
		}
		for _, k := range p.Keys() {
			v, _ := p.Get(k)
			if first, dup := seen[k]; dup {
				return nil, fmt.Errorf("%s:%d: key %s set again (first at line %d)", name, start+1, k, first)
			}
			seen[k] = start + 1
			out = append(out, Prop{Key: k, Value: v, Line: start + 1})
		}
	}
	return out, nil
}

// continues reports whether line ends with an odd number of backslashes.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
