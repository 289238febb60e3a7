package sim_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka/wire"
	"github.com/prodbench/prodbench/producer/sim"
	"github.com/prodbench/prodbench/producer/transporttest"
)

// clock is a virtual clock: Now returns what the test set, and Sleep
// records the wait (the request's latency) and returns at once.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return nil
}

// last returns the latest recorded wait.
func (c *clock) last() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waits[len(c.waits)-1]
}

// virtual returns opts running on a new virtual clock.
func virtual(opts sim.Options) (sim.Options, *clock) {
	c := newClock()
	opts.Now, opts.Sleep = c.Now, c.Sleep
	return opts, c
}

func newSim(t testing.TB, opts sim.Options) *sim.Transport {
	t.Helper()
	return transporttest.Start(t, sim.New, opts)
}

// zeros backs the payloads of test batches.
var zeros = make([]byte, 2<<20)

// batch returns a batch of n records whose wire size is wire bytes
// (header included; the simulator never decodes payloads, so they share
// one zero buffer).
func batch(topic string, p int32, n int32, wireSize int) *producer.Batch {
	return &producer.Batch{
		Topic: topic, Partition: p, Records: n,
		Payload:    zeros[:wireSize-wire.BatchHeaderSize],
		ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
	}
}

// produce sends one batch and fails the test on a request error.
func produce(t testing.TB, tr *sim.Transport, broker int32, b *producer.Batch) *producer.Batch {
	t.Helper()
	if err := tr.Produce(context.Background(), broker, producer.AcksAll, time.Second, []*producer.Batch{b}); err != nil {
		t.Fatal(err)
	}
	return b
}

func code(err error) int16 {
	var be *producer.BrokerError
	if errors.As(err, &be) {
		return be.Code
	}
	return 0
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol*math.Abs(want) }

func TestNewValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts sim.Options
		want string // substring of the error
	}{
		{sim.Options{ErrorRates: map[string]float64{"NOT_A_KAFKA_ERROR": 0.1}}, `"NOT_A_KAFKA_ERROR"`},         // unknown error names are named
		{sim.Options{ErrorRates: map[string]float64{"REQUEST_TIMED_OUT": 1.5}}, "REQUEST_TIMED_OUT"},           // probability above 1
		{sim.Options{ErrorRates: map[string]float64{"REQUEST_TIMED_OUT": 0.6, "CORRUPT_MESSAGE": 0.6}}, "sum"}, // probabilities above 1 in total
		{sim.Options{Brokers: -1}, "Brokers"}, // negative broker count
		{sim.Options{LatencyMedian: 10 * time.Millisecond, LatencyP99: 5 * time.Millisecond}, "below"}, // p99 under the median
		{sim.Options{LatencyP99: 5 * time.Millisecond}, "without LatencyMedian"},                       // p99 alone
		{sim.Options{LatencyMedian: -time.Millisecond}, "negative"},                                    // negative latency
		{sim.Options{Bandwidth: -1}, "Bandwidth"},                                                      // negative bandwidth
		{sim.Options{MaxRequestsPerSec: math.NaN()}, "MaxRequestsPerSec"},                              // NaN rate
		{sim.Options{Stalls: []sim.Stall{{At: -time.Second, For: time.Second}}}, "Stalls[0]"},          // negative stall
		{sim.Options{Topics: map[string]int32{"t": 0}}, `"t"`},                                         // a topic needs a partition
		{sim.Options{Topics: map[string]int32{"": 1}}, "empty topic"},                                  // unnamed topic
	} {
		tr, err := sim.New(tc.opts)
		if err == nil {
			tr.Close()
			t.Errorf("New(%+v) succeeded, want an error containing %s", tc.opts, tc.want)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want it to contain %s", tc.opts, err, tc.want)
		}
	}
	if _, err := sim.New(sim.Options{ErrorRates: map[string]float64{"not_leader_or_follower": 0.5, "REQUEST_TIMED_OUT": 0.5}}); err != nil {
		t.Errorf("valid error rates (names case-insensitive, summing to 1): %v", err)
	}
}

