package kafka

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/prodbench/prodbench/workload/units"
)

// Fault kinds the embedded broker can inject (Fault.Kind).
const (
	// FaultError answers produce requests with a Kafka error (Fault.Error)
	// for every partition they carry. REQUEST_TIMED_OUT and
	// NOT_ENOUGH_REPLICAS_AFTER_APPEND are answered after the records
	// were written, as a real broker does, so a producer that retries
	// them without idempotence writes duplicates; every other error
	// rejects the records.
	FaultError = "error"
	// FaultStall holds every request (of any kind, on every connection)
	// that arrives in the window until the window ends (Fault.For), or,
	// by rate, holds each chosen request for Fault.Delay: a frozen broker.
	FaultStall = "stall"
	// FaultDropConnections closes the connection a chosen produce request
	// arrived on, without answering it (and the requests in flight on it).
	FaultDropConnections = "drop_connections"
	// FaultSlow delays the answer to each chosen produce request by
	// Fault.Delay; requests behind it on the same connection wait too, as
	// on a Kafka broker, which handles one request per connection at a time.
	FaultSlow = "slow"
	// FaultLeaderMove moves the leadership of every partition (of
	// Fault.Topic, or of every topic produced to) to the next broker at
	// each instant of the window (at, every). The embedded cluster then has
	// FaultBrokers brokers, so that a leader can move.
	FaultLeaderMove = "leader_move"
)

// FaultKinds are the fault kinds, in the order help texts list them.
var FaultKinds = []string{FaultError, FaultStall, FaultDropConnections, FaultSlow, FaultLeaderMove}

// FaultBrokers is the broker count of an embedded cluster with a
// leader_move fault (otherwise it has one broker).
const FaultBrokers = 3

// MaxFaults bounds the faults of one broker.
const MaxFaults = 64

// Fault is one scripted fault of the embedded broker, as written in a
// scenario's `target: {kind: kafka, faults: [...]}` block or given to
// `prodbench broker --fault` (ParseFault). Which requests it hits is given
// by a rate, a window, or both (a rate within the window):
//
//   - Rate alone: each produce request (each request of any kind for a
//     stall) is hit with probability Rate, for the whole run.
//   - A window: At is the first instant from the fault clock's start (the
//     run's first scheduled message; for `prodbench broker`, the first
//     produce request), Every repeats it, For is how long each lasts.
//     Without For a window is an instant: the first produce request at or
//     after it is hit (leader_move moves leaders at the instant itself).
//   - Neither: every produce request for the whole run.
//
// The zero values of Rate, At, For, Every and Delay mean "not set".
type Fault struct {
	// Kind is one of FaultKinds. Required.
	Kind string `yaml:"kind" json:"kind"`
	// Error is the Kafka error name for kind error, e.g.
	// NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS (any
	// name franz-go's kerr knows). Required for kind error, refused for the
	// others.
	Error string `yaml:"error,omitempty" json:"error,omitempty"`
	// Rate is the fraction of requests hit, in (0, 1] (0.01 or "1%").
	// Refused for leader_move.
	Rate units.Ratio `yaml:"rate,omitempty" json:"rate,omitempty"`
	// At is the first window's start from the fault clock's start, >= 0.
	// Default: Every (so `every: 2s` fires at 2 s, 4 s, ...), else 0.
	At units.Duration `yaml:"at,omitempty" json:"at,omitempty"`
	// For is each window's length, > 0 and < Every; unset means an
	// instant. Refused for leader_move.
	For units.Duration `yaml:"for,omitempty" json:"for,omitempty"`
	// Every repeats the window with this period, > 0; unset means once.
	Every units.Duration `yaml:"every,omitempty" json:"every,omitempty"`
	// Delay is how long slow holds each chosen produce request (required
	// for slow), or how long a stall by rate holds each chosen request
	// (required for a stall without For). Refused for the other kinds.
	Delay units.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	// Topic, when set, limits kind error to that topic's partitions and
	// kind leader_move to that topic's leaders. Refused for the other
	// kinds.
	Topic string `yaml:"topic,omitempty" json:"topic,omitempty"`
}

// windowed reports whether f has a window (at, for or every).
func (f *Fault) windowed() bool { return f.At > 0 || f.For > 0 || f.Every > 0 }

// first is the first window's start.
func (f *Fault) first() time.Duration {
	if f.At == 0 && f.Every > 0 {
		return f.Every.D()
	}
	return f.At.D()
}

