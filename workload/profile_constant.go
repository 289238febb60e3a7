package workload

import (
	"fmt"
	"math"
	"time"
)

// ProfileConstant sends MessagesPerSecond evenly spaced messages every
// second (kafka-producer-perf-test --throughput, OMB producerRate). The
// default.
const ProfileConstant = "constant"

func init() {
	registerProfile(ProfileConstant, 0, variant{required: []string{"messages_per_second"}}, constantProfile{})
}

// constantProfile: message i is due at i/MessagesPerSecond.
type constantProfile struct{}

func (constantProfile) validate(s *Scenario, r Rate) *Error {
	return s.checkRate("rate.messages_per_second", r.MessagesPerSecond, false)
}

func (constantProfile) schedule(r Rate, _ int64) (Schedule, error) {
	mps := r.MessagesPerSecond
	if !okRate(mps, false) {
		return nil, fmt.Errorf("rate.messages_per_second: must be positive and at most %v, got %v", float64(MaxRate), mps)
	}
	if mps == math.Trunc(mps) {
		return constantInt{rate: uint64(mps)}, nil
	}
	return constantFloat{rate: mps}, nil
}

func (constantProfile) at(r Rate, _ time.Duration) float64 { return r.MessagesPerSecond }
