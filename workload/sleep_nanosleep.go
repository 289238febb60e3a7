//go:build linux || freebsd || netbsd || openbsd || dragonfly

package workload

import (
	"syscall"
	"time"
)

// fineSleep sleeps about d (d <= a few ms) with the kernel's nanosleep,
// which on Linux wakes within tens of microseconds, where a Go timer
// would fire ~1 ms late in an idle process (see ticker).
func fineSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