// window places t (from the fault clock's start) in f's windows: in
// reports whether t is inside a window (for an instant window: at or after
// its instant), occ numbers the window (0 for the first, or for a fault
// without window) and end is when that window ends (0 for an instant or
// no window).
func (f *Fault) window(t time.Duration) (in bool, occ int64, end time.Duration) {
	if !f.windowed() {
		return true, 0, 0
	}
	start := f.first()
	if t < start {
		return false, 0, 0
	}
	if f.Every > 0 {
		occ = int64((t - start) / f.Every.D())
		start += time.Duration(occ) * f.Every.D()
	}
	if f.For == 0 {
		return true, occ, 0
	}
	end = start + f.For.D()
	return t < end, occ, end
}

// String is the fault in ParseFault's compact form, e.g.
// "error:NOT_LEADER_OR_FOLLOWER,rate=1%" or "leader_move,every=2s".
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(f.Kind)
	if f.Error != "" {
		b.WriteString(":" + f.Error)
	}
	if f.Rate > 0 {
		b.WriteString(",rate=" + f.Rate.String())
	}
	for _, kv := range []struct {
		k string
		v units.Duration
	}{{"at", f.At}, {"for", f.For}, {"every", f.Every}, {"delay", f.Delay}} {
		if kv.v > 0 {
			b.WriteString("," + kv.k + "=" + kv.v.String())
		}
	}
	if f.Topic != "" {
		b.WriteString(",topic=" + f.Topic)
	}
	return b.String()
}

// FaultFieldError is what Check and ParseFault return: the field at fault
// ("kind", "error", "rate", "at", "for", "every", "delay", "topic") and
// what is wrong with it.
type FaultFieldError struct {
	// Field is the Fault field's YAML name.
	Field string
	// Msg says what is wrong, in one line.
	Msg string
}

func (e *FaultFieldError) Error() string { return e.Field + ": " + e.Msg }

