package workload

import (
	"context"
	"hash/fnv"
	"math"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
)

// captureSender acknowledges every record at once (a no-op transport) and
// records, in arrival order, each message's intended and actual send time
// (Unix ns), topic and a hash of its content.
type captureSender struct {
	n        atomic.Int64
	intended []int64
	sent     []int64
	topic    []string
	content  []uint64
}

func newCaptureSender(n int) *captureSender {
	return &captureSender{intended: make([]int64, n), sent: make([]int64, n),
		topic: make([]string, n), content: make([]uint64, n)}
}

func (c *captureSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	m := r.Context.(*message)
	if k := c.n.Add(1) - 1; k < int64(len(c.intended)) {
		c.intended[k], c.sent[k], c.topic[k] = m.intended, m.sent, r.Topic
		c.content[k] = contentHash(r)
	}
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
}

// contentHash is a hash of r's key, value and headers.
func contentHash(r *producer.Record) uint64 {
	h := fnv.New64a()
	h.Write(r.Key)
	h.Write([]byte{0})
	h.Write(r.Value)
	for _, hd := range r.Headers {
		h.Write([]byte(hd.Key))
		h.Write(hd.Value)
	}
	return h.Sum64()
}

// count is the number of records received.
func (c *captureSender) count() int { return int(min(c.n.Load(), int64(len(c.intended)))) }

// nopSender acknowledges every record at once and does nothing else.
type nopSender struct{}

func (nopSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
}

// runScenario runs s through snd from now and returns the info and the
// run's time zero.
func runScenario(t testing.TB, ctx context.Context, s *Scenario, snd Sender) (RunInfo, time.Time) {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	rec := report.NewRecorder(time.Now(), s.Warmup.D(), time.Second)
	// Start zero: the run starts when Run has built its generators, so a
	// slow setup on a loaded machine does not eat into a short run.
	info, err := Run(ctx, s, RunOptions{Sender: snd, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	return info, info.Start
}

func codeScenario() *Scenario {
	return &Scenario{
		Name: "code", Duration: Duration(time.Second), Workers: 4,
		Topics:  []Topic{{Name: "t", Partitions: 6}},
		Rate:    Rate{Profile: ProfileConstant, MessagesPerSecond: 10000},
		Message: Message{Size: FixedSize(100)},
	}
}

// TestScheduleLagRateAccuracy plays 200,000 msg/s constant for 3 s
// (20,000 msg/s under the race detector) on a no-op transport and checks
// that
//   - the intended send times are the profile's: the k-th earliest is
//     exactly floor(k·1e9/rate) ns after the start;
//   - no message is sent before it is due;
//   - without the race detector, the generator keeps up: the messages
//     sent within the run's elapsed window are at least 97% of what the
//     schedule holds for that window (all 600,000 are sent, so the run
//     may overrun its 3 s by at most 3%, 90 ms). That is a speed bound,
//     so it is checked only in make test's serial race-free pass (the
//     name matches its TestScheduleLag pattern), not next to the other
//     packages' tests under -race.
//
// The schedule lag (actual − intended send) is logged.
func TestScheduleLagRateAccuracy(t *testing.T) {
	t.Parallel()
	rate := 200_000.0
	if raceEnabled {
		rate = 20_000
	}
	s := codeScenario()
	s.Duration = Duration(3 * time.Second)
	s.Rate.MessagesPerSecond = rate
	n := int(rate * 3)
	snd := newCaptureSender(n + 10)
	info, start := runScenario(t, context.Background(), s, snd)
	if info.Interrupted || info.ClosedLoop || info.Sent != int64(n) || info.Scheduled != int64(n) || snd.count() != n {
		t.Fatalf("info %+v, received %d; want %d sent and scheduled", info, snd.count(), n)
	}
	base := start.UnixNano()
	intended := slices.Clone(snd.intended[:n])
	slices.Sort(intended)
	sched, _ := NewSchedule(s.Rate, 0)
	for k, v := range intended {
		if want := int64(sched.Intended(int64(k))); v-base != want || want != int64(k)*int64(1e9/rate) {
			t.Fatalf("intended[%d] = %d ns after start, want %d", k, v-base, want)
		}
	}
	lags := make([]int64, n)
	for k := range n {
		lags[k] = snd.sent[k] - snd.intended[k]
		if lags[k] < 0 {
			t.Fatalf("a message was sent %v before it was due", time.Duration(-lags[k]))
		}
	}
	elapsed := info.End.Sub(start)
	expected := sched.Count(elapsed)
	// A generator that cannot keep up falls behind by the whole deficit;
	// one that keeps up ends late only by the last scheduling hiccup,
	// which reached 40 ms (98.7%) with a CPU-heavy process beside the
	// test on two cores.
	if got := float64(n) / float64(expected); got < 0.97 && !raceEnabled {
		t.Errorf("sent %d messages in %v, the schedule holds %d for it: %.2f%%, want >= 97%%", n, elapsed, expected, 100*got)
	}
	slices.Sort(lags)
	q := func(p float64) time.Duration { return time.Duration(lags[int(p*float64(n-1))]) }
	t.Logf("%.0f msg/s for 3 s: %d sent in %v (%.3f%% of the schedule's %d); lag p50 %v p99 %v max %v",
		rate, n, elapsed, 100*float64(n)/float64(expected), expected, q(0.5), q(0.99), q(1))
}

// TestIntendedTimesFollowProfiles runs short ramp, steps, sine and poisson
// schedules on a no-op transport and checks that the intended times the
// sender sees are the schedule's, message for message.
func TestIntendedTimesFollowProfiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rate Rate
	}{
		{"ramp", Rate{Profile: ProfileRamp, From: 1000, To: 20000, Over: secs(0.5)}},                                 // up, then hold
		{"steps", Rate{Profile: ProfileSteps, Steps: []Step{{5000, secs(0.2)}, {0, secs(0.1)}, {20000, secs(0.2)}}}}, // with a pause
		{"sine", Rate{Profile: ProfileSine, Mean: 10000, Amplitude: 10000, Period: secs(0.25)}},                      // touches 0
		{"poisson", Rate{Profile: ProfilePoisson, Mean: 10000}},                                                      // seeded arrivals
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := codeScenario()
			s.Seed = 5
			s.Rate = tc.rate
			sched, err := NewSchedule(s.Rate, s.Seed)
			if err != nil {
				t.Fatal(err)
			}
			n := int(sched.Count(s.Duration.D()))
			snd := newCaptureSender(n + 10)
			info, start := runScenario(t, context.Background(), s, snd)
			if info.Sent != int64(n) || info.Scheduled != int64(n) {
				t.Fatalf("sent %d scheduled %d, want %d", info.Sent, info.Scheduled, n)
			}
			got := slices.Clone(snd.intended[:n])
			slices.Sort(got)
			for k, v := range got {
				if want := start.UnixNano() + int64(sched.Intended(int64(k))); v != want {
					t.Fatalf("message %d intended at %d, want %d", k, v-start.UnixNano(), want-start.UnixNano())
				}
			}
		})
	}
}

