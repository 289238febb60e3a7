package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/prodbench/prodbench/producer/registry"
)

const brokerUsage = `Usage: prodbench broker [flags]

Runs a target system's embedded in-process stand-in until interrupted, so
that other tools and clients can produce to it: for kind kafka (the
default) franz-go's kfake broker, which creates topics on first use with
--partitions partitions. Every registered kind with a stand-in is listed
by 'prodbench help systems'.

Faults (kind kafka): --fault KIND[:ERROR][,KEY=VALUE]... (repeatable)
scripts a fault, with KIND one of
  error              answer produce requests with a Kafka error (ERROR, e.g.
                     NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS)
  stall              hold every request in the window (for), or a rate of them
                     for delay
  drop_connections   close the connection of a chosen produce request
  slow               hold each chosen produce request for delay
  leader_move        move every partition's leader to the next broker (the
                     broker then runs 3 nodes)
and KEY one of rate (0.01 or 1%%), at, for, every, delay (durations) and topic
(error and leader_move). The fault clock starts with the first produce
request; without rate or window a fault hits every produce request.

Flags:
%s
Examples:
  prodbench broker
  prodbench broker --listen 127.0.0.1:9092 --partitions 12 --topic bench --retain
  prodbench broker --fault leader_move,every=2s --fault error:REQUEST_TIMED_OUT,rate=1%%
  prodbench broker --fault stall,at=10s,for=2s,every=30s --fault slow,delay=20ms,rate=10%%
`

func init() {
	register(command{name: "broker", summary: "run a target system's embedded stand-in alone", run: cmdBroker})
}

func cmdBroker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("broker")
	kind := fs.String("kind", "kafka", "target system kind whose stand-in to run")
	listen := fs.String("listen", "", "address to listen on, host:port (default: the system's usual port on 127.0.0.1, e.g. 127.0.0.1:9092 for kafka)")
	partitions := fs.Int("partitions", 6, "partitions of topics created on first use and of --topic")
	topics := fs.StringSlice("topic", nil, "topics to create at start (repeatable, comma-separated)")
	retain := fs.Bool("retain", false, "keep produced data (default: discard it so memory stays flat)")
	faults := fs.StringArray("fault", nil, "fault to inject, KIND[:ERROR][,KEY=VALUE]... (kafka; see above; repeatable)")
	if code, done := parseFlags(fs, args, brokerUsage, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return fail(stderr, exitUsage, "broker: unexpected argument %q", fs.Arg(0))
	}
	if *partitions < 1 {
		return fail(stderr, exitUsage, "broker: --partitions must be at least 1, got %d", *partitions)
	}
	sys, ok := registry.Lookup(*kind)
	if !ok {
		return fail(stderr, exitUsage, "broker: unknown --kind %q (registered: %s)", *kind, strings.Join(registry.Kinds(), ", "))
	}
	if sys.Serve == nil {
		return fail(stderr, exitUsage, "broker: kind %s has no embedded stand-in", sys.Kind)
	}
	srv, err := sys.Serve(ctx, registry.ServeOptions{Listen: *listen, Topics: *topics, Partitions: *partitions,
		Retain: *retain, Faults: *faults, Log: stderr})
	if err != nil {
		code := exitFailure
		if errors.Is(err, registry.ErrUsage) {
			code = exitUsage
		}
		return fail(stderr, code, "broker: %v", err)
	}
	defer srv.Close()
	mode := "discarding produced data"
	if *retain {
		mode = "retaining produced data"
	}
	fmt.Fprintf(stderr, "prodbench: embedded %s stand-in listening on %s (%s); Ctrl-C stops it\n", sys.Kind, srv.Addr(), mode)
	<-ctx.Done()
	return exitOK
}
