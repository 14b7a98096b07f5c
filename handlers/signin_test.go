package handlers

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSignInNextStaysOnSite(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RateLimits = false })
	s.admin()
	for _, next := range []string{
		"https://evil.example/", "//evil.example/", "/\\evil.example/", "/a/../\\evil.example/",
		"/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/", "/\x00/evil.example",
		"evil.example", "",
	} {
		res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}, "next": {next}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/links" {
			t.Errorf("next %q: %d to %q, want 303 to /links", next, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res := s.client().post("/login", url.Values{"username": {"ada"}, "password": {testPassword}, "next": {"/links/7?x=1"}})
	if got := res.Header.Get("Location"); got != "/links/7?x=1" {
		t.Errorf("a path on the site: redirected to %q", got)
	}
}