// TestScheduleLag checks that waiting is precise: at 20,000 msg/s the
// median lag between intended and actual send is under 300 µs (700 µs
// under the race detector). Go timers alone wake up to 1 ms late in an
// idle Linux process (measured here: p50 between 140 and 520 µs,
// depending on the host's load); with the engine's ticker they fire within
// its 200 µs period (p50 ≈ 145 µs in every run).
func TestScheduleLag(t *testing.T) {
	if raceEnabled {
		// A precision test of the real build: under the race detector,
		// with other packages' tests on the same 2 cores, CI saw p50
		// 2.1 ms. make test runs it in its race-free, serial pass.
		t.Skip("timing precision is checked in make test's race-free pass")
	}
	s := codeScenario()
	s.Rate.MessagesPerSecond = 20000
	snd := newCaptureSender(20010)
	info, _ := runScenario(t, context.Background(), s, snd)
	n := int(info.Sent)
	lags := make([]int64, n)
	for k := range n {
		lags[k] = snd.sent[k] - snd.intended[k]
	}
	slices.Sort(lags)
	p50, p99 := time.Duration(lags[n/2]), time.Duration(lags[n*99/100])
	t.Logf("lag p50 %v p99 %v max %v", p50, p99, time.Duration(lags[n-1]))
	limit := 300 * time.Microsecond
	if p50 > limit {
		t.Errorf("lag p50 = %v, want < %v", p50, limit)
	}
}

