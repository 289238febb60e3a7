package report

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Lines of the Go benchmark format (golang.org/design/14313-benchmark-format,
// as golang.org/x/perf/benchfmt reads it): configuration lines "key: value"
// (key starts lower case, no spaces or upper case), unit metadata lines
// "Unit unit key=value...", and result lines "BenchmarkName iterations
// value unit...", the name going on with an upper-case letter.
var (
	gbConfig = regexp.MustCompile(`^\p{Ll}[^\s\p{Lu}:]*: \S.*$`)
	gbUnit   = regexp.MustCompile(`^Unit \S+( [^\s=]+=\S+)+$`)
	gbResult = regexp.MustCompile(`^Benchmark(\p{Lu}\S*)? +[0-9]+( +\S+ +\S+)+$`)
)

// parseGobench checks out line by line against the format and returns the
// values of the result lines by unit, plus the config seen before each.
func parseGobench(t *testing.T, out string) (results []map[string]float64, configs []map[string]string) {
	t.Helper()
	cfg := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "Benchmark"):
			if !gbResult.MatchString(line) {
				t.Fatalf("line %d %q is not a benchmark result line", i+1, line)
			}
			f := strings.Fields(line)
			if len(f)%2 != 0 || len(f) < 4 {
				t.Fatalf("line %d has %d fields, want an even number ≥ 4", i+1, len(f))
			}
			if strings.Contains(f[0][len("Benchmark"):], "-") {
				t.Errorf("name %q has a dash (read as -GOMAXPROCS)", f[0])
			}
			vals := map[string]float64{}
			for k := 2; k < len(f); k += 2 {
				v, err := strconv.ParseFloat(f[k], 64)
				if err != nil {
					t.Fatalf("line %d value %q: %v", i+1, f[k], err)
				}
				if _, dup := vals[f[k+1]]; dup {
					t.Errorf("line %d repeats unit %s", i+1, f[k+1])
				}
				vals[f[k+1]] = v
			}
			vals["name:"+f[0]] = 1
			results = append(results, vals)
			c := map[string]string{}
			for k, v := range cfg {
				c[k] = v
			}
			configs = append(configs, c)
		case strings.HasPrefix(line, "Unit "):
			if !gbUnit.MatchString(line) {
				t.Fatalf("line %d %q is not a unit metadata line", i+1, line)
			}
		case strings.HasPrefix(line, "# "):
			// a comment: benchfmt ignores it
		default:
			if !gbConfig.MatchString(line) {
				t.Fatalf("line %d %q is neither config, unit nor result", i+1, line)
			}
			k, v, _ := strings.Cut(line, ": ")
			cfg[k] = v
		}
	}
	return results, configs
}

func TestWriteGobench(t *testing.T) {
	t.Parallel()
	vs := variants(t)
	var buf bytes.Buffer
	if err := WriteGobench(&buf, []*Result{vs["complete"], vs["v1"], vs["saturated"]}, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	results, configs := parseGobench(t, buf.String())
	if len(results) != 3 {
		t.Fatalf("%d result lines, want 3:\n%s", len(results), buf.String())
	}
	c := vs["complete"]
	for unit, want := range map[string]float64{
		"name:BenchmarkSteady1k": 1, "msgs/s": 1998, "MB/s": 1.998, "failed-msgs": 16,
		"p99-ns": float64(c.Latency.P99Ns), "max-ns": float64(c.Latency.MaxNs),
		"service-p99-ns": float64(c.ServiceTime.P99Ns), "lag-p99-ns": float64(c.ScheduleLag.P99Ns),
		"compression-ratio": 3.195, "wire-MB/s": 0.627,
	} {
		if got, ok := results[0][unit]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", unit, got, ok, want)
		}
	}
	if _, ok := results[1]["service-p99-ns"]; ok {
		t.Error("schema 1 run reports a service time it never recorded")
	}
	if configs[0]["run"] != "a" || configs[1]["run"] != "b" || configs[0]["commit"] == "" {
		t.Errorf("configs %v", configs)
	}
	// benchstat splits tables on configuration keys that differ between
	// results: apart from the labels asked for, every run of one file
	// carries the same configuration (issue 15: per-run status and
	// generator-saturated lines split the tables).
	for i, c := range configs {
		for k, v := range c {
			if k != "run" && configs[0][k] != v {
				t.Errorf("run %d config %s = %q, run 1 has %q: benchstat would split on it", i+1, k, v, configs[0][k])
			}
		}
		if _, ok := c["status"]; ok {
			t.Errorf("run %d has a status config line", i+1)
		}
	}
	if !strings.Contains(buf.String(), "generator-saturated true") || !strings.Contains(buf.String(), "benchstat a.txt b.txt") {
		t.Errorf("per-run comments or header missing:\n%s", buf.String())
	}
	if err := WriteGobench(&buf, []*Result{nil}, nil); err == nil {
		t.Error("nil result accepted")
	}
}

func TestGobenchName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"quickstart", "BenchmarkQuickstart"}, // capitalised
		{"steady-1k", "BenchmarkSteady1k"},    // dash dropped, digits kept
		{"a.b_c-d", "BenchmarkABCD"},          // every separator starts a word
		{"1k-burst", "BenchmarkX1kBurst"},     // must go on with an upper-case letter
		{"", "BenchmarkUnnamed"},              // no name
		{"---", "BenchmarkUnnamed"},           // nothing usable
		{"héllo wörld", "BenchmarkHLloWRld"},  // non-ASCII dropped
		{"MixedCase", "BenchmarkMixedCase"},   // kept
	}
	for _, tc := range tests {
		got := GobenchName(tc.in)
		if got != tc.want {
			t.Errorf("GobenchName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !gbResult.MatchString(got + " 1 1 x") {
			t.Errorf("%q does not make a valid result line", got)
		}
	}
}