func TestTopicsAndMetadata(t *testing.T) {
	t.Parallel()
	tr := newSim(t, sim.Options{Brokers: 3, Topics: map[string]int32{"a": 7}})
	ctx := context.Background()
	if n, err := tr.Partitions(ctx, "a"); err != nil || n != 7 {
		t.Errorf("Partitions(a) = %d, %v", n, err)
	}
	for p := int32(0); p < 7; p++ {
		if l, err := tr.Leader(ctx, "a", p); err != nil || l != p%3 {
			t.Errorf("Leader(a, %d) = %d, %v; want %d", p, l, err, p%3)
		}
	}
	if _, err := tr.Leader(ctx, "a", 7); err == nil {
		t.Error("Leader of partition 7 of 7 succeeded")
	}
	if _, err := tr.Partitions(ctx, "b"); !errors.Is(err, sim.ErrUnknownTopic) {
		t.Errorf("Partitions(b) = %v, want ErrUnknownTopic", err)
	}
	if err := tr.CreateTopic(ctx, "b", 4); err != nil {
		t.Fatal(err)
	}
	if err := tr.CreateTopic(ctx, "a", 2); err != nil {
		t.Errorf("CreateTopic of an existing topic: %v", err)
	}
	if n, _ := tr.Partitions(ctx, "a"); n != 7 {
		t.Errorf("existing topic now has %d partitions, want 7", n)
	}
	if n, err := tr.Partitions(ctx, "b"); err != nil || n != 4 {
		t.Errorf("created topic: %d, %v", n, err)
	}
	if err := tr.CreateTopic(ctx, "c", 0); err == nil {
		t.Error("CreateTopic with 0 partitions succeeded")
	}
	if err := tr.Refresh(ctx, "a"); err != nil {
		t.Errorf("Refresh: %v", err)
	}
	for _, c := range producer.Codecs {
		if !supports(tr, c) {
			t.Errorf("SupportsCodec(%v) = false", c)
		}
	}
	if supports(tr, 7) {
		t.Error("SupportsCodec(7) = true")
	}
	r := &producer.Record{Key: []byte("k"), Value: []byte("v"), Headers: []producer.Header{{Key: "h", Value: nil}}}
	if !bytes.Equal(tr.AppendRecord(nil, 3, 4, r), wire.AppendRecord(nil, 3, 4, r)) || tr.BatchOverhead() != 61 {
		t.Error("record format differs from Kafka's")
	}
	tr.Close()
	if _, err := tr.Partitions(ctx, "a"); !errors.Is(err, sim.ErrClosed) {
		t.Errorf("Partitions after Close: %v", err)
	}
	if err := tr.Produce(ctx, 0, producer.AcksAll, 0, []*producer.Batch{batch("a", 0, 1, 100)}); !errors.Is(err, sim.ErrClosed) {
		t.Errorf("Produce after Close: %v", err)
	}
}

