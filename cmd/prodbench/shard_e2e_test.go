package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/report"
)

// shardE2EMargin widens the spread (min–max) of the repeated single-process
// runs' acked-latency percentiles: the median over the sharded runs of a
// merged percentile p passes when min/(1+m) <= p <= max·(1+m). The
// scenario makes the latency the same in one process and in three: keys
// round-robin over three keys that hash to three different partitions
// (of three per topic), so shard I writes only its own partition of each
// topic and every partition receives the same records at the same
// intended times in both set-ups; with a 10 ms linger, a record's latency
// is mostly its wait in its partition's batch. What is left is the
// machine: three processes (and the broker) get their CPU at other
// moments than one, and a load spike can hit one run's 3 s. Measured on
// the shared 2-core machine at load average 4–8 (five runs of this test,
// three single and three sharded runs each): the median merged p50 was
// 7.0–7.7 ms, inside the single runs' min–max in three runs and 1–2%
// above it in two; the median merged p90 was inside it in all five,
// though one sharded run reached p90 91 ms, which is why the sharded
// runs are repeated, alternated with the single runs, and their median
// judged. p99 (single runs 13–79 ms, median merged 23–32 ms, once below
// the single runs' minimum) is set by scheduling hiccups and is logged.
// The counts checks are exact; this check also catches a merged
// histogram read on the wrong scale or built from the wrong values, and
// the test checks that the p50 band rejects 2 × the merged p50.
const shardE2EMargin = 0.15

