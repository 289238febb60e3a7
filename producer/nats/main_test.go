package nats

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain doubles as a NATS server process: with PRODBENCH_NATS_SERVE
// set, the test binary runs the embedded server alone, prints its URL and
// stops when its stdin closes. Benchmarks use it to keep the server's
// allocations and CPU out of the client's figures.
func TestMain(m *testing.M) {
	if os.Getenv("PRODBENCH_NATS_SERVE") != "" {
		emb, err := StartEmbedded(EmbeddedOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(emb.URL())
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = emb.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serverProcess starts the test binary as a server process and returns
// its URL.
func serverProcess(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PRODBENCH_NATS_SERVE=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("server process: %v", err)
	}
	return strings.TrimSpace(line)
}
