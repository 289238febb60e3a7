package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/prodbench/prodbench/producer/kafka"
)

const brokerUsage = `Usage: prodbench broker [flags]

Runs the embedded in-process Kafka broker (franz-go's kfake) until
interrupted, so that other tools and clients can produce to it.

Flags:
%s
Examples:
  prodbench broker
  prodbench broker --listen 127.0.0.1:9092 --partitions 12 --topic bench --retain
`

func init() {
	register(command{name: "broker", summary: "run the embedded Kafka broker alone", run: cmdBroker})
}

func cmdBroker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("broker", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "127.0.0.1:9092", "address to listen on (host:port)")
	partitions := fs.Int32("partitions", 6, "partitions of topics created on first use and of --topic")
	topics := fs.StringSlice("topic", nil, "topics to create at start (repeatable, comma-separated)")
	retain := fs.Bool("retain", false, "keep produced data (default: discard it so memory stays flat)")
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			fmt.Fprintf(stdout, brokerUsage, fs.FlagUsages())
			return exitOK
		}
		return fail(stderr, exitUsage, "broker: %v (see 'prodbench help broker')", err)
	}
	if fs.NArg() > 0 {
		return fail(stderr, exitUsage, "broker: unexpected argument %q", fs.Arg(0))
	}
	if *partitions < 1 {
		return fail(stderr, exitUsage, "broker: --partitions must be at least 1, got %d", *partitions)
	}
	seed := map[string]int32{}
	for _, t := range *topics {
		seed[t] = *partitions
	}
	b, err := kafka.StartEmbedded(kafka.EmbeddedOptions{Listen: *listen, Topics: seed, DefaultPartitions: *partitions, Retain: *retain})
	if err != nil {
		return fail(stderr, exitFailure, "broker: %v", err)
	}
	defer b.Close()
	mode := "discarding produced data"
	if *retain {
		mode = "retaining produced data"
	}
	fmt.Fprintf(stderr, "prodbench: embedded broker listening on %s (%s); Ctrl-C stops it\n", strings.Join(b.Addrs(), ","), mode)
	<-ctx.Done()
	return exitOK
}
