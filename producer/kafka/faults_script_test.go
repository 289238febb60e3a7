package kafka_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/kafka"
)

// TestScriptedFaults runs the native core against the embedded broker with
// one scripted fault of each kind and checks that the fault fired and that
// the core saw its effect.
func TestScriptedFaults(t *testing.T) {
	if raceEnabled {
		t.Skip("timing-sensitive: runs in make test's serial race-free pass")
	}
	t.Parallel()
	for _, tc := range []struct {
		spec    string
		retries int // Config.Retries; -1 keeps the default
		check   func(t *testing.T, run *faultRun, st producer.Stats)
	}{
		// A retriable error by rate is retried and every record acked.
		// 20 retries: with the default 5, some batch fails 6 times in a
		// row (0.2^6 = 6.4e-5 a batch; 159 batches a run on a quiet
		// machine, more under load) in about one run of 100, as a loaded
		// make test run showed.
		{"error:NOT_LEADER_OR_FOLLOWER,rate=20%", 20, func(t *testing.T, run *faultRun, st producer.Stats) {
			if st.Retries == 0 {
				t.Error("no retries")
			}
			allAcked(t, run)
		}},
		// Without retries the injected error fails records, by its kind.
		{"error:NOT_ENOUGH_REPLICAS,rate=20%", 0, func(t *testing.T, run *faultRun, st producer.Stats) {
			n := 0
			for _, s := range run.recs {
				if s.err != nil {
					if k := producer.ErrorKind(s.err); k != "broker:NOT_ENOUGH_REPLICAS" {
						t.Fatalf("failure kind %q, want broker:NOT_ENOUGH_REPLICAS (%v)", k, s.err)
					}
					n++
				}
			}
			if n == 0 {
				t.Error("no record failed")
			}
		}},
		// Leader moves make produce answer NOT_LEADER_OR_FOLLOWER: the core
		// refreshes metadata, retries on the new leader and acks all.
		{"leader_move,every=60ms", -1, func(t *testing.T, run *faultRun, st producer.Stats) {
			if st.Retries == 0 {
				t.Error("no retries after leader moves")
			}
			allAcked(t, run)
		}},
		// A slow broker holds answers: some record waits at least delay.
		{"slow,delay=40ms,rate=50%", -1, func(t *testing.T, run *faultRun, st producer.Stats) {
			if maxLatency(run) < 40*time.Millisecond {
				t.Errorf("max latency %v, want >= 40ms", maxLatency(run))
			}
			allAcked(t, run)
		}},
		// A stall holds everything until the window ends.
		{"stall,at=50ms,for=200ms", -1, func(t *testing.T, run *faultRun, st producer.Stats) {
			if maxLatency(run) < 100*time.Millisecond {
				t.Errorf("max latency %v, want >= 100ms", maxLatency(run))
			}
			allAcked(t, run)
		}},
		// A dropped connection fails the request in flight; the core
		// retries it.
		{"drop_connections,at=50ms", -1, func(t *testing.T, run *faultRun, st producer.Stats) {
			if st.Retries == 0 {
				t.Error("no retries after the dropped connection")
			}
			allAcked(t, run)
		}},
	} {
		// Each fault also with the idempotent producer, with batches of 3
		// records so that several of a partition are in flight
		// (pipelining): a fault then hits batches with others behind them.
		for _, idem := range []bool{false, true} {
			name := strings.Split(tc.spec, ",")[0]
			if idem {
				name += "/idempotent"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				runScriptedFault(t, tc.spec, tc.retries, idem, tc.check)
			})
		}
	}
}

// runScriptedFault runs the native core with the one fault spec on a new
// embedded broker and calls check on the outcome.
func runScriptedFault(t *testing.T, spec string, retries int, idempotent bool, check func(t *testing.T, run *faultRun, st producer.Stats)) {
	f, err := kafka.ParseFault(spec)
	if err != nil {
		t.Fatal(err)
	}
	emb := startBroker(t, kafka.EmbeddedOptions{Topics: map[string]int32{faultTopic: faultPartitions}, Faults: []kafka.Fault{f}, Seed: 1})
	cfg := producer.DefaultConfig()
	cfg.Linger = time.Millisecond
	cfg.RetryBackoff = 5 * time.Millisecond
	if retries >= 0 {
		cfg.Retries = retries
	}
	if idempotent {
		cfg.Idempotent, cfg.MaxBatchMessages = true, 3
	}
	emb.StartFaults(time.Now())
	run, p := runProducer(t, emb, cfg)
	evs := emb.FaultEvents()
	if len(evs) != 1 || evs[0].Count == 0 || evs[0].Kind != f.Kind || len(evs[0].Spans) == 0 {
		t.Fatalf("fault events %+v, want one that fired", evs)
	}
	check(t, run, p.Stats())
}

func allAcked(t *testing.T, run *faultRun) {
	t.Helper()
	for i, s := range run.recs {
		if s.err != nil {
			t.Fatalf("record %d failed: %v", i, s.err)
		}
	}
}

func maxLatency(run *faultRun) time.Duration {
	var m time.Duration
	for _, s := range run.recs {
		m = max(m, s.latency)
	}
	return m
}

// TestParseFaultErrors checks that bad --fault specs give one error naming
// the field.
func TestParseFaultErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ spec, field, msg string }{
		{"eror:X", "kind", `did you mean "error"?`},
		{"error:REQUEST_TIMED_OUTT,rate=1%", "error", `did you mean "REQUEST_TIMED_OUT"?`},
		{"error", "error", "required"},
		{"slow", "delay", "required"},
		{"leader_move,rate=1%", "rate", "instants"},
		{"leader_move", "every", "needs at and/or every"},
		{"stall,at=1s", "for", "needs a window"},
		{"stall,at=1s,for=3s,every=2s", "for", "shorter than every"},
		{"slow,delay=1ms,dely=2s", "dely", `did you mean "delay"?`},
		{"error:REQUEST_TIMED_OUT,rate=2", "rate", "between 0 and 1"},
		{"slow,delay=1ms,topic=t", "topic", "kinds error and leader_move"},
		{"drop_connections,at=1s,rate=1%", "rate", "within a window"},
	} {
		_, err := kafka.ParseFault(tc.spec)
		var fe *kafka.FaultFieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("ParseFault(%q) = %v, want field %s with %q", tc.spec, err, tc.field, tc.msg)
		}
	}
	if f, err := kafka.ParseFault("error:REQUEST_TIMED_OUT,rate=1%,at=2s,for=500ms,every=2s"); err != nil || f.String() != "error:REQUEST_TIMED_OUT,rate=1%,at=2s,for=500ms,every=2s" {
		t.Errorf("round trip: %v %q", err, f.String())
	}
}
