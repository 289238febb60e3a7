package verdict

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/prodbench/prodbench/report"
)

// DefaultAlpha is the significance level Compare uses when given none: a
// change is significant when the Mann-Whitney p-value is below it
// (benchstat's default).
const DefaultAlpha = 0.05

// Stat is a metric that Compare sets side by side, named as in limits.
type Stat string

// The compared metrics, in table order.
const (
	// StatThroughput is acked messages per second; lower is worse.
	StatThroughput Stat = "throughput"
	// StatMBPerSec is acked record payload in MB (10^6 B) per second; lower
	// is worse.
	StatMBPerSec Stat = "mb_per_s"
	// StatP50 is the 50th latency percentile, in ns; higher is worse.
	StatP50 Stat = "p50"
	// StatP90 is the 90th latency percentile, in ns; higher is worse.
	StatP90 Stat = "p90"
	// StatP99 is the 99th latency percentile, in ns; higher is worse.
	StatP99 Stat = "p99"
	// StatP999 is the 99.9th latency percentile, in ns; higher is worse.
	StatP999 Stat = "p99.9"
	// StatP9999 is the 99.99th latency percentile, in ns; higher is worse.
	StatP9999 Stat = "p99.99"
	// StatMax is the largest latency, in ns; higher is worse.
	StatMax Stat = "max"
	// StatMean is the mean latency, in ns; higher is worse.
	StatMean Stat = "mean"
	// StatErrorRate is failed / sent messages (ErrorRate), a fraction;
	// higher is worse. Its deltas and limits are absolute (percentage
	// points), not relative.
	StatErrorRate Stat = "error_rate"
)

// Stats returns every Stat in table order.
func Stats() []Stat {
	return []Stat{
		StatThroughput, StatMBPerSec, StatP50, StatP90, StatP99, StatP999,
		StatP9999, StatMax, StatMean, StatErrorRate,
	}
}

// HigherIsWorse reports whether a larger value of s is worse: true for
// latencies and error_rate, false for throughput and mb_per_s.
func (s Stat) HigherIsWorse() bool {
	return s != StatThroughput && s != StatMBPerSec
}

// IsLatency reports whether s is a latency, in ns.
func (s Stat) IsLatency() bool {
	return s != StatThroughput && s != StatMBPerSec && s != StatErrorRate
}

// valid reports whether s is one of Stats.
func (s Stat) valid() bool { return slices.Contains(Stats(), s) }

// of returns s of one result, in s's unit.
func (s Stat) of(res *report.Result) float64 {
	l := res.Latency
	switch s {
	case StatThroughput:
		return res.Throughput.MsgsPerSec
	case StatMBPerSec:
		return res.Throughput.MBPerSec
	case StatP50:
		return float64(l.P50Ns)
	case StatP90:
		return float64(l.P90Ns)
	case StatP99:
		return float64(l.P99Ns)
	case StatP999:
		return float64(l.P999Ns)
	case StatP9999:
		return float64(l.P9999Ns)
	case StatMax:
		return float64(l.MaxNs)
	case StatMean:
		return float64(l.MeanNs)
	case StatErrorRate:
		return ErrorRate(res.Counts)
	}
	return math.NaN()
}

// statOf maps a parsed threshold metric to the Stat it names, if any.
func statOf(m Metric) (Stat, bool) {
	switch m.Kind {
	case MetricThroughput:
		return StatThroughput, true
	case MetricMBPerSec:
		return StatMBPerSec, true
	case MetricMax:
		return StatMax, true
	case MetricMean:
		return StatMean, true
	case MetricErrorRate:
		return StatErrorRate, true
	case MetricPercentile:
		switch m.Percentile {
		case 50:
			return StatP50, true
		case 90:
			return StatP90, true
		case 99:
			return StatP99, true
		case 99.9:
			return StatP999, true
		case 99.99:
			return StatP9999, true
		}
	}
	return "", false
}

