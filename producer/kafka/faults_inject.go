package kafka

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodbench/prodbench/producer/registry"
)

// FaultSpanGap is the gap between two firings of a fault that starts a new
// span in its registry.FaultEvent.
const FaultSpanGap = 500 * time.Millisecond

// MaxFaultSpans bounds the spans kept per fault; later firings extend the
// last span.
const MaxFaultSpans = 500

// errDropConnection is what the control function returns to make kfake
// close a connection.
var errDropConnection = errors.New("kafka: embedded broker: fault drop_connections")

// injector runs an embedded broker's scripted faults through kfake's
// request control hooks: kfake.Fault for kind error (so that
// REQUEST_TIMED_OUT is answered after the write, as a broker does), one
// Control function for stall, slow and drop_connections, and a goroutine
// moving leaders for leader_move.
type injector struct {
	c      *kfake.Cluster
	faults []Fault
	addrs  []string
	nodes  int32

	mu      sync.Mutex
	start   time.Time // the fault clock's start; zero until started
	started chan struct{}
	rng     *rand.Rand
	ev      []registry.FaultEvent
	lastOcc []int64 // per fault: the last instant window that fired
	lastReq []kmsg.Request
	lastHit []bool

	done chan struct{}
	wg   sync.WaitGroup
}

// newInjector installs faults on c, whose brokers listen on addrs (node
// IDs 0..nodes-1).
func newInjector(c *kfake.Cluster, faults []Fault, nodes int32, seed int64) *injector {
	inj := &injector{c: c, faults: faults, addrs: c.ListenAddrs(), nodes: nodes,
		started: make(chan struct{}), rng: rand.New(rand.NewPCG(uint64(seed), 0x6661756c7473)),
		ev: make([]registry.FaultEvent, len(faults)), lastOcc: make([]int64, len(faults)),
		lastReq: make([]kmsg.Request, len(faults)), lastHit: make([]bool, len(faults)), done: make(chan struct{})}
	control := false
	for i, f := range faults {
		inj.ev[i] = registry.FaultEvent{Fault: f.String(), Kind: f.Kind}
		inj.lastOcc[i] = -1
		switch f.Kind {
		case FaultError:
			ke, _ := KafkaErrorByName(f.Error)
			c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: f.Topic, Err: ke, Count: -1, When: inj.whenFn(i)})
		case FaultLeaderMove:
			inj.wg.Add(1)
			go inj.moveLeaders(i)
		default:
			control = true
		}
	}
	if control {
		c.Control(inj.control)
	}
	return inj
}

// Start starts the fault clock at t, unless a produce request started it
// already.
func (inj *injector) Start(t time.Time) {
	inj.mu.Lock()
	inj.startLocked(t)
	inj.mu.Unlock()
}

func (inj *injector) startLocked(t time.Time) {
	if inj.start.IsZero() {
		inj.start = t
		close(inj.started)
	}
}

// decideLocked reports whether fault i hits a request arriving at now, and
// records the firing; end is the end of the window it is in (0 for none).
// The first produce request starts the fault clock if nothing did.
func (inj *injector) decideLocked(i int, now time.Time, produce bool) (hit bool, end time.Duration) {
	if inj.start.IsZero() {
		if !produce {
			return false, 0
		}
		inj.startLocked(now)
	}
	f := &inj.faults[i]
	t := now.Sub(inj.start)
	in, occ, end := f.window(t)
	if !in {
		return false, 0
	}
	if f.windowed() && f.For == 0 {
		if occ <= inj.lastOcc[i] {
			return false, 0
		}
		inj.lastOcc[i] = occ
	}
	if f.Rate > 0 && inj.rng.Float64() >= float64(f.Rate) {
		return false, 0
	}
	inj.recordLocked(i, t)
	return true, end
}

// recordLocked counts one firing of fault i at t.
func (inj *injector) recordLocked(i int, t time.Duration) {
	ev := &inj.ev[i]
	ev.Count++
	if ev.Count == 1 {
		ev.First = t
	}
	ev.Last = t
	if n := len(ev.Spans); n > 0 && (t-ev.Spans[n-1].To < FaultSpanGap || n >= MaxFaultSpans) {
		ev.Spans[n-1].To = t
		return
	}
	ev.Spans = append(ev.Spans, registry.FaultSpan{From: t, To: t})
}

