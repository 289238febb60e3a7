//go:build unix

package main

import "syscall"

// cpuNsPerRecord is this process's user+sys CPU time so far (getrusage)
// divided by acked, in ns; 0 when acked is 0.
func cpuNsPerRecord(acked int64) float64 {
	var ru syscall.Rusage
	if acked <= 0 || syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / float64(acked)
}
