// Package units holds the scalar types of scenario files shared by workload
// and the target systems' own blocks: Size (bytes, with SI and IEC
// units), Duration and Ratio. Each decodes itself from one YAML node
// (DecodeScalar) with the strict rules of scenario files.
package units

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/prodbench/prodbench/workload/suggest"
)

// Size is a byte count. In a scenario file it is either a YAML integer
// (bytes, e.g. 512) or a string of a whole or decimal number followed by a
// case-sensitive unit: B (bytes), KB, MB, GB (powers of 10^3) or KiB, MiB,
// GiB (powers of 2^10), e.g. "16KiB", "1MiB", "1MB", "1.5KiB". A number
// without a unit is bytes. Negative sizes, sizes that overflow int64 and
// fractional byte counts ("1.5B", "0.3KiB") are errors. It marshals to JSON
// and YAML as the string returned by String.
type Size int64

// units are the accepted size suffixes, longest first so that "KiB" is
// tried before "B".
var units = []struct {
	name string
	mult int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"B", 1},
}

// maxSizeText bounds the length of a size string so parsing cost stays
// trivial whatever the input.
const maxSizeText = 64

// ParseSize parses a size string such as "512", "512B", "16KiB", "1MB" or
// "1.5KiB" (see Size for the grammar). The error describes what is wrong
// with s in one line and does not include a field name.
func ParseSize(s string) (Size, error) {
	if s == "" {
		return 0, fmt.Errorf("invalid size \"\" (want e.g. 512, \"16KiB\" or \"1MB\")")
	}
	if len(s) > maxSizeText {
		return 0, fmt.Errorf("invalid size %s: too long", Quote(s))
	}
	if s[0] == '-' {
		return 0, fmt.Errorf("size must not be negative, got %s", Quote(s))
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			fracDigits++
		}
		if fracDigits == 0 {
			intDigits = 0 // "1." is malformed
		}
	}
	if intDigits == 0 {
		return 0, fmt.Errorf("invalid size %s (want e.g. 512, \"16KiB\" or \"1MB\")", Quote(s))
	}
	num, rest := s[:i], strings.TrimPrefix(s[i:], " ")
	mult := int64(1)
	if rest != "" {
		found := false
		for _, u := range units {
			if rest == u.name {
				mult, found = u.mult, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown unit %s in size %s (want B, KB, MB, GB, KiB, MiB or GiB; units are case-sensitive)", Quote(rest), Quote(s))
		}
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("invalid size %s (want e.g. 512, \"16KiB\" or \"1MB\")", Quote(s))
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("size %s is not a whole number of bytes", Quote(s))
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("size %s is too large (max %d bytes)", Quote(s), int64(^uint64(0)>>1))
	}
	return Size(r.Num().Int64()), nil
}

