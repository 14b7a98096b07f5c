package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"oncelink/core"
	"oncelink/internal/browsertest"
)

// fileRequests records the Range header and status of each request for a
// shared file that passes through it.
type fileRequests struct {
	mu   sync.Mutex
	seen []fileRequest
}

type fileRequest struct {
	rng    string
	status int
}

func (f *fileRequests) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/file") {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		f.mu.Lock()
		f.seen = append(f.seen, fileRequest{r.Header.Get("Range"), sw.status})
		f.mu.Unlock()
	})
}

func (f *fileRequests) list() []fileRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fileRequest(nil), f.seen...)
}

// frontServer serves s's handler through wrap on a server of its own; the
// browser talks to it, and link URLs are rewritten to it.
func frontServer(t *testing.T, s *testServer, wrap func(http.Handler) http.Handler) *httptest.Server {
	front := httptest.NewServer(wrap(s.h.Routes(nil)))
	t.Cleanup(front.Close)
	return front
}

// poll evaluates js until it is true, or fails the test after d. Unlike
// chromedp.Poll it needs no animation frames, so it works in hidden pages.
func poll(t *testing.T, ctx context.Context, js string, d time.Duration) {
	t.Helper()
	end := time.Now().Add(d)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("still not true after %s: %s", d, js)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBrowserPlaysAndSeeksSharedMedia(t *testing.T) {
	s := newTestServer(t)
	var files fileRequests
	front := frontServer(t, s, files.wrap)
	link := strings.Replace(s.admin().shareFile("tone.wav", wav(90)), s.URL, front.URL, 1)

	ctx := browsertest.New(t, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	problems := browsertest.Watch(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=player-audio]`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("audio").play()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `document.querySelector("audio").currentTime > 0.3`, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(a => a.currentTime = a.duration - 20)(document.querySelector("audio"))`)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `(a => !a.paused && !a.seeking && a.currentTime > a.duration - 19.5)(document.querySelector("audio"))`, 10*time.Second)

	seeked := false
	for _, r := range files.list() {
		if r.status != http.StatusPartialContent && r.status != http.StatusOK {
			t.Errorf("the player's request %q got %d", r.rng, r.status)
		}
		seeked = seeked || (r.status == http.StatusPartialContent && r.rng != "" && !strings.HasPrefix(r.rng, "bytes=0-"))
	}
	if !seeked {
		t.Fatalf("no 206 answer to a range past the start: %v", files.list())
	}

	// It is the tab-pause player: hidden, the audio pauses where it is;
	// shown, it plays on from there.
	browsertest.SetHidden(t, ctx, true)
	poll(t, ctx, `document.querySelector("audio").paused`, 5*time.Second)
	at, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("audio").currentTime`))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	browsertest.SetHidden(t, ctx, false)
	poll(t, ctx, fmt.Sprintf(`(a => !a.paused && a.currentTime > %f && a.currentTime < %f)(document.querySelector("audio"))`, at, at+5), 5*time.Second)
	problems.Check(ctx)

	// Another browser, with cookies of its own, gets nothing.
	other, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	res, err := chromedp.Run(other, chromedp.NavigateResponse(link+"/file"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusGone {
		t.Fatalf("another browser fetching the file: %d", res.Status)
	}
	res, err = chromedp.Run(other, chromedp.NavigateResponse(link))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusGone {
		t.Fatalf("another browser opening the link: %d", res.Status)
	}
}

func TestBrowserSharedVideoPage(t *testing.T) {
	s := newTestServer(t)
	video := assetBytes(t, "media/sample-video.webm")
	link := s.admin().shareFile("Holiday clip.webm", video)

	ctx := browsertest.New(t, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	problems := browsertest.Watch(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=player-video] video`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("video").play()`, chromedp.EvalAwaitPromise),
	); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `document.querySelector("[data-player]").dataset.state === "playing" && document.querySelector("video").currentTime > 0.5`, 10*time.Second)
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.mediaSession.metadata ? navigator.mediaSession.metadata.title : ""`))
	if err != nil || title != "Holiday clip.webm" {
		t.Fatalf("Media Session title %q, %v", title, err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(v => { v.pause(); v.currentTime = 2.5; })(document.querySelector("video"))`)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `(v => v.paused && !v.seeking && v.readyState >= 2)(document.querySelector("video"))`, 10*time.Second)

	// The video and its panel fit every width: nothing scrolls sideways.
	browsertest.Shoot(t, ctx, "shared-video")
	problems.Check(ctx)

	// Opened on its own, in the same browser, the clip plays in the
	// browser's media page: its policy lets that page fetch it.
	if err := chromedp.Do(ctx, chromedp.Navigate(link+"/file")); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `(v => !!v && v.readyState >= 1 && v.duration > 19)(document.querySelector("video"))`, 10*time.Second)
	problems.Check(ctx)
}

// playingVideo opens the demo player page in a browser that lets it play
// without a gesture, and waits until its video plays.
func playingVideo(t *testing.T) *tab {
	t.Helper()
	ctx := browsertest.New(t, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	b := newTab(t, ctx, newTestServer(t))
	b.open("/player", "[data-testid=player-video][data-enhanced]")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("video").play()`, chromedp.EvalAwaitPromise))
	b.wait(`document.querySelector("video").currentTime > 0.2`, 5*time.Second)
	return b
}

