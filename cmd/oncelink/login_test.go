package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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

// A server's address with a path, in ONCELINK_URL, given to login or in
// a saved sign-in edited by hand, is refused before anything is sent,
// rather than answered "not found".
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
	config := filepath.Join(sh.env[1][len("XDG_CONFIG_HOME="):], "oncelink", "config.json")
	if _, err := os.Stat(config); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an address with a path was saved: %v", err)
	}

	// The saved sign-in, edited by hand.
	save := func(url string) {
		t.Helper()
		if err := saveSignIn(config, signIn{URL: url, Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	save(s.URL + "/oncelink/")
	r = sh.must(exitUsage, "", "links")
	if !strings.HasPrefix(r.stderr, "oncelink: "+config+": ") || !strings.Contains(r.stderr, strconv.Quote(s.URL+"/oncelink/")) ||
		!strings.Contains(r.stderr, "such as "+s.URL+";") {
		t.Fatalf("a saved address with a path: %q", r.stderr)
	}
	// ONCELINK_URL stands in for it, with a key of its own.
	if r := sh.run("", []string{"ONCELINK_URL=" + s.URL, "ONCELINK_API_KEY=" + key}, "links"); r.code != exitDone {
		t.Fatalf("ONCELINK_URL over a saved address with a path: status %d, stderr %q", r.code, r.stderr)
	}
	save(s.URL + "/")
	sh.must(exitDone, "", "links")
}
