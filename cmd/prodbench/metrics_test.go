package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMetricsScrapeDuringRun scrapes --metrics-addr while a run sends and
// checks the figures move.
func TestMetricsScrapeDuringRun(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var wg sync.WaitGroup
	var code int
	var stderr string
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, _, stderr = cli(context.Background(), "run", "testdata/short.yaml", "--duration", "5s",
			"--metrics-addr", addr, "--out", t.TempDir(), "--quiet")
	}()
	acked := regexp.MustCompile(`(?m)^prodbench_messages_acked_total (\S+)$`)
	deadline := time.Now().Add(60 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if m := acked.FindStringSubmatch(body); m != nil {
				if v, _ := strconv.ParseFloat(m[1], 64); v > 0 {
					break
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{
		"prodbench_target_msgs_per_second 2000",
		"prodbench_achieved_msgs_per_second ",
		"prodbench_latency_seconds_bucket{le=",
		"prodbench_service_time_seconds_count ",
		"prodbench_schedule_lag_seconds_sum ",
		"prodbench_in_flight_requests ",
		"prodbench_batch_fill_ratio ",
		"prodbench_step{name=\"\"} 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if m := acked.FindStringSubmatch(body); m == nil {
		t.Errorf("no acked count in scrape:\n%s", body)
	}
	wg.Wait()
	if !ranOK(code, stderr) {
		t.Errorf("run exit %d: %s", code, stderr)
	}
}

func TestMetricsAddrBad(t *testing.T) {
	t.Parallel()
	code, _, stderr := cli(context.Background(), "run", "testdata/short.yaml", "--metrics-addr", "nonsense", "--out", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "nonsense") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
