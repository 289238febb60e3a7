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

// startMetrics serves live metrics on f.metricsAddr for the whole
// command (nothing when it is empty) and keeps the exporter in f.live, so
// that every run (a sweep point, a capacity step) feeds it through
// attachMetrics. stop stops serving.
func startMetrics(f *runFlags, stderr io.Writer) (stop func(), err error) {
	if f.metricsAddr == "" {
		return func() {}, nil
	}
	e := live.New()
	addr, err := e.Serve(f.metricsAddr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "prodbench: metrics on http://%s/metrics\n", addr)
	f.live = e
	return func() { _ = e.Close() }, nil
}

// attachMetrics makes f's intervals of a run of s feed f.live (no-op
// without it), chaining f.onInterval; step and name, when step > 0, name
// the sweep point or capacity step.
func attachMetrics(f *runFlags, s *workload.Scenario, cfg producer.Config, step int, name string) {
	e := f.live
	if e == nil {
		return
	}
	e.SetStep(step, name)
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
}
