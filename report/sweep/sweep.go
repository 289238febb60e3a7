package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prodbench/prodbench/report"
	"github.com/prodbench/prodbench/report/verdict"
)

// File names of a sweep directory.
const (
	// ManifestFile is the sweep manifest (Manifest as JSON); written last.
	ManifestFile = "sweep.json"
	// MarkdownFile is the sweep report in Markdown.
	MarkdownFile = "sweep.md"
	// HTMLFile is the self-contained sweep report page.
	HTMLFile = "sweep.html"
)

// SchemaVersion is the version of sweep.json and capacity.json written by
// this package.
const SchemaVersion = 1

// Point statuses (Point.Status).
const (
	// StatusPending marks a point not run yet.
	StatusPending = "pending"
	// StatusComplete marks a point whose run completed and was written.
	StatusComplete = "complete"
	// StatusInterrupted marks a point whose run was interrupted; it is run
	// again on resume.
	StatusInterrupted = "interrupted"
	// StatusFailed marks a point whose run failed (no result); it is run
	// again on resume.
	StatusFailed = "failed"
)

// Well-known swept parameters, given their own plots.
const (
	// ParamLinger is the heatmaps' x axis.
	ParamLinger = "producer.linger"
	// ParamBatchBytes is the heatmaps' y axis.
	ParamBatchBytes = "producer.max_batch_bytes"
	// ParamCompression groups the codec bar charts.
	ParamCompression = "producer.compression"
)

// TieTolerance is the relative throughput difference under which two
// points count as tied (1%): at a fixed offered rate every point carrying
// the load has the same throughput up to noise, and the lower latency
// decides.
const TieTolerance = 0.01

// Manifest is sweep.json: the sweep's definition, every point with its
// directory and status, and the evaluation of each finished point. It is
// rewritten after every point, so an interrupted sweep resumes from it.
type Manifest struct {
	// SchemaVersion is SchemaVersion when written by this package.
	SchemaVersion int `json:"schema_version"`
	// Scenario, Description and File identify the swept scenario.
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	File        string `json:"file,omitempty"`
	// SpecDigest identifies the swept scenario's settings (besides its
	// SLO, which only judges the points): a resumed sweep must have the
	// same. Empty means unknown.
	SpecDigest string `json:"spec_digest,omitempty"`
	// Mode is "product" or "zip".
	Mode string `json:"mode"`
	// Params are the swept parameters and their values, in file order.
	Params []Param `json:"params"`
	// SLO is what points are judged against.
	SLO SLO `json:"slo"`
	// CreatedAt is when the sweep started; UpdatedAt when the manifest
	// was last written (UTC).
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Count is the number of repetitions of each point (--count), run in
	// rounds: every point once, then every point again, and so on. 0 or 1
	// means one run per point, in the point's directory; above 1 each
	// repetition runs in <point dir>/rep-N (Point.Reps).
	Count int `json:"count,omitempty"`
	// Points are the sweep's points in run order.
	Points []Point `json:"points"`
}

// Reps returns the number of repetitions of each point: Count, at least 1.
func (m *Manifest) Reps() int { return max(m.Count, 1) }

// Param is one swept parameter.
type Param struct {
	// Path is the field's dotted path, e.g. "producer.linger".
	Path string `json:"path"`
	// Values are its values as text, in file order.
	Values []string `json:"values"`
}

// Setting is one parameter's value at a point.
type Setting struct {
	// Path is the field's dotted path; Value its value as text.
	Path  string `json:"path"`
	Value string `json:"value"`
}

// Point is one point of a sweep.
type Point struct {
	// Index is the point's position, 0-based.
	Index int `json:"index"`
	// Label is "path=value,…" for each parameter.
	Label string `json:"label"`
	// Settings are the point's parameter values, in parameter order.
	Settings []Setting `json:"settings"`
	Outcome
	// Reps are the point's repetitions when the sweep's Count is above 1;
	// Status, ElapsedNs and Evaluation then follow from them (Settle).
	Reps []Rep `json:"reps,omitempty"`
}

// Value returns the point's value of the parameter path, or "".
func (p *Point) Value(path string) string {
	for _, s := range p.Settings {
		if s.Path == path {
			return s.Value
		}
	}
	return ""
}

