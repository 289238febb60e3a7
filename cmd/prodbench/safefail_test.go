package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/prodbench/prodbench/report"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// prodbenchBinary builds the prodbench binary once for the tests that run
// it as a child process (signals, memory limits).
func prodbenchBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "prodbench-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "prodbench")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("building prodbench: %v", binErr)
	}
	return binPath
}

// TestSignals interrupts a run on a frozen broker: the first signal stops
// the schedule and drains, the second fails the messages in flight and
// writes the result at once (without waiting the 30 s drain). SIGINT exits
// 130, SIGTERM 143, and result.json says interrupted.
func TestSignals(t *testing.T) {
	bin := prodbenchBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{
		{syscall.SIGINT, 130},
		{syscall.SIGTERM, 143},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(bin, "run", "testdata/safefail/frozen.yaml", "--out", out, "--drain-timeout", "10m")
			cmd.Stdout = io.Discard
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var log bytes.Buffer
			sc := bufio.NewScanner(stderr)
			waitFor := func(substr string) {
				t.Helper()
				for sc.Scan() {
					log.WriteString(sc.Text() + "\n")
					if strings.Contains(sc.Text(), substr) {
						return
					}
				}
				t.Fatalf("no %q on stderr:\n%s", substr, log.String())
			}
			waitFor("msg/s") // the first live line: 1 s in, the broker freezes
			_ = cmd.Process.Signal(tc.sig)
			waitFor("waiting up to 10m0s")
			_ = cmd.Process.Signal(tc.sig)
			rest, _ := io.ReadAll(stderr)
			log.Write(rest)
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit %v, want %d; stderr:\n%s", err, tc.code, log.String())
			}
			if !strings.Contains(log.String(), "interrupted again") {
				t.Errorf("no second-interrupt line:\n%s", log.String())
			}
			b := mustRead(t, filepath.Join(out, "result.json"))
			var res struct{ Status string }
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatal(err)
			}
			if res.Status != "interrupted" {
				t.Errorf("status %q, want interrupted", res.Status)
			}
		})
	}
}

// TestBadInputUnderMemoryLimit runs validate and run on inputs that once
// exhausted memory (a /dev/zero payload, 2^31-1 partitions) in a child
// under a 4 GB address-space limit: each must fail with exit 2 and one
// clear line naming the file:line:field, never "fatal error".
func TestBadInputUnderMemoryLimit(t *testing.T) {
	bin := prodbenchBinary(t)
	base := mustRead(t, "testdata/safefail/frozen.yaml")
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(filepath.Join(dir, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	_ = big.Truncate(100 << 20) // sparse: 100 MiB, over the 64 MiB limit
	big.Close()
	for _, tc := range []struct {
		name, from, to, want string
	}{
		// a device never ends: refused before reading
		{"dev-zero", "  size: 100", "  payload: {kind: file, file: /dev/zero}", "x.yaml:13: message.payload.file: /dev/zero is not a regular file (a character device)"},
		// a FIFO would block: refused
		{"fifo", "  size: 100", "  payload: {kind: file, file: fifo}", "x.yaml:13: message.payload.file: " + filepath.Join(dir, "fifo") + " is not a regular file (a FIFO)"},
		// a directory is not a payload file
		{"dir", "  size: 100", "  payload: {kind: file, file: .}", "is a directory"},
		// over the size limit, named with its resolved path
		{"big", "  size: 100", "  payload: {kind: file, file: big.bin}", "x.yaml:13: message.payload.file: " + filepath.Join(dir, "big.bin") + " is 100MiB, larger than the 64MiB payload file limit"},
		// the partition count sizes memory: capped
		{"partitions", "partitions: 2", "partitions: 2147483647", "x.yaml:8: topics[0].partitions: must be at most 100000, got 2147483647"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "x.yaml")
			if err := os.WriteFile(file, []byte(strings.Replace(string(base), tc.from, tc.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, sub := range []string{"validate", "run"} {
				cmd := exec.Command("bash", "-c", `ulimit -v 4000000; exec "$0" "$@"`, bin, sub, file, "--out", filepath.Join(dir, "out"))
				if sub == "validate" {
					cmd.Args = cmd.Args[:len(cmd.Args)-2]
				}
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 2 {
					t.Fatalf("%s: exit %v, want 2; output:\n%s", sub, err, out)
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if len(lines) != 1 || !strings.Contains(lines[0], tc.want) || strings.Contains(string(out), "fatal error") {
					t.Errorf("%s: output\n%s\nwant one line containing %q", sub, out, tc.want)
				}
			}
		})
	}
}

// TestOutDirNotWritable: an --out that cannot be created fails before the
// run starts, with exit 2 and one line naming it.
func TestOutDirNotWritable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(file, "out") // a path under a regular file
	code, _, stderr := cli(context.Background(), "run", "testdata/short.yaml", "--out", out)
	if code != exitUsage || !strings.HasPrefix(stderr, "prodbench: run: --out: ") || !strings.Contains(stderr, out) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want exit 2 and one line naming %s", code, stderr, out)
	}
}

// TestResultWriteFallback: when the result directory cannot be written at
// the end, the summary is still printed, the result goes to a fallback
// directory under os.TempDir() that the error names, and the run exits 1.
// Not parallel: it replaces writeResult.
func TestResultWriteFallback(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	out := filepath.Join(t.TempDir(), "out")
	saved := writeResult
	t.Cleanup(func() { writeResult = saved })
	writeResult = func(dir string, res *report.Result) error {
		if dir == out {
			return errors.New("disk full")
		}
		return saved(dir, res)
	}
	code, stdout, stderr := cli(context.Background(), "run", "testdata/short.yaml", "--out", out)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "short") {
		t.Errorf("no summary on stdout: %q", stdout)
	}
	matches, _ := filepath.Glob(filepath.Join(tmp, "prodbench-results", "out-*", report.ResultFile))
	if len(matches) != 1 {
		t.Fatalf("fallback results %v; stderr:\n%s", matches, stderr)
	}
	if fb := filepath.Dir(matches[0]); !strings.Contains(stderr, "disk full; wrote them to "+fb) {
		t.Errorf("stderr does not name the fallback %s:\n%s", fb, stderr)
	}
}
