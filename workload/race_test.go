//go:build race

package workload

// raceEnabled is true under the race detector, which slows the hot path
// several-fold: rate-sensitive tests scale down.
const raceEnabled = true
