package workload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParseProperties checks that ParseProperties (--producer-config
// files) never panics and never echoes its input in an error (a value may
// be a secret).
func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"", "# comment\nbootstrap.servers = PLAINTEXT://h1:9092\nacks: all\nlinger.ms 5\n",
		"a=b\\\n  c\n", "sasl.jaas.config=secret\\", "=\n:\n \\u12", "k=${x}\n", "!c\nk\n",
	} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, text string, first int) {
		if _, err := ParseProperties(text, first); err != nil && len(text) > 8 && strings.Contains(err.Error(), text) {
			t.Fatalf("error %q echoes the input", err)
		}
	})
}

// FuzzParseOMB feeds OpenMessaging Benchmark workload files (recognised by
// Parse) to Parse: no panic, no hang, and every error names fuzz.yaml and
// a line.
func FuzzParseOMB(f *testing.F) {
	files, _ := filepath.Glob("testdata/omb/workloads/*.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\ntopics: 1\npartitionsPerTopic: 2147483647\nmessageSize: 1\nproducerRate: 1\ntestDurationMinutes: 1\n"))
	f.Add([]byte("name: x\ntopics: 100000000\npartitionsPerTopic: 1\nmessageSize: 1\nproducerRate: 1\ntestDurationMinutes: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		timer := time.AfterFunc(10*time.Second, func() { panic("Parse hung on " + string(data)) })
		defer timer.Stop()
		go func() {
			defer close(done)
			s, err := Parse("fuzz.yaml", data)
			if err != nil {
				if !errRE.MatchString(err.Error()) && !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
					t.Errorf("error %q does not name fuzz.yaml", err)
				}
				return
			}
			if err := s.Validate(); err != nil {
				t.Errorf("accepted scenario fails Validate: %v", err)
			}
		}()
		<-done
	})
}