// TestPlayerSaysWhatItDid: on the demo page with its two players, hiding
// and showing the tab while the video plays has screen readers told that
// the video paused and then resumed, once each, and not what the idle
// audio player logs of each change (nothing playing, nothing to resume).
func TestPlayerSaysWhatItDid(t *testing.T) {
	b := playingVideo(t)
	b.do(chromedp.Evaluate[chromedp.Void](liveWatch))
	browsertest.SetHidden(t, b.ctx, true)
	b.wait(`document.querySelector("[data-testid=player-video]").dataset.state === "paused-by-visibility"`, 2*time.Second)
	browsertest.SetHidden(t, b.ctx, false)
	b.wait(`document.querySelector("[data-testid=player-video]").dataset.state === "playing"`, 2*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := eval[int](b, `document.querySelectorAll("[data-testid=activity] li").length`); n != 4 {
		t.Errorf("the activity lists hold %d entries, want each change in each", n)
	}
	said := eval[[]string](b, `window.__said`)
	idle := eval[[]string](b, `["js.player.hidden_idle", "js.player.visible_idle"].map((id) => window.oncelink.msg(id))`)
	for _, text := range said {
		for _, word := range idle {
			if strings.Contains(text, word) {
				t.Errorf("screen readers were told %q", text)
			}
		}
	}
	if len(said) != 2 {
		t.Errorf("screen readers were told %q, want the pause and the resume", said)
	}
	b.clean("player")
}

// TestPlayerResumeKeepsFocus: when the browser refuses to resume the video
// as the tab shows again, the player offers Resume; pressed from the
// keyboard, it goes with its notice, and the focus goes to the video it
// resumed, not to the page's start.
func TestPlayerResumeKeepsFocus(t *testing.T) {
	b := playingVideo(t)
	browsertest.SetHidden(t, b.ctx, true)
	b.wait(`document.querySelector("[data-testid=player-video]").dataset.state === "paused-by-visibility"`, 2*time.Second)
	// The browser refuses the next play without a gesture, as one that
	// allows autoplay only after the user's own does.
	b.do(chromedp.Evaluate[chromedp.Void](`(play => { HTMLMediaElement.prototype.play = function () {
		HTMLMediaElement.prototype.play = play;
		return Promise.reject(new DOMException("needs a gesture", "NotAllowedError"));
	}; })(HTMLMediaElement.prototype.play)`))
	browsertest.SetHidden(t, b.ctx, false)
	b.wait(`document.querySelector("[data-testid=player-video]").dataset.state === "resume-blocked"`, 2*time.Second)
	b.do(chromedp.Focus(chromedp.CSS("[data-testid=player-video] [data-testid=resume]")), chromedp.KeyEvent(" "))
	b.wait(`document.querySelector("[data-testid=player-video]").dataset.state === "playing"`, 2*time.Second)
	if got := eval[string](b, `document.activeElement.closest("[data-testid=player-video]") ? document.activeElement.tagName : document.activeElement.outerHTML.slice(0, 60)`); got != "VIDEO" {
		t.Errorf("after Resume the focus is on %s, not the video", got)
	}
	b.clean("player resumed")
}

// TestPlayerSaysWhyInItsLanguage: a player that cannot resume says why in
// the page's language, never in the browser's own message, which is
// English whatever the page's and may carry a web address: as the tab
// shows again, and when Resume is pressed.
func TestPlayerSaysWhyInItsLanguage(t *testing.T) {
	ctx := browsertest.New(t, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	b := newTab(t, ctx, newTestServer(t))
	b.open("/player?lang=de", "html[lang=de] [data-testid=player-video][data-enhanced]")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("video").play()`, chromedp.EvalAwaitPromise))
	b.wait(`document.querySelector("video").currentTime > 0.2`, 5*time.Second)
	// The browser's next play fails as it does on a clip it cannot load,
	// and the one after as it does without a gesture.
	refuse := func(name, message string) {
		b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(play => { HTMLMediaElement.prototype.play = function () {
			HTMLMediaElement.prototype.play = play;
			return Promise.reject(new DOMException(%q, %q));
		}; })(HTMLMediaElement.prototype.play)`, message, name)))
	}
	const english = "Failed to load because no supported source was found. https://goo.gl/LdLk22"
	browsertest.SetHidden(t, b.ctx, true)
	b.wait(`document.querySelector("[data-testid=player-video]").dataset.state === "paused-by-visibility"`, 2*time.Second)
	refuse("NotSupportedError", english)
	browsertest.SetHidden(t, b.ctx, false)
	b.wait(`!!document.querySelector("[data-testid=player-video] [data-event=visible]")`, 2*time.Second)
	said := eval[string](b, `document.querySelector("[data-testid=player-video] [data-event=visible]").lastChild.textContent.trim()`)
	want := eval[string](b, `(m => m("js.player.why_not_resumed", {why: m("js.player.why.tab_visible"), error: m("js.player.cannot.not_supported")}))(window.oncelink.msg)`)
	if said != want {
		t.Errorf("as the tab showed, the player said %q, want %q", said, want)
	}

	refuse("NotAllowedError", "play() failed because the user didn't interact with the document first. https://goo.gl/xX8pDD")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=player-video] [data-testid=resume]").click()`))
	b.wait(`!!document.querySelector("[data-testid=player-video] [data-event=resume]")`, 2*time.Second)
	said = eval[string](b, `document.querySelector("[data-testid=player-video] [data-event=resume]").lastChild.textContent.trim()`)
	want = eval[string](b, `(m => m("js.player.not_resumed", {error: m("js.player.cannot.not_allowed")}))(window.oncelink.msg)`)
	if said != want {
		t.Errorf("after Resume, the player said %q, want %q", said, want)
	}
	b.clean("player refused")
}

