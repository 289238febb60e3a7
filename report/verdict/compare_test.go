package verdict

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/prodbench/prodbench/report"
)

func TestParseLimit(t *testing.T) {
	t.Parallel()
	near15 := func(got, want Limit) bool { return got.Stat == want.Stat && near(got.Max, want.Max, 1e-15) }
	checkParses(t, "ParseLimit", ParseLimit, near15, []parseCase[Limit]{
		{in: "throughput=5%", want: Limit{StatThroughput, 0.05}},     // the example
		{in: "p99=10%", want: Limit{StatP99, 0.10}},                  // the other
		{in: " p999 = 12.5% ", want: Limit{StatP999, 0.125}},         // spaces around =
		{in: "p(99.99)=20%", want: Limit{StatP9999, 0.20}},           // threshold spelling
		{in: "avg=3%", want: Limit{StatMean, 0.03}},                  // k6 alias
		{in: "med=0%", want: Limit{StatP50, 0}},                      // zero tolerance
		{in: "mb_per_s=150%", want: Limit{StatMBPerSec, 1.5}},        // above 100% is allowed
		{in: "error_rate=0.1%", want: Limit{StatErrorRate, 0.001}},   // percentage points
		{in: "max=1e1%", want: Limit{StatMax, 0.1}},                  // exponent
		{in: "p90=7%", want: Limit{StatP90, 0.07}},                   // p90
		{in: "error_rate=100%", want: Limit{StatErrorRate, 1}},       // the most
		{in: "throughput=0.5%", want: Limit{StatThroughput, 0.005}},  // fraction of a percent
		{in: "mean=33.3333%", want: Limit{StatMean, 0.333333}},       // many digits
		{in: "p50=50%", want: Limit{StatP50, 0.5}},                   // p50
		{in: "p9999=1%", want: Limit{StatP9999, 0.01}},               // p9999
		{in: "p(50)=1%", want: Limit{StatP50, 0.01}},                 // p(50)
		{in: "mb_per_s=5%", want: Limit{StatMBPerSec, 0.05}},         // mb_per_s
		{in: "p(99)\t=\t2%", want: Limit{StatP99, 0.02}},             // tabs
		{in: "throughput=00005%", want: Limit{StatThroughput, 0.05}}, // leading zeros
	})
}

func TestParseLimitErrors(t *testing.T) {
	t.Parallel()
	checkSyntaxErrors(t, "ParseLimit", "limit", ParseLimit, []syntaxCase{
		{"throughput", 11, "missing =PERCENT, e.g. throughput=5%"},         // no =
		{"throughput>5%", 11, "want = after the metric"},                   // threshold syntax
		{"throughput=", 12, "missing percentage"},                          // no value
		{"throughput=5", 12, "want a percentage: write 5%"},                // no %
		{"throughput=-5%", 12, `bad percentage "-5%"`},                     // negative
		{"throughput=5%%", 12, `bad percentage "5%%"`},                     // junk
		{"throughput=5% p99=10%", 15, `unexpected "p99=10%"`},              // two in one
		{"p(95)=5%", 1, "p95 is not stored in results"},                    // not a stored percentile
		{"latency=5%", 1, `unknown metric "latency"`},                      // unknown
		{"thruput=5%", 1, `did you mean "throughput"?`},                    // typo
		{"error_rate=101%", 12, "error_rate limit 101% is more than 100%"}, // over 100 points
		{"", 1, "empty"}, // empty
	})
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	ls, err := ParseLimits([]string{"throughput=3%", "p99=8%"})
	if err != nil || len(ls) != 2 || ls[1] != (Limit{StatP99, 0.08}) {
		t.Fatalf("ParseLimits = %v, %v", ls, err)
	}
	ls, err = ParseLimits([]string{"p99=8%", "p(99)=9%", "bad"})
	if err == nil || ls != nil {
		t.Fatalf("ParseLimits with a duplicate and a bad one = %v, %v", ls, err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `p99 is already limited by "p99=8%"`) {
		t.Errorf("ParseLimits errors = %q", lines)
	}
}

func TestLimitText(t *testing.T) {
	t.Parallel()
	var ls []Limit
	if err := json.Unmarshal([]byte(`["throughput=5%", "p99=10%"]`), &ls); err != nil {
		t.Fatal(err)
	}
	if out, err := json.Marshal(ls); err != nil || string(out) != `["throughput=5%","p99=10%"]` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`["p99"]`), &ls); err == nil {
		t.Error("Unmarshal of a bad limit succeeded")
	}
	for _, bad := range []Limit{{"p75", 0.1}, {StatP99, -0.1}, {StatP99, math.NaN()}, {StatP99, math.Inf(1)}} {
		if _, err := bad.MarshalText(); err == nil {
			t.Errorf("MarshalText(%+v) succeeded", bad)
		}
	}
}

