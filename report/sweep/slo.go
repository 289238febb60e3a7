package sweep

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prodbench/prodbench/report"
)

// Objective is one latency bound of an SLO: the latency (intended send
// time to ack) at Percentile must be at most MaxNs.
type Objective struct {
	// Percentile is the bounded percentile, in (0, 100), e.g. 99.9.
	Percentile float64 `json:"percentile"`
	// MaxNs is the largest acceptable latency at Percentile, in ns (> 0).
	MaxNs int64 `json:"max_ns"`
}

// SLO is the service-level objective runs are judged against: latency
// bounds and a maximum error rate. The zero SLO accepts every run that
// completed and carried its load.
type SLO struct {
	// Latency lists the latency bounds, lowest percentile first; empty
	// means no latency bound.
	Latency []Objective `json:"latency,omitempty"`
	// MaxErrorRate bounds failed / sent messages, a ratio in [0, 1]; nil
	// means no bound.
	MaxErrorRate *float64 `json:"max_error_rate,omitempty"`
}

// IsZero reports whether o sets no objective.
func (o SLO) IsZero() bool { return len(o.Latency) == 0 && o.MaxErrorRate == nil }

// Set adds or replaces the bound at percentile pct (in (0, 100)) with
// max, keeping Latency sorted. It fails on a percentile outside (0, 100)
// or a non-positive max.
func (o *SLO) Set(pct float64, max time.Duration) error {
	if !(pct > 0 && pct < 100) {
		return fmt.Errorf("percentile %v is outside (0, 100)", pct)
	}
	if max <= 0 {
		return fmt.Errorf("p%s bound must be positive, got %v", PercentileName(pct), max)
	}
	for i := range o.Latency {
		if o.Latency[i].Percentile == pct {
			o.Latency[i].MaxNs = int64(max)
			return nil
		}
	}
	o.Latency = append(o.Latency, Objective{Percentile: pct, MaxNs: int64(max)})
	sort.Slice(o.Latency, func(i, j int) bool { return o.Latency[i].Percentile < o.Latency[j].Percentile })
	return nil
}

// Validate checks o: percentiles in (0, 100) without repeats, positive
// bounds and an error rate in [0, 1].
func (o SLO) Validate() error {
	seen := map[float64]bool{}
	for _, l := range o.Latency {
		if !(l.Percentile > 0 && l.Percentile < 100) {
			return fmt.Errorf("sweep: SLO percentile %v is outside (0, 100)", l.Percentile)
		}
		if seen[l.Percentile] {
			return fmt.Errorf("sweep: SLO bounds p%s twice", PercentileName(l.Percentile))
		}
		seen[l.Percentile] = true
		if l.MaxNs <= 0 {
			return fmt.Errorf("sweep: SLO bound of p%s must be positive", PercentileName(l.Percentile))
		}
	}
	if r := o.MaxErrorRate; r != nil && !(*r >= 0 && *r <= 1) {
		return fmt.Errorf("sweep: SLO max error rate %v is outside [0, 1]", *r)
	}
	return nil
}

