package workload

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// payloadScenario returns a valid scenario with message m, read from a
// file in dir (so relative payload paths resolve there).
func payloadScenario(t *testing.T, m Message, dir string) *Scenario {
	t.Helper()
	s := &Scenario{Name: "p", Duration: Duration(time.Second), Workers: 1, Seed: 1,
		Topics: []Topic{{Name: "t", Partitions: 1}}, Rate: Rate{MessagesPerSecond: 10}, Message: m}
	if dir != "" {
		s.File = filepath.Join(dir, "scenario.yaml")
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

func newPayloads(t *testing.T, m Message, seed int64) PayloadGen {
	t.Helper()
	s := payloadScenario(t, m, "")
	s.Seed = seed
	g, err := NewPayloadGen(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// deflated returns the DEFLATE size of b: a compressibility measure.
func deflated(b []byte) int {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func TestPayloadGenSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size Size
	}{
		{"empty", 0},                // empty, non-nil values
		{"one byte", 1},             // smallest non-empty
		{"quickstart", 512},         // typical
		{"large", 1 << 20},          // as large as the offset window
		{"maximum", MaxMessageSize}, // the limit
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, kind := range []string{PayloadRandom, PayloadZeros, PayloadRandomRatio, PayloadText} {
				if tt.size == MaxMessageSize && kind != PayloadRandom {
					continue // one 64 MiB pool is enough
				}
				p := Payload{Kind: kind}
				if kind == PayloadRandomRatio {
					p.Ratio, p.PoolSize = 0.5, 4
				}
				g := newPayloads(t, Message{Size: FixedSize(tt.size), Payload: p}, 1)
				for _, i := range []int64{0, 1, 2, 1 << 40} {
					v := g.Payload(i)
					if v == nil || int64(len(v)) != tt.size.Bytes() || cap(v) != len(v) {
						t.Fatalf("%s Payload(%d): nil=%v len=%d cap=%d, want non-nil, len=cap=%d", kind, i, v == nil, len(v), cap(v), tt.size)
					}
				}
			}
		})
	}
}

// TestPayloadCompressibility checks each kind's content through DEFLATE:
// random bytes do not shrink; random_ratio r shrinks to about r of the
// size; text to under half; zeros to almost nothing.
func TestPayloadCompressibility(t *testing.T) {
	t.Parallel()
	const size = 64 << 10
	tests := []struct {
		name     string
		payload  Payload
		min, max float64 // accepted compressed/original ratio
	}{
		{"random", Payload{Kind: PayloadRandom}, 0.99, 1.01},                     // incompressible
		{"ratio 0.5", Payload{Kind: PayloadRandomRatio, Ratio: 0.5}, 0.49, 0.52}, // random half
		{"ratio 0.1", Payload{Kind: PayloadRandomRatio, Ratio: 0.1}, 0.09, 0.12}, // random tenth
		{"ratio 0", Payload{Kind: PayloadRandomRatio, Ratio: 0}, 0, 0.01},        // all zeros
		{"text", Payload{Kind: PayloadText}, 0.2, 0.45},                          // prose-like
		{"zeros", Payload{Kind: PayloadZeros}, 0, 0.01},                          // nothing
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newPayloads(t, Message{Size: FixedSize(size), Payload: tt.payload}, 1)
			r := float64(deflated(g.Payload(3))) / size
			if r < tt.min || r > tt.max {
				t.Errorf("deflate ratio %.3f, want [%.2f, %.2f]", r, tt.min, tt.max)
			}
		})
	}
}

// TestPayloadRandomRatio checks OMB's shape exactly: floor(ratio·size)
// non-zero-looking bytes, then zeros, for varying sizes.
func TestPayloadRandomRatio(t *testing.T) {
	t.Parallel()
	g := newPayloads(t, Message{Size: SizeSpec{Distribution: SizeUniform, Min: 10, Max: 5000},
		Payload: Payload{Kind: PayloadRandomRatio, Ratio: 0.3, PoolSize: 50}}, 2)
	for i := range int64(2000) {
		v := g.Payload(i)
		k := int(0.3 * float64(len(v)))
		if bytes.Count(v[k:], []byte{0}) != len(v)-k {
			t.Fatalf("Payload(%d) (len %d): bytes after the first %d are not all zero", i, len(v), k)
		}
		if k >= 16 && bytes.Count(v[:k], []byte{0}) > k/8 {
			t.Fatalf("Payload(%d): the random prefix has %d zeros of %d", i, bytes.Count(v[:k], []byte{0}), k)
		}
	}
}

