package pulsar

import (
	"testing"

	"github.com/prodbench/prodbench/workload"
)

// TestScenarioFiles: the Pulsar scenarios parse and validate with this
// package registered, and select the pulsar target.
func TestScenarioFiles(t *testing.T) {
	for _, f := range []string{"../../scenarios/pulsar-quickstart.yaml", "../../scenarios/pulsar-peer-100b.yaml"} {
		s, err := workload.Load(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if s.Target == nil || s.Target.Kind != Kind {
			t.Fatalf("%s: target %+v", f, s.Target)
		}
	}
}