// Limit is how much worse a candidate may be on one metric before a
// significant change counts as a regression.
//
// Limit implements encoding.TextMarshaler and TextUnmarshaler with
// ParseLimit's syntax.
type Limit struct {
	// Stat is the limited metric.
	Stat Stat
	// Max is the tolerated worsening as a fraction of the baseline median
	// (0.05 for 5%); for StatErrorRate it is an absolute fraction (0.001
	// for 0.1 percentage points). Never negative.
	Max float64
}

// String returns l as ParseLimit reads it, e.g. "throughput=5%".
func (l Limit) String() string {
	return string(l.Stat) + "=" + formatPercent(l.Max)
}

// MarshalText returns l.String(); it fails when l has an unknown Stat or a
// negative or non-finite Max.
func (l Limit) MarshalText() ([]byte, error) {
	if !l.Stat.valid() || !(l.Max >= 0) || math.IsInf(l.Max, 0) {
		return nil, fmt.Errorf("verdict: invalid limit %s=%g", l.Stat, l.Max)
	}
	return []byte(l.String()), nil
}

// UnmarshalText parses text with ParseLimit.
func (l *Limit) UnmarshalText(text []byte) error {
	p, err := ParseLimit(string(text))
	if err != nil {
		return err
	}
	*l = p
	return nil
}

// ParseLimit parses "METRIC=PERCENT", the argument of --max-regression,
// e.g. "throughput=5%", "p99=10%" or "error_rate=0.1%". METRIC is a Stat
// (throughput, mb_per_s, p50, p90, p99, p99.9, p99.99, max, mean,
// error_rate) or another spelling of one (p(99.9), p999, avg, med);
// PERCENT is a non-negative decimal followed by %. Spaces around = are
// allowed. The error is a *SyntaxError naming the column.
func ParseLimit(s string) (Limit, error) {
	sc := &scanner{what: "limit", s: s}
	sc.skipSpace()
	start := sc.pos
	m, err := sc.metric()
	if err != nil {
		return Limit{}, err
	}
	st, ok := statOf(m)
	if !ok {
		return Limit{}, sc.errAt(start, "%s is not stored in results; compare p50, p90, p99, p99.9 or p99.99", m)
	}
	sc.skipSpace()
	if sc.atEnd() || sc.s[sc.pos] != '=' {
		if sc.atEnd() {
			return Limit{}, sc.errAt(sc.pos, "missing =PERCENT, e.g. %s=5%%", st)
		}
		return Limit{}, sc.errAt(sc.pos, "want = after the metric, e.g. %s=5%%, got %s", st, sc.next())
	}
	sc.pos++
	sc.skipSpace()
	at := sc.pos
	tok := sc.token()
	if tok == "" {
		return Limit{}, sc.errAt(at, "missing percentage, e.g. %s=5%%", st)
	}
	num, pct := strings.CutSuffix(tok, "%")
	v, isNum := parseDecimal(num)
	switch {
	case !pct && isNum:
		return Limit{}, sc.errAt(at, "want a percentage: write %s%%", tok)
	case !isNum:
		return Limit{}, sc.errAt(at, "bad percentage %q; want a non-negative number and %%, e.g. 5%%", tok)
	case st == StatErrorRate && v > 100:
		return Limit{}, sc.errAt(at, "error_rate limit %s is more than 100%%", tok)
	}
	sc.skipSpace()
	if !sc.atEnd() {
		return Limit{}, sc.errAt(sc.pos, "unexpected %q after the percentage", sc.s[sc.pos:])
	}
	return Limit{Stat: st, Max: v / 100}, nil
}

// ParseLimits parses each of ss with ParseLimit. Two limits on one metric
// are an error. On failure it returns nil and every error joined
// (errors.Join: one line each).
func ParseLimits(ss []string) ([]Limit, error) {
	seen := map[Stat]string{}
	return parseEach(ss, ParseLimit, func(s string, l Limit) error {
		if prev, dup := seen[l.Stat]; dup {
			return fmt.Errorf("limit %q: %s is already limited by %q", s, l.Stat, prev)
		}
		seen[l.Stat] = s
		return nil
	})
}