func TestProduceOffsetsAndRequestErrors(t *testing.T) {
	t.Parallel()
	opts, clk := virtual(sim.Options{Brokers: 2, Topics: map[string]int32{"t": 4}, LatencyMedian: time.Millisecond})
	tr := newSim(t, opts)
	ctx := context.Background()
	b0, b2 := batch("t", 0, 3, 100), batch("t", 2, 5, 100)
	if err := tr.Produce(ctx, 0, producer.AcksAll, 0, []*producer.Batch{b0, b2}); err != nil {
		t.Fatal(err)
	}
	if b0.Err != nil || b0.FirstPosition() != 0 || b2.Err != nil || b2.FirstPosition() != 0 || b0.WireBytes != 100 || b0.LogAppendTime != -1 {
		t.Errorf("first batches: %+v / %+v", b0, b2)
	}
	if b := produce(t, tr, 0, batch("t", 0, 2, 100)); b.Err != nil || b.FirstPosition() != 3 {
		t.Errorf("second batch on t/0: err %v, base %d; want 3", b.Err, b.FirstPosition())
	}
	// Partition 1 is led by broker 1.
	if b := produce(t, tr, 0, batch("t", 1, 1, 100)); code(b.Err) != 6 {
		t.Errorf("batch to a follower: %v, want NOT_LEADER_OR_FOLLOWER", b.Err)
	}
	// acks none: no wait, no offsets, but the log advances.
	n := len(clk.waits)
	bn := batch("t", 0, 4, 100)
	if err := tr.Produce(ctx, 0, producer.AcksNone, 0, []*producer.Batch{bn}); err != nil || bn.FirstPosition() != -1 || bn.Err != nil {
		t.Errorf("acks none: %v, base %d, err %v", err, bn.FirstPosition(), bn.Err)
	}
	if len(clk.waits) != n {
		t.Error("acks none waited for the answer")
	}
	if hw, _ := tr.HighWatermark("t", 0); hw != 9 {
		t.Errorf("t/0 high watermark %d, want 9", hw)
	}
	for _, tc := range []struct {
		name    string
		broker  int32
		batches []*producer.Batch
	}{
		{"unknown broker", 2, []*producer.Batch{batch("t", 0, 1, 100)}},                             // brokers are 0 and 1
		{"unknown topic", 0, []*producer.Batch{batch("nope", 0, 1, 100)}},                           // not in Options.Topics
		{"partition out of range", 0, []*producer.Batch{batch("t", 4, 1, 100)}},                     // t has 4 partitions
		{"nil batch", 0, []*producer.Batch{nil}},                                                    // a caller bug
		{"duplicate partition", 0, []*producer.Batch{batch("t", 0, 1, 100), batch("t", 0, 1, 100)}}, // one batch per partition per request
	} {
		if err := tr.Produce(ctx, tc.broker, producer.AcksAll, 0, tc.batches); err == nil {
			t.Errorf("%s: Produce succeeded", tc.name)
		}
	}
	if err := tr.Produce(ctx, 0, producer.Acks(3), 0, []*producer.Batch{batch("t", 0, 1, 100)}); err == nil {
		t.Error("invalid acks accepted")
	}
	st := tr.Stats()
	if st.Requests != 4 || st.Batches != 5 || st.Records != 15 || st.Bytes != 500 || st.AppendedRecords != 14 || st.Errors != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestLatencyDistribution(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		median, p99       time.Duration
		tolMedian, tolP99 float64
	}{
		{"lognormal", 5 * time.Millisecond, 50 * time.Millisecond, 0.03, 0.08}, // long tail
		{"narrow", 20 * time.Millisecond, 25 * time.Millisecond, 0.01, 0.02},   // small σ
		{"fixed", 7 * time.Millisecond, 7 * time.Millisecond, 0, 0},            // P99 == Median
		{"fixed-p99-zero", 3 * time.Millisecond, 0, 0, 0},                      // P99 0 means fixed
		{"none", 0, 0, 0, 0}, // no latency at all
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts, clk := virtual(sim.Options{Topics: map[string]int32{"t": 1}, LatencyMedian: tc.median, LatencyP99: tc.p99, Seed: 42})
			tr := newSim(t, opts)
			const n = 20000
			for range n {
				produce(t, tr, 0, batch("t", 0, 1, 100))
				clk.Advance(time.Hour) // no queueing
			}
			want99 := tc.p99
			if want99 == 0 {
				want99 = tc.median
			}
			m, p99 := quantile(clk.waits, 0.5), quantile(clk.waits, 0.99)
			if !within(float64(m), float64(tc.median), tc.tolMedian) {
				t.Errorf("median %v, want %v ±%.0f%%", m, tc.median, 100*tc.tolMedian)
			}
			if !within(float64(p99), float64(want99), tc.tolP99) {
				t.Errorf("p99 %v, want %v ±%.0f%%", p99, want99, 100*tc.tolP99)
			}
		})
	}
}

// serve offers n requests of wire bytes each, one every gap of virtual
// time, and returns each one's latency and the throughput in bytes/s from
// the first arrival to the last completion.
func serve(t *testing.T, opts sim.Options, n int, wire int, gap time.Duration) ([]time.Duration, float64) {
	t.Helper()
	opts.Topics = map[string]int32{"t": 1}
	opts, clk := virtual(opts)
	tr := newSim(t, opts)
	start := clk.Now()
	var lat []time.Duration
	var end time.Time
	for i := range n {
		clk.Set(start.Add(time.Duration(i) * gap))
		b := produce(t, tr, 0, batch("t", 0, 10, wire))
		if b.Err != nil {
			t.Fatal(b.Err)
		}
		lat = append(lat, clk.last())
		end = clk.Now().Add(clk.last())
	}
	return lat, float64(n*wire) / end.Sub(start).Seconds()
}

