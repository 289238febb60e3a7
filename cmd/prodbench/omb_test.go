package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/workload"
)

// TestOMBWorkloadEndToEnd runs an OMB workload file as it is, with an OMB
// driver file, shows its translation with validate, and writes the run
// in OMB's result format.
func TestOMBWorkloadEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"workloads", "driver-kafka"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wl := filepath.Join(dir, "workloads", "2-topics-2-partitions-100b.yaml")
	if err := os.WriteFile(wl, []byte(`name: 2 topics / 2 partitions / 100b
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
`), 0o644); err != nil {
		t.Fatal(err)
	}
	drv := filepath.Join(dir, "driver-kafka", "kafka-test.yaml")
	if err := os.WriteFile(drv, []byte("name: Kafka\ndriverClass: io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver\nreplicationFactor: 1\nproducerConfig: |\n  acks=1\n  linger.ms=2\n  sasl.jaas.config=user=\"u\" password=\"hunter2\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
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
	if _, err := os.Stat(filepath.Join(res, ombResultFile)); err != nil {
		t.Error(err)
	}
}

// TestOMBDriverBadInput checks a bad driver file fails with its name and
// line, exit 2.
func TestOMBDriverBadInput(t *testing.T) {
	t.Parallel()
	drv := filepath.Join(t.TempDir(), "kafka.yaml")
	if err := os.WriteFile(drv, []byte("name: Kafka\nproducerConfig: |\n  batch.size=big\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := cli(context.Background(), "run", "testdata/short.yaml", "--omb-driver", drv)
	if code != exitUsage || !strings.Contains(errOut, "kafka.yaml:3: batch.size") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
