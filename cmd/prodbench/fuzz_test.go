package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/report"
)

// FuzzApplyURL feeds --target URLs to every registered system's ApplyURL:
// no panic, and no error echoes a URL's password.
func FuzzApplyURL(f *testing.F) {
	for _, u := range []string{
		"kafka://h1:9092,h2:9092", "kafka://user:s3cretpw@h:9092?sasl=plain&tls=true",
		"nats://h:4222", "pulsar://h:6650", "pulsar+ssl://h:6651", "ws://h:8080/ws", "wss://x:y@h/%zz",
		"sim://?brokers=3&latency=1ms", "nats://user:s3cretpw@h:bad", "pulsar://user:s3cretpw@h:x",
		"ws://user:s3cretpw@h:99999", "sim://user:s3cretpw@h", "kafka://[::1", "kafka://h:99999999999999999999",
	} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, k := range registry.Kinds() {
			sys, _ := registry.Lookup(k)
			if sys.ApplyURL == nil {
				continue
			}
			own := false
			for _, sc := range sys.Schemes {
				own = own || strings.HasPrefix(raw, sc+"://")
			}
			err := sys.ApplyURL(sys.NewConfig(), raw)
			if own && err != nil && strings.Contains(err.Error(), ":s3cretpw@") {
				t.Fatalf("%s: error %q shows the password", k, err)
			}
		}
	})
}

// FuzzMergeLog feeds shard logs (what `prodbench merge -` reads from
// kubectl logs, or a log file) to resultsInLog and the results it finds to
// report.MergeWith: no panic, no hang, and every parse error names the
// input ("fuzz.log") and a line. Seeded with two real shard results, as
// --emit-result prints them (one with a kubectl prefix), and broken frames.
func FuzzMergeLog(f *testing.F) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var log bytes.Buffer
	for i := range 2 {
		rec := report.NewRecorder(start, 0, time.Second)
		for j := range 100 {
			at := start.Add(time.Duration(j) * time.Millisecond).UnixNano()
			rec.Sent(at, 100)
			rec.Success(at, at, at+int64(j+1)*1000, 100)
		}
		res, err := report.NewResult(rec.Finish(start.Add(time.Second)))
		if err != nil {
			f.Fatal(err)
		}
		res.Scenario = report.Scenario{Name: "fuzz"}
		res.Shard = &report.Shard{Index: i, Count: 2, StartedAt: start}
		if i == 1 {
			log.WriteString("[pod/prodbench-1] ")
		}
		if err := emitResult(&log, res); err != nil {
			f.Fatal(err)
		}
	}
	if rs, err := resultsInLog("seed", log.Bytes()); err != nil || len(rs) != 2 {
		f.Fatalf("the seed log gives %d results, %v; want 2", len(rs), err)
	}
	f.Add(log.Bytes())
	f.Add([]byte(resultBegin + "\n{}\n" + resultEnd + "\n"))
	f.Add([]byte(resultBegin + "\n{\"schema_version\":99}\n" + resultEnd + "\n" + resultBegin + "\n"))
	f.Add([]byte("noise\n" + resultBegin + "\n[1,2]\n" + resultEnd))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := resultsInLog("fuzz.log", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.log") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		if m, err := report.MergeWith(report.MergeOptions{AllowMissing: true}, rs...); err == nil {
			report.Finalize(m)
		}
	})
}
