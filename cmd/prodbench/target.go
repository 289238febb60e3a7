package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
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
// the registry; cmd names no system.
func openEngine(ctx context.Context, s *workload.Scenario, cfg producer.Config, f *runFlags, log io.Writer) (*registry.Opened, error) {
	sys, tcfg, err := s.TargetSystem()
	if err != nil {
		return nil, &openError{err: err, usage: true}
	}
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
