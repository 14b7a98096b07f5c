package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryBoundsRequests sends the real server requests that are too
// large where only the http.Server's settings can refuse them, and bodies
// that the handlers must refuse.
func TestBinaryBoundsRequests(t *testing.T) {
	srv := startServer(t, filepath.Join(t.TempDir(), "oncelink.db"))
	c := newClient()
	send := func(method, path string, body string, header http.Header) int {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// A thousand headers of 100 bytes each: small one by one, too many in all.
	many := http.Header{}
	for i := range 1000 {
		many.Set(fmt.Sprintf("X-Header-%d", i), strings.Repeat("v", 100))
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if st := send("POST", "/setup", url.Values{"username": {"ada"}, "password": {"correct horse battery"}}.Encode(), form); st != http.StatusSeeOther {
		t.Fatalf("setup: %d", st)
	}
	for _, tc := range []struct {
		name, method, path, body string
		header                   http.Header
		want                     int
	}{
		{"a 30 KiB header", "GET", "/healthz", "", http.Header{"X-Big": {strings.Repeat("a", 30<<10)}}, http.StatusOK},
		{"a 100 KiB header", "GET", "/healthz", "", http.Header{"X-Big": {strings.Repeat("a", 100<<10)}}, http.StatusRequestHeaderFieldsTooLarge},
		{"a thousand headers", "GET", "/links", "", many, http.StatusRequestHeaderFieldsTooLarge},
		{"a 1 MiB form", "POST", "/links", "kind=message&ttl=1h&message=" + strings.Repeat("a", 1<<20), form, http.StatusRequestEntityTooLarge},
		{"a GET with a body", "GET", "/links", "kind=message", form, http.StatusBadRequest},
		{"a JSON body", "POST", "/links", `{"kind":"message","message":"x","ttl":"1h"}`, http.Header{"Content-Type": {"application/json"}}, http.StatusUnsupportedMediaType},
	} {
		if st := send(tc.method, tc.path, tc.body, tc.header); st != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, st, tc.want)
		}
	}
	res, err := c.Get(srv.URL + "/links")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.Contains(page.String(), `data-testid="link-row"`) {
		t.Fatalf("after refused requests the dashboard answers %d and lists links: %v", res.StatusCode, strings.Contains(page.String(), "link-row"))
	}
}
