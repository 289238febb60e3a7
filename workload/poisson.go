package workload

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// poissonSchedule is a Poisson arrival process of rate λ: the gaps between
// messages are independent exponential variables of mean 1/λ. Computing
// message i's time by summing i gaps would be sequential, so arrivals are
// built hierarchically, every draw a pure function of (seed, index):
//
//   - messages are grouped in chunks of poissonChunk; chunk k spans
//     Gₖ ~ Gamma(poissonChunk, λ), the sum of its poissonChunk gaps, drawn
//     from (seed, k) (Marsaglia–Tsang); chunk k starts at G₀ + … + Gₖ₋₁;
//   - within chunk k, gap m is Gₖ·Eₘ/ΣE of poissonChunk exponentials
//     E drawn from (seed, k, m). Given their sum, iid exponential gaps
//     are distributed exactly so, so the whole process is Poisson.
//
// Chunk starts are kept at every poissonCheckpoint-th chunk (8 bytes per
// 2^18 messages); a chunk's table of times is computed when first needed
// and cached in a small seqlock-protected set of slots, so Intended is
// lock-free and allocation-free while workers stay within a few chunks of
// each other.
type poissonSchedule struct {
	rate      float64 // λ, msg/s
	gammaBase uint64  // stream for the chunk spans
	expBase   uint64  // stream for the gaps within chunks

	mu     sync.Mutex
	starts []float64 // start of chunk c·poissonCheckpoint, seconds; guarded by mu
	slots  [poissonSlots]poissonSlot
}

const (
	poissonChunk      = 4096 // messages per chunk
	poissonCheckpoint = 64   // chunks per kept start
	poissonSlots      = 8    // cached chunk tables
)

// poissonSlot caches the intended times of one chunk. seq is odd while
// the slot is being rewritten (under poissonSchedule.mu).
type poissonSlot struct {
	seq   atomic.Uint64
	chunk atomic.Int64
	t     [poissonChunk]atomic.Int64 // ns
}

func newPoisson(rate float64, seed int64) *poissonSchedule {
	p := &poissonSchedule{
		rate:      rate,
		gammaBase: streamStart(seed, streamSchedule),
		expBase:   streamStart(seed, streamSchedule+1),
		starts:    []float64{0},
	}
	for i := range p.slots {
		p.slots[i].chunk.Store(-1)
	}
	return p
}

// Intended returns message i's arrival time.
func (p *poissonSchedule) Intended(i int64) time.Duration {
	if i <= 0 {
		return 0
	}
	k, j := i/poissonChunk, i%poissonChunk
	sl := &p.slots[k%poissonSlots]
	if s1 := sl.seq.Load(); s1&1 == 0 && sl.chunk.Load() == k {
		v := sl.t[j].Load()
		if sl.seq.Load() == s1 {
			return time.Duration(v)
		}
	}
	return p.fill(k, j)
}

// fill computes chunk k's table into its slot, unless another goroutine
// just did, and returns entry j.
func (p *poissonSchedule) fill(k, j int64) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	sl := &p.slots[k%poissonSlots]
	if sl.chunk.Load() != k {
		start := p.start(k)
		span := p.span(k)
		base := mix(p.expBase, k)
		var sum float64
		var cum [poissonChunk]float64
		for m := range poissonChunk {
			cum[m] = sum
			sum += -math.Log(openUnit(mix(base, int64(m))))
		}
		sl.seq.Add(1) // odd: readers retry
		sl.chunk.Store(k)
		for m := range poissonChunk {
			sl.t[m].Store(int64(secondsToDuration(start + span*(cum[m]/sum))))
		}
		sl.seq.Add(1)
	}
	return time.Duration(sl.t[j].Load())
}

// start returns the start of chunk k in seconds, extending the kept
// starts as needed. p.mu must be held.
func (p *poissonSchedule) start(k int64) float64 {
	c := k / poissonCheckpoint
	for int64(len(p.starts)) <= c {
		n := int64(len(p.starts))
		s := p.starts[n-1]
		for m := (n - 1) * poissonCheckpoint; m < n*poissonCheckpoint; m++ {
			s += p.span(m)
		}
		p.starts = append(p.starts, s)
	}
	s := p.starts[c]
	for m := c * poissonCheckpoint; m < k; m++ {
		s += p.span(m)
	}
	return s
}

// span returns chunk k's length in seconds: a Gamma(poissonChunk, rate)
// variate drawn from (seed, k) by Marsaglia and Tsang's method.
func (p *poissonSchedule) span(k int64) float64 {
	const d = poissonChunk - 1.0/3
	c := 1 / math.Sqrt(9*d)
	base := mix(p.gammaBase, k)
	for n := int64(0); ; n += 2 {
		x := normalQuantile(openUnit(mix(base, n)))
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := openUnit(mix(base, n+1))
		if math.Log(u) < x*x/2+d-d*v+d*math.Log(v) {
			return d * v / p.rate
		}
	}
}

// Count inverts Intended.
func (p *poissonSchedule) Count(d time.Duration) int64 {
	return countFrom(p, d, p.rate*d.Seconds())
}

func (p *poissonSchedule) expected(d time.Duration) float64 { return p.rate * d.Seconds() }
