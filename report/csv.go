package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// TimeseriesColumns are the header of timeseries.csv, in order. Times are
// seconds since the run's start; timings are ns; rates per second; MB =
// 10^6 bytes; sealed_* count batches by seal reason.
var TimeseriesColumns = []string{
	"start_s", "end_s", "warmup",
	"sent", "acked", "failed", "failed_by_kind",
	"target_msgs_per_sec", "msgs_per_sec", "mb_per_sec", "wire_mb_per_sec",
	"latency_p50_ns", "latency_p99_ns", "latency_max_ns",
	"service_p50_ns", "service_p99_ns", "service_max_ns",
	"lag_p50_ns", "lag_p99_ns", "lag_max_ns",
	"batches", "records_per_batch", "batch_bytes", "batch_wire_bytes", "compression_ratio",
	"sealed_linger", "sealed_size", "sealed_count", "sealed_flush", "sealed_single", "sealed_other",
	"in_flight_requests",
}

// WriteTimeseries writes one CSV row per interval of res (timeseries.csv)
// under the TimeseriesColumns header, warmup intervals included and flagged.
// failed_by_kind is "kind=count" pairs joined by ";", sorted by kind;
// target_msgs_per_sec is the interval's target, else the run's (0 when
// unthrottled or closed loop); batch_bytes and batch_wire_bytes are means
// per batch. It returns the first write error, or an error for a nil res.
func WriteTimeseries(w io.Writer, res *Result) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(TimeseriesColumns); err != nil {
		return fmt.Errorf("report: write timeseries: %w", err)
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64, prec int) string { return strconv.FormatFloat(finite(v), 'f', prec, 64) }
	for _, iv := range res.Intervals {
		var kinds []string
		for _, k := range sortedKeys(iv.FailedByKind) {
			kinds = append(kinds, k+"="+i64(iv.FailedByKind[k]))
		}
		row := []string{
			f(float64(iv.StartNs)/1e9, 3), f(float64(iv.EndNs)/1e9, 3), strconv.FormatBool(iv.Warmup),
			i64(iv.Sent), i64(iv.Acked), i64(iv.Failed), strings.Join(kinds, ";"),
			f(targetAt(res, iv), 1), f(iv.MsgsPerSec, 1), f(iv.MBPerSec, 6), f(iv.WireMBPerSec, 6),
			i64(iv.P50Ns), i64(iv.P99Ns), i64(iv.MaxNs),
			i64(iv.ServiceP50Ns), i64(iv.ServiceP99Ns), i64(iv.ServiceMaxNs),
			i64(iv.LagP50Ns), i64(iv.LagP99Ns), i64(iv.LagMaxNs),
			i64(iv.Batches), f(iv.MeanRecordsPerBatch, 2), f(iv.MeanBatchBytes, 1), f(iv.MeanBatchWireBytes, 1),
			f(iv.CompressionRatio, 4),
		}
		for _, r := range sealReasons {
			row = append(row, i64(iv.SealedBy[r]))
		}
		row = append(row, i64(iv.InFlightRequests))
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("report: write timeseries: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write timeseries: %w", err)
	}
	return nil
}
