package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for both child processes run
// starts: the bare handler (re-executed as itself) and, given to -server,
// a fake oncelink.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "serve" || os.Args[1] == "-bare-addr") {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		var err error
		if os.Args[1] == "serve" {
			err = serveFake(ctx, os.Args[2:])
		} else {
			err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fake implements the part of oncelink's contract the benchmark relies on,
// in memory, and counts what happened.
type fake struct {
	mu       sync.Mutex
	account  bool
	sessions map[string]bool
	usesLeft map[string]int
	consumed map[string]int
	requests map[string]int // by Host, for checking round-robin
}

func newFake() *fake {
	return &fake{sessions: map[string]bool{}, usesLeft: map[string]int{}, consumed: map[string]int{}, requests: map[string]int{}}
}

func (f *fake) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /setup", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.account {
			http.NotFound(w, r)
			return
		}
		if r.FormValue("username") == "" || len(r.FormValue("password")) < 12 {
			http.Error(w, "bad account", http.StatusBadRequest)
			return
		}
		f.account = true
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("username") != benchUser || r.FormValue("password") != benchPassword {
			http.Error(w, "wrong", http.StatusUnauthorized)
			return
		}
		id := rand.Text()
		f.mu.Lock()
		f.sessions[id] = true
		f.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: id, Path: "/", HttpOnly: true})
		http.Redirect(w, r, "/links", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /links", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("session")
		f.mu.Lock()
		defer f.mu.Unlock()
		if err != nil || !f.sessions[c.Value] {
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		var uses int
		if _, err := fmt.Sscan(r.FormValue("max_uses"), &uses); err != nil || uses < 1 || uses > 100 ||
			r.FormValue("kind") != "message" || r.FormValue("ttl") != "1h" {
			http.Error(w, "bad link", http.StatusBadRequest)
			return
		}
		raw := make([]byte, 32)
		rand.Read(raw)
		token := base64.RawURLEncoding.EncodeToString(raw)
		f.usesLeft[token] = uses
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `<p>Copy it now: <input value="http://%s/l/%s" readonly></p>`, r.Host, token)
	})
	mux.HandleFunc("POST /l/{token}", func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests[r.Host]++
		left, ok := f.usesLeft[token]
		switch {
		case !ok:
			http.NotFound(w, r)
		case left == 0:
			http.Error(w, "gone", http.StatusGone)
		default:
			f.usesLeft[token]--
			f.consumed[token]++
			http.SetCookie(w, &http.Cookie{Name: "grant", Value: token[:8], Path: "/l/" + token})
			fmt.Fprintln(w, "hello from oncelink-bench")
		}
	})
	return mux
}

// serveFake runs the fake as a process, taking oncelink's serve flags.
func serveFake(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "", "")
	fs.String("db", "", "")
	fs.String("base-url", "", "")
	rateLimits := fs.Bool("rate-limits", true, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rateLimits {
		return fmt.Errorf("fake: want --rate-limits=false")
	}
	srv := &http.Server{Addr: *addr, Handler: newFake().handler()}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func startFake(t *testing.T, f *fake) string {
	t.Helper()
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var d []time.Duration
		for _, n := range ns {
			d = append(d, time.Duration(n)*time.Millisecond)
		}
		return d
	}
	var hundred []int
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, i)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of three", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 of 100", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of two is the larger", ms(1, 9), 99, 9 * time.Millisecond},
		{"p50 of two is the smaller", ms(1, 9), 50, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}

