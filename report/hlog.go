package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Tags of the interval histograms in latency.hlog, one line each per
// interval.
const (
	// TagLatency marks latency histograms (intended send to ack, ns).
	TagLatency = "latency"
	// TagService marks service time histograms (actual send to ack, ns).
	TagService = "service"
	// TagLag marks schedule lag histograms (intended to actual send, ns).
	TagLag = "lag"
)

// hasIntervalHistograms reports whether some interval of res carries its
// encoded histograms (schema 2).
func hasIntervalHistograms(res *Result) bool {
	for _, iv := range res.Intervals {
		if iv.Histograms != nil {
			return true
		}
	}
	return false
}

// WriteHistogramLog writes the interval histograms of res as an
// HdrHistogram interval log (format 1.3, as hdrhistogram-go's
// HistogramLogWriter writes it and the HdrHistogram tools read it, e.g.
// HistogramLogProcessor -tag latency): a version and a comment line,
// StartTime (the run's start) and BaseTime (that start rounded down to a
// whole second) headers, the legend, then for every interval in order three
// lines tagged TagLatency, TagService and TagLag: start and length in
// seconds relative to BaseTime, the maximum in ms and the V2-compressed
// histogram in ns. Intervals without histograms (schema 1) are skipped. It
// fails on a nil res, an undecodable histogram or a write error.
func WriteHistogramLog(w io.Writer, res *Result) error {
	if res == nil {
		return errors.New("report: nil result")
	}
	bw := bufio.NewWriter(w)
	lw := hdrhistogram.NewHistogramLogWriter(bw)
	startMs := res.StartedAt.UnixMilli()
	baseMs := startMs - startMs%1000
	lw.SetBaseTime(baseMs)
	for _, err := range []error{
		lw.OutputLogFormatVersion(),
		lw.OutputComment(fmt.Sprintf("[prodbench %s: Tag=%s is ack - intended send, Tag=%s ack - actual send, Tag=%s actual - intended send; values in ns, max column in ms]",
			orDash(res.Scenario.Name), TagLatency, TagService, TagLag)),
		lw.OutputStartTime(startMs),
		lw.OutputBaseTime(baseMs),
		lw.OutputLegend(),
	} {
		if err != nil {
			return fmt.Errorf("report: write histogram log: %w", err)
		}
	}
	for i, iv := range res.Intervals {
		if iv.Histograms == nil {
			continue
		}
		from := res.StartedAt.UnixMilli() + iv.StartNs/1e6
		to := res.StartedAt.UnixMilli() + iv.EndNs/1e6
		for _, t := range []struct{ tag, enc string }{
			{TagLatency, iv.Histograms.Latency},
			{TagService, iv.Histograms.Service},
			{TagLag, iv.Histograms.Lag},
		} {
			h, err := DecodeHistogram(t.enc)
			if err != nil {
				return fmt.Errorf("report: interval %d %s histogram: %w", i, t.tag, err)
			}
			h.SetTag(t.tag)
			h.SetStartTimeMs(from)
			h.SetEndTimeMs(to)
			if err := lw.OutputIntervalHistogram(h); err != nil {
				return fmt.Errorf("report: write histogram log: %w", err)
			}
		}
	}
	return bw.Flush()
}

// LogHistogram is one interval histogram read from an interval log.
type LogHistogram struct {
	// Tag is the line's tag (TagLatency, TagService, TagLag), or "".
	Tag string
	// StartMs and EndMs bound the interval, in Unix ms.
	StartMs, EndMs int64
	// Histogram holds the values (ns for prodbench's logs).
	Histogram *hdrhistogram.Histogram
}

// ReadHistogramLog reads every interval histogram of an HdrHistogram
// interval log with hdrhistogram-go's HistogramLogReader, in file order. It
// fails on a read error or a malformed histogram.
func ReadHistogramLog(r io.Reader) ([]LogHistogram, error) {
	lr := hdrhistogram.NewHistogramLogReader(r)
	var out []LogHistogram
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return nil, fmt.Errorf("report: read histogram log: %w", err)
		}
		if h == nil {
			return out, nil
		}
		out = append(out, LogHistogram{Tag: h.Tag(), StartMs: h.StartTimeMs(), EndMs: h.EndTimeMs(), Histogram: h})
	}
}

// attachLogHistograms fills the missing interval histograms of res from
// hist, read from its latency.hlog: the k-th histogram of each tag belongs
// to the k-th interval. It does nothing unless the log holds exactly one
// latency histogram per interval. It fails only if a histogram cannot be
// encoded.
func attachLogHistograms(res *Result, hist []LogHistogram) error {
	byTag := map[string][]*hdrhistogram.Histogram{}
	for _, h := range hist {
		byTag[h.Tag] = append(byTag[h.Tag], h.Histogram)
	}
	n := len(res.Intervals)
	if n == 0 || len(byTag[TagLatency]) != n {
		return nil
	}
	enc := func(tag string, i int) (string, error) {
		hs := byTag[tag]
		if i >= len(hs) {
			return "", nil
		}
		b, err := hs[i].Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return "", fmt.Errorf("report: encode %s histogram: %w", tag, err)
		}
		return string(b), nil
	}
	for i := range res.Intervals {
		if res.Intervals[i].Histograms != nil {
			continue
		}
		var ih IntervalHistograms
		var err error
		if ih.Latency, err = enc(TagLatency, i); err != nil {
			return err
		}
		if ih.Service, err = enc(TagService, i); err != nil {
			return err
		}
		if ih.Lag, err = enc(TagLag, i); err != nil {
			return err
		}
		res.Intervals[i].Histograms = &ih
	}
	return nil
}
