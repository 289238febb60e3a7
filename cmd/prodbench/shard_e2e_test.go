package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/report"
)

// shardE2EMargin widens the spread (min–max) of the repeated single-process
// runs' acked-latency percentiles: a merged percentile p passes when
// min/(1+m) <= p <= max·(1+m). Why 1.0, a factor of 2 either way: on the
// shared 2-core machine at load average 13, back-to-back single runs of
// this schedule gave p50 1.40–1.60 ms (merged 1.63–1.76 ms), p90 1.8–14.6
// ms (merged 1.9–11.6 ms) and p99 4–72 ms (merged 13.8–110 ms): the tail
// is set by the machine's scheduling hiccups, not by the producer, and
// three processes get their CPU at other moments than one; so p50 and p90
// are judged and p99 only logged. The counts checks are exact;
// this check catches a merged histogram read on the wrong scale (a
// quantile of 0.5 for 50, µs for ns) or built from the wrong values, and
// the test also checks that the p50 band rejects 4 × the merged p50.
const shardE2EMargin = 1.0

// TestShardsMatchOneProcess: three shard processes of one scenario
// (testdata/shard-e2e.yaml: three topics, keyed, fixed seed, 3,000 msg/s,
// 3 s), started with a common --start-at against one external broker
// process and merged with prodbench merge, against the same scenario in
// one process, run three times: the same total and per-topic (per
// partition, by the broker's offsets) message counts, each shard within
// 1% of a third, merged histogram count equal to the shards' sum, and
// merged p50 and p90 within the single runs' spread widened by
// shardE2EMargin (p99 logged). Separate OS processes of the built binary; timing
// sensitive, so it runs in the serial race-free pass (Makefile test).
func TestShardsMatchOneProcess(t *testing.T) {
	if raceDetector {
		t.Skip("timing sensitive: runs in the serial race-free pass (Makefile test)")
	}
	dir := t.TempDir()
	bin := prodbenchBinary(t) // skips in -short mode: 7 processes for ~20 s
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

	// The single-process runs, one after another, each with a start a
	// second ahead so that it, like the shards, begins warm.
	var singles []*report.Result
	var singleParts, singleTopics map[string]int64
	for k := 0; k < 3; k++ {
		before := offsets()
		out := filepath.Join(dir, fmt.Sprintf("single-%d", k))
		if b, err := run("--out", out, "--start-at", startAt(time.Second)).CombinedOutput(); err != nil {
			t.Fatalf("single run %d: %v\n%s", k, err, b)
		}
		parts, topics := delta(before, offsets())
		if singleParts == nil {
			singleParts, singleTopics = parts, topics
		} else if !equalCounts(parts, singleParts) {
			t.Errorf("single run %d stored per partition %v, run 0 %v", k, parts, singleParts)
		}
		singles = append(singles, readResult(t, out))
	}

	// Three shards, one common start two seconds ahead.
	before := offsets()
	at := startAt(2 * time.Second)
	var cmds []*exec.Cmd
	var shardDirs []string
	for i := 0; i < 3; i++ {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
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
				t.Logf("shard %d output:\n%s", i, buf.String())
			}
		})
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	shardParts, shardTopics := delta(before, offsets())
	merged := filepath.Join(dir, "merged")
	if b, err := exec.Command(bin, append([]string{"merge", "--out", merged}, shardDirs...)...).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, b)
	}
	m := readResult(t, merged)
	var shards []*report.Result
	for _, d := range shardDirs {
		shards = append(shards, readResult(t, d))
	}

	// Counts: the union of the shards is the single-process workload.
	one := singles[0]
	if one.Counts.Failed != 0 || m.Counts.Failed != 0 {
		t.Errorf("failures: single %d, merged %d; want none", one.Counts.Failed, m.Counts.Failed)
	}
	if m.Counts.Sent != one.Counts.Sent || m.Counts.Acked != one.Counts.Acked {
		t.Errorf("merged sent %d acked %d, single sent %d acked %d", m.Counts.Sent, m.Counts.Acked, one.Counts.Sent, one.Counts.Acked)
	}
	for _, r := range singles[1:] {
		if r.Counts.Sent != one.Counts.Sent || r.Counts.Acked != one.Counts.Acked {
			t.Errorf("single runs differ: sent %d acked %d vs %d %d", r.Counts.Sent, r.Counts.Acked, one.Counts.Sent, one.Counts.Acked)
		}
	}
	// Per topic (and partition) by the broker: with no failures, sent =
	// acked = stored, so the stored counts are the per-topic sent and
	// acked counts.
	if !equalCounts(shardTopics, singleTopics) || len(singleTopics) != 3 {
		t.Errorf("stored per topic: shards %v, single %v", shardTopics, singleTopics)
	}
	if !equalCounts(shardParts, singleParts) {
		t.Errorf("stored per partition: shards %v, single %v", shardParts, singleParts)
	}
	var stored int64
	for _, v := range shardTopics {
		stored += v
	}
	if stored != m.Counts.Acked {
		t.Errorf("broker stored %d messages of the shards, merged result acked %d", stored, m.Counts.Acked)
	}
	var sum int64
	third := float64(one.Counts.Sent) / 3
	for i, r := range shards {
		if d := float64(r.Counts.Sent) - third; d > third/100 || d < -third/100 {
			t.Errorf("shard %d sent %d, more than 1%% from a third of %d", i, r.Counts.Sent, one.Counts.Sent)
		}
		sum += r.Latency.Count
	}
	if m.Latency.Count != sum || m.Latency.Count != m.Counts.Acked {
		t.Errorf("merged latency histogram holds %d, shards sum %d, merged acked %d", m.Latency.Count, sum, m.Counts.Acked)
	}
	if h, err := report.DecodeHistogram(m.Latency.Histogram); err != nil || h.TotalCount() != sum {
		t.Errorf("merged encoded histogram: %v, total %d, want %d", err, h.TotalCount(), sum)
	}

	// Percentiles within the single runs' spread, widened.
	for _, q := range []struct {
		name string
		get  func(*report.Result) int64
	}{
		{"p50", func(r *report.Result) int64 { return r.Latency.P50Ns }},
		{"p90", func(r *report.Result) int64 { return r.Latency.P90Ns }},
		{"p99", func(r *report.Result) int64 { return r.Latency.P99Ns }},
	} {
		// p99 is logged, not judged: at load average 15 one
		// scheduling hiccup of one of the three processes moved the
		// merged p99 to 17.6 ms against single runs of 4.0–7.2 ms.
		lo, hi := q.get(singles[0]), q.get(singles[0])
		for _, r := range singles {
			lo, hi = min(lo, q.get(r)), max(hi, q.get(r))
		}
		got := q.get(m)
		if q.name != "p99" && !withinSpread(got, lo, hi) {
			t.Errorf("merged %s %v is outside the single runs' %v–%v widened by %.0f%%", q.name,
				time.Duration(got), time.Duration(lo), time.Duration(hi), shardE2EMargin*100)
		}
		if q.name == "p50" && withinSpread(4*got, lo, hi) {
			t.Errorf("the band %v–%v (widened by %.0f%%) takes 4 × merged p50 = %v: too wide to fail", time.Duration(lo),
				time.Duration(hi), shardE2EMargin*100, time.Duration(4*got))
		}
		t.Logf("%s: merged %v, single runs %v–%v", q.name, time.Duration(got), time.Duration(lo), time.Duration(hi))
	}
	t.Logf("skew %v, counts %+v", time.Duration(m.Shard.MaxStartSkewNs), m.Counts)
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
	c := exec.Command(bin, "broker", "--listen", "127.0.0.1:0", "--partitions", "2", "--topic", "shard-a,shard-b,shard-c")
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
