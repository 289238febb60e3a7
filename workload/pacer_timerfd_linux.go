package workload

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// timerfdClock is the Linux tickClock: a periodic timerfd (CLOCK_MONOTONIC)
// read through the runtime's network poller. The kernel's hrtimer fires
// it without timer slack; while the ticker waits for it, its goroutine is
// parked in the poller and no thread holds a P (unlike nanosleep, whose
// P stays taken until the system call returns or sysmon retakes it).
type timerfdClock struct {
	fd  uintptr
	f   *os.File // the same descriptor, registered with the poller
	buf [8]byte  // the expiration count read on each tick
}

// clockMonotonic is CLOCK_MONOTONIC, the clock of Go's monotonic
// readings (1 on every Linux architecture).
const clockMonotonic = 1

// itimerspec is the kernel's struct itimerspec.
type itimerspec struct {
	interval, value syscall.Timespec
}

// newTickClock returns the ticker's clock, chosen when a run starts: with
// one P (GOMAXPROCS=1) a timerfdClock, or a sleepClock if the kernel (or
// a seccomp filter) refuses timerfd; with more, a sleepClock, which costs
// about half as much per tick (see pacer.go).
func newTickClock() tickClock {
	if runtime.GOMAXPROCS(0) > 1 {
		return sleepClock{}
	}
	return newTimerfdClock()
}

// newTimerfdClock returns a disarmed timerfdClock, or a sleepClock if
// timerfd_create fails.
func newTimerfdClock() tickClock {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic,
		uintptr(syscall.O_NONBLOCK|syscall.O_CLOEXEC), 0)
	if errno != 0 {
		return sleepClock{}
	}
	// A non-blocking descriptor passed to NewFile is added to the poller.
	return &timerfdClock{fd: fd, f: os.NewFile(fd, "prodbench-ticker")}
}

// set arms the timer to fire every period from now, or disarms it when
// period is zero.
func (c *timerfdClock) set(period int64) {
	its := itimerspec{interval: syscall.NsecToTimespec(period), value: syscall.NsecToTimespec(period)}
	_, _, _ = syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, c.fd, 0, uintptr(unsafe.Pointer(&its)), 0, 0, 0)
}

// start arms the timer to fire every tickPeriod; pause disarms it.
func (c *timerfdClock) start() { c.set(int64(tickPeriod)) }
func (c *timerfdClock) pause() { c.set(0) }

// tick reads the expiration count, parking in the poller until there is
// one. A read error (none is expected while the file is open) makes it
// fall back to sleeping, so that the ticker cannot spin.
func (c *timerfdClock) tick() {
	if _, err := c.f.Read(c.buf[:]); err != nil {
		fineSleep(tickPeriod)
	}
}

// close closes the timerfd.
func (c *timerfdClock) close() { _ = c.f.Close() }
