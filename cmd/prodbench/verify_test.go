package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/internal/kafkatest"
	"github.com/prodbench/prodbench/report"
)

// verifyScenario writes a 1.5 s, 400 msg/s keyed scenario for topic v
// with the given producer lines.
func verifyScenario(t *testing.T, producerLines string) string {
	t.Helper()
	body := `name: verify
workers: 2
duration: 1500ms
seed: 3
topics: [{name: v, partitions: 2}]
rate: {messages_per_second: 400}
message: {size: 100}
keys: {distribution: uniform, count: 20}
producer:
  acks: all
  linger: 2ms
` + producerLines
	return scenarioFile(t, "verify.yaml", body)
}

// testCluster is a retained kfake broker with topic v (2 partitions).
func testCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	return fakeKafka(t, kfake.SeedTopics(2, "v"))
}

// countRecords counts topic v's records with an independent consumer.
func countRecords(t *testing.T, c *kfake.Cluster) int {
	t.Helper()
	n := 0
	for _, k := range consumeProducerIDs(t, c.ListenAddrs()[0], "v", 2) {
		n += int(k)
	}
	return n
}

// runVerify runs scenario with --verify and more args, and returns the
// exit code, the result (which must hold a verification whose read back
// succeeded), stdout and the result directory.
func runVerify(t *testing.T, scenario string, args ...string) (int, *report.Result, string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := cli(context.Background(), append([]string{"run", scenario, "--out", dir, "--quiet", "--verify"}, args...)...)
	res, err := report.ReadResult(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatalf("exit %d, no result: %v\n%s", code, err, stderr)
	}
	if res.Verify == nil {
		t.Fatalf("no verify block\n%s", stderr)
	}
	if res.Verify.Error != "" {
		t.Fatalf("read back failed: %s", res.Verify.Error)
	}
	return code, res, stdout, dir
}

// TestVerifyHealthyKafka: every acked record is read back once, in order,
// intact, and the read back matches an independent consumer's count.
func TestVerifyHealthyKafka(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	code, res, stdout, dir := runVerify(t, verifyScenario(t, ""), "--target", "kafka://"+strings.Join(c.ListenAddrs(), ","))
	if !resultOK(code, res) {
		t.Fatalf("exit %d, status %s: %s", code, res.Status, res.StatusReason)
	}
	v := res.Verify.Total
	if v.Acked != res.Counts.Acked || v.Acked < 500 {
		t.Fatalf("verify acked %d, run acked %d", v.Acked, res.Counts.Acked)
	}
	if v.ReadBack != v.Acked || v.Lost != 0 || v.Duplicated != 0 || v.Reordered != 0 || v.Corrupted != 0 || v.Failed != 0 {
		t.Fatalf("verify %+v", v)
	}
	if n := countRecords(t, c); int64(n) != v.ReadBack {
		t.Fatalf("independent consumer read %d records, verify read back %d", n, v.ReadBack)
	}
	if !strings.Contains(stdout, "verify:      whole run (warmup included): read back") {
		t.Errorf("summary has no verify line:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "verify.bin")); err != nil {
		t.Error(err)
	}
	// prodbench verify DIR re-checks against the still-running broker.
	code, out, errb := cli(context.Background(), "verify", dir, "--target", "kafka://"+strings.Join(c.ListenAddrs(), ","))
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("whole run: read back %d of %d acked: lost 0", v.ReadBack, v.Acked)) {
		t.Fatalf("verify DIR: exit %d\n%s\n%s", code, out, errb)
	}
}

// stallProduce makes the broker sleep 700 ms (past a 500 ms request
// timeout) before handling its first `times` produce requests after the
// first `skip`, then handle them normally: the records are written but the
// client has given up and resends.
func stallProduce(c *kfake.Cluster, skip, times int64) *atomic.Int64 {
	var n, stalled atomic.Int64
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if k := n.Add(1); k > skip && k <= skip+times {
			time.Sleep(700 * time.Millisecond)
			stalled.Add(1)
		}
		return nil, nil, false
	})
	return &stalled
}

// TestVerifyTimeoutDuplicates: a request timeout on a stalled broker makes
// a non-idempotent producer write duplicates, which verify reports; an
// idempotent producer's resends are deduplicated by the broker.
func TestVerifyTimeoutDuplicates(t *testing.T) {
	t.Parallel()
	const prod = "  request_timeout: 500ms\n  retries: 10\n  retry_backoff: 10ms\n  max_in_flight: 1\n"
	for _, tc := range []struct {
		name       string
		idempotent bool
	}{{"non-idempotent", false}, {"idempotent", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testCluster(t)
			stalled := stallProduce(c, 20, 2)
			lines := prod + fmt.Sprintf("  idempotent: %v\n", tc.idempotent)
			code, res, stdout, _ := runVerify(t, verifyScenario(t, lines), "--target", "kafka://"+strings.Join(c.ListenAddrs(), ","))
			v := res.Verify.Total
			t.Logf("stalled %d requests, retries %d; verify %+v", stalled.Load(), res.Producer.Retries, v)
			if stalled.Load() == 0 || res.Producer.Retries == 0 {
				t.Fatalf("no stall or no retry: stalled %d, retries %d", stalled.Load(), res.Producer.Retries)
			}
			if v.Lost != 0 || v.Corrupted != 0 || !resultOK(code, res) {
				t.Fatalf("exit %d, verify %+v\n%s", code, v, stdout)
			}
			// An independent count: read back = acked + duplicates.
			if n := countRecords(t, c); int64(n) != v.ReadBack || v.ReadBack != v.Acked+v.Duplicated+v.FailedPresent {
				t.Fatalf("consumer read %d, verify %+v", n, v)
			}
			if tc.idempotent && v.Duplicated != 0 {
				t.Fatalf("idempotent run wrote %d duplicates", v.Duplicated)
			}
			if !tc.idempotent && v.Duplicated == 0 {
				t.Fatalf("non-idempotent run after a request timeout: no duplicate found")
			}
		})
	}
}

