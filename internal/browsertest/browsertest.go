// Package browsertest starts Debian's headless Chromium for oncelink's
// browser tests.
package browsertest

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium finds the browser. Tests skip when there is none; CI installs it.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("ONCELINK_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: install Debian's chromium package (CI does) or set ONCELINK_CHROMIUM")
	return ""
}

// New starts a fresh headless browser with its own profile and returns a
// context for its first tab. More tabs or browsers come from
// chromedp.NewContext on it. The browser is closed when the test ends, so
// register server cleanups before calling New. A test whose browser is
// still at work after four minutes fails rather than hang: the longest, the
// accessibility walk over every page, takes about a minute on a quiet
// machine and has taken over two on a busy one.
func New(t testing.TB, extraFlags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extraFlags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tctx
}

// WithoutCookies is New's option for a browser that keeps no cookies, as
// one whose person blocked them all: its profile's content setting
// (Settings, Privacy, "Block all cookies"), which drops every Set-Cookie
// and every document.cookie. DevTools has no such switch:
// Emulation.setDocumentCookieDisabled leaves Set-Cookie alone, and
// Network.setBlockedURLs blocks requests, not cookies. Chromium still says
// navigator.cookieEnabled.
func WithoutCookies(t testing.TB) chromedp.ExecAllocatorOption {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "Default"), 0o755); err != nil {
		t.Fatal(err)
	}
	prefs := `{"profile": {"default_content_setting_values": {"cookies": 2}}}`
	if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(prefs), 0o644); err != nil {
		t.Fatal(err)
	}
	return chromedp.UserDataDir(dir)
}

// Screenshot writes a full-page PNG to the directory ONCELINK_SCREENSHOTS
// names, making it if need be, and does nothing when it is unset.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ONCELINK_SCREENSHOTS")
	if dir == "" {
		return
	}
	// A page taller than the window is laid out beside its scrollbar, but
	// the capture beyond the window lays it out again as wide as the
	// window and keeps the image as narrow as before, which cuts off the
	// page's right edge. So the scrollbars are hidden for the shot, and
	// only for it: what the tests measure is as it was.
	shown, err := scrollbarWidth(ctx)
	if err == nil {
		err = setScrollbarsHidden(ctx, true)
	}
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if shown > 0 {
		defer func() {
			if err := setScrollbarsHidden(ctx, false); err != nil {
				t.Errorf("screenshot %s: show the scrollbars again: %v", name, err)
			}
		}()
	}
	// A page that fits the window is taken as it is seen: Chromium's
	// capture beyond the window draws a short page written right to left
	// shifted sideways. Quality 100 is what makes chromedp write a PNG;
	// below it, a JPEG.
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollHeight <= window.innerHeight`))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	shot := chromedp.FullScreenshot(100)
	if fits {
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// setScrollbarsHidden hides the page's scrollbars, or shows them.
func setScrollbarsHidden(ctx context.Context, hidden bool) error {
	if _, err := chromedp.Call(ctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: hidden}); err != nil {
		return err
	}
	_, err := scrollbarWidth(ctx)
	return err
}

// scrollbarWidth is the width that a vertical scrollbar takes from the
// page: none while scrollbars are hidden, or drawn over the page as on a
// phone. Chromium hides or shows the page's own scrollbars only when it
// makes them anew, so they are made anew first: the page is laid out once
// without any, and once with one. Its style is left as it was.
func scrollbarWidth(ctx context.Context) (int, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[int](`(root => {
  const styled = root.hasAttribute("style"), was = root.style.overflowY;
  root.style.overflowY = "hidden";
  void root.offsetWidth;
  root.style.overflowY = "scroll";
  const width = window.innerWidth - root.clientWidth;
  root.style.overflowY = was;
  if (!styled) root.removeAttribute("style");
  return width;
})(document.documentElement)`))
}

// Shoot shows the page at each width (1280 and 390 pixels when none is
// given), 900 pixels high, in light and in dark. It fails the test where
// the page scrolls sideways, and takes each as the screenshot
// name-WIDTH-SCHEME. It leaves the page at the first width, in the
// browser's own colour scheme.
func Shoot(t testing.TB, ctx context.Context, name string, widths ...int64) {
	t.Helper()
	if len(widths) == 0 {
		widths = []int64{1280, 390}
	}
	scheme := func(s string) {
		t.Helper()
		var features []*emulation.MediaFeature
		if s != "" {
			features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}}
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features}); err != nil {
			t.Fatal(err)
		}
	}
	for _, width := range widths {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"light", "dark"} {
			scheme(s)
			wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if wide {
				t.Errorf("%s at %dpx in %s scrolls sideways", name, width, s)
			}
			Screenshot(t, ctx, fmt.Sprintf("%s-%d-%s", name, width, s))
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(widths[0], 900)); err != nil {
		t.Fatal(err)
	}
	scheme("")
}

// Problems collects what a page must never do: break its Content-Security-
// Policy, throw an uncaught exception, or log a console error or warning.
type Problems struct {
	t  testing.TB
	mu sync.Mutex
	// seen holds exceptions and console messages; CSP violations are kept
	// by the page itself, in window.cspViolations.
	seen []string
}

// Watch starts collecting ctx's problems. A listener added through DevTools
// is not subject to the page's CSP, so it sees violations from the first
// byte of every document the tab loads afterwards.
func Watch(t testing.TB, ctx context.Context) *Problems {
	t.Helper()
	p := &Problems{t: t}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				msg = "console." + string(ev.Type) + ":"
				for _, arg := range ev.Args {
					msg += " " + cmp.Or(arg.Description, string(arg.Value))
				}
			}
		}
		if msg != "" {
			p.mu.Lock()
			p.seen = append(p.seen, msg)
			p.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		// A violation also goes to the console, whose messages Watch keeps
		// when the page they came from is gone.
		Source: `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const v = e.violatedDirective + " " + e.blockedURI;
  window.cspViolations.push(v);
  console.error("CSP violation: " + v);
});`,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Check fails the test for every problem since the last Check, on any page
// the tab showed, and for every CSP violation of the page ctx shows now,
// which may not have reached the console yet.
func (p *Problems) Check(ctx context.Context) {
	p.t.Helper()
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.cspViolations || []`))
	if err != nil {
		p.t.Fatal(err)
	}
	if len(violations) > 0 {
		p.t.Errorf("CSP violations: %q", violations)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.seen {
		p.t.Error(e)
	}
	p.seen = nil
}

// SetHidden hides the tab of ctx by minimising its window, or shows it by
// restoring the window; either fires visibilitychange. It waits until the
// page sees the change.
func SetHidden(t testing.TB, ctx context.Context, hidden bool) {
	t.Helper()
	w, err := chromedp.CallBrowser(ctx, browser.GetWindowForTarget, browser.GetWindowForTargetParams{
		TargetID: chromedp.FromContext(ctx).Target.TargetID,
	})
	if err != nil {
		t.Fatal(err)
	}
	state, want := browser.WindowStateNormal, "visible"
	if hidden {
		state, want = browser.WindowStateMinimized, "hidden"
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetWindowBounds, browser.SetWindowBoundsParams{
		WindowID: w.WindowID, Bounds: &browser.Bounds{WindowState: state},
	}); err != nil {
		t.Fatal(err)
	}
	// While hidden, actions that wait for frames hang; Evaluate does not.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.visibilityState`))
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page stayed %s", got)
		}
	}
}