// TestClosedLoop checks the max profile: every message is sent, its
// intended time is its actual send time, and the run says it was closed
// loop.
func TestClosedLoop(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		messages int64
		duration Duration
	}{
		"count":       {50_000, 0},                           // perf-test --num-records
		"duration":    {0, Duration(200 * time.Millisecond)}, // as many as fit
		"count first": {20_000, Duration(10 * time.Second)},  // the count ends it
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := codeScenario()
			s.Rate = Rate{Profile: ProfileMax}
			s.Messages, s.Duration = tc.messages, tc.duration
			snd := newCaptureSender(2_000_000)
			info, start := runScenario(t, context.Background(), s, snd)
			if !info.ClosedLoop || info.Interrupted || info.Sent == 0 || info.Sent != int64(snd.count()) {
				t.Fatalf("info %+v, received %d", info, snd.count())
			}
			if tc.messages > 0 && (info.Sent != tc.messages || info.Scheduled != tc.messages) {
				t.Fatalf("sent %d scheduled %d, want %d", info.Sent, info.Scheduled, tc.messages)
			}
			if tc.messages == 0 && (info.Scheduled != info.Sent || info.End.Sub(start) < tc.duration.D()) {
				t.Fatalf("info %+v: want Scheduled = Sent and a run of at least %v", info, tc.duration)
			}
			for k := range snd.count() {
				if snd.intended[k] != snd.sent[k] {
					t.Fatalf("message %d: intended %d != sent %d in a closed loop", k, snd.intended[k], snd.sent[k])
				}
			}
		})
	}
}

// TestTopicSelection checks weighted selection (counts per topic within 4
// standard deviations of the weights) and fanout (every message to every
// topic, with the same content and intended time).
func TestTopicSelection(t *testing.T) {
	t.Parallel()
	t.Run("weighted", func(t *testing.T) {
		t.Parallel()
		s := codeScenario()
		s.Rate = Rate{Profile: ProfileMax}
		s.Messages, s.Duration = 40_000, 0
		s.Topics = []Topic{{Name: "a", Partitions: 1, Weight: 3}, {Name: "b", Partitions: 1, Weight: 1}}
		snd := newCaptureSender(40_000)
		runScenario(t, context.Background(), s, snd)
		var a int
		for _, tp := range snd.topic[:snd.count()] {
			if tp == "a" {
				a++
			}
		}
		if sd := math.Sqrt(40_000 * 0.75 * 0.25); math.Abs(float64(a)-30_000) > 4*sd {
			t.Errorf("%d of 40000 messages to topic a (weight 3 of 4), want 30000 ± %.0f", a, 4*sd)
		}
	})
	t.Run("fanout", func(t *testing.T) {
		t.Parallel()
		s := codeScenario()
		s.Rate.MessagesPerSecond = 100_000
		s.Messages = 1000
		s.TopicSelection = TopicSelectionFanout
		s.Keys = Keys{Distribution: DistributionUniform, Count: 100}
		s.Topics = []Topic{{Name: "a", Partitions: 1}, {Name: "b", Partitions: 2}, {Name: "c", Partitions: 3}}
		snd := newCaptureSender(4000)
		info, _ := runScenario(t, context.Background(), s, snd)
		if info.Sent != 3000 || info.Scheduled != 3000 || snd.count() != 3000 {
			t.Fatalf("sent %d scheduled %d received %d, want 3000 (1000 messages x 3 topics)", info.Sent, info.Scheduled, snd.count())
		}
		byIntended := map[int64]map[string]uint64{}
		for k := range 3000 {
			m := byIntended[snd.intended[k]]
			if m == nil {
				m = map[string]uint64{}
				byIntended[snd.intended[k]] = m
			}
			m[snd.topic[k]] = snd.content[k]
		}
		if len(byIntended) != 1000 {
			t.Fatalf("%d distinct intended times, want 1000", len(byIntended))
		}
		for at, m := range byIntended {
			if len(m) != 3 || m["a"] != m["b"] || m["b"] != m["c"] {
				t.Fatalf("message due at %d: copies %v, want the same content on a, b and c", at, m)
			}
		}
	})
}

