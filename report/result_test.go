package report

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// sampleSummary is the Summary of a deterministic 10 s run (2 s warmup,
// 2000 msg/s intended, schedule lag 0..490 µs, one batch per 16 messages),
// recorded once and shared read-only.
var sampleSummary = sync.OnceValue(func() Summary {
	r := NewRecorder(t0, 2*time.Second, time.Second)
	var clock int64 // Unix ns seen by Batch
	r.now = func() int64 { return clock }
	ticks := 0
	r.SetInFlight(func() int { return ticks%5 + 1 })
	kinds := []string{"send_timeout", "queue_full", "broker:NOT_LEADER_OR_FOLLOWER"}
	reasons := []string{SealLinger, SealLinger, SealLinger, SealSize, SealFlush}
	for i := range 20000 {
		at := ns(time.Duration(i) * 500 * time.Microsecond)
		clock = at
		sent := at + int64(i%50)*10_000
		r.Sent(at, 1000)
		if i%997 == 0 {
			r.Failure(at, sent, at+int64(time.Second), kinds[i%len(kinds)])
			continue
		}
		// 1..5 ms, with a 1-in-500 tail of 50..250 ms.
		lat := int64(time.Millisecond) + int64(i%4000)*1000
		if i%500 == 7 {
			lat *= 50
		}
		r.Success(at, sent, at+lat, 1000)
		if i%16 == 15 {
			n := 16 + i%7 - 3
			r.Batch(n, n*1000+40, n*310+61, reasons[(i/16)%len(reasons)])
		}
		if i%2000 == 1999 {
			ticks++
			r.Tick(t0.Add(time.Duration(i+1) * 500 * time.Microsecond))
		}
	}
	return r.Finish(t0.Add(10 * time.Second))
})

// sampleResult returns a fresh, fully filled Result of sampleSummary.
func sampleResult(t testing.TB) *Result {
	t.Helper()
	res, err := NewResult(sampleSummary())
	if err != nil {
		t.Fatal(err)
	}
	res.Scenario = Scenario{
		Name:        "steady-1k",
		Description: "2000 msg/s of 1 KB records",
		File:        "scenarios/steady-1k.yaml",
		Spec:        json.RawMessage(`{"rate":2000,"size":1000}`),
	}
	res.Options = json.RawMessage(`{"acks":"all","compression":"zstd"}`)
	res.Environment = Environment{
		GitCommit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.26.8",
		NumCPU: 8, GOMAXPROCS: 8, Hostname: "bench-1", OS: "linux", Arch: "amd64", Version: "dev",
	}
	res.TargetRateMsgsPerSec = 2000
	return res
}

// marshalBack returns res encoded by MarshalResult and decoded again.
func marshalBack(t *testing.T, res *Result) Result {
	t.Helper()
	js, err := MarshalResult(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func TestHistogramRoundTrip(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	back := marshalBack(t, res)
	h, err := DecodeHistogram(back.Latency.Histogram)
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != res.Latency.Count || h.TotalCount() != res.Counts.Acked || h.TotalCount() == 0 {
		t.Fatalf("decoded count %d, latency count %d, acked %d", h.TotalCount(), res.Latency.Count, res.Counts.Acked)
	}
	got, err := LatencyFromHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	got.ClampedHigh, got.ClampedNegative = back.Latency.ClampedHigh, back.Latency.ClampedNegative
	got.Histogram = back.Latency.Histogram
	if got != back.Latency || back.Latency != res.Latency {
		t.Errorf("percentiles differ after round trip:\n orig %+v\n json %+v\n decoded %+v", res.Latency, back.Latency, got)
	}
	if res.Latency.P999Ns < 50*res.Latency.P50Ns/2 {
		t.Errorf("p99.9 %d should show the 50x tail over p50 %d", res.Latency.P999Ns, res.Latency.P50Ns)
	}
}

func TestResultFields(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	// 16000 messages intended after the 2 s warmup, 16 of them failed.
	if res.Counts.Sent != 16000 || res.Counts.Failed != 16 || res.Counts.Acked != 16000-16 {
		t.Errorf("counts %+v", res.Counts)
	}
	if res.MeasuredNs != int64(8*time.Second) || res.WarmupNs != int64(2*time.Second) || res.IntervalNs != int64(time.Second) {
		t.Errorf("measured %d warmup %d interval %d", res.MeasuredNs, res.WarmupNs, res.IntervalNs)
	}
	if want := float64(res.Counts.Acked) / 8; res.Throughput.MsgsPerSec != want {
		t.Errorf("msgs/s %v, want %v", res.Throughput.MsgsPerSec, want)
	}
	if want := float64(res.Counts.Acked) * 1000 / 1e6 / 8; math.Abs(res.Throughput.MBPerSec-want) > 1e-9 {
		t.Errorf("MB/s %v, want %v", res.Throughput.MBPerSec, want)
	}
	if len(res.Intervals) != 10 || !res.Intervals[0].Warmup || !res.Intervals[1].Warmup || res.Intervals[2].Warmup {
		t.Errorf("intervals %+v: want 10, the first two in warmup", res.Intervals)
	}

	js, err := MarshalResult(res)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(js, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema_version", "status", "started_at", "ended_at", "scenario", "options",
		"environment", "target_rate_msgs_per_sec", "warmup_ns", "measured_ns", "counts", "throughput",
		"latency", "batches", "intervals"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("result.json lacks %q", key)
		}
	}
	if raw["schema_version"] != float64(SchemaVersion) || raw["status"] != StatusComplete {
		t.Errorf("schema_version %v status %v", raw["schema_version"], raw["status"])
	}
	if s := raw["started_at"].(string); s != "2025-03-04T05:06:07Z" {
		t.Errorf("started_at %q, want RFC 3339 UTC", s)
	}
	if spec := raw["scenario"].(map[string]any)["spec"].(map[string]any); spec["rate"] != float64(2000) {
		t.Errorf("scenario.spec not embedded as JSON: %v", spec)
	}
}

func TestMarshalResultNormalises(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	res := &Result{
		SchemaVersion:        SchemaVersion,
		StartedAt:            time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600)),
		TargetRateMsgsPerSec: nan,
		Throughput:           Throughput{MsgsPerSec: inf, MBPerSec: -inf},
		Batches:              Batches{CompressionRatio: nan, MeanRecordsPerBatch: inf},
		Intervals:            []IntervalRow{{MsgsPerSec: nan, MBPerSec: inf}},
	}
	js, err := MarshalResult(res)
	if err != nil {
		t.Fatalf("non-finite floats must be encoded as 0: %v", err)
	}
	var back Result
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.TargetRateMsgsPerSec != 0 || back.Throughput.MsgsPerSec != 0 || back.Intervals[0].MBPerSec != 0 {
		t.Errorf("non-finite floats not zeroed: %+v", back)
	}
	if !strings.Contains(string(js), `"started_at": "2025-01-02T02:04:05.000000006Z"`) {
		t.Errorf("started_at not RFC 3339 nano UTC:\n%s", js)
	}
	if !strings.Contains(string(js), `"failed_by_kind": {}`) {
		t.Errorf("nil failed_by_kind should encode as {}:\n%s", js)
	}
	if !math.IsNaN(res.TargetRateMsgsPerSec) || res.Intervals[0].MBPerSec != inf {
		t.Errorf("MarshalResult modified its argument")
	}
}

func TestMarshalResultErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  *Result
	}{
		// nothing to encode
		{"nil", nil},
		// options must be valid JSON
		{"bad options", &Result{Options: json.RawMessage(`{"acks":`)}},
		// spec must be valid JSON
		{"bad spec", &Result{Scenario: Scenario{Spec: json.RawMessage(`nope`)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := MarshalResult(tc.res); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestNewBatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                          string
		count, records, uncomp, compr int64
		ratio, mean                   float64
	}{
		// ordinary run
		{"normal", 10, 250, 4000, 1000, 4, 25},
		// no batches at all: zeros, not NaN
		{"empty", 0, 0, 0, 0, 0, 0},
		// no compressed bytes reported: ratio 0, not +Inf
		{"no compressed bytes", 4, 8, 100, 0, 0, 2},
		// negative input (bad stats): zeros
		{"negative", -1, 5, 10, -3, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := NewBatches(tc.count, tc.records, tc.uncomp, tc.compr)
			if b.CompressionRatio != tc.ratio || b.MeanRecordsPerBatch != tc.mean {
				t.Errorf("ratio %v mean %v, want %v %v", b.CompressionRatio, b.MeanRecordsPerBatch, tc.ratio, tc.mean)
			}
			if b.Count != tc.count || b.Records != tc.records || b.UncompressedBytes != tc.uncomp || b.CompressedBytes != tc.compr {
				t.Errorf("counts not kept: %+v", b)
			}
		})
	}
}

// errCase is an input and whether reading it must fail.
type errCase struct {
	name    string
	in      string
	wantErr bool
}

// checkErrCases reads each case's input with read in a parallel subtest
// named by the case: it must fail exactly when the case wants an error,
// and check gets what read returned when it did not fail.
func checkErrCases[T any](t *testing.T, read func(string) (T, error), tests []errCase, check func(t *testing.T, got T)) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := read(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil {
				check(t, got)
			}
		})
	}
}

func TestDecodeHistogram(t *testing.T) {
	t.Parallel()
	checkErrCases(t, DecodeHistogram, []errCase{
		// no histogram: empty, no error
		{"empty string", "", false},
		// not base64
		{"garbage", "!!!not base64!!!", true},
		// base64 of too few bytes
		{"short", "AAAA", true},
		// base64 with a wrong cookie
		{"wrong cookie", "AAAAAAAAAAAAAAAAAAAAAA==", true},
	}, func(t *testing.T, h *hdrhistogram.Histogram) {
		if h.TotalCount() != 0 {
			t.Errorf("count %d, want 0", h.TotalCount())
		}
	})
}

