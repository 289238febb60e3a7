package verdict

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// MetricKind is what a Metric measures.
type MetricKind int

// The metric kinds of the threshold language (see the package
// documentation). The zero MetricKind is invalid.
const (
	// MetricPercentile is the latency percentile Metric.Percentile, in ns.
	MetricPercentile MetricKind = iota + 1
	// MetricMax is the largest latency, in ns.
	MetricMax
	// MetricMean is the mean latency, in ns.
	MetricMean
	// MetricThroughput is acked messages per second.
	MetricThroughput
	// MetricMBPerSec is acked record payload in MB (10^6 bytes) per second.
	MetricMBPerSec
	// MetricErrorRate is failed / sent messages, a fraction from 0 to 1.
	MetricErrorRate
)

// Metric is the quantity a Threshold checks.
type Metric struct {
	// Kind is what is measured.
	Kind MetricKind
	// Percentile is N of p(N), 0 < N < 100, for MetricPercentile; 0
	// otherwise.
	Percentile float64
}

// String returns the metric by the one name every report uses: p99,
// p99.9 (the percentile's digits after "p"), max, mean, throughput,
// mb_per_s or error_rate; "invalid" for an invalid Metric. The parser
// reads it back, and also reads the k6 spelling p(99).
func (m Metric) String() string {
	switch m.Kind {
	case MetricPercentile:
		return "p" + strconv.FormatFloat(m.Percentile, 'f', -1, 64)
	case MetricMax:
		return "max"
	case MetricMean:
		return "mean"
	case MetricThroughput:
		return "throughput"
	case MetricMBPerSec:
		return "mb_per_s"
	case MetricErrorRate:
		return "error_rate"
	}
	return "invalid"
}

// IsLatency reports whether m is a latency (p(N), max or mean), measured in
// ns and written as a duration.
func (m Metric) IsLatency() bool {
	return m.Kind == MetricPercentile || m.Kind == MetricMax || m.Kind == MetricMean
}

// Op is the comparison of a Threshold: the observed value must satisfy
// observed Op Value.
type Op string

// The operators of the threshold language.
const (
	// OpLess is "<".
	OpLess Op = "<"
	// OpLessEq is "<=".
	OpLessEq Op = "<="
	// OpGreater is ">".
	OpGreater Op = ">"
	// OpGreaterEq is ">=".
	OpGreaterEq Op = ">="
)

// holds reports whether a o b; false when a is NaN or o is invalid.
func (o Op) holds(a, b float64) bool {
	switch o {
	case OpLess:
		return a < b
	case OpLessEq:
		return a <= b
	case OpGreater:
		return a > b
	case OpGreaterEq:
		return a >= b
	}
	return false
}

// Threshold is one parsed condition "METRIC OP VALUE" (see the package
// documentation for the grammar). A run passes it when its observed metric
// satisfies observed Op Value.
//
// Threshold implements encoding.TextMarshaler and TextUnmarshaler, so a
// list of thresholds in a YAML or JSON scenario decodes straight into
// []Threshold, with ParseThreshold's errors.
type Threshold struct {
	// Metric is the checked quantity.
	Metric Metric
	// Op is the comparison.
	Op Op
	// Value is the bound in the metric's unit: ns for latencies, messages
	// per second for throughput, MB (10^6 B) per second for mb_per_s, a
	// fraction (0.001 for 0.1%) for error_rate.
	Value float64
}

// String returns t in canonical form, "METRIC OP VALUE" with single spaces:
// p(N) for percentiles and their aliases, mean for avg, the largest
// duration unit among s, ms, us and ns that keeps the latency at least 1
// (1.5s, 20ms, 500us; whole nanoseconds), plain decimals for rates, and a
// percentage for error_rate (a fraction when no percentage reads back as
// exactly the same value). ParseThreshold(t.String()) gives t back.
func (t Threshold) String() string {
	return t.Metric.String() + " " + string(t.Op) + " " + formatBound(t.Metric, t.Value)
}

// Eval checks t against m: observed is t's metric in m (in Threshold.Value's
// unit) and ok reports whether observed Op Value holds. When m does not
// have the metric (a latency of a run that acked nothing, or a percentile
// outside the stored set without a histogram) observed is NaN and ok is
// false: an unmeasurable threshold is crossed.
func (t Threshold) Eval(m Metrics) (ok bool, observed float64) {
	v, have := m.Value(t.Metric)
	if !have {
		return false, math.NaN()
	}
	return t.Op.holds(v, t.Value), v
}

