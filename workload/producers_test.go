package workload

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
)

// TestProducersField checks producers: its default, workers defaulted
// up to it, and the errors for 0, negative, absurd and more producers
// than workers, each at file:line:field.
func TestProducersField(t *testing.T) {
	t.Parallel()
	s, err := Parse("x.yaml", []byte(minimalWith(t, "", "")))
	if err != nil {
		t.Fatal(err)
	}
	if s.Producers != 0 || s.ProducerCount() != 1 {
		t.Errorf("unset: producers %d, count %d, want 0 and 1", s.Producers, s.ProducerCount())
	}
	s, err = Parse("x.yaml", []byte(minimalWith(t, "", "producers: 10\n")))
	if err != nil {
		t.Fatal(err)
	}
	if s.ProducerCount() != 10 || s.Workers != 10 {
		t.Errorf("producers: 10 without workers: producers %d, workers %d, want 10 and 10", s.ProducerCount(), s.Workers)
	}
	s, err = Parse("x.yaml", []byte(minimalWith(t, "", "producers: 2\n")))
	if err != nil {
		t.Fatal(err)
	}
	if s.Workers != DefaultWorkers {
		t.Errorf("producers: 2 without workers: workers %d, want the default %d", s.Workers, DefaultWorkers)
	}
	for _, tt := range []struct{ add, want string }{
		{"producers: 0\n", `x.yaml:11: producers: must be between 1 and 1024 (each producer opens its own connections), got 0`},
		{"producers: -3\n", `x.yaml:11: producers: must be between 1 and 1024 (each producer opens its own connections), got -3`},
		{"producers: 100000\n", `x.yaml:11: producers: must be between 1 and 1024 (each producer opens its own connections), got 100000`},
		{"workers: 2\nproducers: 3\n", `x.yaml:12: producers: 3 producers need at least as many workers (each worker sends through one producer), got workers: 2`},
		{"producers: many\n", `x.yaml:11: producers:`},
	} {
		_, err := Parse("x.yaml", []byte(minimalWith(t, "", tt.add)))
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %s", tt.add, err, tt.want)
		}
	}
}

// gate holds every sender's first Send until each sender has had one,
// so that no worker sends the whole run before the others start.
type gate struct{ wg *sync.WaitGroup }

func (g *gate) pass(once *sync.Once) {
	if g == nil || g.wg == nil {
		return
	}
	once.Do(g.wg.Done)
	g.wg.Wait()
}

// idSender acknowledges every record at once and counts what it got.
type idSender struct {
	n    atomic.Int64
	g    *gate
	once sync.Once
}

func (s *idSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	s.g.pass(&s.once)
	s.n.Add(1)
	cb(producer.Ack{Record: r, Topic: r.Topic, Offset: -1}, nil)
}

// failSender fails every record.
type failSender struct {
	n    atomic.Int64
	g    *gate
	once sync.Once
}

func (s *failSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	s.g.pass(&s.once)
	s.n.Add(1)
	cb(producer.Ack{Record: r}, producer.ErrQueueFull)
}

// TestRunSpreadsWorkersOverProducers: 6 workers over 3 senders (worker w
// on sender w mod 3): every sender gets records, Counts match what each
// sender saw, failures count against their producer, and the counts sum
// to the run's total.
func TestRunSpreadsWorkersOverProducers(t *testing.T) {
	t.Parallel()
	s := codeScenario()
	s.Workers, s.Producers = 6, 3
	s.Duration = 0
	s.Messages = 3000
	s.Rate = Rate{Profile: ProfileMax}
	g := &gate{wg: &sync.WaitGroup{}}
	g.wg.Add(3)
	a, b, c := &idSender{g: g}, &failSender{g: g}, &idSender{g: g}
	counts := make([]ProducerCounts, 3)
	rec := report.NewRecorder(time.Now(), 0, time.Second)
	info, err := Run(context.Background(), s, RunOptions{Senders: []Sender{a, b, c}, Counts: counts, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	var sent, acked, failed int64
	for i, snd := range []interface{ load() int64 }{loader{&a.n}, loader{&b.n}, loader{&c.n}} {
		got := counts[i].Sent.Load()
		if got == 0 || got != snd.load() {
			t.Errorf("producer %d: counted %d sent, its sender saw %d", i, got, snd.load())
		}
		sent += got
		acked += counts[i].Acked.Load()
		failed += counts[i].Failed.Load()
	}
	if counts[1].Acked.Load() != 0 || counts[1].Failed.Load() != counts[1].Sent.Load() {
		t.Errorf("failing producer: %d sent, %d acked, %d failed", counts[1].Sent.Load(), counts[1].Acked.Load(), counts[1].Failed.Load())
	}
	if counts[0].Failed.Load() != 0 || counts[2].Failed.Load() != 0 {
		t.Errorf("failures counted against the acking producers")
	}
	if sent != info.Sent || sent != 3000 || acked+failed != sent {
		t.Errorf("producers sent %d (acked %d, failed %d), run sent %d, want 3000", sent, acked, failed, info.Sent)
	}
}

// loader reads an atomic counter.
type loader struct{ n *atomic.Int64 }

func (l loader) load() int64 { return l.n.Load() }

// TestRunProducerErrors: more senders than workers, a nil sender and
// Counts of the wrong length are refused before anything is sent.
func TestRunProducerErrors(t *testing.T) {
	t.Parallel()
	s := codeScenario()
	s.Workers = 2
	rec := report.NewRecorder(time.Now(), 0, time.Second)
	snd := &idSender{}
	for _, opts := range []RunOptions{
		{Senders: []Sender{snd, snd, snd}, Recorder: rec},
		{Senders: []Sender{snd, nil}, Recorder: rec},
		{Senders: []Sender{snd, snd}, Counts: make([]ProducerCounts, 1), Recorder: rec},
	} {
		if _, err := Run(context.Background(), s, opts); err == nil {
			t.Errorf("Run with %d senders, %d counts: no error", len(opts.Senders), len(opts.Counts))
		}
	}
	if snd.n.Load() != 0 {
		t.Errorf("%d records sent by refused runs", snd.n.Load())
	}
}
