//go:build linux || freebsd || netbsd || openbsd || dragonfly

package workload

import (
	"syscall"
	"time"
)

// fineSleep sleeps about d (d <= a few ms) with the kernel's nanosleep,
// which on Linux wakes within tens of microseconds (plus the thread's
// timer slack, 50 µs by default), where a Go timer would fire ~1 ms late
// in an idle process. It is the ticker's clock where timerfd is not
// available (sleepClock). The calling goroutine's P stays taken for the
// whole sleep — sysmon hands it to another thread only after 20 µs to
// 10 ms, and only when other work is queued — which is why Linux ticks on
// a timerfd instead (see pacer.go). A signal may end the sleep early.
func fineSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
