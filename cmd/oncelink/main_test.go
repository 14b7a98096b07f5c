package main

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
)

// TestTwoProcessesConsumeExactly races 100 opens of one link, split across
// two oncelink processes on one SQLite file, many rounds: exactly max_uses
// opens succeed each time.
func TestTwoProcessesConsumeExactly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shared.db")
	a := startServer(t, db, "--rate-limits=false")
	b := startServer(t, db, "--rate-limits=false")
	owner := signUp(t, a)
	for round := range 12 {
		maxUses := []int{1, 5, 1, 3}[round%4]
		path := createLink(t, owner, a, url.Values{"max_uses": {strconv.Itoa(maxUses)}})
		var won, gone atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 100 {
			srv := []*server{a, b}[i%2]
			wg.Go(func() {
				<-start
				res, err := newClient().Post(srv.URL+path, "application/x-www-form-urlencoded", nil)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				switch {
				case res.StatusCode == http.StatusOK && strings.Contains(string(body), "the secret"):
					won.Add(1)
				case res.StatusCode == http.StatusGone:
					gone.Add(1)
				default:
					t.Errorf("open: %d", res.StatusCode)
				}
			})
		}
		close(start)
		wg.Wait()
		if int(won.Load()) != maxUses || int(gone.Load()) != 100-maxUses {
			t.Fatalf("round %d: %d opens won and %d were gone for a %d-use link", round, won.Load(), gone.Load(), maxUses)
		}
	}
}

