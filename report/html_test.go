package report

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"regexp"
	"strings"
	"testing"
)

var imgSrc = regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	res := sampleResult(t)
	res.Scenario.Name = `<script>alert("x")</script>`
	res.Scenario.Description = "a & b"
	var buf bytes.Buffer
	if err := WriteHTML(&buf, res); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	imgs := imgSrc.FindAllStringSubmatch(page, -1)
	if len(imgs) != len(plotBuilders) {
		t.Fatalf("%d embedded images, want %d", len(imgs), len(plotBuilders))
	}
	for i, m := range imgs {
		b, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("image %d is not a PNG: %v", i, err)
		}
	}
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", // scenario name escaped
		"a &amp; b",
		"<caption>Timings (ms)</caption>",
		"schedule lag (intended → sent)",
		"<caption>Intervals (10)</caption>",
		`&#34;compression&#34;: &#34;zstd&#34;`, // producer options shown
		`<a href="latency.hlog">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") || regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) {
		t.Error("page has a script or an external resource")
	}
	if n := strings.Count(page, "<tr>"); n < len(res.Intervals)+20 {
		t.Errorf("%d table rows, want the summary tables and one row per interval", n)
	}
	if err := WriteHTML(&buf, nil); err == nil {
		t.Error("nil result accepted")
	}
	if err := writeRunHTML(failWriter{}, sampleResult(t), nil); err == nil {
		t.Error("write error not returned")
	}
}
