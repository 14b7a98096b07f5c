package main

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

func TestSingleSignOnConfig(t *testing.T) {
	env := map[string]string{"ONCELINK_OIDC_CLIENT_SECRET": "s3cret", "ONCELINK_PASSWORD_SIGNIN": "false"}
	cfg, err := parseConfig([]string{"--oidc-issuer", "https://idp.example/realms/x", "--oidc-client-id", "oncelink",
		"--oidc-allowed-domains", " Example.com,corp.example ,", "--oidc-no-signup"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PasswordSignIn || cfg.OIDC.ClientSecret != "s3cret" || !cfg.OIDC.NoSignup ||
		strings.Join(cfg.OIDC.domains(), " ") != "example.com corp.example" {
		t.Errorf("config: %+v", cfg)
	}
	if cfg, err := parseConfig(nil, func(string) string { return "" }); err != nil || !cfg.PasswordSignIn || cfg.OIDC.Issuer != "" {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{
		{"--password-signin=false"},
		{"--oidc-client-id", "x"},
		{"--oidc-no-signup"},
		{"--oidc-issuer", "http://idp.example", "--oidc-client-id", "x"},
		{"--oidc-issuer", "https://idp.example"},
		{"--oidc-issuer", "idp.example", "--oidc-client-id", "x"},
		{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "x", "--oidc-allowed-domains", "@example.com"},
	} {
		if _, err := parseConfig(args, func(string) string { return "" }); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	// A list of no domain at all would let every domain in: it is refused,
	// saying so, rather than read as no list.
	for _, domains := range []string{",", " , ,", " "} {
		_, err := parseConfig([]string{"--oidc-issuer", "https://idp.example", "--oidc-client-id", "x", "--oidc-allowed-domains", domains},
			func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "names no domain") {
			t.Errorf("--oidc-allowed-domains %q: %v, want it refused as naming no domain", domains, err)
		}
	}
	if _, err := parseConfig([]string{"--oidc-issuer", "http://127.0.0.1:5556/dex", "--oidc-client-id", "x"},
		func(string) string { return "" }); err != nil {
		t.Errorf("a loopback issuer over http: %v", err)
	}
}

// TestSingleSignOnAgainstTheBinary runs oncelink with single sign-on only,
// through an OpenID provider running in the test: the sign-in page offers
// only the provider, a password is refused, the provider signs a person
// in, and the operator's commands and API keys keep working.
func TestSingleSignOnAgainstTheBinary(t *testing.T) {
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--oidc-issuer", idp.Issuer(), "--oidc-client-id", idp.ClientID,
		"--oidc-client-secret", idp.ClientSecret, "--oidc-allowed-domains", "example.com", "--password-signin=false")
	signUp(t, s)

	c := newClient()
	code, page := getPage(t, c, s.URL+"/login")
	if code != http.StatusOK || !strings.Contains(page, `action="/auth/oidc/start"`) || strings.Contains(page, `name="password"`) {
		t.Fatalf("sign-in page: %d\n%s", code, page)
	}
	if code, _ := postForm(t, c, s.URL+"/login", url.Values{"username": {"owner"}, "password": {ownerPassword}}); code != http.StatusForbidden {
		t.Errorf("a password sign-in: %d", code)
	}

	idp.QueueUser(&mockoidc.MockUser{Subject: "s-1", Email: "dee@example.com", EmailVerified: true, PreferredUsername: "dee"})
	res, err := c.PostForm(s.URL+"/auth/oidc/start", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for hop := 0; res.StatusCode/100 == 3 && hop < 4; hop++ {
		next, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if res, err = c.Get(next.String()); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/links" {
		t.Fatalf("single sign-on ended at %s with %d\n%s", res.Request.URL, res.StatusCode, s.logs)
	}

	var out, errs strings.Builder
	if err := run(t.Context(), []string{"user", "key", "dee", "--db", db}, func(string) string { return "" },
		strings.NewReader(""), &out, &errs); err != nil {
		t.Fatalf("user key: %v %s", err, errs.String())
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out.String()))
	me, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(me.Body)
	me.Body.Close()
	if me.StatusCode != http.StatusOK || !strings.Contains(string(body), `"username":"dee"`) {
		t.Errorf("the API with the key of an account made by single sign-on: %d %s", me.StatusCode, body)
	}
	out.Reset()
	if err := run(t.Context(), []string{"user", "list", "--db", db}, func(string) string { return "" },
		strings.NewReader(""), &out, &errs); err != nil || !strings.Contains(out.String(), "dee@example.com") {
		t.Errorf("user list does not say as whom dee signs in: %v\n%s", err, out.String())
	}
	if err := run(t.Context(), []string{"user", "passwd", "dee", "--password-stdin", "--db", db}, func(string) string { return "" },
		strings.NewReader("a password for the command line\n"), &out, &errs); err != nil {
		t.Errorf("user passwd: %v %s", err, errs.String())
	}
	if strings.Contains(s.logs.String(), "code=") {
		t.Errorf("a code in the log:\n%s", s.logs)
	}
}

// TestBinaryStartsWithoutItsProvider starts oncelink while its OpenID
// provider cannot be reached: it serves, and single sign-on answers 503.
func TestBinaryStartsWithoutItsProvider(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "oncelink.db"), "--oidc-issuer", "http://"+freeAddr(t)+"/oidc",
		"--oidc-client-id", "oncelink")
	c := signUp(t, s)
	if code, _ := getPage(t, c, s.URL+"/links"); code != http.StatusOK {
		t.Errorf("dashboard: %d", code)
	}
	if code, _ := postForm(t, newClient(), s.URL+"/auth/oidc/start", nil); code != http.StatusServiceUnavailable {
		t.Errorf("single sign-on without its provider: %d", code)
	}
	if !strings.Contains(s.logs.String(), "identity provider cannot be found") {
		t.Errorf("the log does not say the provider is away:\n%s", s.logs)
	}
}