func TestRecipientFlowAgainstTheBinary(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--min-ttl", "1s")
	owner := signUp(t, s)
	path := createLink(t, owner, s, url.Values{"message": {"the secret"}})
	first, second := newClient(), newClient()
	for range 5 {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, s.URL+path, nil)
			res, err := second.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s before opening: %d", method, res.StatusCode)
			}
		}
	}
	// The first browser opens from the link's page, whose cookie check
	// the form's answer finds: it is sent back to the page, which its
	// grant now serves.
	if code := getStatus(t, first, s.URL+path); code != http.StatusOK {
		t.Fatalf("the page in the first browser: %d", code)
	}
	if code, _ := postForm(t, first, s.URL+path, url.Values{components.CookieCheckField: {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("open: %d", code)
	}
	for range 2 {
		if code, body := getPage(t, first, s.URL+path); code != http.StatusOK || !strings.Contains(body, "the secret") {
			t.Fatalf("the page after the open, in the first browser: %d", code)
		}
	}
	if code, _ := postForm(t, second, s.URL+path, nil); code != http.StatusGone {
		t.Fatalf("open in a second browser: %d", code)
	}

	expiring := createLink(t, owner, s, url.Values{"ttl": {"2s"}})
	time.Sleep(2100 * time.Millisecond)
	if code := getStatus(t, second, s.URL+expiring); code != http.StatusGone {
		t.Fatalf("GET an expired link: %d", code)
	}
	if code, _ := postForm(t, second, s.URL+expiring, nil); code != http.StatusGone {
		t.Fatalf("POST an expired link: %d", code)
	}
	s.stop()
	if strings.Contains(s.logs.String(), strings.TrimPrefix(path, "/l/")) {
		t.Fatal("a token reached the log")
	}
	if !strings.Contains(s.logs.String(), "msg=stopped") {
		t.Fatalf("no clean stop in the log:\n%s", s.logs)
	}
}

func TestConfigFromFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"ONCELINK_MAX_TTL": "2d", "ONCELINK_ADDR": "127.0.0.1:9999", "ONCELINK_RATE_LIMITS": "false"}
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:7777", "--min-ttl", "90s"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7777" || cfg.MaxTTL != 48*time.Hour || cfg.MinTTL != 90*time.Second || cfg.RateLimits ||
		cfg.BaseURL != "http://127.0.0.1:7777" || cfg.DB != "oncelink.db" {
		t.Fatalf("config: %+v", cfg)
	}
	for addr, want := range map[string]string{":9090": "http://localhost:9090", "0.0.0.0:9090": "http://localhost:9090",
		"[::]:9090": "http://localhost:9090", "192.0.2.7:9090": "http://192.0.2.7:9090"} {
		if cfg, err := parseConfig([]string{"--addr", addr}, func(string) string { return "" }); err != nil || cfg.BaseURL != want {
			t.Errorf("--addr %s: base URL %q, %v; want %q", addr, cfg.BaseURL, err, want)
		}
	}
	for _, args := range [][]string{
		{"--min-ttl", "soon"},
		{"--min-ttl", "2h", "--max-ttl", "1h"},
		{"--base-url", "ftp://example.com"},
		{"--log-format", "xml"},
		{"extra"},
	} {
		if _, err := parseConfig(args, func(string) string { return "" }); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	// oncelink answers only at the root of its address.
	if _, err := parseConfig([]string{"--base-url", "https://example.com/oncelink/"}, func(string) string { return "" }); err == nil ||
		!strings.HasSuffix(err.Error(), "https://example.com") {
		t.Errorf("a base URL with a path: %v", err)
	}
	// An address without a scheme is given back with the one meant.
	if _, err := parseConfig([]string{"--base-url", "share.example.com"}, func(string) string { return "" }); err == nil ||
		!strings.HasPrefix(err.Error(), "--base-url ") || !strings.HasSuffix(err.Error(), "such as https://share.example.com") {
		t.Errorf("a base URL without a scheme: %v", err)
	}
	// Nor may links carry a name or password to whoever opens them.
	if _, err := parseConfig([]string{"--base-url", "https://ops:secret@example.com"}, func(string) string { return "" }); err == nil ||
		strings.Contains(err.Error(), "secret") {
		t.Errorf("a base URL with a password: %v", err)
	}
	for _, ok := range []string{"https://example.com", "https://example.com/", "https://example.com//", " https://example.com"} {
		if cfg, err := parseConfig([]string{"--base-url", ok}, func(string) string { return "" }); err != nil || cfg.BaseURL != "https://example.com" {
			t.Errorf("--base-url %q: %q, %v", ok, cfg.BaseURL, err)
		}
	}
	// An end-to-end limit that no file fits under, once encrypted, names
	// the smallest that one does, as the flag takes it.
	least := core.LimitSize(core.MinE2EUpload)
	for _, small := range []string{"1KiB", "4KiB", strconv.FormatInt(core.MinE2EUpload-1, 10)} {
		if _, err := parseConfig([]string{"--max-e2e-upload", small}, func(string) string { return "" }); err == nil ||
			!strings.HasPrefix(err.Error(), "--max-e2e-upload ") || !strings.HasSuffix(err.Error(), "give at least "+least) {
			t.Errorf("--max-e2e-upload %s: %v", small, err)
		}
	}
	if n, err := parseSize(least); err != nil || n != core.MinE2EUpload {
		t.Errorf("the smallest end-to-end limit, %q, reads as %d, %v", least, n, err)
	}
	if cfg, err := parseConfig([]string{"--max-e2e-upload", least}, func(string) string { return "" }); err != nil || core.LargestE2EFile(cfg.MaxE2EUpload) != 1 {
		t.Errorf("--max-e2e-upload %s: %v, the largest file %d bytes", least, err, core.LargestE2EFile(cfg.MaxE2EUpload))
	}
	// Mail settings that could send nothing stop the server before it
	// starts, as a usage error, rather than once it has opened its database.
	for _, c := range []struct {
		args []string
		want string // how the refusal starts; "" for none
	}{
		{[]string{"--smtp-url", "smtp://mail.example"}, "--smtp-url needs --mail-from"},
		{[]string{"--smtp-url", "smtp://mail.example", "--mail-from", "notices"}, "--smtp-url needs --mail-from"},
		{[]string{"--smtp-url", "http://mail.example", "--mail-from", "notices@example.org"}, "--smtp-url must look like"},
		{[]string{"--smtp-url", "smtp://mail.example:port", "--mail-from", "notices@example.org"}, "--smtp-url must look like"},
		{[]string{"--mail-from", "notices@example.org"}, "--mail-from needs --smtp-url"},
		{[]string{"--smtp-url", "smtps://mail.example", "--mail-from", "oncelink <notices@example.org>"}, ""},
	} {
		_, err := parseConfig(c.args, func(string) string { return "" })
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	if _, err := parseConfig(nil, func(k string) string { return map[string]string{"ONCELINK_GRANT_TTL": "x"}[k] }); err == nil ||
		!strings.Contains(err.Error(), "ONCELINK_GRANT_TTL") {
		t.Errorf("a bad environment value: %v", err)
	}
}

// TestSQLiteSyncIsAUsageError: a --sqlite-sync that SQLite has no mode
// for stops the server before it starts, as a usage error in the
// operator's language (exit status 2, with the usage line), as any other
// refused flag does, and makes no database.
func TestSQLiteSyncIsAUsageError(t *testing.T) {
	for _, mode := range []string{"off", "extra", "normal,full"} {
		db := filepath.Join(t.TempDir(), "oncelink.db")
		r := runCLI(t, map[string]string{"LANG": "de_DE.UTF-8"}, "", "serve", "--sqlite-sync", mode, "--db", db, "--addr", "127.0.0.1:0")
		if r.code != exitUsage || !strings.HasPrefix(r.err.Error(), "--sqlite-sync muss normal oder full sein") ||
			!strings.Contains(r.err.Error(), "oncelink help serve") {
			t.Errorf("--sqlite-sync %s: exit %d, %v", mode, r.code, r.err)
		}
		if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("--sqlite-sync %s: the database was made (%v)", mode, err)
		}
	}
	for _, mode := range []string{"normal", "full", "FULL"} {
		if _, err := parseConfig([]string{"--sqlite-sync", mode}, func(string) string { return "" }); err != nil {
			t.Errorf("--sqlite-sync %s: %v", mode, err)
		}
	}
}

