package workload

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want string // the rendered record 0 with base 0 when valid; else a substring of the error
		ok   bool
	}{
		{`{"a": 1}`, `{"a": 1}`, true},                                  // no placeholders
		{`{"seq": {{seq}}}`, `{"seq": 0}`, true},                        // sequence
		{`{"ts": {{ timestamp }}}`, `{"ts": 1767225600000}`, true},      // spaces inside braces
		{`{"n": {{int 7 7}}}`, `{"n": 7}`, true},                        // a one-value range
		{`{"s": "{{string 0}}"}`, `{"s": ""}`, true},                    // empty string
		{`{"e": "{{enum only}}"}`, `{"e": "only"}`, true},               // one-word enum
		{`{"a": }}`, `{"a": }}`, true},                                  // a stray }} is text
		{``, "must not be empty", false},                                // nothing
		{`{"a": {{seq}`, "unclosed {{", false},                          // unclosed
		{`{"a": {{}}}`, "empty placeholder", false},                     // empty
		{`{"a": {{float 1 2}}}`, `unknown placeholder "float"`, false},  // unknown
		{`{"a": {{int 5 1}}}`, "MIN must not exceed MAX", false},        // reversed
		{`{"a": {{int x 1}}}`, `"x" is not an integer`, false},          // not a number
		{`{"a": {{int 1}}}`, "want int MIN MAX", false},                 // arity
		{`{"a": "{{string 99999999}}"}`, "lengths must satisfy", false}, // too long
		{`{"a": "{{enum}}"}`, "at least one word", false},               // no words
		{`{"a": {{seq 1}}}`, "takes no arguments", false},               // arity
	}
	for _, tt := range tests {
		tp, err := ParseTemplate(tt.src)
		if !tt.ok {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseTemplate(%q) = %v, want error containing %q", tt.src, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tt.src, err)
			continue
		}
		if got := string(tp.Render(nil, 0, 0)); got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

// TestTemplateFullRange checks {{int}} over the whole int64 range.
func TestTemplateFullRange(t *testing.T) {
	t.Parallel()
	tp, err := ParseTemplate(`{{int -9223372036854775808 9223372036854775807}}`)
	if err != nil {
		t.Fatal(err)
	}
	neg := 0
	for j := range int64(100) {
		var v int64
		if err := json.Unmarshal(tp.Render(nil, j, 1), &v); err != nil {
			t.Fatal(err)
		}
		if v < 0 {
			neg++
		}
	}
	if neg < 30 || neg > 70 {
		t.Errorf("%d of 100 full-range ints negative, want about half", neg)
	}
}
