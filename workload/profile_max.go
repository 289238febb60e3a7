package workload

import "time"

// ProfileMax sends as fast as the producer accepts: each worker sends its
// next message as soon as Send returns (kafka-producer-perf-test
// --throughput -1). This is a closed loop — a slow producer lowers the
// send rate instead of adding latency — so each message's intended send
// time is its actual send time and the run is reported as closed loop
// (RunInfo.ClosedLoop).
const ProfileMax = "max"

func init() { registerProfile(ProfileMax, 5, variant{}, maxProfile{}) }

// maxProfile is the closed loop: no schedule.
type maxProfile struct{}

func (maxProfile) validate(*Scenario, Rate) *Error        { return nil }
func (maxProfile) schedule(Rate, int64) (Schedule, error) { return nil, nil }
func (maxProfile) at(Rate, time.Duration) float64         { return 0 }
func (maxProfile) reach(Rate, int64, int64) (time.Duration, error) {
	return 0, nil
}