func TestMetricsOnTheirOwnAddress(t *testing.T) {
	metrics := freeAddr(t)
	s := startServer(t, filepath.Join(t.TempDir(), "oncelink.db"), "--metrics-addr", metrics)
	signUp(t, s)
	res, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `oncelink_http_request_duration_seconds_count{code="303",method="POST",route="POST /setup"} 1`) {
		t.Fatalf("metrics: %d\n%s", res.StatusCode, body)
	}
	if code := getStatus(t, http.DefaultClient, s.URL+"/metrics"); code != http.StatusNotFound {
		t.Fatalf("metrics on the public address: %d", code)
	}
}

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC, the GC percent is %d, want %d", got, gcPercent)
	}
	tuneGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, the GC percent was changed to %d", got)
	}
}

// parseConfig reads serve's configuration from args and the environment,
// as the serve command does.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := newFlagSet("oncelink serve")
	configFlags(fs, &c)
	l := i18n.For(cliLanguage(getenv))
	rest, env, err := parseFlags(fs, args, getenv, everyFlag, l)
	if err != nil {
		return c, err
	}
	return c, nameSources(c.complete(l, rest), env)
}

// TestDatabaseInMemoryIsAUsageError: a --db that names a database in
// memory, which would keep no link past a restart and give each of the
// store's connections an empty one of its own, or that is no file's path,
// stops serve and the operator commands before anything starts or is
// opened, as a usage error in the operator's language (exit status 2),
// and makes no file.
func TestDatabaseInMemoryIsAUsageError(t *testing.T) {
	t.Chdir(t.TempDir())
	de := i18n.For("de")
	german := map[string]string{"LANG": "de_DE.UTF-8"}
	for _, c := range []struct {
		env  map[string]string
		args []string
		id   string
		db   string
	}{
		{german, []string{"serve", "--addr", "127.0.0.1:0", "--db", ":memory:"}, "cli.db.in_memory", ":memory:"},
		{german, []string{"serve", "--addr", "127.0.0.1:0", "--db", "file::memory:?cache=shared"}, "cli.db.in_memory", "file::memory:?cache=shared"},
		{german, []string{"serve", "--addr", "127.0.0.1:0", "--db", "file:links?mode=memory&cache=shared"}, "cli.db.in_memory", "file:links?mode=memory&cache=shared"},
		{map[string]string{"LANG": "de_DE.UTF-8", "ONCELINK_DB": ":memory:"}, []string{"serve", "--addr", "127.0.0.1:0"}, "cli.db.in_memory", ":memory:"},
		{german, []string{"serve", "--addr", "127.0.0.1:0", "--db", "oncelink.db?_foreign_keys=off"}, "cli.db.not_path", "oncelink.db?_foreign_keys=off"},
		{german, []string{"user", "list", "--db", ":memory:"}, "cli.db.in_memory", ":memory:"},
		{german, []string{"user", "add", "ada", "--create", "--db", ":memory:"}, "cli.db.in_memory", ":memory:"},
	} {
		r := runCLI(t, c.env, "", c.args...)
		want := de.T(c.id, "Path", "„"+c.db+"“")
		if c.env["ONCELINK_DB"] != "" {
			want = strings.Replace(want, "--db", "ONCELINK_DB (--db)", 1)
		}
		if r.code != exitUsage || r.err == nil || !strings.HasPrefix(r.err.Error(), want) || r.stderr != "" {
			t.Errorf("%v: exit %d, %v, stderr %q; want %q", c.args, r.code, r.err, r.stderr, want)
		}
	}
	if files, _ := os.ReadDir("."); len(files) != 0 {
		t.Errorf("refused databases made %v", files)
	}
}

