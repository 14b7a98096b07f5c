package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildOncelink builds the binary, as an operator would, into a temporary
// directory.
func buildOncelink(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oncelink")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is a running oncelink process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	logs *logWatch
}

// logWatch keeps a process's log and finds the address it listens on.
type logWatch struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	addr chan string
}

var listening = regexp.MustCompile(`msg="oncelink is listening" addr=(\S+)`)

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := listening.Match(w.buf.Bytes())
	w.buf.Write(p)
	if m := listening.FindSubmatch(w.buf.Bytes()); !had && m != nil {
		w.addr <- string(m[1])
	}
	return len(p), nil
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startOncelink runs bin on the SQLite file db with a free port and waits
// until it listens.
func startOncelink(t *testing.T, bin, db string, flags ...string) *server {
	t.Helper()
	logs := &logWatch{addr: make(chan string, 1)}
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--db", db}, flags...)...)
	cmd.Stderr = logs
	// Only the flags above configure it, whatever the environment holds.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ONCELINK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, logs: logs}
	t.Cleanup(func() { s.kill() })
	select {
	case addr := <-logs.addr:
		s.url = "http://" + addr
	case <-time.After(30 * time.Second):
		t.Fatalf("oncelink did not start:\n%s", logs)
	}
	return s
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would:
// nothing is flushed or closed.
func (s *server) kill() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// TestBinaryBoundsRequests sends the real server requests that are too
// large where only the http.Server's settings can refuse them, and bodies
// that the handlers must refuse.
func TestBinaryBoundsRequests(t *testing.T) {
	srv := startOncelink(t, buildOncelink(t), filepath.Join(t.TempDir(), "oncelink.db"))
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string, body string, header http.Header) int {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, srv.url+path, rd)
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
	res, err := c.Get(srv.url + "/links")
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
