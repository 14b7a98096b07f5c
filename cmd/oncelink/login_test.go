package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"oncelink/i18n"
)

// Plain http to another machine gets a warning at login; https, and any
// address of this machine, do not.
func TestOverTheNetwork(t *testing.T) {
	for base, want := range map[string]bool{
		"http://share.example.com":   true,
		"http://192.0.2.2:8080":      true,
		"http://[2001:db8::1]:8080":  true,
		"https://share.example.com":  false,
		"http://localhost:8080":      false,
		"http://dev.localhost":       false,
		"http://127.0.0.1:8080":      false,
		"http://127.8.0.1":           false,
		"http://[::1]:8080":          false,
		"HTTP://share.example.com":   true,
		"http://LOCALHOST:8080":      false,
		"https://127.0.0.1:8443/sub": false,
	} {
		if got := overTheNetwork(base); got != want {
			t.Errorf("overTheNetwork(%q) = %v, want %v", base, got, want)
		}
	}
}

// A server's address is its root: a path after it, which no oncelink
// server answers under, is a usage error that gives the root instead.
func TestServerURL(t *testing.T) {
	l := i18n.For("en")
	for in, want := range map[string]string{
		"https://share.example.com":       "https://share.example.com",
		"https://share.example.com/":      "https://share.example.com",
		"https://share.example.com//":     "https://share.example.com",
		" http://127.0.0.1:8080/ ":        "http://127.0.0.1:8080",
		"https://share.example.com:8443/": "https://share.example.com:8443",
	} {
		if got, err := serverURL(l, in); err != nil || got != want {
			t.Errorf("serverURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, root := range map[string]string{
		"http://host:8080/oncelink":        "http://host:8080",
		"http://host:8080/oncelink/":       "http://host:8080",
		"https://share.example.com/links":  "https://share.example.com",
		"https://share.example.com/api/v1": "https://share.example.com",
		"https://share.example.com/l/AAAA": "https://share.example.com",
	} {
		got, err := serverURL(l, in)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), strconv.Quote(in)) ||
			!strings.Contains(err.Error(), "root address alone, such as "+root) {
			t.Errorf("serverURL(%q) = %q, %v; want a usage error that gives %s", in, got, err, root)
		}
	}
}

// A server's address with a path, in ONCELINK_URL or given to login, is
// refused before anything is sent, rather than answered "not found".
func TestServerAddressWithAPath(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	key := ownerKey(t, db)
	sh := newShell(t)
	r := sh.run("", []string{"ONCELINK_URL=" + s.URL + "/oncelink", "ONCELINK_API_KEY=" + key}, "links")
	if r.code != exitUsage || !strings.HasPrefix(r.stderr, "oncelink: ONCELINK_URL: ") || !strings.Contains(r.stderr, "such as "+s.URL+"\n") {
		t.Fatalf("ONCELINK_URL with a path: status %d, stderr %q", r.code, r.stderr)
	}
	r = sh.must(exitUsage, key+"\n", "login", s.URL+"/oncelink/", "--key-stdin")
	if !strings.Contains(r.stderr, "such as "+s.URL+"\n") {
		t.Fatalf("login to an address with a path: %q", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(sh.env[1][len("XDG_CONFIG_HOME="):], "oncelink", "config.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an address with a path was saved: %v", err)
	}
}
