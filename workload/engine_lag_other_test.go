//go:build !linux

package workload

import "time"

// refSleeper is wakeFloor's sleeper off Linux: fineSleep.
type refSleeper struct{}

func newRefSleeper() *refSleeper { return &refSleeper{} }

// sleep sleeps about d.
func (*refSleeper) sleep(d time.Duration) { fineSleep(d) }

func (*refSleeper) close() {}
