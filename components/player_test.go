package components

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/assets"
	"oncelink/i18n"
	"oncelink/internal/browsertest"
)

func TestPlayerRenders(t *testing.T) {
	tests := []struct {
		name string
		m    Media
		want []string
	}{
		{"video", demoClips(context.Background())[0], []string{
			`<video controls preload="metadata" playsinline aria-labelledby="player-title-video"`, `data-testid="player-video"`,
			`aria-labelledby="player-title-video" data-player`, `<h2 class="player-title" id="player-title-video"><bdi>Test pattern with a running timer</bdi></h2>`,
			`type="video/webm; codecs=&#34;vp9, opus&#34;"`, `data-title="Test pattern with a running timer"`,
			`<track kind="captions" src="/player/captions/en" srclang="en" label="English" default>`,
		}},
		{"audio", demoClips(context.Background())[1], []string{`<audio controls preload="metadata" aria-labelledby="player-title-audio"`,
			`id="player-title-audio"`, `data-testid="player-audio"`}},
		{"untyped", Media{Kind: "audio", Src: "/l/x/media", Title: "Shared clip"}, []string{
			`<source src="/l/x/media">`, `data-title="Shared clip"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := Player(tt.m).Render(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			html := b.String()
			common := []string{`data-player`, `data-testid="pause-when-hidden"`, `data-testid="activity"`,
				`data-testid="resume"`, `data-part="extras" hidden`}
			for _, w := range slices.Concat(tt.want, common) {
				if !strings.Contains(html, w) {
					t.Errorf("markup lacks %s:\n%s", w, html)
				}
			}
			if strings.Contains(html, "style=") || strings.Contains(html, "<script") {
				t.Errorf("markup has inline style or script, which the CSP blocks:\n%s", html)
			}
		})
	}
}

// TestPlayerPausesWhileHidden plays the demo in a real Chromium and hides the
// page by minimising its window, as a person switching away would.
func TestPlayerPausesWhileHidden(t *testing.T) {
	b := startPlayerBrowser(t, 1280, 900)
	b.open("/player")

	video := player{b, "video"}
	audio := player{b, "audio"}
	if !b.eval(video.sel("pause-when-hidden") + ".checked") {
		t.Fatal("the pause-when-hidden switch is off by default")
	}

	// Playing, hidden: paused where it was; visible: playing from there.
	video.play()
	b.waitFor("the video to pass 1 s", video.media()+".currentTime > 1")
	if got := b.evalString("navigator.mediaSession.metadata && navigator.mediaSession.metadata.title"); got != "Test pattern with a running timer" {
		t.Errorf("media session title = %q", got)
	}
	b.hide()
	video.waitState("paused-by-visibility")
	at := b.evalFloat(video.media() + ".currentTime")
	time.Sleep(600 * time.Millisecond)
	if now := b.evalFloat(video.media() + ".currentTime"); now != at {
		t.Errorf("hidden video moved from %.2f s to %.2f s", at, now)
	}
	video.wantLatest("hidden", "paused video")
	b.show()
	video.waitState("playing")
	if now := b.evalFloat(video.media() + ".currentTime"); now < at || now > at+1.5 {
		t.Errorf("visible again at %.2f s, want it to go on from %.2f s", now, at)
	}
	video.wantLatest("visible", "resumed video")

	// Paused by hand: hiding and showing leaves it paused.
	b.eval(video.media() + ".pause(), true")
	video.waitState("paused")
	b.hide()
	video.waitEntries(3)
	b.show()
	video.waitEntries(4)
	video.wantState("paused")
	video.wantLatest("visible", "stays paused")

	// Switched off: it keeps playing while hidden, and the choice holds for
	// every player on the page.
	b.click(video.sel("pause-when-hidden"))
	if b.eval(audio.sel("pause-when-hidden") + ".checked") {
		t.Error("switching off one player left the other on")
	}
	video.play()
	b.hide()
	video.waitEntries(6)
	at = b.evalFloat(video.media() + ".currentTime")
	b.waitFor("the hidden video to go on playing", fmt.Sprintf("%s.currentTime > %f", video.media(), at+0.3))
	video.wantState("playing")
	video.wantLatest("hidden", "kept video playing")
	b.show()
	video.waitEntries(7)

	wantEvents := []string{"visible", "hidden", "switch", "visible", "hidden", "visible", "hidden"}
	if got := video.events(); !slices.Equal(got, wantEvents) {
		t.Errorf("activity, newest first = %q, want %q", got, wantEvents)
	}
	stamp := regexp.MustCompile(`^\d\d:\d\d:\d\d `)
	for _, text := range video.entries() {
		if !stamp.MatchString(text) {
			t.Errorf("activity entry %q has no time", text)
		}
	}
	b.noViolations()

	// Reload: the switch is remembered, and so is the position.
	at = b.evalFloat(video.media() + ".currentTime")
	b.reload()
	if b.eval(video.sel("pause-when-hidden") + ".checked") {
		t.Error("the switch is on again after a reload")
	}
	b.waitFor("the position to come back", video.media()+".currentTime > 1")
	if now := b.evalFloat(video.media() + ".currentTime"); now < at-1.5 || now > at+1.5 {
		t.Errorf("after a reload the video is at %.2f s, want about %.2f s", now, at)
	}
	video.wantLatest("position", "picked up where you left off")
	b.click(video.sel("pause-when-hidden"))

	// The browser refuses to resume: the player says so and offers a button.
	video.play()
	b.eval(video.media() + `.play = () => Promise.reject(new DOMException("refused", "NotAllowedError")), true`)
	b.hide()
	video.waitState("paused-by-visibility")
	b.show()
	video.waitState("resume-blocked")
	if b.eval(video.sel("autoplay-notice") + ".hidden") {
		t.Fatal("no notice after the browser refused to resume")
	}
	b.eval("delete " + video.media() + ".play")
	b.click(video.sel("resume"))
	video.waitState("playing")
	if !b.eval(video.sel("autoplay-notice") + ".hidden") {
		t.Error("the notice stays after resuming")
	}

	// Both players at once: each resumes what it paused.
	audio.play()
	b.hide()
	video.waitState("paused-by-visibility")
	audio.waitState("paused-by-visibility")
	b.show()
	video.waitState("playing")
	audio.waitState("playing")

	// A video in picture-in-picture stays on screen, so it keeps playing.
	// Headless Chromium has no such window: the test stands one in.
	b.eval(`Object.defineProperty(document, "pictureInPictureElement", {configurable: true, get: () => ` +
		video.media() + `}), true`)
	b.hide()
	audio.waitState("paused-by-visibility")
	video.wantLatest("hidden", "kept video playing in picture-in-picture")
	video.wantState("playing")
	b.show()
	audio.waitState("playing")
	b.eval(`delete document.pictureInPictureElement`)
	b.noViolations()
}

// TestPlayerKeepsPlaceAcrossBackForwardCache leaves the page while the video
// plays and comes back with the back button.
func TestPlayerKeepsPlaceAcrossBackForwardCache(t *testing.T) {
	b := startPlayerBrowser(t, 1280, 900)
	b.open("/player")
	video := player{b, "video"}
	video.play()
	b.waitFor("the video to pass 1.5 s", video.media()+".currentTime > 1.5")
	at := b.evalFloat(video.media() + ".currentTime")

	b.do(chromedp.Navigate(b.url + "/elsewhere"))
	// chromedp.NavigateBack waits for a load event, which a page restored
	// from the back/forward cache does not fire.
	b.eval("history.back(), true")
	b.waitFor("the player to be back", `!!document.querySelector("[data-player][data-enhanced]")`)
	video.waitState("playing")
	if now := b.evalFloat(video.media() + ".currentTime"); now < at || now > at+1.5 {
		t.Errorf("back at %.2f s, want it to go on from %.2f s", now, at)
	}
	video.wantLatest("visible", "resumed video")
	if !slices.Contains(video.events(), "pageshow") {
		t.Errorf("activity %q tells of no restore from the back/forward cache", video.entries())
	}
	b.noViolations()
}

// TestPlayerAtDesktopAndPhoneWidths plays the demo at desktop and phone
// widths, after a round trip to another tab and with the notice that the
// browser refused to resume; with $ONCELINK_SCREENSHOTS set, it writes each
// in light and dark there for a person to look at.
func TestPlayerAtDesktopAndPhoneWidths(t *testing.T) {
	for _, width := range []int64{1280, 390} {
		b := startPlayerBrowser(t, int(width), 900)
		b.do(chromedp.EmulateViewport(width, 900))
		b.open("/player")
		video := player{b, "video"}
		video.play()
		b.waitFor("the video to pass 1.5 s", video.media()+".currentTime > 1.5")
		b.hide()
		b.show()
		b.waitFor("the video to pass 2.5 s", video.media()+".currentTime > 2.5")
		b.eval(video.media() + ".pause(), true")
		// At 5 s the captions show the high chime.
		b.eval(video.media() + ".currentTime = 5.2, true")
		b.waitFor("the captions to show the high chime", video.media()+`.textTracks[0].mode === "showing" && `+
			video.media()+`.textTracks[0].cues.length === 20 && `+
			video.media()+`.textTracks[0].activeCues[0]?.text === "[high chime]"`)
		browsertest.Shoot(b.t, b.ctx, "player", width)

		video.play()
		b.eval(video.media() + `.play = () => Promise.reject(new DOMException("refused", "NotAllowedError")), true`)
		b.hide()
		b.show()
		video.waitState("resume-blocked")
		browsertest.Shoot(b.t, b.ctx, "player-blocked", width)
		b.noViolations()
	}
}

// playerTab is one page of a fresh Chromium, talking to a test server that
// serves the player demo under the app's CSP.
type playerTab struct {
	t        *testing.T
	ctx      context.Context
	url      string
	problems *browsertest.Problems
}

func startPlayerBrowser(t *testing.T, width, height int) *playerTab {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(assets.Prefix, assets.Handler(MadeFile))
	mux.HandleFunc("GET /player", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := PlayerPage(Page{Title: "Media player", Scripts: []string{"player.js"}}).Render(r.Context(), w); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("GET "+DemoCaptionsPath("{lang}"), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/vtt; charset=utf-8")
		fmt.Fprint(w, DemoCaptions(i18n.With(r.Context(), r.PathValue("lang"))))
	})
	mux.HandleFunc("GET /elsewhere", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
		fmt.Fprint(w, "<!DOCTYPE html><title>elsewhere</title><p>Another page.")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t, chromedp.WindowSize(width, height),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	return &playerTab{t: t, ctx: ctx, url: srv.URL, problems: browsertest.Watch(t, ctx)}
}

func (b *playerTab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *playerTab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.url + path))
	b.waitFor("player.js to start", `document.querySelectorAll("[data-player][data-enhanced]").length === 2`)
}

func (b *playerTab) reload() {
	b.t.Helper()
	b.do(chromedp.Reload())
	b.waitFor("player.js to start", `document.querySelectorAll("[data-player][data-enhanced]").length === 2`)
}

func (b *playerTab) click(sel string) {
	b.t.Helper()
	b.eval(sel + ".scrollIntoView({block: 'center'}), true")
	b.do(chromedp.Click(chromedp.JSPath(sel)))
}

func evalPage[T any](b *playerTab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (b *playerTab) eval(expr string) bool {
	b.t.Helper()
	return evalPage[bool](b, expr)
}

func (b *playerTab) evalFloat(expr string) float64 {
	b.t.Helper()
	return evalPage[float64](b, expr)
}

func (b *playerTab) evalString(expr string) string {
	b.t.Helper()
	return evalPage[string](b, expr)
}

func (b *playerTab) evalStrings(expr string) []string {
	b.t.Helper()
	return evalPage[[]string](b, expr)
}

// waitFor evaluates cond until it is true. It works on a hidden page,
// where chromedp.Poll would wait for an animation frame for ever.
func (b *playerTab) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !b.eval(cond) {
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s: %s", what, cond)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

func (b *playerTab) hide() {
	b.t.Helper()
	browsertest.SetHidden(b.t, b.ctx, true)
}

func (b *playerTab) show() {
	b.t.Helper()
	browsertest.SetHidden(b.t, b.ctx, false)
}

// noViolations fails the test on any CSP violation, uncaught exception or
// console error or warning so far.
func (b *playerTab) noViolations() {
	b.t.Helper()
	b.problems.Check(b.ctx)
}

// player is one [data-player] element of the page, by kind.
type player struct {
	*playerTab
	kind string
}

func (p player) root() string {
	return fmt.Sprintf(`document.querySelector('[data-testid="player-%s"]')`, p.kind)
}
func (p player) media() string { return p.root() + `.querySelector('[data-testid="media"]')` }
func (p player) sel(testid string) string {
	return fmt.Sprintf(`%s.querySelector('[data-testid="%s"]')`, p.root(), testid)
}

func (p player) play() {
	p.t.Helper()
	p.eval(p.media() + ".play().then(() => true)")
	p.waitState("playing")
}

func (p player) waitState(state string) {
	p.t.Helper()
	p.waitFor(p.kind+" state "+state, fmt.Sprintf("%s.dataset.state === %q", p.root(), state))
}

func (p player) wantState(state string) {
	p.t.Helper()
	if got := p.evalString(p.root() + ".dataset.state"); got != state {
		p.t.Errorf("%s state = %q, want %q", p.kind, got, state)
	}
}

func (p player) waitEntries(n int) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%d activity entries", n), fmt.Sprintf("%s.children.length >= %d", p.sel("activity"), n))
}

// events lists the kinds of the activity entries, newest first.
func (p player) events() []string {
	p.t.Helper()
	return p.evalStrings(fmt.Sprintf("Array.from(%s.children, (li) => li.dataset.event)", p.sel("activity")))
}

func (p player) entries() []string {
	p.t.Helper()
	return p.evalStrings(fmt.Sprintf("Array.from(%s.children, (li) => li.textContent)", p.sel("activity")))
}

// wantLatest waits for the newest activity entry to be of the kind event
// and to contain text: an entry about resuming comes once play() resolves.
func (p player) wantLatest(event, text string) {
	p.t.Helper()
	cond := fmt.Sprintf("((li) => !!li && li.dataset.event === %q && li.textContent.includes(%q))(%s.firstElementChild)",
		event, text, p.sel("activity"))
	for deadline := time.Now().Add(5 * time.Second); !p.eval(cond); time.Sleep(40 * time.Millisecond) {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s activity, newest first: %q; want it to start with a %s entry containing %q",
				p.kind, p.entries(), event, text)
		}
	}
}
