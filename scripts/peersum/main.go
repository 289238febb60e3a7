// Command peersum summarises a bench-peers run (scripts/bench-peers.sh):
// it reads ROOT/<scenario>/<codec>/<side>/<round>/, where side native and
// franz hold a prodbench result.json (report.ReadResult) and side bare
// holds barekgo.txt (cmd/barekgo's output line), and prints per scenario
// and codec each side's median msg/s, MB/s (10^6) and CPU ns per acked
// record with min–max over the rounds, the ratios native/bare and
// franz/bare of the median msg/s, the machine and the commit.
//
//	go run ./scripts/peersum [-commit C] [-rounds N] [-append DESIGN.md] ROOT
//
// With -append it adds one row to the table under the heading "Peer
// benchmark results" of that file (the table must exist). It exits 1 when
// a workload lacks a side or a run cannot be read, after printing what it
// could, and 2 on bad usage.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prodbench/prodbench/report"
)

// sides in print order.
var sides = []string{"native", "franz", "bare"}

// sample is one run's figures.
type sample struct{ msgs, mb, cpu float64 }

// workload is one (scenario, codec) with its samples per side.
type workload struct {
	scenario, codec string
	runs            map[string][]sample
}

func main() {
	fs := flag.NewFlagSet("peersum", flag.ContinueOnError)
	commit := fs.String("commit", "unknown", "commit the runs were built from")
	rounds := fs.Int("rounds", 0, "rounds run (for the table row)")
	appendTo := fs.String("append", "", "file whose \"Peer benchmark results\" table gets one row")
	if err := fs.Parse(os.Args[1:]); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: peersum [-commit C] [-rounds N] [-append DESIGN.md] ROOT")
		os.Exit(2)
	}
	ws, machine, code := load(fs.Arg(0), os.Stderr)
	row := printSummary(os.Stdout, ws, machine, *commit)
	if *appendTo != "" && len(ws) > 0 {
		line := fmt.Sprintf("| %s | %s | %s, shared | %d | %s |", time.Now().UTC().Format("2006-01-02"), *commit, machine, *rounds, row)
		if err := appendRow(*appendTo, line); err != nil {
			fmt.Fprintln(os.Stderr, "peersum:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// load reads every run under root.
func load(root string, errw io.Writer) ([]*workload, string, int) {
	code := 0
	machine := fmt.Sprintf("%d × CPU", runtime.NumCPU())
	byKey := map[string]*workload{}
	var ws []*workload
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "*", "*", "*"))
	for _, d := range dirs {
		rel, _ := filepath.Rel(root, d)
		p := strings.Split(rel, string(filepath.Separator))
		if p[0] == "bin" || p[0] == "scenarios" {
			continue
		}
		k := p[0] + "/" + p[1]
		w := byKey[k]
		if w == nil {
			w = &workload{scenario: p[0], codec: p[1], runs: map[string][]sample{}}
			byKey[k] = w
			ws = append(ws, w)
		}
		var s sample
		var err error
		if p[2] == "bare" {
			s, err = readBare(filepath.Join(d, "barekgo.txt"))
		} else {
			var res *report.Result
			res, err = report.ReadResult(filepath.Join(d, "result.json"))
			if err == nil {
				s = sample{res.Throughput.MsgsPerSec, res.Throughput.MBPerSec, res.CPUNsPerRecord}
				if res.Environment.CPUModel != "" {
					machine = fmt.Sprintf("%d × %s", res.Environment.NumCPU, res.Environment.CPUModel)
				}
			}
		}
		if err != nil {
			fmt.Fprintf(errw, "peersum: %s: %v\n", rel, err)
			code = 1
			continue
		}
		w.runs[p[2]] = append(w.runs[p[2]], s)
	}
	sort.Slice(ws, func(i, j int) bool {
		if ws[i].scenario != ws[j].scenario {
			return ws[i].scenario < ws[j].scenario
		}
		return ws[i].codec < ws[j].codec
	})
	for _, w := range ws {
		for _, side := range sides {
			if len(w.runs[side]) == 0 {
				fmt.Fprintf(errw, "peersum: %s %s: no %s runs\n", w.scenario, w.codec, side)
				code = 1
			}
		}
	}
	return ws, machine, code
}

// readBare parses barekgo's "key=value ..." line.
func readBare(path string) (sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return sample{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "barekgo" {
			continue
		}
		var s sample
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return sample{}, fmt.Errorf("%s: %s: %v", path, kv, err)
			}
			switch k {
			case "msgs_per_sec":
				s.msgs = x
			case "mb_per_sec":
				s.mb = x
			case "cpu_ns_per_record":
				s.cpu = x
			}
		}
		return s, nil
	}
	return sample{}, fmt.Errorf("%s: no barekgo line", path)
}

// stat is the median, min and max of xs.
func stat(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

func pick(ss []sample, f func(sample) float64) []float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	return xs
}

// printSummary writes the summary and returns the table row's workload cells.
func printSummary(out io.Writer, ws []*workload, machine, commit string) string {
	fmt.Fprintf(out, "bench-peers: commit %s, machine %s (shared with other sessions), %s\n", commit, machine, runtime.Version())
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tcodec\tside\truns\tmsg/s median\tmin–max\tMB/s\tCPU ns/rec\tmin–max\tvs bare\t")
	var cells []string
	for _, w := range ws {
		bare, _, _ := stat(pick(w.runs["bare"], func(s sample) float64 { return s.msgs }))
		var ratios []string
		for _, side := range sides {
			ss := w.runs[side]
			m, lo, hi := stat(pick(ss, func(s sample) float64 { return s.msgs }))
			mb, _, _ := stat(pick(ss, func(s sample) float64 { return s.mb }))
			c, clo, chi := stat(pick(ss, func(s sample) float64 { return s.cpu }))
			ratio := "-"
			if bare > 0 && side != "bare" {
				ratio = fmt.Sprintf("%.2f×", m/bare)
				ratios = append(ratios, fmt.Sprintf("%.2f", m/bare))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%.0f–%.0f\t%.1f\t%.0f\t%.0f–%.0f\t%s\t\n",
				w.scenario, w.codec, side, len(ss), m, lo, hi, mb, c, clo, chi, ratio)
		}
		cells = append(cells, fmt.Sprintf("%s %s: %s (bare %.0fk)", w.scenario, w.codec, strings.Join(ratios, " / "), bare/1e3))
	}
	tw.Flush()
	return strings.Join(cells, "; ")
}

// appendRow inserts line after the last table row under the heading
// "Peer benchmark results" in path.
func appendRow(path, line string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	head := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "#") && strings.Contains(l, "Peer benchmark results") {
			head = i
			break
		}
	}
	if head < 0 {
		return fmt.Errorf("%s: no \"Peer benchmark results\" heading", path)
	}
	last := -1
	for i := head + 1; i < len(lines) && !strings.HasPrefix(lines[i], "#"); i++ {
		if strings.HasPrefix(lines[i], "|") {
			last = i
		} else if last >= 0 {
			break
		}
	}
	if last < 0 {
		return fmt.Errorf("%s: no table under \"Peer benchmark results\"", path)
	}
	lines = append(lines[:last+1], append([]string{line}, lines[last+1:]...)...)
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644)
}