// TestListenAddressIsAUsageError: an --addr or --metrics-addr that no
// server can listen on stops the server before it starts, as a usage
// error naming the flag (exit status 2, with the usage line), and makes
// no database.
func TestListenAddressIsAUsageError(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "8080"},
		{"--addr", "localhost"},
		{"--addr", "127.0.0.1:99999"},
		{"--addr", "127.0.0.1:-1"},
		{"--addr", "127.0.0.1:0", "--metrics-addr", "9090"},
		{"--addr", "127.0.0.1:0", "--metrics-addr", "[::1:9090"},
	} {
		db := filepath.Join(t.TempDir(), "oncelink.db")
		r := runCLI(t, nil, "", append([]string{"serve", "--db", db}, args...)...)
		flag := args[len(args)-2]
		if r.code != exitUsage || !strings.HasPrefix(r.err.Error(), flag+" "+strconv.Quote(args[len(args)-1])+" is not an address to listen on") ||
			!strings.Contains(r.err.Error(), "oncelink help serve") {
			t.Errorf("%v: exit %d, %v", args, r.code, r.err)
		}
		if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%v: the database was made (%v)", args, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", ":8080", "[::1]:8080", "localhost:8080"} {
		if _, err := parseConfig([]string{"--addr", addr, "--metrics-addr", addr}, func(string) string { return "" }); err != nil {
			t.Errorf("--addr %s: %v", addr, err)
		}
	}
}

// TestEveryAddressWithoutBaseURLWarns: a server told to listen on every
// address, with no --base-url, says at start that its links name
// localhost and that requests for any other address are refused; one
// listening on loopback says nothing of it.
func TestEveryAddressWithoutBaseURLWarns(t *testing.T) {
	const warning = "listening on every address without --base-url"
	s := launch(t, "", []string{oncelinkBinary(t), "serve", "--addr", "0.0.0.0:0", "--db", filepath.Join(t.TempDir(), "oncelink.db")})
	if !strings.Contains(s.logs.String(), "level=WARN msg=\""+warning) || !strings.Contains(s.logs.String(), "base_url=http://localhost:") {
		t.Errorf("no warning at start:\n%s", s.logs)
	}
	for _, args := range [][]string{
		{"--addr", "127.0.0.1:0"},
		{"--addr", "0.0.0.0:0", "--base-url", "https://share.example.com"},
	} {
		s := launch(t, "", append([]string{oncelinkBinary(t), "serve", "--db", filepath.Join(t.TempDir(), "oncelink.db")}, args...))
		if strings.Contains(s.logs.String(), warning) {
			t.Errorf("%v: warned:\n%s", args, s.logs)
		}
	}
}

