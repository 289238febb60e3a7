package workload

import (
	"context"
	"io"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestScheduleLagOneProcNetwork runs the engine at 20,000 msg/s on a no-op
// sender with GOMAXPROCS=1 (a 1-CPU container) and checks that the rest of
// the process still gets its network events promptly: the round trip of a
// byte through a TCP loopback echo, measured back to back meanwhile, must
// have a p50 under 1 ms (it is 7-30 µs, with or without the race detector,
// and with the machine's CPUs busy elsewhere).
//
// The previous ticker (nanosleep holding the only P, then Gosched, so the
// scheduler always had a goroutine to run and did not poll the network)
// left the poller to sysmon, which polls every 10 ms: the round trip's
// p50 was then 20 ms (every run under the race detector, about one in
// three without), and the quickstart's latency p50 30 ms instead of
// 3.3 ms. Not parallel: it changes GOMAXPROCS. Its bound is on time, so
// it runs in make test's serial race-free pass (its name matches the
// TestScheduleLag pattern), not under -race next to other packages' tests.
func TestScheduleLagOneProcNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("1 s run")
	}
	if raceEnabled {
		t.Skip("a bound on time: checked in make test's race-free pass")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip("no loopback TCP:", err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	s := codeScenario() // 1 s
	s.Rate.MessagesPerSecond = 20000
	runDone := make(chan RunInfo)
	go func() {
		info, _ := runScenario(t, context.Background(), s, nopSender{})
		runDone <- info
	}()
	time.Sleep(100 * time.Millisecond) // the engine is pacing
	var rtts []time.Duration
	buf := []byte{0}
	for end := time.Now().Add(700 * time.Millisecond); time.Now().Before(end); {
		t0 := time.Now()
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		rtts = append(rtts, time.Since(t0))
	}
	info := <-runDone
	slices.Sort(rtts)
	p50 := rtts[len(rtts)/2]
	t.Logf("%d round trips during the run: p50 %v p90 %v max %v; engine sent %d", len(rtts), p50, rtts[len(rtts)*9/10], rtts[len(rtts)-1], info.Sent)
	if info.Sent != 20000 {
		t.Errorf("engine sent %d, want 20000", info.Sent)
	}
	if p50 > time.Millisecond {
		t.Errorf("loopback round trip p50 = %v with GOMAXPROCS=1, want < 1ms: the ticker starves the network poller", p50)
	}
}
