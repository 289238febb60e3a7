package report

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileAtomicRemovesStaleTemps: a temporary file left by a write
// killed before its rename is removed by the next write of that file, and
// temporary files of other names are left alone.
func TestWriteFileAtomicRemovesStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, ".result.json.tmp-123")
	other := filepath.Join(dir, ".other.tmp-1")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, "result.json"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another name's temp file was removed: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "result.json")); err != nil || string(b) != "{}" {
		t.Errorf("result %q, %v", b, err)
	}
}
