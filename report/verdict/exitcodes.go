package verdict

// Exit codes of the commands that act on verdicts. 0 means success: no
// regression, no threshold crossed.
const (
	// ExitRegression is the exit code of `prodbench compare` when at least
	// one metric regressed (Comparison.Regressed).
	ExitRegression = 1
	// ExitUsage is the exit code of `prodbench compare` on a usage error: bad
	// flags, an unreadable result, a malformed limit.
	ExitUsage = 2
	// ExitThresholdsCrossed is the exit code of a run that crossed at least
	// one threshold; the run's full result is written first. 99 is the code
	// k6 uses for the same condition.
	ExitThresholdsCrossed = 99
)
