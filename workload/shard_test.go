package workload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
)

// Observer must stay satisfiable by the report package's Recorder without
// workload importing report.
var _ Observer = (*report.Recorder)(nil)

// sentRecord is one record as a Sender saw it.
type sentRecord struct {
	topic    string
	content  uint64 // hash of key, value and headers
	intended int64  // ns from the start; -1 for a closed loop
}

// indexSender records every record by (global message index, topic).
type indexSender struct {
	closed bool
	mu     sync.Mutex
	got    map[[2]any]sentRecord
	dups   int
}

func newIndexSender(closed bool) *indexSender {
	return &indexSender{closed: closed, got: map[[2]any]sentRecord{}}
}

func (c *indexSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	m := r.Context.(*message)
	rec := sentRecord{topic: r.Topic, content: contentHash(r), intended: m.intended - m.eng.base}
	if c.closed {
		rec.intended = -1
	}
	c.mu.Lock()
	k := [2]any{m.index, r.Topic}
	if _, dup := c.got[k]; dup {
		c.dups++
	}
	c.got[k] = rec
	c.mu.Unlock()
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
}

// nopObserver discards every outcome.
type nopObserver struct{}

func (nopObserver) Sent(int64, int)                     {}
func (nopObserver) Success(int64, int64, int64, int)    {}
func (nopObserver) Failure(int64, int64, int64, string) {}

// TestShardsUnionIsTheWorkload runs every rate profile and key
// distribution whole and as 3 shards, with a start an hour in the past so
// that every message is overdue and sent at once (intended times are the
// schedule's whatever the wall clock), and checks that the shards' records
// together are exactly the whole run's — the same (message index, topic)
// set, each with the same key, payload and headers and the same intended
// time — with no record sent twice, and that each shard sent ⌊n/3⌋ or
// ⌈n/3⌉ of the n messages (and reported that as Scheduled).
func TestShardsUnionIsTheWorkload(t *testing.T) {
	t.Parallel()
	rates := []struct {
		name string
		rate Rate
	}{
		{"constant", Rate{Profile: ProfileConstant, MessagesPerSecond: 5000}},
		{"constant fractional", Rate{Profile: ProfileConstant, MessagesPerSecond: 3333.3}},
		{"ramp", Rate{Profile: ProfileRamp, From: 1000, To: 20000, Over: secs(0.1)}},
		{"steps", Rate{Profile: ProfileSteps, Steps: []Step{{5000, secs(0.05)}, {0, secs(0.05)}, {20000, secs(0.05)}}, Repeat: true}},
		{"sine", Rate{Profile: ProfileSine, Mean: 10000, Amplitude: 10000, Period: secs(0.1)}},
		{"poisson", Rate{Profile: ProfilePoisson, Mean: 10000}},
		{"max", Rate{Profile: ProfileMax}},
	}
	keys := []Keys{
		{Distribution: DistributionNone},
		{Distribution: DistributionRoundRobin, Count: 7},
		{Distribution: DistributionUniform, Count: 100},
		{Distribution: DistributionZipf, Count: 1000, Exponent: 1.1},
		{Distribution: DistributionHotspot, Count: 100, HotFraction: 0.1, HotShare: 0.9},
		{Distribution: DistributionSequential, Format: "k-%d"},
	}
	// Every profile with zipf keys, and every key distribution with the
	// poisson profile (the full product takes 4 times as long under
	// -race and adds no path).
	for _, rc := range rates {
		for _, kc := range keys {
			if rc.name != "poisson" && kc.Distribution != DistributionZipf {
				continue
			}
			t.Run(rc.name+"/"+kc.Distribution, func(t *testing.T) {
				t.Parallel()
				mk := func() *Scenario {
					s := codeScenario()
					s.Seed = 11
					s.Rate, s.Keys = rc.rate, kc
					s.Duration = secs(0.25)
					if rc.rate.ClosedLoop() {
						s.Duration, s.Messages = 0, 2000
					}
					s.Message = Message{Size: SizeSpec{Distribution: SizeUniform, Min: 10, Max: 200},
						Payload: Payload{Kind: PayloadRandomRatio, Ratio: 0.5}}
					s.Headers = &Headers{Count: Range{0, 2}, ValueSize: FixedSize(4)}
					s.Topics = []Topic{{Name: "a", Partitions: 1, Weight: 2}, {Name: "b", Partitions: 1, Weight: 1}}
					if kc.Distribution == DistributionSequential {
						s.TopicSelection = TopicSelectionFanout
						s.Topics[0].Weight, s.Topics[1].Weight = 0, 0
					}
					if err := s.Validate(); err != nil {
						t.Fatal(err)
					}
					return s
				}
				run := func(sh Shard) (*indexSender, RunInfo) {
					snd := newIndexSender(rc.rate.ClosedLoop())
					info, err := Run(context.Background(), mk(), RunOptions{Sender: snd, Recorder: nopObserver{},
						Start: time.Now().Add(-time.Hour), Shard: sh})
					if err != nil {
						t.Fatal(err)
					}
					if info.Interrupted || snd.dups != 0 || int64(len(snd.got)) != info.Sent || info.Sent != info.Scheduled {
						t.Fatalf("shard %v: info %+v, %d distinct records, %d sent twice", sh, info, len(snd.got), snd.dups)
					}
					return snd, info
				}
				whole, winfo := run(Shard{})
				if winfo.Sent < 500 {
					t.Fatalf("whole run sent only %d records", winfo.Sent)
				}
				copies := int64(1)
				if mk().TopicSelection == TopicSelectionFanout {
					copies = 2
				}
				msgs := winfo.Sent / copies
				union := map[[2]any]sentRecord{}
				for i := range int64(3) {
					snd, info := run(Shard{Index: i, Count: 3})
					if lo, got := msgs/3, info.Sent/copies; got < lo || got > lo+1 || info.Shard != (Shard{i, 3}) {
						t.Errorf("shard %d/3 sent %d messages of %d, want %d or %d", i, got, msgs, lo, lo+1)
					}
					for k, v := range snd.got {
						if k[0].(int64)%3 != i {
							t.Fatalf("shard %d/3 sent message %d", i, k[0])
						}
						if _, dup := union[k]; dup {
							t.Fatalf("message %v sent by two shards", k)
						}
						union[k] = v
					}
				}
				if len(union) != len(whole.got) {
					t.Fatalf("shards sent %d records, the whole run %d", len(union), len(whole.got))
				}
				for k, v := range whole.got {
					if u, ok := union[k]; !ok || u != v {
						t.Fatalf("message %v: whole run %+v, shards %+v (present %v)", k, v, u, ok)
					}
				}
			})
		}
	}
}