// TestVerifyLossExits1: a broker that acknowledges a produce request
// without storing it loses its records; verify reports them as lost,
// per partition, and the run fails with exit 1.
func TestVerifyLossExits1(t *testing.T) {
	t.Parallel()
	c := testCluster(t)
	var n, dropped atomic.Int64
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		if n.Add(1) != 10 {
			return nil, nil, false
		}
		return kafkatest.ProduceResponse(r.(*kmsg.ProduceRequest), func(rp *kmsg.ProduceRequestTopicPartition, _ *kmsg.ProduceResponseTopicPartition) {
			var b kmsg.RecordBatch
			if err := b.ReadFrom(rp.Records); err == nil {
				dropped.Add(int64(b.NumRecords))
			}
		}), nil, true
	})
	code, res, stdout, _ := runVerify(t, verifyScenario(t, "  idempotent: false\n"), "--target", "kafka://"+strings.Join(c.ListenAddrs(), ","))
	v := res.Verify.Total
	if dropped.Load() == 0 || v.Lost != dropped.Load() {
		t.Fatalf("dropped %d records, verify lost %d (%+v)", dropped.Load(), v.Lost, v)
	}
	if code != exitFailure || res.Status != report.StatusFailed || res.StatusReason != fmt.Sprintf("verify: %d lost", v.Lost) {
		t.Fatalf("exit %d, status %s: %s", code, res.Status, res.StatusReason)
	}
	if !strings.Contains(stdout, fmt.Sprintf("lost %d", v.Lost)) {
		t.Errorf("summary does not show the loss:\n%s", stdout)
	}
}

// TestVerifyStandIns runs a short keyed --verify scenario on the embedded
// stand-in of each system that reads back (the scenario's target and
// producer lines, one topic of parts partitions, extra scenario lines),
// and checks that every acked message is read back once, in order,
// intact, under the partition its ack named.
func TestVerifyStandIns(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, target, producer string
		parts                  int
		extra                  string
		duration               string // default 800ms
		rate                   int    // msg/s, default 4000
		minAcked               int64  // default 1
	}{
		// NATS JetStream, with its partition (subject) and key
		// (key_header).
		{"nats", "{kind: nats, storage: memory, key_header: pb-key}", "{send_mode: async, idempotent: true, auto_create_topics: true}", 3, "", "1500ms", 400, 500},
		// Pulsar, batched, compressed, keyed over 3 partitions.
		{"pulsar", "{kind: pulsar}", "{batching: true, linger: 2ms, compression: lz4}", 3, "", "", 0, 0},
		// With producers: 2 the second producer joins the first one's
		// stand-in (Opened.Reach), and the read back finds every message of
		// both there.
		{"pulsar-producers", "{kind: pulsar}", "{batching: true, linger: 2ms}", 2, "producers: 2\n", "", 0, 0},
		// Pulsar's WebSocket API (one partition: partition 0, as its acks
		// say).
		{"pulsar-ws", "{kind: pulsar-ws}", "{send_mode: async}", 1, "", "", 0, 0},
		// Macrometa, with two producers (a stand-in each: a URL cannot join
		// it, so the read back goes through both).
		{"macrometa", "{kind: macrometa}", "{send_mode: async, auto_create_topics: true}", 1, "producers: 2\n", "", 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			duration, rate, minAcked := cmp.Or(c.duration, "800ms"), cmp.Or(c.rate, 4000), cmp.Or(c.minAcked, 1)
			body := fmt.Sprintf(`name: verify-standin
duration: %s
seed: 3
topics: [{name: vp, partitions: %d}]
workers: 2
rate: {messages_per_second: %d}
message: {size: 100}
keys: {distribution: uniform, count: 20}
target: %s
producer: %s
%s`, duration, c.parts, rate, c.target, c.producer, c.extra)
			code, res, stdout, _ := runVerify(t, scenarioFile(t, "vp.yaml", body))
			if !resultOK(code, res) {
				t.Fatalf("exit %d, status %s: %s, verify %+v\n%s", code, res.Status, res.StatusReason, res.Verify, stdout)
			}
			v := res.Verify.Total
			if v.Acked != res.Counts.Acked || v.Acked < minAcked || v.ReadBack != v.Acked || v.Lost != 0 || v.Duplicated != 0 ||
				v.Reordered != 0 || v.Corrupted != 0 || v.Failed != 0 || res.Verify.Foreign != 0 || res.Verify.Unstamped != 0 {
				t.Fatalf("run acked %d, verify %+v (foreign %d, unstamped %d)", res.Counts.Acked, v, res.Verify.Foreign, res.Verify.Unstamped)
			}
			if len(res.Verify.Partitions) != c.parts {
				t.Fatalf("partitions %+v, want %d", res.Verify.Partitions, c.parts)
			}
			for _, p := range res.Verify.Partitions {
				if p.Topic != "vp" || p.Partition < 0 || int(p.Partition) >= c.parts || p.Acked == 0 || p.ReadBack != p.Acked {
					t.Fatalf("partition %+v", p)
				}
			}
		})
	}
}

// TestVerifyNotSupported: a system without a read back says so and runs
// nothing (exit 2).
func TestVerifyNotSupported(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	code, _, stderr := cli(context.Background(), "run", "testdata/short.yaml", "--out", dir, "--quiet", "--verify", "--target", "sim://")
	if code != exitUsage || !strings.Contains(stderr, "verify not supported for sim") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "result.json")); err == nil {
		t.Error("a result was written")
	}
}
