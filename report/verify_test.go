package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestVerifyBlock: a verify block with a loss or corruption fails the run
// with the count in the reason; duplicates alone do not; the summary and
// the HTML show the block.
func TestVerifyBlock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		v      Verify
		failed string // want StatusFailed with this reason; "" for not failed
	}{
		{"clean", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 10}}, ""},
		{"duplicates only", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 12, Duplicated: 2}}, ""},
		{"lost", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 7, Lost: 3}}, "verify: 3 lost"},
		{"lost and corrupted", Verify{Total: VerifyCounts{Acked: 10, ReadBack: 9, Lost: 1, Corrupted: 2}}, "verify: 1 lost, 2 corrupted"},
		{"read back failed", Verify{Error: "broker gone"}, "verify: read back failed: broker gone"},
	} {
		res := sampleResult(t)
		v := tc.v
		v.Partitions = []VerifyCounts{v.Total}
		v.Partitions[0].Topic = "t"
		res.Verify = &v
		status, reason := Judge(res)
		if tc.failed != "" && (status != StatusFailed || reason != tc.failed) {
			t.Errorf("%s: status %s %q, want failed %q", tc.name, status, reason, tc.failed)
		}
		if tc.failed == "" && status == StatusFailed {
			t.Errorf("%s: failed: %s", tc.name, reason)
		}
		var sum bytes.Buffer
		if err := WriteSummary(&sum, res); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sum.String(), "verify:      whole run") {
			t.Errorf("%s: summary has no verify line:\n%s", tc.name, sum.String())
		}
		var html bytes.Buffer
		if err := WriteHTML(&html, res); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html.String(), "Delivery verification") {
			t.Errorf("%s: HTML has no verification table", tc.name)
		}
	}
}
