//go:build race

package main

// raceDetector is true under the race detector, which slows the process
// several-fold and turns every scheduling hiccup of a shared machine into
// tens of milliseconds of tail latency: tail-latency tests judge the
// median instead.
const raceDetector = true
