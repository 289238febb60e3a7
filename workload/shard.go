package workload

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Shard is one part of a scenario's workload split over several
// processes or machines (prodbench run --shard I/N): shard I of N plays
// the messages i ≡ I (mod N) of the scenario's one schedule, each at its
// intended time on the shared timeline (RunOptions.Start, the same on
// every shard). Every message's size, key, payload, headers and topic are
// functions of (seed, i) with i the global message index, so the union of
// the N shards' records is exactly the single-process workload: the same
// records, the same intended times, the same rates and distributions.
// Shard I sends ⌊n/N⌋ or ⌈n/N⌉ of a schedule's n messages.
//
// The closed loop (rate profile max) has no schedule: each shard sends
// its indices I, I+N, I+2N, ... as fast as its producer accepts, with
// intended = actual send time. With a message count each shard sends its
// share of it (the same ⌊n/N⌋ or ⌈n/N⌉, so the union is again every
// message 0..n-1 exactly once); with a duration alone each shard runs at
// its own maximum until the duration ends, so N shards offer up to N times
// one process's load and the union is not one process's run.
//
// The zero value (Count 0) and Count 1 mean the whole workload.
type Shard struct {
	// Index is the shard's number, 0 <= Index < Count (Kubernetes'
	// JOB_COMPLETION_INDEX).
	Index int64 `json:"index"`
	// Count is the number of shards, >= 1; 0 is read as 1.
	Count int64 `json:"count"`
}

// MaxShards is the largest Shard.Count.
const MaxShards = 1 << 20

// ParseShard parses "I/N" (--shard): 0 <= I < N <= MaxShards, both
// decimal integers. Errors name the problem and the value.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want INDEX/COUNT, e.g. 0/3", s)
	}
	i, err1 := strconv.ParseInt(is, 10, 64)
	n, err2 := strconv.ParseInt(ns, 10, 64)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: INDEX and COUNT must be integers, e.g. 0/3", s)
	}
	sh := Shard{Index: i, Count: n}
	if n == 0 {
		return Shard{}, fmt.Errorf("shard count must be between 1 and %d, got 0", MaxShards)
	}
	if err := sh.Validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

// Validate checks 0 <= Index < Count <= MaxShards (Count 0 is read as 1,
// so the zero value is valid).
func (sh Shard) Validate() error {
	n := sh.count()
	switch {
	case n < 1 || n > MaxShards:
		return fmt.Errorf("shard count must be between 1 and %d, got %d", MaxShards, sh.Count)
	case sh.Index < 0 || sh.Index >= n:
		return fmt.Errorf("shard index must be between 0 and %d (count - 1), got %d", n-1, sh.Index)
	}
	return nil
}

// String returns "I/N".
func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.Index, sh.count()) }

// count returns Count with 0 read as 1.
func (sh Shard) count() int64 {
	if sh.Count == 0 {
		return 1
	}
	return sh.Count
}

// Global returns the global message index of the shard's k-th message
// (k >= 0): Index + k·Count, or math.MaxInt64 when that overflows.
func (sh Shard) Global(k int64) int64 {
	n := sh.count()
	if k > (math.MaxInt64-sh.Index)/n {
		return math.MaxInt64
	}
	return sh.Index + k*n
}

// Share returns how many of the messages 0..total-1 belong to the shard:
// the i < total with i ≡ Index (mod Count), ⌊total/Count⌋ or
// ⌈total/Count⌉. total <= 0 gives 0.
func (sh Shard) Share(total int64) int64 {
	if total <= sh.Index {
		return 0
	}
	return (total-sh.Index-1)/sh.count() + 1
}

// ErrStartPassed is wrapped by Run's error when it is called more than
// RunOptions.MaxStartDelay after RunOptions.Start.
var ErrStartPassed = errors.New("start time has passed")