func TestBandwidth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		bw      int64
		wire    int
		latency time.Duration
	}{
		{"1MB/s", 1_000_000, 10_000, 0},                // bytes alone bound the service
		{"100MB/s-1MiB", 100_000_000, 1 << 20, 0},      // large batches
		{"with-latency", 10_000_000, 1_000_000, 500e3}, // latency adds 0.5% to each request
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			service := time.Duration(float64(tc.wire)/float64(tc.bw)*1e9) + tc.latency
			// Offered at twice the capacity.
			_, tput := serve(t, sim.Options{Bandwidth: tc.bw, LatencyMedian: tc.latency}, 2000, tc.wire, service/2)
			if !within(tput, float64(tc.bw), 0.05) {
				t.Errorf("throughput %.0f bytes/s under overload, want %d ±5%%", tput, tc.bw)
			}
		})
	}
}

func TestMaxRequestsPerSec(t *testing.T) {
	t.Parallel()
	opts, clk := virtual(sim.Options{Topics: map[string]int32{"t": 1}, MaxRequestsPerSec: 200, LatencyMedian: time.Millisecond})
	tr := newSim(t, opts)
	// 1000 requests arrive at once: starts are spaced 5ms apart, each
	// then takes 1ms.
	for range 1000 {
		produce(t, tr, 0, batch("t", 0, 1, 100))
	}
	for i, w := range clk.waits {
		if want := time.Duration(i)*5*time.Millisecond + time.Millisecond; w != want {
			t.Fatalf("request %d completes after %v, want %v", i, w, want)
		}
	}
	if rate := 1000 / clk.last().Seconds(); !within(rate, 200, 0.01) {
		t.Errorf("served %.1f requests/s, want 200", rate)
	}
}

func TestQueueing(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ median, p99 time.Duration }{
		"fixed":     {10 * time.Millisecond, 10 * time.Millisecond}, // deterministic service
		"lognormal": {10 * time.Millisecond, 30 * time.Millisecond}, // random service
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sigma := math.Log(float64(tc.p99)/float64(tc.median)) / 2.3263478740408408
			mean := float64(tc.median) * math.Exp(sigma*sigma/2)
			gap := time.Duration(mean / 2) // offered load: twice the capacity
			const n = 5000
			lat, _ := serve(t, sim.Options{LatencyMedian: tc.median, LatencyP99: tc.p99, Seed: 7}, n, 1000, gap)
			// Least-squares fit latency = a + b·i: past saturation the
			// queue grows by mean − gap per request.
			var sx, sy, sxx, sxy, syy float64
			for i, l := range lat {
				x, y := float64(i), float64(l)
				sx, sy, sxx, sxy, syy = sx+x, sy+y, sxx+x*x, sxy+x*y, syy+y*y
			}
			k := float64(n)
			slope := (k*sxy - sx*sy) / (k*sxx - sx*sx)
			r := (k*sxy - sx*sy) / math.Sqrt((k*sxx-sx*sx)*(k*syy-sy*sy))
			if want := mean - float64(gap); !within(slope, want, 0.05) {
				t.Errorf("latency grows %.3fms per request, want %.3fms", slope/1e6, want/1e6)
			}
			if r*r < 0.99 {
				t.Errorf("latency growth not linear: r² = %.4f", r*r)
			}
			if last := lat[n-1]; last < time.Duration(n/2)*gap {
				t.Errorf("last latency %v: queue did not build", last)
			}
		})
	}
	// Under capacity nothing queues: every latency is the service time.
	lat, _ := serve(t, sim.Options{LatencyMedian: 10 * time.Millisecond}, 100, 1000, 20*time.Millisecond)
	for i, l := range lat {
		if l != 10*time.Millisecond {
			t.Fatalf("request %d under capacity: latency %v, want 10ms", i, l)
		}
	}
}

