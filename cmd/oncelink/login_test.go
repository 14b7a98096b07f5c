package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// TestServerAddressWithoutScheme: a host and port without http:// or
// https://, in ONCELINK_URL, given to login or saved by hand, is refused
// as a usage error that gives the address meant: http on this machine,
// https on another. The address given works.
func TestServerAddressWithoutScheme(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	key := ownerKey(t, db)
	hostPort := strings.TrimPrefix(s.URL, "http://")
	sh := newShell(t)
	r := sh.run("", []string{"ONCELINK_URL=" + hostPort, "ONCELINK_API_KEY=" + key}, "links")
	if want := "oncelink: ONCELINK_URL: " + strconv.Quote(hostPort) + " does not say http:// or https://: give the server's whole address, such as " + s.URL + "\n"; r.code != exitUsage || !strings.HasPrefix(r.stderr, want) {
		t.Fatalf("ONCELINK_URL without a scheme: status %d, stderr %q; want %d, %q", r.code, r.stderr, exitUsage, want)
	}
	r = sh.run("", []string{"LANG=de_DE.UTF-8", "ONCELINK_URL=share.example.com:8443", "ONCELINK_API_KEY=" + key}, "links")
	if r.code != exitUsage || !strings.Contains(r.stderr, "Geben Sie die ganze Adresse des Servers an, etwa https://share.example.com:8443\n") {
		t.Fatalf("ONCELINK_URL of another machine without a scheme, in German: status %d, stderr %q", r.code, r.stderr)
	}
	r = sh.must(exitUsage, key+"\n", "login", hostPort, "--key-stdin")
	if !strings.Contains(r.stderr, "such as "+s.URL+"\n") {
		t.Fatalf("login to an address without a scheme: %q", r.stderr)
	}
	config := filepath.Join(sh.env[1][len("XDG_CONFIG_HOME="):], "oncelink", "config.json")
	if err := saveSignIn(config, signIn{URL: hostPort, Key: key}); err != nil {
		t.Fatal(err)
	}
	if r := sh.must(exitUsage, "", "links"); !strings.Contains(r.stderr, "such as "+s.URL+";") {
		t.Fatalf("a saved address without a scheme: %q", r.stderr)
	}
	sh.must(exitDone, key+"\n", "login", s.URL, "--key-stdin")
	sh.must(exitDone, "", "links")
}

// TestLoginToWhatIsNotOncelink: an address that answers with a web page,
// with JSON of another kind, with "not found", or with a redirect that
// stays on that server (another web application's sign-in page, say: the
// API of oncelink redirects nothing), is said not to answer as an oncelink
// server, with the address and the status, rather than with the JSON
// decoder's words or advice to use the address given already; nothing is
// saved.
func TestLoginToWhatIsNotOncelink(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body, location string
		status, code                      int
	}{
		{"a web page", "text/html", "<!doctype html><title>Welcome</title>", "", http.StatusOK, exitFailed},
		{"JSON of another API", "application/json", `{"ok":true}`, "", http.StatusOK, exitFailed},
		{"a page not found", "text/html", "<h1>Not Found</h1>", "", http.StatusNotFound, exitNotFound},
		{"a sign-in page of its own", "text/html", "", "/login?next=%2Fapi%2Fv1%2Fme", http.StatusFound, exitFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.location != "" {
					w.Header().Set("Location", tc.location)
				}
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer other.Close()
			sh := newShell(t)
			r := sh.must(tc.code, "ol_"+strings.Repeat("A", 43)+"\n", "login", other.URL, "--key-stdin")
			want := fmt.Sprintf("oncelink: %s does not answer as an oncelink server (HTTP status %d): check the address\n", other.URL, tc.status)
			if r.stderr != want {
				t.Errorf("login: stderr %q, want %q", r.stderr, want)
			}
			config := filepath.Join(sh.env[1][len("XDG_CONFIG_HOME="):], "oncelink", "config.json")
			if _, err := os.Stat(config); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the sign-in was saved: %v", err)
			}
		})
	}
}