// TestPlayerPicksUpFromWholeSeconds: the demo's video, left at some
// point and reloaded, picks up from there and says so; left within its
// first second, it starts over and says nothing of picking up "at 0:00".
func TestPlayerPicksUpFromWholeSeconds(t *testing.T) {
	b := newTab(t, browsertest.New(t), newTestServer(t))
	for _, c := range []struct {
		at   float64
		said string
	}{{5.4, "0:05"}, {0.6, ""}} {
		b.open("/player", "[data-testid=player-video][data-enhanced]")
		b.wait(`document.querySelector("video").readyState >= 1`, 5*time.Second)
		b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`new Promise(done => {
			const v = document.querySelector("video");
			v.addEventListener("seeked", done, {once: true});
			v.currentTime = %v;
		})`, c.at), chromedp.EvalAwaitPromise))
		b.open("/player", "[data-testid=player-video][data-enhanced]")
		b.wait(`document.querySelector("video").readyState >= 1`, 5*time.Second)
		said := eval[string](b, `[...document.querySelectorAll("[data-testid=player-video] [data-event=position]")].map(li => li.textContent).join(" ")`)
		at := eval[float64](b, `document.querySelector("video").currentTime`)
		switch {
		case c.said == "" && (said != "" || at != 0):
			t.Errorf("left at %vs, the video picks up at %vs and says %q", c.at, at, said)
		case c.said != "" && (!strings.Contains(said, c.said) || at != c.at):
			t.Errorf("left at %vs, the video picks up at %vs and says %q, want %s", c.at, at, said, c.said)
		}
	}
	b.clean("player")
}

