package kafkasys_test

import (
	"strings"
	"testing"

	_ "github.com/prodbench/prodbench/producer/kafka/kafkasys"
	"github.com/prodbench/prodbench/workload"
)

// TestFaultsBlockErrors checks that a bad faults block gives one error at
// file:line naming the field.
func TestFaultsBlockErrors(t *testing.T) {
	t.Parallel()
	head := "name: f\nduration: 3s\ntopics: [{name: t, partitions: 2}]\nmessage: {size: 10}\nrate: {messages_per_second: 10}\ntarget:\n  kind: kafka\n"
	for _, tc := range []struct{ block, want string }{
		// an unknown kind, with its line and a suggestion
		{"  faults:\n    - kind: slo\n      delay: 5ms\n", `f.yaml:9: target.faults[0].kind: unknown fault kind "slo" (did you mean "slow"?)`},
		// an unknown error name
		{"  faults:\n    - {kind: error, error: NOT_LEADER_OR_FOLOWER, rate: 1%}\n", `f.yaml:9: target.faults[0].error: unknown Kafka error name "NOT_LEADER_OR_FOLOWER" (did you mean "NOT_LEADER_OR_FOLLOWER"?)`},
		// a required field missing is reported at the fault's line
		{"  faults:\n    - {kind: leader_move, every: 2s}\n    - kind: slow\n", `f.yaml:10: target.faults[1].delay: required for kind slow`},
		// an unknown field, by the strict decoder
		{"  faults:\n    - kind: slow\n      dealy: 5ms\n", `f.yaml:10: target.faults[0].dealy: unknown field (did you mean "delay"?)`},
		// faults need the embedded broker
		{"  brokers: [\"h:9092\"]\n  faults: [{kind: leader_move, every: 2s}]\n", `f.yaml:9: target.faults: faults are injected by the embedded broker`},
	} {
		_, err := workload.Parse("f.yaml", []byte(head+tc.block))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q:\n got %v\nwant %s", tc.block, err, tc.want)
		}
	}
	if _, err := workload.Parse("f.yaml", []byte(head+"  faults: [{kind: leader_move, every: 2s}, {kind: error, error: REQUEST_TIMED_OUT, rate: 1%}]\n")); err != nil {
		t.Errorf("a good block: %v", err)
	}
}
