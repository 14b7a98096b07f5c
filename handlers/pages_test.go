package handlers

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"oncelink/assets"
	"oncelink/core"
	"oncelink/i18n"
)

// TestDeadLinksSayWhatEndedThem: a dead link's row and details page say
// what ended it and when, rather than an expiry it never reached, and every
// link says how often it was opened of how often it may be.
func TestDeadLinksSayWhatEndedThem(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	created := s.clock.Now()
	used := c.createLink(url.Values{"label": {"used"}, "ttl": {"1d"}})
	revoked := c.createLink(url.Values{"label": {"revoked"}, "ttl": {"1d"}, "max_uses": {"5"}})
	c.createLink(url.Values{"label": {"expired"}, "ttl": {"1h"}})
	c.createLink(url.Values{"label": {"active"}, "ttl": {"1d"}, "max_uses": {"5"}})

	s.clock.Advance(10 * time.Minute)
	usedAt := s.clock.Now()
	if res := s.client().post(used, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	s.clock.Advance(10 * time.Minute)
	if res := s.client().post(revoked, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	s.clock.Advance(10 * time.Minute)
	revokedAt := s.clock.Now()
	revokedID := itoa(linkOf(t, s, revoked).ID)
	c.post("/links/"+revokedID+"/revoke", nil)
	s.clock.Advance(2 * time.Hour)

	iso := func(at time.Time) string { return at.UTC().Format(time.RFC3339) }
	want := map[string]struct{ word, at, opened string }{
		"used":    {"Used", iso(usedAt), "1 of 1"},
		"revoked": {"Revoked", iso(revokedAt), "1 of 5"},
		"expired": {"Expired", iso(created.Add(time.Hour)), "0 of 1"},
		"active":  {"Expires in", "", "0 of 5"},
	}
	page := parseHTML(t, c.get("/links").body)
	rows := findAll(page, byTestID("link-row"))
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		name := attr(row, "data-name")
		w := want[name]
		life := first(t, row, name+"'s life", byTestID("life"))
		checkLife(t, name+"'s row", life, w.word, w.at)
		if got := textOf(first(t, row, "uses", byTestID("uses"))); got != "Opened "+w.opened {
			t.Errorf("%s's row says %q, want Opened %s", name, got, w.opened)
		}

		details := parseHTML(t, c.get(attr(first(t, row, "details link", func(n *html.Node) bool { return n.Data == "a" }), "href")).body)
		checkLife(t, name+"'s details", first(t, details, "life", byTestID("life")), w.word, w.at)
		if got := textOf(first(t, details, "opened", byTestID("opened"))); got != w.opened {
			t.Errorf("%s's details say opened %q, want %s", name, got, w.opened)
		}
	}
}

// checkLife checks a link's life as a row or the details page says it: the
// word, then the time it names (none for a countdown). A countdown's
// template, the words it shows at zero, is not read: the page shows it only
// then.
func checkLife(t *testing.T, where string, life *html.Node, word, at string) {
	t.Helper()
	if got := textOf(life); !strings.HasPrefix(got, word+" ") {
		t.Errorf("%s says %q, want %s …", where, got, word)
	}
	times := findAll(life, func(n *html.Node) bool { return n.Data == "time" && n.Parent.Data != "template" })
	if len(times) != 1 {
		t.Fatalf("%s has %d times", where, len(times))
	}
	if at == "" {
		if !strings.Contains(attr(times[0], "class"), "countdown") {
			t.Errorf("%s has no countdown", where)
		}
		return
	}
	if got := attr(times[0], "datetime"); got != at {
		t.Errorf("%s names %s, want %s", where, got, at)
	}
}

// TestAttemptsOnADeadLinkAreAudited: an open of a dead link is refused with
// 410 and shows in its details' one timeline with its address and
// browser, and no more than a few of them are kept however many come.
func TestAttemptsOnADeadLinkAreAudited(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	link := c.createLink(nil)
	id := itoa(linkOf(t, s, link).ID)
	const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
	s.client().request(http.MethodGet, link, nil, http.Header{"User-Agent": {chrome}})
	// Each from another browser: the one that opened the link may see it
	// again for a while.
	open := func() response {
		return s.client().request(http.MethodPost, link, nil, http.Header{"User-Agent": {chrome}})
	}
	if res := open(); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d", res.StatusCode)
	}
	for i := range 15 {
		if res := open(); res.StatusCode != http.StatusGone {
			t.Fatalf("open %d of a used link: %d", i+2, res.StatusCode)
		}
	}

	page := parseHTML(t, c.get("/links/"+id).body)
	events := findAll(first(t, page, "timeline", byTestID("timeline")), byTestID("audit-event"))
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, attr(e, "data-kind"))
	}
	want := []string{"created", "view", "use"}
	for range 10 {
		want = append(want, "gone")
	}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("timeline: %v, want %v", kinds, want)
	}
	gone := events[len(events)-1]
	if !strings.Contains(textOf(gone), "127.0.0.1") || len(findAll(gone, func(n *html.Node) bool { return n.Data == "time" })) != 1 {
		t.Errorf("the attempt lacks its address or time: %q", textOf(gone))
	}
	browser := first(t, gone, "browser", byTestID("browser"))
	if got := textOf(first(t, browser, "browser name", func(n *html.Node) bool { return n.Data == "summary" })); got != "Chrome 142 on Linux" {
		t.Errorf("the browser reads %q", got)
	}
	if !strings.Contains(textOf(browser), chrome) {
		t.Errorf("the raw user agent is not there: %q", textOf(browser))
	}
}

