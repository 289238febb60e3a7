//go:build !unix

package main

// cpuNsPerRecord is 0 (unknown): this platform has no getrusage.
func cpuNsPerRecord(int64) float64 { return 0 }