// MarshalText returns t.String(). It fails when t could not have come from
// ParseThreshold: an unknown metric kind or operator, a percentile outside
// (0, 100), or a negative or non-finite value (an error_rate above 1).
func (t Threshold) MarshalText() ([]byte, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	return []byte(t.String()), nil
}

// validate reports why t could not have come from ParseThreshold, or nil.
func (t Threshold) validate() error {
	m := t.Metric
	switch {
	case m.Kind < MetricPercentile || m.Kind > MetricErrorRate:
		return fmt.Errorf("verdict: threshold has invalid metric kind %d", m.Kind)
	case m.Kind == MetricPercentile && !(m.Percentile > 0 && m.Percentile < 100):
		return fmt.Errorf("verdict: threshold percentile %g is not between 0 and 100", m.Percentile)
	case t.Op != OpLess && t.Op != OpLessEq && t.Op != OpGreater && t.Op != OpGreaterEq:
		return fmt.Errorf("verdict: threshold has invalid operator %q", t.Op)
	case !(t.Value >= 0) || math.IsInf(t.Value, 0) || m.Kind == MetricErrorRate && t.Value > 1:
		return fmt.Errorf("verdict: threshold value %g is out of range for %s", t.Value, m)
	}
	return nil
}

// UnmarshalText parses text with ParseThreshold.
func (t *Threshold) UnmarshalText(text []byte) error {
	p, err := ParseThreshold(string(text))
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// SyntaxError is the error of ParseThreshold and ParseLimit: one line
// naming the input and the column of the offending token, e.g.
//
//	threshold "p(99) < 20": column 9: latency needs a unit, e.g. 20ms
type SyntaxError struct {
	// What is "threshold" or "limit".
	What string
	// Input is the text that failed to parse.
	Input string
	// Column is the 1-based position, in characters (runes), of the
	// offending token in Input; len(Input)+1 when something is missing at
	// the end.
	Column int
	// Msg says what is wrong; it never contains a newline.
	Msg string
}

// Error returns `WHAT "INPUT": column N: MSG`, on one line (Input is quoted
// with Go escapes).
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s %q: column %d: %s", e.What, e.Input, e.Column, e.Msg)
}

// scanner walks a threshold or limit left to right.
type scanner struct {
	what string
	s    string
	pos  int // byte offset
}

// errAt returns a SyntaxError at byte offset off.
func (sc *scanner) errAt(off int, format string, args ...any) error {
	return &SyntaxError{
		What:   sc.what,
		Input:  sc.s,
		Column: utf8.RuneCountInString(sc.s[:off]) + 1,
		Msg:    fmt.Sprintf(format, args...),
	}
}

func (sc *scanner) skipSpace() {
	for sc.pos < len(sc.s) && (sc.s[sc.pos] == ' ' || sc.s[sc.pos] == '\t') {
		sc.pos++
	}
}

func (sc *scanner) atEnd() bool { return sc.pos >= len(sc.s) }

// next returns the rune at the current position, quoted, for messages.
func (sc *scanner) next() string {
	r, _ := utf8.DecodeRuneInString(sc.s[sc.pos:])
	return strconv.QuoteRune(r)
}

// isWordByte reports whether b may appear in a metric name.
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// word reads a metric name: letters, digits and underscores.
func (sc *scanner) word() string {
	start := sc.pos
	for sc.pos < len(sc.s) && isWordByte(sc.s[sc.pos]) {
		sc.pos++
	}
	return sc.s[start:sc.pos]
}

// token reads up to the next space, tab or end.
func (sc *scanner) token() string {
	start := sc.pos
	for sc.pos < len(sc.s) && sc.s[sc.pos] != ' ' && sc.s[sc.pos] != '\t' {
		sc.pos++
	}
	return sc.s[start:sc.pos]
}

// metricNames maps every metric name but p(N) to its Metric.
var metricNames = map[string]Metric{
	"p50":        {Kind: MetricPercentile, Percentile: 50},
	"p90":        {Kind: MetricPercentile, Percentile: 90},
	"p95":        {Kind: MetricPercentile, Percentile: 95},
	"p99":        {Kind: MetricPercentile, Percentile: 99},
	"p999":       {Kind: MetricPercentile, Percentile: 99.9},
	"p9999":      {Kind: MetricPercentile, Percentile: 99.99},
	"med":        {Kind: MetricPercentile, Percentile: 50},
	"max":        {Kind: MetricMax},
	"mean":       {Kind: MetricMean},
	"avg":        {Kind: MetricMean},
	"throughput": {Kind: MetricThroughput},
	"mb_per_s":   {Kind: MetricMBPerSec},
	"error_rate": {Kind: MetricErrorRate},
}

