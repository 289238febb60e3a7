package main

import (
	"fmt"
	"io"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/live"
	"github.com/prodbench/prodbench/workload"
)

// startMetrics serves the run's live metrics on f.metricsAddr (nothing
// when it is empty), chaining f.onInterval. stop stops serving.
func startMetrics(f *runFlags, s *workload.Scenario, cfg producer.Config, stderr io.Writer) (stop func(), err error) {
	if f.metricsAddr == "" {
		return func() {}, nil
	}
	e := live.New()
	addr, err := e.Serve(f.metricsAddr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "prodbench: metrics on http://%s/metrics\n", addr)
	var first time.Time
	next := f.onInterval
	f.onInterval = func(iv report.Interval) {
		if first.IsZero() {
			first = iv.Start
		}
		target := 0.0
		if !s.Rate.ClosedLoop() {
			target = s.Rate.At(iv.End.Sub(first))
		}
		e.Observe(iv, target, cfg.MaxBatchBytes)
		if next != nil {
			next(iv)
		}
	}
	return func() { _ = e.Close() }, nil
}
