package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestProblemsInTheClientsLanguage: a problem's title, the status phrase,
// and its detail are English unless the client asks for a language
// oncelink speaks; its type and code are the same in every language.
func TestProblemsInTheClientsLanguage(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	anon := s.client("")
	p := anon.get("/api/v1/me").problem()
	if p.Type != "about:blank" || p.Code != "key_missing" || p.Title != "Unauthorized" || !strings.HasPrefix(p.Detail, "Send an API key") {
		t.Errorf("English: %+v", p)
	}
	res := anon.do(http.MethodGet, "/api/v1/me", "", nil, http.Header{"Accept-Language": {"de-DE,de;q=0.9"}})
	if p := res.problem(); p.Type != "about:blank" || p.Code != "key_missing" || p.Title != "Nicht autorisiert" || !strings.HasPrefix(p.Detail, "Senden Sie einen API-Schlüssel") {
		t.Errorf("German: %+v", p)
	}
	res = anon.do(http.MethodGet, "/api/v1/me", "", nil, http.Header{"Accept-Language": {"ja"}})
	if p := res.problem(); p.Title != "Unauthorized" {
		t.Errorf("a language not spoken: %+v", p)
	}
}

// TestBadJSONSaysWhereInTheClientsLanguage: a body that is not one JSON
// value is refused with where it goes wrong, in the client's language,
// and none of encoding/json's English.
func TestBadJSONSaysWhereInTheClientsLanguage(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	deep := strings.Repeat("[", 10001)
	for _, tt := range []struct{ body, en, de string }{
		{`{kind:1}`, "The body is not one valid JSON object: byte 2 is not what JSON allows there.",
			"Der Body ist nicht genau ein gültiges JSON-Objekt: Byte 2 ist an dieser Stelle in JSON nicht erlaubt."},
		{`{"kind":`, "The body is not one valid JSON object: the body ends too early.",
			"Der Body ist nicht genau ein gültiges JSON-Objekt: der Body endet zu früh."},
		{" ", "The body is not one valid JSON object: the body ends too early.",
			"Der Body ist nicht genau ein gültiges JSON-Objekt: der Body endet zu früh."},
		{`{"kind":"message","message":"x"}{}`, "The body is not one valid JSON object: it holds more than one JSON value.",
			"Der Body ist nicht genau ein gültiges JSON-Objekt: er enthält mehr als einen JSON-Wert."},
		{`{"kind":"message"} ]`, "The body is not one valid JSON object: there is more after the JSON value, from byte 20.",
			"Der Body ist nicht genau ein gültiges JSON-Objekt: nach dem JSON-Wert folgt ab Byte 20 noch mehr."},
		{`{"kind":"message"}x`, "The body is not one valid JSON object: there is more after the JSON value, from byte 19.",
			"Der Body ist nicht genau ein gültiges JSON-Objekt: nach dem JSON-Wert folgt ab Byte 19 noch mehr."},
		{`{"label":` + deep, "The body is not one valid JSON object: its arrays and objects are nested too deep.",
			"Der Body ist nicht genau ein gültiges JSON-Objekt: seine Arrays und Objekte sind zu tief verschachtelt."},
	} {
		for lang, want := range map[string]string{"en": tt.en, "de": tt.de} {
			res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(tt.body), http.Header{"Accept-Language": {lang}})
			if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "bad_json" || p.Detail != want {
				t.Errorf("%.30q in %s: %d %+v, want %q", tt.body, lang, res.StatusCode, p, want)
			}
		}
	}
}

// TestProblemsSayTheirLanguage: a problem names the language its title
// and detail are in (Content-Language), and says that it was chosen by
// Accept-Language (Vary), as RFC 9110 asks of an answer negotiated so.
func TestProblemsSayTheirLanguage(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	anon := s.client("")
	for _, c := range []struct{ accept, want string }{
		{"", "en"},
		{"de-DE,de;q=0.9", "de"},
		{"ar", "ar"},
		{"ja", "en"},
	} {
		h := http.Header{}
		if c.accept != "" {
			h.Set("Accept-Language", c.accept)
		}
		res := anon.do(http.MethodGet, "/api/v1/me", "", nil, h)
		if got := res.Header.Get("Content-Language"); got != c.want {
			t.Errorf("Accept-Language %q: Content-Language %q, want %q", c.accept, got, c.want)
		}
		if vary := res.Header.Values("Vary"); !strings.Contains(strings.Join(vary, ","), "Accept-Language") {
			t.Errorf("Accept-Language %q: Vary %q, want Accept-Language in it", c.accept, vary)
		}
	}
}
