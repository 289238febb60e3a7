package workload

import (
	"time"

	"github.com/prodbench/prodbench/producer"
)

// MaxExactMessages is how many messages Plan sums sizes over; beyond it,
// byte totals are the mean over the first MaxExactMessages messages
// times the count (sizes, keys and headers are identically distributed,
// so the estimate is close).
const MaxExactMessages = 1_000_000

// maxPlanRows bounds the rows of a plan's rate table.
const maxPlanRows = 20

// Plan is what a run of a scenario would send, computed from its schedule
// and generators without sending: prodbench validate prints it.
type Plan struct {
	// ClosedLoop is true for the max profile: the rate is whatever the
	// producer accepts, so the counts below are only known when the
	// scenario sets messages.
	ClosedLoop bool
	// Length is the sending phase: the duration, or, for a run limited by
	// a message count alone, when the last message is due (open loop);
	// 0 when unknown (closed loop without duration).
	Length time.Duration
	// Messages is the number of messages the run sends (0 when unknown).
	Messages int64
	// Records is the number of records: Messages times the topics with
	// fanout, else Messages.
	Records int64
	// MeasuredRecords is the number of records due after warmup (open
	// loop; 0 when unknown).
	MeasuredRecords int64
	// KeyBytes, ValueBytes and HeaderBytes are the expected totals over
	// all records (header bytes: keys plus values); Bytes is their sum,
	// the record payload prodbench's MB/s counts.
	KeyBytes, ValueBytes, HeaderBytes, Bytes int64
	// Exact is true when the byte totals were summed over every message
	// (Messages <= MaxExactMessages), false when estimated.
	Exact bool
	// MeanRate is Messages over Length, msg/s (0 when unknown).
	MeanRate float64
	// Rows is the rate over time: the schedule's message counts in
	// consecutive windows, one per step of a steps profile (up to 60),
	// else up to 20 of a round length (empty for a closed loop).
	Rows []PlanRow
}

// PlanRow is one window of a plan's rate table.
type PlanRow struct {
	// From and To bound the window [From, To) from the start of the run.
	From, To time.Duration
	// Messages is the number of messages due in the window.
	Messages int64
	// Rate is Messages over the window's length, msg/s.
	Rate float64
	// Target is the profile's target rate at From, msg/s (poisson: its
	// mean).
	Target float64
}

// Plan expands s: the schedule's message count and rate over time, and
// the bytes the messages carry, summed over the generated messages
// themselves (so payload files are read). Errors are those of
// NewGenerators.
func (s *Scenario) Plan() (*Plan, error) {
	g, err := NewGenerators(s)
	if err != nil {
		return nil, err
	}
	p := &Plan{ClosedLoop: g.Schedule == nil, Length: s.Duration.D()}
	copies := int64(1)
	if g.Topics.Fanout() {
		copies = int64(len(g.Topics.Names()))
	}
	if g.Schedule != nil {
		switch {
		case s.Duration > 0:
			p.Messages = g.Schedule.Count(s.Duration.D())
			if s.Messages > 0 && s.Messages < p.Messages {
				p.Messages = s.Messages
				p.Length = g.Schedule.Intended(s.Messages - 1)
			}
		default:
			p.Messages = s.Messages
			p.Length = g.Schedule.Intended(s.Messages - 1)
		}
		p.MeasuredRecords = (p.Messages - min(p.Messages, g.Schedule.Count(s.Warmup.D()))) * copies
		p.Rows = planRows(s.Rate, g.Schedule, p.Length, p.Messages)
	} else {
		p.Messages = s.Messages
	}
	p.Records = p.Messages * copies
	if p.Length > 0 && p.Messages > 0 {
		p.MeanRate = float64(p.Messages) / p.Length.Seconds()
	}
	n := min(p.Messages, MaxExactMessages)
	if p.Messages == 0 {
		n = MaxExactMessages // a closed loop of unknown length: show the per-message mean
	}
	var keys, vals, hdrs int64
	scratch := make([]byte, 0, g.keyBuf)
	hbuf := make([]producer.Header, 0, g.Headers.MaxCount())
	for i := range n {
		keys += int64(len(g.Keys.Key(i, scratch)))
		vals += int64(len(g.Payloads.Payload(i)))
		for _, h := range g.Headers.Headers(i, hbuf) {
			hdrs += int64(len(h.Key) + len(h.Value))
		}
	}
	p.Exact = p.Messages > 0 && n == p.Messages
	scale := func(x int64) int64 {
		if n == 0 || p.Records == 0 {
			return 0
		}
		if p.Exact {
			return x * copies
		}
		return int64(float64(x) / float64(n) * float64(p.Records))
	}
	p.KeyBytes, p.ValueBytes, p.HeaderBytes = scale(keys), scale(vals), scale(hdrs)
	p.Bytes = p.KeyBytes + p.ValueBytes + p.HeaderBytes
	return p, nil
}

// MeanRecordBytes returns the mean key+value+header bytes of a record as
// generated (0 when unknown).
func (p *Plan) MeanRecordBytes() float64 {
	if p.Records == 0 {
		return 0
	}
	return float64(p.Bytes) / float64(p.Records)
}

// planRows splits [0, length] into windows of a round length; the last
// window holds every remaining message.
func planRows(r Rate, sched Schedule, length time.Duration, messages int64) []PlanRow {
	if length <= 0 {
		return []PlanRow{{Messages: messages, Target: r.At(0)}}
	}
	bounds := stepBounds(r, length)
	if bounds == nil {
		step := roundStep(length)
		for from := step; from < length; from += step {
			bounds = append(bounds, from)
		}
	}
	bounds = append(bounds, length)
	var rows []PlanRow
	var before int64
	from := time.Duration(0)
	for _, to := range bounds {
		c := messages
		if to < length {
			c = min(sched.Count(to), messages)
		}
		row := PlanRow{From: from, To: to, Messages: c - before, Target: r.At(from)}
		row.Rate = float64(row.Messages) / (to - from).Seconds()
		rows = append(rows, row)
		before, from = c, to
	}
	return rows
}

// maxStepRows bounds the rows of a steps profile's table, one per step.
const maxStepRows = 60

// stepBounds returns the step boundaries of a steps profile within
// (0, length), or nil for another profile or too many steps.
func stepBounds(r Rate, length time.Duration) []time.Duration {
	if r.profile() != ProfileSteps {
		return nil
	}
	var out []time.Duration
	var t time.Duration
	for pass := 0; ; pass++ {
		for _, st := range r.Steps {
			t += st.For.D()
			if t >= length {
				return out
			}
			if len(out) == maxStepRows {
				return nil
			}
			out = append(out, t)
		}
		if !r.Repeat {
			return out
		}
	}
}

// planSteps are the round window lengths of a plan's rate table.
var planSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
	6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// roundStep returns the smallest round window length that splits length
// into at most maxPlanRows windows.
func roundStep(length time.Duration) time.Duration {
	for _, step := range planSteps {
		if length <= step*maxPlanRows {
			return step
		}
	}
	return (length + maxPlanRows - 1) / maxPlanRows
}