// TestNamedPortsAndBadAddresses: a port named as the system names it
// (localhost:http) listens on the port it stands for, and links carry its
// number; an address without a port, or with one the system does not
// know, stops the server before it starts, as a usage error that names the
// flag, in the operator's language.
func TestNamedPortsAndBadAddresses(t *testing.T) {
	for _, c := range []struct{ addr, listen, base string }{
		{"localhost:http", "localhost:80", "http://localhost:80"},
		{":http", ":80", "http://localhost:80"},
		{"[::1]:https", "[::1]:443", "http://[::1]:443"},
		{"127.0.0.1:8080", "127.0.0.1:8080", "http://127.0.0.1:8080"},
	} {
		cfg, err := parseConfig([]string{"--addr", c.addr, "--metrics-addr", c.addr}, func(string) string { return "" })
		if err != nil || cfg.Addr != c.listen || cfg.MetricsAddr != c.listen || cfg.BaseURL != c.base {
			t.Errorf("--addr %s: listens on %q (metrics %q), links under %q, %v; want %q and %q", c.addr, cfg.Addr, cfg.MetricsAddr, cfg.BaseURL, err, c.listen, c.base)
		}
	}
	for _, flag := range []string{"--addr", "--metrics-addr"} {
		for _, addr := range []string{"localhost", "localhost:no-such-service", "localhost:99999", "localhost:-1"} {
			db := filepath.Join(t.TempDir(), "oncelink.db")
			args := []string{"serve", "--db", db, flag, addr}
			if flag != "--addr" {
				args = append(args, "--addr", "127.0.0.1:0")
			}
			r := runCLI(t, map[string]string{"LANG": "de_DE.UTF-8"}, "", args...)
			want := flag + " „" + addr + "“ ist keine Adresse"
			if r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want) || !strings.Contains(r.err.Error(), "oncelink help serve") {
				t.Errorf("%s %s: exit %d, %v; want a usage error starting %q", flag, addr, r.code, r.err, want)
			}
			if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s %s: the database was made (%v)", flag, addr, err)
			}
		}
	}
}

// TestEnvironmentValuesNamedWhereTheyCameFrom: a value that serve or an
// operator command refuses is named as the operator gave it: an
// environment variable's by the variable, with its flag beside it, in
// every check and in the operator's language; a flag's as a flag, even
// over its twin.
func TestEnvironmentValuesNamedWhereTheyCameFrom(t *testing.T) {
	t.Chdir(t.TempDir())
	de := i18n.For("de")
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"ONCELINK_LOG_FORMAT": "JSON"}, nil, "ONCELINK_LOG_FORMAT (--log-format) must be text or json"},
		{map[string]string{"ONCELINK_LOG_FORMAT": "JSON"}, []string{"--log-format", "XML"}, "--log-format must be text or json"},
		{map[string]string{"ONCELINK_LOG_FORMAT": "XML"}, []string{"--log-format", "json", "--sqlite-sync", "off"}, "--sqlite-sync must be normal or full"},
		{map[string]string{"ONCELINK_METRICS_ADDR": "9090"}, nil, `ONCELINK_METRICS_ADDR (--metrics-addr) "9090" is not an address to listen on`},
		{map[string]string{"ONCELINK_PASSWORD_SIGNIN": "false"}, nil, "ONCELINK_PASSWORD_SIGNIN=false (--password-signin=false) needs single sign-on (--oidc-issuer)"},
		{map[string]string{"ONCELINK_RATE_SIGNIN_ACCOUNT": "1/1m", "ONCELINK_MAIL_FROM": "a@example.org"}, nil, "ONCELINK_MAIL_FROM (--mail-from) needs --smtp-url"},
		{map[string]string{"ONCELINK_MAX_TTL": "forever"}, nil, i18n.For("en").T("cli.flag_error.duration", "Flag", "ONCELINK_MAX_TTL (--max-ttl)", "Value", `"forever"`)},
		{map[string]string{"LANG": "de_DE.UTF-8", "ONCELINK_MIN_TTL": "2d", "ONCELINK_MAX_TTL": "1d"}, nil,
			strings.NewReplacer("--min-ttl", "ONCELINK_MIN_TTL (--min-ttl)", "--max-ttl", "ONCELINK_MAX_TTL (--max-ttl)").Replace(de.T("cli.serve.ttl_range"))},
		{map[string]string{"LANG": "de_DE.UTF-8", "ONCELINK_MIN_TTL": "2d"}, []string{"--max-ttl", "1d"},
			strings.Replace(de.T("cli.serve.ttl_range"), "--min-ttl", "ONCELINK_MIN_TTL (--min-ttl)", 1)},
	} {
		r := runCLI(t, c.env, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if r.code != exitUsage || !strings.HasPrefix(r.err.Error(), c.want) || !strings.Contains(r.err.Error(), "oncelink help serve") {
			t.Errorf("%v %v: exit %d, %v; want %q", c.env, c.args, r.code, r.err, c.want)
		}
	}
	r := runCLI(t, map[string]string{"ONCELINK_DB": ":memory:"}, "", "user", "list")
	if want := `ONCELINK_DB (--db) must be a file, not ":memory:"`; r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want) {
		t.Errorf("user list with ONCELINK_DB=:memory:: exit %d, %v; want %q", r.code, r.err, want)
	}
	if files, _ := os.ReadDir("."); len(files) != 0 {
		t.Errorf("refused configurations made %v", files)
	}
}

