package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	vs := variants(t)
	tests := []struct {
		variant, golden string
	}{
		{"complete", "report.golden.md"},                // complete run with failures of three kinds
		{"interrupted", "report_interrupted.golden.md"}, // interrupted, unthrottled, clamped latencies
		{"saturated", "report_saturated.golden.md"},     // generator behind on lag and rate
		{"closedloop", "report_closedloop.golden.md"},   // closed loop note
		{"v1", "report_v1.golden.md"},                   // schema 1 file
	}
	for _, tc := range tests {
		t.Run(tc.variant, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteMarkdown(&buf, vs[tc.variant]); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestMarkdownEscapes(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	res.Scenario.Name = "a|b_c"
	res.Scenario.Description = "uses <script> and *stars* | pipes\nnewline"
	res.Counts.FailedByKind = map[string]int64{"broker:`X`|Y": 1}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`## prodbench: a\|b\_c`, `uses &lt;script&gt; and \*stars\* \| pipes newline`, "| `broker:'X'\\|Y` | 1 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Error("raw HTML leaked into the markdown")
	}
	// Every table row has as many cells as its header.
	cells := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("row %q has %d separators, header %d", line, n, cells)
		}
	}
	if err := WriteMarkdown(&buf, nil); err == nil {
		t.Error("nil result accepted")
	}
	if err := WriteMarkdown(failWriter{}, res); err == nil {
		t.Error("write error not returned")
	}
}