func TestErrorInjection(t *testing.T) {
	t.Parallel()
	rates := map[string]float64{"NOT_LEADER_OR_FOLLOWER": 0.10, "REQUEST_TIMED_OUT": 0.05, "CORRUPT_MESSAGE": 0.01}
	codes := map[int16]string{6: "NOT_LEADER_OR_FOLLOWER", 7: "REQUEST_TIMED_OUT", 2: "CORRUPT_MESSAGE"}
	opts, _ := virtual(sim.Options{Topics: map[string]int32{"t": 4}, ErrorRates: rates, Seed: 3})
	tr := newSim(t, opts)
	const requests = 5000
	counts := map[int16]int{}
	var appended [4]int64
	for range requests {
		bs := []*producer.Batch{batch("t", 0, 2, 100), batch("t", 1, 2, 100), batch("t", 2, 2, 100), batch("t", 3, 2, 100)}
		if err := tr.Produce(context.Background(), 0, producer.AcksAll, 0, bs); err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			c := code(b.Err)
			counts[c]++
			if c == 0 || c == 7 { // timed out after the append
				appended[b.Partition] += 2
			}
			if c == 0 && b.FirstPosition() < 0 || c != 0 && b.FirstPosition() != -1 {
				t.Fatalf("batch with error %d has base offset %d", c, b.FirstPosition())
			}
		}
	}
	const n = 4 * requests
	injected := 0
	for c, name := range codes {
		p := rates[name]
		sd := math.Sqrt(n * p * (1 - p))
		if got := float64(counts[c]); math.Abs(got-n*p) > 4.5*sd {
			t.Errorf("%s: %d of %d batches, want %.0f ± %.0f", name, counts[c], n, n*p, 4.5*sd)
		}
		injected += counts[c]
	}
	if counts[0]+injected != n {
		t.Errorf("unexpected error codes: %v", counts)
	}
	for p, want := range appended {
		if hw, _ := tr.HighWatermark("t", int32(p)); hw != want {
			t.Errorf("t/%d: high watermark %d, want %d (successes and timed-out appends)", p, hw, want)
		}
	}
	if st := tr.Stats(); st.InjectedErrors != int64(injected) || st.Errors != int64(injected) {
		t.Errorf("stats count %d injected, %d errors; want %d", st.InjectedErrors, st.Errors, injected)
	}
}

func TestStalls(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	stalls := []sim.Stall{{At: 1000 * ms, For: 2000 * ms}, {At: 5000 * ms, For: 100 * ms}}
	for _, tc := range []struct {
		name    string
		arrival time.Duration // after New
		want    time.Duration // latency
	}{
		{"before", 500 * ms, 10 * ms},                   // served before the stall
		{"inside", 1500 * ms, 1500*ms + 10*ms},          // waits for the stall's end
		{"at-start", 1000 * ms, 2000*ms + 10*ms},        // the stall begins as it arrives
		{"spanning", 995 * ms, 10*ms + 2000*ms},         // service suspended by the stall
		{"after", 3000 * ms, 10 * ms},                   // served after the stall
		{"second-stall", 5050 * ms, 50*ms + 10*ms},      // the next stall
		{"end-boundary", 3000*ms - ms, ms + 10*ms},      // 1ms before the end
		{"between", 4000 * ms, 10 * ms},                 // between stalls
		{"just-before", 5000*ms - 5*ms, 10*ms + 100*ms}, // spans the second stall
	} {
		opts, clk := virtual(sim.Options{Topics: map[string]int32{"t": 1}, LatencyMedian: 10 * ms, Stalls: stalls})
		tr := newSim(t, opts)
		clk.Advance(tc.arrival)
		produce(t, tr, 0, batch("t", 0, 1, 100))
		if got := clk.last(); got != tc.want {
			t.Errorf("%s: latency %v, want %v", tc.name, got, tc.want)
		}
	}
	// Start moves the stalls' origin.
	opts, clk := virtual(sim.Options{Topics: map[string]int32{"t": 1}, LatencyMedian: 10 * ms, Stalls: stalls})
	tr := newSim(t, opts)
	clk.Advance(time.Hour)
	tr.Start()
	clk.Advance(1500 * ms)
	if produce(t, tr, 0, batch("t", 0, 1, 100)); clk.last() != 1510*ms {
		t.Errorf("after Start: latency %v, want 1.51s", clk.last())
	}
}

