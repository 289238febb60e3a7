package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload"
)

// openError is an error opening the engine; usage says it is the input's
// fault (exit 2), not the environment's (exit 1).
type openError struct {
	err   error
	usage bool
}

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// openExit is the exit code of a command whose openEngine returned err:
// exitUsage for an openError of the input's fault, else exitFailure.
func openExit(err error) int {
	var oe *openError
	if errors.As(err, &oe) && oe.usage {
		return exitUsage
	}
	return exitFailure
}

// addTargetFlags registers the target flags run, sweep and capacity
// share; each is the file's choice made on the command line. what names
// the unit that gets its own embedded stand-in ("run", "point", "step").
func addTargetFlags(fs *pflag.FlagSet, f *runFlags, what string) {
	fs.StringVar(&f.target, "target", "", "target system URL, by scheme: kafka://h1:9092,h2:9092, sim:// (see 'prodbench help systems'; default: the scenario's target, else an embedded stand-in per "+what+")")
	fs.StringVar(&f.brokers, "brokers", "", "Kafka bootstrap brokers host:port,... (shorthand for --target kafka://...)")
	fs.BoolVar(&f.retain, "retain", false, "embedded stand-in keeps produced data (default: discard it)")
	fs.DurationVar(&f.drain, "drain-timeout", 30*time.Second, "after sending, how long each "+what+" waits for messages in flight before failing them")
	addClientFlags(fs) // kafkaflags.go
}

// targetURL returns the --target URL the flags ask for, "" for none. An
// empty --brokers (an unset variable in CI) or one with a bad entry is an
// error naming it, never a silent run on the embedded broker.
func targetURL(fs *pflag.FlagSet, f *runFlags) (string, error) {
	switch {
	case fs.Changed("target") && fs.Changed("brokers"):
		return "", fmt.Errorf("--target and --brokers both given: use one")
	case fs.Changed("brokers"):
		if f.brokers == "" {
			return "", fmt.Errorf("--brokers is empty (omit it for the embedded broker)")
		}
		return "kafka://" + f.brokers, nil
	case fs.Changed("target"):
		if f.target == "" {
			return "", fmt.Errorf("--target is empty (omit it for the scenario's target)")
		}
		return f.target, nil
	}
	return "", nil
}

// applyTarget makes the --target/--brokers URL, if any, s's target, then
// applies the client-property flags (kafkaflags.go).
func applyTarget(s *workload.Scenario, fs *pflag.FlagSet, f *runFlags) error {
	if err := applyTargetURL(s, fs, f); err != nil {
		return err
	}
	u, _ := targetURL(fs, f)
	return applyClientFlags(s, fs, u)
}

// applyTargetURL makes the --target/--brokers URL, if any, s's target.
func applyTargetURL(s *workload.Scenario, fs *pflag.FlagSet, f *runFlags) error {
	u, err := targetURL(fs, f)
	if err != nil || u == "" {
		return err
	}
	if fs.Changed("brokers") && s.Target != nil && s.Target.Kind != "" && s.Target.Kind != "kafka" {
		return fmt.Errorf("--brokers does not apply to %s, whose target is kind %s (--brokers is the Kafka shorthand; use --target)", s.File, s.Target.Kind)
	}
	if err := s.SetTargetURL(u); err != nil {
		flag := "--target"
		if fs.Changed("brokers") {
			flag = "--brokers"
		}
		return fmt.Errorf("%s: %v", flag, err)
	}
	return nil
}

// openEngine opens the scenario's target system and its engine through
// the registry; cmd names no system. With producers: N > 1 it opens N
// engines (see openProducers) behind one *producerSet.
func openEngine(ctx context.Context, s *workload.Scenario, cfg producer.Config, f *runFlags, log io.Writer) (*registry.Opened, error) {
	sys, tcfg, err := s.TargetSystem()
	if err != nil {
		return nil, &openError{err: err, usage: true}
	}
	if n := s.ProducerCount(); n > 1 {
		return openProducers(ctx, s, sys, tcfg, cfg, f, log, n)
	}
	return openOne(ctx, s, sys, tcfg, cfg, f, log)
}

// openOne opens one engine of sys with target block tcfg.
func openOne(ctx context.Context, s *workload.Scenario, sys *registry.System, tcfg any, cfg producer.Config, f *runFlags, log io.Writer) (*registry.Opened, error) {
	topics := make([]registry.Topic, len(s.Topics))
	for i, t := range s.Topics {
		topics[i] = registry.Topic{Name: t.Name, Partitions: t.Partitions}
	}
	o, err := sys.Open(ctx, registry.OpenOptions{
		Config: tcfg, Engine: s.Engine, Producer: cfg, Topics: topics, Seed: s.Seed,
		Retain: f.retain, ProduceDelay: f.produceDelay, Log: log,
	})
	if err != nil {
		return nil, &openError{err: err, usage: errors.Is(err, registry.ErrUsage)}
	}
	if o.EngineName == "" {
		o.EngineName = s.Engine
	}
	return o, nil
}

// release closes what o runs on.
func release(o *registry.Opened) {
	if o.Release != nil {
		o.Release()
	}
}

// closeWithin closes e, failing what is still in flight after d.
func closeWithin(e registry.Engine, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return e.Close(ctx)
}

