package nats

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// TestPeerRun is the measurement driver for docs/nats.md, not a check:
// with PRODBENCH_NATS_PEER_URL set it sends PRODBENCH_NATS_PEER_MSGS
// (default 1,000,000) 100-byte messages closed loop from one goroutine,
// window PRODBENCH_NATS_PEER_WINDOW (default 500), to the file stream
// PRODBENCH_NATS_PEER_STREAM (default "peer", created with one subject),
// the same work as `nats bench js pub async --size 100 --batch 500`, and
// logs msg/s from the first Send to the last ack.
func TestPeerRun(t *testing.T) {
	url := os.Getenv("PRODBENCH_NATS_PEER_URL")
	if url == "" {
		t.Skip("PRODBENCH_NATS_PEER_URL not set")
	}
	n := envInt("PRODBENCH_NATS_PEER_MSGS", 1_000_000)
	pc := producer.DefaultConfig()
	pc.MaxPendingMessages = envInt("PRODBENCH_NATS_PEER_WINDOW", 500)
	pc.AutoCreateTopics = true
	stream := os.Getenv("PRODBENCH_NATS_PEER_STREAM")
	if stream == "" {
		stream = "peer"
	}
	e, _, err := openEngine(context.Background(), &Config{URL: url}, pc, []registry.Topic{{Name: stream, Partitions: 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	val := make([]byte, 100)
	recs := make([]producer.Record, pc.MaxPendingMessages*2)
	failed := 0
	cb := func(_ producer.Ack, err error) {
		if err != nil {
			failed++
		}
	}
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < n; i++ {
		r := &recs[i%len(recs)]
		*r = producer.Record{Topic: stream, Value: val}
		e.Send(ctx, r, cb)
	}
	fctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("prodbench nats.go engine: %d msgs in %v: %.0f msg/s, %.2f MB/s, %d failed", n, el.Round(time.Millisecond),
		float64(n)/el.Seconds(), float64(n)*100/el.Seconds()/1e6, failed)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
