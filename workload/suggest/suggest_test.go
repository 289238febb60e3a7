package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"linger", "linegr", 2},
		{"flaw", "lawn", 2},
		{"same", "same", 0},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"linger", "batch_size", "acks"}
	if best, d := Closest("LINGR", known); best != "linger" || d != 1 {
		t.Errorf("Closest(LINGR) = %q, %d; want linger, 1", best, d)
	}
	if best, d := Closest("ack", known); best != "acks" || d != 1 {
		t.Errorf("Closest(ack) = %q, %d; want acks, 1", best, d)
	}
	if best, d := Closest("x", nil); best != "" || d != -1 {
		t.Errorf("Closest with no names = %q, %d; want \"\", -1", best, d)
	}
	if best, _ := Closest("ab", []string{"xy", "ay"}); best != "ay" {
		t.Errorf("Closest(ab) = %q, want ay", best)
	}
}
