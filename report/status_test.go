package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// deadBrokerResult is issue 15 case 1: the broker dies 5 s into a 10 s run;
// every send after it fails and Send blocks on the pending limits.
func deadBrokerResult() *Result {
	res := &Result{
		Status: StatusComplete, TargetRateMsgsPerSec: 16000, MeasuredNs: 10e9, IntervalNs: 1e9,
		Counts:        Counts{Sent: 160000, Acked: 57702, Failed: 102298, FailedByKind: map[string]int64{"send_timeout": 102298}},
		ScheduleLag:   Latency{Count: 160000, P99Ns: 27e9},
		SendBlockedNs: 4e9,
		ErrorBudget:   ErrorBudget{MaxErrorRate: DefaultMaxErrorRate},
	}
	for i := int64(0); i < 10; i++ {
		iv := IntervalRow{StartNs: i * 1e9, EndNs: (i + 1) * 1e9, Sent: 16000}
		if i < 5 {
			iv.Acked = 11540
		} else {
			iv.Failed = 20000
		}
		res.Intervals = append(res.Intervals, iv)
	}
	return res
}

func TestJudgeDeadBrokerFailed(t *testing.T) {
	t.Parallel()
	res := deadBrokerResult()
	Finalize(res)
	if res.Status != StatusFailed || !strings.Contains(res.StatusReason, "nothing acked for 5.0 s from 5.0 s") {
		t.Fatalf("status %q %q, want failed with the dead stretch", res.Status, res.StatusReason)
	}
	if res.Generator.Saturated || !res.Generator.Backpressure {
		t.Errorf("generator %+v: a dead broker is backpressure, not saturation", res.Generator)
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, res); err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(b.String(), "\n", 2)[0]
	if !strings.HasPrefix(first, "!!! STATUS: FAILED: nothing acked") {
		t.Errorf("first line %q", first)
	}
	for _, want := range []string{"SYSTEM UNDER TEST PUSHED BACK", "(63.936% failed)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "GENERATOR SATURATED") {
		t.Error("summary blames the generator")
	}
	// Nothing acked at all (franz-go on a missing topic): failed.
	none := &Result{Counts: Counts{Sent: 40000, Failed: 40000, FailedByKind: map[string]int64{"kafka:UNKNOWN_TOPIC_OR_PARTITION": 40000}}, MeasuredNs: 1e9}
	if st, why := Judge(none); st != StatusFailed || !strings.Contains(why, "kafka:UNKNOWN_TOPIC_OR_PARTITION 40000") {
		t.Errorf("Judge(nothing acked) = %q %q", st, why)
	}
}

func TestJudgeErrorBudgetDegraded(t *testing.T) {
	t.Parallel()
	// A simulated 20% MESSAGE_TOO_LARGE rate, the generator on schedule.
	res := &Result{
		TargetRateMsgsPerSec: 2000, MeasuredNs: 10e9,
		Counts:      Counts{Sent: 20000, Acked: 16000, Failed: 4000, FailedByKind: map[string]int64{"kafka:MESSAGE_TOO_LARGE": 4000}},
		ScheduleLag: Latency{Count: 20000, P99Ns: 830_000},
		ErrorBudget: ErrorBudget{MaxErrorRate: DefaultMaxErrorRate},
	}
	back := marshalBack(t, res)
	if back.Status != StatusDegraded || back.Generator.Saturated || !back.ErrorBudget.Exceeded || back.ErrorBudget.ErrorRate != 0.2 {
		t.Errorf("status %q saturated %v budget %+v, want degraded, not saturated, 20%% exceeded", back.Status, back.Generator.Saturated, back.ErrorBudget)
	}
	if !strings.Contains(back.StatusReason, "error rate 20.00% is above the budget of 1%") {
		t.Errorf("reason %q", back.StatusReason)
	}
	// 0 disables the budget.
	res.ErrorBudget.MaxErrorRate = 0
	if st, _ := Judge(res); st != StatusComplete {
		t.Errorf("budget 0: status %q, want complete", st)
	}
	// Settable: a 25% budget holds.
	res.ErrorBudget.MaxErrorRate = 0.25
	if st, _ := Judge(res); st != StatusComplete {
		t.Errorf("budget 25%%: status %q, want complete", st)
	}
}

func TestWholeRunTargetFromDue(t *testing.T) {
	t.Parallel()
	// sine 2000±1000 over 2 s, 4 s run, 1 s warmup: 5,363 messages due in
	// the 3 s window is 1787.7 msg/s, not the mean of the profile.
	res := &Result{TargetRateMsgsPerSec: 2212.2, DueInWindow: 5363, MeasuredNs: 3e9,
		Counts: Counts{Sent: 5363, Acked: 5363}, ScheduleLag: Latency{Count: 1, P99Ns: 1000}}
	if got := WholeRunTarget(res); got < 1787.6 || got > 1787.7 {
		t.Errorf("WholeRunTarget = %.2f, want 1787.67", got)
	}
	if g := CheckGenerator(res); g.Saturated {
		t.Errorf("on schedule flagged: %+v", g)
	}
}