// signIn signs the browser in as ada on base.
func signIn(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=create-form]`)),
	); err != nil {
		t.Fatal(err)
	}
}

// chooseFile selects the file kind and puts a file of n bytes in the form.
func chooseFile(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upload.bin")
	if err := os.WriteFile(path, noisy(n), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name=kind][value=file]`)),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
	); err != nil {
		t.Fatal(err)
	}
}

// slowUploads reads create requests' bodies at about 4 MB/s, as a slow
// connection sends them.
func slowUploads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/links" {
			r.Body = &slowReader{r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

type slowReader struct{ io.ReadCloser }

func (s *slowReader) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	time.Sleep(time.Duration(n) * time.Second / (4 << 20))
	return n, err
}

// TestBrowserUploadProgress: the create form's bar follows a slow upload
// of a file, whether the server seals it or the browser encrypts it.
func TestBrowserUploadProgress(t *testing.T) {
	// Its server and browser are its own, and most of its time is spent
	// waiting, on the page's timers or a slow upload: it runs beside
	// other tests.
	t.Parallel()
	s := newTestServer(t)
	s.admin()
	front := frontServer(t, s, slowUploads)
	ctx := browsertest.New(t)
	problems := browsertest.Watch(t, ctx)
	signIn(t, ctx, front.URL)
	for _, e2e := range []bool{false, true} {
		t.Run(fmt.Sprintf("e2e=%v", e2e), func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(front.URL+"/links"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=create-form]`))); err != nil {
				t.Fatal(err)
			}
			chooseFile(t, ctx, 12<<20)
			if e2e {
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=e2e]`))); err != nil {
					t.Fatal(err)
				}
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=create]`))); err != nil {
				t.Fatal(err)
			}
			var values []int
			end := time.Now().Add(60 * time.Second)
			for time.Now().Before(end) {
				v, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(p => p && !p.hidden ? Number(p.getAttribute("value")) : -1)(document.querySelector("[data-testid=upload-progress]"))`))
				if err != nil {
					t.Fatal(err)
				}
				if done, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("[data-testid=created]")`)); done {
					break
				}
				if v >= 0 && (len(values) == 0 || v != values[len(values)-1]) {
					values = append(values, v)
				}
				time.Sleep(40 * time.Millisecond)
			}
			url, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`[data-testid=link-url]`)))
			if err != nil || !linkURLPattern.MatchString(url) || strings.Contains(url, "#") != e2e {
				t.Fatalf("no link after the upload: %q %v", url, err)
			}
			between := 0
			for i, v := range values {
				if i > 0 && v < values[i-1] {
					t.Fatalf("the bar went back: %v", values)
				}
				if v > 0 && v < 100 {
					between++
				}
			}
			if between < 3 {
				t.Fatalf("the bar did not move through the upload: %v", values)
			}
			t.Logf("progress seen: %v", values)
		})
	}
	problems.Check(ctx)
}

func TestBrowserUploadOverTheLimit(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MaxUpload = 1 << 20 })
	s.admin()
	var posts fileRequests
	front := frontServer(t, s, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/links" {
				posts.mu.Lock()
				posts.seen = append(posts.seen, fileRequest{})
				posts.mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	ctx := browsertest.New(t)
	problems := browsertest.Watch(t, ctx)
	signIn(t, ctx, front.URL)
	chooseFile(t, ctx, 3<<20)

	// The form refuses the file before sending it.
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("file").validationMessage`))
	if err != nil || msg != "This file is larger than 1 MiB, the most this server accepts." {
		t.Fatalf("validation message %q, %v", msg, err)
	}
	// It says so beside the field too, where it stays.
	beside, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(i => i.getAttribute("aria-invalid") + " " + document.getElementById(i.getAttribute("aria-describedby").split(" ")[0]).textContent)(document.getElementById("file"))`))
	if err != nil || beside != "true "+msg {
		t.Fatalf("beside the file field: %q, %v", beside, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=create]`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := len(posts.list()); n != 0 {
		t.Fatalf("the form sent an oversized file %d times", n)
	}

	// Past the form's check (an old browser, a script), the server refuses
	// it with 413, the form says why, and nothing is stored.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(i => { i.setCustomValidity(""); i.removeAttribute("data-max-size"); })(document.getElementById("file"))`),
		chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
	); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `(e => !!e && e.textContent.includes("larger than 1 MiB"))(document.querySelector("#create-panel [data-testid=form-error]"))`, 20*time.Second)
	// The form comes back ready for another file.
	poll(t, ctx, `document.querySelector("input[name=kind]:checked").value === "file" && !document.getElementById("file").closest("[data-kind]").hidden && document.getElementById("message").closest("[data-kind]").hidden`, 5*time.Second)
	if links, chunks := s.stored(); links != 0 || chunks != 0 {
		t.Fatalf("%d links and %d chunks stored", links, chunks)
	}
	if n := len(posts.list()); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("file").files.length`)); n != 0 {
		t.Fatal("the form kept the file it refused")
	}
	browsertest.Screenshot(t, ctx, "upload-too-large")
	problems.Check(ctx)
}

// TestBrowserUploadOverTheLimitWithoutJavaScript: a file a few times the
// limit, sent by a browser that runs no script and so cannot check it
// first, gets the form back with why, not a reset connection: the server
// reads what the browser sends before it answers, as a browser reads the
// answer only once it has sent the whole form.
func TestBrowserUploadOverTheLimitWithoutJavaScript(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MaxUpload, c.MaxE2EUpload = 1<<20, 1<<20 })
	s.admin()
	ctx := browsertest.New(t)
	signIn(t, ctx, s.URL)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "large.bin")
	if err := os.WriteFile(path, noisy(4<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(wait,
		chromedp.Navigate(s.URL+"/links"),
		chromedp.Click(chromedp.CSS(`input[name=kind][value=file]`)),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
		chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
		chromedp.WaitReady(chromedp.CSS(`body`)),
	); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `location.pathname === "/links" && !!document.querySelector("[data-testid=form-error], #error-file")`, 60*time.Second)
	said, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("error-file").textContent`))
	if err != nil || !strings.Contains(said, "larger than 1 MiB") {
		t.Fatalf("beside the file field: %q, %v", said, err)
	}
	if links, chunks := s.stored(); links != 0 || chunks != 0 {
		t.Fatalf("%d links and %d chunks stored", links, chunks)
	}
	browsertest.Shoot(t, ctx, "upload-too-large-without-js")
}

