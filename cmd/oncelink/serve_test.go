package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveInProcess runs serve on an SQLite file of its own, listening on a
// port the system chooses, and returns its address once it listens, its
// log, what stops it, and where serve's error comes when it has stopped.
func serveInProcess(t *testing.T, flags ...string) (addr string, logs *lockedBuffer, stop func(), done <-chan error) {
	t.Helper()
	cfg, err := parseConfig(append([]string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "oncelink.db")}, flags...),
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logs = &lockedBuffer{}
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, logs) }()
	for start := time.Now(); addr == ""; {
		if m := regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		} else if time.Since(start) > 10*time.Second {
			t.Fatalf("the server did not start: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return addr, logs, cancel, served
}

// TestForwardedWithoutTrustProxyWarns: a server that a proxy on its own
// machine forwards requests to, started without --trust-proxy, counts every
// client as the proxy; it says so in its log, once, at the first such
// request. With --trust-proxy, or without the header, it says nothing.
func TestForwardedWithoutTrustProxyWarns(t *testing.T) {
	const warning = "but --trust-proxy is off"
	get := func(addr string, forwarded bool) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
		if forwarded {
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	addr, logs, _, _ := serveInProcess(t)
	get(addr, false)
	if strings.Contains(logs.String(), warning) {
		t.Fatalf("a warning without a proxy:\n%s", logs)
	}
	get(addr, true)
	get(addr, true)
	if n := strings.Count(logs.String(), warning); n != 1 || !strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("%d warnings after two forwarded requests, want 1:\n%s", n, logs)
	}
	addr, logs, _, _ = serveInProcess(t, "--trust-proxy")
	get(addr, true)
	if strings.Contains(logs.String(), warning) {
		t.Fatalf("a warning with --trust-proxy:\n%s", logs)
	}
}

// TestShutdownEndsEventStreams runs the server, opens a dashboard's event
// stream, and stops the server: the stream ends and the server stops at
// once, rather than waiting out its grace period for the stream.
func TestShutdownEndsEventStreams(t *testing.T) {
	addr, _, stop, done := serveInProcess(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err := client.PostForm("http://"+addr+"/setup", url.Values{"username": {"ada"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = client.Get("http://" + addr + "/links/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	stream := bufio.NewReader(res.Body)
	for {
		line, err := stream.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v", err)
		}
		if strings.HasPrefix(line, "event: signed-out") {
			t.Fatal("the stream has no session")
		}
		if strings.HasPrefix(line, "event: clock") {
			break
		}
	}

	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(shutdownGrace):
		t.Fatal("the server waited for the open event stream")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutting down took %v", d)
	}
	for {
		if _, err := stream.ReadString('\n'); err != nil {
			break
		}
	}
}

// TestShutdownCutsOffWhatOutlastsTheGrace: a request still under way
// when the grace period ends (an upload that never finishes, here) is cut
// off, and the server stops cleanly, says so in the log, and exits well.
func TestShutdownCutsOffWhatOutlastsTheGrace(t *testing.T) {
	addr, logs, stop, done := serveInProcess(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The form's body is promised whole and sent in part: the handler
	// waits for the rest.
	if _, err := io.WriteString(conn, "POST /setup HTTP/1.1\r\nHost: "+addr+"\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=ada"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)

	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatal("the server did not stop")
	}
	if d := time.Since(start); d < shutdownGrace || d > shutdownGrace+3*time.Second {
		t.Errorf("shutting down took %v, want the grace period, %v", d, shutdownGrace)
	}
	if !strings.Contains(logs.String(), "requests still under way after the grace period were cut off") ||
		!strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("the log does not say what was cut off and that the server stopped:\n%s", logs)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Errorf("the cut-off connection was not closed: %v", err)
	}
}

func TestDBNameHidesPasswords(t *testing.T) {
	for dsn, want := range map[string]string{
		"oncelink.db": "oncelink.db",
		"postgres://ada:s3cret@db.example.com/oncelink?sslmode=verify-full":              "postgres://ada:xxxxx@db.example.com/oncelink?sslmode=verify-full",
		"postgres://ada@db.example.com/oncelink?password=s3cret&sslmode=require":         "postgres://ada@db.example.com/oncelink?password=xxxxx&sslmode=require",
		"postgresql://db/oncelink?PASSWORD=s3cret&sslpassword=s3cret&search_path=x":      "postgresql://db/oncelink?PASSWORD=xxxxx&search_path=x&sslpassword=xxxxx",
		"host=db.example.com user=ada password=s3cret dbname=oncelink":                   "host=db.example.com user=ada password=xxxxx dbname=oncelink",
		"postgres://ada:s3cret%zz@db.example.com/oncelink":                               "postgres://ada:xxxxx@db.example.com/oncelink",
		"postgres://ada:s3/cr+t@@db.example.com/oncelink":                                "postgres://ada:xxxxx@db.example.com/oncelink",
		"host=db password = 's3cret with \\' spaces' dbname=oncelink sslpassword=s3cret": "host=db password = xxxxx dbname=oncelink sslpassword=xxxxx",
	} {
		got := dbName(dsn)
		if got != want || strings.Contains(got, "s3cret") {
			t.Errorf("dbName(%q) = %q, want %q", dsn, got, want)
		}
	}
}

// TestEphemeralPortInLinks: a server told to listen on port 0, for the
// system to choose one, without --base-url, puts the port it was given in
// its links, on the pages and in the API, not port 0.
func TestEphemeralPortInLinks(t *testing.T) {
	s := launch(t, "", []string{oncelinkBinary(t), "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "oncelink.db")})
	if !strings.Contains(s.logs.String(), "base_url="+s.URL+" ") {
		t.Errorf("listening at %s, the log says:\n%s", s.URL, s.logs)
	}
	owner := signUp(t, s)
	createLink(t, owner, s, nil) // which finds s.URL in the link's address
	res, err := owner.Post(s.URL+"/api/v1/links", "application/json", strings.NewReader(`{"kind":"message","message":"the secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var l struct{ URL string }
	if err := json.Unmarshal(body, &l); err != nil || res.StatusCode != http.StatusCreated || !strings.HasPrefix(l.URL, s.URL+"/l/") {
		t.Fatalf("create through the API: %d %s, want a link under %s", res.StatusCode, body, s.URL)
	}
}

func TestListenBase(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234}
	for addr, want := range map[string]string{
		"127.0.0.1:0":    "http://127.0.0.1:41234",
		"localhost:0":    "http://localhost:41234",
		":0":             "http://localhost:41234",
		"0.0.0.0:0":      "http://localhost:41234",
		"[::]:0":         "http://localhost:41234",
		"[::1]:0":        "http://[::1]:41234",
		"127.0.0.1:8080": "http://127.0.0.1:41234",
	} {
		if got := listenBase(addr, bound); got != want {
			t.Errorf("listenBase(%q): %q, want %q", addr, got, want)
		}
	}
}

// TestHeadersTooLargeInOncelinksWords: a request whose headers are over
// 64 KiB, such as a browser's whose cookies for the site have grown, is
// answered 431 by oncelink itself: a page in the reader's language, or a
// problem from the API. Only one over four times that gets net/http's own
// plain answer.
func TestHeadersTooLargeInOncelinksWords(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "oncelink.db"))
	get := func(path string, header http.Header) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	crumbs := "crumbs=" + strings.Repeat("c", 100<<10)
	res, body := get("/login", http.Header{"Cookie": {crumbs}, "Accept-Language": {"de"}})
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `lang="de"`) || !strings.Contains(body, "Cookies") {
		t.Fatalf("a page with 100 KiB of cookies: %d %s\n%.2000s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res, body = get("/api/v1/me", http.Header{"Authorization": {"Bearer ol_" + strings.Repeat("x", 43)}, "X-Padding": {strings.Repeat("p", 100<<10)}})
	var p struct {
		Status int
		Code   string
	}
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || res.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal([]byte(body), &p) != nil || p.Status != 431 || p.Code != "headers_too_large" {
		t.Fatalf("the API with 100 KiB of headers: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	// Past net/http's own bound, net/http answers, unread.
	res, _ = get("/login", http.Header{"Cookie": {"crumbs=" + strings.Repeat("c", 300<<10)}})
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("300 KiB of cookies: %d", res.StatusCode)
	}
}

// TestExitSoonAfterStopped: on SIGTERM the server says it stopped once
// all it promises is done (the requests under way answered, the notices
// under way recorded), and the process then exits promptly: what is left,
// closing the database and the rest, takes well under half a second. (A
// binary built with -race would sleep a second more on the way out, for
// the race detector's late reports: GORACE's atexit_sleep_ms, set to 0.)
func TestExitSoonAfterStopped(t *testing.T) {
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var stopped time.Time
	deadline := time.After(15 * time.Second)
	for {
		if stopped.IsZero() && strings.Contains(s.logs.String(), "msg=stopped") {
			stopped = time.Now()
		}
		select {
		case err := <-s.done:
			exited := time.Now()
			s.done <- err
			if err != nil {
				t.Fatalf("oncelink exited with %v after SIGTERM:\n%s", err, s.logs)
			}
			if stopped.IsZero() {
				if !strings.Contains(s.logs.String(), "msg=stopped") {
					t.Fatalf("oncelink exited without saying it stopped:\n%s", s.logs)
				}
				stopped = exited
			}
			if d := exited.Sub(stopped); d > 500*time.Millisecond {
				t.Errorf("oncelink exited %v after it said it stopped, want at most 500ms:\n%s", d, s.logs)
			}
			return
		case <-deadline:
			t.Fatalf("oncelink did not stop within 15s of SIGTERM:\n%s", s.logs)
		case <-time.After(2 * time.Millisecond):
		}
	}
}