// TestShardsMatchOneProcess: three shard processes of one scenario
// (testdata/shard-e2e.yaml: three weighted topics of three partitions,
// three round-robin keys, fixed seed, 3,000 msg/s, 3 s), started with a
// common --start-at against one external broker process and merged with
// prodbench merge, against the same scenario in one process, both run
// three times, alternated: the same total and per-topic (per partition,
// by the broker's offsets) message counts in every run, each shard
// within 1% of a third, merged histogram count equal to the shards' sum,
// and the median merged p50 and p90 within the single runs' spread
// widened by shardE2EMargin (p99 logged). Separate OS processes of the
// built binary; timing sensitive, so it runs in the serial race-free
// pass (Makefile test).
func TestShardsMatchOneProcess(t *testing.T) {
	if raceDetector {
		t.Skip("timing sensitive: runs in the serial race-free pass (Makefile test)")
	}
	dir := t.TempDir()
	bin := prodbenchBinary(t) // skips in -short mode: 13 processes for ~50 s
	scenario, err := filepath.Abs("testdata/shard-e2e.yaml")
	if err != nil {
		t.Fatal(err)
	}
	addr := startBrokerProcess(t, bin)
	adm := kadm.NewClient(mustClient(t, addr))
	offsets := func() map[string]int64 {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eo, err := adm.ListEndOffsets(ctx, "shard-a", "shard-b", "shard-c")
		if err != nil {
			t.Fatalf("list end offsets: %v", err)
		}
		m := map[string]int64{}
		eo.Each(func(o kadm.ListedOffset) {
			if o.Err == nil {
				m[fmt.Sprintf("%s/%d", o.Topic, o.Partition)] = o.Offset
			}
		})
		return m
	}
	delta := func(before, after map[string]int64) (map[string]int64, map[string]int64) {
		parts, topics := map[string]int64{}, map[string]int64{}
		for k, v := range after {
			parts[k] = v - before[k]
			topics[k[:strings.LastIndexByte(k, '/')]] += v - before[k]
		}
		return parts, topics
	}
	run := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, append([]string{"run", scenario, "--brokers", addr, "--quiet"}, args...)...)
		c.Stdout, c.Stderr = nil, nil
		return c
	}
	startAt := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339Nano) }

	// single runs the whole scenario in one process, with a start a
	// second ahead so that it, like the shards, begins warm.
	single := func(k int) (*report.Result, map[string]int64) {
		before := offsets()
		out := filepath.Join(dir, fmt.Sprintf("single-%d", k))
		if b, err := run("--out", out, "--start-at", startAt(time.Second)).CombinedOutput(); err != nil {
			t.Fatalf("single run %d: %v\n%s", k, err, b)
		}
		parts, _ := delta(before, offsets())
		return readResult(t, out), parts
	}
	// sharded runs three shard processes with one common start two
	// seconds ahead and merges them.
	sharded := func(k int) (m *report.Result, shards []*report.Result, parts map[string]int64) {
		before := offsets()
		at := startAt(2 * time.Second)
		var cmds []*exec.Cmd
		var shardDirs []string
		for i := 0; i < 3; i++ {
			out := filepath.Join(dir, fmt.Sprintf("sharded-%d-%d", k, i))
			shardDirs = append(shardDirs, out)
			c := run("--out", out, "--shard", fmt.Sprintf("%d/3", i), "--start-at", at)
			var buf strings.Builder
			c.Stdout, c.Stderr = &buf, &buf
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, c)
			t.Cleanup(func() {
				if c.ProcessState == nil { // not waited for: the test stopped early
					_ = c.Process.Kill()
					_ = c.Wait()
				}
				if t.Failed() {
					t.Logf("run %d shard %d output:\n%s", k, i, buf.String())
				}
			})
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				t.Fatalf("run %d shard %d: %v", k, i, err)
			}
		}
		parts, _ = delta(before, offsets())
		merged := filepath.Join(dir, fmt.Sprintf("merged-%d", k))
		if b, err := exec.Command(bin, append([]string{"merge", "--out", merged}, shardDirs...)...).CombinedOutput(); err != nil {
			t.Fatalf("merge %d: %v\n%s", k, err, b)
		}
		for _, d := range shardDirs {
			shards = append(shards, readResult(t, d))
		}
		return readResult(t, merged), shards, parts
	}

	var singles, mergeds []*report.Result
	var singleParts map[string]int64
	for k := 0; k < 3; k++ {
		r, parts := single(k)
		if singleParts == nil {
			singleParts = parts
		} else if !equalCounts(parts, singleParts) {
			t.Errorf("single run %d stored per partition %v, run 0 %v", k, parts, singleParts)
		}
		singles = append(singles, r)
		m, shards, shardParts := sharded(k)
		checkShardCounts(t, k, singles[0], m, shards, shardParts, singleParts)
		mergeds = append(mergeds, m)
	}
	for _, r := range singles[1:] {
		if r.Counts.Sent != singles[0].Counts.Sent || r.Counts.Acked != singles[0].Counts.Acked {
			t.Errorf("single runs differ: sent %d acked %d vs %d %d", r.Counts.Sent, r.Counts.Acked, singles[0].Counts.Sent, singles[0].Counts.Acked)
		}
	}

	// Percentiles: the sharded runs' median within the single runs'
	// spread, widened.
	for _, q := range []struct {
		name string
		get  func(*report.Result) int64
	}{
		{"p50", func(r *report.Result) int64 { return r.Latency.P50Ns }},
		{"p90", func(r *report.Result) int64 { return r.Latency.P90Ns }},
		{"p99", func(r *report.Result) int64 { return r.Latency.P99Ns }},
	} {
		lo, hi := q.get(singles[0]), q.get(singles[0])
		for _, r := range singles {
			lo, hi = min(lo, q.get(r)), max(hi, q.get(r))
		}
		var all []time.Duration
		for _, m := range mergeds {
			all = append(all, time.Duration(q.get(m)))
		}
		slices.Sort(all)
		got := int64(all[len(all)/2])
		if q.name != "p99" && !withinSpread(got, lo, hi) {
			t.Errorf("merged %s median %v (runs %v) is outside the single runs' %v–%v widened by %.0f%%", q.name,
				time.Duration(got), all, time.Duration(lo), time.Duration(hi), shardE2EMargin*100)
		}
		if q.name == "p50" && withinSpread(2*got, lo, hi) {
			t.Errorf("the band %v–%v (widened by %.0f%%) takes 2 × merged p50 = %v: too wide to fail", time.Duration(lo),
				time.Duration(hi), shardE2EMargin*100, time.Duration(2*got))
		}
		t.Logf("%s: merged median %v (runs %v), single runs %v–%v", q.name, time.Duration(got), all, time.Duration(lo), time.Duration(hi))
	}
	for k, m := range mergeds {
		t.Logf("sharded run %d: skew %v, counts %+v", k, time.Duration(m.Shard.MaxStartSkewNs), m.Counts)
	}
}

