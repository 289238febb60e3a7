package workload

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbiddenImport reports why workload must not import path, or "".
func forbiddenImport(path string) string {
	switch {
	case path == "github.com/prodbench/prodbench/report" || strings.HasPrefix(path, "github.com/prodbench/prodbench/report/"):
		return "workload records through Observer, not a report package"
	case strings.HasPrefix(path, "github.com/twmb/franz-go"):
		return "workload names no target system's client library"
	case strings.HasPrefix(path, "github.com/prodbench/prodbench/producer/") && path != "github.com/prodbench/prodbench/producer/registry":
		return "workload names no target system"
	case path == "github.com/prodbench/prodbench/cmd" || strings.HasPrefix(path, "github.com/prodbench/prodbench/cmd/"):
		return "workload is a library"
	}
	return ""
}

// TestImportRules checks the dependency rules of issue 11 on workload's
// own files and on everything they import, transitively: no report
// package, no franz-go package, no system package. target.go is the one
// exception while it still classifies Kafka error codes with kerr (it
// moves to the system registry; delete the exception with it).
func TestImportRules(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := filepath.Glob("*/*.go")
	files = append(files, sub...)
	direct := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if why := forbiddenImport(p); why != "" {
				if f == "target.go" && strings.HasPrefix(p, "github.com/twmb/franz-go") {
					continue
				}
				t.Errorf("%s imports %s: %s", f, p, why)
			}
			if strings.Contains(p, ".") {
				direct[p] = true
			}
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command for the transitive check:", err)
	}
	for p := range direct {
		if strings.HasPrefix(p, "github.com/twmb/franz-go") || strings.HasPrefix(p, "github.com/prodbench/prodbench/workload") {
			continue // target.go's exception; workload's own packages are parsed above
		}
		out, err := exec.Command(goBin, "list", "-deps", p).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if why := forbiddenImport(dep); why != "" {
				t.Errorf("workload imports %s, which imports %s: %s", p, dep, why)
			}
		}
	}
}
