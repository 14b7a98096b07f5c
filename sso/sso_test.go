package sso

import (
	"encoding/json"
	"log/slog"
	"net"
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
	if _, _, err := p.Begin(t.Context(), "state", "nonce"); err != core.ErrSSOUnavailable {
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
	url, verifier, err := p.Begin(t.Context(), "state", "nonce")
	if err != nil || verifier == "" || url == "" {
		t.Errorf("begin: %q %q %v", url, verifier, err)
	}
	if got := p.FormOrigins(); !slices.Equal(got, []string{"http://" + addr}) {
		t.Errorf("form origins %q", got)
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
