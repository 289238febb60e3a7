package live

import (
	"io"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prodbench/prodbench/report"
)

// TestDashboardMetricsExist checks that every metric the Grafana
// dashboard in docs/ queries is one the exporter serves.
func TestDashboardMetricsExist(t *testing.T) {
	data, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	ch := make(chan *prometheus.Desc, 64)
	New().Describe(ch)
	close(ch)
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		if m := fq.FindStringSubmatch(d.String()); m != nil {
			served[m[1]] = true
		}
	}
	used := regexp.MustCompile(`prodbench_[a-z_]+`).FindAllString(string(data), -1)
	if len(used) < 8 {
		t.Fatalf("dashboard queries %d metrics", len(used))
	}
	for _, u := range used {
		name := strings.TrimSuffix(u, "_bucket")
		if !served[name] {
			t.Errorf("dashboard queries %s, which the exporter does not serve", u)
		}
	}
}

// TestObserveAndScrape feeds two intervals and reads the exposition.
func TestObserveAndScrape(t *testing.T) {
	e := New()
	t0 := time.Unix(1_700_000_000, 0)
	r := report.NewRecorder(t0, 0, time.Second)
	base := t0.UnixNano()
	for i := range 10 {
		r.Success(base, base+int64(i)*1000, base+int64(i+1)*int64(time.Millisecond), 100)
	}
	r.Failure(base, base, base, "queue_full")
	iv := r.Tick(t0.Add(time.Second))
	iv.MeanBatchBytes = 500
	e.Observe(iv, 1234, 1000)
	e.SetStep(2, "linger=5ms")
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	for _, want := range []string{
		"prodbench_messages_acked_total 10",
		`prodbench_messages_failed_total{kind="queue_full"} 1`,
		"prodbench_target_msgs_per_second 1234",
		"prodbench_batch_fill_ratio 0.5",
		`prodbench_step{name="linger=5ms"} 2`,
		"prodbench_latency_seconds_count 10",
		`prodbench_latency_seconds_bucket{le="0.0004"} 0`,
		`prodbench_latency_seconds_bucket{le="+Inf"} 10`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{"": DefaultAddr, ":9464": "127.0.0.1:9464", "127.0.0.1:1": "127.0.0.1:1"} {
		if got, err := ListenAddr(in); err != nil || got != want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ListenAddr("nohost"); err == nil {
		t.Error("no error for an address without a port")
	}
}