// DefaultLimits returns the limits Compare uses when given none:
// throughput=5% and p99=10%.
func DefaultLimits() []Limit {
	return []Limit{{Stat: StatThroughput, Max: 0.05}, {Stat: StatP99, Max: 0.10}}
}

// Verdict is Compare's conclusion about one metric.
type Verdict string

// The verdicts; see the package documentation.
const (
	// VerdictNoChange ("~") means no significant change: p >= alpha, or,
	// with one run per side, a metric without a limit.
	VerdictNoChange Verdict = "~"
	// VerdictOK means a significant change not shown to go beyond the
	// metric's limit (with one run per side: a change within the limit).
	VerdictOK Verdict = "ok"
	// VerdictRegression means a change for the worse beyond the metric's
	// limit: significantly worse than the baseline moved by the limit, or,
	// with one run per side, worse by more than the limit. It fails the
	// comparison.
	VerdictRegression Verdict = "regression"
	// VerdictImprovement means a change for the better beyond the metric's
	// limit, tested as for VerdictRegression (any significant improvement
	// when the metric has no limit).
	VerdictImprovement Verdict = "improvement"
	// VerdictWorse means a significant change for the worse of a metric
	// without a limit; informational, it does not fail the comparison.
	VerdictWorse Verdict = "worse"
	// VerdictInsufficient means the repetitions cannot show a significant
	// difference whatever their values (MinPValue(n1, n2) >= alpha), or a
	// side is empty.
	VerdictInsufficient Verdict = "insufficient samples"
)

// Row is the comparison of one metric.
type Row struct {
	// Stat is the metric.
	Stat Stat
	// Base and Cand are the medians of the baseline and candidate runs, in
	// the metric's unit (msg/s, MB/s, ns, or a fraction for error_rate);
	// NaN for an empty side.
	Base, Cand float64
	// BaseN and CandN count the runs on each side.
	BaseN, CandN int
	// Delta is the signed change of the medians, (Cand - Base) / Base; for
	// error_rate it is Cand - Base (percentage points / 100). It is 0 when
	// both are 0, ±Inf when only Base is 0, NaN for an empty side.
	Delta float64
	// Worse is Delta turned so that positive is worse: Delta for metrics
	// where higher is worse, -Delta for throughput and mb_per_s.
	Worse float64
	// P is the two-sided Mann-Whitney U p-value of the two sides; NaN when
	// there is no test (one run per side, or an empty side).
	P float64
	// LimitP is the one-sided Mann-Whitney U p-value of the hypothesis
	// that the candidate lies beyond the baseline moved by the limit in the
	// direction of the change (each baseline value times 1 ± Limit; plus
	// or minus Limit for error_rate). It is computed only for a significant
	// change of a limited metric, NaN otherwise.
	LimitP float64
	// HasLimit reports whether the metric has a limit; Limit is then its
	// Limit.Max.
	HasLimit bool
	Limit    float64
	// Verdict is the conclusion.
	Verdict Verdict
}

// Comparison is the outcome of Compare.
type Comparison struct {
	// Alpha is the significance level used.
	Alpha float64
	// Limits are the limits applied (DefaultLimits when none were given).
	Limits []Limit
	// BaseN and CandN count the baseline and candidate runs.
	BaseN, CandN int
	// Rows holds one Row per Stat, in Stats order.
	Rows []Row
	// Saturated is true when a run on either side had a saturated
	// generator (report.Generator.Saturated) or did not complete: its
	// figures may describe the generator or a broken run, not the build.
	Saturated bool
	// Warnings lists, in plain lines, saturated or incomplete runs and
	// machine mismatches between the sides (report.MachineMismatch); every
	// output format prints them first.
	Warnings []string
}

