package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestSummaryNotApplicable: an engine without batches or client-side
// compression (nats, pulsar-ws) gets "not applicable" in the batch and
// compression lines of every report, not zeros; an engine with both keeps
// its figures; a result without EngineCaps (older) is unchanged.
func TestSummaryNotApplicable(t *testing.T) {
	t.Parallel()
	none := sampleResult(t)
	none.Batches = Batches{}
	none.EngineCaps = &EngineCaps{}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, none); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"batches:     not applicable", "compression: not applicable"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ratio 0.000") || strings.Contains(out, "none recorded") {
		t.Errorf("summary prints zeros for figures the engine cannot have:\n%s", out)
	}
	buf.Reset()
	if err := WriteMarkdown(&buf, none); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "not applicable") {
		t.Errorf("report.md lacks not applicable")
	}

	batchesOnly := sampleResult(t)
	batchesOnly.EngineCaps = &EngineCaps{Batches: true}
	buf.Reset()
	if err := WriteSummary(&buf, batchesOnly); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "records/batch") || !strings.Contains(out, "compression: not applicable") {
		t.Errorf("batches without compression:\n%s", out)
	}

	full := sampleResult(t)
	full.EngineCaps = &EngineCaps{Batches: true, Compression: true}
	var a, b bytes.Buffer
	if err := WriteSummary(&a, full); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&b, sampleResult(t)); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || strings.Contains(a.String(), "not applicable") {
		t.Errorf("an engine with batches and compression changed the summary")
	}
}
