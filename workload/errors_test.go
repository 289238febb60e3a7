package workload

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// baseYAML returns testdata/base.yaml, a valid scenario whose line numbers
// the error tests below rely on (line 2 is duration, 10 is
// rate.messages_per_second, 18 is producer.linger, 20 the last line).
func baseYAML(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces old, which must occur exactly once in s, by new.
func edit(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("edit: %q occurs %d times, want 1", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	base := baseYAML(t)
	const fields = "name, description, duration, messages, warmup, seed, topics, topic_selection, workers, producers, rate, message, keys, headers, producer, engine, verify, target, thresholds, slo, sweep"
	tests := []struct {
		name string
		old  string // text of base replaced by new; "" means data is new alone
		new  string
		want string // the whole Error()
	}{
		// a misspelt field gets the closest known name
		{"unknown field suggestion", "  linger: 5ms", "  lingr: 5ms",
			`scenarios/x.yaml:18: producer.lingr: unknown field (did you mean "linger"?)`},
		// a name far from every field lists the known ones
		{"unknown field list", "workers: 4", "bogus: 4",
			`scenarios/x.yaml:8: bogus: unknown field (want one of: ` + fields + `)`},
		// hyphens for underscores are close enough to suggest
		{"unknown field hyphens", "  max_batch_bytes: 64KiB", "  max-batch-bytes: 64KiB",
			`scenarios/x.yaml:19: producer.max-batch-bytes: unknown field (did you mean "max_batch_bytes"?)`},
		// validation error on a nested field carries its line
		{"negative rate", "messages_per_second: 20000", "messages_per_second: -5",
			`scenarios/x.yaml:10: rate.messages_per_second: must be positive, got -5`},
		// a bare number is not a duration
		{"bare duration", "duration: 10s", "duration: 10",
			`scenarios/x.yaml:2: duration: invalid duration "10" (use a unit, e.g. "10s")`},
		// a bare zero is not a duration either
		{"bare zero linger", "  linger: 5ms", "  linger: 0",
			`scenarios/x.yaml:18: producer.linger: invalid duration "0" (use a unit, e.g. "0s")`},
		// garbage duration
		{"bad duration", "warmup: 2s", "warmup: soon",
			`scenarios/x.yaml:3: warmup: invalid duration "soon" (want e.g. "500ms", "10s" or "1m30s")`},
		// string where an integer is expected
		{"string for int", "workers: 4", "workers: abc",
			`scenarios/x.yaml:8: workers: expected an integer, got string "abc"`},
		// float where an integer is expected
		{"float for int", "    partitions: 6", "    partitions: 6.5",
			`scenarios/x.yaml:7: topics[0].partitions: expected an integer, got number 6.5`},
		// integer beyond int64
		{"int overflow", "seed: 1", "seed: 0xffffffffffffffff",
			`scenarios/x.yaml:4: seed: integer "0xffffffffffffffff" is out of range`},
		// scalar where a mapping is expected
		{"scalar for mapping", "rate:\n  messages_per_second: 20000", "rate: fast",
			`scenarios/x.yaml:9: rate: expected a mapping, got string "fast"`},
		// mapping where a list is expected
		{"mapping for list", "topics:\n  - name: t1", "topics:\n    name: t1",
			`scenarios/x.yaml:6: topics: expected a list, got a mapping`},
		// list where a string is expected
		{"list for string", "name: base", "name: [a, b]",
			`scenarios/x.yaml:1: name: expected a string, got a list`},
		// duplicate top-level key names the first occurrence
		{"duplicate key", "warmup: 2s\n", "warmup: 2s\nduration: 20s\n",
			`scenarios/x.yaml:4: duration: duplicate key (first set at line 2)`},
		// duplicate nested key
		{"duplicate nested key", "  compression: lz4", "  compression: lz4\n  linger: 1ms",
			`scenarios/x.yaml:21: producer.linger: duplicate key (first set at line 18)`},
		// an empty value is null, not "unset"
		{"null value", "  linger: 5ms", "  linger:",
			`scenarios/x.yaml:18: producer.linger: missing value`},
		// merge keys would hide duplicates; they are rejected
		{"merge key", "seed: 1", "<<: {seed: 1}",
			`scenarios/x.yaml:4: "<<": merge keys are not supported`},
		// empty file
		{"empty file", "", "",
			`scenarios/x.yaml:1: yaml: empty file (want a mapping of scenario fields)`},
		// only comments
		{"comments only", "", "# nothing\n# here\n",
			`scenarios/x.yaml:1: yaml: empty file (want a mapping of scenario fields)`},
		// explicit null document
		{"null document", "", "---\n~\n",
			`scenarios/x.yaml:2: yaml: empty document (want a mapping of scenario fields)`},
		// top level is a list
		{"top-level list", "", "- a\n- b\n",
			`scenarios/x.yaml:1: yaml: the document must be a mapping of scenario fields, got a list`},
		// a second document is an error at its start
		{"multiple documents", "  compression: lz4\n", "  compression: lz4\n---\nname: b\n",
			`scenarios/x.yaml:21: yaml: more than one document (a scenario file holds exactly one)`},
		// YAML syntax error with the parser's line
		{"syntax error", "  size: 512", "  size: [512",
			`scenarios/x.yaml:12: yaml: did not find expected ',' or ']'`},
		// a parser (not scanner) error: yaml.v3's 0-based line is corrected
		{"bad indentation", "  linger: 5ms", " linger: 5ms",
			`scenarios/x.yaml:18: yaml: did not find expected key`},
		// an alias to an unknown anchor has no line from yaml.v3; we find it
		{"unknown anchor", "  acks: all", "  acks: *nope",
			`scenarios/x.yaml:17: yaml: unknown anchor 'nope' referenced`},
		// a control character has no line from yaml.v3; we find it
		{"control character", "  acks: all", "  acks: a\x01",
			`scenarios/x.yaml:17: yaml: control characters are not allowed`},
		// tab indentation: yaml.v3 names the previous scalar's line; we find the tab
		{"tab indentation", "  count: 1000", "\tcount: 1000",
			`scenarios/x.yaml:15: yaml: found a tab character that violates indentation`},
		// invalid UTF-8 has no line from the parser; we find it
		{"invalid utf-8", "  acks: all", "  acks: \xff",
			`scenarios/x.yaml:17: yaml: invalid leading UTF-8 octet`},
		// a required field that is absent points at the top level
		{"missing duration", "duration: 10s\n", "",
			`scenarios/x.yaml:1: duration: required: a duration (e.g. "60s") or a message count (messages: N)`},
		// a required nested field points at its block
		{"missing size", "message:\n  size: 512", "message: {}",
			`scenarios/x.yaml:11: message.size: required (bytes, e.g. 512 or "16KiB", or a distribution)`},
		// missing rate
		{"missing rate", "  messages_per_second: 20000", "  profile: constant",
			`scenarios/x.yaml:9: rate.messages_per_second: required for profile "constant" (its fields: messages_per_second)`},
		// missing name
		{"missing name", "name: base\n", "",
			`scenarios/x.yaml:1: name: required: 1 to 128 characters of letters, digits, '.', '_' and '-'`},
		// name must be a safe directory name
		{"unsafe name", "name: base", "name: ../etc",
			`scenarios/x.yaml:1: name: must contain only letters, digits, '.', '_' and '-', got "../etc"`},
		// ".." is made of allowed characters but is not a safe name
		{"dot-dot name", "name: base", `name: ".."`,
			`scenarios/x.yaml:1: name: must not be ".."`},
		// zero duration
		{"zero duration", "duration: 10s", "duration: 0s",
			`scenarios/x.yaml:2: duration: must be positive, got 0s`},
		// warmup must leave time to measure
		{"warmup too long", "warmup: 2s", "warmup: 10s",
			`scenarios/x.yaml:3: warmup: must be shorter than duration (10s), got 10s`},
		// negative warmup
		{"negative warmup", "warmup: 2s", "warmup: -1s",
			`scenarios/x.yaml:3: warmup: must not be negative, got -1s`},
		// no topics
		{"no topics", "topics:\n  - name: t1\n    partitions: 6", "topics: []",
			`scenarios/x.yaml:5: topics: at least one topic is required`},
		// zero partitions
		{"zero partitions", "    partitions: 6", "    partitions: 0",
			`scenarios/x.yaml:7: topics[0].partitions: must be at least 1, got 0`},
		// partitions absent
		{"missing partitions", "\n    partitions: 6", "",
			`scenarios/x.yaml:6: topics[0].partitions: required (at least 1)`},
		// bad topic name
		{"bad topic name", "  - name: t1", "  - name: a/b",
			`scenarios/x.yaml:6: topics[0].name: must contain only letters, digits, '.', '_' and '-', got "a/b"`},
		// duplicate topic names
		{"duplicate topic", "    partitions: 6", "    partitions: 6\n  - name: t1\n    partitions: 1",
			`scenarios/x.yaml:8: topics[1].name: duplicate topic "t1" (also topics[0])`},
		// workers 0 is not "default"
		{"zero workers", "workers: 4", "workers: 0",
			`scenarios/x.yaml:8: workers: must be between 1 and 65536, got 0`},
		// infinite rate
		{"infinite rate", "messages_per_second: 20000", "messages_per_second: .inf",
			`scenarios/x.yaml:10: rate.messages_per_second: must be a finite number, got +Inf`},
		// NaN rate
		{"nan rate", "messages_per_second: 20000", "messages_per_second: .nan",
			`scenarios/x.yaml:10: rate.messages_per_second: must be a finite number, got NaN`},
		// rate above the limit
		{"rate too high", "messages_per_second: 20000", "messages_per_second: 2e9",
			`scenarios/x.yaml:10: rate.messages_per_second: must be at most 1e+09, got 2e+09`},
		// unknown rate profile
		{"unknown profile", "rate:\n", "rate:\n  profile: zigzag\n",
			`scenarios/x.yaml:10: rate.profile: unknown profile "zigzag" (want constant, ramp, steps, sine, poisson or max)`},
		// size too large
		{"size too large", "  size: 512", "  size: 128MiB",
			`scenarios/x.yaml:12: message.size: must be between 0 and 64MiB, got 128MiB`},
		// negative size
		{"negative size", "  size: 512", "  size: -1",
			`scenarios/x.yaml:12: message.size: size must not be negative, got -1`},
		// fractional bytes
		{"fractional size", "  size: 512", "  size: 0.3KiB",
			`scenarios/x.yaml:12: message.size: size "0.3KiB" is not a whole number of bytes`},
		// units are case-sensitive
		{"lowercase unit", "  size: 512", "  size: 16kib",
			`scenarios/x.yaml:12: message.size: unknown unit "kib" in size "16kib" (want B, KB, MB, GB, KiB, MiB or GiB; units are case-sensitive)`},
		// uniform keys need a count; the error points at the keys block
		{"missing key count", "\n  count: 1000", "",
			`scenarios/x.yaml:13: keys.count: required for distribution "uniform" (its fields: count, optional format)`},
		// unknown key distribution
		{"unknown distribution", "distribution: uniform", "distribution: pareto",
			`scenarios/x.yaml:14: keys.distribution: unknown distribution "pareto" (want none, round_robin, uniform, zipf, hotspot or sequential)`},
		// producer option parsed by the producer package
		{"bad acks", "  acks: all", "  acks: most",
			`scenarios/x.yaml:17: producer.acks: unknown acks "most" (want all, leader or none)`},
		// bad codec
		{"bad compression", "  compression: lz4", "  compression: brotli",
			`scenarios/x.yaml:20: producer.compression: unknown compression "brotli" (want none, gzip, snappy, lz4, zstd or zlib)`},
		// producer.Config.Validate errors land on the producer field's line
		{"negative linger", "  linger: 5ms", "  linger: -5ms",
			`scenarios/x.yaml:18: producer.linger: must not be negative, got -5ms`},
		// batch bytes below the producer's minimum
		{"small batch bytes", "  max_batch_bytes: 64KiB", "  max_batch_bytes: 100",
			`scenarios/x.yaml:19: producer.max_batch_bytes: must be at least 128, got 100`},
		// in-flight 0
		{"zero in flight", "  compression: lz4", "  compression: lz4\n  max_in_flight: 0",
			`scenarios/x.yaml:21: producer.max_in_flight: must be at least 1, got 0`},
		// zero timeout
		{"zero timeout", "  compression: lz4", "  compression: lz4\n  request_timeout: 0s",
			`scenarios/x.yaml:21: producer.request_timeout: must be positive, got 0s`},
		// an alias expansion bomb stops at the node budget (5 nodes per
		// topic after 11 for the fields before; the line is the anchor's)
		{"alias bomb", "  - name: t1\n    partitions: 6",
			"  - &t {name: t1, partitions: 6}" + strings.Repeat("\n  - *t", 40000),
			`scenarios/x.yaml:6: topics[19997].partitions: too many nodes (more than 100000, counting alias expansions)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := tt.new
			if tt.old != "" {
				data = edit(t, base, tt.old, tt.new)
			}
			s, err := Parse("scenarios/x.yaml", []byte(data))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error %q", s, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %q is not an *Error", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	for want, e := range map[string]Error{
		"a.yaml:3: rate: bad":        {File: "a.yaml", Line: 3, Field: "rate", Msg: "bad"},    // all parts
		"workers: bad":               {Field: "workers", Msg: "bad"},                          // built in code: no file, no line
		"a.yaml:1: yaml: empty file": {File: "a.yaml", Line: 1, Msg: "yaml: empty file"},      // file-level error without a field
		"a.yaml:2: f: x y z":         {File: "a.yaml", Line: 2, Field: "f", Msg: "x\ny\r\nz"}, // line breaks never split the error
	} {
		if got := e.Error(); got != want {
			t.Errorf("%#v.Error() = %q, want %q", e, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	known := []string{"acks", "linger", "max_batch_bytes", "max_batch_messages", "compression", "max_in_flight", "request_timeout"}
	tests := []struct {
		key, want string
	}{
		{"lingr", `did you mean "linger"?`},                         // one deletion
		{"Linger", `did you mean "linger"?`},                        // case only
		{"compresion", `did you mean "compression"?`},               // one deletion in a long name
		{"max_batch_mesages", `did you mean "max_batch_messages"?`}, // one deletion
		{"requesttimeout", `did you mean "request_timeout"?`},       // missing underscore
		{"ack", `did you mean "acks"?`},                             // short name, one edit
		{"xyz", "want one of: " + strings.Join(known, ", ")},        // nothing close
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			if got := suggest(tt.key, known); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}
