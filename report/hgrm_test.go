package report

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// hgrmLine is a percentile line of the classic .hgrm format.
// Columns are right-aligned in widths 12, 14, 10 and 14, one space apart.
var hgrmLine = regexp.MustCompile(`^ *(\d+\.\d{3}) (\d\.\d{12}) +(\d{1,10})(?: +(\d+\.\d{2}))?$`)

func TestPercentileDistribution(t *testing.T) {
	t.Parallel()
	h := NewHistogram()
	for i := int64(1); i <= 10000; i++ {
		_ = h.RecordValue(i * 1000) // 1 µs .. 10 ms
	}
	var buf bytes.Buffer
	if err := WritePercentileDistribution(&buf, h, 1e6); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if lines[0] != "       Value     Percentile TotalCount 1/(1-Percentile)" || lines[1] != "" {
		t.Fatalf("header %q %q", lines[0], lines[1])
	}
	footer := lines[len(lines)-3:]
	for i, re := range []string{
		`^#\[Mean    = +5\.00\d, StdDeviation   = +2\.88\d\]$`,
		`^#\[Max     = +10\.00\d, Total count    = +10000\]$`,
		`^#\[Buckets = +32, SubBuckets     = +2048\]$`,
	} {
		if !regexp.MustCompile(re).MatchString(footer[i]) {
			t.Errorf("footer line %q does not match %s", footer[i], re)
		}
	}
	body := lines[2 : len(lines)-3]
	if len(body) < 50 {
		t.Fatalf("%d percentile lines, want the full distribution", len(body))
	}
	prevQ, prevV := -1.0, -1.0
	for i, line := range body {
		m := hgrmLine.FindStringSubmatch(line)
		if m == nil || (m[4] != "" && len(line) != 12+1+14+1+10+1+14) {
			t.Fatalf("line %q is not Value Percentile TotalCount 1/(1-Percentile)", line)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		q, _ := strconv.ParseFloat(m[2], 64)
		n, _ := strconv.ParseInt(m[3], 10, 64)
		last := i == len(body)-1
		if (m[4] == "") != last {
			t.Errorf("line %q: only the 100%% line lacks 1/(1-Percentile)", line)
		}
		if q < prevQ || v < prevV {
			t.Errorf("line %q goes backwards", line)
		}
		prevQ, prevV = q, v
		// The value is the histogram's value at that percentile, in ms,
		// within the histogram's resolution (0.1%) and the 3 decimals.
		if want := float64(h.ValueAtQuantile(q*100)) / 1e6; math.Abs(v-want) > want/1000+0.0015 {
			t.Errorf("line %q: value %v ms, histogram says %v", line, v, want)
		}
		if want := int64(math.Round(q * 10000)); n < want-10 || n > want+10 {
			t.Errorf("line %q: total count %d, want about %d", line, n, want)
		}
		if !last {
			if inv, _ := strconv.ParseFloat(m[4], 64); math.Abs(inv-1/(1-q)) > 0.01 {
				t.Errorf("line %q: 1/(1-p) %v", line, inv)
			}
		}
	}
	if prevQ != 1 {
		t.Errorf("last percentile %v, want 1", prevQ)
	}
}

func TestPercentileDistributionEdges(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WritePercentileDistribution(&buf, NewHistogram(), 1e6); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "\n"); got != 5 || !strings.Contains(buf.String(), "Total count    =            0") {
		t.Errorf("empty histogram: want header and footer only, got:\n%s", buf.String())
	}
	if err := WritePercentileDistribution(&buf, nil, 1e6); err == nil {
		t.Error("nil histogram accepted")
	}
	if err := WritePercentileDistribution(&buf, NewHistogram(), 0); err == nil {
		t.Error("zero scale accepted")
	}
	if err := WritePercentileDistribution(failWriter{}, NewHistogram(), 1); err == nil {
		t.Error("write error not returned")
	}
}