const metricList = "pN (p99, p99.9), max, mean, throughput, mb_per_s or error_rate"

// decimal matches the plain numbers of the language: digits with an
// optional fraction and exponent, no sign.
var decimal = regexp.MustCompile(`^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// parseDecimal parses a plain non-negative decimal number; ok is false when
// s is not one or is out of float64 range.
func parseDecimal(s string) (float64, bool) {
	if !decimal.MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// metric reads METRIC.
func (sc *scanner) metric() (Metric, error) {
	start := sc.pos
	name := sc.word()
	if name == "" {
		if sc.atEnd() {
			return Metric{}, sc.errAt(start, "empty; want METRIC OP VALUE, e.g. p99 < 20ms")
		}
		return Metric{}, sc.errAt(start, "want a metric (%s), got %s", metricList, sc.next())
	}
	if name == "p" && sc.pos < len(sc.s) && sc.s[sc.pos] == '(' {
		sc.pos++
		numStart := sc.pos
		end := strings.IndexByte(sc.s[sc.pos:], ')')
		if end < 0 {
			return Metric{}, sc.errAt(len(sc.s), "missing ) after the percentile of p(")
		}
		num := sc.s[numStart : numStart+end]
		sc.pos = numStart + end + 1
		q, ok := parseDecimal(num)
		if !ok {
			return Metric{}, sc.errAt(numStart, "percentile %q is not a plain number, e.g. p(99.9)", num)
		}
		if !(q > 0 && q < 100) {
			return Metric{}, sc.errAt(numStart, "percentile %s is not between 0 and 100 exclusive (max is the largest latency)", num)
		}
		return Metric{Kind: MetricPercentile, Percentile: q}, nil
	}
	if m, ok := metricNames[name]; ok && (sc.pos >= len(sc.s) || sc.s[sc.pos] != '.') {
		return m, nil
	}
	if len(name) > 1 && name[0] == 'p' && strings.Trim(name[1:], "0123456789") == "" &&
		sc.pos+1 < len(sc.s) && sc.s[sc.pos] == '.' && isDigit(sc.s[sc.pos+1]) {
		// pN.N, the name the reports print (p99.9).
		sc.pos++
		frac := sc.word()
		num := name[1:] + "." + frac
		q, ok := parseDecimal(num)
		if !ok || !(q > 0 && q < 100) {
			return Metric{}, sc.errAt(start+1, "percentile %s is not between 0 and 100 exclusive (max is the largest latency)", num)
		}
		return Metric{Kind: MetricPercentile, Percentile: q}, nil
	}
	if lower := strings.ToLower(name); lower != name {
		if _, known := metricNames[lower]; known || lower == "p" {
			return Metric{}, sc.errAt(start, "metric names are lower case: write %s", lower)
		}
	}
	if len(name) > 1 && name[0] == 'p' && strings.Trim(name[1:], "0123456789") == "" {
		if q, ok := parseDecimal(name[1:]); ok && q > 0 && q < 100 {
			return Metric{Kind: MetricPercentile, Percentile: q}, nil
		}
		return Metric{}, sc.errAt(start, "unknown metric %q; write the percentile as pN or p(N), e.g. p99.9", name)
	}
	if s := suggest(name); s != "" {
		return Metric{}, sc.errAt(start, "unknown metric %q (did you mean %q?); want %s", name, s, metricList)
	}
	return Metric{}, sc.errAt(start, "unknown metric %q; want %s", name, metricList)
}

// suggest returns the metric name closest to name within two edits (three
// for names of 7 or more bytes), or "".
func suggest(name string) string {
	best, bestD := "", 3
	if len(name) >= 7 {
		bestD = 4
	}
	for _, n := range []string{"max", "mean", "throughput", "mb_per_s", "error_rate", "avg", "med"} {
		if d := levenshtein.ComputeDistance(strings.ToLower(name), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// op reads OP.
func (sc *scanner) op() (Op, error) {
	if sc.atEnd() {
		return "", sc.errAt(sc.pos, "missing operator; want <, <=, > or >=")
	}
	rest := sc.s[sc.pos:]
	for _, o := range []Op{OpLessEq, OpGreaterEq, OpLess, OpGreater} {
		if strings.HasPrefix(rest, string(o)) {
			sc.pos += len(o)
			return o, nil
		}
	}
	for _, bad := range []string{"===", "==", "!=", "="} {
		if strings.HasPrefix(rest, bad) {
			return "", sc.errAt(sc.pos, "operator %q is not supported; want <, <=, > or >=", bad)
		}
	}
	return "", sc.errAt(sc.pos, "want an operator <, <=, > or >=, got %s", sc.next())
}

// value reads VALUE for metric m and checks that nothing follows it.
func (sc *scanner) value(m Metric) (float64, error) {
	if sc.atEnd() {
		return 0, sc.errAt(sc.pos, "missing value, e.g. %s", example(m))
	}
	start := sc.pos
	tok := sc.token()
	sc.skipSpace()
	if !sc.atEnd() {
		restStart := sc.pos
		rest := sc.token()
		if _, isNum := parseDecimal(tok); isNum && isUnitLike(rest) {
			if m.IsLatency() || m.Kind == MetricErrorRate {
				return 0, sc.errAt(restStart, "no space between a number and its unit: write %s%s", tok, rest)
			}
			return 0, sc.errAt(restStart, "%s takes a plain number without a unit: write %s", m, tok)
		}
		return 0, sc.errAt(restStart, "unexpected %q after the value", rest)
	}
	return sc.bound(m, tok, start)
}

// isUnitLike reports whether s looks like a unit: letters, µ or %.
func isUnitLike(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == 'µ' || r == 'μ' || r == '%' || r == '/') {
			return false
		}
	}
	return s != ""
}

// example returns an example value for m.
func example(m Metric) string {
	switch {
	case m.IsLatency():
		return "20ms"
	case m.Kind == MetricErrorRate:
		return "0.1%"
	case m.Kind == MetricMBPerSec:
		return "40"
	}
	return "50000"
}

// bound parses the value token tok (at byte offset at) for metric m.
func (sc *scanner) bound(m Metric, tok string, at int) (float64, error) {
	if strings.HasPrefix(tok, "-") {
		return 0, sc.errAt(at, "%s must not be negative", m)
	}
	switch {
	case m.IsLatency():
		if _, isNum := parseDecimal(tok); isNum {
			return 0, sc.errAt(at, "latency needs a unit, e.g. %sms", tok)
		}
		d, err := time.ParseDuration(tok)
		if err != nil {
			return 0, sc.errAt(at, "bad duration %q; want a number and a unit (ns, us, ms, s, m, h), e.g. 20ms", tok)
		}
		return float64(d), nil
	case m.Kind == MetricErrorRate:
		if num, ok := strings.CutSuffix(tok, "%"); ok {
			v, isNum := parseDecimal(num)
			if !isNum {
				return 0, sc.errAt(at, "bad percentage %q; want e.g. 0.1%%", tok)
			}
			if v > 100 {
				return 0, sc.errAt(at, "error_rate %s is more than 100%%", tok)
			}
			return v / 100, nil
		}
		v, isNum := parseDecimal(tok)
		if !isNum {
			return 0, sc.errAt(at, "bad error_rate %q; want a percentage (0.1%%) or a fraction (0.001)", tok)
		}
		if v > 1 {
			return 0, sc.errAt(at, "error_rate fraction %s is more than 1; write %s%% for a percentage", tok, tok)
		}
		return v, nil
	default:
		v, isNum := parseDecimal(tok)
		if !isNum {
			unit := "acked messages per second"
			if m.Kind == MetricMBPerSec {
				unit = "MB (10^6 B) per second"
			}
			return 0, sc.errAt(at, "%s is a plain number of %s, e.g. %s; got %q", m, unit, example(m), tok)
		}
		return v, nil
	}
}

// ParseThreshold parses one threshold, "METRIC OP VALUE" (grammar in the
// package documentation), e.g. "p(99) < 20ms" or "error_rate < 0.1%". The
// error is a *SyntaxError naming the column of the offending token.
func ParseThreshold(s string) (Threshold, error) {
	sc := &scanner{what: "threshold", s: s}
	sc.skipSpace()
	m, err := sc.metric()
	if err != nil {
		return Threshold{}, err
	}
	sc.skipSpace()
	op, err := sc.op()
	if err != nil {
		return Threshold{}, err
	}
	sc.skipSpace()
	v, err := sc.value(m)
	if err != nil {
		return Threshold{}, err
	}
	return Threshold{Metric: m, Op: op, Value: v}, nil
}

// ParseThresholds parses each of ss with ParseThreshold, in order. On
// failure it returns nil and every error joined (errors.Join: one line per
// bad threshold).
func ParseThresholds(ss []string) ([]Threshold, error) {
	return parseEach(ss, ParseThreshold, nil)
}

// parseEach parses each of ss with parse, in order, and keeps the values
// that check (when not nil) accepts; check gets the text and its value and
// returns why it rejects them. On failure it returns nil and every error
// joined (errors.Join: one line each).
func parseEach[T any](ss []string, parse func(string) (T, error), check func(s string, v T) error) ([]T, error) {
	out := make([]T, 0, len(ss))
	var errs []error
	for _, s := range ss {
		v, err := parse(s)
		if err == nil && check != nil {
			err = check(s, v)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, v)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// formatBound writes a threshold value of metric m in canonical syntax.
func formatBound(m Metric, v float64) string {
	switch {
	case m.IsLatency():
		return formatDuration(v)
	case m.Kind == MetricErrorRate:
		// A percentage when it reads back as exactly v, else the fraction.
		pct := strconv.FormatFloat(v*100, 'f', -1, 64)
		if back, err := strconv.ParseFloat(pct, 64); err == nil && back/100 == v {
			return pct + "%"
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// formatDuration writes ns, rounded to whole nanoseconds, in the largest of
// s, ms, us and ns that keeps the number at least 1, exactly (as many
// decimals as needed): 1.5s, 20ms, 500us, 12ns.
func formatDuration(ns float64) string {
	var d int64
	switch {
	case !(ns > 0): // 0, negative or NaN
	case ns >= math.MaxInt64:
		d = math.MaxInt64
	default:
		d = int64(math.Round(ns))
	}
	for _, u := range []struct {
		name string
		size int64
	}{{"s", 1e9}, {"ms", 1e6}, {"us", 1e3}} {
		if d < u.size {
			continue
		}
		whole, frac := d/u.size, d%u.size
		if frac == 0 {
			return strconv.FormatInt(whole, 10) + u.name
		}
		digits := len(strconv.FormatInt(u.size, 10)) - 1
		f := strings.TrimRight(fmt.Sprintf("%0*d", digits, frac), "0")
		return strconv.FormatInt(whole, 10) + "." + f + u.name
	}
	return strconv.FormatInt(d, 10) + "ns"
}

// formatPercent writes fraction f as a percentage to 12 significant digits.
func formatPercent(f float64) string {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(f*100, 'g', 12, 64), 64)
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}

// Outcome is a Threshold checked against a run.
type Outcome struct {
	// Threshold is the checked threshold.
	Threshold Threshold
	// Observed is the run's value of the metric, in Threshold.Value's unit;
	// NaN when the run does not have it.
	Observed float64
	// OK reports whether the threshold holds.
	OK bool
}

// Evaluate checks every threshold against m, in order. crossed reports
// whether any threshold failed; the caller then exits with
// ExitThresholdsCrossed after writing the result.
func Evaluate(ts []Threshold, m Metrics) (outcomes []Outcome, crossed bool) {
	outcomes = make([]Outcome, len(ts))
	for i, t := range ts {
		ok, obs := t.Eval(m)
		outcomes[i] = Outcome{Threshold: t, Observed: obs, OK: ok}
		crossed = crossed || !ok
	}
	return outcomes, crossed
}

// WriteOutcomes writes one line per outcome, e.g.
//
//	ok       p99 < 20ms           observed 12.231ms
//	CROSSED  throughput > 50000   observed 19997.2 msg/s
//
// It returns the first write error.
func WriteOutcomes(w io.Writer, outcomes []Outcome) error {
	width := 0
	for _, o := range outcomes {
		width = max(width, utf8.RuneCountInString(o.Threshold.String()))
	}
	for _, o := range outcomes {
		status := "ok"
		if !o.OK {
			status = "CROSSED"
		}
		s := o.Threshold.String()
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(s))
		if _, err := fmt.Fprintf(w, "%-8s %s%s   observed %s\n", status, s, pad, formatObserved(o.Threshold.Metric, o.Observed)); err != nil {
			return err
		}
	}
	return nil
}

// formatObserved writes a measured value of metric m for people: latencies
// in ms to 3 decimals, rates with their units, error rates in percent.
func formatObserved(m Metric, v float64) string {
	if math.IsNaN(v) {
		return "n/a (no data)"
	}
	switch {
	case m.IsLatency():
		return fmt.Sprintf("%.3fms", v/1e6)
	case m.Kind == MetricThroughput:
		return fmt.Sprintf("%.1f msg/s", v)
	case m.Kind == MetricMBPerSec:
		return fmt.Sprintf("%.3f MB/s", v)
	case m.Kind == MetricErrorRate:
		return fmt.Sprintf("%.3f%%", v*100)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
