package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	// binTemp is where the binary is built: the temporary directory the
	// run started with, not one a test set TMPDIR to, which goes with it.
	binTemp = os.TempDir()
)

// TestMain removes the binary that the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// oncelinkBinary builds the command once per test run.
func oncelinkBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp(binTemp, "oncelink-bin")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "oncelink")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// server is a running oncelink process.
type server struct {
	t    testing.TB
	cmd  *exec.Cmd
	URL  string
	logs *lockedBuffer
	done chan error
}

// freeAddr finds a loopback address with a free port.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs oncelink serve on db with args and waits until it is
// healthy. It is killed when the test ends if it still runs.
func startServer(t testing.TB, db string, args ...string) *server {
	t.Helper()
	return startCommand(t, []string{oncelinkBinary(t)}, db, args...)
}

// startCommand is startServer with the binary run as command, such as
// prlimit with its flags and the binary.
func startCommand(t testing.TB, command []string, db string, args ...string) *server {
	t.Helper()
	// Port 0: the system picks a port that is free, and the log says which.
	return launch(t, "", append(append(command[:len(command):len(command)], "serve", "--addr", "127.0.0.1:0", "--db", db), args...))
}

// listening finds the address in the log line of a server that listens,
// in text or in JSON.
var listening = regexp.MustCompile(`msg="oncelink is listening" .*?\baddr=(\S+)|"msg":"oncelink is listening",.*?"addr":"([^"]+)"`)

// launch runs argv, a command that serves, and waits until it is healthy
// at base, or, when base is "", at the address its log says it listens
// on. It is killed when the test ends if it still runs.
func launch(t testing.TB, base string, argv []string) *server {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Only the flags above configure it, whatever the environment holds.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ONCELINK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, URL: base, logs: logs, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listening.FindStringSubmatch(logs.String()); s.URL == "" && m != nil {
			s.URL = "http://" + m[1] + m[2]
		}
		if s.URL != "" {
			if res, err := http.Get(s.URL + "/healthz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return s
				}
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("oncelink exited: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("oncelink did not become healthy:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer keeps a process's output, written by two copying goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would:
// nothing is flushed or closed.
func (s *server) kill() {
	s.cmd.Process.Kill()
	s.done <- <-s.done
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			s.t.Fatalf("oncelink exited with %v after SIGTERM:\n%s", err, s.logs)
		}
	case <-time.After(15 * time.Second):
		s.t.Fatal("oncelink did not stop within 15s of SIGTERM")
	}
}

// newClient is one HTTP client with its own cookies, following no redirects.
func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func postForm(t testing.TB, c *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	res, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// getStatus GETs u with c and returns the status.
func getStatus(t testing.TB, c *http.Client, u string) int {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

const ownerPassword = "a long enough password"

// signUp creates the first account on s and returns its signed-in client.
func signUp(t testing.TB, s *server) *http.Client {
	t.Helper()
	c := newClient()
	if code, body := postForm(t, c, s.URL+"/setup", url.Values{"username": {"owner"}, "password": {ownerPassword}}); code != http.StatusSeeOther {
		t.Fatalf("setup: %d %s", code, body)
	}
	return c
}

var linkPath = regexp.MustCompile(`/l/[A-Za-z0-9_-]{43}`)

// apiKey finds an API key on a page, and keyRowID the id in a key's revoke
// form.
var (
	apiKey   = regexp.MustCompile(`ol_[A-Za-z0-9_-]{43}`)
	keyRowID = regexp.MustCompile(`/settings/keys/([0-9]+)/revoke`)
)

// createLink creates a message link on s and returns its path, /l/TOKEN.
func createLink(t testing.TB, c *http.Client, s *server, fields url.Values) string {
	t.Helper()
	form := url.Values{"kind": {"message"}, "message": {"the secret"}, "ttl": {"1h"}, "max_uses": {"1"}}
	for k, v := range fields {
		form[k] = v
	}
	code, body := postForm(t, c, s.URL+"/links", form)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	p := linkPath.FindString(body)
	if p == "" || !strings.Contains(body, s.URL+p) {
		t.Fatalf("no absolute link URL in the create page")
	}
	return p
}
