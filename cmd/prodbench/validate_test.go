package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/workload"
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
			return []string{"validate", scenarioFile(t, "bad.yaml", string(mustRead(t, "testdata/short.yaml"))+
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
			return []string{"validate", scenarioFile(t, "bad.yaml", string(mustRead(t, "testdata/short.yaml"))+"sweep:\n  params:\n    workers: [1, -1]\n")}
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
	path := scenarioFile(t, "bad.yaml", string(mustRead(t, "testdata/short.yaml"))+"sweep:\n  mode: zip\n  params:\n    seed: [1, 2]\n")
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

// TestOMBWorkloadEndToEnd runs an OMB workload file as it is, with an OMB
// driver file, shows its translation with validate, and writes the run
// in OMB's result format.
func TestOMBWorkloadEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	wl := filepath.Join(dir, "workloads", "2-topics-2-partitions-100b.yaml")
	writeFile(t, wl, `name: 2 topics / 2 partitions / 100b
topics: 2
partitionsPerTopic: 2
keyDistributor: KEY_ROUND_ROBIN
messageSize: 100
useRandomizedPayloads: true
randomBytesRatio: 0.5
randomizedPayloadPoolSize: 10
subscriptionsPerTopic: 1
consumerPerSubscription: 1
producersPerTopic: 1
producerRate: 2000
testDurationMinutes: 1
warmupDurationMinutes: 0
`)
	drv := filepath.Join(dir, "driver-kafka", "kafka-test.yaml")
	writeFile(t, drv, "name: Kafka\ndriverClass: io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver\nreplicationFactor: 1\nproducerConfig: |\n  acks=1\n  linger.ms=2\n  sasl.jaas.config=user=\"u\" password=\"hunter2\"\n")
	ctx := context.Background()

	code, out, errOut := cli(ctx, "validate", wl, "--omb-driver", drv)
	if code != exitOK || !strings.Contains(out, "translated scenario") || !strings.Contains(out, "linger: 2ms") ||
		!strings.Contains(out, "# Not done by prodbench:") || !strings.Contains(out, "sasl.jaas.config") {
		t.Fatalf("validate: exit %d\n%s\n%s", code, out, errOut)
	}
	code, yml, errOut := cli(ctx, "validate", wl, "--omb-driver", drv, "--yaml")
	if code != exitOK {
		t.Fatalf("validate --yaml: exit %d %s", code, errOut)
	}
	if strings.Contains(out+yml+errOut, "hunter2") {
		t.Error("a secret property value was printed")
	}
	if _, err := workload.Parse("saved.yaml", []byte(yml)); err != nil {
		t.Errorf("saved translation does not parse: %v\n%s", err, yml)
	}

	res := filepath.Join(dir, "res")
	code, _, errOut = cli(ctx, "run", wl, "--omb-driver", drv, "--duration", "2s", "--out", res, "--quiet")
	if code != exitOK || !strings.Contains(errOut, "OMB note: not done by prodbench") || !strings.Contains(errOut, "consumerPerSubscription 1") {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	code, out, errOut = cli(ctx, "report", "--format", "omb", res)
	if code != exitOK {
		t.Fatalf("report --format omb: exit %d %s", code, errOut)
	}
	var o struct {
		Workload    string    `json:"workload"`
		Topics      int       `json:"topics"`
		Partitions  int       `json:"partitions"`
		MessageSize int64     `json:"messageSize"`
		PublishRate []float64 `json:"publishRate"`
	}
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if o.Workload != "2 topics / 2 partitions / 100b" || o.Topics != 2 || o.Partitions != 2 || o.MessageSize != 100 ||
		len(o.PublishRate) != 1 || o.PublishRate[0] < 100 {
		t.Errorf("OMB result %+v", o)
	}
	checkOutputs(t, res, ombResultFile)
}

// TestOMBDriverBadInput checks a bad driver file fails with its name and
// line, exit 2.
func TestOMBDriverBadInput(t *testing.T) {
	t.Parallel()
	drv := filepath.Join(t.TempDir(), "kafka.yaml")
	writeFile(t, drv, "name: Kafka\nproducerConfig: |\n  batch.size=big\n")
	code, _, errOut := cli(context.Background(), "run", "testdata/short.yaml", "--omb-driver", drv)
	if code != exitUsage || !strings.Contains(errOut, "kafka.yaml:3: batch.size") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
