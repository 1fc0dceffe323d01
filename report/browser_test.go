package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/memstorm/memstorm/internal/testenv"
	"github.com/memstorm/memstorm/rundir"
	"github.com/memstorm/memstorm/rundir/rundirtest"
)

const chromiumPath = "/usr/bin/chromium"

// TestReportInChromium opens report.html in real headless Chromium: no
// console error or exception, every figure laid out with a real size, and a
// full-page screenshot for a person to look at.
func TestReportInChromium(t *testing.T) {
	testenv.RequireCommand(t, chromiumPath, "apt-get install chromium")
	dir := t.TempDir()
	rundirtest.WriteSynthetic(t, dir, 20000, 600)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, string(ev.Type)+": console message")
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+filepath.Join(dir, rundir.ReportFile)),
		chromedp.WaitVisible(chromedp.CSS("#fig-activity svg")),
	); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]float64](`Array.from(document.querySelectorAll("svg.fig")).map(s => { const r = s.getBoundingClientRect(); const b = s.getBBox(); return {w: r.width, h: r.height, bw: b.width, bh: b.height, texts: s.querySelectorAll("text").length}; })`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "punch-holes / glibc") {
		t.Errorf("title %q", title)
	}
	if len(sizes) != 3 {
		t.Errorf("%d figures rendered, want 3", len(sizes))
	}
	for i, s := range sizes {
		// The page is 1100 px at most, the figures fill it: wider than 600 px,
		// taller than 150, with drawn content and text.
		if s["w"] < 600 || s["h"] < 150 || s["bw"] <= 0 || s["bh"] <= 0 || s["texts"] < 10 {
			t.Errorf("figure %d laid out as %v", i, s)
		}
	}
	mu.Lock()
	for _, p := range problems {
		t.Error(p)
	}
	mu.Unlock()
	path := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/memstorm-report-shot.png", shot, 0o644)
	t.Logf("screenshot: %s (copy at /tmp/memstorm-report-shot.png)", path)
}
