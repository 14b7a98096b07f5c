package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
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
	keys     map[int]string // API keys by number, until revoked
	lastKey  int
	usesLeft map[string]int
	consumed map[string]int
	requests map[string]int // by Host, for checking round-robin
}

func newFake() *fake {
	return &fake{sessions: map[string]bool{}, keys: map[int]string{}, usesLeft: map[string]int{}, consumed: map[string]int{}, requests: map[string]int{}}
}

// signedIn reports whether r carries a session; f.mu must be held.
func (f *fake) signedIn(r *http.Request) bool {
	c, err := r.Cookie("session")
	return err == nil && f.sessions[c.Value]
}

// keyed reports whether r carries an API key, and no cookie, as a program
// sends it; f.mu must be held.
func (f *fake) keyed(r *http.Request) bool {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && slices.Contains(slices.Collect(maps.Values(f.keys)), secret) && r.Header.Get("Cookie") == ""
}

// newLink makes a link of uses uses and returns its URL; f.mu must be held.
func (f *fake) newLink(r *http.Request, uses int) string {
	raw := make([]byte, 32)
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)
	f.usesLeft[token] = uses
	return "http://" + r.Host + "/l/" + token
}

// use takes one use of r's token and reports whether there was one to
// take, answering what is wrong when not.
func (f *fake) use(w http.ResponseWriter, r *http.Request) bool {
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
		return true
	}
	return false
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
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.signedIn(r) {
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		var uses int
		if _, err := fmt.Sscan(r.FormValue("max_uses"), &uses); err != nil || uses < 1 || uses > 100 ||
			r.FormValue("kind") != "message" || r.FormValue("ttl") != "1h" {
			http.Error(w, "bad link", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `<p>Copy it now: <input value="%s" readonly></p>`, f.newLink(r, uses))
	})
	mux.HandleFunc("POST /l/{token}", func(w http.ResponseWriter, r *http.Request) {
		if f.use(w, r) {
			http.SetCookie(w, &http.Cookie{Name: "grant", Value: r.PathValue("token")[:8], Path: r.URL.Path})
			fmt.Fprintln(w, benchMessage)
		}
	})
	mux.HandleFunc("POST /settings/keys", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.signedIn(r) {
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		if r.FormValue("name") != "bench" || r.FormValue("expires") != "never" {
			http.Error(w, "bad key", http.StatusBadRequest)
			return
		}
		raw := make([]byte, 32)
		rand.Read(raw)
		secret := "ol_" + base64.RawURLEncoding.EncodeToString(raw)
		f.lastKey++
		f.keys[f.lastKey] = secret
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `<input type="text" id="new-key" readonly value="%s" data-testid="key-secret"><table>`, secret)
		for id := f.lastKey; id > 0; id-- { // newest first
			if k, ok := f.keys[id]; ok {
				fmt.Fprintf(w, `<tr><td><code>%s…</code></td><td><form method="post" action="/settings/keys/%d/revoke"></form></td></tr>`, k[:9], id)
			}
		}
	})
	mux.HandleFunc("POST /settings/keys/{id}/revoke", func(w http.ResponseWriter, r *http.Request) {
		var id int
		fmt.Sscan(r.PathValue("id"), &id)
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.keys[id]; !ok || !f.signedIn(r) {
			http.NotFound(w, r)
			return
		}
		delete(f.keys, id)
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /api/v1/links", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.keyed(r) {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		var in struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
			TTL     string `json:"ttl"`
			MaxUses int    `json:"max_uses"`
			Label   string `json:"label"`
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if r.Header.Get("Content-Type") != "application/json" || dec.Decode(&in) != nil ||
			in.Kind != "message" || in.TTL != "1h" || in.MaxUses < 1 || in.MaxUses > 100 {
			http.Error(w, "bad link", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"kind": in.Kind, "max_uses": in.MaxUses, "url": f.newLink(r, in.MaxUses)})
	})
	mux.HandleFunc("POST /api/v1/open/{token}", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
			http.Error(w, "not JSON", http.StatusUnsupportedMediaType)
			return
		}
		if f.use(w, r) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"kind": "message", "message": benchMessage})
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