// checkShardCounts checks sharded run k's counts against the single
// process run one: the union of the shards is the single-process workload
// (merged sent and acked, and per topic and partition by the broker's
// offsets), each shard sent within 1% of a third, and the merged
// histogram holds the shards' sum.
func checkShardCounts(t *testing.T, k int, one, m *report.Result, shards []*report.Result, shardParts, singleParts map[string]int64) {
	t.Helper()
	if one.Counts.Failed != 0 || m.Counts.Failed != 0 {
		t.Errorf("run %d failures: single %d, merged %d; want none", k, one.Counts.Failed, m.Counts.Failed)
	}
	if m.Counts.Sent != one.Counts.Sent || m.Counts.Acked != one.Counts.Acked {
		t.Errorf("run %d merged sent %d acked %d, single sent %d acked %d", k, m.Counts.Sent, m.Counts.Acked, one.Counts.Sent, one.Counts.Acked)
	}
	// Per topic (and partition) by the broker: with no failures, sent =
	// acked = stored, so the stored counts are the per-topic sent and
	// acked counts.
	topics := func(parts map[string]int64) map[string]int64 {
		out := map[string]int64{}
		for p, v := range parts {
			out[p[:strings.LastIndexByte(p, '/')]] += v
		}
		return out
	}
	if st, ss := topics(shardParts), topics(singleParts); !equalCounts(st, ss) || len(ss) != 3 {
		t.Errorf("run %d stored per topic: shards %v, single %v", k, st, ss)
	}
	if !equalCounts(shardParts, singleParts) {
		t.Errorf("run %d stored per partition: shards %v, single %v", k, shardParts, singleParts)
	}
	var stored int64
	for _, v := range shardParts {
		stored += v
	}
	if stored != m.Counts.Acked {
		t.Errorf("run %d: broker stored %d messages of the shards, merged result acked %d", k, stored, m.Counts.Acked)
	}
	var sum int64
	third := float64(one.Counts.Sent) / 3
	for i, r := range shards {
		if d := float64(r.Counts.Sent) - third; d > third/100 || d < -third/100 {
			t.Errorf("run %d shard %d sent %d, more than 1%% from a third of %d", k, i, r.Counts.Sent, one.Counts.Sent)
		}
		sum += r.Latency.Count
	}
	if m.Latency.Count != sum || m.Latency.Count != m.Counts.Acked {
		t.Errorf("run %d merged latency histogram holds %d, shards sum %d, merged acked %d", k, m.Latency.Count, sum, m.Counts.Acked)
	}
	if h, err := report.DecodeHistogram(m.Latency.Histogram); err != nil || h.TotalCount() != sum {
		t.Errorf("run %d merged encoded histogram: %v, total %d, want %d", k, err, h.TotalCount(), sum)
	}
}

// withinSpread says whether v lies in [lo/(1+m), hi·(1+m)], m =
// shardE2EMargin.
func withinSpread(v, lo, hi int64) bool {
	return float64(v) >= float64(lo)/(1+shardE2EMargin) && float64(v) <= float64(hi)*(1+shardE2EMargin)
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustClient(t *testing.T, addr string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// startBrokerProcess starts `prodbench broker` on a free port and returns
// its host:port once it listens, with the scenario's topics created (so
// that the offsets before the first run are known); the process is
// interrupted at cleanup.
func startBrokerProcess(t *testing.T, bin string) string {
	t.Helper()
	c := exec.Command(bin, "broker", "--listen", "127.0.0.1:0", "--partitions", "3", "--topic", "shard-a,shard-b,shard-c")
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Signal(os.Interrupt); _ = c.Wait() })
	re := regexp.MustCompile(`listening on kafka://(\S+)`)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return m[1]
		}
	}
	t.Fatalf("broker exited without saying where it listens: %v", sc.Err())
	return ""
}