func TestStallRealTime(t *testing.T) {
	t.Parallel()
	created := time.Now() // the simulator's clock starts after this
	tr := newSim(t, sim.Options{Topics: map[string]int32{"t": 1}, Stalls: []sim.Stall{{At: 0, For: 400 * time.Millisecond}}})
	// A caller that gives up gets an error; the broker still appends.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	b := batch("t", 0, 1, 100)
	if err := tr.Produce(ctx, 0, producer.AcksAll, 0, []*producer.Batch{b}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("produce into a stall with a 50ms deadline: %v", err)
	}
	if hw, _ := tr.HighWatermark("t", 0); hw != 1 {
		t.Errorf("high watermark %d after the timed-out request, want 1", hw)
	}
	// A patient caller is answered when the stall ends: not before 400
	// ms after the simulator started (a lower bound, which a slow
	// machine cannot break).
	if b := produce(t, tr, 0, batch("t", 0, 1, 100)); b.Err != nil || b.FirstPosition() != 1 {
		t.Errorf("after the stall: %v, base %d", b.Err, b.FirstPosition())
	}
	if el := time.Since(created); el < 400*time.Millisecond {
		t.Errorf("answered %v after the simulator started, inside the 400ms stall", el)
	}
	// Close wakes a waiting request.
	tr2 := newSim(t, sim.Options{Topics: map[string]int32{"t": 1}, LatencyMedian: time.Hour})
	errc := make(chan error, 1)
	go func() {
		errc <- tr2.Produce(context.Background(), 0, producer.AcksAll, 0, []*producer.Batch{batch("t", 0, 1, 100)})
	}()
	time.Sleep(20 * time.Millisecond)
	tr2.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, sim.ErrClosed) {
			t.Errorf("request waiting at Close: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not wake the waiting request")
	}
}