func faultErr(field, format string, args ...any) *FaultFieldError {
	return &FaultFieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Check validates f; the error is a *FaultFieldError naming the field.
func (f *Fault) Check() error {
	if f.Kind == "" {
		return faultErr("kind", "required (one of %s)", strings.Join(FaultKinds, ", "))
	}
	if !slices.Contains(FaultKinds, f.Kind) {
		return faultErr("kind", "unknown fault kind %s (%s)", units.Quote(f.Kind), units.Suggest(f.Kind, FaultKinds))
	}
	if f.Kind == FaultError {
		if f.Error == "" {
			return faultErr("error", "required for kind error: a Kafka error name such as NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT or NOT_ENOUGH_REPLICAS")
		}
		if _, ok := KafkaErrorByName(f.Error); !ok {
			hint := units.Suggest(f.Error, kafkaErrorNames())
			if !strings.HasPrefix(hint, "did you mean") {
				hint = "want a Kafka protocol error name such as NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT or NOT_ENOUGH_REPLICAS"
			}
			return faultErr("error", "unknown Kafka error name %s (%s)", units.Quote(f.Error), hint)
		}
	} else if f.Error != "" {
		return faultErr("error", "applies to kind error only, not %s", f.Kind)
	}
	switch {
	case f.Rate < 0 || f.Rate > 1 || f.Rate != f.Rate:
		return faultErr("rate", "must be in (0, 1], got %v", float64(f.Rate))
	case f.At < 0:
		return faultErr("at", "must not be negative, got %v", f.At)
	case f.For < 0:
		return faultErr("for", "must not be negative, got %v", f.For)
	case f.Every < 0:
		return faultErr("every", "must not be negative, got %v", f.Every)
	case f.Delay < 0:
		return faultErr("delay", "must not be negative, got %v", f.Delay)
	case f.Every > 0 && f.For >= f.Every:
		return faultErr("for", "must be shorter than every (%v), got %v", f.Every, f.For)
	case f.Topic != "" && f.Kind != FaultError && f.Kind != FaultLeaderMove:
		return faultErr("topic", "applies to kinds error and leader_move only, not %s", f.Kind)
	case f.Rate > 0 && f.windowed() && f.For == 0 && f.Kind != FaultLeaderMove:
		return faultErr("rate", "a rate applies within a window: give for (e.g. at: 2s, for: 500ms), or drop at/every")
	}
	switch f.Kind {
	case FaultLeaderMove:
		switch {
		case f.Rate > 0:
			return faultErr("rate", "leader_move happens at instants: give at and/or every, not a rate")
		case f.For > 0:
			return faultErr("for", "leader_move happens at instants: give at and/or every, not for")
		case f.At == 0 && f.Every == 0:
			return faultErr("every", "leader_move needs at and/or every (e.g. every: 2s)")
		}
	case FaultSlow:
		if f.Delay == 0 {
			return faultErr("delay", "required for kind slow: how long each chosen produce request is held (e.g. 50ms)")
		}
	case FaultStall:
		switch {
		case f.For > 0 && f.Delay > 0:
			return faultErr("delay", "a stall with a window lasts its window (for); give delay only with a rate")
		case f.For == 0 && f.Delay == 0:
			return faultErr("for", "a stall needs a window (at, for, every; e.g. at: 2s, for: 500ms) or a rate and a delay")
		case f.For == 0 && f.Rate == 0:
			return faultErr("rate", "a stall without a window (for) needs a rate, the fraction of requests held for delay")
		}
	}
	if f.Kind != FaultSlow && f.Kind != FaultStall && f.Delay > 0 {
		return faultErr("delay", "applies to kinds slow and stall only, not %s", f.Kind)
	}
	return nil
}

// faultKeys are the keys of ParseFault's compact form.
var faultKeys = []string{"rate", "at", "for", "every", "delay", "topic"}

// ParseFault parses the compact form of `prodbench broker --fault`:
//
//	KIND[:ERROR][,KEY=VALUE]...
//
// with KEY one of rate (0.01 or 1%), at, for, every, delay (Go durations)
// and topic, e.g. "error:NOT_LEADER_OR_FOLLOWER,rate=1%",
// "stall,at=5s,for=500ms", "slow,delay=20ms,rate=10%",
// "drop_connections,every=3s", "leader_move,every=2s". The fault is
// checked (Check); errors are *FaultFieldError.
func ParseFault(s string) (Fault, error) {
	var f Fault
	parts := strings.Split(s, ",")
	head := strings.TrimSpace(parts[0])
	f.Kind, f.Error, _ = strings.Cut(head, ":")
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || k == "" {
			return Fault{}, faultErr("fault", "want KEY=VALUE after the kind, got %s (keys: %s)", units.Quote(p), strings.Join(faultKeys, ", "))
		}
		if !slices.Contains(faultKeys, k) {
			return Fault{}, faultErr(k, "unknown key %s (%s)", units.Quote(k), units.Suggest(k, faultKeys))
		}
		if seen[k] {
			return Fault{}, faultErr(k, "given twice")
		}
		seen[k] = true
		var err error
		switch k {
		case "rate":
			f.Rate, err = units.ParseRatio(v)
			if err == nil && f.Rate == 0 {
				err = fmt.Errorf("must be positive")
			}
		case "at":
			f.At, err = units.ParseDuration(v)
		case "for":
			f.For, err = units.ParseDuration(v)
		case "every":
			f.Every, err = units.ParseDuration(v)
		case "delay":
			f.Delay, err = units.ParseDuration(v)
		case "topic":
			f.Topic = v
			if v == "" {
				err = fmt.Errorf("must not be empty")
			}
		}
		if err != nil {
			return Fault{}, faultErr(k, "%v", err)
		}
	}
	if err := f.Check(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

// KafkaErrorByName returns the kerr error named name (its protocol name,
// e.g. "REQUEST_TIMED_OUT"; code 6 is NOT_LEADER_OR_FOLLOWER, its name
// since Kafka 2.6).
func KafkaErrorByName(name string) (*kerr.Error, bool) {
	e, ok := kafkaErrors()[name]
	return e, ok
}

var kafkaErrors = sync.OnceValue(func() map[string]*kerr.Error {
	m := map[string]*kerr.Error{}
	for code := int16(-1); code < 200; code++ {
		ke, ok := kerr.ErrorForCode(code).(*kerr.Error)
		if !ok || ke.Code != code || code == 0 {
			continue
		}
		name := ke.Message
		if code == 6 {
			name = "NOT_LEADER_OR_FOLLOWER"
		}
		m[name] = ke
	}
	return m
})

func kafkaErrorNames() []string {
	var names []string
	for n := range kafkaErrors() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
