package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidate runs prodbench validate on shipped and broken scenarios.
func TestValidate(t *testing.T) {
	t.Parallel()
	shipped, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(shipped) < 7 {
		t.Fatalf("scenarios: %v %v", shipped, err)
	}
	for _, path := range shipped {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(context.Background(), "validate", path)
			if code != exitOK || errOut != "" || !strings.HasPrefix(out, path+": valid\n") || !strings.Contains(out, "\nrate:") {
				t.Errorf("validate %s: exit %d\nstdout:\n%s\nstderr:\n%s", path, code, out, errOut)
			}
		})
	}
	for _, tc := range []struct {
		name     string
		args     func(t *testing.T) []string
		code     int
		contains []string // in stdout for exit 0, else stderr
	}{
		// the plan of the quickstart: count, bytes and the rate table
		{"plan", func(*testing.T) []string { return []string{"validate", "../../scenarios/quickstart.yaml"} }, exitOK,
			[]string{"messages:    200000, 160000 after warmup", "values 102.400 MB", "rate over time", "    0s  500ms       20000.0  20000.0     10000"}},
		// a steps profile gets a row per step
		{"steps", func(*testing.T) []string { return []string{"validate", "../../scenarios/bursty-steps.yaml"} }, exitOK,
			[]string{"    4s    5s       50000.0  50000.0     50000"}},
		// a closed loop says so
		{"closed loop", func(*testing.T) []string { return []string{"validate", "../../scenarios/max-throughput.yaml"} }, exitOK,
			[]string{"closed loop"}},
		// a sweep lists its points
		{"sweep", func(*testing.T) []string {
			return []string{"validate", writeScenario(t, string(mustRead(t, "testdata/short.yaml"))+
				"sweep:\n  params:\n    producer.linger: [0ms, 5ms]\n    rate.messages_per_second: [1000, 3000]\n")}
		}, exitOK, []string{"sweep: product, 4 points", "producer.linger=5ms,rate.messages_per_second=3000  3600"}},
		// a misspelt field: file:line and the field, exit 2
		{"unknown field", func(t *testing.T) []string {
			return []string{"validate", shortWith(t, "  linger: 2ms", "  lingr: 2ms")}
		},
			exitUsage, []string{"bad.yaml:20:", "producer.lingr", `did you mean "linger"?`}},
		// a bad value in a new block
		{"bad profile field", func(t *testing.T) []string {
			return []string{"validate", shortWith(t, "  messages_per_second: 2000", "  profile: ramp\n  from: 1\n  to: 2\n  over: 1s\n  mean: 3")}
		}, exitUsage, []string{"bad.yaml:16:", "rate.mean: not used by profile \"ramp\""}},
		// a payload file that does not exist is found by validate
		{"missing payload file", func(t *testing.T) []string {
			return []string{"validate", shortWith(t, "  size: 200", "  payload: {kind: file, file: nope.txt}")}
		}, exitUsage, []string{"message.payload.file:", "nope.txt"}},
		// a broken sweep point names the value's line
		{"bad sweep point", func(t *testing.T) []string {
			return []string{"validate", writeScenario(t, string(mustRead(t, "testdata/short.yaml"))+"sweep:\n  params:\n    workers: [1, -1]\n")}
		}, exitUsage, []string{"bad.yaml:24: workers: must be between 1 and 65536, got -1 (sweep point workers=-1)"}},
		// usage errors
		{"no file", func(*testing.T) []string { return []string{"validate"} }, exitUsage, []string{"want exactly one scenario file"}},
		{"bad flag", func(*testing.T) []string { return []string{"validate", "--nope", "x.yaml"} }, exitUsage, []string{"unknown flag"}},
		{"missing file", func(*testing.T) []string { return []string{"validate", "nope/x.yaml"} }, exitUsage, []string{"nope/x.yaml"}},
		// help
		{"help", func(*testing.T) []string { return []string{"help", "validate"} }, exitOK, []string{"Usage: prodbench validate SCENARIO", "--json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(context.Background(), tc.args(t)...)
			text := errOut
			if tc.code == exitOK {
				text = out
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			for _, c := range tc.contains {
				if !strings.Contains(text, c) {
					t.Errorf("output lacks %q:\n%s", c, text)
				}
			}
		})
	}
}

// TestValidateJSON checks --json: the scenario with defaults, the plan and
// the sweep points, machine-readable.
func TestValidateJSON(t *testing.T) {
	t.Parallel()
	path := writeScenario(t, string(mustRead(t, "testdata/short.yaml"))+"sweep:\n  mode: zip\n  params:\n    seed: [1, 2]\n")
	code, out, errOut := cli(context.Background(), "validate", "--json", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		File     string
		Scenario struct{ Name string }
		Plan     struct{ Messages, Records int64 }
		Points   []struct {
			Label string
			Plan  struct{ Messages int64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if v.File != path || v.Scenario.Name != "short" || v.Plan.Messages != 2400 || len(v.Points) != 2 || v.Points[1].Label != "seed=2" || v.Points[1].Plan.Messages != 2400 {
		t.Errorf("--json = %+v", v)
	}
}

// mustRead returns the content of path.
func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
