package sso

import (
	"encoding/json"
	"log/slog"
	"net"
	neturl "net/url"
	"slices"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"oncelink/core"
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
		if err := json.Unmarshal([]byte(in), &got); err != nil || !time.Time(got).Equal(want) {
			t.Errorf("%s: %v, %v", in, time.Time(got), err)
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
