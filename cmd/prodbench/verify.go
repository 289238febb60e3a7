package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload"
	"github.com/prodbench/prodbench/workload/verify"
)

// readBackTimeout bounds the read back after a run or in `prodbench
// verify`.
const readBackTimeout = 5 * time.Minute

const verifyUsage = `Usage: prodbench verify DIR [flags]

Re-checks the delivery of a finished 'run --verify' whose result is in DIR:
reads the run's topics back from its target (the scenario's target, or
--target) and compares them with the outcomes the run recorded in
DIR/verify.bin. Prints the verification; exits 1 when an acked record is
lost or a record is corrupted, 2 on bad input. A run on an embedded broker
cannot be re-checked: the broker ended with the run.

Flags:
%s
Examples:
  prodbench verify results/quickstart-20261205T030000Z
  prodbench verify results/q --target kafka://10.0.0.1:9092
`

func init() {
	register(command{name: "verify", summary: "re-check a 'run --verify' result against its target", run: cmdVerify})
}

// newRunID returns a random non-zero run ID for message stamps.
func newRunID() uint64 {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:])
		if id := binary.BigEndian.Uint64(b[:]); id != 0 {
			return id
		}
	}
}

// verifySupported returns an error when o cannot read back (a usage
// error: verification is not supported for the kind).
func verifySupported(s *workload.Scenario, o *registry.Opened) error {
	if o.ReadBack != nil {
		return nil
	}
	kind := "this target"
	if sys, _, err := s.TargetSystem(); err == nil {
		kind = sys.Kind
	}
	return fmt.Errorf("--verify: verify not supported for %s (it cannot read its topics back)", kind)
}

// checkDelivery reads the outcomes' topics back through o and returns the
// verification block; a failed read back is recorded in its Error.
func checkDelivery(ctx context.Context, o *registry.Opened, vo *verify.Outcomes) *report.Verify {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	c := verify.NewChecker(vo)
	err := o.ReadBack(ctx, vo.Topics, func(r *registry.ReadRecord) error {
		c.Add(r.Topic, r.Partition, r.Key, r.Headers, r.Value)
		return nil
	})
	r := c.Result()
	v := &report.Verify{RunID: fmt.Sprintf("%016x", r.Run), Total: report.VerifyCounts(r.Total), Tracked: r.Tracked,
		Untracked: r.Untracked, Foreign: r.Foreign, Unstamped: r.Unstamped}
	for _, p := range r.Partitions {
		v.Partitions = append(v.Partitions, report.VerifyCounts(p))
	}
	if err != nil {
		v.Error = err.Error()
	}
	return v
}

// writeOutcomes writes vo to dir/verify.bin (atomically enough: a temp
// file renamed).
func writeOutcomes(dir string, vo *verify.Outcomes) error {
	var buf bytes.Buffer
	if _, err := vo.WriteTo(&buf); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+verify.FileName+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, verify.FileName))
}

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := newFlagSet("verify")
	fs.StringVar(&f.target, "target", "", "target system URL to read back from (default: the run's scenario target)")
	fs.StringVar(&f.brokers, "brokers", "", "Kafka bootstrap brokers host:port,... (shorthand for --target kafka://...)")
	if code, done := parseFlags(fs, args, verifyUsage, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		return fail(stderr, exitUsage, "verify: want exactly one result directory, got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	res, err := report.Load(dir)
	if err != nil {
		return fail(stderr, exitUsage, "verify: %v", err)
	}
	fh, err := os.Open(filepath.Join(dir, verify.FileName))
	if err != nil {
		return fail(stderr, exitUsage, "verify: %v (was the run made with --verify?)", err)
	}
	vo, err := verify.ReadOutcomes(fh)
	fh.Close()
	if err != nil {
		return fail(stderr, exitUsage, "verify: %s: %v", filepath.Join(dir, verify.FileName), err)
	}
	if len(res.Scenario.Spec) == 0 {
		return fail(stderr, exitUsage, "verify: %s holds no scenario", filepath.Join(dir, report.ResultFile))
	}
	s, err := workload.Parse(filepath.Join(dir, report.ResultFile)+" (scenario)", res.Scenario.Spec)
	if err != nil {
		return fail(stderr, exitUsage, "verify: %v", err)
	}
	if err := applyTargetURL(s, fs, &f); err != nil {
		return fail(stderr, exitUsage, "verify: %v", err)
	}
	if !fs.Changed("target") && !fs.Changed("brokers") && strings.HasPrefix(targetOf(res), "embedded ") {
		return fail(stderr, exitUsage, "verify: the run's target was an embedded broker (%s), gone with the run: give --target, or verify during the run with run --verify", targetOf(res))
	}
	cfg, err := s.ProducerConfig()
	if err != nil {
		return fail(stderr, exitUsage, "verify: %v", err)
	}
	cfg.AutoCreateTopics = false
	openCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	o, err := openEngine(openCtx, s, cfg, &f, stderr)
	cancel()
	if err != nil {
		return fail(stderr, openExit(err), "verify: %v", err)
	}
	defer release(o)
	_ = closeWithin(o.Engine, time.Second)
	if err := verifySupported(s, o); err != nil {
		return fail(stderr, exitUsage, "verify: %v", err)
	}
	v := checkDelivery(ctx, o, vo)
	fmt.Fprintf(stdout, "run %s, target %s\n", v.RunID, o.Target)
	res.Verify = v
	res.Status, res.StatusReason = report.Judge(res)
	fmt.Fprintln(stdout, verifyText(v))
	if res.Status == report.StatusFailed {
		fmt.Fprintf(stderr, "prodbench: %s\n", report.StatusLine(res))
		return exitFailure
	}
	return exitOK
}

// verifyText is the verification as the summary prints it.
func verifyText(v *report.Verify) string {
	var b strings.Builder
	t := v.Total
	fmt.Fprintf(&b, "verify: whole run: read back %d of %d acked: lost %d, duplicated %d, reordered %d, corrupted %d; failed %d, of which present %d",
		t.ReadBack, t.Acked, t.Lost, t.Duplicated, t.Reordered, t.Corrupted, t.Failed, t.FailedPresent)
	if v.Error != "" {
		fmt.Fprintf(&b, "\nREAD BACK FAILED: %s", v.Error)
	}
	for _, c := range v.Partitions {
		fmt.Fprintf(&b, "\n  %s/%d: acked %d, read back %d, lost %d, duplicated %d, reordered %d, corrupted %d, failed-but-present %d",
			c.Topic, c.Partition, c.Acked, c.ReadBack, c.Lost, c.Duplicated, c.Reordered, c.Corrupted, c.FailedPresent)
	}
	return b.String()
}