func TestDefaultLimits(t *testing.T) {
	t.Parallel()
	got := DefaultLimits()
	if len(got) != 2 || got[0] != (Limit{StatThroughput, 0.05}) || got[1] != (Limit{StatP99, 0.10}) {
		t.Errorf("DefaultLimits = %v", got)
	}
	got[0].Max = 9 // a copy: callers cannot change the defaults
	if DefaultLimits()[0].Max != 0.05 {
		t.Error("DefaultLimits shares its slice")
	}
}

// runs returns n results with throughput tp msg/s (and tp/2000 MB/s),
// every latency lat ns, error rate errRate, each value scaled by
// 1+0.001·i for run i so that no two runs tie.
func runs(n int, tp, lat, errRate float64) []*report.Result {
	out := make([]*report.Result, n)
	for i := range out {
		f := 1 + 0.001*float64(i)
		l := int64(lat * f)
		out[i] = &report.Result{
			Counts:     report.Counts{Sent: 1_000_000, Acked: 1_000_000, Failed: int64(errRate * f * 1_000_000)},
			Throughput: report.Throughput{MsgsPerSec: tp * f, MBPerSec: tp * f / 2000},
			Latency:    report.Latency{P50Ns: l, P90Ns: l, P99Ns: l, P999Ns: l, P9999Ns: l, MaxNs: l, MeanNs: l},
		}
	}
	return out
}

// row returns the row of st.
func row(t *testing.T, c Comparison, st Stat) Row {
	t.Helper()
	i := slices.IndexFunc(c.Rows, func(r Row) bool { return r.Stat == st })
	if i < 0 {
		t.Fatalf("no row for %s", st)
	}
	return c.Rows[i]
}

