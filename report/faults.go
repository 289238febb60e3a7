package report

import (
	"fmt"
	"time"
)

// Fault is one scripted fault of a run's target stand-in as it fired
// (result.json "faults"). Times are offsets from started_at, in ns.
type Fault struct {
	// Fault is the fault in its system's compact form, e.g.
	// "leader_move,every=2s" or "error:REQUEST_TIMED_OUT,rate=1%".
	Fault string `json:"fault"`
	// Kind is its kind: error, stall, drop_connections, slow, leader_move.
	Kind string `json:"kind"`
	// Count is how many times it fired: requests hit, or leader moves.
	Count int64 `json:"count"`
	// FirstNs and LastNs are its first and last firing; 0 when Count is 0.
	FirstNs int64 `json:"first_ns"`
	LastNs  int64 `json:"last_ns"`
	// Spans are the stretches in which it fired, [from_ns, to_ns] pairs
	// (firings close together are one span; an instant has from == to).
	// The timeline plots mark them.
	Spans [][2]int64 `json:"spans_ns,omitempty"`
}

// faultLines are the summary's faults block: one line per fault, e.g.
// "leader_move,every=2s: fired 4 times, first 2.000 s, last 8.000 s".
func faultLines(res *Result) []string {
	var out []string
	for _, f := range res.Faults {
		if f.Count == 0 {
			out = append(out, f.Fault+": never fired")
			continue
		}
		what := plural(f.Count, "request hit", "requests hit")
		switch f.Kind {
		case "leader_move":
			what = plural(f.Count, "leader move", "leader moves")
		case "drop_connections":
			what = plural(f.Count, "connection dropped", "connections dropped")
		}
		out = append(out, fmt.Sprintf("%s: %d %s, first at %s, last at %s", f.Fault, f.Count, what,
			secString(f.FirstNs), secString(f.LastNs)))
	}
	return out
}

// secString formats ns as seconds with 3 decimals, e.g. "2.000 s".
func secString(ns int64) string {
	return fmt.Sprintf("%.3f s", time.Duration(ns).Seconds())
}

// plural returns one when n is 1, else many.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