// TestPayloadText checks that text payloads are made of the words.
func TestPayloadText(t *testing.T) {
	t.Parallel()
	sep := ""
	letters := strings.Split("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "")
	g := newPayloads(t, Message{Size: FixedSize(100), Payload: Payload{Kind: PayloadText, Words: letters, Separator: &sep}}, 1)
	seen := map[byte]bool{}
	for i := range int64(100) {
		for _, c := range g.Payload(i) {
			if c < 'A' || c > 'Z' {
				t.Fatalf("perf-test payload byte %q is not an upper-case letter", c)
			}
			seen[c] = true
		}
	}
	if len(seen) != 26 {
		t.Errorf("%d distinct letters, want 26", len(seen))
	}
	g = newPayloads(t, Message{Size: FixedSize(4000), Payload: Payload{Kind: PayloadText}}, 1)
	known := map[string]bool{}
	for _, w := range defaultWords {
		known[w] = true
	}
	words := strings.Fields(string(g.Payload(7)))
	for _, w := range words[:len(words)-1] { // the last may be cut
		if !known[w] {
			t.Fatalf("word %q is not in the built-in list", w)
		}
	}
}

// TestPayloadJSON checks that records are valid JSON with the template's
// fields, sequence j in record j, and that message i carries record i mod
// pool_size.
func TestPayloadJSON(t *testing.T) {
	t.Parallel()
	tmpl := `{"seq": {{seq}}, "ts": {{timestamp}}, "n": {{int -5 5}}, "s": "{{string 3 6}}", "e": "{{enum a b}}", "id": "{{uuid}}"}`
	g := newPayloads(t, Message{Payload: Payload{Kind: PayloadJSON, Template: tmpl, PoolSize: 100}}, 1)
	for i := range int64(250) {
		var rec struct {
			Seq, TS, N int64
			S, E, ID   string
		}
		if err := json.Unmarshal(g.Payload(i), &rec); err != nil {
			t.Fatalf("Payload(%d) = %s: %v", i, g.Payload(i), err)
		}
		if rec.Seq != i%100 || rec.TS != templateEpochMs+i%100 || rec.N < -5 || rec.N > 5 ||
			len(rec.S) < 3 || len(rec.S) > 6 || rec.E != "a" && rec.E != "b" || len(rec.ID) != 36 || rec.ID[14] != '4' {
			t.Fatalf("Payload(%d) = %+v", i, rec)
		}
	}
}

// TestPayloadFiles checks payload files: one message per file (globs),
// one file split on a delimiter, one whole file, relative to the scenario
// file, and errors that name the field.
func TestPayloadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, content := range map[string]string{"a.json": `{"a":1}`, "b.json": `{"b":22}`, "lines.txt": "one\ntwo\n\nthree\n", "c.bin": "xyz"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nl := "\n"
	tests := []struct {
		name    string
		payload Payload
		want    []string // the distinct payloads
	}{
		{"glob", Payload{Kind: PayloadFile, Files: []string{"*.json"}}, []string{`{"a":1}`, `{"b":22}`}},          // one per file
		{"list", Payload{Kind: PayloadFile, Files: []string{"c.bin", "a.json"}}, []string{"xyz", `{"a":1}`}},      // explicit
		{"split", Payload{Kind: PayloadFile, File: "lines.txt", Delimiter: &nl}, []string{"one", "two", "three"}}, // perf-test
		{"whole", Payload{Kind: PayloadFile, File: "c.bin"}, []string{"xyz"}},                                     // OMB payloadFile
		{"absolute", Payload{Kind: PayloadFile, File: filepath.Join(dir, "c.bin")}, []string{"xyz"}},              // absolute path
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := payloadScenario(t, Message{Payload: tt.payload}, dir)
			g, err := NewPayloadGen(s)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for i := range int64(3000) {
				seen[string(g.Payload(i))]++
			}
			if len(seen) != len(tt.want) {
				t.Fatalf("payloads %v, want %v", seen, tt.want)
			}
			for _, w := range tt.want {
				if n := seen[w]; n < 3000/len(tt.want)*8/10 {
					t.Errorf("payload %q drawn %d times of 3000, want about %d", w, n, 3000/len(tt.want))
				}
			}
		})
	}
	for _, tc := range []struct {
		payload Payload
		want    string
	}{
		{Payload{Kind: PayloadFile, Files: []string{"a.json", "*.nothing"}}, "message.payload.files[1]: no file matches"},
		{Payload{Kind: PayloadFile, File: "missing.txt"}, "message.payload.file: stat "},
	} {
		s := payloadScenario(t, Message{Payload: tc.payload}, dir)
		_, err := NewPayloadGen(s)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewPayloadGen(%+v) = %v, want an *Error containing %q", tc.payload, err, tc.want)
		}
	}
}

