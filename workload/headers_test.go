package workload

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/prodbench/prodbench/producer"
)

// TestHeaderGen checks header counts (uniform over the range: chi-square),
// keys from the format, value sizes within the distribution's bounds,
// determinism and no allocation.
func TestHeaderGen(t *testing.T) {
	t.Parallel()
	h := &Headers{Count: Range{1, 4}, KeyFormat: "x-%02d", ValueSize: SizeSpec{Distribution: SizeUniform, Min: 3, Max: 9}}
	g, err := NewHeaderGen(h, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g.MaxCount() != 4 {
		t.Fatalf("MaxCount = %d, want 4", g.MaxCount())
	}
	g2, _ := NewHeaderGen(h, 1)
	const n = 100_000
	counts := make([]int, 4)
	dst := make([]producer.Header, 0, 4)
	dst2 := make([]producer.Header, 0, 4)
	for i := range int64(n) {
		hs := g.Headers(i, dst)
		counts[len(hs)-1]++
		for j, hd := range hs {
			if want := "x-0" + string(rune('0'+j)); hd.Key != want || len(hd.Value) < 3 || len(hd.Value) > 9 {
				t.Fatalf("message %d header %d = %q (%d B), want key %q and 3..9 B", i, j, hd.Key, len(hd.Value), want)
			}
		}
		hs2 := g2.Headers(i, dst2)
		if len(hs2) != len(hs) {
			t.Fatalf("same seed: message %d has %d and %d headers", i, len(hs), len(hs2))
		}
		for j := range hs {
			if !bytes.Equal(hs[j].Value, hs2[j].Value) {
				t.Fatalf("same seed: message %d header %d differs", i, j)
			}
		}
	}
	checkChiSquare(t, "header counts", counts, []float64{n / 4, n / 4, n / 4, n / 4})
}

func TestHeaderGenAllocs(t *testing.T) {
	g, _ := NewHeaderGen(&Headers{Count: Range{1, 4}, ValueSize: SizeSpec{Distribution: SizeUniform, Min: 3, Max: 9}}, 1)
	dst := make([]producer.Header, 0, g.MaxCount())
	checkNoAllocs(t, "Headers", func(i int64) { _ = g.Headers(i, dst) })
}

// TestHeaderGenNone: no headers block, or count 0, gives no headers.
func TestHeaderGenNone(t *testing.T) {
	t.Parallel()
	for _, h := range []*Headers{nil, {Count: Range{0, 0}}} {
		g, err := NewHeaderGen(h, 1)
		if err != nil || g.MaxCount() != 0 || len(g.Headers(5, nil)) != 0 {
			t.Errorf("NewHeaderGen(%v) = %v, %v", h, g, err)
		}
	}
	if _, err := NewHeaderGen(&Headers{Count: Range{3, 1}}, 1); err == nil {
		t.Error("a reversed count range was accepted")
	}
}

// TestTopicGenWeights checks weighted topic choice by chi-square over
// 10^6 messages and that one topic and fanout never draw.
func TestTopicGenWeights(t *testing.T) {
	t.Parallel()
	s := &Scenario{Seed: 9, Topics: []Topic{{Name: "a", Weight: 1}, {Name: "b", Weight: 2}, {Name: "c"}, {Name: "d", Weight: 6}}}
	g := NewTopicGen(s)
	const n = 1_000_000
	counts := make([]int, 4)
	for i := range int64(n) {
		counts[g.Topic(i)]++
	}
	w := []float64{1, 2, 1, 6} // c's weight 0 in code means 1
	exp := make([]float64, 4)
	for j := range exp {
		exp[j] = w[j] / 10 * n
	}
	checkChiSquare(t, "topics", counts, exp)
	s.TopicSelection = TopicSelectionFanout
	if g := NewTopicGen(s); !g.Fanout() || g.Topic(12345) != 0 || len(g.Names()) != 4 {
		t.Errorf("fanout TopicGen: fanout %v topic %d names %v", g.Fanout(), g.Topic(12345), g.Names())
	}
}

// TestScalarOrJSON checks that Range and SizeSpec read both of their JSON
// forms, and null as the zero block.
func TestScalarOrJSON(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]any{
		`3`:                 Range{3, 3},
		`{"min":1,"max":4}`: Range{1, 4},
		`null`:              Range{},
		`"1KiB"`:            FixedSize(1024),
		`512`:               FixedSize(512),
		`{"distribution":"uniform","min":"1B","max":"2KiB"}`: SizeSpec{Distribution: SizeUniform, Min: 1, Max: 2048},
	} {
		got := reflect.New(reflect.TypeOf(want))
		if err := json.Unmarshal([]byte(in), got.Interface()); err != nil || !reflect.DeepEqual(got.Elem().Interface(), want) {
			t.Errorf("json.Unmarshal(%s) into %T = %+v, %v; want %+v", in, want, got.Elem().Interface(), err, want)
		}
	}
	var sp SizeSpec
	if err := json.Unmarshal([]byte(`null`), &sp); err != nil || !reflect.DeepEqual(sp, SizeSpec{}) {
		t.Errorf("json.Unmarshal(null) into SizeSpec = %+v, %v; want the zero SizeSpec", sp, err)
	}
	for _, in := range []string{`"x"`, `{"min":"x"}`} {
		if err := json.Unmarshal([]byte(in), new(Range)); err == nil {
			t.Errorf("json.Unmarshal(%s) into Range succeeded", in)
		}
	}
}