// TestBrowserEncryptedFileLimit: while the form encrypts in the browser,
// a file is held to the limit of end-to-end files, not of the others.
func TestBrowserEncryptedFileLimit(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MaxUpload, c.MaxE2EUpload = 1<<20, 3<<20 })
	s.admin()
	ctx := browsertest.New(t)
	problems := browsertest.Watch(t, ctx)
	signIn(t, ctx, s.URL)
	chooseFile(t, ctx, 2<<20)
	validity := func() string {
		t.Helper()
		msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("file").validationMessage`))
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	if msg := validity(); !strings.Contains(msg, "larger than 1 MiB") {
		t.Fatalf("a 2 MiB file, sealed by the server: %q", msg)
	}
	toggle := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=e2e]`))); err != nil {
			t.Fatal(err)
		}
	}
	toggle()
	if msg := validity(); msg != "" {
		t.Fatalf("a 2 MiB file, encrypted in the browser: %q", msg)
	}
	toggle()
	if msg := validity(); !strings.Contains(msg, "larger than 1 MiB") {
		t.Fatalf("the same file, sealed by the server again: %q", msg)
	}
	toggle()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=e2e-created]`)),
	); err != nil {
		t.Fatal(err)
	}
	if links, _ := s.stored(); links != 1 {
		t.Fatalf("%d links stored, want the encrypted one", links)
	}
	// The form after it is a new one, sealed by the server until asked.
	chooseFile(t, ctx, 4<<20)
	toggle()
	if msg := validity(); !strings.Contains(msg, "3 MiB") {
		t.Fatalf("a 4 MiB file, encrypted in the browser: %q", msg)
	}
	problems.Check(ctx)
}

// TestBrowserMistakeKeepsWhatWasChosen: a create form that comes back with
// a mistake about another field keeps the file chosen and the password
// typed, which a form made again could not refill by itself, and takes
// the focus to the mistake; with the server sealing the file and with the
// browser encrypting it.
func TestBrowserMistakeKeepsWhatWasChosen(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	ctx := browsertest.New(t)
	problems := browsertest.Watch(t, ctx)
	signIn(t, ctx, s.URL)
	for i, e2e := range []bool{false, true} {
		chooseFile(t, ctx, 2000)
		if e2e {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=e2e]`))); err != nil {
				t.Fatal(err)
			}
		}
		if err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("ttl"), "45d"),
			chromedp.SendKeys(chromedp.ID("password"), "open sesame"),
			chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
		); err != nil {
			t.Fatal(err)
		}
		poll(t, ctx, `document.getElementById("ttl").getAttribute("aria-invalid") === "true"`, 10*time.Second)
		kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`[document.getElementById("file").files.length, document.getElementById("password").value, document.activeElement.id].join(" ")`))
		if err != nil || kept != "1 open sesame ttl" {
			t.Fatalf("e2e %v: after the mistake, files, password and focus are %q (%v), want %q", e2e, kept, err, "1 open sesame ttl")
		}
		if err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("ttl"), "1h"),
			chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=created]`)),
		); err != nil {
			t.Fatal(err)
		}
		var protected int
		if err := s.store.SessionDB().QueryRow(`SELECT COUNT(*) FROM links WHERE kind = 'file' AND password_hash <> '' AND size > 0`).Scan(&protected); err != nil || protected != i+1 {
			t.Fatalf("e2e %v: %d file links with a password (%v), want %d", e2e, protected, err, i+1)
		}
	}
	// A session that ends under the form: the browser's encrypted create
	// says so in the alerts, as htmx's does, and the form stays.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`fetch("/logout", {method: "POST"}).then(() => {})`, chromedp.EvalAwaitPromise),
		chromedp.Click(chromedp.CSS(`input[name=kind][value=message]`)),
		chromedp.Evaluate[chromedp.Void](`(b => b.checked || b.click())(document.querySelector("[data-e2e-toggle]"))`),
		chromedp.SendKeys(chromedp.ID("message"), "typed as the session ended"),
		chromedp.Click(chromedp.CSS(`[data-testid=create]`)),
	); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, `!!document.querySelector("#alerts .error[data-status='401'] a[href^='/login']") && document.getElementById("message").value === "typed as the session ended"`, 10*time.Second)
	problems.Check(ctx)
}

func TestBrowserFileLinkDownloads(t *testing.T) {
	s := newTestServer(t)
	ctx, problems, link := openSharedReport(t, s)
	name, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=file-name]`)))
	if err != nil || name != "report.pdf" {
		t.Fatalf("name %q, %v", name, err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`fetch(%q).then(r => r.status + " " + r.headers.get("Content-Type") + " " + r.headers.get("Content-Disposition"))`, link+"/file"), chromedp.EvalAwaitPromise))
	if err != nil || got != `200 application/octet-stream attachment; filename="report.pdf"; filename*=UTF-8''report.pdf` {
		t.Fatalf("download: %q, %v", got, err)
	}
	browsertest.Screenshot(t, ctx, "shared-file")
	problems.Check(ctx)
}

