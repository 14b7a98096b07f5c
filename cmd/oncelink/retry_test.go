package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"oncelink/client"
)

// proxyLosingFirstCreate is a proxy in front of the server at backend that
// forwards every request, and loses the answer to the first create: with
// forward, after the server made the link, by dropping the connection;
// without, by answering 502 without passing the create on. creates counts
// the creates that came to it.
func proxyLosingFirstCreate(t *testing.T, backend string, forward bool, creates *atomic.Int32) *httptest.Server {
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		first := r.Method == http.MethodPost && r.URL.Path == "/api/v1/links" && creates.Add(1) == 1
		if first && !forward {
			http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, backend+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		answer, _ := io.ReadAll(res.Body)
		if first {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(p.Close)
	return p
}

// TestShareWhoseAnswerWasLost: share sends its create again when the
// answer was lost on the way, and makes one link. If the first create made
// it, share says that its address cannot be shown again, and how to
// revoke it; if not, the second makes it and share prints its URL.
func TestShareWhoseAnswerWasLost(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	key := ownerKey(t, db)
	owner := apiClient(t, s.URL, key)
	count := func() []client.Link {
		t.Helper()
		page, err := owner.Links(t.Context(), client.LinkQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return page.Links
	}
	sh := newShell(t)

	var creates atomic.Int32
	lossy := proxyLosingFirstCreate(t, s.URL, true, &creates)
	env := []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}
	r := sh.run("", env, "share", "the door code")
	made := count()
	if len(made) != 1 || creates.Load() != 2 {
		t.Fatalf("%d links after %d creates, want 1 after 2", len(made), creates.Load())
	}
	id := strconv.FormatInt(made[0].ID, 10)
	if r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, "link was made (id "+id+")") ||
		!strings.Contains(r.stderr, "oncelink revoke "+id) {
		t.Fatalf("share: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// What it says to do, done, ends the link.
	sh.run("", env, "revoke", id)
	if l := count(); l[0].Status != "revoked" {
		t.Fatalf("after oncelink revoke %s: %+v", id, l[0])
	}

	creates.Store(0)
	unreached := proxyLosingFirstCreate(t, s.URL, false, &creates)
	r = sh.run("", []string{"ONCELINK_URL=" + unreached.URL, "ONCELINK_API_KEY=" + key}, "share", "the door code")
	if r.code != exitDone || !strings.Contains(r.stdout, s.URL+"/l/") || creates.Load() != 2 || len(count()) != 2 {
		t.Fatalf("share through a 502: status %d, stdout %q, stderr %q, %d creates", r.code, r.stdout, r.stderr, creates.Load())
	}
}
