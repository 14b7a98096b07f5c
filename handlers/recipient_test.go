package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestOpenOnceThenGone(t *testing.T) {
	s := newTestServer(t)
	link := s.admin().createLink(url.Values{"message": {"the vault code is 4711"}})
	recipient, other := s.client(), s.client()
	for range 3 {
		if res := other.get(link); res.StatusCode != http.StatusOK || strings.Contains(res.body, "4711") {
			t.Fatalf("GET: %d, shows content: %v", res.StatusCode, strings.Contains(res.body, "4711"))
		}
		if res := other.request(http.MethodHead, link, nil, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("HEAD: %d", res.StatusCode)
		}
	}
	res := recipient.post(link, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "4711") {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
	if res := recipient.get(link); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "4711") {
		t.Fatalf("reload in the grant window: %d", res.StatusCode)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if res := other.request(method, link, nil, nil); res.StatusCode != http.StatusGone {
			t.Fatalf("%s from another browser: %d", method, res.StatusCode)
		}
	}
	s.clock.Advance(11 * 60e9)
	if res := recipient.get(link); res.StatusCode != http.StatusGone {
		t.Fatalf("reload after the grant window: %d", res.StatusCode)
	}
}