// TestPayloadGenDeterminism: same seed, same payloads; another seed,
// others; and values differ from message to message.
func TestPayloadGenDeterminism(t *testing.T) {
	t.Parallel()
	for _, p := range []Payload{{Kind: PayloadRandom}, {Kind: PayloadRandomRatio, Ratio: 0.5}, {Kind: PayloadText},
		{Kind: PayloadJSON, Template: `{"x": "{{string 20}}"}`}} {
		m := Message{Payload: p}
		if p.sized() {
			m.Size = SizeSpec{Distribution: SizeUniform, Min: 400, Max: 600}
		}
		a, b, c := newPayloads(t, m, 1), newPayloads(t, m, 1), newPayloads(t, m, 2)
		distinct := map[string]bool{}
		for i := range int64(1000) {
			if !bytes.Equal(a.Payload(i), b.Payload(i)) {
				t.Fatalf("%s same seed: Payload(%d) differs", p.Kind, i)
			}
			if bytes.Equal(a.Payload(i), c.Payload(i)) {
				t.Fatalf("%s: seeds 1 and 2 give the same Payload(%d)", p.Kind, i)
			}
			distinct[string(a.Payload(i))] = true
		}
		if len(distinct) < 990 {
			t.Errorf("%s: %d distinct payloads among 1000, want >= 990", p.Kind, len(distinct))
		}
	}
}

func TestPayloadGenConcurrent(t *testing.T) {
	t.Parallel()
	g := newPayloads(t, Message{Size: SizeSpec{Distribution: SizeNormal, Mean: 100, Stddev: 10}}, 3)
	want := make([][]byte, 1000)
	for i := range want {
		want[i] = g.Payload(int64(i))
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range want {
				if !bytes.Equal(g.Payload(int64(i)), want[i]) {
					t.Error("concurrent Payload differs")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestPayloadGenAllocs(t *testing.T) {
	for _, p := range []Payload{{Kind: PayloadRandom}, {Kind: PayloadZeros}, {Kind: PayloadRandomRatio, Ratio: 0.5},
		{Kind: PayloadText}, {Kind: PayloadJSON, Template: `{"a": {{seq}}}`}} {
		m := Message{Payload: p}
		if p.sized() {
			m.Size = SizeSpec{Distribution: SizeLognormal, Median: 100, P99: 1000}
		}
		g := newPayloads(t, m, 1)
		checkNoAllocs(t, p.Kind+": Payload", func(i int64) { _ = g.Payload(i) })
	}
}

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

func BenchmarkPayload(b *testing.B) {
	for _, p := range []Payload{{Kind: PayloadRandom}, {Kind: PayloadRandomRatio, Ratio: 0.5}, {Kind: PayloadText}} {
		b.Run(p.Kind, func(b *testing.B) {
			s := &Scenario{Seed: 1, Message: Message{Size: FixedSize(512), Payload: p}}
			g, err := NewPayloadGen(s)
			if err != nil {
				b.Fatal(err)
			}
			for i := range int64(b.N) {
				_ = g.Payload(i)
			}
		})
	}
}
