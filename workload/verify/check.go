package verify

import (
	"sort"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/workload/verify/counts"
)

// Counts are the verification figures of one topic partition, or of the
// whole run (Result.Total); the type lives in the leaf package counts so
// that report can write it without importing the producer core.
type Counts = counts.Counts

// Result is what a Checker found.
type Result struct {
	// Run is the run ID checked.
	Run uint64
	// Partitions are the per-partition counts, by topic then partition.
	Partitions []Counts
	// Total sums Partitions.
	Total Counts
	// Tracked is the number of sequences tracked; Untracked the
	// outcomes above it (not checked).
	Tracked, Untracked int64
	// Foreign is records read back with another run's stamp; Unstamped
	// those without a valid stamp. Neither is checked.
	Foreign, Unstamped int64
}

type partKey struct {
	topic     string
	partition int32
}

type orderKey struct {
	topic     string
	partition int32
	worker    uint32
	key       string
}

// Checker checks read-back records against Outcomes. Add every record
// read back, then call Result once. Not safe for concurrent use.
type Checker struct {
	o         *Outcomes
	seen      []uint64 // bitmap by sequence
	seenPart  map[int64]int32
	parts     map[partKey]*Counts
	last      map[orderKey]int64
	foreign   int64
	unstamped int64
}

// NewChecker returns a Checker for o.
func NewChecker(o *Outcomes) *Checker {
	return &Checker{o: o, seen: make([]uint64, (len(o.slots)+63)/64), seenPart: map[int64]int32{},
		parts: map[partKey]*Counts{}, last: map[orderKey]int64{}}
}

func (c *Checker) part(topic string, p int32) *Counts {
	k := partKey{topic, p}
	if pc := c.parts[k]; pc != nil {
		return pc
	}
	pc := &Counts{Topic: topic, Partition: p}
	c.parts[k] = pc
	return pc
}

// Add checks one record read back from topic's partition. Records without
// this run's stamp are counted as foreign or unstamped and otherwise
// ignored. key, headers and value are not kept.
func (c *Checker) Add(topic string, partition int32, key []byte, headers []producer.Header, value []byte) {
	var s Stamp
	ok := false
	for i := len(headers) - 1; i >= 0; i-- {
		if headers[i].Key == HeaderKey {
			s, ok = Parse(headers[i].Value)
			break
		}
	}
	if !ok {
		c.unstamped++
		return
	}
	if s.Run != c.o.Run {
		c.foreign++
		return
	}
	pc := c.part(topic, partition)
	pc.ReadBack++
	if Checksum(value) != s.CRC {
		pc.Corrupted++
	}
	ok2 := orderKey{topic, partition, s.Worker, string(key)}
	if last, had := c.last[ok2]; had && s.Seq < last {
		pc.Reordered++
	} else {
		c.last[ok2] = s.Seq
	}
	if s.Seq < 0 || s.Seq >= int64(len(c.o.slots)) {
		return
	}
	w, bit := s.Seq/64, uint64(1)<<(s.Seq%64)
	if c.seen[w]&bit != 0 {
		pc.Duplicated++
		return
	}
	c.seen[w] |= bit
	if st, _, _ := c.o.slot(s.Seq); st == stateFailed {
		c.seenPart[s.Seq] = partition
	}
}

// Result returns the counts. Call it once, after the last Add.
func (c *Checker) Result() Result {
	r := Result{Run: c.o.Run, Tracked: int64(len(c.o.slots)), Untracked: c.o.Untracked(),
		Foreign: c.foreign, Unstamped: c.unstamped}
	for i := range int64(len(c.o.slots)) {
		st, ti, p := c.o.slot(i)
		if st == stateNone {
			continue
		}
		topic := ""
		if ti < len(c.o.Topics) {
			topic = c.o.Topics[ti]
		}
		seen := c.seen[i/64]&(1<<(i%64)) != 0
		switch st {
		case stateAcked:
			pc := c.part(topic, p)
			pc.Acked++
			if !seen {
				pc.Lost++
			}
		case stateFailed:
			if seen {
				pc := c.part(topic, c.seenPart[i])
				pc.Failed++
				pc.FailedPresent++
			} else {
				c.part(topic, -1).Failed++
			}
		}
	}
	r.Total.Partition = -1
	for _, pc := range c.parts {
		r.Partitions = append(r.Partitions, *pc)
		t := &r.Total
		t.Acked += pc.Acked
		t.Failed += pc.Failed
		t.ReadBack += pc.ReadBack
		t.Lost += pc.Lost
		t.Duplicated += pc.Duplicated
		t.Reordered += pc.Reordered
		t.Corrupted += pc.Corrupted
		t.FailedPresent += pc.FailedPresent
	}
	sort.Slice(r.Partitions, func(i, j int) bool {
		a, b := r.Partitions[i], r.Partitions[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return r
}