// whenFn is kind error's kfake.Fault.When: kfake calls it once per
// partition of a produce request, on its cluster goroutine, so the
// decision is made once per request.
func (inj *injector) whenFn(i int) func(kmsg.Request) bool {
	return func(r kmsg.Request) bool {
		inj.mu.Lock()
		defer inj.mu.Unlock()
		if r != inj.lastReq[i] {
			inj.lastReq[i] = r
			inj.lastHit[i], _ = inj.decideLocked(i, time.Now(), true)
		}
		return inj.lastHit[i]
	}
}

// control is the kfake control function for stall, slow and
// drop_connections: it runs on every request and, when nothing drops
// the connection, lets kfake answer the request normally after any hold.
func (inj *injector) control(r kmsg.Request) (kmsg.Response, error, bool) {
	inj.c.KeepControl()
	produce := r.Key() == int16(kmsg.Produce)
	now := time.Now()
	var hold time.Time // hold the request until then
	inj.mu.Lock()
	for i := range inj.faults {
		f := &inj.faults[i]
		if f.Kind != FaultStall && !produce || f.Kind == FaultError || f.Kind == FaultLeaderMove {
			continue
		}
		hit, end := inj.decideLocked(i, now, produce)
		if !hit {
			continue
		}
		switch f.Kind {
		case FaultDropConnections:
			inj.mu.Unlock()
			return nil, errDropConnection, true
		case FaultStall:
			until := now.Add(f.Delay.D())
			if f.For > 0 {
				until = inj.start.Add(end)
			}
			if until.After(hold) {
				hold = until
			}
		case FaultSlow:
			if until := now.Add(f.Delay.D()); until.After(hold) {
				hold = until
			}
		}
	}
	inj.mu.Unlock()
	if d := time.Until(hold); d > 0 {
		inj.c.SleepControl(func() {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-inj.done:
			}
		})
	}
	return nil, nil, false
}

// moveLeaders is kind leader_move: at each instant of fault i's window it
// moves every partition's leader (of the fault's topic, or of every
// topic) to the next broker.
func (inj *injector) moveLeaders(i int) {
	defer inj.wg.Done()
	select {
	case <-inj.started:
	case <-inj.done:
		return
	}
	f := inj.faults[i]
	cl, err := kgo.NewClient(kgo.SeedBrokers(inj.addrs...), kgo.ClientID("prodbench-faults"))
	if err != nil {
		return
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	at := f.first()
	for {
		t := time.NewTimer(time.Until(inj.start.Add(at)))
		select {
		case <-inj.done:
			t.Stop()
			return
		case <-t.C:
		}
		if inj.moveOnce(adm, f.Topic) {
			inj.mu.Lock()
			inj.recordLocked(i, time.Since(inj.start))
			inj.mu.Unlock()
		}
		if f.Every == 0 {
			return
		}
		at += f.Every.D()
		// Skip instants already past (a move that took longer than
		// every), so moves never pile up.
		for inj.start.Add(at).Before(time.Now()) {
			at += f.Every.D()
		}
	}
}

// moveOnce moves the leaders of topic (every topic when "") one broker
// on; it reports whether it moved any.
func (inj *injector) moveOnce(adm *kadm.Client, topic string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		select {
		case <-inj.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var topics []string
	if topic != "" {
		topics = []string{topic}
	}
	td, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return false
	}
	moved := false
	for _, t := range td.Sorted() {
		if t.Err != nil {
			continue
		}
		for _, p := range t.Partitions.Sorted() {
			next := (p.Leader + 1) % inj.nodes
			if p.Leader < 0 {
				next = 0
			}
			if inj.c.MoveTopicPartition(t.Topic, p.Partition, next) == nil {
				moved = true
			}
		}
	}
	return moved
}

// Events returns each fault's firings so far.
func (inj *injector) Events() []registry.FaultEvent {
	inj.mu.Lock()
	defer inj.mu.Unlock()
	out := make([]registry.FaultEvent, len(inj.ev))
	for i, ev := range inj.ev {
		ev.Spans = append([]registry.FaultSpan(nil), ev.Spans...)
		out[i] = ev
	}
	return out
}

// stop ends the leader moves and wakes held requests; call it before
// closing the cluster.
func (inj *injector) stop() {
	select {
	case <-inj.done:
	default:
		close(inj.done)
	}
	inj.wg.Wait()
}