// TestRunDeterministic checks that two runs with the same seed send the
// same messages (content and topic, by intended time) and a third with
// another seed does not.
func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	mk := func(seed int64) map[int64][2]uint64 {
		s := codeScenario()
		s.Seed = seed
		s.Duration, s.Rate.MessagesPerSecond = Duration(200*time.Millisecond), 20000
		s.Message = Message{Size: SizeSpec{Distribution: SizeLognormal, Median: 200, P99: 2000},
			Payload: Payload{Kind: PayloadRandomRatio, Ratio: 0.3}}
		s.Keys = Keys{Distribution: DistributionZipf, Count: 1000, Exponent: 1}
		s.Headers = &Headers{Count: Range{0, 3}, ValueSize: SizeSpec{Distribution: SizeUniform, Min: 1, Max: 20}}
		s.Topics = []Topic{{Name: "a", Partitions: 1}, {Name: "b", Partitions: 1}}
		snd := newCaptureSender(5000)
		info, start := runScenario(t, context.Background(), s, snd)
		out := map[int64][2]uint64{}
		for k := range int(info.Sent) {
			h := fnv.New64a()
			h.Write([]byte(snd.topic[k]))
			out[snd.intended[k]-start.UnixNano()] = [2]uint64{snd.content[k], h.Sum64()}
		}
		return out
	}
	a, b, c := mk(1), mk(1), mk(2)
	if len(a) != 4000 {
		t.Fatalf("%d messages, want 4000", len(a))
	}
	same := 0
	for at, v := range a {
		if b[at] != v {
			t.Fatalf("same seed, message due at %d: %v and %v", at, v, b[at])
		}
		if c[at] == v {
			same++
		}
	}
	if same > 40 {
		t.Errorf("seeds 1 and 2 agree on %d of 4000 messages", same)
	}
}

// TestRunLengthLimits checks how runs end: at a message count before the
// duration (not interrupted), at the duration, or when ctx ends.
func TestRunLengthLimits(t *testing.T) {
	t.Parallel()
	// The count ends the run long before the hour: had the run gone on
	// to the duration, the one-minute guard would have interrupted it.
	s := codeScenario()
	s.Duration, s.Messages, s.Rate.MessagesPerSecond = Duration(time.Hour), 500, 100_000
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, _ := runScenario(t, ctx, s, nopSender{})
	if info.Sent != 500 || info.Scheduled != 500 || info.Interrupted {
		t.Errorf("messages 500 at 100k/s: info %+v", info)
	}
	s = codeScenario()
	s.Duration, s.Messages = 0, 300 // 10k/s: the last is due at 29.9 ms
	info, start := runScenario(t, context.Background(), s, nopSender{})
	if info.Sent != 300 || info.End.Sub(start) < 29*time.Millisecond {
		t.Errorf("messages only: info %+v after %v", info, info.End.Sub(start))
	}
}

// allocScenario uses every generator: lognormal sizes, json-free random
// ratio payloads, sequential keys, headers and fanout.
func allocScenario(messages int64) *Scenario {
	s := codeScenario()
	s.Rate = Rate{Profile: ProfileMax}
	s.Duration, s.Messages = 0, messages
	s.Message = Message{Size: SizeSpec{Distribution: SizeLognormal, Median: 100, P99: 1000}, Payload: Payload{Kind: PayloadRandomRatio, Ratio: 0.5}}
	s.Keys = Keys{Distribution: DistributionSequential, Format: "order-%d"}
	s.Headers = &Headers{Count: Range{1, 3}, ValueSize: FixedSize(8)}
	s.Topics = []Topic{{Name: "a", Partitions: 1}, {Name: "b", Partitions: 1}}
	s.TopicSelection = TopicSelectionFanout
	return s
}

// TestRunAllocsPerRecord runs 100,000 messages (200,000 records) through
// the engine on a no-op sender and checks the heap allocations per record
// are below 0.001 (the engine's fixed setup is a few dozen allocations;
// per message there must be none). Not parallel: it reads global
// allocation counters. The name matches make test's race-free pass,
// where it runs (under -race it is skipped).
func TestRunAllocsPerRecord(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	sent, per := runAllocsPerRecord(t, 0)
	if sent != 200_000 || per > 0.001 {
		t.Errorf("sent %d records with %.5f allocations each, want 200000 and < 0.001", sent, per)
	}
}