// Regressed reports whether any metric regressed; `prodbench compare` then
// exits with ExitRegression.
func (c Comparison) Regressed() bool {
	for _, r := range c.Rows {
		if r.Verdict == VerdictRegression {
			return true
		}
	}
	return false
}

// SingleRun reports whether each side had exactly one run, so that no
// significance test was possible and verdicts rest on limits alone.
func (c Comparison) SingleRun() bool { return c.BaseN == 1 && c.CandN == 1 }

// Compare compares candidate runs with baseline runs, metric by metric
// (Stats), benchstat-style. Each side holds one result per repetition of
// the same scenario; nil results are skipped. limits says how much worse
// each metric may get (DefaultLimits when empty; for a metric limited
// twice the last wins; limits on unknown metrics match nothing). alpha is
// the significance level (DefaultAlpha when not in (0, 1)).
//
// For each metric:
//
//   - with runs on both sides and more than one on at least one side, the
//     two-sided Mann-Whitney U test compares the sides. If it cannot reach
//     p < alpha with that many runs (MinPValue) the verdict is
//     "insufficient samples"; otherwise p >= alpha gives "~". A
//     significant change of a metric without a limit is "worse" or
//     "improvement". For a limited metric the candidate is then tested,
//     one-sided, against the baseline moved by the limit in the direction
//     of the change (Row.LimitP): "regression" (or "improvement") when it
//     lies significantly beyond, "ok" otherwise. See the package
//     documentation for why the median change alone is not enough.
//   - with one run on each side there is no test: the change of the single
//     values alone is judged against the limit, which flags noise as
//     easily as a real change; metrics without a limit get "~".
//   - with no run on a side, every verdict is "insufficient samples".
func Compare(base, cand []*report.Result, limits []Limit, alpha float64) Comparison {
	if !(alpha > 0 && alpha < 1) {
		alpha = DefaultAlpha
	}
	if len(limits) == 0 {
		limits = DefaultLimits()
	}
	limitOf := map[Stat]float64{}
	for _, l := range limits {
		limitOf[l.Stat] = l.Max
	}
	base, cand = nonNil(base), nonNil(cand)
	c := Comparison{
		Alpha:  alpha,
		Limits: slices.Clone(limits),
		BaseN:  len(base),
		CandN:  len(cand),
	}
	c.Saturated, c.Warnings = sideWarnings(base, cand)
	for _, st := range Stats() {
		bv, cv := values(st, base), values(st, cand)
		r := Row{Stat: st, BaseN: len(bv), CandN: len(cv), Base: median(bv), Cand: median(cv), P: math.NaN()}
		r.Limit, r.HasLimit = limitOf[st]
		r.Delta = delta(st, r.Base, r.Cand)
		r.Worse = r.Delta
		if !st.HigherIsWorse() {
			r.Worse = -r.Delta
		}
		r.LimitP = math.NaN()
		switch {
		case len(bv) == 0 || len(cv) == 0:
			r.Verdict = VerdictInsufficient
		case len(bv) == 1 && len(cv) == 1:
			r.Verdict = judgeSingle(r)
		default:
			if t, err := MannWhitneyU(bv, cv); err == nil {
				r.P = t.P
			}
			switch {
			case MinPValue(len(bv), len(cv)) >= alpha:
				r.Verdict = VerdictInsufficient
			case !(r.P < alpha):
				r.Verdict = VerdictNoChange
			default:
				r.Verdict = judge(&r, bv, cv, alpha)
			}
		}
		c.Rows = append(c.Rows, r)
	}
	return c
}