// Done returns the number of completed points.
func (m *Manifest) Done() int { return countDone(m.Points, (*Point).Done) }

// countDone returns how many of xs are done.
func countDone[T any](xs []T, done func(*T) bool) int {
	n := 0
	for i := range xs {
		if done(&xs[i]) {
			n++
		}
	}
	return n
}

// ShortLabel is the point's label with each path cut to its last segment:
// "linger=5ms max_batch_bytes=64KiB".
func (p *Point) ShortLabel() string {
	parts := make([]string, len(p.Settings))
	for i, s := range p.Settings {
		parts[i] = shortPath(s.Path) + "=" + s.Value
	}
	return strings.Join(parts, " ")
}

// shortPath returns the last segment of a dotted path.
func shortPath(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 && i+1 < len(path) {
		return path[i+1:]
	}
	return path
}

// Choice is the best point of a sweep and why, or the points tied within
// noise for it.
type Choice struct {
	// Index is the winning point's index; Label its label. When Tied is
	// set, they are the leader's: the point that would win on its
	// medians.
	Index int    `json:"index"`
	Label string `json:"label"`
	// RunnerUp is the index of the point it is compared with, -1 if none.
	RunnerUp int `json:"runner_up"`
	// Eligible counts the points that met the SLO.
	Eligible int `json:"eligible"`
	// Reason says, in sentences with the numbers, why it won and by how
	// much (it does not repeat the point's label), or why the leaders are
	// tied.
	Reason string `json:"reason"`
	// Metric is what the leader was tested on against the runner-up when
	// the points have repetitions: "msgs_per_sec" or "rank_latency";
	// empty for one run per point (no test).
	Metric string `json:"metric,omitempty"`
	// P is the two-sided Mann-Whitney U p-value of that test (when Metric
	// is set).
	P float64 `json:"p,omitempty"`
	// Tied lists the points tied within noise, leader first: the leader
	// and every candidate not significantly different from it (p >= Alpha)
	// when the runner-up is not. Set, no best point is declared.
	Tied []int `json:"tied,omitempty"`
}

// Declared reports whether c names a best point: it is not nil and not a
// tie within noise.
func (c *Choice) Declared() bool { return c != nil && len(c.Tied) == 0 }

// IsTied reports whether point idx is among c's points tied within noise.
func (c *Choice) IsTied(idx int) bool { return c != nil && slices.Contains(c.Tied, idx) }

