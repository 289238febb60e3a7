package nats

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// TestMain doubles as a NATS server process: with PRODBENCH_NATS_SERVE
// set, the test binary runs the embedded server alone, prints its URL and
// stops when its stdin closes. Benchmarks use it to keep the server's
// allocations and CPU out of the client's figures.
func TestMain(m *testing.M) {
	if os.Getenv("PRODBENCH_NATS_SERVE") != "" {
		emb, err := StartEmbedded(EmbeddedOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(emb.URL())
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = emb.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serverProcess starts the test binary as a server process and returns
// its URL.
func serverProcess(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PRODBENCH_NATS_SERVE=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("server process: %v", err)
	}
	return strings.TrimSpace(line)
}

// BenchmarkSendAsync measures the async send path, PubAck included, of
// 100 B messages to a 6-partition memory stream on a nats-server in
// another process (the test binary, see TestMain), window 500: allocs/op
// is the client's allocations per message, nats.go's delivery of the
// PubAck included.
func BenchmarkSendAsync(b *testing.B) {
	for _, tc := range []struct {
		name string
		idem bool
		hdrs []producer.Header
	}{
		{"plain", false, nil},
		{"idempotent+header", true, []producer.Header{{Key: "h", Value: []byte("0123456789abcdef")}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			url := serverProcess(b)
			pc := producer.DefaultConfig()
			pc.MaxPendingMessages = 500
			pc.Idempotent = tc.idem
			pc.AutoCreateTopics = true
			e, _, err := openEngine(context.Background(), &Config{URL: url, Storage: "memory"}, pc,
				[]registry.Topic{{Name: "bench", Partitions: 6}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close(context.Background())
			val := make([]byte, 100)
			keys := make([][]byte, 64)
			for i := range keys {
				keys[i] = []byte{byte(i), 'k'}
			}
			recs := make([]producer.Record, 4096)
			failed := 0
			cb := func(_ producer.Ack, err error) {
				if err != nil {
					failed++
				}
			}
			ctx := context.Background()
			// Warm the slots, maps and buffers up.
			for i := 0; i < 5000; i++ {
				r := &recs[i%len(recs)]
				*r = producer.Record{Topic: "bench", Key: keys[i%len(keys)], Value: val, Headers: tc.hdrs}
				e.Send(ctx, r, cb)
			}
			fctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			_ = e.Flush(fctx)
			b.ReportAllocs()
			b.SetBytes(100)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := &recs[i%len(recs)]
				*r = producer.Record{Topic: "bench", Key: keys[i%len(keys)], Value: val, Headers: tc.hdrs}
				e.Send(ctx, r, cb)
			}
			_ = e.Flush(fctx)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
			if failed > 0 {
				b.Fatalf("%d failed", failed)
			}
		})
	}
}
