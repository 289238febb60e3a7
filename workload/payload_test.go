package workload

import (
	"bytes"
	"compress/flate"
	"sync"
	"testing"
)

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
			g, err := NewPayloadGen(Message{Size: tt.size}, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range []int64{0, 1, 2, 1 << 40, -1} {
				p := g.Payload(i)
				if p == nil || int64(len(p)) != tt.size.Bytes() || cap(p) != len(p) {
					t.Fatalf("Payload(%d): nil=%v len=%d cap=%d, want non-nil, len=cap=%d", i, p == nil, len(p), cap(p), tt.size)
				}
			}
		})
	}
}

func TestPayloadGenErrors(t *testing.T) {
	t.Parallel()
	for _, size := range []Size{-1, MaxMessageSize + 1} {
		if g, err := NewPayloadGen(Message{Size: size}, 1); err == nil {
			t.Errorf("NewPayloadGen(size %d) = %v, want error", size, g)
		}
	}
}

func TestPayloadGenDeterminism(t *testing.T) {
	t.Parallel()
	m := Message{Size: 512}
	a, _ := NewPayloadGen(m, 1)
	b, _ := NewPayloadGen(m, 1)
	c, _ := NewPayloadGen(m, 2)
	distinct := map[string]bool{}
	for i := range int64(1000) {
		if !bytes.Equal(a.Payload(i), b.Payload(i)) {
			t.Fatalf("same seed: Payload(%d) differs", i)
		}
		if bytes.Equal(a.Payload(i), c.Payload(i)) {
			t.Fatalf("seeds 1 and 2 give the same Payload(%d)", i)
		}
		distinct[string(a.Payload(i))] = true
	}
	// 1000 offsets among 2^20 collide with probability about 0.38; allow a few.
	if len(distinct) < 995 {
		t.Errorf("%d distinct payloads among 1000, want >= 995", len(distinct))
	}
}

// TestPayloadRandom checks the bytes look random: deflate cannot shrink them.
func TestPayloadRandom(t *testing.T) {
	t.Parallel()
	g, _ := NewPayloadGen(Message{Size: 64 << 10}, 1)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(g.Payload(0))
	w.Close()
	if buf.Len() < 64<<10 {
		t.Errorf("64KiB payload deflates to %d bytes; want incompressible", buf.Len())
	}
}

func TestPayloadGenConcurrent(t *testing.T) {
	t.Parallel()
	g, _ := NewPayloadGen(Message{Size: 100}, 3)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range int64(1000) {
				if len(g.Payload(i)) != 100 {
					t.Error("wrong length")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestPayloadGenAllocs(t *testing.T) {
	g, _ := NewPayloadGen(Message{Size: 512}, 1)
	i := int64(0)
	if a := testing.AllocsPerRun(1000, func() { _ = g.Payload(i); i++ }); a != 0 {
		t.Errorf("Payload allocates %v times per call, want 0", a)
	}
}

func BenchmarkPayload(b *testing.B) {
	g, _ := NewPayloadGen(Message{Size: 512}, 1)
	for i := range int64(b.N) {
		_ = g.Payload(i)
	}
}
