package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestProblemsInTheClientsLanguage: a problem's title and detail are
// English unless the client asks for a language oncelink speaks; its code
// is the same in every language.
func TestProblemsInTheClientsLanguage(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	anon := s.client("")
	p := anon.get("/api/v1/me").problem()
	if p.Code != "key_missing" || p.Title != "Key needed" || !strings.HasPrefix(p.Detail, "Send an API key") {
		t.Errorf("English: %+v", p)
	}
	res := anon.do(http.MethodGet, "/api/v1/me", "", nil, http.Header{"Accept-Language": {"de-DE,de;q=0.9"}})
	if p := res.problem(); p.Code != "key_missing" || p.Title != "Schlüssel erforderlich" || !strings.HasPrefix(p.Detail, "Senden Sie einen API-Schlüssel") {
		t.Errorf("German: %+v", p)
	}
	res = anon.do(http.MethodGet, "/api/v1/me", "", nil, http.Header{"Accept-Language": {"ja"}})
	if p := res.problem(); p.Title != "Key needed" {
		t.Errorf("a language not spoken: %+v", p)
	}
}