// String formats s with the largest unit that divides it exactly:
// 65536 is "64KiB", 1000000 is "1MB", 2000000000 is "2GB", 513 is "513B",
// 0 is "0B". ParseSize(s.String()) == s for every s >= 0.
func (s Size) String() string {
	if s > 0 {
		for _, j := range [...]int{2, 5, 1, 4, 0, 3} { // GiB, GB, MiB, MB, KiB, KB
			if u := units[j]; int64(s)%u.mult == 0 {
				return strconv.FormatInt(int64(s)/u.mult, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// Bytes returns s as a plain byte count.
func (s Size) Bytes() int64 { return int64(s) }

// DecodeScalar decodes a YAML integer (bytes) or size string into s. The
// error is a one-line message without position or field.
func (s *Size) DecodeScalar(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size (e.g. 512 or \"16KiB\"), got %s", Describe(n))
	}
	switch n.ShortTag() {
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("size %s is out of range", Quote(n.Value))
		}
		if v < 0 {
			return fmt.Errorf("size must not be negative, got %d", v)
		}
		*s = Size(v)
		return nil
	case "!!str":
		v, err := ParseSize(n.Value)
		if err != nil {
			return err
		}
		*s = v
		return nil
	case "!!float":
		return fmt.Errorf("invalid size %s (want a whole number of bytes, e.g. 512, or a string such as \"16KiB\")", Quote(n.Value))
	}
	return fmt.Errorf("expected a size (e.g. 512 or \"16KiB\"), got %s", Describe(n))
}

// UnmarshalYAML implements yaml.Unmarshaler: see Size for the accepted
// forms. Errors name the node's line.
func (s *Size) UnmarshalYAML(n *yaml.Node) error { return withLine(n, s.DecodeScalar(n)) }

// MarshalYAML implements yaml.Marshaler: s is written as String.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON implements json.Marshaler: s is written as the JSON string
// String returns, e.g. "64KiB".
func (s Size) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON implements json.Unmarshaler: it accepts a JSON integer
// (bytes) or a size string as ParseSize does.
func (s *Size) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		v, err := ParseSize(str)
		if err != nil {
			return err
		}
		*s = v
		return nil
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("invalid size %s (want an integer or a string such as \"16KiB\")", Quote(string(b)))
	}
	if v < 0 {
		return fmt.Errorf("size must not be negative, got %d", v)
	}
	*s = Size(v)
	return nil
}

// Duration is a time.Duration written in scenario files as a Go duration
// string ("500ms", "10s", "1m30s"; see time.ParseDuration). A bare number
// such as 10 is an error: durations always carry a unit. It marshals to
// JSON and YAML as time.Duration's String ("5ms", "1m30s").
type Duration time.Duration

// ParseDuration parses s with time.ParseDuration but rejects bare numbers
// ("10", "0", "1.5"), for which the error suggests adding a unit.
func ParseDuration(s string) (Duration, error) {
	if _, err := strconv.ParseFloat(s, 64); (err == nil || errors.Is(err, strconv.ErrRange)) && strings.ContainsAny(s, "0123456789") {
		return 0, fmt.Errorf("invalid duration %s (use a unit, e.g. %s)", Quote(s), Quote(s+"s"))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %s (want e.g. \"500ms\", \"10s\" or \"1m30s\")", Quote(s))
	}
	return Duration(d), nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns time.Duration(d).String(), e.g. "5ms".
func (d Duration) String() string { return time.Duration(d).String() }

// DecodeScalar decodes a YAML duration string into d. The error is a
// one-line message without position or field.
func (d *Duration) DecodeScalar(n *yaml.Node) error {
	return decodeParsed(n, d, ParseDuration, `a duration (e.g. "10s")`)
}

// UnmarshalYAML implements yaml.Unmarshaler: see Duration for the
// accepted form. Errors name the node's line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error { return withLine(n, d.DecodeScalar(n)) }

// MarshalYAML implements yaml.Marshaler: d is written as String.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON implements json.Marshaler: d is written as the JSON string
// String returns, e.g. "5ms".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON implements json.Unmarshaler: it accepts a JSON string as
// ParseDuration does.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid duration %s (want a string such as \"10s\")", Quote(string(b)))
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Ratio is a fraction in [0, 1]. In a scenario file it is a YAML number
// (0.001) or a string of a number followed by "%" ("0.1%"), as in
// slo.max_error_rate. It marshals to JSON as a number.
type Ratio float64

// ParseRatio parses "0.1%" or "0.001" into a Ratio in [0, 1].
func ParseRatio(s string) (Ratio, error) {
	t := strings.TrimSpace(s)
	div := 1.0
	if strings.HasSuffix(t, "%") {
		t, div = strings.TrimSpace(strings.TrimSuffix(t, "%")), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || len(s) > maxSizeText {
		return 0, fmt.Errorf("invalid ratio %s (want e.g. 0.001 or \"0.1%%\")", Quote(s))
	}
	v /= div
	if !(v >= 0 && v <= 1) {
		return 0, fmt.Errorf("ratio %s must be between 0 and 1 (0%% and 100%%)", Quote(s))
	}
	return Ratio(v), nil
}

// String formats r as a percentage, e.g. "0.1%".
func (r Ratio) String() string {
	return strconv.FormatFloat(float64(r)*100, 'g', -1, 64) + "%"
}

// DecodeScalar decodes a YAML number or percentage string into r.
func (r *Ratio) DecodeScalar(n *yaml.Node) error {
	return decodeParsed(n, r, ParseRatio, `a ratio (e.g. 0.001 or "0.1%")`)
}

// UnmarshalYAML implements yaml.Unmarshaler: see Ratio.
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error { return withLine(n, r.DecodeScalar(n)) }

// Quote returns s Go-quoted, shortened to about 40 bytes so a huge value
// cannot flood an error message.
func Quote(s string) string {
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
	return Quote(s)
}

// Describe names what a node holds, for "expected X, got Y" messages.
func Describe(n *yaml.Node) string {
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
		return "string " + Quote(n.Value)
	case "!!int":
		return "integer " + clip(n.Value)
	case "!!float":
		return "number " + clip(n.Value)
	case "!!bool":
		return "boolean " + clip(n.Value)
	}
	return fmt.Sprintf("%s %s", Quote(n.ShortTag()), Quote(n.Value))
}

// Suggest returns `did you mean "x"?` for the known name closest to key
// by edit distance (suggest.Closest), when close enough (at most
// max(2, len/3) edits), or the list of known names.
func Suggest(key string, known []string) string {
	if len(key) <= 64 {
		if best, d := suggest.Closest(key, known); d >= 0 && d <= max(2, len(best)/3) {
			return fmt.Sprintf("did you mean %q?", best)
		}
	}
	return "want one of: " + strings.Join(known, ", ")
}

// withLine prefixes err, when not nil, with n's line: the errors of
// UnmarshalYAML.
func withLine(n *yaml.Node, err error) error {
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// decodeParsed decodes a YAML scalar (a string, integer or float) into
// *dst with parse; any other node is an error saying it expected what.
func decodeParsed[T any](n *yaml.Node, dst *T, parse func(string) (T, error), what string) error {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str", "!!int", "!!float":
			v, err := parse(n.Value)
			if err != nil {
				return err
			}
			*dst = v
			return nil
		}
	}
	return fmt.Errorf("expected %s, got %s", what, Describe(n))
}
