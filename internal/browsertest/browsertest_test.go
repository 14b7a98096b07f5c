package browsertest

import (
	"bytes"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestScreenshotOfATallPage: the image of a page taller than the window is
// as wide as the window, and the page is left laid out as it was, beside
// its scrollbar.
func TestScreenshotOfATallPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><html><body style="margin:0"><div style="height:3000px"></div></body></html>`))
	}))
	t.Cleanup(srv.Close)
	ctx := New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("ONCELINK_SCREENSHOTS", dir)
	layoutWidth := func() int {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for _, width := range []int64{1280, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		before := layoutWidth()
		Screenshot(t, ctx, "tall")
		b, err := os.ReadFile(filepath.Join(dir, "tall.png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Dx(); got != int(width) {
			t.Errorf("at %dpx, the image is %dpx wide", width, got)
		}
		if after := layoutWidth(); after != before || before >= int(width) {
			t.Errorf("at %dpx, the page is laid out %dpx wide before the shot and %dpx after, want the same, beside its scrollbar", width, before, after)
		}
	}
	// A test that hid the scrollbars itself, as on a phone, finds them
	// hidden still.
	if _, err := chromedp.Call(ctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	Screenshot(t, ctx, "tall")
	if got := layoutWidth(); got != 390 {
		t.Errorf("with the scrollbars hidden before the shot, the page is laid out %dpx wide after it, want 390", got)
	}
}

// TestWithoutCookies: a browser made WithoutCookies keeps neither a cookie
// a response sets nor one a script sets; one without the option keeps both.
func TestWithoutCookies(t *testing.T) {
	var mu sync.Mutex
	sent := map[string]string{} // the Cookie header of each path
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent[r.URL.Path] = r.Header.Get("Cookie")
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "set", Value: "1", Path: "/"})
		w.Write([]byte(`<!doctype html><title>t</title>`))
	}))
	t.Cleanup(srv.Close)
	for _, blocked := range []bool{true, false} {
		var opts []chromedp.ExecAllocatorOption
		if blocked {
			opts = append(opts, WithoutCookies(t))
		}
		ctx := New(t, opts...)
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/one"), chromedp.Navigate(srv.URL+"/two")); err != nil {
			t.Fatal(err)
		}
		script, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie = "script=1"; document.cookie`))
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		second := sent["/two"]
		mu.Unlock()
		if blocked && (second != "" || script != "") {
			t.Errorf("without cookies, the second request sent %q and the page keeps %q", second, script)
		}
		if !blocked && (second != "set=1" || script != "set=1; script=1") {
			t.Errorf("with cookies, the second request sent %q and the page keeps %q", second, script)
		}
	}
}