// TestBandwidthRealTime checks the real clock: concurrent callers can
// never get more than the configured bandwidth, and under overload they
// get a good part of it even on a busy machine.
func TestBandwidthRealTime(t *testing.T) {
	t.Parallel()
	const bw, wire, callers = 4_000_000, 40_000, 8 // 10ms per request
	tr := newSim(t, sim.Options{Topics: map[string]int32{"t": callers}, Bandwidth: bw})
	start := time.Now()
	var wg sync.WaitGroup
	for p := range callers {
		wg.Go(func() {
			for time.Since(start) < 500*time.Millisecond {
				produce(t, tr, 0, batch("t", int32(p), 1, wire))
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	tput := float64(tr.Stats().Bytes) / el.Seconds()
	if tput > bw*1.01 || tput < bw*0.5 {
		t.Errorf("real-time throughput %.0f bytes/s over %v, want at most %d and near it", tput, el, bw)
	}
}

func TestIdempotence(t *testing.T) {
	t.Parallel()
	opts, _ := virtual(sim.Options{Topics: map[string]int32{"t": 2}})
	tr := newSim(t, opts)
	ctx := context.Background()
	id, epoch, err := tr.InitProducerID(ctx, "", 0)
	if err != nil || epoch != 0 {
		t.Fatal(id, epoch, err)
	}
	id2, _, _ := tr.InitProducerID(ctx, "", 0)
	if id2 == id {
		t.Error("two idempotent producers share an ID")
	}
	send := func(p int32, ep int16, seq, n int32) *producer.Batch {
		b := batch("t", p, n, 100)
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = id, ep, seq
		return produce(t, tr, 0, b)
	}
	for i, tc := range []struct {
		part      int32
		epoch     int16
		seq, n    int32
		wantCode  int16
		wantStart int64 // base offset when accepted
	}{
		{0, 0, 0, 3, 0, 0},  // first batch
		{0, 0, 3, 2, 0, 3},  // next in sequence
		{0, 0, 3, 2, 0, -1}, // resend of the last batch: DUPLICATE_SEQUENCE_NUMBER, a success with no positions
		{0, 0, 0, 3, 0, -1}, // resend of an older batch in the window: the same
		{0, 0, 9, 1, 45, 0}, // a gap: OUT_OF_ORDER_SEQUENCE_NUMBER
		{0, 0, 4, 2, 45, 0}, // overlapping, not a known batch
		{0, 0, 5, 1, 0, 5},  // the expected sequence still works
		{1, 0, 7, 1, 45, 0}, // a new partition must start at 0
		{1, 0, 0, 1, 0, 0},  // and does
		{0, 1, 6, 1, 45, 0}, // a new epoch must restart at 0
		{0, 1, 0, 2, 0, 6},  // and does
		{0, 0, 6, 1, 47, 0}, // the old epoch is stale: INVALID_PRODUCER_EPOCH
	} {
		b := send(tc.part, tc.epoch, tc.seq, tc.n)
		if code(b.Err) != tc.wantCode {
			t.Errorf("row %d: error %v, want code %d", i, b.Err, tc.wantCode)
		} else if tc.wantCode == 0 && b.FirstPosition() != tc.wantStart {
			t.Errorf("row %d: base offset %d, want %d", i, b.FirstPosition(), tc.wantStart)
		}
	}
	if hw, _ := tr.HighWatermark("t", 0); hw != 8 {
		t.Errorf("t/0 holds %d records, want 8 (no duplicates)", hw)
	}
}

func TestTransactions(t *testing.T) {
	t.Parallel()
	opts, _ := virtual(sim.Options{Topics: map[string]int32{"t": 2}})
	tr := newSim(t, opts)
	ctx := context.Background()
	id, epoch, err := tr.InitProducerID(ctx, "tx", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	seq := int32(0)
	send := func(ep int16, n int32) *producer.Batch {
		b := batch("t", 0, n, 100)
		b.ProducerID, b.ProducerEpoch, b.BaseSequence = id, ep, seq
		b = produce(t, tr, 0, b)
		if b.Err == nil {
			seq += n
		}
		return b
	}
	if b := send(epoch, 1); code(b.Err) != 48 {
		t.Errorf("produce outside a transaction: %v, want INVALID_TXN_STATE", b.Err)
	}
	add := func(ep int16) error { return tr.AddPartitionsToTxn(ctx, "tx", id, ep, map[string][]int32{"t": {0}}) }
	if err := add(epoch); err != nil {
		t.Fatal(err)
	}
	if b := send(epoch, 3); b.Err != nil {
		t.Fatal(b.Err)
	}
	if err := tr.EndTxn(ctx, "tx", id, epoch, true); err != nil {
		t.Fatal(err)
	}
	if b := send(epoch, 1); code(b.Err) != 48 {
		t.Errorf("produce after commit: %v, want INVALID_TXN_STATE", b.Err)
	}
	if err := add(epoch); err != nil {
		t.Fatal(err)
	}
	send(epoch, 2)
	if err := tr.EndTxn(ctx, "tx", id, epoch, false); err != nil {
		t.Fatal(err)
	}
	// Re-initializing bumps the epoch and aborts the open transaction.
	add(epoch)
	send(epoch, 4)
	id2, epoch2, err := tr.InitProducerID(ctx, "tx", time.Minute)
	if err != nil || id2 != id || epoch2 != epoch+1 {
		t.Fatalf("re-init: %d, %d, %v; want %d, %d", id2, epoch2, err, id, epoch+1)
	}
	if err := tr.EndTxn(ctx, "tx", id, epoch, true); code(err) != 90 {
		t.Errorf("EndTxn with the fenced epoch: %v, want PRODUCER_FENCED", err)
	}
	if err := tr.AddPartitionsToTxn(ctx, "tx", id+1, epoch2, map[string][]int32{"t": {0}}); code(err) != 49 {
		t.Errorf("AddPartitionsToTxn with a wrong ID: %v, want INVALID_PRODUCER_ID_MAPPING", err)
	}
	if err := tr.AddPartitionsToTxn(ctx, "tx", id, epoch2, map[string][]int32{"nope": {0}}); !errors.Is(err, sim.ErrUnknownTopic) {
		t.Errorf("AddPartitionsToTxn of an unknown topic: %v", err)
	}
	st := tr.Stats()
	if st.Commits != 1 || st.CommittedRecords != 3 || st.Aborts != 2 || st.AbortedRecords != 6 {
		t.Errorf("transaction stats %+v, want 1 commit of 3 records, 2 aborts of 6", st)
	}
}

// supports reports whether tr's Capabilities list codec c.
func supports(tr *sim.Transport, c producer.Codec) bool {
	_, ok := tr.Capabilities().Codec(c)
	return ok
}