// TestTakenAddressStopsServeBeforeTheDatabase: an --addr or --metrics-addr
// that another listener holds, or a --metrics-addr that is --addr, stops
// serve before the database is opened (no file is made), with an error
// that names the flag, or the environment variable that gave it, and the
// address, in the operator's language.
func TestTakenAddressStopsServeBeforeTheDatabase(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	// A free port, given to both flags.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	same := free.Addr().String()
	free.Close()
	en, de := i18n.For("en"), i18n.For("de")
	about := func(l *i18n.Localizer, flag, addr string) string {
		return l.T("cli.client.problem", "Title", flag, "Detail", l.T("cli.sys.about", "Name", addr, "Problem", l.T("cli.sys.in_use")))
	}
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--addr", addr}, about(en, "--addr", addr)},
		{nil, []string{"--addr", "127.0.0.1:0", "--metrics-addr", addr}, about(en, "--metrics-addr", addr)},
		{nil, []string{"--addr", same, "--metrics-addr", same}, about(en, "--metrics-addr", same)},
		{map[string]string{"LANG": "de_DE.UTF-8", "ONCELINK_METRICS_ADDR": addr}, []string{"--addr", "127.0.0.1:0"},
			about(de, "ONCELINK_METRICS_ADDR (--metrics-addr)", addr)},
	} {
		db := filepath.Join(t.TempDir(), "oncelink.db")
		r := runCLI(t, c.env, "", append([]string{"serve", "--db", db}, c.args...)...)
		if r.code != exitFailed || r.err == nil || r.err.Error() != c.want {
			t.Errorf("%v %v: exit %d, %v; want %q", c.env, c.args, r.code, r.err, c.want)
		}
		if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%v %v: the database was made (%v)", c.env, c.args, err)
		}
	}
}

// TestNameSourcesOfAMessage: a flag a message names is named as its
// environment twin when its value came from there, unless the message
// names that twin itself; a longer variable that starts with the twin's
// name is another variable.
func TestNameSourcesOfAMessage(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"name it with --db or ONCELINK_DB", "name it with --db or ONCELINK_DB"},
		{"--db: no such file", "ONCELINK_DB (--db): no such file"},
		{"--rate-signin: see ONCELINK_RATE_SIGNIN_ACCOUNT", "ONCELINK_RATE_SIGNIN (--rate-signin): see ONCELINK_RATE_SIGNIN_ACCOUNT"},
		{"--rate-signin: see ONCELINK_RATE_SIGNIN_ACCOUNT and ONCELINK_RATE_SIGNIN", "--rate-signin: see ONCELINK_RATE_SIGNIN_ACCOUNT and ONCELINK_RATE_SIGNIN"},
	} {
		if got := nameSources(errors.New(c.msg), []string{"db", "rate-signin"}).Error(); got != c.want {
			t.Errorf("%q: %q, want %q", c.msg, got, c.want)
		}
	}
}
