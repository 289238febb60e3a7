package report

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// shardRun records msgs into a recorder started at start and returns its
// result as shard index of count. Each message is {intended offset ns,
// latency ns, failed}.
func shardRun(t *testing.T, start time.Time, msgs [][3]int64, index, count int) *Result {
	t.Helper()
	r := NewRecorder(start, 0, time.Second)
	base := start.UnixNano()
	for _, m := range msgs {
		at := base + m[0]
		r.Sent(at, 100)
		if m[2] != 0 {
			r.Failure(at, at+1000, at+m[1], "send_timeout")
		} else {
			r.Success(at, at+1000, at+m[1], 100)
		}
	}
	for s := 1; s <= 3; s++ {
		r.Tick(start.Add(time.Duration(s) * time.Second))
	}
	res, err := NewResult(r.Finish(start.Add(3 * time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	res.Scenario = Scenario{Name: "peer-100b"}
	res.Shard = &Shard{Index: index, Count: count, StartedAt: start}
	return res
}

func TestMergeEqualsOneRecording(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b, all [][3]int64
	for i := 0; i < 20000; i++ {
		m := [3]int64{int64(i) * 140_000, 1e5 + rng.Int64N(50e6), 0}
		if i%97 == 0 {
			m[2] = 1
		}
		all = append(all, m)
		if i%2 == 0 {
			a = append(a, m)
		} else {
			b = append(b, m)
		}
	}
	start := time.Unix(1_800_000_000, 0)
	ra := shardRun(t, start, a, 0, 2)
	rb := shardRun(t, start.Add(3*time.Millisecond), b, 1, 2) // 3 ms start skew
	one := shardRun(t, start, all, 0, 1)
	m, err := Merge(rb, ra)
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]Latency{
		"latency": {m.Latency, one.Latency},
		"service": {m.ServiceTime, one.ServiceTime},
		"lag":     {m.ScheduleLag, one.ScheduleLag},
		"failed":  {m.FailedLatency, one.FailedLatency},
	} {
		hm, err := DecodeHistogram(pair[0].Histogram)
		if err != nil {
			t.Fatal(err)
		}
		h1, _ := DecodeHistogram(pair[1].Histogram)
		if !reflect.DeepEqual(hm.Distribution(), h1.Distribution()) || hm.TotalCount() != h1.TotalCount() {
			t.Errorf("%s: merged histogram differs from one recording (%d vs %d values)", name, hm.TotalCount(), h1.TotalCount())
		}
		p := pair[0]
		p.Histogram, pair[1].Histogram = "", ""
		if p != pair[1] {
			t.Errorf("%s: merged stats %+v, one recording %+v", name, p, pair[1])
		}
	}
	if m.Counts.Sent != one.Counts.Sent || m.Counts.Acked != one.Counts.Acked || m.Counts.FailedByKind["send_timeout"] != one.Counts.FailedByKind["send_timeout"] {
		t.Errorf("counts %+v vs %+v", m.Counts, one.Counts)
	}
	if m.Shard.MaxStartSkewNs != int64(3*time.Millisecond) || len(m.Shard.Merged) != 2 || m.Shard.Partial {
		t.Errorf("shard block %+v", m.Shard)
	}
	if len(m.Intervals) != 3 {
		t.Fatalf("%d merged intervals, want 3 aligned", len(m.Intervals))
	}
	var ivAcked int64
	for i, iv := range m.Intervals {
		ivAcked += iv.Acked
		if iv.Acked != one.Intervals[i].Acked || iv.P99Ns != one.Intervals[i].P99Ns {
			t.Errorf("interval %d: acked %d p99 %d, one recording %d %d", i, iv.Acked, iv.P99Ns, one.Intervals[i].Acked, one.Intervals[i].P99Ns)
		}
	}
	if ivAcked != m.Counts.Acked {
		t.Errorf("interval acks %d, total %d", ivAcked, m.Counts.Acked)
	}
	if _, err := MarshalResult(m); err != nil {
		t.Fatal(err)
	}
}

func TestMergeRefusesAndFlags(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_800_000_000, 0)
	msgs := [][3]int64{{0, 1e6, 0}, {5e8, 2e6, 0}}
	a, b, c := shardRun(t, start, msgs, 0, 3), shardRun(t, start, msgs, 1, 3), shardRun(t, start, msgs, 2, 3)
	other := shardRun(t, start, msgs, 2, 3)
	other.Scenario.Name = "other"
	fourth := shardRun(t, start, msgs, 2, 4)
	plain := shardRun(t, start, msgs, 0, 1)
	plain.Shard = nil
	for name, tc := range map[string]struct {
		rs   []*Result
		want string
	}{
		"scenario": {[]*Result{a, b, other}, `ran scenario "other"`},
		"count":    {[]*Result{a, b, fourth}, "one of 4 shards"},
		"missing":  {[]*Result{a, c}, "shards [1] of 3 are missing"},
		"twice":    {[]*Result{a, a, c}, "shard 0 given twice"},
		"no shard": {[]*Result{plain}, "not a shard result"},
	} {
		if _, err := Merge(tc.rs...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", name, err, tc.want)
		}
	}
	m, err := MergeWith(MergeOptions{AllowMissing: true}, a, c)
	if err != nil || !m.Shard.Partial || !reflect.DeepEqual(m.Shard.Missing, []int{1}) {
		t.Fatalf("allow missing: %v %+v", err, m)
	}
	// One saturated shard flags the merged run.
	b.ScheduleLag.P99Ns, b.ScheduleLag.Count = 40e6, 2
	m, err = Merge(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if g := CheckGenerator(m); !g.Saturated || !strings.Contains(g.Reason, "shard 1: schedule lag p99 40.000 ms") {
		t.Errorf("merged generator %+v", g)
	}
}
