//go:build !(linux || freebsd || netbsd || openbsd || dragonfly)

package workload

import "time"

// fineSleep sleeps about d; without nanosleep it is time.Sleep, whose
// precision is the platform's timer resolution.
func fineSleep(d time.Duration) { time.Sleep(d) }
