package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/workload"
)

// applyOMB applies an OMB driver file (--omb-driver; "" for none) to s and
// says once on stderr what of the OMB files prodbench does not do.
func applyOMB(s *workload.Scenario, driver string, stderr io.Writer) error {
	if driver != "" {
		if err := s.ApplyOMBDriver(driver); err != nil {
			return err
		}
	}
	if o := s.OMB(); o != nil {
		from := o.Workload
		if from == "" {
			from = o.DriverFile
		}
		fmt.Fprintf(stderr, "prodbench: translated from OMB %s", from)
		if o.Workload != "" && o.DriverFile != "" {
			fmt.Fprintf(stderr, " with driver %s", o.DriverFile)
		}
		fmt.Fprintln(stderr)
		if n := o.Note(); n != "" {
			fmt.Fprintf(stderr, "prodbench: OMB note: %s\n", n)
		}
	}
	return nil
}

// writeScenarioYAML prints s as a prodbench scenario file.
func writeScenarioYAML(stdout, stderr io.Writer, s *workload.Scenario) int {
	y, err := s.YAML()
	if err != nil {
		return fail(stderr, exitFailure, "validate: %v", err)
	}
	_, _ = stdout.Write(y)
	return exitOK
}

// ombResultFile is the OMB-format result report --format omb writes in a
// result directory.
const ombResultFile = "omb-result.json"

// printOMB prints each run in OMB's result format and, with files, writes
// it as DIR/omb-result.json.
func printOMB(stdout, stderr io.Writer, dirs []string, runs []*report.Result, files bool) int {
	for i, res := range runs {
		var b bytes.Buffer
		if err := report.WriteOMB(&b, res); err != nil {
			return fail(stderr, exitFailure, "report: %s: %v", dirs[i], err)
		}
		if files {
			if err := report.WriteFileAtomic(filepath.Join(dirs[i], ombResultFile), b.Bytes()); err != nil {
				return fail(stderr, exitFailure, "report: %v", err)
			}
		}
		if _, err := stdout.Write(b.Bytes()); err != nil {
			return fail(stderr, exitFailure, "report: %v", err)
		}
	}
	return exitOK
}