// When a delivered file's time in the browser is over, the page says so
// and its download button goes, rather than fail without a word.
func TestBrowserGrantEndsOnThePage(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.GrantTTL = 2 * time.Second })
	ctx, problems, _ := openSharedReport(t, s)
	ended := `document.querySelector("[data-testid=grant-note]").hasAttribute("data-ended") &&
		document.querySelector("[data-testid=grant-note]").textContent.includes("no longer downloads") &&
		!document.querySelector("[data-testid=download]").hasAttribute("href")`
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](ended))
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page does not say its time is over")
		}
	}
	browsertest.Screenshot(t, ctx, "grant-ended")
	problems.Check(ctx)
}

// openSharedReport shares a small PDF on s and opens its link in a new
// browser, which then shows the file's download button.
func openSharedReport(t *testing.T, s *testServer) (ctx context.Context, problems *browsertest.Problems, link string) {
	t.Helper()
	link = s.admin().shareFile("report.pdf", []byte("%PDF-1.4\n%âãÏÓ\n"))
	ctx = browsertest.New(t)
	problems = browsertest.Watch(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.Click(chromedp.CSS(`[data-testid=open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=download][href]`)),
	); err != nil {
		t.Fatal(err)
	}
	return ctx, problems, link
}

// TestPlayerStateUnderEveryTitle: on the player's demo page, each clip's
// state stands in the same place, under its title and its artist at the
// line's start, whether the title takes one line or two; in every
// language, on a phone and a wide screen.
func TestPlayerStateUnderEveryTitle(t *testing.T) {
	ctx := browsertest.New(t)
	b := newTab(t, ctx, newTestServer(t))
	for _, code := range []string{"en", "de", "fr", "es", "ar"} {
		b.chooseLanguage("/player", code)
		b.wait(`document.querySelectorAll(".player[data-enhanced]").length === 2`, 5*time.Second)
		for _, width := range []int64{390, 1280} {
			b.do(chromedp.EmulateViewport(width, 900))
			got := eval[[]string](b, `Array.from(document.querySelectorAll(".player"), p => {
				const rtl = getComputedStyle(p).direction === "rtl";
				const title = p.querySelector(".player-head > div").getBoundingClientRect();
				const state = p.querySelector("[data-testid=player-state]").getBoundingClientRect();
				const start = rtl ? Math.abs(state.right - title.right) : Math.abs(state.left - title.left);
				return state.height > 0 && state.top >= title.bottom - 0.5 && start < 1 ? "" : p.dataset.testid;
			}).filter(Boolean)`)
			if len(got) > 0 {
				t.Errorf("in %s at %dpx, the state of %v is not under its title", code, width, got)
			}
		}
		if code == "en" || code == "ar" {
			browsertest.Shoot(t, ctx, "player-state-"+code)
		}
		b.clean("the player in " + code)
	}
}