func TestLatencyFromEmptyHistogram(t *testing.T) {
	t.Parallel()
	l, err := LatencyFromHistogram(NewHistogram())
	if err != nil {
		t.Fatal(err)
	}
	if l.Count != 0 || l.P50Ns != 0 || l.MaxNs != 0 || l.MinNs != 0 || l.MeanNs != 0 || l.Histogram == "" {
		t.Errorf("empty histogram gave %+v, want zeros and an encoding", l)
	}
	if h, err := DecodeHistogram(l.Histogram); err != nil || h.TotalCount() != 0 {
		t.Errorf("decode empty: %v, %v", h, err)
	}
	if l, err := LatencyFromHistogram(nil); err != nil || l != (Latency{}) {
		t.Errorf("nil histogram gave %+v, %v", l, err)
	}
}

func TestReadResult(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := sampleResult(t)
	js, err := MarshalResult(res)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.json")
	future := filepath.Join(dir, "future.json")
	broken := filepath.Join(dir, "broken.json")
	for p, b := range map[string][]byte{
		good:   js,
		future: []byte(`{"schema_version": 99}`),
		broken: []byte(`{"schema_version": 1,`),
	} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkErrCases(t, ReadResult, []errCase{
		// written by MarshalResult
		{"good", good, false},
		// a schema this version does not know
		{"future schema", future, true},
		// truncated JSON
		{"broken", broken, true},
		// no such file
		{"missing", filepath.Join(dir, "none.json"), true},
	}, func(t *testing.T, got *Result) {
		if got.Latency != res.Latency || got.Counts.Acked != res.Counts.Acked || !got.StartedAt.Equal(res.StartedAt) {
			t.Errorf("read back a different result")
		}
	})
}

// TestReadResultV1 reads a result.json written by schema version 1 (by the
// previous version of this package): v1 fields intact, v2 fields zero.
func TestReadResultV1(t *testing.T) {
	t.Parallel()
	res, err := ReadResult(filepath.Join("testdata", "result_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.SchemaVersion != 1 || res.Counts.Acked != 15984 || res.Latency.P99Ns != 4968447 || res.Batches.Count != 1200 || len(res.Intervals) != 10 {
		t.Errorf("v1 fields: schema %d acked %d p99 %d batches %d intervals %d", res.SchemaVersion, res.Counts.Acked, res.Latency.P99Ns, res.Batches.Count, len(res.Intervals))
	}
	if res.ServiceTime.Count != 0 || res.ScheduleLag.Histogram != "" || res.Intervals[0].Histograms != nil || res.InFlight.Sampled {
		t.Errorf("v2 fields not zero: %+v %+v", res.ServiceTime, res.Intervals[0])
	}
	if h, err := DecodeHistogram(res.Latency.Histogram); err != nil || h.TotalCount() != 15984 {
		t.Errorf("v1 histogram: %v", err)
	}
	// Written again, it becomes schema 3.
	js, err := MarshalResult(res)
	if err != nil || !strings.Contains(string(js), `"schema_version": 3`) {
		t.Errorf("re-marshalled v1: %v", err)
	}
}

// TestResultV2Fields checks the schema 2 additions filled by NewResult.
func TestResultV2Fields(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	if res.SchemaVersion != 3 {
		t.Errorf("schema %d", res.SchemaVersion)
	}
	if res.ServiceTime.Count != res.Counts.Acked || res.ScheduleLag.Count != res.Counts.Acked+res.Counts.Failed {
		t.Errorf("service count %d lag count %d, want acked %d and acked+failed", res.ServiceTime.Count, res.ScheduleLag.Count, res.Counts.Acked)
	}
	if !(res.ServiceTime.P50Ns < res.Latency.P50Ns) || res.ScheduleLag.MaxNs != 490239 {
		t.Errorf("service p50 %d vs latency p50 %d; lag max %d", res.ServiceTime.P50Ns, res.Latency.P50Ns, res.ScheduleLag.MaxNs)
	}
	if !res.InFlight.Sampled || res.InFlight.Max != 5 {
		t.Errorf("in flight %+v", res.InFlight)
	}
	if res.Batches.Count != 999 || res.Batches.SealedBy[SealLinger] != 600 || res.Batches.RecordsPerBatch.Max != 19 {
		t.Errorf("batches %+v", res.Batches)
	}
	// The Result owns its rows: changing them leaves the Summary alone.
	res.Intervals[0].Histograms.Latency = "x"
	res.Intervals[0].SealedBy[SealLinger] = -1
	if s := sampleSummary(); s.Intervals[0].Histograms.Latency == "x" || s.Intervals[0].SealedBy[SealLinger] == -1 {
		t.Error("NewResult shares interval data with the Summary")
	}
}

func TestCollectEnvironment(t *testing.T) {
	t.Parallel()
	e := CollectEnvironment()
	if !regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64}|unknown)$`).MatchString(e.GitCommit) {
		t.Errorf("git commit %q: want a hash or unknown", e.GitCommit)
	}
	if e.GoVersion == "" || e.NumCPU < 1 || e.GOMAXPROCS < 1 || e.Hostname == "" || e.OS == "" || e.Arch == "" || e.Version == "" {
		t.Errorf("incomplete environment %+v", e)
	}
}
