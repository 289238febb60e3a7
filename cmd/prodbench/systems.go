package main

// The target systems prodbench knows: the only place that lists them.
// Adding a system is one package that calls registry.Register from its
// init function, and one line here.
import (
	"fmt"
	"io"
	"strings"

	"github.com/prodbench/prodbench/producer/registry"

	_ "github.com/prodbench/prodbench/producer/kafka/kafkasys"
	_ "github.com/prodbench/prodbench/producer/nats"
	_ "github.com/prodbench/prodbench/producer/pulsar"
	_ "github.com/prodbench/prodbench/producer/pulsarws"
	_ "github.com/prodbench/prodbench/producer/sim"
)

// writeSystems lists the registered target systems for 'prodbench help
// systems'.
func writeSystems(w io.Writer) {
	fmt.Fprintln(w, "Target systems (scenario `target: {kind: KIND}` or --target SCHEME://...):")
	tw := newTable(w)
	fmt.Fprintln(tw, "  kind\tURL schemes\tengines\tstand-in\tdescription")
	for _, k := range registry.Kinds() {
		s, _ := registry.Lookup(k)
		standIn := "no"
		if s.Serve != nil {
			standIn = "yes"
		}
		schemes := "-"
		if len(s.Schemes) > 0 {
			schemes = strings.Join(s.Schemes, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Kind, schemes, strings.Join(s.Engines, ", "), standIn, s.Summary)
	}
	_ = tw.Flush()
}
