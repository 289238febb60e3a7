// Command peersum summarises a bench-peers run (scripts/bench-peers.sh):
// it reads ROOT/<scenario>/<codec>/<engine>/<run>/result.json with
// report.ReadResult and prints, per scenario and codec, the median acked
// msg/s and MB/s of each engine over its runs (with the range), the
// ratio native / franz-go, and the machine and commit they ran on.
//
//	go run ./scripts/peersum ROOT
//
// It exits 1 when a (scenario, codec) lacks runs of either engine or a
// result cannot be read, after printing what it could, and 2 on bad
// usage.
package main

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/prodbench/prodbench/report"
)

// Engine names, as the directory level below the codec.
const (
	native  = "native"
	franzGo = "franz-go"
)

// run is one result.
type run struct {
	scenario, codec, engine, name string
	res                           *report.Result
}

// group is one (scenario, codec) with its runs per engine.
type group struct {
	scenario, codec string
	runs            map[string][]*report.Result
}

func main() {
	if len(os.Args) != 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, "usage: peersum ROOT  (ROOT/<scenario>/<codec>/<engine>/<run>/result.json)")
		os.Exit(2)
	}
	os.Exit(summarise(os.Stdout, os.Stderr, os.Args[1]))
}

// summarise prints the summary of root to w and returns the exit code.
func summarise(w, errw io.Writer, root string) int {
	runs, errs := load(root)
	code := 0
	for _, err := range errs {
		fmt.Fprintf(errw, "peersum: %v\n", err)
		code = 1
	}
	if len(runs) == 0 {
		fmt.Fprintf(errw, "peersum: no result.json under %s\n", root)
		return 1
	}
	groups := groupRuns(runs)

	fmt.Fprintf(w, "machine:  %s\n", machine(runs[0].res))
	fmt.Fprintf(w, "commit:   %s\n", commits(runs))
	fmt.Fprintf(w, "runs:     %s; median over each engine's runs, [min-max]; MB = 10^6 B of acked key+value+headers\n\n", runCounts(groups))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tcodec\tnative msg/s\tfranz-go msg/s\tnative/franz-go\tnative MB/s\tfranz-go MB/s\tfailed\t")
	for _, g := range groups {
		n, f := g.runs[native], g.runs[franzGo]
		if len(n) == 0 || len(f) == 0 {
			fmt.Fprintf(errw, "peersum: %s/%s: %d native and %d franz-go runs; need both\n", g.scenario, g.codec, len(n), len(f))
			code = 1
		}
		nMsgs, fMsgs := stat(n, msgs), stat(f, msgs)
		ratio := "-"
		if nMsgs.ok && fMsgs.ok && fMsgs.median > 0 {
			ratio = fmt.Sprintf("%.2f", nMsgs.median/fMsgs.median)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", g.scenario, g.codec,
			nMsgs.format("%.0f"), fMsgs.format("%.0f"), ratio,
			stat(n, mbs).format("%.1f"), stat(f, mbs).format("%.1f"), failed(n)+failed(f))
	}
	_ = tw.Flush()
	for _, r := range runs {
		if r.res.Status != report.StatusComplete {
			fmt.Fprintf(errw, "peersum: %s/%s/%s/%s: status %s\n", r.scenario, r.codec, r.engine, r.name, r.res.Status)
		}
	}
	return code
}

// load reads every result.json four levels below root.
func load(root string) ([]run, []error) {
	var runs []run
	var errs []error
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if d.IsDir() || d.Name() != "result.json" {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 {
			return nil // not a bench-peers run directory
		}
		res, err := report.ReadResult(path)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		runs = append(runs, run{parts[0], parts[1], parts[2], parts[3], res})
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return runs, errs
}

// groupRuns groups runs by (scenario, codec), sorted.
func groupRuns(runs []run) []*group {
	byKey := map[[2]string]*group{}
	var out []*group
	for _, r := range runs {
		k := [2]string{r.scenario, r.codec}
		g := byKey[k]
		if g == nil {
			g = &group{scenario: r.scenario, codec: r.codec, runs: map[string][]*report.Result{}}
			byKey[k] = g
			out = append(out, g)
		}
		g.runs[r.engine] = append(g.runs[r.engine], r.res)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].scenario != out[j].scenario {
			return out[i].scenario < out[j].scenario
		}
		return out[i].codec < out[j].codec
	})
	return out
}

func msgs(r *report.Result) float64 { return r.Throughput.MsgsPerSec }
func mbs(r *report.Result) float64  { return r.Throughput.MBPerSec }

// summary is the median and range of one metric over runs.
type summary struct {
	median, min, max float64
	ok               bool
}

func stat(rs []*report.Result, f func(*report.Result) float64) summary {
	if len(rs) == 0 {
		return summary{}
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	return summary{median: median(v), min: v[0], max: v[len(v)-1], ok: true}
}

// median of sorted v.
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func (s summary) format(verb string) string {
	if !s.ok {
		return "-"
	}
	return fmt.Sprintf(verb+" ["+verb+"-"+verb+"]", s.median, s.min, s.max)
}

func failed(rs []*report.Result) int64 {
	var n int64
	for _, r := range rs {
		n += r.Counts.Failed
	}
	return n
}

// runCounts says how many runs each engine had, e.g. "3 native, 3
// franz-go per scenario and codec".
func runCounts(groups []*group) string {
	seen := map[string]bool{}
	var parts []string
	for _, g := range groups {
		s := fmt.Sprintf("%d native, %d franz-go", len(g.runs[native]), len(g.runs[franzGo]))
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " / ") + " per scenario and codec"
}

// machine describes the CPU: count, model (/proc/cpuinfo), OS, and the Go
// runtime the results recorded.
func machine(r *report.Result) string {
	env := r.Environment
	return fmt.Sprintf("%d CPU (%s), GOMAXPROCS %d, %s/%s, %s, host %s",
		runtime.NumCPU(), cpuModel(), env.GOMAXPROCS, env.OS, env.Arch, env.GoVersion, env.Hostname)
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown
// CPU model".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU model"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU model"
}

// commits lists the git commits the results recorded (one, normally).
func commits(runs []run) string {
	seen := map[string]bool{}
	var out []string
	for _, r := range runs {
		c := r.res.Environment.GitCommit
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(out) > 1 {
		return strings.Join(out, ", ") + " (runs from different commits!)"
	}
	return out[0]
}