// Best picks the best completed point: the highest throughput among the
// points that pass the SLO (Evaluation.Pass), where throughputs within
// TieTolerance of the highest are tied and the lowest latency at the
// SLO's RankPercentile breaks the tie (then the higher throughput, then
// the lower index). It returns nil and a sentence saying why when no
// point passes.
//
// With repetitions (Manifest.Count above 1) the points are ranked by their
// medians, and the winner must differ significantly from the runner-up on
// what decided (msg/s, or the rank latency among points carrying the same
// load): a two-sided Mann-Whitney U test (verdict.MannWhitneyU) of their
// repetitions with p below Alpha. Otherwise the Choice is a tie within
// noise (Tied set, Declared false) naming the leader and every candidate
// not significantly different from it.
func (m *Manifest) Best() (*Choice, string) {
	var elig []*Point
	for i := range m.Points {
		if p := &m.Points[i]; p.Done() && p.Evaluation.Pass {
			elig = append(elig, p)
		}
	}
	done := m.Done()
	if len(elig) == 0 {
		if done == 0 {
			return nil, "no point has completed yet"
		}
		return nil, fmt.Sprintf("none of the %d completed points met the SLO (%s)", done, m.SLO)
	}
	tput := func(p *Point) float64 { return p.Evaluation.Metrics.MsgsPerSec }
	lat := func(p *Point) int64 { return p.Evaluation.RankLatencyNs }
	top := 0.0
	for _, p := range elig {
		top = max(top, tput(p))
	}
	var tied []*Point
	for _, p := range elig {
		if tput(p) >= (1-TieTolerance)*top {
			tied = append(tied, p)
		}
	}
	sort.SliceStable(tied, func(i, j int) bool {
		a, b := tied[i], tied[j]
		if lat(a) != lat(b) {
			return lat(a) < lat(b)
		}
		if tput(a) != tput(b) {
			return tput(a) > tput(b)
		}
		return a.Index < b.Index
	})
	win := tied[0]
	c := &Choice{Index: win.Index, Label: win.Label, RunnerUp: -1, Eligible: len(elig)}
	pn := "p" + PercentileName(m.SLO.RankPercentile())
	slo := "within the SLO (" + m.SLO.String() + ")"
	if m.SLO.IsZero() {
		slo = "among the completed points (no SLO set)"
	}
	name := func(p *Point) string { return fmt.Sprintf("#%d (%s)", p.Index, p.ShortLabel()) }
	var ru *Point
	cands := elig // the points the winner is tested against
	var b strings.Builder
	fmt.Fprintf(&b, "%s msg/s at %s %s ms, %s.", rateString(tput(win)), pn, msString(lat(win)), slo)
	switch {
	case len(elig) == 1:
		fmt.Fprintf(&b, " It is the only one of the %d completed points that met it.", done)
	case len(tied) > 1:
		ru, cands = tied[1], tied
		c.RunnerUp = ru.Index
		fmt.Fprintf(&b, " %d points carried the same load (throughput within %.0f%% of the highest, %s msg/s); of those it has the lowest %s: %s ms against %s ms for the runner-up %s, %s lower.",
			len(tied), TieTolerance*100, rateString(top), pn, msString(lat(win)), msString(lat(ru)), name(ru), relLower(float64(lat(win)), float64(lat(ru))))
	default:
		for _, p := range elig {
			if p != win && (ru == nil || tput(p) > tput(ru) || tput(p) == tput(ru) && lat(p) < lat(ru)) {
				ru = p
			}
		}
		c.RunnerUp = ru.Index
		fmt.Fprintf(&b, " It has the highest throughput that met the SLO, %s more than the runner-up %s at %s msg/s (%s %s ms).",
			relMore(tput(win), tput(ru)), name(ru), rateString(tput(ru)), pn, msString(lat(ru)))
	}
	if ru != nil {
		if tie := m.noiseTest(c, win, ru, cands, len(tied) > 1, name, &b); tie != "" {
			b.Reset()
			b.WriteString(tie)
		}
	}
	if bound := m.SLO.bound(m.SLO.RankPercentile()); bound > 0 && c.Declared() {
		fmt.Fprintf(&b, " Its %s leaves %.0f%% of the %s ms bound unused.", pn, (1-float64(lat(win))/float64(bound))*100, msString(bound))
	}
	if failed := done - len(elig); failed > 0 {
		fmt.Fprintf(&b, " %d of %d completed points missed the SLO.", failed, done)
	}
	c.Reason = b.String()
	return c, ""
}

