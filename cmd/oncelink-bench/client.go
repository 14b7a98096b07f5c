package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	benchUser     = "bench"
	benchPassword = "bench-password-2024"
	benchMessage  = "hello from oncelink-bench"
	maxUses       = 100     // the most uses a link may have
	maxPrepared   = 100_000 // links prepared for one consume run, at most
	prepClients   = 8
	prepTimeout   = 5 * time.Minute
)

// tokenPattern finds the absolute link URL in the page POST /links answers with.
var tokenPattern = regexp.MustCompile(`https?://[^/\s"'<>]+/l/([A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)`)

// parseToken returns the token of the first link URL in a created-link page.
func parseToken(page []byte) (string, bool) {
	m := tokenPattern.FindSubmatch(page)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}

// keyPattern finds a whole API key, "ol_" and 43 base64url characters, in
// the page POST /settings/keys answers with; its list of keys shows no more
// than their first characters.
var keyPattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])(ol_[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)`)

// parseKey returns the first API key in a settings page.
func parseKey(page []byte) (string, bool) {
	m := keyPattern.FindSubmatch(page)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}

// keyRowPattern finds, in a settings page, each key's shown first
// characters and the number in the address that revokes it.
var keyRowPattern = regexp.MustCompile(`(?s)<code[^>]*>(ol_[A-Za-z0-9_-]+).*?/settings/keys/([0-9]+)/revoke`)

// parseKeyID returns the number that revokes key, from the list of keys
// in a settings page.
func parseKeyID(page []byte, key string) (string, bool) {
	for _, m := range keyRowPattern.FindAllSubmatch(page, -1) {
		if strings.HasPrefix(key, string(m[1])) {
			return string(m[2]), true
		}
	}
	return "", false
}

// apiKey is a key made for one run, and the number that revokes it.
type apiKey struct {
	secret string
	id     string
}

// createKey makes an API key for owner the way a person does, on the
// settings page, and reads it from the page that answers.
func createKey(ctx context.Context, base string, owner http.CookieJar) (apiKey, error) {
	c := newClient(owner)
	defer c.CloseIdleConnections()
	status, body, err := postForm(ctx, c, base+"/settings/keys", url.Values{"name": {"bench"}, "expires": {"never"}})
	if err != nil {
		return apiKey{}, err
	}
	if status == http.StatusConflict {
		return apiKey{}, fmt.Errorf("POST /settings/keys: status 409: the account %s has as many API keys as it may; revoke some at %s/settings", benchUser, base)
	}
	if status != http.StatusCreated {
		return apiKey{}, unexpected("POST /settings/keys", status, "201", body)
	}
	secret, ok := parseKey(body)
	if !ok {
		return apiKey{}, unexpected("POST /settings/keys", status, "a page with the key", body)
	}
	id, ok := parseKeyID(body, secret)
	if !ok {
		return apiKey{}, unexpected("POST /settings/keys", status, "a page with the key's revoke form", body)
	}
	return apiKey{secret: secret, id: id}, nil
}

// revokeKey ends the key a run made, so that a database the benchmark
// reuses does not collect keys up to an account's limit.
func revokeKey(ctx context.Context, base string, owner http.CookieJar, key apiKey) error {
	c := newClient(owner)
	defer c.CloseIdleConnections()
	status, body, err := postForm(ctx, c, base+"/settings/keys/"+key.id+"/revoke", nil)
	if err != nil {
		return err
	}
	if status != http.StatusSeeOther {
		return unexpected("POST /settings/keys/"+key.id+"/revoke", status, "303", body)
	}
	return nil
}

// signIn creates the first account (or finds one exists) and signs in,
// returning a cookie jar holding the session.
func signIn(ctx context.Context, base string) (http.CookieJar, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := newClient(jar)
	defer c.CloseIdleConnections()
	creds := url.Values{"username": {benchUser}, "password": {benchPassword}}

	status, body, err := postForm(ctx, c, base+"/setup", creds)
	if err != nil {
		return nil, err
	}
	if status != http.StatusSeeOther && status != http.StatusNotFound {
		return nil, unexpected("POST /setup", status, "303 or 404", body)
	}
	status, body, err = postForm(ctx, c, base+"/login", creds)
	if err != nil {
		return nil, err
	}
	if status != http.StatusSeeOther {
		return nil, unexpected("POST /login as "+benchUser, status, "303 (with an existing database, the account must be "+benchUser+")", body)
	}
	u, _ := url.Parse(base)
	if len(jar.Cookies(u)) == 0 {
		return nil, fmt.Errorf("POST /login answered 303 without setting a cookie")
	}
	return jar, nil
}

// prepareLinks creates n message links of maxUses uses each and returns
// their tokens: through the API given a key, else on the web as owner.
func prepareLinks(ctx context.Context, base string, owner http.CookieJar, key string, n int) ([]string, error) {
	n = min(n, maxPrepared)
	ctx, cancel := context.WithTimeout(ctx, prepTimeout)
	defer cancel()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		tokens   = make([]string, 0, n)
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	jar, create := owner, func(c *http.Client) (string, error) { return createLink(ctx, c, base, maxUses) }
	if key != "" {
		jar = nil // a program sends its key and no cookie
		create = func(c *http.Client) (string, error) { return createAPILink(ctx, c, base, key, maxUses) }
	}
	for range min(prepClients, n) {
		wg.Go(func() {
			c := newClient(jar)
			defer c.CloseIdleConnections()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				token, err := create(c)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				tokens = append(tokens, token)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("preparing links: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("preparing links: %w", err)
	}
	return tokens, nil
}

// createLink creates one message link and returns its token.
func createLink(ctx context.Context, c *http.Client, base string, uses int) (string, error) {
	req, err := createRequest(ctx, base, uses)
	if err != nil {
		return "", err
	}
	status, body, err := do(c, req)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", unexpected("POST /links", status, "201", body)
	}
	token, ok := parseToken(body)
	if !ok {
		return "", unexpected("POST /links", status, "a page with "+base+"/l/TOKEN", body)
	}
	return token, nil
}

// createAPILink creates one message link through the API and returns its token.
func createAPILink(ctx context.Context, c *http.Client, base, key string, uses int) (string, error) {
	req, err := apiCreateRequest(ctx, base, key, apiCreateBody(uses))
	if err != nil {
		return "", err
	}
	status, body, err := do(c, req)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", unexpected("POST /api/v1/links", status, "201", body)
	}
	var created struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		return "", unexpected("POST /api/v1/links", status, "JSON ("+err.Error()+")", body)
	}
	token, ok := parseToken([]byte(created.URL))
	if !ok {
		return "", unexpected("POST /api/v1/links", status, `JSON with "url": "`+base+`/l/TOKEN"`, body)
	}
	return token, nil
}

func createRequest(ctx context.Context, base string, uses int) (*http.Request, error) {
	return formRequest(ctx, base+"/links", createBody(uses))
}

// createBody is the form that creates a message link of uses uses.
func createBody(uses int) string {
	return url.Values{
		"kind":     {"message"},
		"message":  {benchMessage},
		"ttl":      {"1h"},
		"max_uses": {strconv.Itoa(uses)},
		"label":    {"bench"},
	}.Encode()
}

// apiCreateBody is the JSON that creates, through the API, the link
// createBody does.
func apiCreateBody(uses int) string {
	b, _ := json.Marshal(map[string]any{
		"kind":     "message",
		"message":  benchMessage,
		"ttl":      "1h",
		"max_uses": uses,
		"label":    "bench",
	})
	return string(b)
}

// apiCreateRequest sends body as a program does: with the key and no cookie.
func apiCreateRequest(ctx context.Context, base, key, body string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/links", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	return req, nil
}

func consumeRequest(ctx context.Context, base, token string) (*http.Request, error) {
	return formRequest(ctx, base+"/l/"+token, "")
}

// apiOpenRequest opens a link through the API, with neither key nor body.
func apiOpenRequest(ctx context.Context, base, token string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/open/"+token, nil)
}

func formRequest(ctx context.Context, url, body string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

func postForm(ctx context.Context, c *http.Client, url string, form url.Values) (int, []byte, error) {
	req, err := formRequest(ctx, url, form.Encode())
	if err != nil {
		return 0, nil, err
	}
	return do(c, req)
}

// do sends req and returns the status and up to 1 MiB of the body.
func do(c *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

func unexpected(what string, status int, want string, body []byte) error {
	snippet := strings.Join(strings.Fields(string(body)), " ")
	if len(snippet) > 300 {
		snippet = snippet[:300] + "..."
	}
	return fmt.Errorf("%s: status %d, want %s; body: %s", what, status, want, snippet)
}