func TestCompareVerdicts(t *testing.T) {
	t.Parallel()
	const tp, lat = 50000, 5e6
	tests := []struct {
		name      string
		base      []*report.Result
		cand      []*report.Result
		limits    []Limit
		alpha     float64
		stat      Stat
		want      Verdict
		regressed bool
	}{
		// Same values on both sides: p = 1.
		{"same", runs(5, tp, lat, 0), runs(5, tp, lat, 0), nil, 0, StatP99, VerdictNoChange, false},
		// p99 +40%, every candidate above every baseline: p = 0.0079.
		{"p99 +40%", runs(5, tp, lat, 0), runs(5, tp, lat*1.4, 0), nil, 0, StatP99, VerdictRegression, true},
		// p99 +5%: significant but within the default 10%.
		{"p99 +5%", runs(5, tp, lat, 0), runs(5, tp, lat*1.05, 0), nil, 0, StatP99, VerdictOK, false},
		// p99 -40%: better beyond the limit.
		{"p99 -40%", runs(5, tp, lat, 0), runs(5, tp, lat*0.6, 0), nil, 0, StatP99, VerdictImprovement, false},
		// Throughput -10%: lower is worse.
		{"throughput -10%", runs(5, tp, lat, 0), runs(5, tp*0.9, lat, 0), nil, 0, StatThroughput, VerdictRegression, true},
		// Throughput +10%: higher is better.
		{"throughput +10%", runs(5, tp, lat, 0), runs(5, tp*1.1, lat, 0), nil, 0, StatThroughput, VerdictImprovement, false},
		// Throughput -4%: significant, within the default 5%.
		{"throughput -4%", runs(5, tp, lat, 0), runs(5, tp*0.96, lat, 0), nil, 0, StatThroughput, VerdictOK, false},
		// p50 has no default limit: worse, but it does not fail.
		{"p50 +40% unlimited", runs(5, tp, lat, 0), runs(5, tp, lat*1.4, 0), nil, 0, StatP50, VerdictWorse, true},
		// p50 -40% unlimited: an improvement.
		{"p50 -40% unlimited", runs(5, tp, lat, 0), runs(5, tp, lat*0.6, 0), nil, 0, StatP50, VerdictImprovement, false},
		// Explicit limits replace the defaults: p99 +40% under p99=50%.
		{"p99 +40% under 50%", runs(5, tp, lat, 0), runs(5, tp, lat*1.4, 0), []Limit{{StatP99, 0.5}}, 0, StatP99, VerdictOK, false},
		// ... and throughput is then unlimited.
		{"throughput -10% unlimited", runs(5, tp, lat, 0), runs(5, tp*0.9, lat, 0), []Limit{{StatP99, 0.5}}, 0, StatThroughput, VerdictWorse, false},
		// error_rate limit in points: 0.1% -> 0.3% is +0.2 points > 0.1.
		{"error_rate +0.2pp", runs(5, tp, lat, 0.001), runs(5, tp, lat, 0.003), []Limit{{StatErrorRate, 0.001}}, 0, StatErrorRate, VerdictRegression, true},
		// ... 0.1% -> 0.15% is within 0.1 points.
		{"error_rate +0.05pp", runs(5, tp, lat, 0.001), runs(5, tp, lat, 0.0015), []Limit{{StatErrorRate, 0.001}}, 0, StatErrorRate, VerdictOK, false},
		// 2 against 2: p can be no lower than 0.33, never flagged.
		{"2v2", runs(2, tp, lat, 0), runs(2, tp, lat*1.4, 0), nil, 0, StatP99, VerdictInsufficient, false},
		// 3 against 4: at best 0.057, still insufficient at 0.05.
		{"3v4", runs(3, tp, lat, 0), runs(4, tp, lat*1.4, 0), nil, 0, StatP99, VerdictInsufficient, false},
		// 3 against 4 at alpha 0.1 is enough.
		{"3v4 alpha 0.1", runs(3, tp, lat, 0), runs(4, tp, lat*1.4, 0), nil, 0.1, StatP99, VerdictRegression, true},
		// 4 against 4 is the least for 0.05.
		{"4v4", runs(4, tp, lat, 0), runs(4, tp, lat*1.4, 0), nil, 0, StatP99, VerdictRegression, true},
		// 5 against 5 at alpha 0.001: unreachable (0.0079).
		{"5v5 alpha 0.001", runs(5, tp, lat, 0), runs(5, tp, lat*1.4, 0), nil, 0.001, StatP99, VerdictInsufficient, false},
		// 1 against 1: the change alone against the limit.
		{"1v1 +40%", runs(1, tp, lat, 0), runs(1, tp, lat*1.4, 0), nil, 0, StatP99, VerdictRegression, true},
		// 1 against 1 within the limit.
		{"1v1 +5%", runs(1, tp, lat, 0), runs(1, tp, lat*1.05, 0), nil, 0, StatP99, VerdictOK, false},
		// 1 against 1, better beyond the limit.
		{"1v1 -40%", runs(1, tp, lat, 0), runs(1, tp, lat*0.6, 0), nil, 0, StatP99, VerdictImprovement, false},
		// 1 against 1 without a limit: no judgement.
		{"1v1 p50 unlimited", runs(1, tp, lat, 0), runs(1, tp, lat*1.4, 0), nil, 0, StatP50, VerdictNoChange, true},
		// 1 against 5: at best p = 0.33.
		{"1v5", runs(1, tp, lat, 0), runs(5, tp, lat*1.4, 0), nil, 0, StatP99, VerdictInsufficient, false},
		// No candidate at all.
		{"empty", runs(5, tp, lat, 0), nil, nil, 0, StatP99, VerdictInsufficient, false},
		// nil entries are skipped: 1 against 1 really.
		{"nil entries", append(runs(1, tp, lat, 0), nil), append([]*report.Result{nil}, runs(1, tp, lat*1.4, 0)...), nil, 0, StatP99, VerdictRegression, true},
	}
	for _, tt := range tests {
		c := Compare(tt.base, tt.cand, tt.limits, tt.alpha)
		r := row(t, c, tt.stat)
		if r.Verdict != tt.want {
			t.Errorf("%s: %s verdict %q (p %v, delta %v), want %q", tt.name, tt.stat, r.Verdict, r.P, r.Delta, tt.want)
		}
		if c.Regressed() != tt.regressed {
			t.Errorf("%s: Regressed() = %v, want %v", tt.name, c.Regressed(), tt.regressed)
		}
	}
}

