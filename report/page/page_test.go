package page

import (
	"strings"
	"testing"
)

func TestWriteEscapesAndLinks(t *testing.T) {
	var b strings.Builder
	p := &Page{
		Title:  `<script>x</script>`,
		Alerts: []Alert{{Class: "bad", Title: "Failed run:", Text: "a < b"}},
		Tables: []Table{{Caption: "T", Head: []string{"n", "v"}, Right: []bool{false, true},
			Rows: [][]Cell{{{Text: "1", Href: "p/report.html"}, {Text: "2"}}}}},
		Plots: []Plot{{Caption: "cap", Src: PNGSrc([]byte{1, 2}), File: "a.svg"}},
	}
	if err := Write(&b, p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"<h1>&lt;script&gt;x&lt;/script&gt;</h1>",
		`<div class="alert bad" role="alert"><strong>Failed run:</strong> a &lt; b</div>`,
		`<td><a href="p/report.html">1</a></td><td class="r">2</td>`,
		`<img src="data:image/png;base64,AQI=" alt="cap"`,
		`(<a href="a.svg">SVG</a>)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Error("title not escaped")
	}
}
