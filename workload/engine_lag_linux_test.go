package workload

import (
	"os"
	"syscall"
	"time"
	"unsafe"
)

// refSleeper is wakeFloor's sleeper on Linux: a one-shot timerfd read
// through the network poller, which (unlike nanosleep) leaves the P free
// while it waits, so that the reference does not take a P from the engine
// it runs beside.
type refSleeper struct {
	fd  uintptr
	f   *os.File
	buf [8]byte
}

func newRefSleeper() *refSleeper {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic,
		uintptr(syscall.O_NONBLOCK|syscall.O_CLOEXEC), 0)
	if errno != 0 {
		return &refSleeper{}
	}
	return &refSleeper{fd: fd, f: os.NewFile(fd, "ref-timerfd")}
}

// sleep sleeps about d (never less, but for a failing timerfd).
func (r *refSleeper) sleep(d time.Duration) {
	if r.f == nil {
		fineSleep(d)
		return
	}
	its := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	_, _, _ = syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, r.fd, 0, uintptr(unsafe.Pointer(&its)), 0, 0, 0)
	if _, err := r.f.Read(r.buf[:]); err != nil {
		fineSleep(d)
	}
}

func (r *refSleeper) close() {
	if r.f != nil {
		_ = r.f.Close()
	}
}