// checkNoAllocs checks that f(i), called for i = 0, 1, 2, ..., does not
// allocate; what names f in the error.
func checkNoAllocs(t *testing.T, what string, f func(i int64)) {
	t.Helper()
	i := int64(0)
	if a := testing.AllocsPerRun(1000, func() { f(i); i++ }); a != 0 {
		t.Errorf("%s allocates %v times per call, want 0", what, a)
	}
}

// runAllocsPerRecord runs allocScenario(100_000) through the engine on a
// no-op sender, after one warm-up run on the same generators, and returns
// the records sent and the heap allocations per record; verifyRun is
// RunOptions.VerifyRun (0: no stamps).
func runAllocsPerRecord(t *testing.T, verifyRun uint64) (sent int64, per float64) {
	t.Helper()
	s := allocScenario(100_000)
	g, err := NewGenerators(s)
	if err != nil {
		t.Fatal(err)
	}
	rec := report.NewRecorder(time.Now(), 0, time.Second)
	opts := RunOptions{Sender: nopSender{}, Recorder: rec, Generators: g, VerifyRun: verifyRun}
	if _, err := Run(context.Background(), allocScenario(1000), opts); err != nil { // warm the pools
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := Run(context.Background(), s, opts)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	per = float64(after.Mallocs-before.Mallocs) / float64(info.Sent)
	t.Logf("%d allocations for %d records: %.5f per record", after.Mallocs-before.Mallocs, info.Sent, per)
	return info.Sent, per
}

// BenchmarkGenerators measures what the scheduler and generators sustain
// alone, per message: intended time, topic, size, key, payload and
// headers, for the quickstart shape and a heavier mix. msg/s is the
// single-core rate.
func BenchmarkGenerators(b *testing.B) {
	for _, tc := range []struct {
		name string
		s    *Scenario
	}{
		{"quickstart", func() *Scenario {
			s := codeScenario()
			s.Rate.MessagesPerSecond = 20000
			s.Message = Message{Size: FixedSize(512)}
			s.Keys = Keys{Distribution: DistributionUniform, Count: 1000}
			return s
		}()},
		{"mixed", func() *Scenario {
			s := allocScenario(0)
			s.Duration = Duration(time.Hour)
			s.Rate = Rate{Profile: ProfilePoisson, Mean: 200000}
			s.Keys = Keys{Distribution: DistributionZipf, Count: 100000, Exponent: 1.1}
			s.TopicSelection = TopicSelectionWeighted
			return s
		}()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g, err := NewGenerators(tc.s)
			if err != nil {
				b.Fatal(err)
			}
			key := make([]byte, 0, 64)
			hdrs := make([]producer.Header, 0, g.Headers.MaxCount())
			var sink int
			b.ReportAllocs()
			b.ResetTimer()
			for i := range int64(b.N) {
				d := g.Schedule.Intended(i)
				tp := g.Topics.Topic(i)
				k := g.Keys.Key(i, key)
				v := g.Payloads.Payload(i)
				h := g.Headers.Headers(i, hdrs)
				sink += int(d) + tp + len(k) + len(v) + len(h)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
			_ = sink
		})
	}
}

// BenchmarkRun measures the whole engine, closed loop on a no-op sender
// (Recorder included): allocs/op is allocations per message.
func BenchmarkRun(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run("workers="+string(rune('0'+workers)), func(b *testing.B) {
			s := codeScenario()
			s.Workers = workers
			s.Rate = Rate{Profile: ProfileMax}
			s.Duration, s.Messages = 0, int64(b.N)
			s.Keys = Keys{Distribution: DistributionUniform, Count: 1000}
			s.Message = Message{Size: FixedSize(512)}
			rec := report.NewRecorder(time.Now(), 0, time.Second)
			g, err := NewGenerators(s)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			info, err := Run(context.Background(), s, RunOptions{Sender: nopSender{}, Recorder: rec, Generators: g})
			if err != nil || info.Sent != int64(b.N) {
				b.Fatalf("sent %d of %d: %v", info.Sent, b.N, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
		})
	}
}

// ackTimeSender acknowledges every record at once with Ack.AckTime set to
// the call's time plus shift (zero shift: AckTime left unset).
type ackTimeSender struct{ shift time.Duration }

func (s ackTimeSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	ack := producer.Ack{Record: r, Topic: r.Topic, Offset: -1}
	if s.shift != 0 {
		ack.AckTime = time.Now().Add(s.shift)
	}
	cb(ack, nil)
}

// serviceObserver keeps the smallest service time (ack − sent) it saw.
type serviceObserver struct {
	nopObserver
	min atomic.Int64
}

func (o *serviceObserver) Success(_, sentNs, ackNs int64, _ int) {
	for d := ackNs - sentNs; ; {
		cur := o.min.Load()
		if d >= cur || o.min.CompareAndSwap(cur, d) {
			return
		}
	}
}

// TestAckTimeIsTheAckInstant checks that a record's ack instant is the
// Sender's Ack.AckTime when it sets one (the native core reads the clock
// once per request) and the callback's own clock read when it does not.
func TestAckTimeIsTheAckInstant(t *testing.T) {
	t.Parallel()
	for _, shift := range []time.Duration{0, time.Hour} {
		s := &Scenario{Name: "acktime", Duration: Duration(200 * time.Millisecond), Workers: 2,
			Topics: []Topic{{Name: "t", Partitions: 1}}, Rate: Rate{MessagesPerSecond: 1000},
			Message: Message{Size: FixedSize(10)}}
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		obs := &serviceObserver{}
		obs.min.Store(math.MaxInt64)
		if _, err := Run(context.Background(), s, RunOptions{Sender: ackTimeSender{shift}, Recorder: obs}); err != nil {
			t.Fatal(err)
		}
		got := time.Duration(obs.min.Load())
		if shift > 0 && got < shift {
			t.Errorf("AckTime %v after the send: smallest service time %v, want at least %v", shift, got, shift)
		}
		if shift == 0 && got >= time.Minute {
			t.Errorf("no AckTime: smallest service time %v, want the callback's own clock read", got)
		}
	}
}

// The measurement side gives the engine one view per worker.
var _ WorkerObserver = (*report.Recorder)(nil)

// laneObserver is a WorkerObserver whose views count what they get.
type laneObserver struct {
	nopObserver
	lanes []*laneCount
}

// laneCount is one worker's view.
type laneCount struct{ sent, acked, failed atomic.Int64 }

func (c *laneCount) Sent(int64, int)                     { c.sent.Add(1) }
func (c *laneCount) Success(int64, int64, int64, int)    { c.acked.Add(1) }
func (c *laneCount) Failure(int64, int64, int64, string) { c.failed.Add(1) }

func (o *laneObserver) ForWorker(w int) interface {
	Sent(intendedNs int64, bytes int)
	Success(intendedNs, sentNs, ackNs int64, bytes int)
	Failure(intendedNs, sentNs, ackNs int64, kind string)
} {
	return o.lanes[w]
}

// asyncSender acknowledges every record from one goroutine of its own,
// as a producer's sender does, not from the worker that sent it.
type asyncSender struct{ acks chan func() }

func (a asyncSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	a.acks <- func() { cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil) }
}

// TestWorkerObserver checks that Run records each worker's messages
// through that worker's view of a WorkerObserver, and every ack — run on
// the sender's goroutine — on the view the message was sent on: per view,
// sent = acked, the views add up to the run, and the load is spread over
// more than one view.
func TestWorkerObserver(t *testing.T) {
	t.Parallel()
	const workers = 4
	s := codeScenario()
	s.Workers = workers
	s.Rate = Rate{MessagesPerSecond: 20_000}
	s.Duration = Duration(250 * time.Millisecond)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	obs := &laneObserver{}
	for range workers {
		obs.lanes = append(obs.lanes, &laneCount{})
	}
	snd := asyncSender{acks: make(chan func(), 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ack := range snd.acks {
			ack()
		}
	}()
	info, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: obs})
	close(snd.acks)
	<-done
	if err != nil || info.Sent == 0 {
		t.Fatalf("sent %d: %v", info.Sent, err)
	}
	var sum int64
	used := 0
	for w, l := range obs.lanes {
		sent, acked := l.sent.Load(), l.acked.Load()
		if acked != sent || l.failed.Load() != 0 {
			t.Errorf("worker %d's view: sent %d, acked %d, failed %d", w, sent, acked, l.failed.Load())
		}
		if sent > 0 {
			used++
		}
		sum += sent
	}
	if sum != info.Sent || used < 2 {
		t.Errorf("the views counted %d sent over %d views, the run %d", sum, used, info.Sent)
	}
}
