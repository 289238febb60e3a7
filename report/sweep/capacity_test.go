package sweep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// capStep returns a completed step at rate whose p99 is p99 ms.
func capStep(t *testing.T, idx int, slo SLO, rate, p99 float64, failed int64) Step {
	t.Helper()
	sent := int64(rate * 4)
	ev, err := Evaluate(result(t, runSpec{target: rate, sent: sent, failed: failed, latLo: ms(1), latHi: ms(p99 / 0.99),
		svcLo: ms(1), svcHi: ms(p99 / 0.99), lagHi: ms(0.3)}), slo, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	phase := PhaseRamp
	if idx > 3 {
		phase = PhaseSearch
	}
	return Step{Index: idx, Phase: phase, RateMsgsPerSec: rate, Outcome: Outcome{Dir: "s", Status: StatusComplete, Evaluation: &ev}}
}

func TestConclude(t *testing.T) {
	t.Parallel()
	slo := sloP99(50*time.Millisecond, 0.001)
	c := &Capacity{Scenario: "cap", Status: StatusComplete, SLO: slo, Search: Search{StartMsgsPerSec: 1000, Precision: 0.05}}
	for i, s := range []struct{ rate, p99 float64 }{{1000, 5}, {2000, 6}, {4000, 8}, {8000, 120}, {6000, 10}, {7000, 60}, {6500, 20}, {6750, 40}} {
		c.Steps = append(c.Steps, capStep(t, i, slo, s.rate, s.p99, 0))
	}
	c.Conclude()
	if !c.Found || c.KneeMsgsPerSec != 6750 || c.FailMsgsPerSec != 7000 || c.Limit != LimitSLO {
		t.Fatalf("found %v knee %v fail %v limit %q", c.Found, c.KneeMsgsPerSec, c.FailMsgsPerSec, c.Limit)
	}
	for _, want := range []string{"6,750 msg/s", "7,000 msg/s (+3.7%)", "the SLO (p99 > 50 ms)"} {
		if !strings.Contains(c.Verdict, want) {
			t.Errorf("verdict %q lacks %q", c.Verdict, want)
		}
	}

	// A noisy pass above the lowest failure does not count.
	c.Steps = append(c.Steps, capStep(t, 8, slo, 7500, 30, 0))
	c.Conclude()
	if c.KneeMsgsPerSec != 6750 {
		t.Fatalf("knee %v, want 6750 (7500 passed above a failure at 7000)", c.KneeMsgsPerSec)
	}

	// Errors as the limit.
	c.Steps = []Step{capStep(t, 0, slo, 1000, 5, 0), capStep(t, 1, slo, 2000, 5, 80)}
	c.Conclude()
	if !c.Found || c.Limit != LimitErrors || !strings.Contains(c.Verdict, "limited by errors") {
		t.Fatalf("limit %q verdict %q", c.Limit, c.Verdict)
	}

	// Even the first rate fails.
	c.Steps = []Step{capStep(t, 0, slo, 1000, 80, 0)}
	c.Conclude()
	if c.Found || c.KneeMsgsPerSec != 0 || !strings.Contains(c.Verdict, "Even the lowest rate tried, 1,000 msg/s") {
		t.Fatalf("found %v knee %v verdict %q", c.Found, c.KneeMsgsPerSec, c.Verdict)
	}

	// Nothing failed up to --max-rate.
	c.Search.MaxMsgsPerSec = 2000
	c.Steps = []Step{capStep(t, 0, slo, 1000, 5, 0), capStep(t, 1, slo, 2000, 5, 0)}
	c.Conclude()
	if !c.Found || c.Limit != LimitNone || c.KneeMsgsPerSec != 2000 || !strings.Contains(c.Verdict, "--max-rate") {
		t.Fatalf("found %v limit %q verdict %q", c.Found, c.Limit, c.Verdict)
	}

	// The generator as the limit: never reported as the broker's capacity.
	late, err := Evaluate(result(t, runSpec{target: 4000, sent: 16000, latLo: ms(1), latHi: ms(200), svcLo: ms(1), svcHi: ms(10), lagHi: ms(190)}), slo, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Steps = []Step{capStep(t, 0, slo, 1000, 5, 0), capStep(t, 1, slo, 2000, 5, 0),
		{Index: 2, Phase: PhaseRamp, RateMsgsPerSec: 4000, Outcome: Outcome{Status: StatusComplete, Evaluation: &late}}}
	c.Conclude()
	if c.Limit != LimitGenerator || !strings.Contains(c.Verdict, "The load generator, not the broker") || !strings.Contains(c.Verdict, "at least") {
		t.Fatalf("limit %q verdict %q", c.Limit, c.Verdict)
	}
	if _, title := capacityAlert(c); !strings.Contains(title, "load generator") {
		t.Fatalf("alert title %q", title)
	}
	if rows := capacitySummary(c); rows[0][1] != "≥ 2,000 msg/s" || rows[3][1] != "the load generator" {
		t.Fatalf("summary %v", rows)
	}

	// An interrupted step proves nothing.
	c.Steps = []Step{capStep(t, 0, slo, 1000, 5, 0), {Index: 1, RateMsgsPerSec: 2000, Outcome: Outcome{Status: StatusInterrupted}}}
	c.Status = StatusInterrupted
	c.Conclude()
	if !c.Found || c.FailMsgsPerSec != 0 || !strings.Contains(c.Verdict, "interrupted") {
		t.Fatalf("found %v fail %v verdict %q", c.Found, c.FailMsgsPerSec, c.Verdict)
	}
}

func TestWriteCapacity(t *testing.T) {
	t.Parallel()
	slo := sloP99(50*time.Millisecond, 0.001)
	c := &Capacity{Scenario: "cap", Target: "sim", Status: StatusComplete, SLO: slo,
		Search: Search{StartMsgsPerSec: 1000, Precision: 0.05, StepDurationNs: int64(2 * time.Second), StepWarmupNs: int64(time.Second / 2)}}
	for i, s := range []struct{ rate, p99 float64 }{{1000, 5}, {2000, 6}, {4000, 8}, {8000, 400}, {6000, 10}, {7000, 60}, {6500, 20}, {6750, 40}} {
		c.Steps = append(c.Steps, capStep(t, i, slo, s.rate, s.p99, 0))
	}
	dir := t.TempDir()
	if err := WriteCapacity(dir, c); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, dir, CapacityFile, CapacityMarkdownFile, CapacityHTMLFile,
		"capacity-latency.png", "capacity-latency.svg", "capacity-throughput.png", "capacity-throughput.svg")
	back, err := ReadCapacity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Found || back.KneeMsgsPerSec != 6750 || len(back.Steps) != 8 || back.Limit != LimitSLO {
		t.Fatalf("read back %+v", back)
	}
	md, _ := os.ReadFile(filepath.Join(dir, CapacityMarkdownFile))
	for _, want := range []string{"> [!TIP]", "**Capacity: 6,750 msg/s.**", "| capacity (highest passing rate) | 6,750 msg/s |",
		"| bracket | 6,750 – 7,000 msg/s (3.7%) |", "| 4 | ramp | 8,000 |", "✗ slo: p99 400.0 > 50 ms", "capacity-latency.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("capacity.md lacks %q:\n%s", want, md)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, CapacityHTMLFile))
	if !strings.Contains(string(page), "data:image/png;base64,") || !strings.Contains(string(page), `<a href="s/report.html">1</a>`) {
		t.Error("capacity.html lacks its plots or step links")
	}
	if _, err := ReadCapacity(t.TempDir()); err == nil {
		t.Fatal("ReadCapacity of an empty directory succeeded")
	}
}
