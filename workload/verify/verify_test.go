package verify

import (
	"bytes"
	"testing"

	"github.com/prodbench/prodbench/producer"
)

// rec is one record as read back.
type rec struct {
	topic string
	part  int32
	key   string
	seq   int64
	wkr   uint32
	value string
	run   uint64
	bad   bool // corrupt the value after stamping
}

func feed(c *Checker, recs []rec) {
	for _, r := range recs {
		var buf [HeaderSize]byte
		run := r.run
		if run == 0 {
			run = 7
		}
		h := Put(buf[:], Stamp{Run: run, Seq: r.seq, Worker: r.wkr, CRC: Checksum([]byte(r.value))})
		v := []byte(r.value)
		if r.bad {
			v = append(v, 'x')
		}
		c.Add(r.topic, r.part, []byte(r.key), []producer.Header{{Key: "other", Value: []byte("x")}, {Key: HeaderKey, Value: h}}, v)
	}
}

func TestStampRoundTrip(t *testing.T) {
	var buf [HeaderSize + 4]byte
	s := Stamp{Run: 1<<63 + 5, Seq: 1<<40 + 3, Worker: 9, CRC: Checksum([]byte("hello"))}
	b := Put(buf[:], s)
	if len(b) != HeaderSize {
		t.Fatalf("len %d", len(b))
	}
	got, ok := Parse(b)
	if !ok || got != s {
		t.Fatalf("got %+v %v, want %+v", got, ok, s)
	}
	if _, ok := Parse(b[:HeaderSize-1]); ok {
		t.Fatal("short stamp parsed")
	}
	if n := testing.AllocsPerRun(100, func() { Put(buf[:], s) }); n != 0 {
		t.Fatalf("Put allocates %v", n)
	}
}

func TestChecker(t *testing.T) {
	t.Parallel()
	// Outcomes: 0..5 acked on a/0 or a/1, 6 failed, 7 failed, 8 acked on b/0.
	o := NewOutcomes(7, []string{"a", "b"}, 10)
	for i := range int64(6) {
		o.Acked(i, 0, int32(i%2))
	}
	o.Failed(6, 0)
	o.Failed(7, 0)
	o.Acked(8, 1, 0)
	o.Acked(99, 0, 0) // above capacity: untracked
	c := NewChecker(o)
	feed(c, []rec{
		{topic: "a", part: 0, key: "k", seq: 0, value: "v0"},
		{topic: "a", part: 0, key: "k", seq: 4, value: "v4"},
		{topic: "a", part: 0, key: "k", seq: 2, value: "v2"},          // reordered (after 4, same worker and key)
		{topic: "a", part: 0, key: "k", seq: 2, value: "v2"},          // duplicated (and reordered again)
		{topic: "a", part: 0, key: "j", seq: 2, wkr: 1, value: "v2x"}, // another worker's key: not reordered; a duplicate of seq 2
		{topic: "a", part: 1, key: "k", seq: 1, value: "v1", bad: true},
		{topic: "a", part: 1, key: "k", seq: 6, value: "v6"}, // failed but present
		{topic: "b", part: 0, seq: 8, value: "v8"},
		{topic: "b", part: 0, seq: 8, value: "v8", run: 3}, // another run's
	})
	c.Add("b", 0, nil, nil, []byte("plain")) // unstamped
	r := c.Result()
	// seq 3 and 5 (a/1) are lost; 7 failed and absent.
	want := Counts{Partition: -1, Acked: 7, Failed: 2, ReadBack: 8, Lost: 2, Duplicated: 2, Reordered: 2, Corrupted: 1, FailedPresent: 1}
	if r.Total != want {
		t.Errorf("total %+v\nwant  %+v", r.Total, want)
	}
	if r.Foreign != 1 || r.Unstamped != 1 || r.Untracked != 1 || r.Tracked != 10 {
		t.Errorf("foreign %d unstamped %d untracked %d tracked %d", r.Foreign, r.Unstamped, r.Untracked, r.Tracked)
	}
	byPart := map[string]Counts{}
	for _, p := range r.Partitions {
		byPart[p.Topic+"/"+string(rune('0'+p.Partition))] = p
	}
	if p := byPart["a/1"]; p.Lost != 2 || p.Acked != 3 || p.FailedPresent != 1 || p.Corrupted != 1 {
		t.Errorf("a/1: %+v", p)
	}
	if p := byPart["a/0"]; p.Lost != 0 || p.Acked != 3 || p.Duplicated != 2 || p.Reordered != 2 {
		t.Errorf("a/0: %+v", p)
	}
	if p := byPart["b/0"]; p.Lost != 0 || p.ReadBack != 1 {
		t.Errorf("b/0: %+v", p)
	}
}

func TestOutcomesFile(t *testing.T) {
	t.Parallel()
	o := NewOutcomes(42, []string{"t1", "t2"}, 1000)
	o.Acked(0, 1, 5)
	o.Failed(3, 0)
	o.Acked(500, 0, 2)
	var buf bytes.Buffer
	if _, err := o.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadOutcomes(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Run != 42 || len(got.Topics) != 2 || got.Topics[1] != "t2" || got.Len() != 1000 {
		t.Fatalf("got run %d topics %v len %d", got.Run, got.Topics, got.Len())
	}
	for i := range o.slots {
		if o.slots[i] != got.slots[i] {
			t.Fatalf("slot %d: %x, want %x", i, got.slots[i], o.slots[i])
		}
	}
	// Truncated and foreign files are errors, not panics.
	if _, err := ReadOutcomes(bytes.NewReader(buf.Bytes()[:buf.Len()/2])); err == nil {
		t.Error("truncated file read without error")
	}
	if _, err := ReadOutcomes(bytes.NewReader([]byte("not gzip"))); err == nil {
		t.Error("garbage read without error")
	}
}