func TestParseKey(t *testing.T) {
	const key = "ol_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123_-_"
	tests := []struct {
		name string
		page string
		want string
	}{
		{"in an attribute", `<input type="text" id="new-key" readonly value="` + key + `" data-testid="key-secret">`, key},
		{"at the end", `key: ` + key, key},
		{"first of two", key + ` ol_` + strings.Repeat("z", 43), key},
		{"after a listed prefix", `<code>` + key[:9] + `…</code> <input value="` + key + `">`, key},
		{"one short", `value="` + key[:45] + `"`, ""},
		{"one long", `value="` + key + `x"`, ""},
		{"inside a word", `value="x` + key + `"`, ""},
		{"a prefix only", `<code>` + key[:9] + `…</code>`, ""},
		{"none", `<p>no key</p>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseKey([]byte(tt.page))
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("parseKey = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestParseKeyID(t *testing.T) {
	const key = "ol_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123_-_"
	row := func(prefix, id string) string {
		return `<tr><td><code>` + prefix + `…</code></td><td><form method="post" action="/settings/keys/` + id + `/revoke"><button>Revoke</button></form></td></tr>`
	}
	tests := []struct {
		name string
		page string
		want string
	}{
		{"only row", row(key[:9], "7"), "7"},
		{"newest first", row(key[:9], "12") + row("ol_zzzzzz", "11"), "12"},
		{"among older", row("ol_zzzzzz", "3") + row(key[:9], "4") + row("ol_yyyyyy", "5"), "4"},
		{"another key's only", row("ol_zzzzzz", "3"), ""},
		{"no revoke form", `<code>` + key[:9] + `…</code>`, ""},
		{"none", `<p>No keys yet.</p>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseKeyID([]byte(tt.page), key)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("parseKeyID = %q, %v; want %q", got, ok, tt.want)
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

func TestUsesExactlyMaxUsesAcrossInstances(t *testing.T) {
	tests := []struct {
		name  string
		api   bool
		links func(bases, tokens []string) target
	}{
		{"consume", false, consumeLinks},
		{"api-open", true, apiOpenLinks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			bases := []string{startFake(t, f), startFake(t, f)} // two instances, one database
			owner, err := signIn(t.Context(), bases[0])
			if err != nil {
				t.Fatal(err)
			}
			var secret string
			if tt.api {
				key, err := createKey(t.Context(), bases[0], owner)
				if err != nil {
					t.Fatal(err)
				}
				secret = key.secret
			}
			tokens, err := prepareLinks(t.Context(), bases[0], owner, secret, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(tokens) != 3 {
				t.Fatalf("prepared %d links, want 3", len(tokens))
			}

			r := measure(t.Context(), tt.links(bases, tokens), 4, 5*time.Second)
			if r.name != tt.name || r.ok != 3*maxUses || len(r.errors) != 0 || !r.exhausted {
				t.Errorf("%s: ok = %d, errors = %v, exhausted = %v; want %s, %d, none, true", r.name, r.ok, r.errors, r.exhausted, tt.name, 3*maxUses)
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
				t.Errorf("uses reached hosts %v, want both instances", f.requests)
			}
		})
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

// TestAPICreateNeedsTheKey makes two keys on the settings page, creates
// links with the second, and revokes the first, which then creates none.
func TestAPICreateNeedsTheKey(t *testing.T) {
	f := newFake()
	base := startFake(t, f)
	owner, err := signIn(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	var keys []apiKey
	for range 2 {
		k, err := createKey(t.Context(), base, owner)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if keys[0].secret == keys[1].secret || f.keys[1] != keys[0].secret || f.keys[2] != keys[1].secret || keys[0].id != "1" || keys[1].id != "2" {
		t.Fatalf("made %+v; the server holds %v", keys, f.keys)
	}
	r := measure(t.Context(), apiCreateLinks([]string{base}, keys[1].secret), 2, 100*time.Millisecond)
	if r.name != "api-create" || r.ok == 0 || len(r.errors) != 0 || r.ok != len(f.usesLeft) {
		t.Errorf("with a key: %s ok = %d, errors = %v, links = %d", r.name, r.ok, r.errors, len(f.usesLeft))
	}
	if err := revokeKey(t.Context(), base, owner, keys[0]); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.keys[1]; ok || len(f.keys) != 1 {
		t.Errorf("after revoking key 1 the server holds %v", f.keys)
	}
	revoked := measure(t.Context(), apiCreateLinks([]string{base}, keys[0].secret), 1, 50*time.Millisecond)
	if revoked.ok != 0 || revoked.errors["401"] == 0 {
		t.Errorf("revoked key: ok = %d, errors = %v; want only 401s", revoked.ok, revoked.errors)
	}
	if err := revokeKey(t.Context(), base, owner, keys[0]); err == nil || !strings.Contains(err.Error(), "status 404, want 303") {
		t.Errorf("revoking it again: err = %v, want a 404 reported", err)
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
	web := func(ctx context.Context, base string) error {
		_, err := prepareLinks(ctx, base, nil, "", 5)
		return err
	}
	api := func(ctx context.Context, base string) error {
		_, err := prepareLinks(ctx, base, nil, "ol_"+strings.Repeat("k", 43), 5)
		return err
	}
	key := func(ctx context.Context, base string) error {
		_, err := createKey(ctx, base, nil)
		return err
	}
	created := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, body)
		}
	}
	const secret = "ol_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123_-_"
	tests := []struct {
		name    string
		call    func(ctx context.Context, base string) error
		handler http.HandlerFunc
		want    string
	}{
		{"create fails", web, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "database is locked", http.StatusInternalServerError)
		}, "status 500, want 201; body: database is locked"},
		{"no link in the page", web, created("<p>created /l/short</p>"), "want a page with"},
		{"API create fails", api, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
		}, `POST /api/v1/links: status 500, want 201; body: {"code":"internal"}`},
		{"API answers no URL", api, created(`{"id":1,"kind":"message"}`), `want JSON with "url"`},
		{"API answers a page", api, created("<p>created</p>"), "want JSON (invalid character"},
		{"no key in the page", key, created(`<input id="new-key" value="ol_short">`), "POST /settings/keys: status 201, want a page with the key"},
		{"no way to revoke the key", key, created(`<input id="new-key" value="` + secret + `">`), "want a page with the key's revoke form"},
		{"too many keys", key, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusConflict)
		}, "has as many API keys as it may; revoke some at http://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			err := tt.call(t.Context(), srv.URL)
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
	// passing is every scenario at its floor, each but one in place of its
	// own scenario's row.
	passing := func(but ...result) []result {
		rows := []result{
			level("bare", 1000, time.Millisecond),
			level("consume", 450, 5*time.Millisecond),
			level("api-open", 500, 5*time.Millisecond),
			level("create", 300, 5*time.Millisecond),
			level("api-create", 400, 5*time.Millisecond),
		}
		for _, b := range but {
			for i := range rows {
				if rows[i].name == b.name {
					rows[i] = b
				}
			}
		}
		return rows
	}
	good := memory{servers: []int64{30 << 20, 40 << 20}}
	tests := []struct {
		name string
		rows []result
		mem  memory
		want bool
		says string
	}{
		{"pass", passing(), good, true, "PASS"},
		{"slow consume", passing(level("consume", 449, time.Millisecond)), good, false, "consume ×0.45 (≥0.45) FAIL"},
		{"consume p99", passing(level("consume", 500, 6*time.Millisecond)), good, false, "consume p99 6.00ms (≤5.00ms) FAIL"},
		{"slow create", passing(level("create", 299, time.Millisecond)), good, false, "create ×0.30 (≥0.30) FAIL"},
		{"create p99", passing(level("create", 300, 5*time.Millisecond+time.Microsecond)), good, false, "create p99 5.00ms (≤5.00ms) FAIL"},
		{"slow API open", passing(level("api-open", 499, time.Millisecond)), good, false, "api-open ×0.50 (≥0.50) FAIL"},
		{"API open p99", passing(level("api-open", 600, 7*time.Millisecond)), good, false, "api-open p99 7.00ms (≤5.00ms) FAIL"},
		{"slow API create", passing(level("api-create", 399, time.Millisecond)), good, false, "api-create ×0.40 (≥0.40) FAIL"},
		{"API create p99", passing(level("api-create", 500, 12*time.Millisecond)), good, false, "api-create p99 12.00ms (≤5.00ms) FAIL"},
		{"API create failed", passing(level("api-create", 0, 0)), good, false, "api-create p99 0.00ms (≤5.00ms) FAIL"},
		{"fat", passing(), memory{servers: []int64{10 << 20, 49 << 20}}, false, "peak RSS 49.0 MiB (≤48.0 MiB) FAIL"},
		{"API not measured", passing()[:4], good, false, "not measured"},
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
	for _, want := range []string{"clients", "bare", "consume", "api-open", "create", "api-create", "peak RSS (VmHWM): oncelink", "floors at 16 clients:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "note:") {
		t.Errorf("errors reported:\n%s", out)
	}
	if got := strings.Count(out, "\n"); got != 1+10+2 {
		t.Errorf("want a header, 10 rows, RSS and floors lines; got %d lines:\n%s", got, out)
	}
	if strings.Contains(stderr.String(), "unrevoked") {
		t.Errorf("the run's key was not revoked:\n%s", stderr.String())
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

func TestScenariosFlag(t *testing.T) {
	for _, tt := range []struct {
		arg  string
		want []string
		err  bool
	}{
		{"", nil, false}, // the default: all of them
		{"api-create", []string{"api-create"}, false},
		{" consume , create", []string{"consume", "create"}, false},
		{"create,bare", nil, true},
		{"opens", nil, true},
		{",", nil, true},
	} {
		args := []string{}
		if tt.arg != "" {
			args = append(args, "-scenarios", tt.arg)
		}
		cfg, err := parseFlags(args, io.Discard)
		if (err != nil) != tt.err {
			t.Errorf("-scenarios %q: err = %v", tt.arg, err)
			continue
		}
		if err != nil {
			continue
		}
		want := tt.want
		if want == nil {
			want = scenarioNames
		}
		if len(cfg.scenarios) != len(want) {
			t.Errorf("-scenarios %q measures %v, want %v", tt.arg, cfg.scenarios, want)
		}
		for _, s := range want {
			if !cfg.scenarios[s] {
				t.Errorf("-scenarios %q does not measure %s", tt.arg, s)
			}
		}
	}
}

// TestRunSomeScenarios measures one scenario: its row and the bare
// handler's, and floors that say what was not measured.
func TestRunSomeScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"-server", self, "-duration", "200ms", "-clients", "16", "-scenarios", "api-open"}
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "api-open") || strings.Contains(out, "consume") || strings.Contains(out, "create") {
		t.Errorf("not only api-open measured:\n%s", out)
	}
	if !strings.Contains(out, "not measured") {
		t.Errorf("the floors do not say they were not all measured:\n%s", out)
	}
	if got := strings.Count(out, "\n"); got != 1+2+2 {
		t.Errorf("want a header, 2 rows, RSS and floors lines; got %d lines:\n%s", got, out)
	}
}
