package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prodbench/prodbench/report/page"
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

// chromiumPath returns the Chromium binary the browser tests use:
// $PRODBENCH_CHROMIUM, else /usr/bin/chromium (Debian's chromium package,
// which .ci/run installs). The test is skipped, saying why, when it is
// missing.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PRODBENCH_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("skipping the headless browser test: no Chromium at %s (%v); "+
			"install Debian's chromium package (apt-get install chromium, as .ci/run does in CI) "+
			"or point PRODBENCH_CHROMIUM at a Chromium binary", path, err)
	}
	return path
}

// newBrowser starts headless Chromium for the test and returns its context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil { // start the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return bctx
}

// imageState is what the page reports about one <img>.
type imageState struct {
	Src    string `json:"src"`
	OK     bool   `json:"ok"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// imagesJS waits for every image to decode and reports each one: ok when it
// decoded, is complete, has a non-zero natural size and its last row of
// pixels is opaque. Chromium shows a truncated PNG partly, leaving the rows
// it could not decode transparent; every plot is opaque.
const imagesJS = `Promise.all(Array.from(document.images).map(img =>
	img.decode().then(() => true, () => false).then(decoded => {
		let opaque = false;
		if (decoded && img.naturalWidth > 0 && img.naturalHeight > 0) {
			const c = document.createElement("canvas");
			c.width = img.naturalWidth; c.height = img.naturalHeight;
			const g = c.getContext("2d");
			g.drawImage(img, 0, 0);
			const row = g.getImageData(0, c.height - 1, c.width, 1).data;
			opaque = true;
			for (let i = 3; i < row.length; i += 4) if (row[i] !== 255) { opaque = false; break; }
		}
		return {src: img.getAttribute("src").slice(0, 40),
			ok: decoded && img.complete && opaque,
			width: img.naturalWidth, height: img.naturalHeight};
	})))`

// inspectPage opens url in a new tab of the browser and returns its images
// and every console message of level warning or error, uncaught exceptions
// and browser log errors (failed loads, CSP violations) included.
func inspectPage(t *testing.T, browser context.Context, url string) ([]imageState, []string) {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	if err := chromedp.Do(tab); err != nil { // open the tab
		t.Fatal(err)
	}
	var mu sync.Mutex
	var msgs []string
	listening, stop := context.WithCancel(tab)
	done := make(chan struct{})
	console := chromedp.Console(listening) // subscribes now, before the page loads
	go func() {
		defer close(done)
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				msgs = append(msgs, m.String())
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
	imgs, err := chromedp.Run(tab, chromedp.Evaluate[[]imageState](imagesJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: reading images: %v", url, err)
	}
	// Console events race the evaluation: give late ones a moment.
	time.Sleep(300 * time.Millisecond)
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	return imgs, msgs
}

// TestHTMLInChromium opens report.html and compare.html in headless
// Chromium: no console errors or warnings, every plot loaded. Two broken
// pages check that the test sees a broken image and a console error.
func TestHTMLInChromium(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	dir := t.TempDir()
	vs := variants(t)
	if err := Write(dir, vs["saturated"]); err != nil {
		t.Fatal(err)
	}
	cmp, err := Compare([]*Result{vs["complete"], vs["saturated"]}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmp.Write(dir); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.html")
	scripted := filepath.Join(dir, "scripted.html")
	plot, err := os.ReadFile(filepath.Join(dir, PlotFile)) // a real plot, cut in half
	if err != nil {
		t.Fatal(err)
	}
	half := plot[:len(plot)/2]
	var good bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	if err := png.Encode(&good, img); err != nil {
		t.Fatal(err)
	}
	for path, page := range map[string]string{
		broken: `<!DOCTYPE html><html><head><title>b</title></head><body>` +
			`<img ` + string(page.PNGSrc(half)) + `>` +
			`<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB">` + // cut inside the header
			`<img ` + string(page.PNGSrc(good.Bytes())) + `></body></html>`,
		scripted: `<!DOCTYPE html><html><head><title>s</title></head><body><p>x</p>` +
			`<script>console.error("boom from the page"); throw new Error("kaboom");</script></body></html>`,
	} {
		if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		file       string
		wantImages int      // images that must all have loaded
		wantBroken int      // images that must have failed
		wantMsgs   []string // console messages that must appear; none allowed when empty
	}{
		// the run report: five plots, clean console
		{"report.html", filepath.Join(dir, HTMLFile), len(plotBuilders), 0, nil},
		// the comparison: five overlaid plots, clean console
		{"compare.html", filepath.Join(dir, CompareHTMLFile), len(plotBuilders), 0, nil},
		// a page with two truncated PNGs and a good one: the check must
		// see both broken ones
		{"broken image", broken, 1, 2, nil},
		// a page that logs an error and throws: the check must see both
		{"console error", scripted, 0, 0, []string{"error: boom from the page", "kaboom"}},
	}
	for _, tc := range tests {
		imgs, msgs := inspectPage(t, browser, "file://"+tc.file)
		loaded, failed := 0, 0
		for _, im := range imgs {
			if im.OK {
				loaded++
				if tc.name != "broken image" && (im.Width != 768 || im.Height != 480) {
					t.Errorf("%s: image %s… is %dx%d, want 768x480", tc.name, im.Src, im.Width, im.Height)
				}
			} else {
				failed++
			}
		}
		if loaded != tc.wantImages || failed != tc.wantBroken {
			t.Errorf("%s: %d images loaded and %d broken, want %d and %d: %+v", tc.name, loaded, failed, tc.wantImages, tc.wantBroken, imgs)
		}
		if len(tc.wantMsgs) == 0 && len(msgs) > 0 {
			t.Errorf("%s: console messages %q, want none", tc.name, msgs)
		}
		for _, want := range tc.wantMsgs {
			if !strings.Contains(strings.Join(msgs, "\n"), want) {
				t.Errorf("%s: console %q lacks %q", tc.name, msgs, want)
			}
		}
	}
}
