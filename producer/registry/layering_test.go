package registry_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/prodbench/prodbench/"

// systemPackages are the target systems' packages: none may import
// another, and cmd imports them only in systems.go. A system's own
// subpackages (kafka/kafkasys) and its engines (franz for kafka) belong
// to it.
var systemPackages = map[string]string{
	"producer/kafka":          "kafka",
	"producer/kafka/kafkasys": "kafka",
	"producer/kafka/wire":     "wire",
	"producer/franz":          "kafka",
	"producer/sim":            "sim",
	"producer/nats":           "nats",
	"producer/pulsar":         "pulsar",
	"producer/pulsarws":       "pulsarws",
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "../../...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	return pkgs
}

func internal(deps []string) []string {
	var out []string
	for _, d := range deps {
		if strings.HasPrefix(d, module) {
			out = append(out, strings.TrimPrefix(d, module))
		}
	}
	return out
}

func under(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }

// TestLayering enforces DESIGN.md's dependency rules on the non-test
// imports of every package.
func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	for name, p := range pkgs {
		deps := internal(p.Deps)
		for _, d := range deps {
			switch {
			// The core imports no system, no workload, no report.
			case name == "producer" && d != "producer":
				t.Errorf("the producer core imports %s", d)
			// workload imports no report and no system.
			case under(name, "workload") && (under(d, "report") || systemPackages[d] != ""):
				t.Errorf("%s imports %s", name, d)
			// report imports no producer package (no transport).
			case under(name, "report") && under(d, "producer"):
				t.Errorf("%s imports %s", name, d)
			// no system imports another system (shared wire code aside).
			case systemPackages[name] != "" && systemPackages[d] != "" && systemPackages[d] != "wire" &&
				systemPackages[d] != systemPackages[name]:
				t.Errorf("system package %s imports %s (system %s)", name, d, systemPackages[d])
			}
		}
		if under(name, "workload") {
			for _, d := range p.Deps {
				if strings.Contains(d, "franz-go") {
					t.Errorf("%s imports %s", name, d)
				}
			}
		}
	}
}

// TestCmdNamesNoSystem checks that cmd/prodbench imports system packages
// in systems.go alone.
func TestCmdNamesNoSystem(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{range .GoFiles}}{{$.Dir}}/{{.}} {{end}}`, "../../cmd/prodbench").Output()
	if err != nil {
		t.Fatal(err)
	}
	files := strings.Fields(string(out))
	if len(files) < 3 {
		t.Fatalf("found %d files", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "/systems.go") {
			continue
		}
		imports := goImports(t, f)
		for _, imp := range imports {
			if sys := systemPackages[strings.TrimPrefix(imp, module)]; sys != "" {
				t.Errorf("%s imports system package %s; only systems.go may", f, imp)
			}
		}
	}
	if !slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, "/systems.go") }) {
		t.Error("cmd/prodbench/systems.go is missing")
	}
}
