package sso

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"oncelink/core"
	"oncelink/internal/oidctest"
)

// TestProviderFoundLater starts with the provider away: discovery fails,
// is not tried again before RetryEvery, and succeeds once the provider
// answers.
func TestProviderFoundLater(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := New(Config{Issuer: "http://" + addr + mockoidc.IssuerBase, ClientID: "oncelink", RetryEvery: 300 * time.Millisecond},
		slog.New(slog.DiscardHandler))
	if err := p.Discover(t.Context()); err != core.ErrSSOUnavailable {
		t.Fatalf("provider away: %v", err)
	}
	if _, _, err := p.Begin(t.Context(), "state", "nonce", false); err != core.ErrSSOUnavailable {
		t.Fatalf("begin with the provider away: %v", err)
	}

	idp, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if ln, err = net.Listen("tcp", addr); err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	if err := idp.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	if err := p.Discover(t.Context()); err != core.ErrSSOUnavailable {
		t.Errorf("tried again before RetryEvery: %v", err)
	}
	time.Sleep(350 * time.Millisecond)
	if err := p.Discover(t.Context()); err != nil {
		t.Fatalf("provider back: %v", err)
	}
	url, verifier, err := p.Begin(t.Context(), "state", "nonce", false)
	if err != nil || verifier == "" || url == "" {
		t.Errorf("begin: %q %q %v", url, verifier, err)
	}
	if got := p.FormOrigins(); !slices.Equal(got, []string{"http://" + addr}) {
		t.Errorf("form origins %q", got)
	}
	// A fresh sign-in asks the provider to sign the person in again.
	for _, fresh := range []bool{false, true} {
		to, _, err := p.Begin(t.Context(), "state", "nonce", fresh)
		if err != nil {
			t.Fatal(err)
		}
		u, err := neturl.Parse(to)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if asked := q.Get("prompt") == "login" && q.Get("max_age") == "0"; asked != fresh || (!fresh && (q.Has("prompt") || q.Has("max_age"))) {
			t.Errorf("fresh %v: the provider is asked %v", fresh, q)
		}
	}
}

func TestAuthTimeAsNumberOrNothing(t *testing.T) {
	for in, want := range map[string]time.Time{
		`1700000000`:   time.Unix(1700000000, 0),
		`1700000000.5`: time.Unix(1700000000, 0),
		`"1700000000"`: {},
		`null`:         {},
		`0`:            {},
		`{}`:           {},
	} {
		var got unixTime
		if err := json.Unmarshal([]byte(in), &got); err != nil || !got.Equal(want) {
			t.Errorf("%s: %v, %v", in, got.Time, err)
		}
		// Only a claim that is there, and no time, is unread.
		if unread := want.IsZero() && in != `null`; got.unread != unread {
			t.Errorf("%s: unread %v", in, got.unread)
		}
	}
}

// TestUnreadAuthTimeWarned: an ID token whose auth_time is a string is
// read, with no sign-in time, and the log says why.
func TestUnreadAuthTimeWarned(t *testing.T) {
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	for at, warned := range map[any]bool{"1700000000": true, int64(1700000000): false} {
		var logs bytes.Buffer
		p := New(Config{Issuer: idp.Issuer(), ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: "http://oncelink.test" + CallbackPath},
			slog.New(slog.NewTextHandler(&logs, nil)))
		to, verifier, err := p.Begin(t.Context(), "state", "nonce", true)
		if err != nil {
			t.Fatal(err)
		}
		idp.QueueUser(oidctest.AuthTimeUser{MockUser: &mockoidc.MockUser{Subject: "sub-jane", Email: "jane@example.com"}, At: at})
		noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := noRedirects.Get(to)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		back, err := neturl.Parse(res.Header.Get("Location"))
		if err != nil || back.Query().Get("code") == "" {
			t.Fatalf("the provider sent the browser back to %q", res.Header.Get("Location"))
		}
		id, err := p.Identify(t.Context(), back.Query().Get("code"), verifier)
		if err != nil {
			t.Fatalf("auth_time %v: %v", at, err)
		}
		said := strings.Contains(logs.String(), "auth_time is not a number")
		if said != warned || id.AuthTime.IsZero() != warned || (warned && !strings.Contains(logs.String(), "level=WARN")) {
			t.Errorf("auth_time %#v: read as %v, warned %v: %s", at, id.AuthTime, said, logs.String())
		}
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://id.example.com/realms/x":        "https://id.example.com",
		"http://127.0.0.1:5556/dex":              "http://127.0.0.1:5556",
		"https://[::1]:8443/":                    "https://[::1]:8443",
		"javascript:alert(1)":                    "",
		"https://id.example.com;script-src*/x":   "",
		"https://id.example.com%20'unsafe-eval'": "",
		"":                                       "",
	} {
		if got := origin(in); got != want {
			t.Errorf("origin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmailVerifiedAsStringOrBool(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `false`: false, `"false"`: false, `null`: false} {
		var b flexBool
		if err := json.Unmarshal([]byte(in), &b); err != nil || bool(b) != want {
			t.Errorf("%s: %v, %v", in, b, err)
		}
	}
	var b flexBool
	if err := json.Unmarshal([]byte(`"yes"`), &b); err == nil {
		t.Error(`"yes" read as a boolean`)
	}
}