// TestShardParse checks --shard's syntax and bounds.
func TestShardParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Shard{"0/3": {0, 3}, " 2/3 ": {2, 3}, "0/1": {0, 1}} {
		if got, err := ParseShard(in); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"3/3":  "shard index must be between 0 and 2 (count - 1), got 3",
		"-1/3": "shard index must be between 0 and 2 (count - 1), got -1",
		"0/0":  "shard count must be between 1 and 1048576, got 0",
		"1":    `shard "1": want INDEX/COUNT, e.g. 0/3`,
		"a/3":  `shard "a/3": INDEX and COUNT must be integers, e.g. 0/3`,
	} {
		if got, err := ParseShard(in); fmt.Sprint(err) != want || got != (Shard{}) {
			t.Errorf("ParseShard(%q) = %v, %v; want error %s", in, got, err, want)
		}
	}
	sh := Shard{Index: 2, Count: 5}
	for total, want := range []int64{0, 0, 0, 1, 1, 1, 1, 1, 2} {
		if got := sh.Share(int64(total)); got != want {
			t.Errorf("Share(%d) of 2/5 = %d, want %d", total, got, want)
		}
	}
	if got := sh.Global(3); got != 17 {
		t.Errorf("Global(3) of 2/5 = %d, want 17", got)
	}
	if _, err := Run(context.Background(), codeScenario(), RunOptions{Sender: nopSender{}, Recorder: nopObserver{}, Shard: Shard{Index: 3, Count: 2}}); err == nil {
		t.Error("Run accepted shard 3/2")
	}
}

// tickRecorder records the instants Tick is called with.
type tickRecorder struct {
	mu  sync.Mutex
	ats []time.Time
}

func (r *tickRecorder) tick(at time.Time) {
	r.mu.Lock()
	r.ats = append(r.ats, at)
	r.mu.Unlock()
}

// TestFutureStart checks a Start in the future (--start-at): nothing is
// sent before it, the first message is intended at it, RunInfo.Began is
// not before it, and ticks fall on Start + k·Interval exactly. Also that a
// Start passed by more than MaxStartDelay is refused with ErrStartPassed,
// and that ctx ending during the wait interrupts the run with nothing
// sent.
func TestFutureStart(t *testing.T) {
	t.Parallel()
	s := codeScenario()
	s.Duration = Duration(300 * time.Millisecond)
	start := time.Now().Add(200 * time.Millisecond).Round(0) // wall clock only, as parsed from --start-at
	snd := newCaptureSender(5000)
	ticks := &tickRecorder{}
	info, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: nopObserver{}, Start: start,
		Interval: 100 * time.Millisecond, Tick: ticks.tick, MaxStartDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if info.Sent != 3000 || info.Interrupted || info.Began.Before(start) || !info.Start.Equal(start) {
		t.Fatalf("info %+v; want 3000 sent, began at or after %v", info, start)
	}
	first := snd.intended[0]
	for k := range snd.count() {
		if snd.sent[k] < start.UnixNano() {
			t.Fatalf("record %d sent %v before the start", k, time.Duration(start.UnixNano()-snd.sent[k]))
		}
		first = min(first, snd.intended[k])
	}
	if first != start.UnixNano() {
		t.Errorf("first message intended at %d, want the start %d", first, start.UnixNano())
	}
	ticks.mu.Lock()
	if len(ticks.ats) < 2 {
		t.Errorf("%d ticks in a 300 ms run at 100 ms, want at least 2", len(ticks.ats))
	}
	for k, at := range ticks.ats {
		if want := start.Add(time.Duration(k+1) * 100 * time.Millisecond); !at.Equal(want) {
			t.Errorf("tick %d at %v, want %v", k, at, want)
		}
	}
	ticks.mu.Unlock()

	_, err = Run(context.Background(), s, RunOptions{Sender: nopSender{}, Recorder: nopObserver{},
		Start: time.Now().Add(-time.Minute), MaxStartDelay: time.Second})
	if !errors.Is(err, ErrStartPassed) {
		t.Errorf("a start a minute ago with MaxStartDelay 1s: err %v, want ErrStartPassed", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	info, err = Run(ctx, s, RunOptions{Sender: nopSender{}, Recorder: nopObserver{}, Start: time.Now().Add(time.Hour)})
	if err != nil || !info.Interrupted || info.Sent != 0 {
		t.Errorf("ctx ended before a start in an hour: info %+v err %v, want interrupted with 0 sent", info, err)
	}
}
