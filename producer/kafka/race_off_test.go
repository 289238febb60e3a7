//go:build !race

package kafka_test

// raceEnabled is true under -race; timing-sensitive tests skip there and run in make test's serial race-free pass.
const raceEnabled = false
