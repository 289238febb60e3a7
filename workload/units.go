package workload

import "github.com/prodbench/prodbench/workload/units"

// Size is a byte count in a scenario file; see units.Size.
type Size = units.Size

// Duration is a length of time in a scenario file; see units.Duration.
type Duration = units.Duration

// Ratio is a fraction in a scenario file; see units.Ratio.
type Ratio = units.Ratio

// ParseSize parses a size string; see units.ParseSize.
func ParseSize(s string) (Size, error) { return units.ParseSize(s) }

// ParseDuration parses a duration string; see units.ParseDuration.
func ParseDuration(s string) (Duration, error) { return units.ParseDuration(s) }

// ParseRatio parses a ratio; see units.ParseRatio.
func ParseRatio(s string) (Ratio, error) { return units.ParseRatio(s) }