// TestCommandsToWhatIsNotOncelink: every command, not login alone, says
// that an address answering with a web page is not oncelink's.
func TestCommandsToWhatIsNotOncelink(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><title>Welcome</title>")
	}))
	defer other.Close()
	sh := newShell(t)
	env := []string{"ONCELINK_URL=" + other.URL, "ONCELINK_API_KEY=ol_" + strings.Repeat("A", 43)}
	want := fmt.Sprintf("oncelink: %s does not answer as an oncelink server (HTTP status 200): check the address\n", other.URL)
	for _, args := range [][]string{{"links"}, {"share", "a secret"}} {
		if r := sh.run("", env, args...); r.code != exitFailed || r.stderr != want {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", args[0], r.code, r.stderr, exitFailed, want)
		}
	}
	// A link of that address, opened without signing in.
	if r := sh.run("", nil, "open", other.URL+"/l/"+strings.Repeat("A", 43)); r.code != exitFailed || r.stderr != want {
		t.Errorf("open: exit %d, stderr %q; want %d, %q", r.code, r.stderr, exitFailed, want)
	}
}

// TestCommandsBehindWhatIsNotOncelink: a refusal that is not oncelink's,
// a web page from a proxy or another server, is said as such, naming the
// address, whatever its status: a 502 or a 503 of a proxy whose server is
// down is to be tried again later (but to share's create, which the
// server may have done, whose link share says how to find); a page's 404 is no link's, and a 401
// no refusal of the key, and one asking for a sign-in of its own (a
// password, with WWW-Authenticate: Basic) is said to, since the command
// line gives none. The exit status still follows the status. A link
// opened without signing in names its own server.
func TestCommandsBehindWhatIsNotOncelink(t *testing.T) {
	sh := newShell(t)
	const ownSignIn = "a proxy or a server in front of it asks for a sign-in of its own, which oncelink's command line does not give\n"
	for _, tc := range []struct {
		status, code      int
		says              string
		header, challenge string
	}{
		{http.StatusBadGateway, exitFailed, "(HTTP status 502): the server, or a proxy in front of it, is down or busy; try again later\n", "", ""},
		{http.StatusServiceUnavailable, exitFailed, "(HTTP status 503): the server, or a proxy in front of it, is down or busy; try again later\n", "", ""},
		{http.StatusNotFound, exitNotFound, "does not answer as an oncelink server (HTTP status 404): check the address\n", "", ""},
		{http.StatusUnauthorized, exitSignedOut, "does not answer as an oncelink server (HTTP status 401): check the address\n", "", ""},
		{http.StatusUnauthorized, exitSignedOut, "does not answer as an oncelink server (HTTP status 401): check the address\n", "WWW-Authenticate", `Bearer realm="oncelink"`},
		{http.StatusUnauthorized, exitSignedOut, "(HTTP status 401): " + ownSignIn, "WWW-Authenticate", `Basic realm="Restricted", charset="UTF-8"`},
		{http.StatusUnauthorized, exitSignedOut, "(HTTP status 401): " + ownSignIn, "WWW-Authenticate", `Bearer realm="corp-sso"`},
		{http.StatusProxyAuthRequired, exitFailed, "(HTTP status 407): " + ownSignIn, "Proxy-Authenticate", `Negotiate`},
	} {
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.header != "" {
				w.Header().Set(tc.header, tc.challenge)
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			io.WriteString(w, "<html><h1>"+http.StatusText(tc.status)+"</h1></html>")
		}))
		env := []string{"ONCELINK_URL=" + page.URL, "ONCELINK_API_KEY=ol_" + strings.Repeat("A", 43)}
		for _, args := range [][]string{{"links"}, {"share", "a secret"}, {"revoke", "1"}, {"events", "1"}} {
			r := sh.run("", env, args...)
			if args[0] == "share" && tc.status >= 500 {
				// A proxy's 5xx to a create may come after the server made
				// the link: share says so rather than to try again.
				if r.code != exitFailed || !strings.HasPrefix(r.stderr, "oncelink: no answer came back to the create, so the link may have been made") {
					t.Errorf("share from a page of status %d: exit %d, stderr %q", tc.status, r.code, r.stderr)
				}
				continue
			}
			if want := "oncelink: " + page.URL + " "; r.code != tc.code || !strings.HasPrefix(r.stderr, want) || !strings.HasSuffix(r.stderr, tc.says) {
				t.Errorf("%s from a page of status %d: exit %d, stderr %q; want %d, %q…%q", args[0], tc.status, r.code, r.stderr, tc.code, want, tc.says)
			}
		}
		r := sh.run("", nil, "open", page.URL+"/l/"+strings.Repeat("A", 43))
		if want := "oncelink: " + page.URL + " "; r.code != tc.code || !strings.HasPrefix(r.stderr, want) || !strings.HasSuffix(r.stderr, tc.says) {
			t.Errorf("open from a page of status %d: exit %d, stderr %q", tc.status, r.code, r.stderr)
		}
		page.Close()
	}
}