// TestAddressWithoutSchemeGetsHTTPS: a web address typed without its
// scheme is shared with https://, and the form lets one be typed so.
func TestAddressWithoutSchemeGetsHTTPS(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	field := first(t, parseHTML(t, c.get("/links").body), "web address field", byAttr("id", "url"))
	if attr(field, "type") != "text" || attr(field, "inputmode") != "url" {
		t.Errorf("the web address field is type %q, inputmode %q: a browser refuses an address without its scheme in type=url",
			attr(field, "type"), attr(field, "inputmode"))
	}
	for typed, want := range map[string]string{
		"example.com/report?q=1": "https://example.com/report?q=1",
		"  www.example.org ":     "https://www.example.org",
		"//example.net/x":        "https://example.net/x",
		"localhost:8080/x":       "https://localhost:8080/x",
		"http://example.com/":    "http://example.com/",
	} {
		link := c.createLink(url.Values{"kind": {"url"}, "url": {typed}})
		res := s.client().post(link, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("%q: %d to %q, want %q", typed, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
}

// TestNavigation: the header marks the page it is on, or the section of a
// page under another (a link's details under Links), and shows the player
// demo only to the signed-in and on the demo itself: a recipient's pages
// do not advertise it.
func TestNavigation(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	link := c.createLink(nil)
	nav := func(cl *testClient, path string) (links []string, current string) {
		t.Helper()
		res := cl.get(path)
		for _, a := range findAll(first(t, parseHTML(t, res.body), "nav", byAttr("aria-label", "Main")), func(n *html.Node) bool { return n.Data == "a" }) {
			links = append(links, attr(a, "href"))
			if v := attr(a, "aria-current"); v != "" {
				if current != "" || (v == "page") != (attr(a, "href") == path) || (v != "page" && v != "true") {
					t.Errorf("%s: aria-current=%q on %s, after %q", path, v, attr(a, "href"), current)
				}
				current = attr(a, "href")
			}
		}
		return links, current
	}
	for _, tt := range []struct {
		who     string
		c       *testClient
		path    string
		links   string
		current string
	}{
		{"owner", c, "/links", "/links /requests /settings /accounts /player", "/links"},
		{"owner", c, "/requests", "/links /requests /settings /accounts /player", "/requests"},
		{"owner", c, "/settings", "/links /requests /settings /accounts /player", "/settings"},
		{"owner", c, "/player", "/links /requests /settings /accounts /player", "/player"},
		{"owner", c, "/links/1", "/links /requests /settings /accounts /player", "/links"},
		{"recipient", s.client(), link[len(s.URL):], "", ""},
		{"recipient", s.client(), "/l/" + strings.Repeat("A", 43), "", ""},
		{"visitor", s.client(), "/player", "/player /login", "/player"},
		{"visitor", s.client(), "/login", "", ""},
	} {
		links, current := nav(tt.c, tt.path)
		if strings.Join(links, " ") != tt.links || current != tt.current {
			t.Errorf("%s on %s: links %v, current %q; want %q, %q", tt.who, tt.path, links, current, tt.links, tt.current)
		}
	}
}

// TestCountdownsSayExpiresIn: wherever a countdown shows, it reads
// "Expires in …", counted from the server's time.
func TestCountdownsSayExpiresIn(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	link := c.createLink(url.Values{"ttl": {"2h"}})
	id := itoa(linkOf(t, s, link).ID)
	s.clock.Advance(30 * time.Minute)
	for _, page := range []struct {
		who  *testClient
		path string
	}{{c, "/links"}, {c, "/links/" + id}, {s.client(), link[len(s.URL):]}} {
		countdowns := findAll(parseHTML(t, page.who.get(page.path).body), func(n *html.Node) bool {
			return n.Data == "time" && strings.Contains(attr(n, "class"), "countdown")
		})
		if len(countdowns) != 1 {
			t.Errorf("%s has %d countdowns", page.path, len(countdowns))
			continue
		}
		if got := textOf(countdowns[0].Parent); got != "Expires in 1h 30m" {
			t.Errorf("%s: the countdown reads %q", page.path, got)
		}
	}
}

// TestCreateFormHelps: the create form offers its common lifetimes as
// buttons beside the free field (the list stays for browsers without
// scripts), within the server's bounds; a password generator; and no
// autofill of an account name into "only for account".
func TestCreateFormHelps(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MaxTTL = 7 * 24 * time.Hour })
	c := s.admin()
	form := first(t, parseHTML(t, c.get("/links").body), "create form", byTestID("create-form"))
	var presets, listed []string
	for _, b := range findAll(form, func(n *html.Node) bool { return attr(n, "data-ttl") != "" }) {
		presets = append(presets, attr(b, "data-ttl"))
		if b.Data != "button" || attr(b, "type") != "button" {
			t.Errorf("preset %s is a <%s type=%q>", attr(b, "data-ttl"), b.Data, attr(b, "type"))
		}
	}
	for _, o := range findAll(first(t, form, "lifetimes list", byAttr("id", "ttl-presets")), func(n *html.Node) bool { return n.Data == "option" }) {
		listed = append(listed, attr(o, "value"))
	}
	if strings.Join(presets, " ") != "10m 1h 1d 7d" || strings.Join(listed, " ") != "10m 1h 1d 7d" {
		t.Errorf("presets %v, listed %v; want 10m 1h 1d 7d, within a 7d maximum", presets, listed)
	}
	gen := first(t, form, "password generator", byAttr("data-generate", "password"))
	if gen.Data != "button" || len(attr(gen, "data-alphabet")) < 32 || attr(gen, "data-length") == "" {
		t.Errorf("the generator is <%s> with alphabet %q, length %q", gen.Data, attr(gen, "data-alphabet"), attr(gen, "data-length"))
	}
	if got := attr(first(t, form, "account field", byAttr("id", "for_user")), "autocomplete"); got != "off" {
		t.Errorf("only for account has autocomplete=%q", got)
	}
}

// TestCreatedLinkComesWithInstructions: a new link comes with a text to
// send with it: who shares what, until when, and, when it has one, that the
// password comes separately.
func TestCreatedLinkComesWithInstructions(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	s.user("bob")
	for _, tt := range []struct {
		form    url.Values
		want    []string
		wantNot string
	}{
		{url.Values{"kind": {"message"}, "message": {"hi"}, "ttl": {"1h"}},
			[]string{"ada shared a message with you: ", "It opens once, until ", "UTC"}, "password"},
		{url.Values{"kind": {"url"}, "url": {"example.com"}, "ttl": {"1d"}, "max_uses": {"3"}, "password": {"pw"}, "for_user": {"bob"}},
			[]string{"ada shared a web address with you: ", "It opens 3 times, until ", "Only the account bob can open it.", "The password comes separately."}, ""},
	} {
		for _, htmx := range []bool{false, true} {
			var res response
			if htmx {
				res = c.htmx(http.MethodPost, "/links", tt.form)
			} else {
				res = c.post("/links", tt.form)
			}
			page := parseHTML(t, res.body)
			link := attr(first(t, page, "link", byTestID("link-url")), "value")
			text := first(t, page, "instructions", byTestID("instructions"))
			got := textOf(text)
			if text.Data != "textarea" || !strings.Contains(got, link) {
				t.Errorf("the instructions are a <%s> without the link: %q", text.Data, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the instructions lack %q: %q", w, got)
				}
			}
			if tt.wantNot != "" && strings.Contains(got, tt.wantNot) {
				t.Errorf("the instructions speak of a %s: %q", tt.wantNot, got)
			}
			copyButton := findAll(page, byAttr("data-copy", attr(text, "id")))
			if len(copyButton) != 1 {
				t.Errorf("%d buttons copy the instructions", len(copyButton))
			}
			// The two Copy buttons say to a screen reader what each copies,
			// in names that hold the word they show.
			names := map[string]bool{}
			for _, b := range findAll(page, func(n *html.Node) bool { return n.Data == "button" && attr(n, "data-copy") != "" }) {
				name := attr(b, "aria-label")
				if !strings.Contains(name, textOf(b)) || names[name] {
					t.Errorf("a copy button shows %q and is named %q, after %v", textOf(b), name, names)
				}
				names[name] = true
			}
		}
	}
}

// TestSharedMediaPage: a recipient's media page has the player without the
// demo's instructions, and calls the thing by one noun throughout; the demo
// keeps its instructions.
func TestSharedMediaPage(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	video := assetBytes(t, "media/sample-video.webm")
	for _, tt := range []struct {
		name     string
		body     []byte
		noun     string
		notNouns []string
	}{
		{"song.wav", wav(1), "recording", []string{"audio", "clip", "video"}},
		{"clip.webm", video, "video", []string{"audio", "clip", "recording"}},
	} {
		res := s.client().openInBrowser(c.shareFile(tt.name, tt.body))
		page := parseHTML(t, res.body)
		shared := first(t, page, "shared media", byTestID("delivered"))
		player := first(t, shared, "player", byAttr("data-player", ""))
		if attr(player, "data-noun") != tt.noun {
			t.Errorf("%s: the player's noun is %q, want %s", tt.name, attr(player, "data-noun"), tt.noun)
		}
		// What the page says in words: the heading and the player's
		// sentences, not the file's name or type.
		words := textOf(first(t, shared, "heading", func(n *html.Node) bool { return n.Data == "h1" }))
		for _, p := range findAll(player, func(n *html.Node) bool { return n.Data == "p" }) {
			words += " " + textOf(p)
		}
		if !strings.Contains(words, tt.noun) {
			t.Errorf("%s: the page does not say %s: %q", tt.name, tt.noun, words)
		}
		for _, other := range tt.notNouns {
			if strings.Contains(strings.ToLower(words), other) {
				t.Errorf("%s: the page calls it %s too: %q", tt.name, other, words)
			}
		}
		if strings.Contains(textOf(shared), "switch to another tab") {
			t.Errorf("%s: the page has the demo's instructions", tt.name)
		}
	}
	if demo := textOf(parseHTML(t, s.client().get("/player").body)); !strings.Contains(demo, "switch to another tab") {
		t.Error("the demo lost its instructions")
	}
}

// TestDemoVideoHasCaptions: the demo video carries captions in the page's
// language, which say its sound, a chime a second and a higher one every
// fifth, in that language; a language oncelink does not speak has none.
func TestDemoVideoHasCaptions(t *testing.T) {
	s := newTestServer(t)
	c := s.client()
	high := map[string]string{"en": "[high chime]", "de": "[hoher Glockenton]", "fr": "[carillon aigu]", "es": "[campanilla aguda]", "ar": "[رنين حاد]"}
	for _, l := range i18n.Languages {
		page := parseHTML(t, c.getIn("/player", l.Code).body)
		track := first(t, page, "the video's track", func(n *html.Node) bool { return n.Data == "track" })
		want := map[string]string{"kind": "captions", "src": "/player/captions/" + l.Code, "srclang": l.Code, "label": l.Name, "default": ""}
		for _, a := range track.Attr {
			if value, ok := want[a.Key]; ok && a.Val == value {
				delete(want, a.Key)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s: the track lacks %v: %v", l.Code, want, track.Attr)
		}
		res := c.get("/player/captions/" + l.Code)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/vtt; charset=utf-8" {
			t.Fatalf("%s: captions: %d %s", l.Code, res.StatusCode, res.Header.Get("Content-Type"))
		}
		cues := strings.Split(strings.TrimSpace(res.body), "\n\n")
		if cues[0] != "WEBVTT" || len(cues) != 21 {
			t.Fatalf("%s: captions are not WebVTT with 20 cues:\n%s", l.Code, res.body)
		}
		if got, want := cues[6], "00:00:05.000 --> 00:00:05.500\n"+high[l.Code]; got != want {
			t.Errorf("%s: the cue at 5 s is %q, want %q", l.Code, got, want)
		}
		if strings.Contains(cues[7], high[l.Code]) {
			t.Errorf("%s: the cue at 6 s is a high chime: %q", l.Code, cues[7])
		}
	}
	for _, code := range []string{"xx", "EN", "en-GB"} {
		if res := c.get("/player/captions/" + code); res.StatusCode != http.StatusNotFound {
			t.Errorf("captions in %q: %d, want 404", code, res.StatusCode)
		}
	}
	// A shared clip has no captions of the demo's.
	res := s.client().openInBrowser(s.admin().shareFile("clip.webm", assetBytes(t, "media/sample-video.webm")))
	if strings.Contains(res.body, "<track") {
		t.Errorf("a shared video carries the demo's captions")
	}
}

// TestTableHeadersAreNamed: every column of every table has a header that a
// screen reader can read, the column of buttons too.
func TestTableHeadersAreNamed(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	s.user("bob")
	link := c.createLink(nil)
	c.createRequest(nil)
	for _, path := range []string{"/links", "/links/" + itoa(linkOf(t, s, link).ID), "/requests", "/accounts"} {
		page := parseHTML(t, c.get(path).body)
		headers := findAll(page, func(n *html.Node) bool { return n.Data == "th" })
		if len(headers) == 0 {
			t.Errorf("%s has no table", path)
		}
		for _, th := range headers {
			if strings.TrimSpace(textOf(th)) == "" || attr(th, "scope") != "col" {
				t.Errorf("%s: a column header without a name or scope: %q, scope %q", path, textOf(th), attr(th, "scope"))
			}
		}
	}
}

// assetBytes is the embedded asset at name, such as a sample clip.
func assetBytes(t *testing.T, name string) []byte {
	t.Helper()
	f, err := assets.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
