package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// HgrmTicksPerHalfDistance is the number of percentile steps per halving of
// the distance to 100% in the .hgrm files (5, as HdrHistogram's tools
// default).
const HgrmTicksPerHalfDistance = 5

// WritePercentileDistribution writes h as the classic HdrHistogram
// percentile distribution text (the .hgrm format of Java HdrHistogram's
// outputPercentileDistribution, which HdrHistogram's plotter reads): a
// header, one line per percentile step (Value, Percentile, TotalCount,
// 1/(1-Percentile); the 100% line has no last column) and a footer with
// mean, standard deviation, max, total count and the histogram geometry.
// Values are divided by scale: 1e6 turns ns into ms. An empty histogram
// gives the header and footer only. It returns the first write error, or an
// error for a nil h or a non-positive scale.
func WritePercentileDistribution(w io.Writer, h *hdrhistogram.Histogram, scale float64) error {
	if h == nil {
		return errors.New("report: nil histogram")
	}
	if !(scale > 0) {
		return fmt.Errorf("report: scale %v must be positive", scale)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, b := range h.CumulativeDistributionWithTicks(HgrmTicksPerHalfDistance) {
			q := b.Quantile / 100
			v := float64(b.ValueAt) / scale
			if b.Quantile >= 100 {
				fmt.Fprintf(bw, "%12.3f %2.12f %10d\n", v, q, b.Count)
				continue
			}
			fmt.Fprintf(bw, "%12.3f %2.12f %10d %14.2f\n", v, q, b.Count, 1/(1-q))
		}
	}
	mean, std, mx := 0.0, 0.0, 0.0
	if h.TotalCount() > 0 {
		mean, std, mx = h.Mean()/scale, h.StdDev()/scale, float64(h.Max())/scale
	}
	fmt.Fprintf(bw, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean, std)
	fmt.Fprintf(bw, "#[Max     = %12.3f, Total count    = %12d]\n", mx, h.TotalCount())
	bw.WriteString(geometryLine(h))
	return bw.Flush()
}

// geometryLine returns the "#[Buckets = …, SubBuckets = …]" footer line of
// h, taken from hdrhistogram-go's own percentile output (the geometry is
// not otherwise exported).
func geometryLine(h *hdrhistogram.Histogram) string {
	empty := hdrhistogram.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
	var buf bytes.Buffer
	if _, err := empty.PercentilesPrint(&buf, 1, 1); err == nil {
		if i := bytes.LastIndex(buf.Bytes(), []byte("#[Buckets")); i >= 0 {
			return string(buf.Bytes()[i:])
		}
	}
	return "#[Buckets = unknown]\n"
}
