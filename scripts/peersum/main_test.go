package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadBare checks that barekgo's line is parsed and a file without it
// is an error.
func TestReadBare(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "barekgo.txt")
	if err := os.WriteFile(p, []byte("noise\nbarekgo msgs_per_sec=1000.5 mb_per_sec=0.11 records=8004 cpu_ns_per_record=900.0 failed=0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := readBare(p)
	if err != nil || s.msgs != 1000.5 || s.mb != 0.11 || s.cpu != 900 {
		t.Fatalf("readBare = %+v, %v", s, err)
	}
	if err := os.WriteFile(p, []byte("nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readBare(p); err == nil {
		t.Fatal("no barekgo line: no error")
	}
}

// TestStat checks median, min and max for odd and even counts.
func TestStat(t *testing.T) {
	if m, lo, hi := stat([]float64{3, 1, 2}); m != 2 || lo != 1 || hi != 3 {
		t.Fatalf("stat odd = %v %v %v", m, lo, hi)
	}
	if m, _, _ := stat([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Fatalf("stat even median = %v", m)
	}
}

// TestAppendRow checks that the row lands after the table's last row under
// the heading, and that a file without the heading is an error.
func TestAppendRow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "DESIGN.md")
	doc := "# x\n\n### Peer benchmark results\n\ntext\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nafter\n\n## next\n| z |\n"
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := appendRow(p, "| 3 | 4 |"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "| 1 | 2 |\n| 3 | 4 |\n\nafter") {
		t.Fatalf("row not appended to the table:\n%s", b)
	}
	if err := os.WriteFile(p, []byte("# none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := appendRow(p, "| 3 |"); err == nil {
		t.Fatal("no heading: no error")
	}
}