func TestCompareRows(t *testing.T) {
	t.Parallel()
	base := runs(5, 50000, 5e6, 0.001)
	cand := runs(5, 45000, 7e6, 0.002)
	c := Compare(base, cand, nil, 0)
	if c.Alpha != DefaultAlpha || c.BaseN != 5 || c.CandN != 5 || len(c.Limits) != 2 || c.SingleRun() {
		t.Errorf("Comparison header = alpha %v, n %d/%d, limits %v", c.Alpha, c.BaseN, c.CandN, c.Limits)
	}
	if len(c.Rows) != len(Stats()) {
		t.Fatalf("%d rows, want %d", len(c.Rows), len(Stats()))
	}
	for i, st := range Stats() {
		if c.Rows[i].Stat != st {
			t.Errorf("row %d is %s, want %s", i, c.Rows[i].Stat, st)
		}
	}
	tp := row(t, c, StatThroughput)
	// Medians are the third run: 50000·1.002 and 45000·1.002.
	if !near(tp.Base, 50100, 1e-9) || !near(tp.Cand, 45090, 1e-9) || !near(tp.Delta, -0.1, 1e-12) ||
		!near(tp.Worse, 0.1, 1e-12) || !near(tp.P, 2.0/252, 1e-12) || !tp.HasLimit || tp.Limit != 0.05 ||
		tp.BaseN != 5 || tp.CandN != 5 {
		t.Errorf("throughput row = %+v", tp)
	}
	p99 := row(t, c, StatP99)
	if !near(p99.Delta, 0.4, 1e-6) || !near(p99.Worse, 0.4, 1e-6) || p99.Limit != 0.10 {
		t.Errorf("p99 row = %+v", p99)
	}
	p50 := row(t, c, StatP50)
	if p50.HasLimit {
		t.Errorf("p50 row has a default limit: %+v", p50)
	}
	// error_rate deltas are absolute: 0.2004% - 0.1002% = 0.1002 points.
	er := row(t, c, StatErrorRate)
	if !near(er.Delta, 0.001002, 1e-9) || !near(er.Worse, er.Delta, 0) {
		t.Errorf("error_rate row = %+v", er)
	}
	// A limit given twice: the last wins.
	c = Compare(base, cand, []Limit{{StatP99, 0.1}, {StatP99, 0.5}}, 0)
	if r := row(t, c, StatP99); r.Limit != 0.5 || r.Verdict != VerdictOK {
		t.Errorf("p99 with limits 10%% then 50%% = %+v", r)
	}
	// Single runs: no p-value.
	c = Compare(base[:1], cand[:1], nil, 0)
	if r := row(t, c, StatP99); !math.IsNaN(r.P) || !c.SingleRun() {
		t.Errorf("1v1 p99 row = %+v", r)
	}
	// An empty side: NaN medians and deltas.
	c = Compare(nil, cand, nil, 0)
	if r := row(t, c, StatP99); !math.IsNaN(r.Base) || !math.IsNaN(r.Delta) || r.BaseN != 0 {
		t.Errorf("empty baseline p99 row = %+v", r)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},            // one value
		{[]float64{3, 1, 2}, 2},      // odd: the middle
		{[]float64{4, 1, 3, 2}, 2.5}, // even: the mean of the middle two
		{[]float64{5, 5, 1, 9}, 5},   // ties
	}
	for _, tt := range tests {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

func TestDelta(t *testing.T) {
	t.Parallel()
	check := func(st Stat, b, c, want float64) {
		t.Helper()
		if got := delta(st, b, c); !near(got, want, 1e-12) && got != want {
			t.Errorf("delta(%s, %v, %v) = %v, want %v", st, b, c, got, want)
		}
	}
	check(StatP99, 100, 140, 0.4)              // relative
	check(StatThroughput, 100, 90, -0.1)       // relative, down
	check(StatP99, 0, 0, 0)                    // both zero
	check(StatP99, 0, 5, math.Inf(1))          // from zero
	check(StatThroughput, 0, -1, math.Inf(-1)) // from zero, down (not a real case)
	check(StatErrorRate, 0, 0.01, 0.01)        // absolute, from zero
	check(StatErrorRate, 0.02, 0.01, -0.01)    // absolute, down
}

func TestStats(t *testing.T) {
	t.Parallel()
	for _, st := range Stats() {
		lat := st != StatThroughput && st != StatMBPerSec && st != StatErrorRate
		if st.IsLatency() != lat {
			t.Errorf("%s.IsLatency() = %v", st, st.IsLatency())
		}
		if st.HigherIsWorse() != (st != StatThroughput && st != StatMBPerSec) {
			t.Errorf("%s.HigherIsWorse() = %v", st, st.HigherIsWorse())
		}
		// Every Stat is a valid limit name.
		if l, err := ParseLimit(string(st) + "=1%"); err != nil || l.Stat != st {
			t.Errorf("ParseLimit(%s=1%%) = %v, %v", st, l, err)
		}
	}
	if !math.IsNaN(Stat("p75").of(&report.Result{})) {
		t.Error("unknown Stat has a value")
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	c := Compare(runs(5, 50000, 5e6, 0), runs(5, 50000, 7e6, 0), nil, 0)
	var text, md strings.Builder
	if err := WriteTable(&text, c, FormatText); err != nil {
		t.Fatal(err)
	}
	if err := WriteTable(&md, c, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	if !strings.HasPrefix(lines[0], "metric ") || !strings.HasSuffix(lines[0], "p-value  verdict") {
		t.Errorf("text header = %q", lines[0])
	}
	for _, want := range []string{
		"p99               5.010ms        7.014ms   +40.00%    0.008  regression\n",
		"baseline 5 runs, candidate 5 runs; alpha 0.05; limits throughput=5%, p99=10%",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text table lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{
		"| metric | baseline | candidate | delta | p-value | verdict |\n| --- | ---: | ---: | ---: | ---: | --- |\n",
		"| p99 | 5.010ms | 7.014ms | +40.00% | 0.008 | regression |\n",
		"| error_rate | 0.000% | 0.000% | +0.000pp | 1.000 | ~ |\n",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown table lacks %q:\n%s", want, md.String())
		}
	}
	if err := WriteTable(&text, c, "html"); err == nil {
		t.Error("WriteTable in an unknown format succeeded")
	}
	if err := WriteTable(failWriter{}, c, FormatText); err == nil {
		t.Error("WriteTable to a failing writer succeeded")
	}
}

func TestWriteTableNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string
		base, cand int
	}{
		{"single", "one run on each side: no significance test", 1, 1},                                                                           // 1v1
		{"insufficient", "insufficient samples: 2 and 3 runs cannot reach p < 0.05 whatever the values; use at least 4 runs on each side", 2, 3}, // 2v3
		{"empty", "insufficient samples: a side has no runs", 0, 3},                                                                              // 0v3
		{"enough", "limits throughput=5%, p99=10%\n", 5, 5},                                                                                      // no extra note
	}
	for _, tt := range tests {
		c := Compare(runs(tt.base, 50000, 5e6, 0), runs(tt.cand, 50000, 5e6, 0), nil, 0)
		var b strings.Builder
		if err := WriteTable(&b, c, FormatText); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tt.want) || tt.name == "enough" && !strings.HasSuffix(b.String(), tt.want) {
			t.Errorf("%s: table notes lack %q:\n%s", tt.name, tt.want, b.String())
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Format{ // want "" means an error
		"text":     FormatText,     // text
		"markdown": FormatMarkdown, // markdown
		"md":       FormatMarkdown, // short
		"Markdown": "",             // case matters
		"":         "",             // empty
	} {
		got, err := ParseFormat(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	cells := []struct{ got, want string }{
		{formatDelta(StatP99, math.Inf(1)), "+inf%"},     // from zero
		{formatDelta(StatP99, math.Inf(-1)), "-inf%"},    // to minus infinity
		{formatDelta(StatP99, math.NaN()), "-"},          // no data
		{formatDelta(StatErrorRate, 0.0012), "+0.120pp"}, // points
		{formatP(math.NaN()), "-"},                       // no test
		{formatP(0.0004), "<0.001"},                      // tiny
		{formatP(0.0079), "0.008"},                       // rounded
		{formatStat(StatMBPerSec, 25.6), "25.600 MB/s"},  // MB/s
		{formatStat(StatThroughput, math.NaN()), "-"},    // no data
	}
	for _, c := range cells {
		if c.got != c.want {
			t.Errorf("cell %q, want %q", c.got, c.want)
		}
	}
}

// p99Runs returns one result per p99 value (ms), other fields fixed.
func p99Runs(ms ...float64) []*report.Result {
	out := make([]*report.Result, len(ms))
	for i, v := range ms {
		out[i] = &report.Result{
			Counts:     report.Counts{Sent: 1000, Acked: 1000},
			Throughput: report.Throughput{MsgsPerSec: 1000, MBPerSec: 1},
			Latency:    report.Latency{P99Ns: int64(v * 1e6)},
		}
	}
	return out
}

func TestCompareMovedBaseline(t *testing.T) {
	t.Parallel()
	base := p99Runs(5.0, 5.1, 5.2, 5.3, 5.4)
	tests := []struct {
		name   string
		cand   []*report.Result
		want   Verdict
		limitP float64 // one-sided p against the baseline moved by 10%
	}{
		// Every candidate above every baseline (p = 0.008) and the median
		// +10.6%, past the 10% limit, but the candidate interleaves with
		// the baseline moved by 10% (5.5 5.61 5.72 5.83 5.94): not shown
		// beyond the limit.
		{"past the limit by noise", p99Runs(5.45, 5.65, 5.75, 5.85, 6.6), VerdictOK, 0.5},
		// Every candidate above the moved baseline too: U = 0 of 25,
		// one-sided p = 1/252.
		{"beyond the limit", p99Runs(6.0, 6.1, 6.2, 6.3, 6.4), VerdictRegression, 1.0 / 252},
		// One candidate below the moved maximum (5.94): U = 1, p = 2/252.
		{"one pair out of order", p99Runs(5.9, 6.1, 6.2, 6.3, 6.4), VerdictRegression, 2.0 / 252},
		// Better: every candidate below the baseline moved down by 10%
		// (4.5 .. 4.86).
		{"improvement", p99Runs(4.0, 4.1, 4.2, 4.3, 4.4), VerdictImprovement, 1.0 / 252},
		// Better, but not beyond 10%: ok.
		{"small improvement", p99Runs(4.7, 4.75, 4.8, 4.85, 4.9), VerdictOK, 0.5},
	}
	for _, tt := range tests {
		c := Compare(base, tt.cand, []Limit{{StatP99, 0.10}}, 0)
		r := row(t, c, StatP99)
		if r.Verdict != tt.want || !(r.P < 0.05) {
			t.Errorf("%s: verdict %q (p %v, limit p %v, delta %v), want %q", tt.name, r.Verdict, r.P, r.LimitP, r.Delta, tt.want)
		}
		if tt.limitP == 0.5 && !(r.LimitP >= 0.05) || tt.limitP != 0.5 && !near(r.LimitP, tt.limitP, 1e-12) {
			t.Errorf("%s: limit p %v, want %v", tt.name, r.LimitP, tt.limitP)
		}
	}
	// The table explains an ok whose median change is past the limit.
	c := Compare(base, p99Runs(5.45, 5.65, 5.75, 5.85, 6.6), []Limit{{StatP99, 0.10}}, 0)
	var b strings.Builder
	if err := WriteTable(&b, c, FormatText); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "p99: ok: the change is significant, but not significantly beyond the 10% limit (one-sided p = ") {
		t.Errorf("table lacks the note on p99:\n%s", b.String())
	}
	// Metrics without a limit never get a limit p-value.
	if r := row(t, c, StatThroughput); !math.IsNaN(r.LimitP) {
		t.Errorf("throughput limit p = %v, want NaN", r.LimitP)
	}
}
