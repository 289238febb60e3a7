package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"
)

// ombTestResultFields returns the fields of OMB's TestResult.java
// (benchmark-framework/src/main/java/io/openmessaging/benchmark), copied
// by hand into testdata/omb_testresult_fields.json with their Java types:
// "list<double>", "list<long>", "double", "long", "int", "string",
// "map<double,double>", "map<double,long>".
func ombTestResultFields(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "omb_testresult_fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]string
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	return fields
}

// ombRun records 25 s at 1 s intervals after a 5 s warmup: in second k,
// 100 messages each with service time (k+1) ms and schedule lag 200 µs;
// one failure per second.
func ombRun(t *testing.T) *Result {
	t.Helper()
	t0 := time.Unix(1_700_000_000, 0)
	r := NewRecorder(t0, 5*time.Second, time.Second)
	for sec := range 30 {
		base := t0.Add(time.Duration(sec) * time.Second).UnixNano()
		for i := range 100 {
			at := base + int64(i)*int64(time.Millisecond)
			sent := at + 200_000
			r.Success(at, sent, sent+int64(sec+1)*int64(time.Millisecond), 1000)
		}
		r.Failure(base+500, base+600, base+700, "send_timeout")
		r.Tick(t0.Add(time.Duration(sec+1) * time.Second))
	}
	res, err := NewResult(r.Finish(t0.Add(30 * time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	res.Scenario.Name = "w"
	res.Scenario.Spec = json.RawMessage(`{"description":"OMB workload w.yaml: 1 topic / 16 partitions / 1kb","workers":4,"topics":[{"name":"a","partitions":16},{"name":"b","partitions":16}],"message":{"size":"1KiB"}}`)
	res.Options = json.RawMessage(`{"engine":"native"}`)
	return res
}

// TestOMBResultSchema checks the OMB JSON against TestResult.java: every
// field present, with its Java type, and nothing else (OMB's
// ObjectMapper fails on unknown properties).
func TestOMBResultSchema(t *testing.T) {
	var b bytes.Buffer
	if err := WriteOMB(&b, ombRun(t)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	fields := ombTestResultFields(t)
	for k := range doc {
		if _, ok := fields[k]; !ok {
			t.Errorf("field %s is not in OMB's TestResult", k)
		}
	}
	for k, typ := range fields {
		raw, ok := doc[k]
		if !ok {
			t.Errorf("field %s missing", k)
			continue
		}
		if err := checkJavaType(raw, typ); err != nil {
			t.Errorf("%s (%s): %v: %s", k, typ, err, raw)
		}
	}
}

// checkJavaType checks that raw decodes as Jackson would decode typ.
func checkJavaType(raw json.RawMessage, typ string) error {
	whole := func(x float64) error {
		if x != math.Trunc(x) {
			return strconv.ErrSyntax
		}
		return nil
	}
	switch typ {
	case "string":
		var s string
		return json.Unmarshal(raw, &s)
	case "int", "long":
		var x float64
		if err := json.Unmarshal(raw, &x); err != nil {
			return err
		}
		return whole(x)
	case "double":
		var x float64
		return json.Unmarshal(raw, &x)
	case "list<double>", "list<long>":
		var xs []float64
		if err := json.Unmarshal(raw, &xs); err != nil {
			return err
		}
		if xs == nil {
			return strconv.ErrSyntax
		}
		if typ == "list<long>" {
			for _, x := range xs {
				if err := whole(x); err != nil {
					return err
				}
			}
		}
	case "map<double,double>", "map<double,long>":
		var m map[string]float64
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		for k, v := range m {
			if _, err := strconv.ParseFloat(k, 64); err != nil {
				return err
			}
			if typ == "map<double,long>" {
				if err := whole(v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// TestOMBResultValues checks the figures: 10 s periods after warmup,
// rates, service time as publish latency (ms), schedule lag as publish
// delay (µs), and the header from the scenario.
func TestOMBResultValues(t *testing.T) {
	o, err := OMBFromResult(ombRun(t))
	if err != nil {
		t.Fatal(err)
	}
	if o.Workload != "1 topic / 16 partitions / 1kb" || o.Driver != "prodbench native" || o.Topics != 2 ||
		o.Partitions != 16 || o.ProducersPerTopic != 2 || o.MessageSize != 1024 {
		t.Errorf("header %+v", o)
	}
	// 25 measured seconds: periods of 10, 10 and 5 s.
	if len(o.PublishRate) != 3 {
		t.Fatalf("%d periods, want 3", len(o.PublishRate))
	}
	for i, r := range o.PublishRate {
		if math.Abs(r-100) > 1e-9 || math.Abs(o.PublishErrorRate[i]-1) > 1e-9 {
			t.Errorf("period %d: publish rate %v, error rate %v; want 100 and 1", i, r, o.PublishErrorRate[i])
		}
	}
	// Period 0 covers seconds 5-14: service times 6..15 ms.
	if p50 := o.PublishLatency50pct[0]; p50 < 10 || p50 > 10.1 {
		t.Errorf("period 0 p50 %v ms, want 10", p50)
	}
	if mx := o.PublishLatencyMax[0]; mx < 15 || mx > 15.1 {
		t.Errorf("period 0 max %v ms, want 15", mx)
	}
	if d := o.PublishDelayLatency99pct[1]; d != 200 {
		t.Errorf("period 1 delay p99 %d µs, want 200", d)
	}
	if m := o.AggregatedPublishLatencyMax; m < 30 || m > 30.1 {
		t.Errorf("aggregated max %v ms, want 30", m)
	}
	if p := o.AggregatedPublishDelayLatency50pct; p != 200 {
		t.Errorf("aggregated delay p50 %d µs, want 200", p)
	}
	if v, ok := o.AggregatedPublishLatencyQuantiles["100.0"]; !ok || v < 30 || v > 30.1 {
		t.Errorf("quantile 100.0 = %v (%v)", v, ok)
	}
	keys := make([]float64, 0, len(o.AggregatedPublishLatencyQuantiles))
	for k := range o.AggregatedPublishLatencyQuantiles {
		f, _ := strconv.ParseFloat(k, 64)
		keys = append(keys, f)
	}
	sort.Float64s(keys)
	prev := -1.0
	for _, k := range keys {
		v := o.AggregatedPublishLatencyQuantiles[javaDouble(k)]
		if v < prev {
			t.Errorf("quantiles not monotonic at %v", k)
		}
		prev = v
	}
	if !reflect.DeepEqual(o.ConsumeRate, []float64{0, 0, 0}) || len(o.EndToEndLatency95pct) != 3 {
		t.Errorf("consumer lists %v %v", o.ConsumeRate, o.EndToEndLatency95pct)
	}
}

func TestJavaDouble(t *testing.T) {
	for x, want := range map[float64]string{0: "0.0", 50: "50.0", 99.9: "99.9", 100: "100.0", 0.0001: "1.0E-4", 99.90234375: "99.90234375"} {
		if got := javaDouble(x); got != want {
			t.Errorf("javaDouble(%v) = %s, want %s", x, got, want)
		}
	}
}

func TestOMBNeedsHistograms(t *testing.T) {
	res := ombRun(t)
	for i := range res.Intervals {
		res.Intervals[i].Histograms = nil
	}
	if _, err := OMBFromResult(res); err == nil {
		t.Error("no error without interval histograms")
	}
}
