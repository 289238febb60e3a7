//go:build !linux

package workload

// newTickClock returns the portable sleepClock: timerfd is Linux's.
func newTickClock() tickClock { return sleepClock{} }
