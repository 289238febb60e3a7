package sim_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestSimDoesNotImportKafkaTransport: the simulator shares the record-batch
// code with the Kafka transport through producer/kafka/wire, never by
// importing producer/kafka (issue 11's dependency rule).
func TestSimDoesNotImportKafkaTransport(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range append(append(pkg.Imports, pkg.TestImports...), pkg.XTestImports...) {
		if strings.HasSuffix(imp, "/producer/kafka") {
			t.Errorf("producer/sim imports %s", imp)
		}
	}
}