// String describes o for people: "p99 ≤ 20 ms, error rate ≤ 0.1%", or
// "none".
func (o SLO) String() string {
	var parts []string
	for _, l := range o.Latency {
		parts = append(parts, fmt.Sprintf("p%s ≤ %s ms", PercentileName(l.Percentile), msString(l.MaxNs)))
	}
	if o.MaxErrorRate != nil {
		parts = append(parts, "error rate ≤ "+percentString(*o.MaxErrorRate))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// RankPercentile is the percentile points are ranked and plotted by: the
// highest bounded percentile, or 99 without a latency bound.
func (o SLO) RankPercentile() float64 {
	if n := len(o.Latency); n > 0 {
		return o.Latency[n-1].Percentile
	}
	return 99
}

// bound returns the bound at pct, or 0 if none.
func (o SLO) bound(pct float64) int64 {
	for _, l := range o.Latency {
		if l.Percentile == pct {
			return l.MaxNs
		}
	}
	return 0
}

// PercentileName formats a percentile without trailing zeros: 99 → "99",
// 99.9 → "99.9".
func PercentileName(pct float64) string { return strconv.FormatFloat(pct, 'f', -1, 64) }

// Limits: what stopped a run from meeting its SLO (Evaluation.Limit).
const (
	// LimitNone is the Limit of a passing run.
	LimitNone = ""
	// LimitSLO: a latency objective was missed while the generator kept
	// up — the system under test was too slow.
	LimitSLO = "slo"
	// LimitErrors: more messages failed than the SLO allows.
	LimitErrors = "errors"
	// LimitGenerator: the load generator could not keep up (it fell
	// behind its schedule while the broker's service time met the SLO, or
	// it sent fewer messages than scheduled); the numbers describe the
	// generator, not the broker.
	LimitGenerator = "generator"
	// LimitBackpressure: the system under test pushed back — Send was
	// blocked on the producer's pending limits (or sends failed as
	// queue_full / send_timeout) and the generator could not offer its
	// schedule. A limit of the system, not of the generator.
	LimitBackpressure = "backpressure"
	// LimitIncomplete: the run was interrupted or failed before it
	// finished; it says nothing about the limit.
	LimitIncomplete = "incomplete"
)

// MinOfferedFraction is the lowest sent/scheduled ratio of a generator
// that offered its load (99%, as report.MinAchievedFraction).
const MinOfferedFraction = report.MinAchievedFraction

// MaxLagShareOfBound is the share (10%) of the tightest latency bound of
// the SLO that a saturated generator's schedule lag p99 must reach for
// Evaluate to fail the run as LimitGenerator; below it the lag is noted.
const MaxLagShareOfBound = 0.1

// tightest returns the smallest latency bound of slo, ns.
func tightest(slo SLO) int64 {
	var b int64
	for i, o := range slo.Latency {
		if i == 0 || o.MaxNs < b {
			b = o.MaxNs
		}
	}
	return b
}

// Metrics summarises one run for the sweep and capacity tables. Rates are
// per second of the run's measured window; latencies in ns.
type Metrics struct {
	// Status is the run's status (report.StatusComplete or
	// report.StatusInterrupted).
	Status string `json:"status"`
	// ClosedLoop is the run's ClosedLoop: no schedule, no target.
	ClosedLoop bool `json:"closed_loop,omitempty"`
	// TargetMsgsPerSec is the scheduled rate, msg/s (0: closed loop).
	TargetMsgsPerSec float64 `json:"target_msgs_per_sec"`
	// OfferedMsgsPerSec is messages sent (after warmup) per second of the
	// planned send window (duration − warmup); 0 when the window is
	// unknown.
	OfferedMsgsPerSec float64 `json:"offered_msgs_per_sec"`
	// MsgsPerSec, MBPerSec and WireMBPerSec are the run's acked
	// throughput: messages, record payload MB (10^6 B) and batch bytes on
	// the wire in MB per second.
	MsgsPerSec   float64 `json:"msgs_per_sec"`
	MBPerSec     float64 `json:"mb_per_sec"`
	WireMBPerSec float64 `json:"wire_mb_per_sec"`
	// Sent, Acked and Failed count messages after warmup.
	Sent   int64 `json:"sent"`
	Acked  int64 `json:"acked"`
	Failed int64 `json:"failed"`
	// ErrorRate is Failed/Sent (0 when nothing was sent).
	ErrorRate float64 `json:"error_rate"`
	// P50Ns … MaxNs are latency (intended send to ack) statistics, ns.
	P50Ns  int64 `json:"p50_ns"`
	P90Ns  int64 `json:"p90_ns"`
	P99Ns  int64 `json:"p99_ns"`
	P999Ns int64 `json:"p999_ns"`
	MaxNs  int64 `json:"max_ns"`
	// ServiceP99Ns is the service time (actual send to ack) p99, ns.
	ServiceP99Ns int64 `json:"service_p99_ns"`
	// LagP50Ns and LagP99Ns are schedule lag (intended to actual send)
	// percentiles, ns.
	LagP50Ns int64 `json:"lag_p50_ns"`
	LagP99Ns int64 `json:"lag_p99_ns"`
	// Batches is the number of batches; MeanRecordsPerBatch,
	// MeanBatchBytes (uncompressed) and MeanBatchWireBytes their means;
	// CompressionRatio is uncompressed / wire bytes.
	Batches             int64   `json:"batches"`
	MeanRecordsPerBatch float64 `json:"mean_records_per_batch"`
	MeanBatchBytes      float64 `json:"mean_batch_bytes"`
	MeanBatchWireBytes  float64 `json:"mean_batch_wire_bytes"`
	CompressionRatio    float64 `json:"compression_ratio"`
}

// ObjectiveCheck is one latency objective applied to a run.
type ObjectiveCheck struct {
	// Percentile and MaxNs are the objective's.
	Percentile float64 `json:"percentile"`
	MaxNs      int64   `json:"max_ns"`
	// LatencyNs is the run's latency at Percentile, ns.
	LatencyNs int64 `json:"latency_ns"`
	// ServiceNs is the run's service time at Percentile, ns (0 when not
	// recorded).
	ServiceNs int64 `json:"service_ns"`
	// Met is LatencyNs <= MaxNs.
	Met bool `json:"met"`
}

// Evaluation is one run judged against an SLO.
type Evaluation struct {
	// Metrics summarises the run.
	Metrics Metrics `json:"metrics"`
	// Objectives are the SLO's latency objectives applied to the run.
	Objectives []ObjectiveCheck `json:"objectives,omitempty"`
	// RankPercentile is the SLO's RankPercentile and RankLatencyNs the
	// run's latency there, ns: what points are ranked and plotted by.
	RankPercentile float64 `json:"rank_percentile"`
	RankLatencyNs  int64   `json:"rank_latency_ns"`
	// Pass is true when the run completed, met every objective and the
	// generator offered at least MinOfferedFraction of its schedule.
	Pass bool `json:"pass"`
	// Limit says what failed a run that did not pass (Limit*); LimitNone
	// when Pass.
	Limit string `json:"limit,omitempty"`
	// Reason is one sentence on why the run failed, naming the numbers;
	// empty when Pass.
	Reason string `json:"reason,omitempty"`
	// Notes are remarks on a passing or failing run (e.g. schedule lag
	// above 1 ms that did not break the SLO).
	Notes []string `json:"notes,omitempty"`
	// Spread is the range of the figures over the repetitions of a point
	// or step run several times (--count; see Combine), whose Metrics are
	// then the medians; nil for a single run.
	Spread *Spread `json:"spread,omitempty"`
}

// Evaluate judges res against slo. window is the planned send window after
// warmup (the scenario's duration minus its warmup), used to check that
// the generator sent what it was scheduled to; 0 skips that check (runs
// bounded by a message count). Latency and service time at each SLO
// percentile come from the run's encoded histograms. A run that did not
// pass is classified, in this order, as
//
//   - LimitIncomplete when it was interrupted;
//   - LimitErrors when its status is report.StatusFailed (nothing acked
//     for a stretch);
//   - LimitBackpressure when the generator sent less than
//     MinOfferedFraction of its schedule because the system under test
//     pushed back (report.CheckGenerator's Backpressure);
//   - LimitGenerator when the generator was saturated
//     (report.CheckGenerator's Saturated: it fell behind while Send was
//     not blocked) and the service time met every missed objective —
//     such a step never passes, so it is never a capacity — or sent
//     less than MinOfferedFraction of its schedule, or a latency objective was missed while the
//     schedule lag p99 was above report.MaxScheduleLagP99Ns and the
//     service time (actual send to ack) met every missed objective — the
//     lateness was the generator's, not the broker's;
//   - LimitErrors when the error rate is above the SLO's limit;
//   - LimitSLO otherwise (a latency objective missed, or nothing acked).
//
// It fails on a nil res or an undecodable histogram.
func Evaluate(res *report.Result, slo SLO, window time.Duration) (Evaluation, error) {
	if res == nil {
		return Evaluation{}, errors.New("sweep: nil result")
	}
	if err := slo.Validate(); err != nil {
		return Evaluation{}, err
	}
	lat, err := report.DecodeHistogram(res.Latency.Histogram)
	if err != nil {
		return Evaluation{}, fmt.Errorf("sweep: latency of %s: %w", res.Scenario.Name, err)
	}
	svc, err := report.DecodeHistogram(res.ServiceTime.Histogram)
	if err != nil {
		return Evaluation{}, fmt.Errorf("sweep: service time of %s: %w", res.Scenario.Name, err)
	}
	m := metricsOf(res, window)
	ev := Evaluation{Metrics: m, RankPercentile: slo.RankPercentile()}
	at := func(pct float64) int64 {
		if lat.TotalCount() == 0 {
			return 0
		}
		return lat.ValueAtQuantile(pct)
	}
	ev.RankLatencyNs = at(ev.RankPercentile)
	var missed []ObjectiveCheck
	serviceMet := true // the service time met every missed objective
	for _, o := range slo.Latency {
		c := ObjectiveCheck{Percentile: o.Percentile, MaxNs: o.MaxNs, LatencyNs: at(o.Percentile)}
		if svc.TotalCount() > 0 {
			c.ServiceNs = svc.ValueAtQuantile(o.Percentile)
		}
		c.Met = m.Acked > 0 && c.LatencyNs <= o.MaxNs
		if !c.Met {
			missed = append(missed, c)
			if svc.TotalCount() == 0 || c.ServiceNs > o.MaxNs {
				serviceMet = false
			}
		}
		ev.Objectives = append(ev.Objectives, c)
	}
	errOK := slo.MaxErrorRate == nil || m.ErrorRate <= *slo.MaxErrorRate
	lagHigh := res.ScheduleLag.Count > 0 && m.LagP99Ns > report.MaxScheduleLagP99Ns
	shortfall := !m.ClosedLoop && m.OfferedMsgsPerSec > 0 && m.TargetMsgsPerSec > 0 &&
		m.OfferedMsgsPerSec < MinOfferedFraction*m.TargetMsgsPerSec
	if window > 0 && !m.ClosedLoop && m.TargetMsgsPerSec > 0 && m.Sent == 0 {
		shortfall = true
	}
	if lagHigh {
		ev.Notes = append(ev.Notes, fmt.Sprintf("schedule lag p99 %s ms is above %s ms", msString(m.LagP99Ns), msString(report.MaxScheduleLagP99Ns)))
	}
	ran := res.Status != report.StatusInterrupted && res.Status != ""
	failed := res.Status == report.StatusFailed
	g := report.CheckGenerator(res)
	// A saturated generator whose lateness is small against the tightest
	// latency bound (under MaxLagShareOfBound of it) cannot change the
	// SLO verdict: noted, not failed.
	if g.Saturated && !shortfall && len(slo.Latency) > 0 && float64(m.LagP99Ns) < MaxLagShareOfBound*float64(tightest(slo)) {
		ev.Notes = append(ev.Notes, g.Reason)
		g.Saturated = false
	}
	ev.Pass = ran && !failed && m.Acked > 0 && len(missed) == 0 && errOK && !shortfall && !g.Saturated
	if ev.Pass {
		return ev, nil
	}
	switch {
	case !ran:
		ev.Limit, ev.Reason = LimitIncomplete, "the run did not complete (status "+orDash(res.Status)+")"
	case failed:
		ev.Limit, ev.Reason = LimitErrors, "the run failed: "+orDash(res.StatusReason)
	case shortfall && g.Backpressure:
		ev.Limit = LimitBackpressure
		ev.Reason = fmt.Sprintf("the generator sent only %s msg/s of the %s msg/s scheduled because %s",
			rateString(m.OfferedMsgsPerSec), rateString(m.TargetMsgsPerSec), g.BackpressureReason)
	case shortfall && (serviceMet || len(missed) == 0):
		ev.Limit = LimitGenerator
		ev.Reason = fmt.Sprintf("the load generator sent only %s msg/s of the %s msg/s scheduled (below %.0f%%)",
			rateString(m.OfferedMsgsPerSec), rateString(m.TargetMsgsPerSec), MinOfferedFraction*100)
	case len(missed) > 0 && lagHigh && serviceMet:
		c := missed[len(missed)-1]
		ev.Limit = LimitGenerator
		ev.Reason = fmt.Sprintf("the load generator fell behind its schedule (lag p99 %s ms, above %s ms): latency p%s %s ms missed the %s ms bound but the service time there, %s ms, met it",
			msString(m.LagP99Ns), msString(report.MaxScheduleLagP99Ns), PercentileName(c.Percentile),
			msString(c.LatencyNs), msString(c.MaxNs), msString(c.ServiceNs))
	case g.Saturated && (serviceMet || len(missed) == 0):
		ev.Limit, ev.Reason = LimitGenerator, g.Reason
	case !errOK:
		ev.Limit = LimitErrors
		ev.Reason = fmt.Sprintf("error rate %s (%d of %d failed) is above the %s limit",
			percentString(m.ErrorRate), m.Failed, m.Sent, percentString(*slo.MaxErrorRate))
	case m.Acked == 0:
		ev.Limit, ev.Reason = LimitSLO, "no message was acked"
	default:
		var parts []string
		for _, c := range missed {
			parts = append(parts, fmt.Sprintf("p%s %s ms > %s ms", PercentileName(c.Percentile), msString(c.LatencyNs), msString(c.MaxNs)))
		}
		ev.Limit, ev.Reason = LimitSLO, "latency "+strings.Join(parts, ", ")
	}
	return ev, nil
}

// LimitName names a limit for people: "the SLO (p99 82.1 ms > 50 ms)",
// "errors", "the load generator", "none".
func (e Evaluation) LimitName() string {
	switch e.Limit {
	case LimitNone:
		return "none"
	case LimitSLO:
		for _, c := range e.Objectives {
			if !c.Met {
				return fmt.Sprintf("the SLO (p%s > %s ms)", PercentileName(c.Percentile), msString(c.MaxNs))
			}
		}
		return "the SLO"
	case LimitErrors:
		return "errors"
	case LimitGenerator:
		return "the load generator"
	case LimitBackpressure:
		return "backpressure from the system under test"
	case LimitIncomplete:
		return "an incomplete run"
	}
	return e.Limit
}

// metricsOf summarises res; window is the planned send window.
func metricsOf(res *report.Result, window time.Duration) Metrics {
	b := res.Batches
	m := Metrics{
		Status:              res.Status,
		ClosedLoop:          res.ClosedLoop,
		TargetMsgsPerSec:    finite(res.TargetRateMsgsPerSec),
		MsgsPerSec:          finite(res.Throughput.MsgsPerSec),
		MBPerSec:            finite(res.Throughput.MBPerSec),
		Sent:                res.Counts.Sent,
		Acked:               res.Counts.Acked,
		Failed:              res.Counts.Failed,
		P50Ns:               res.Latency.P50Ns,
		P90Ns:               res.Latency.P90Ns,
		P99Ns:               res.Latency.P99Ns,
		P999Ns:              res.Latency.P999Ns,
		MaxNs:               res.Latency.MaxNs,
		ServiceP99Ns:        res.ServiceTime.P99Ns,
		LagP50Ns:            res.ScheduleLag.P50Ns,
		LagP99Ns:            res.ScheduleLag.P99Ns,
		Batches:             b.Count,
		MeanRecordsPerBatch: finite(b.MeanRecordsPerBatch),
		MeanBatchBytes:      finite(b.MeanUncompressedBytes),
		MeanBatchWireBytes:  finite(b.MeanCompressedBytes),
		CompressionRatio:    finite(b.CompressionRatio),
	}
	if res.MeasuredNs > 0 {
		m.WireMBPerSec = float64(b.CompressedBytes) / 1e6 / (float64(res.MeasuredNs) / 1e9)
	}
	if res.ClosedLoop {
		m.TargetMsgsPerSec = 0
	}
	if m.Sent > 0 {
		m.ErrorRate = float64(m.Failed) / float64(m.Sent)
	}
	if window > 0 {
		m.OfferedMsgsPerSec = float64(m.Sent) / window.Seconds()
	}
	return m
}

// finite returns x, or 0 for NaN and infinities.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// msString formats ns as ms with up to three decimals: 1500000 → "1.5",
// 20000000 → "20".
func msString(ns int64) string {
	return strconv.FormatFloat(math.Round(float64(ns)/1e3)/1e3, 'f', -1, 64)
}

// ms3 formats ns as ms with exactly three decimals, for table columns.
func ms3(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e6) }

// percentString formats a ratio as a percentage: 0.001 → "0.1%".
func percentString(r float64) string {
	return strconv.FormatFloat(math.Round(r*1e6)/1e4, 'f', -1, 64) + "%"
}

// rateString formats a rate with thousands separators and no decimals
// (with one decimal below 100): 19997.2 → "19,997".
func rateString(r float64) string {
	r = finite(r)
	if math.Abs(r) < 100 {
		return strconv.FormatFloat(math.Round(r*10)/10, 'f', -1, 64)
	}
	s := strconv.FormatInt(int64(math.Round(r)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// orDash returns s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
