package workload

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload/verify"
)

// stampSender acks every record on partition 1 and fails those whose
// sequence is a multiple of 7, checking each record's stamp.
type stampSender struct {
	mu    sync.Mutex
	seqs  map[int64]string // sequence -> topic
	bad   int
	check bool
}

func (s *stampSender) Send(_ context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	if s.check {
		var st verify.Stamp
		ok := false
		for _, h := range r.Headers {
			if h.Key == verify.HeaderKey {
				st, ok = verify.Parse(h.Value)
			}
		}
		s.mu.Lock()
		if !ok || st.Run != 99 || st.CRC != verify.Checksum(r.Value) || s.seqs[st.Seq] != "" {
			s.bad++
		}
		s.seqs[st.Seq] = r.Topic
		s.mu.Unlock()
		if st.Seq%7 == 0 {
			cb(producer.Ack{}, producer.ErrQueueFull)
			return
		}
	}
	cb(producer.Ack{Record: r, Topic: r.Topic, Partition: 1}, nil)
}

// TestRunVerifyStamps: with VerifyRun every record (fanout: one per
// topic) carries a valid, unique stamp, and the outcomes hold what the
// sender answered, by sequence.
func TestRunVerifyStamps(t *testing.T) {
	t.Parallel()
	s := codeScenario()
	s.Rate.MessagesPerSecond = 100_000
	s.Messages = 1000
	s.TopicSelection = TopicSelectionFanout
	s.Headers = &Headers{Count: Range{1, 2}, ValueSize: FixedSize(8)}
	s.Topics = []Topic{{Name: "a", Partitions: 1}, {Name: "b", Partitions: 2}}
	snd := &stampSender{seqs: map[int64]string{}, check: true}
	rec := report.NewRecorder(time.Now(), 0, time.Second)
	info, err := Run(context.Background(), s, RunOptions{Sender: snd, Recorder: rec, VerifyRun: 99})
	if err != nil {
		t.Fatal(err)
	}
	if snd.bad != 0 || len(snd.seqs) != 2000 || info.Verify == nil || info.Verify.Len() != 2000 {
		t.Fatalf("bad stamps %d, %d sequences, outcomes %v", snd.bad, len(snd.seqs), info.Verify)
	}
	for seq, topic := range snd.seqs {
		if want := []string{"a", "b"}[seq%2]; topic != want {
			t.Fatalf("sequence %d went to %s, want %s", seq, topic, want)
		}
	}
	// Nothing read back: every acked sequence is lost, the failed ones
	// are counted as failed.
	r := verify.NewChecker(info.Verify).Result()
	failed := int64(0)
	for seq := range int64(2000) {
		if seq%7 == 0 {
			failed++
		}
	}
	if r.Total.Failed != failed || r.Total.Acked != 2000-failed || r.Total.Lost != r.Total.Acked {
		t.Fatalf("outcomes %+v, want %d failed", r.Total, failed)
	}
}

// TestRunVerifyAllocs: stamping allocates nothing per record.
func TestRunVerifyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	_, per := runAllocsPerRecord(t, 1)
	if per > 0.001 {
		t.Errorf("%.5f allocations per stamped record, want < 0.001", per)
	}
}
