package report

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzUnmarshalResult checks that UnmarshalResult (result.json from disk,
// `prodbench report`, compare and merge) never panics, and that a result
// it accepts can be finalized, summarized and merged with itself without
// panicking.
func FuzzUnmarshalResult(f *testing.F) {
	if b, err := os.ReadFile("testdata/result_v1.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"schema_version": 1}`))
	f.Add([]byte(`{"schema_version": 1, "latency": {"histogram": "HISTFAAAAB94nJNpmSzMwMDAxAABzFCaEUrDAAAfxwFW"}}`))
	f.Add([]byte(`{"schema_version": 1, "intervals": [{"start_ns": -1, "end_ns": -9223372036854775808}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang would stall the fuzzer silently; crash with the input instead.
		timer := time.AfterFunc(5*time.Second, func() { panic("hung on " + string(data)) })
		defer timer.Stop()
		res, err := UnmarshalResult(data)
		if err != nil {
			return
		}
		Finalize(res)
		_ = WriteSummary(&bytes.Buffer{}, res)
		_, _ = Merge(res, res)
	})
}

// FuzzReadHistogramLog checks that ReadHistogramLog (.hlog files) never
// panics on any input.
func FuzzReadHistogramLog(f *testing.F) {
	f.Add("#[StartTime: 1.000 (seconds since epoch)]\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n0.000,1.000,1.000,HISTFAAAAB94nJNpmSzMwMDAxAABzFCaEUrDAAAfxwFW\n")
	f.Add("Tag=a,0.1,1,2,HISTFAAAAAA=\n")
	f.Add("#[BaseTime: -1e308]\n1e308,1e308,1,x\n")
	f.Fuzz(func(t *testing.T, text string) {
		_, _ = ReadHistogramLog(strings.NewReader(text))
	})
}