// openProducers opens n independent engines of sys (producers: n), each
// with its own connections, buffers and producer ID, and returns them as
// one Opened whose Engine is a *producerSet. An embedded stand-in is
// started once, by the first engine: when its Target reads "embedded
// KIND ADDR", the others are pointed at KIND://ADDR. With a
// transactional ID, producer i > 0 uses ID-i (equal IDs would fence
// each other).
func openProducers(ctx context.Context, s *workload.Scenario, sys *registry.System, tcfg any, cfg producer.Config, f *runFlags, log io.Writer, n int) (*registry.Opened, error) {
	first, err := openOne(ctx, s, sys, tcfg, cfg, f, log)
	if err != nil {
		return nil, err
	}
	set := &producerSet{parts: []*registry.Opened{first}}
	rest := tcfg
	if first.Reach != "" && sys.ApplyURL != nil {
		// The others join the first's embedded stand-in.
		if c := shallowCopy(tcfg); c != nil && sys.ApplyURL(c, first.Reach) == nil {
			rest = c
		}
	}
	txn := cfg.TransactionalID
	for i := 1; i < n; i++ {
		pc := cfg
		if txn != "" {
			pc.TransactionalID = txn + "-" + strconv.Itoa(i)
		}
		o, err := openOne(ctx, s, sys, rest, pc, f, io.Discard) // warnings were said once, by the first
		if err != nil {
			set.release()
			return nil, fmt.Errorf("producer %d of %d: %w", i+1, n, err)
		}
		set.parts = append(set.parts, o)
	}
	out := *first
	out.Engine = set
	out.Release = set.release
	out.Start = set.start
	if first.InFlight != nil {
		out.InFlight = set.inFlight
	}
	if first.ReadBack != nil {
		out.ReadBack = set.readBack
	}
	return &out, nil
}

// shallowCopy returns a copy of *p for a pointer to a struct, else nil.
func shallowCopy(p any) any {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	return c.Interface()
}

// producerSet is several engines opened for one run (producers: N). It
// is a registry.Engine for what run does with the whole (Flush, Close,
// Stats summed); the workers send through the parts (senders).
type producerSet struct {
	parts []*registry.Opened
}

// Send sends through the first producer; the workload engine sends
// through each part directly (senders).
func (p *producerSet) Send(ctx context.Context, r *producer.Record, cb func(producer.Ack, error)) {
	p.parts[0].Engine.Send(ctx, r, cb)
}

// Flush flushes every producer in turn.
func (p *producerSet) Flush(ctx context.Context) error {
	var errs []error
	for _, o := range p.parts {
		errs = append(errs, o.Engine.Flush(ctx))
	}
	return errors.Join(errs...)
}

// Close closes every producer at once, each failing what is still
// pending when ctx ends.
func (p *producerSet) Close(ctx context.Context) error {
	errs := make([]error, len(p.parts))
	done := make(chan struct{})
	for i, o := range p.parts {
		go func() {
			errs[i] = o.Engine.Close(ctx)
			done <- struct{}{}
		}()
	}
	for range p.parts {
		<-done
	}
	return errors.Join(errs...)
}

// Stats sums the producers' counters.
func (p *producerSet) Stats() producer.Stats {
	var t producer.Stats
	for _, o := range p.parts {
		t = t.Add(o.Engine.Stats())
	}
	return t
}

// release releases the producers, the first (which may run the
// stand-in) last.
func (p *producerSet) release() {
	for i := len(p.parts) - 1; i >= 0; i-- {
		release(p.parts[i])
	}
}

// start calls every producer's Start.
func (p *producerSet) start() {
	for _, o := range p.parts {
		if o.Start != nil {
			o.Start()
		}
	}
}

// readBack reads back through the first producer, then through each
// other producer that runs an embedded stand-in of its own (the Pulsar,
// Pulsar WebSocket and Macrometa stand-ins start one per producer):
// producers pointed at the first's embedded broker are not read twice.
func (p *producerSet) readBack(ctx context.Context, topics []string, fn func(*registry.ReadRecord) error) error {
	for i, o := range p.parts {
		if o.ReadBack == nil || i > 0 && !strings.HasPrefix(o.Target, "embedded ") {
			continue
		}
		if err := o.ReadBack(ctx, topics, fn); err != nil {
			return err
		}
	}
	return nil
}

// inFlight sums the producers' requests in flight.
func (p *producerSet) inFlight() int {
	n := 0
	for _, o := range p.parts {
		if o.InFlight != nil {
			n += o.InFlight()
		}
	}
	return n
}

// senders returns what the workers send through: each producer of a
// set, else o's engine.
func senders(o *registry.Opened) []workload.Sender {
	if p, ok := o.Engine.(*producerSet); ok {
		out := make([]workload.Sender, len(p.parts))
		for i, part := range p.parts {
			out[i] = part.Engine
		}
		return out
	}
	return []workload.Sender{o.Engine}
}

// producerResults is the per-producer block of result.json for a run
// of several producers (nil for one): the workload's counts (warmup
// included) and each producer's retries and batches.
func producerResults(o *registry.Opened, counts []workload.ProducerCounts) []report.ProducerResult {
	p, ok := o.Engine.(*producerSet)
	if !ok || len(counts) != len(p.parts) {
		return nil
	}
	out := make([]report.ProducerResult, len(p.parts))
	for i, part := range p.parts {
		st := part.Engine.Stats()
		out[i] = report.ProducerResult{Index: i, Sent: counts[i].Sent.Load(), Acked: counts[i].Acked.Load(),
			Failed: counts[i].Failed.Load(), Retries: st.Retries, Batches: st.Batches}
	}
	return out
}
