package report

import (
	"testing"
	"time"
)

func TestRecorderTimings(t *testing.T) {
	t.Parallel()
	ms := int64(time.Millisecond)
	tests := []struct {
		name                       string
		lagNs, serviceNs           int64 // sent-intended, ack-sent
		wantLat, wantSvc, wantLag  int64
		failure                    bool
		wantLatCount, wantLagCount int64
	}{
		// a late send: lag and service add up to latency
		{"late send", 3 * ms, 2 * ms, 5 * ms, 2 * ms, 3 * ms, false, 1, 1},
		// on time: latency equals service time
		{"on time", 0, 4 * ms, 4 * ms, 4 * ms, 0, false, 1, 1},
		// sent before its slot (clock skew): lag clamps to 0, latency stays ack-intended
		{"early send", -ms, 4 * ms, 3 * ms, 4 * ms, 0, false, 1, 1},
		// ack stamped before the send: service clamps to 0
		{"ack before send", 2 * ms, -ms, ms, 0, 2 * ms, false, 1, 1},
		// a failure records its lag only
		{"failure", 7 * ms, ms, 0, 0, 7 * ms, true, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := NewRecorder(t0, time.Second, time.Second)
			for _, at := range []int64{ns(500 * time.Millisecond), ns(1500 * time.Millisecond)} { // warmup, measured
				sent := at + tc.lagNs
				if tc.failure {
					r.Failure(at, sent, sent+tc.serviceNs, "closed")
				} else {
					r.Success(at, sent, sent+tc.serviceNs, 10)
				}
			}
			iv := r.Tick(t0.Add(2 * time.Second))
			s := r.Finish(t0.Add(2 * time.Second))
			for _, c := range []struct {
				name       string
				count, max int64
				wantCount  int64
				want       int64
			}{
				{"interval latency", iv.Histogram.TotalCount(), iv.Histogram.Max(), 2 * tc.wantLatCount, tc.wantLat},
				{"interval service", iv.Service.TotalCount(), iv.Service.Max(), 2 * tc.wantLatCount, tc.wantSvc},
				{"interval lag", iv.Lag.TotalCount(), iv.Lag.Max(), 2 * tc.wantLagCount, tc.wantLag},
				{"run latency", s.Histogram.TotalCount(), s.Histogram.Max(), tc.wantLatCount, tc.wantLat},
				{"run service", s.Service.TotalCount(), s.Service.Max(), tc.wantLatCount, tc.wantSvc},
				{"run lag", s.Lag.TotalCount(), s.Lag.Max(), tc.wantLagCount, tc.wantLag},
			} {
				if c.count != c.wantCount {
					t.Errorf("%s: count %d, want %d", c.name, c.count, c.wantCount)
				}
				if c.wantCount > 0 && !within(c.max, c.want) {
					t.Errorf("%s: max %d ns, want %d", c.name, c.max, c.want)
				}
			}
			if iv.LagMaxNs != iv.Lag.Max() || iv.ServiceP99Ns != iv.Service.ValueAtQuantile(99) || iv.ServiceMaxNs != iv.Service.Max() {
				t.Errorf("row %+v does not match the interval histograms", iv.IntervalRow)
			}
			if tc.wantLatCount == 0 && (iv.ServiceMaxNs != 0 || iv.MaxNs != 0) {
				t.Errorf("row %+v: timings without acks", iv.IntervalRow)
			}
		})
	}
}

func TestRecorderIntervalHistograms(t *testing.T) {
	t.Parallel()
	s := sampleSummary()
	var lat, svc, lag int64
	for i, row := range s.Intervals {
		if row.Histograms == nil {
			t.Fatalf("interval %d has no histograms", i)
		}
		for _, c := range []struct {
			name      string
			enc       string
			want, max int64
			sum       *int64
		}{
			{"latency", row.Histograms.Latency, row.Acked, row.MaxNs, &lat},
			{"service", row.Histograms.Service, row.Acked, row.ServiceMaxNs, &svc},
			{"lag", row.Histograms.Lag, row.Acked + row.Failed, row.LagMaxNs, &lag},
		} {
			h, err := DecodeHistogram(c.enc)
			if err != nil {
				t.Fatalf("interval %d %s: %v", i, c.name, err)
			}
			if h.TotalCount() != c.want || h.Max() != c.max {
				t.Errorf("interval %d %s: count %d max %d, want %d and %d", i, c.name, h.TotalCount(), h.Max(), c.want, c.max)
			}
			if !row.Warmup {
				*c.sum += h.TotalCount()
			}
		}
	}
	if lat != s.Histogram.TotalCount() || svc != s.Service.TotalCount() || lag != s.Lag.TotalCount() {
		t.Errorf("measured intervals hold %d/%d/%d values, the run %d/%d/%d",
			lat, svc, lag, s.Histogram.TotalCount(), s.Service.TotalCount(), s.Lag.TotalCount())
	}
}
