package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"testing"
)

func TestWriteTimeseries(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	res.Intervals[4].TargetMsgsPerSec = 1500 // the caller's per-interval target wins
	var buf bytes.Buffer
	if err := WriteTimeseries(&buf, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], TimeseriesColumns) || len(recs) != len(res.Intervals)+1 {
		t.Fatalf("header %v and %d rows, want %v and %d", recs[0], len(recs)-1, TimeseriesColumns, len(res.Intervals))
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	for i, iv := range res.Intervals {
		row := recs[i+1]
		if len(row) != len(TimeseriesColumns) {
			t.Fatalf("row %d has %d fields", i, len(row))
		}
		for name, want := range map[string]int64{
			"sent": iv.Sent, "acked": iv.Acked, "failed": iv.Failed, "latency_p99_ns": iv.P99Ns,
			"service_max_ns": iv.ServiceMaxNs, "lag_p50_ns": iv.LagP50Ns, "batches": iv.Batches,
			"sealed_linger": iv.SealedBy[SealLinger], "sealed_flush": iv.SealedBy[SealFlush], "in_flight_requests": iv.InFlightRequests,
		} {
			if got, err := strconv.ParseInt(row[col[name]], 10, 64); err != nil || got != want {
				t.Errorf("row %d %s = %q, want %d", i, name, row[col[name]], want)
			}
		}
		if got := row[col["warmup"]]; got != strconv.FormatBool(iv.Warmup) {
			t.Errorf("row %d warmup %q", i, got)
		}
		wantTarget := "2000.0"
		if i == 4 {
			wantTarget = "1500.0"
		}
		if got := row[col["target_msgs_per_sec"]]; got != wantTarget {
			t.Errorf("row %d target %q, want %s", i, got, wantTarget)
		}
		if f, err := strconv.ParseFloat(row[col["compression_ratio"]], 64); err != nil || f < 3 || f > 3.4 {
			t.Errorf("row %d compression ratio %q", i, row[col["compression_ratio"]])
		}
	}
	if got := recs[1][col["failed_by_kind"]]; got != "broker:NOT_LEADER_OR_FOLLOWER=1;queue_full=1;send_timeout=1" {
		t.Errorf("failed_by_kind %q, want sorted kind=count pairs", got)
	}
	if err := WriteTimeseries(&buf, nil); err == nil {
		t.Error("nil result accepted")
	}
	if err := WriteTimeseries(failWriter{}, res); err == nil {
		t.Error("write error not returned")
	}
}
