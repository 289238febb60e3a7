package workload

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Size
		wantErr string // substring of the error; "" means success
	}{
		{"0", 0, ""},                                 // zero bytes
		{"512", 512, ""},                             // bare number is bytes
		{"512B", 512, ""},                            // explicit bytes
		{"16KiB", 16 << 10, ""},                      // binary kilo
		{"1MiB", 1 << 20, ""},                        // binary mega
		{"2GiB", 2 << 30, ""},                        // binary giga
		{"1KB", 1000, ""},                            // decimal kilo
		{"1MB", 1_000_000, ""},                       // decimal mega
		{"3GB", 3_000_000_000, ""},                   // decimal giga
		{"1.5KiB", 1536, ""},                         // decimal fraction that is whole bytes
		{"0.5KB", 500, ""},                           // leading zero fraction
		{"16 KiB", 16 << 10, ""},                     // one space before the unit
		{"8589934591GiB", 8589934591 << 30, ""},      // just below 2^63
		{"9223372036854775807", math.MaxInt64, ""},   // max int64 bytes
		{"", 0, "invalid size"},                      // empty
		{"KiB", 0, "invalid size"},                   // unit without number
		{"1.", 0, "invalid size"},                    // dangling point
		{".5KiB", 0, "invalid size"},                 // no integer digits
		{"1,5KiB", 0, "unknown unit"},                // comma is not a decimal point
		{"16kib", 0, "case-sensitive"},               // wrong case
		{"16kB", 0, "unknown unit"},                  // wrong case
		{"16KIB", 0, "unknown unit"},                 // wrong case
		{"1TiB", 0, "unknown unit"},                  // unit not supported
		{"16  KiB", 0, "unknown unit"},               // two spaces
		{"-1", 0, "must not be negative"},            // negative
		{"-1KiB", 0, "must not be negative"},         // negative with unit
		{"1.5B", 0, "not a whole number of bytes"},   // fractional byte
		{"0.3KiB", 0, "not a whole number of bytes"}, // 307.2 bytes
		{"8589934592GiB", 0, "too large"},            // 2^63 overflows
		{"9223372036854775808", 0, "too large"},      // 2^63 bytes
		{"1e3", 0, "unknown unit"},                   // no exponents
		{"0x10", 0, "unknown unit"},                  // no hex in strings
		{strings.Repeat("9", 100), 0, "too long"},    // long input
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSize(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSize(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSizeYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string // YAML scalar
		want    Size
		wantErr string
	}{
		{"512", 512, ""},                            // YAML integer
		{"0x400", 1024, ""},                         // YAML hex integer
		{`"512"`, 512, ""},                          // quoted number is bytes too
		{"64KiB", 64 << 10, ""},                     // plain string with unit
		{`"1MB"`, 1_000_000, ""},                    // quoted string with unit
		{"-5", 0, "must not be negative, got -5"},   // negative integer
		{"1.5", 0, "want a whole number of bytes"},  // YAML float
		{"18446744073709551615", 0, "out of range"}, // beyond int64
		{"true", 0, "expected a size"},              // boolean
		{"[1]", 0, "expected a size"},               // list
		{"!!binary AAAA", 0, "expected a size"},     // other tag
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var v struct {
				S Size `yaml:"s"`
			}
			err := yaml.Unmarshal([]byte("s: "+tt.in), &v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want error containing %q", v.S, err, tt.wantErr)
				}
				return
			}
			if err != nil || v.S != tt.want {
				t.Fatalf("got %d, %v; want %d", v.S, err, tt.want)
			}
		})
	}
}

func TestSizeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Size
		want string
	}{
		{0, "0B"},                               // zero
		{1, "1B"},                               // one byte
		{513, "513B"},                           // no unit divides it
		{1024, "1KiB"},                          // binary preferred
		{65536, "64KiB"},                        // the quickstart batch size
		{64 << 20, "64MiB"},                     // largest binary unit that divides
		{3 << 30, "3GiB"},                       // gibibytes
		{1000, "1KB"},                           // decimal when binary does not divide
		{1_000_000, "1MB"},                      // decimal mega
		{2_000_000_000, "2GB"},                  // decimal giga
		{1024000, "1000KiB"},                    // binary beats decimal
		{math.MaxInt64, "9223372036854775807B"}, // largest
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.want {
				t.Errorf("Size(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
			}
			back, err := ParseSize(tt.in.String())
			if err != nil || back != tt.in {
				t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.want, back, err, int64(tt.in))
			}
			j, err := json.Marshal(tt.in)
			if err != nil || string(j) != `"`+tt.want+`"` {
				t.Errorf("json.Marshal = %s, %v; want %q", j, err, tt.want)
			}
			var fromJSON Size
			if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != tt.in {
				t.Errorf("json.Unmarshal(%s) = %d, %v", j, fromJSON, err)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"5ms", 5 * time.Millisecond, ""},                           // milliseconds
		{"0s", 0, ""},                                               // zero with a unit
		{"0ms", 0, ""},                                              // zero in other unit
		{"1m30s", 90 * time.Second, ""},                             // compound
		{"1.5s", 1500 * time.Millisecond, ""},                       // fractional
		{"250us", 250 * time.Microsecond, ""},                       // micro
		{"-5ms", -5 * time.Millisecond, ""},                         // negative parses; Validate decides
		{"10", 0, `invalid duration "10" (use a unit, e.g. "10s")`}, // bare integer
		{"0", 0, `invalid duration "0" (use a unit, e.g. "0s")`},    // bare zero
		{"1.5", 0, `use a unit`},                                    // bare float
		{"1e999", 0, `use a unit`},                                  // bare out-of-range float
		{"", 0, "invalid duration"},                                 // empty
		{"soon", 0, "invalid duration"},                             // words
		{"5 ms", 0, "invalid duration"},                             // space
		{"5MS", 0, "invalid duration"},                              // units are case-sensitive
		{"9999999h", 0, "invalid duration"},                         // overflow
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.D() != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			j, err := json.Marshal(got)
			if err != nil || string(j) != `"`+tt.want.String()+`"` {
				t.Errorf("json.Marshal = %s, %v", j, err)
			}
			var back Duration
			if err := json.Unmarshal(j, &back); err != nil || back != got {
				t.Errorf("json.Unmarshal(%s) = %v, %v", j, back, err)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string // YAML scalar
		want    time.Duration
		wantErr string
	}{
		{"5ms", 5 * time.Millisecond, ""},                                   // plain
		{`"10s"`, 10 * time.Second, ""},                                     // quoted
		{"10", 0, `line 1: invalid duration "10" (use a unit, e.g. "10s")`}, // YAML int
		{"2.5", 0, "use a unit"},                                            // YAML float
		{"true", 0, "expected a duration"},                                  // boolean
		{"{a: 1}", 0, "expected a duration"},                                // mapping
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var v struct {
				D Duration `yaml:"d"`
			}
			err := yaml.Unmarshal([]byte("d: "+tt.in), &v)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, %v; want error containing %q", v.D, err, tt.wantErr)
				}
				return
			}
			if err != nil || v.D.D() != tt.want {
				t.Fatalf("got %v, %v; want %v", v.D, err, tt.want)
			}
		})
	}
}