// TestLoginRefusesWhatIsNoKey: what has not the shape of an API key (a
// password, a key cut short, a key with its quotes) is a key refused
// (status 5, as the server's refusal of a key is), told before anything
// is sent, and not repeated.
func TestLoginRefusesWhatIsNoKey(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	sh := newShell(t)
	key := "ol_" + strings.Repeat("Ab9-_", 8) + "xyz"
	for _, given := range []string{"correct horse battery", key[:len(key)-1], `"` + key + `"`, "ol_" + strings.Repeat("A", 42) + "=", "Bearer " + key} {
		r := sh.must(exitSignedOut, given+"\n", "login", srv.URL, "--key-stdin")
		if !strings.Contains(r.stderr, "that is not an oncelink API key") || strings.Contains(r.stderr, "usage:") ||
			strings.Contains(r.stderr, given) {
			t.Errorf("login with %q: stderr %q", given, r.stderr)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
	// A key of the right shape goes to the server, which refuses it.
	sh.must(exitSignedOut, key+"\n", "login", srv.URL, "--key-stdin")
	if n := requests.Load(); n != 1 {
		t.Fatalf("the key of the right shape: %d requests", n)
	}
}

// TestKeyOfTheWrongShape: a key in ONCELINK_API_KEY or in the saved
// sign-in that has not an API key's shape (a prefix left out, a character
// too many or too few, a space) is refused before it is sent anywhere,
// as a key refused (exit 5), naming where it came from and not repeating
// it; spaces and a line break around it, as $(cat file) leaves, are no
// part of it. open, which needs no key, says so and opens without it.
func TestKeyOfTheWrongShape(t *testing.T) {
	key := "ol_" + strings.Repeat("Ab9-_", 8) + "xyz"
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/v1/links" && r.Header.Get("Authorization") == "Bearer "+key:
			io.WriteString(w, `{"links":[],"next_cursor":null}`)
		case strings.HasPrefix(r.URL.Path, "/api/v1/open/"):
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"type":"about:blank","title":"Not Found","status":404,"detail":"There is nothing here.","code":"not_found"}`)
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"No key.","code":"key_refused"}`)
		}
	}))
	defer srv.Close()
	requests := func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := sent
		sent = nil
		return s
	}
	sh := newShell(t)
	for _, bad := range []string{key[3:], key + "x", key[:len(key)-1], key[:20] + " " + key[21:], "ol_x", "Bearer " + key} {
		r := sh.run("", []string{"ONCELINK_URL=" + srv.URL, "ONCELINK_API_KEY=" + bad}, "links")
		if r.code != exitSignedOut || !strings.HasPrefix(r.stderr, "oncelink: ONCELINK_API_KEY is not an oncelink API key") ||
			strings.Contains(r.stderr, bad) || r.stdout != "" {
			t.Errorf("ONCELINK_API_KEY=%q: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
	if got := requests(); len(got) != 0 {
		t.Fatalf("keys of the wrong shape were sent: %q", got)
	}
	for _, padded := range []string{key + "\n", " " + key + " ", "\t" + key + "\r\n"} {
		if r := sh.run("", []string{"ONCELINK_URL=" + srv.URL, "ONCELINK_API_KEY=" + padded}, "links"); r.code != exitDone {
			t.Errorf("ONCELINK_API_KEY=%q: exit %d, stderr %q", padded, r.code, r.stderr)
		}
	}
	if got := requests(); len(got) != 3 || got[0] != "Bearer "+key {
		t.Fatalf("the key with spaces around it was sent as %q", got)
	}

	// In German, as the reader's language.
	de := i18n.For("de")
	r := sh.run("", []string{"LANG=de_DE.UTF-8", "ONCELINK_URL=" + srv.URL, "ONCELINK_API_KEY=" + key[3:]}, "links")
	if want := "oncelink: " + de.T("cli.login.env_key") + "\n"; r.code != exitSignedOut || r.stderr != want {
		t.Errorf("in German: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}

	// The saved sign-in, edited by hand.
	config := filepath.Join(sh.env[1][len("XDG_CONFIG_HOME="):], "oncelink", "config.json")
	if err := saveSignIn(config, signIn{URL: srv.URL, Key: key + "x"}); err != nil {
		t.Fatal(err)
	}
	r = sh.must(exitSignedOut, "", "links")
	if !strings.HasPrefix(r.stderr, "oncelink: "+config+" holds no oncelink API key") || strings.Contains(r.stderr, key) {
		t.Errorf("a saved key of the wrong shape: stderr %q", r.stderr)
	}
	if err := saveSignIn(config, signIn{URL: srv.URL, Key: key + "\n"}); err != nil {
		t.Fatal(err)
	}
	sh.must(exitDone, "", "links")
	requests()

	// open needs no key: it says what is wrong with it, and opens the
	// link without it.
	r = sh.run("", []string{"ONCELINK_URL=" + srv.URL, "ONCELINK_API_KEY=" + key[3:]}, "open", srv.URL+"/l/"+strings.Repeat("A", 43))
	if r.code != exitNotFound || !strings.HasPrefix(r.stderr, "oncelink: ONCELINK_API_KEY is not an oncelink API key") ||
		!strings.Contains(r.stderr, "; opening the link without it\n") {
		t.Errorf("open with a key of the wrong shape: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := requests(); len(got) != 1 || got[0] != "" {
		t.Errorf("open with a key of the wrong shape sent %q", got)
	}
}

// TestOpenSignInIsSaid: a saved sign-in that other accounts of the
// machine may read, as after a chmod of the file and its directory, is
// said on standard error by each command that uses it, which still runs;
// login's own file, its owner's alone, is not, nor one its group or all
// may read in a directory they may not enter.
func TestOpenSignInIsSaid(t *testing.T) {
	sh, _, _ := signedInShell(t)
	var path string
	for _, kv := range sh.env {
		if dir, ok := strings.CutPrefix(kv, "XDG_CONFIG_HOME="); ok {
			path = filepath.Join(dir, "oncelink", "config.json")
		}
	}
	warning := i18n.For("en").T("cli.login.config_open", "Path", path, "Mode", "0644")
	if r := sh.must(exitDone, "", "links"); strings.Contains(r.stderr, path) {
		t.Fatalf("login's own file is said to be open: %q", r.stderr)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := sh.must(exitDone, "", "links"); strings.Contains(r.stderr, path) {
		t.Errorf("links with the sign-in readable by all in a directory of its owner's: stderr %q", r.stderr)
	}
	if err := os.Chmod(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := sh.must(exitDone, "", "links"); !strings.Contains(r.stderr, warning) {
		t.Errorf("links with the sign-in readable by all: stderr %q, want %q", r.stderr, warning)
	}
}