// noiseTest tests the winner win against the runner-up ru on their
// repetitions (nothing without two on each side): msg/s, or the rank
// latency when byLatency. A significant difference appends a sentence to b
// and returns ""; otherwise it sets c.Tied to win and each of cands not
// significantly different from it and returns the sentences of the tie.
func (m *Manifest) noiseTest(c *Choice, win, ru *Point, cands []*Point, byLatency bool, name func(*Point) string, b *strings.Builder) string {
	metric, f := "msgs_per_sec", func(e *Evaluation) float64 { return e.Metrics.MsgsPerSec }
	if byLatency {
		metric, f = "rank_latency", func(e *Evaluation) float64 { return float64(e.RankLatencyNs) }
	}
	ws, rs := win.samples(f), ru.samples(f)
	if ws == nil || rs == nil {
		return ""
	}
	t, err := verdict.MannWhitneyU(ws, rs)
	if err != nil {
		return ""
	}
	c.Metric, c.P = metric, t.P
	pn := "p" + PercentileName(m.SLO.RankPercentile())
	what := func(p *Point) string {
		sp := p.Evaluation.Spread
		if byLatency {
			s := pn + " " + msString(p.Evaluation.RankLatencyNs) + " ms"
			if sp != nil {
				s += fmt.Sprintf(" (%s–%s)", msString(int64(sp.RankLatencyNs.Min)), msString(int64(sp.RankLatencyNs.Max)))
			}
			return s
		}
		s := rateString(p.Evaluation.Metrics.MsgsPerSec) + " msg/s"
		if sp != nil {
			s += fmt.Sprintf(" (%s–%s)", rateString(sp.MsgsPerSec.Min), rateString(sp.MsgsPerSec.Max))
		}
		return s
	}
	if t.P < Alpha {
		fmt.Fprintf(b, " The difference is significant: Mann-Whitney U p = %s over %d against %d repetitions (%s against %s).",
			pString(t.P), t.N1, t.N2, what(win), what(ru))
		return ""
	}
	c.Tied = []int{win.Index}
	names := []string{name(win)}
	for _, p := range cands {
		if p == win {
			continue
		}
		if p != ru {
			if s := p.samples(f); s != nil {
				if tp, err := verdict.MannWhitneyU(ws, s); err == nil && tp.P < Alpha {
					continue
				}
			}
		}
		c.Tied = append(c.Tied, p.Index)
		names = append(names, name(p))
	}
	var tb strings.Builder
	fmt.Fprintf(&tb, "Tied within noise: %s. The leader %s has %s against %s for the runner-up %s, but the difference is not significant (Mann-Whitney U p = %s over %d against %d repetitions, not below %s)",
		joinAnd(names), name(win), what(win), what(ru), name(ru), pString(t.P), t.N1, t.N2, pString(Alpha))
	if verdict.MinPValue(t.N1, t.N2) >= Alpha {
		n := 2
		for n < verdict.MannWhitneyExactLimit && verdict.MinPValue(n, n) >= Alpha {
			n++
		}
		fmt.Fprintf(&tb, "; with %d against %d repetitions no difference can reach it: use --count %d or more", t.N1, t.N2, n)
	}
	tb.WriteString(". No best point is declared.")
	return tb.String()
}

// pString formats a p-value: "0.008", "0.40", "<0.001".
func pString(p float64) string {
	switch {
	case p < 0.001:
		return "<0.001"
	case p < 0.01:
		return strconv.FormatFloat(p, 'f', 3, 64)
	}
	return strconv.FormatFloat(p, 'f', 2, 64)
}

// joinAnd joins names as "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// relMore says by how much a exceeds b: "12.3%" (of b).
func relMore(a, b float64) string {
	if !(b > 0) {
		return "∞"
	}
	return fmt.Sprintf("%.1f%%", (a/b-1)*100)
}

// relLower says by how much a is below b: "23.4%" (of b).
func relLower(a, b float64) string {
	if !(b > 0) {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", (1-a/b)*100)
}

// ReadManifest reads dir/sweep.json. It fails, naming the file, when it
// cannot be read or parsed or has another schema version.
func ReadManifest(dir string) (*Manifest, error) {
	var m Manifest
	if err := readDoc(dir, ManifestFile, &m, &m.SchemaVersion); err != nil {
		return nil, err
	}
	return &m, nil
}

// readDoc reads the JSON document dir/file into v, whose schema version
// field is version. It fails, naming the file, when it cannot be read or
// parsed or has another schema version than SchemaVersion.
func readDoc(dir, file string, v any, version *int) error {
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("sweep: parse %s: %w", path, err)
	}
	if *version != SchemaVersion {
		return fmt.Errorf("sweep: %s has schema_version %d, want %d", path, *version, SchemaVersion)
	}
	return nil
}

// WriteManifest writes m as dir/sweep.json atomically, setting UpdatedAt
// and SchemaVersion. dir must exist.
func WriteManifest(dir string, m *Manifest) error {
	if m == nil {
		return errors.New("sweep: nil manifest")
	}
	m.SchemaVersion = SchemaVersion
	m.UpdatedAt = time.Now().UTC()
	b, err := marshal(m)
	if err != nil {
		return err
	}
	return report.WriteFileAtomic(filepath.Join(dir, ManifestFile), b)
}

// marshal returns v as indented JSON with a trailing newline.
func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sweep: encode: %w", err)
	}
	return append(b, '\n'), nil
}

// namedFile is one rendered output file.
type namedFile struct {
	name string
	data []byte
}
