package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The regular expressions perf-test wrapper scripts use on
// kafka-producer-perf-test's output (window and final lines).
var (
	perfWindowRe = regexp.MustCompile(`^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency\.$`)
	perfTotalRe  = regexp.MustCompile(`^(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$`)
)

func TestPerfTestLines(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "res")
	code, stdout, stderr := cli(context.Background(), "perf-test", "--topic", "perf", "--num-records", "6000",
		"--record-size", "100", "--throughput", "1000", "--producer-props", "acks=1", "linger.ms=2", "sasl.jaas.config=password=\"hunter2\"", "--out", out)
	if !ranOK(code, stderr) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) < 2 {
		t.Fatalf("want a 5 s window line and the total line, got:\n%s", stdout)
	}
	var windowSum int64
	for _, l := range lines[:len(lines)-1] {
		m := perfWindowRe.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("window line does not parse: %q", l)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		windowSum += n
	}
	m := perfTotalRe.FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("total line does not parse: %q", lines[len(lines)-1])
	}
	if m[1] != "6000" {
		t.Errorf("total %s records, want 6000", m[1])
	}
	if windowSum < 1 || windowSum > 6000 {
		t.Errorf("window lines count %d records", windowSum)
	}
	p50, _ := strconv.Atoi(m[6])
	p999, _ := strconv.Atoi(m[9])
	if p999 < p50 {
		t.Errorf("p99.9 %d < p50 %d", p999, p50)
	}
	if c := strings.Count(stderr, "intended send time"); c != 1 {
		t.Errorf("the latency note appears %d times on stderr:\n%s", c, stderr)
	}
	js, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatalf("no result directory: %v", err)
	}
	if strings.Contains(string(js)+stdout+stderr, "hunter2") {
		t.Error("a secret property value was written")
	}
}

func TestPerfTestBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--num-records", "10", "--record-size", "10", "--throughput", "-1"}, "--topic"},
		{[]string{"--topic", "t", "--num-records", "10", "--record-size", "10"}, "--throughput"},
		{[]string{"--topic", "t", "--num-records", "10", "--record-size", "10", "--throughput", "-1", "--producer-props", "linger.ms=soon"}, "linger.ms"},
		{[]string{"--topic", "t", "--num-records", "10", "--record-size", "10", "--throughput", "-1", "--producer-props", "bootstrap.servers=nohost"}, "bootstrap.servers"},
	} {
		code, _, stderr := cli(context.Background(), append([]string{"perf-test"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %s", c.args, code, stderr)
		}
	}
}
