// Package live serves a run's figures to Prometheus while it runs
// (prodbench run --metrics-addr), through prometheus/client_golang: the
// target and achieved msg/s, messages sent, acked and failed by failure
// kind, latency (intended send to ack), service time (send to ack) and
// schedule lag (intended to actual send) histograms, produce requests in
// flight, batch fill, and the current sweep point or capacity step.
//
// The exporter is fed once per interval (1 s) from the recorder's
// interval snapshots, so the send path pays nothing for it: histograms
// are the run's cumulative HdrHistograms, exposed at scrape time as
// classic Prometheus histograms with exponential buckets (ConstHistogram).
package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/prodbench/prodbench/report"
)

// DefaultAddr is where --metrics-addr listens when given without a host:
// loopback only.
const DefaultAddr = "127.0.0.1:9464"

// Buckets are the upper bounds, in seconds, of the latency histograms'
// classic buckets: 100 µs doubling to about 52 s.
var Buckets = prometheus.ExponentialBuckets(100e-6, 2, 20)

// Exporter holds the run's figures and serves them. Its methods are safe
// for concurrent use.
type Exporter struct {
	mu       sync.Mutex
	reg      *prometheus.Registry
	hists    [3]*hdrhistogram.Histogram // latency, service, lag (ns)
	failed   map[string]float64
	sent     float64
	acked    float64
	target   float64
	achieved float64
	inFlight float64
	fill     float64
	perBatch float64
	step     float64
	stepName string

	srv *http.Server
	ln  net.Listener
}

var (
	descTarget   = prometheus.NewDesc("prodbench_target_msgs_per_second", "Scheduled send rate during the last interval, msg/s (0 for a closed loop).", nil, nil)
	descAchieved = prometheus.NewDesc("prodbench_achieved_msgs_per_second", "Acked messages per second during the last interval.", nil, nil)
	descSent     = prometheus.NewDesc("prodbench_messages_sent_total", "Messages handed to the producer, warmup included.", nil, nil)
	descAcked    = prometheus.NewDesc("prodbench_messages_acked_total", "Messages acknowledged, warmup included.", nil, nil)
	descFailed   = prometheus.NewDesc("prodbench_messages_failed_total", "Failed messages by failure kind, warmup included.", []string{"kind"}, nil)
	descInFlight = prometheus.NewDesc("prodbench_in_flight_requests", "Produce requests in flight at the last interval's end.", nil, nil)
	descFill     = prometheus.NewDesc("prodbench_batch_fill_ratio", "Mean uncompressed batch bytes over max_batch_bytes, last interval.", nil, nil)
	descPerBatch = prometheus.NewDesc("prodbench_records_per_batch", "Mean records per batch, last interval.", nil, nil)
	descStep     = prometheus.NewDesc("prodbench_step", "Current sweep point or capacity step (1-based; 0 for a plain run), labelled with its name.", []string{"name"}, nil)
	descHists    = [3]*prometheus.Desc{
		prometheus.NewDesc("prodbench_latency_seconds", "Latency from intended send time to ack, acked messages, warmup included.", nil, nil),
		prometheus.NewDesc("prodbench_service_time_seconds", "Service time from actual send to ack, acked messages, warmup included.", nil, nil),
		prometheus.NewDesc("prodbench_schedule_lag_seconds", "Schedule lag from intended to actual send, acked and failed messages, warmup included.", nil, nil),
	}
)

// New returns an Exporter with nothing recorded, its metrics in a
// registry of its own (plus Go runtime and process metrics).
func New() *Exporter {
	e := &Exporter{reg: prometheus.NewRegistry(), failed: map[string]float64{}}
	for i := range e.hists {
		e.hists[i] = report.NewHistogram()
	}
	e.reg.MustRegister(e, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return e
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTarget, descAchieved, descSent, descAcked, descFailed, descInFlight, descFill, descPerBatch, descStep} {
		ch <- d
	}
	for _, d := range descHists {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	c := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	g(descTarget, e.target)
	g(descAchieved, e.achieved)
	c(descSent, e.sent)
	c(descAcked, e.acked)
	kinds := make([]string, 0, len(e.failed))
	for k := range e.failed {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		c(descFailed, e.failed[k], k)
	}
	g(descInFlight, e.inFlight)
	g(descFill, e.fill)
	g(descPerBatch, e.perBatch)
	ch <- prometheus.MustNewConstMetric(descStep, prometheus.GaugeValue, e.step, e.stepName)
	for i, h := range e.hists {
		ch <- constHistogram(descHists[i], h)
	}
}

// constHistogram exposes h (ns) in seconds with Buckets.
func constHistogram(d *prometheus.Desc, h *hdrhistogram.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(Buckets))
	var cum uint64
	bars := h.Distribution()
	j := 0
	for _, ub := range Buckets {
		for j < len(bars) && float64(bars[j].To)/1e9 <= ub {
			cum += uint64(bars[j].Count)
			j++
		}
		buckets[ub] = cum
	}
	n := uint64(h.TotalCount())
	sum := h.Mean() * float64(n) / 1e9
	return prometheus.MustNewConstHistogram(d, n, sum, buckets)
}

// Observe adds one interval's figures: counts, the histograms, in-flight
// requests, batch fill against maxBatchBytes (0: not shown) and the
// interval's target rate (msg/s).
func (e *Exporter) Observe(iv report.Interval, target float64, maxBatchBytes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sent += float64(iv.Sent)
	e.acked += float64(iv.Acked)
	for k, n := range iv.FailedByKind {
		e.failed[k] += float64(n)
	}
	for i, h := range []*hdrhistogram.Histogram{iv.Histogram, iv.Service, iv.Lag} {
		if h != nil {
			e.hists[i].Merge(h)
		}
	}
	e.target = target
	e.achieved = iv.MsgsPerSec
	e.inFlight = float64(iv.InFlightRequests)
	e.perBatch = iv.MeanRecordsPerBatch
	if maxBatchBytes > 0 {
		e.fill = iv.MeanBatchBytes / float64(maxBatchBytes)
	}
}

// SetStep sets the current sweep point or capacity step (1-based) and its
// name.
func (e *Exporter) SetStep(n int, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.step, e.stepName = float64(n), name
}

// Handler returns the HTTP handler serving the metrics (OpenMetrics when
// the scraper asks for it).
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// ListenAddr returns addr with a missing host made 127.0.0.1 (":9464" is
// loopback, not every interface), or DefaultAddr for "".
func ListenAddr(addr string) (string, error) {
	if addr == "" {
		return DefaultAddr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("metrics address %q: want host:port, e.g. %s", addr, DefaultAddr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Serve starts serving /metrics on addr (see ListenAddr) and returns the
// address it listens on.
func (e *Exporter) Serve(addr string) (string, error) {
	a, err := ListenAddr(addr)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", a)
	if err != nil {
		return "", fmt.Errorf("metrics address %s: %w", a, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", e.Handler())
	e.ln = ln
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()
	return ln.Addr().String(), nil
}

// Close stops serving.
func (e *Exporter) Close() error {
	if e.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
