package verdict

import (
	"errors"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestThresholdsFromYAML(t *testing.T) {
	t.Parallel()
	var spec struct {
		Thresholds []Threshold `yaml:"thresholds"`
		Limits     []Limit     `yaml:"limits"`
	}
	doc := "thresholds:\n  - p(99) < 20ms\n  - error_rate < 0.1%\nlimits: [throughput=5%]\n"
	if err := yaml.Unmarshal([]byte(doc), &spec); err != nil {
		t.Fatal(err)
	}
	if len(spec.Thresholds) != 2 || spec.Thresholds[1].String() != "error_rate < 0.1%" ||
		len(spec.Limits) != 1 || spec.Limits[0] != (Limit{StatThroughput, 0.05}) {
		t.Errorf("decoded %+v", spec)
	}
	err := yaml.Unmarshal([]byte("thresholds:\n  - p(99) < 20\n"), &spec)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Column != 9 || !strings.Contains(err.Error(), "latency needs a unit") {
		t.Errorf("bad threshold in YAML: %v, want the SyntaxError", err)
	}
}
