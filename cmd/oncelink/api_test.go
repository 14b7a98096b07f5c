package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAPIAgainstTheBinary uses the JSON API of a running oncelink with a
// key from "oncelink user key" and one from the settings page, as a script
// would, and with the signed-in browser's session: create, wait for the
// open on the event stream, open, list, revoke; and the owner's dashboard
// hears of the open too.
func TestAPIAgainstTheBinary(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	owner := signUp(t, s)

	var out, errs strings.Builder
	err := run(t.Context(), []string{"user", "key", "owner", "--db", db, "--name", "ci", "--expires", "30d"},
		func(string) string { return "" }, strings.NewReader(""), &out, &errs)
	cliKey := strings.TrimSpace(out.String())
	if err != nil || !apiKey.MatchString(cliKey) || cliKey != apiKey.FindString(cliKey) {
		t.Fatalf("user key: %v %q %q", err, out.String(), errs.String())
	}
	code, page := postForm(t, owner, s.URL+"/settings/keys", url.Values{"name": {"laptop"}, "expires": {"90d"}})
	webKey := apiKey.FindString(page)
	if code != http.StatusCreated || webKey == "" {
		t.Fatalf("a key from the settings page: %d", code)
	}
	if _, page := getPage(t, owner, s.URL+"/settings"); !strings.Contains(page, "ci") || !strings.Contains(page, "laptop") || strings.Contains(page, webKey) {
		t.Fatal("the settings page does not list both keys, or shows a secret again")
	}

	call := func(key, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, key := range []string{cliKey, webKey} {
		if code, body := call(key, http.MethodGet, "/api/v1/me", ""); code != http.StatusOK || !strings.Contains(body, `"username":"owner"`) {
			t.Fatalf("me: %d %s", code, body)
		}
	}
	// The signed-in browser calls it with its session, and no key.
	if code, page := getPage(t, owner, s.URL+"/api/v1/me"); code != http.StatusOK || !strings.Contains(page, `"username":"owner"`) {
		t.Fatalf("me with the browser's session: %d %s", code, page)
	}
	if code, page := getPage(t, newClient(), s.URL+"/api/v1/me"); code != http.StatusUnauthorized {
		t.Fatalf("me with neither a key nor a session: %d %s", code, page)
	}

	// A script waits on the stream; the dashboard's stream is open too.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stream := func(c *http.Client, path string, header http.Header) *bufio.Scanner {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
		req.Header = header
		res, err := c.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("stream %s: %v", path, err)
		}
		t.Cleanup(func() { res.Body.Close() })
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		return sc
	}
	apiEvents := stream(http.DefaultClient, "/api/v1/events", http.Header{"Authorization": {"Bearer " + cliKey}})
	dashboard := stream(owner, "/links/events", http.Header{})
	dashboard.Scan() // the stream has begun

	code, body := call(cliKey, http.MethodPost, "/api/v1/links", `{"kind":"message","message":"from a script","ttl":"1h","label":"ci secret"}`)
	var created struct {
		ID  int64
		URL string
	}
	if json.Unmarshal([]byte(body), &created); code != http.StatusCreated || !strings.HasPrefix(created.URL, s.URL+"/l/") {
		t.Fatalf("create: %d %s", code, body)
	}
	tok := created.URL[strings.LastIndex(created.URL, "/")+1:]
	start := time.Now()
	if code, body := call("", http.MethodPost, "/api/v1/open/"+tok, ""); code != http.StatusOK || body != "{\"kind\":\"message\",\"message\":\"from a script\"}\n" {
		t.Fatalf("open: %d %q", code, body)
	}
	waitFor := func(what string, sc *bufio.Scanner, match func(string) bool) {
		t.Helper()
		for sc.Scan() {
			if match(sc.Text()) {
				if took := time.Since(start); took > time.Second {
					t.Fatalf("%s heard of the open after %s", what, took)
				}
				return
			}
		}
		t.Fatalf("%s never heard of the open: %v", what, sc.Err())
	}
	waitFor("the API's stream", apiEvents, func(l string) bool {
		return strings.HasPrefix(l, "data: ") && strings.Contains(l, `"label":"ci secret"`) && strings.Contains(l, `"status":"used"`)
	})
	waitFor("the dashboard", dashboard, func(l string) bool {
		return strings.HasPrefix(l, "data:") && strings.Contains(l, `data-status="used"`)
	})

	// A browser cannot open what the API opened.
	if code, _ := postForm(t, newClient(), created.URL, nil); code != http.StatusGone {
		t.Fatalf("a browser after the API's open: %d, want 410", code)
	}
	if code, body := call(webKey, http.MethodGet, "/api/v1/links?status=used", ""); code != http.StatusOK || !strings.Contains(body, `"label":"ci secret"`) {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body := call(webKey, http.MethodGet, "/api/v1/links/"+strconv.FormatInt(created.ID, 10)+"/events", ""); code != http.StatusOK || !strings.Contains(body, `"kind":"open"`) {
		t.Fatalf("the audit trail: %d %s", code, body)
	}
	// A link made in the browser, revoked with the key.
	other := createLink(t, owner, s, url.Values{"label": {"from the browser"}})
	_, body = call(webKey, http.MethodGet, "/api/v1/links?q=from+the+browser", "")
	var list struct{ Links []struct{ ID int64 } }
	if json.Unmarshal([]byte(body), &list); len(list.Links) != 1 {
		t.Fatalf("find the browser's link: %s", body)
	}
	if code, body := call(webKey, http.MethodPost, "/api/v1/links/"+strconv.FormatInt(list.Links[0].ID, 10)+"/revoke", ""); code != http.StatusOK || !strings.Contains(body, `"status":"revoked"`) {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if code, body := call("", http.MethodPost, "/api/v1/open/"+strings.TrimPrefix(other, "/l/"), ""); code != http.StatusGone || !strings.Contains(body, `"code":"link_gone"`) {
		t.Fatalf("open a revoked link: %d %s", code, body)
	}
	if strings.Contains(s.logs.String(), tok) || strings.Contains(s.logs.String(), "ol_") {
		t.Fatalf("a token or a key reached the server's log:\n%s", s.logs.String())
	}
}

// getPage reads the page at u.
func getPage(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}
