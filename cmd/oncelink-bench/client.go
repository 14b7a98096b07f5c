package main

import (
	"context"
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

// prepareLinks creates n message links of maxUses uses each and returns their tokens.
func prepareLinks(ctx context.Context, base string, owner http.CookieJar, n int) ([]string, error) {
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
	for range min(prepClients, n) {
		wg.Go(func() {
			c := newClient(owner)
			defer c.CloseIdleConnections()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				token, err := createLink(ctx, c, base, maxUses)
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

func createRequest(ctx context.Context, base string, uses int) (*http.Request, error) {
	return formRequest(ctx, base+"/links", createBody(uses))
}

// createBody is the form that creates a message link of uses uses.
func createBody(uses int) string {
	return url.Values{
		"kind":     {"message"},
		"message":  {"hello from oncelink-bench"},
		"ttl":      {"1h"},
		"max_uses": {strconv.Itoa(uses)},
		"label":    {"bench"},
	}.Encode()
}

func consumeRequest(ctx context.Context, base, token string) (*http.Request, error) {
	return formRequest(ctx, base+"/l/"+token, "")
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