func TestThresholdsAndFloorPersisted(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	res.Thresholds = []ThresholdVerdict{{Threshold: "p99 < 1us", Observed: "4.968ms", OK: false}, {Threshold: "error_rate < 1%", Observed: "0.100%", OK: true}}
	res.TimerFloor = TimerFloor{Samples: 1800, P50Ns: 60_000, P99Ns: 2_500_000, MaxNs: 4_000_000}
	res.Producer = ProducerCounters{Retries: 7, Reconnects: 1, Resends: 3}
	res.AckedByPartition = map[string]int64{"t/0": 10, "t/1": 20}
	ks := NewKeySkew(map[string]int64{"a": 90, "b": 10})
	res.KeySkew = &ks
	js, err := MarshalResult(res)
	if err != nil {
		t.Fatal(err)
	}
	var sum, md, html bytes.Buffer
	_ = WriteSummary(&sum, res)
	_ = WriteMarkdown(&md, res)
	if err := writeRunHTML(&html, res, nil); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"json": string(js), "summary": sum.String(), "markdown": md.String(), "html": html.String()} {
		for _, want := range []string{"p99 &lt; 1us", "4.968ms", "platform timer floor", "2.500"} {
			if name != "html" && name != "markdown" {
				want = strings.ReplaceAll(want, "&lt;", "<")
			}
			if name == "json" && want == "p99 < 1us" {
				want = `p99 \u003c 1us`
			}
			if name == "json" && (want == "platform timer floor" || want == "2.500") {
				continue
			}
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if name != "json" && !strings.Contains(out, "THRESHOLDS CROSSED") {
			t.Errorf("%s lacks THRESHOLDS CROSSED", name)
		}
	}
	for _, want := range []string{`"retries": 7`, `"t/1": 20`, `"top10_share": 1`, `"p99_ns": 2500000`, `"cpu_model"`} {
		if want == `"cpu_model"` {
			continue // sampleResult sets its own environment
		}
		if !strings.Contains(string(js), want) {
			t.Errorf("result.json lacks %s", want)
		}
	}
	if !strings.Contains(sum.String(), "7 retries, 1 reconnects, 3 resends") || !strings.Contains(sum.String(), "acked t/0 10, t/1 20") {
		t.Errorf("summary lacks producer counters or partitions:\n%s", sum.String())
	}
}

func TestMachineMismatch(t *testing.T) {
	t.Parallel()
	a := Environment{CPUModel: "AMD EPYC 7B13", NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8"}
	if MachineMismatch(a, a) != "" {
		t.Error("same machine flagged")
	}
	b := a
	b.CPUModel, b.NumCPU, b.GOMAXPROCS = "Intel Xeon", 16, 16
	w := MachineMismatch(a, b)
	for _, want := range []string{"MACHINE MISMATCH", `"AMD EPYC 7B13" vs "Intel Xeon"`, "2 vs 16 CPUs", "GOMAXPROCS 2 vs 16"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	if env := CollectEnvironment(); env.CPUModel == "" {
		t.Error("CollectEnvironment has no CPU model")
	}
}

func TestMeasureTimerFloor(t *testing.T) {
	t.Parallel()
	f := MeasureTimerFloor(50 * time.Millisecond)
	if f.Samples == 0 || f.P99Ns < f.P50Ns || f.MaxNs < f.P99Ns {
		t.Errorf("floor %+v", f)
	}
	if MeasureTimerFloor(0).Samples != 0 {
		t.Error("d = 0 measured")
	}
}

func TestRecorderFailedLatency(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	r := NewRecorder(start, 0, time.Second)
	base := start.UnixNano()
	r.Sent(base+1e6, 100)
	r.Failure(base+1e6, base+2e6, base+31e6, "send_timeout") // 30 ms to failure
	r.Sent(base+2e6, 100)
	r.Success(base+2e6, base+2e6, base+5e6, 100)
	res, err := NewResult(r.Finish(start.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if res.FailedLatency.Count != 1 || res.FailedLatency.MaxNs < 29_900_000 || res.FailedLatency.MaxNs > 30_100_000 {
		t.Errorf("failed latency %+v, want one value of 30 ms", res.FailedLatency)
	}
	if res.Latency.Count != 1 {
		t.Errorf("acked latency count %d", res.Latency.Count)
	}
	if res.ErrorBudget.MaxErrorRate != DefaultMaxErrorRate {
		t.Errorf("default budget %v", res.ErrorBudget.MaxErrorRate)
	}
}
