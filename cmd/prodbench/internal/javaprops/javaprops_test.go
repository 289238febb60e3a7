package javaprops

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	in := "# comment\n! also\n\nsecurity.protocol=SASL_SSL\nlinger.ms : 5\nsasl.jaas.config=org.x.ScramLoginModule required \\\n    username=\"u\" password=\"p=q\";\nkey\\ with\\ space=a\\tb\n"
	ps, err := Parse("c.properties", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Prop{
		{"security.protocol", "SASL_SSL", 4},
		{"linger.ms", "5", 5},
		{"sasl.jaas.config", `org.x.ScramLoginModule required username="u" password="p=q";`, 6},
		{"key with space", "a\tb", 8},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d props %+v, want %d", len(ps), ps, len(want))
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("prop %d = %+v, want %+v", i, ps[i], want[i])
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a=1\nb=2\na=secret\n", "c.properties:3: key a set again (first at line 1)"},
		{"a=1\nb=\\uZZ12secret\n", "c.properties:2: malformed line"},
	} {
		_, err := Parse("c.properties", []byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.in, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q quotes a value", err)
		}
	}
}