func TestParseToken(t *testing.T) {
	const token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123_-_"
	tests := []struct {
		name string
		page string
		want string
	}{
		{"in an attribute", `<input value="http://127.0.0.1:8080/l/` + token + `">`, token},
		{"at the end", `http://h/l/` + token, token},
		{"in text then a tag", `<code>https://example.com/l/` + token + `</code>`, token},
		{"first of two", `http://h/l/` + token + ` http://h/l/` + strings.Repeat("z", 43), token},
		{"one short", `http://h/l/` + token[:42] + `"`, ""},
		{"one long", `http://h/l/` + token + `x"`, ""},
		{"relative", `<a href="/l/` + token + `">`, ""},
		{"none", `<p>no link</p>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseToken([]byte(tt.page))
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("parseToken = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\toncelink\nVmPeak:\t  999999 kB\nVmHWM:\t   30720 kB\nVmRSS:\t   20480 kB\n"
	if got, want := parseVmHWM([]byte(status)), int64(30<<20); got != want {
		t.Errorf("parseVmHWM = %d, want %d", got, want)
	}
	if got := parseVmHWM([]byte("Name:\tx\n")); got != 0 {
		t.Errorf("parseVmHWM without VmHWM = %d, want 0", got)
	}
	me, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := (&process{cmd: &exec.Cmd{Process: me}}).peakRSS(); got < 1<<20 {
		t.Errorf("peakRSS of this test = %d bytes, want at least 1 MiB", got)
	}
}

func TestParseCPUTime(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 9 0\n"
	if got, want := parseCPUTime([]byte(stat)), 1750*time.Millisecond; got != want {
		t.Errorf("parseCPUTime = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 x 25 0"} {
		if got := parseCPUTime([]byte(bad)); got != 0 {
			t.Errorf("parseCPUTime(%q) = %v, want 0", bad, got)
		}
	}
	me, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: &exec.Cmd{Process: me}}
	before, err := p.cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := p.cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	if got := after - before; got < clockTick {
		t.Errorf("50ms of busy waiting added %v of CPU time", got)
	}
	if _, err := cpuTimeOf("/proc/0/stat"); err == nil {
		t.Error("the CPU time of a process that does not exist was read")
	}
}

func TestMeasureCountsStatuses(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) > 30 {
			w.WriteHeader(http.StatusGone)
		}
	}))
	defer srv.Close()

	r := measure(t.Context(), getHello(srv.URL), 4, 300*time.Millisecond)
	if r.ok != 30 {
		t.Errorf("ok = %d, want 30", r.ok)
	}
	if got, want := r.errors["410"], int(served.Load())-30; got != want || got == 0 {
		t.Errorf("errors[410] = %d, want %d (and more than 0)", got, want)
	}
	if len(r.errors) != 1 {
		t.Errorf("errors = %v, want only 410s", r.errors)
	}
	if len(r.latencies) != r.ok || !slices.IsSorted(r.latencies) {
		t.Errorf("want %d sorted latencies, got %v", r.ok, r.latencies)
	}
	if r.elapsed < 300*time.Millisecond || r.elapsed > 5*time.Second {
		t.Errorf("elapsed = %v, want a little over 300ms", r.elapsed)
	}
}

func TestMeasureCountsTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // drops the connection without a response
	}))
	defer srv.Close()

	r := measure(t.Context(), getHello(srv.URL), 2, 100*time.Millisecond)
	if r.ok != 0 || r.errors["transport"] == 0 || r.firstErr == "" {
		t.Errorf("ok = %d, errors = %v, firstErr = %q; want only transport errors", r.ok, r.errors, r.firstErr)
	}
}

func TestConsumesExactlyMaxUsesAcrossInstances(t *testing.T) {
	f := newFake()
	bases := []string{startFake(t, f), startFake(t, f)} // two instances, one database
	owner, err := signIn(t.Context(), bases[0])
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := prepareLinks(t.Context(), bases[0], owner, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 3 {
		t.Fatalf("prepared %d links, want 3", len(tokens))
	}

	r := measure(t.Context(), consumeLinks(bases, tokens), 4, 5*time.Second)
	if r.ok != 3*maxUses || len(r.errors) != 0 || !r.exhausted {
		t.Errorf("ok = %d, errors = %v, exhausted = %v; want %d, none, true", r.ok, r.errors, r.exhausted, 3*maxUses)
	}
	if r.elapsed > 4*time.Second {
		t.Errorf("took %v: clients did not stop once the links were used up", r.elapsed)
	}
	for _, tok := range tokens {
		if f.consumed[tok] != maxUses {
			t.Errorf("token consumed %d times, want %d", f.consumed[tok], maxUses)
		}
	}
	if len(f.requests) != 2 {
		t.Errorf("consumes reached hosts %v, want both instances", f.requests)
	}
}

func TestCreateNeedsTheSession(t *testing.T) {
	f := newFake()
	base := startFake(t, f)
	owner, err := signIn(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	r := measure(t.Context(), createLinks([]string{base}, owner), 2, 100*time.Millisecond)
	if r.ok == 0 || len(r.errors) != 0 || r.ok != len(f.usesLeft) {
		t.Errorf("signed in: ok = %d, errors = %v, links = %d", r.ok, r.errors, len(f.usesLeft))
	}
	anon := measure(t.Context(), createLinks([]string{base}, nil), 1, 50*time.Millisecond)
	if anon.ok != 0 || anon.errors["401"] == 0 {
		t.Errorf("anonymous: ok = %d, errors = %v; want only 401s", anon.ok, anon.errors)
	}
}

func TestSignInWhenTheAccountExists(t *testing.T) {
	base := startFake(t, newFake())
	for i := range 2 { // the second setup answers 404
		if _, err := signIn(t.Context(), base); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
}

func TestContractBreaksAreReported(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"create fails", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "database is locked", http.StatusInternalServerError)
		}, "status 500, want 201; body: database is locked"},
		{"no link in the page", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, "<p>created /l/short</p>")
		}, "want a page with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, err := prepareLinks(t.Context(), srv.URL, nil, 5)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFloors(t *testing.T) {
	level := func(name string, ok int, p99 time.Duration) result {
		return result{name: name, clients: floorClients, ok: ok, elapsed: time.Second, latencies: []time.Duration{p99}}
	}
	good := memory{servers: []int64{30 << 20, 40 << 20}}
	tests := []struct {
		name string
		rows []result
		mem  memory
		want bool
		says string
	}{
		{"pass", []result{level("bare", 1000, time.Millisecond), level("consume", 250, 10*time.Millisecond), level("create", 200, time.Millisecond)}, good, true, "PASS"},
		{"slow consume", []result{level("bare", 1000, time.Millisecond), level("consume", 249, time.Millisecond), level("create", 200, time.Millisecond)}, good, false, "consume ×0.25 (≥0.25) FAIL"},
		{"consume p99", []result{level("bare", 1000, time.Millisecond), level("consume", 500, 11*time.Millisecond), level("create", 200, time.Millisecond)}, good, false, "consume p99 11.00ms (≤10.00ms) FAIL"},
		{"slow create", []result{level("bare", 1000, time.Millisecond), level("consume", 500, time.Millisecond), level("create", 199, time.Millisecond)}, good, false, "create ×0.20 (≥0.20) FAIL"},
		{"fat", []result{level("bare", 1000, time.Millisecond), level("consume", 500, time.Millisecond), level("create", 500, time.Millisecond)}, memory{servers: []int64{10 << 20, 65 << 20}}, false, "peak RSS 65.0 MiB (≤64.0 MiB) FAIL"},
		{"not measured", []result{{name: "bare", clients: 1}}, good, false, "not measured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, says := floors(tt.rows, tt.mem)
			if ok != tt.want || !strings.Contains(says, tt.says) {
				t.Errorf("floors = %v, %q; want %v and %q", ok, says, tt.want, tt.says)
			}
		})
	}
}

func TestServeBare(t *testing.T) {
	stdin, closeStdin := io.Pipe()
	stdout := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveBare(t.Context(), "127.0.0.1:0", stdin, stdout) }()

	var url string
	for deadline := time.Now().Add(5 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		url, _, _ = strings.Cut(stdout.String(), "\n")
		if !strings.HasSuffix(stdout.String(), "\n") {
			url = ""
		}
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "hello\n" {
		t.Errorf("GET / = %d %q", resp.StatusCode, body)
	}
	closeStdin.Close() // the parent went away
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serveBare: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serveBare kept running after stdin closed")
	}
}

// syncBuffer is a bytes.Buffer safe to write and read from two goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRun runs the whole benchmark with this test binary as both the bare
// handler and a fake oncelink server.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"-server", self, "-duration", "200ms", "-clients", "1,16"}
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"clients", "bare", "consume", "create", "peak RSS (VmHWM): oncelink", "floors at 16 clients:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "note:") {
		t.Errorf("errors reported:\n%s", out)
	}
	if got := strings.Count(out, "\n"); got != 1+6+2 {
		t.Errorf("want a header, 6 rows, RSS and floors lines; got %d lines:\n%s", got, out)
	}
	t.Logf("\n%s", out)
}

func TestRunReportsAServerThatDoesNotStart(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"-server", "/bin/false", "-duration", "100ms"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("err = %v, want a start failure", err)
	}
}

func TestServersGetNeitherOncelinkNorRuntimeSettings(t *testing.T) {
	for kv, away := range map[string]bool{
		"ONCELINK_SQLITE_SYNC=full": true, "GOGC=100": true, "GOMEMLIMIT=1GiB": true, "GOMAXPROCS=1": true,
		"PATH=/usr/bin": false, "HOME=/root": false, "GOGCX=1": false, "TMPDIR=/tmp": false,
	} {
		if got := measuredAway(kv); got != away {
			t.Errorf("measuredAway(%q) = %v, want %v", kv, got, away)
		}
	}
}