// judge returns the verdict of a significant change. Without a limit it
// is worse or improvement by the sign of r.Worse. With one, the candidate
// is tested against the baseline moved by the limit in the direction of
// the change (setting r.LimitP): regression or improvement when it differs
// significantly from that too, on the far side; ok otherwise.
func judge(r *Row, bv, cv []float64, alpha float64) Verdict {
	dir := 0
	switch {
	case r.Worse > 0:
		dir = 1
	case r.Worse < 0:
		dir = -1
	}
	if !r.HasLimit {
		switch dir {
		case 1:
			return VerdictWorse
		case -1:
			return VerdictImprovement
		}
		return VerdictOK
	}
	if dir == 0 {
		return VerdictOK
	}
	// up is +1 when the change moves values up (worse latency, better
	// throughput), -1 when down.
	up := float64(dir)
	if !r.Stat.HigherIsWorse() {
		up = -up
	}
	moved := make([]float64, len(bv))
	for i, b := range bv {
		if r.Stat == StatErrorRate {
			moved[i] = b + up*r.Limit
		} else {
			moved[i] = b * (1 + up*r.Limit)
		}
	}
	t, err := MannWhitneyU(moved, cv)
	if err != nil {
		return VerdictOK
	}
	// The hypothesis is one-sided: the candidate lies beyond the moved
	// baseline in the direction of the change. U counts pairs with the
	// moved baseline above the candidate, so the candidate lies above when
	// U is below the centre. U's distribution is symmetric, so the
	// one-sided p is half the two-sided one on the hypothesised side.
	candAbove := t.U < float64(t.N1*t.N2)/2
	r.LimitP = 1 - t.P/2
	if candAbove == (up > 0) && t.U != float64(t.N1*t.N2)/2 {
		r.LimitP = t.P / 2
	}
	if r.LimitP < alpha {
		if dir > 0 {
			return VerdictRegression
		}
		return VerdictImprovement
	}
	return VerdictOK
}

// judgeSingle returns the verdict of one run against one: the change alone
// against the limit, "~" without a limit.
func judgeSingle(r Row) Verdict {
	switch {
	case !r.HasLimit:
		return VerdictNoChange
	case r.Worse > r.Limit:
		return VerdictRegression
	case r.Worse < -r.Limit:
		return VerdictImprovement
	}
	return VerdictOK
}

// nonNil returns rs without nil entries.
func nonNil(rs []*report.Result) []*report.Result {
	out := make([]*report.Result, 0, len(rs))
	for _, r := range rs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// values returns st of every result.
func values(st Stat, rs []*report.Result) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = st.of(r)
	}
	return out
}

// median returns the median of xs (the mean of the middle two for an even
// count), NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// delta returns the change from b to c of stat st: relative, or absolute
// for error_rate.
func delta(st Stat, b, c float64) float64 {
	switch {
	case st == StatErrorRate:
		return c - b
	case b == c:
		return 0
	case b == 0:
		return math.Inf(int(math.Copysign(1, c)))
	}
	return (c - b) / math.Abs(b)
}

// sideWarnings returns whether a run of either side was saturated or not
// complete, and the warnings: one per such run, and one per machine
// mismatch between the first baseline run and each candidate machine.
func sideWarnings(base, cand []*report.Result) (saturated bool, warnings []string) {
	for _, side := range []struct {
		name string
		rs   []*report.Result
	}{{"baseline", base}, {"candidate", cand}} {
		for i, r := range side.rs {
			g := report.CheckGenerator(r)
			if g.Saturated {
				saturated = true
				warnings = append(warnings, fmt.Sprintf("%s run %d: GENERATOR SATURATED: %s", side.name, i+1, g.Reason))
			}
			if st, why := report.Judge(r); st != report.StatusComplete {
				saturated = true
				warnings = append(warnings, fmt.Sprintf("%s run %d: status %s: %s", side.name, i+1, st, why))
			}
		}
	}
	if len(base) > 0 {
		seen := map[string]bool{}
		for _, r := range cand {
			if w := report.MachineMismatch(base[0].Environment, r.Environment); w != "" && !seen[w] {
				seen[w] = true
				warnings = append(warnings, w)
			}
		}
	}
	return saturated, warnings
}
