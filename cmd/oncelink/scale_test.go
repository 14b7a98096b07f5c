package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"oncelink/components"
	"oncelink/internal/pgtest"
)

// TestScaleOut runs two oncelink processes on one fresh PostgreSQL schema,
// as two instances behind a reverse proxy, and then puts Debian's nginx in
// front of them with the README's configuration, deploy/nginx.conf.
func TestScaleOut(t *testing.T) {
	dsn := pgtest.DSN(t)
	bin := oncelinkBinary(t)
	a, b := startInstances(t, bin, dsn, "--trust-proxy")
	both := []*instance{a, b}

	admin := newBrowser(t, nil)
	if res := admin.post(a.url+"/setup", url.Values{"username": {"ada"}, "password": {"correct horse battery"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set-up on the first instance: %d %s", res.StatusCode, res.body)
	}

	t.Run("exactly once", func(t *testing.T) {
		for round := range 20 {
			maxUses := []int{1, 5}[round%2]
			secret := fmt.Sprintf("round %d secret", round)
			link := admin.createLink(both[round%2].url, secret, maxUses, nil)
			var opened, gone atomic.Int32
			var wg sync.WaitGroup
			for i := range 100 {
				wg.Go(func() {
					// Each request is another recipient, with an address
					// of its own for the rate limits.
					res := newBrowser(t, nil).post(both[i%2].url+link, nil, http.Header{
						"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", round, i/200, i%200)},
					})
					switch {
					case res.StatusCode == http.StatusOK && strings.Contains(res.body, secret):
						opened.Add(1)
					case res.StatusCode == http.StatusGone:
						gone.Add(1)
					default:
						t.Errorf("round %d: open: %d %.200s", round, res.StatusCode, res.body)
					}
				})
			}
			wg.Wait()
			if int(opened.Load()) != maxUses || int(gone.Load()) != 100-maxUses {
				t.Fatalf("round %d: a %d-use link opened %d times, gone %d times, of 100", round, maxUses, opened.Load(), gone.Load())
			}
		}
	})

	t.Run("sessions and grants cross instances", func(t *testing.T) {
		owner := newBrowser(t, nil)
		if res := owner.post(b.url+"/login", url.Values{"username": {"ada"}, "password": {"correct horse battery"}}, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in on the second instance: %d", res.StatusCode)
		}
		if res := owner.get(a.url + "/links"); res.StatusCode != http.StatusOK {
			t.Fatalf("the second instance's session on the first: %d", res.StatusCode)
		}
		link := owner.createLink(a.url, "made on a, opened on b", 1, nil)
		// The recipient opens from the link's page, whose cookie check the
		// form's answer finds: a browser, which the grant is for.
		recipient := newBrowser(t, nil)
		recipient.get(b.url + link)
		if res := recipient.post(b.url+link, url.Values{components.CookieCheckField: {"1"}}, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("open on the second instance: %d", res.StatusCode)
		}
		if res := recipient.get(a.url + link); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "made on a, opened on b") {
			t.Fatalf("the recipient's grant from the second instance on the first: %d", res.StatusCode)
		}
		if res := newBrowser(t, nil).get(a.url + link); res.StatusCode != http.StatusGone {
			t.Fatalf("another browser: %d", res.StatusCode)
		}
		if res := owner.post(a.url+"/logout", nil, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out on the first instance: %d", res.StatusCode)
		}
		if res := owner.get(b.url + "/links"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the ended session on the second instance: %d", res.StatusCode)
		}
	})

	t.Run("a disable from the command line ends streams at once", func(t *testing.T) {
		var out, errs strings.Builder
		in := strings.NewReader("correct horse battery\n")
		if err := run(t.Context(), []string{"user", "add", "bob", "--password-stdin", "--db", dsn}, func(string) string { return "" }, in, &out, &errs); err != nil {
			t.Fatalf("user add: %v %s", err, errs.String())
		}
		out.Reset()
		if err := run(t.Context(), []string{"user", "key", "bob", "--db", dsn}, func(string) string { return "" }, strings.NewReader(""), &out, &errs); err != nil {
			t.Fatalf("user key: %v %s", err, errs.String())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out.String()))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("bob's event stream: %d", res.StatusCode)
		}
		lines := bufio.NewScanner(res.Body)
		lines.Scan() // the stream has started
		if err := run(t.Context(), []string{"user", "disable", "bob", "--db", dsn}, func(string) string { return "" }, strings.NewReader(""), &out, &errs); err != nil {
			t.Fatalf("user disable: %v %s", err, errs.String())
		}
		start := time.Now()
		for lines.Scan() {
		}
		// Well before the stream's heartbeat, 25 seconds.
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("bob's stream on an instance ended %s after the disable", took)
		}
	})

	t.Run("live events cross instances", func(t *testing.T) {
		owner := newBrowser(t, nil)
		if res := owner.post(b.url+"/login", url.Values{"username": {"ada"}, "password": {"correct horse battery"}}, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", res.StatusCode)
		}
		link := owner.createLink(b.url, "watched from a", 1, nil)
		// The dashboard's event stream, open on the first instance.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/links/events", nil)
		res, err := owner.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("event stream: %d", res.StatusCode)
		}
		lines := bufio.NewScanner(res.Body)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		lines.Scan() // the stream has started
		start := time.Now()
		if res := newBrowser(t, nil).post(b.url+link, nil, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("open on the second instance: %d", res.StatusCode)
		}
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "data:") && strings.Contains(lines.Text(), `data-status="used"`) {
				if took := time.Since(start); took > time.Second {
					t.Fatalf("the use reached the other instance's dashboard after %s", took)
				}
				return
			}
		}
		t.Fatalf("no event for the use on the other instance's stream: %v", lines.Err())
	})

	t.Run("API keys work on every instance", func(t *testing.T) {
		owner := newBrowser(t, nil)
		if res := owner.post(a.url+"/login", url.Values{"username": {"ada"}, "password": {"correct horse battery"}}, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", res.StatusCode)
		}
		res := owner.post(a.url+"/settings/keys", url.Values{"name": {"scale"}, "expires": {"never"}}, nil)
		key := apiKey.FindString(res.body)
		if res.StatusCode != http.StatusCreated || key == "" {
			t.Fatalf("a key made on the first instance: %d %.300s", res.StatusCode, res.body)
		}
		bearer := http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}}
		api := func(method, u, body string) response {
			t.Helper()
			req, _ := http.NewRequest(method, u, strings.NewReader(body))
			req.Header = bearer.Clone()
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			b, _ := io.ReadAll(r.Body)
			return response{r, string(b)}
		}
		created := api(http.MethodPost, b.url+"/api/v1/links", `{"kind":"message","message":"made with a key on b","ttl":"1h"}`)
		link := linkPath.FindString(created.body)
		if created.StatusCode != http.StatusCreated || link == "" {
			t.Fatalf("create through the API on the second instance: %d %s", created.StatusCode, created.body)
		}
		opened := newBrowser(t, nil).post(a.url+"/api/v1/open/"+strings.TrimPrefix(link, "/l/"), nil, nil)
		if opened.StatusCode != http.StatusOK || !strings.Contains(opened.body, "made with a key on b") {
			t.Fatalf("open through the API on the first instance: %d %s", opened.StatusCode, opened.body)
		}
		id := keyRowID.FindStringSubmatch(owner.get(b.url + "/settings").body)
		if id == nil {
			t.Fatal("no key listed on the second instance's settings page")
		}
		if res := owner.post(b.url+"/settings/keys/"+id[1]+"/revoke", nil, nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke on the second instance: %d", res.StatusCode)
		}
		if res := api(http.MethodGet, a.url+"/api/v1/me", ""); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the revoked key on the first instance: %d", res.StatusCode)
		}
	})

	t.Run("rate limits are shared", func(t *testing.T) {
		// One client may open 30 links at once, then one a second,
		// however its requests are spread over the instances.
		link := admin.createLink(a.url, "limited", 1, nil)
		start := time.Now()
		var passed, limited atomic.Int32
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				res := newBrowser(t, nil).post(both[i%2].url+link, nil, http.Header{"X-Forwarded-For": {"192.0.2.50"}})
				switch res.StatusCode {
				case http.StatusOK, http.StatusGone:
					passed.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					t.Errorf("open: %d", res.StatusCode)
				}
			})
		}
		wg.Wait()
		refilled := int32(time.Since(start)/time.Second) + 1
		if passed.Load() < 30 || passed.Load() > 30+refilled || passed.Load()+limited.Load() != 50 {
			t.Fatalf("50 opens from one client in %s: %d passed, %d limited; want 30 (+%d refilled) to pass",
				time.Since(start), passed.Load(), limited.Load(), refilled)
		}
	})

	t.Run("behind nginx", func(t *testing.T) {
		nginx := findNginx(t)
		// Two more instances join the deployment, now told its public
		// address: nginx's, on HTTPS.
		public := freeAddr(t)
		base := "https://" + public
		a, b := startInstances(t, bin, dsn, "--base-url", base, "--trust-proxy")
		both := []*instance{a, b}
		cert := startNginx(t, nginx, public, []string{a.addr, b.addr})
		owner := newBrowser(t, cert)
		if res := owner.get(base + "/healthz"); res.StatusCode != http.StatusOK {
			t.Fatalf("health through nginx: %d", res.StatusCode)
		}
		for range 6 {
			owner.get(base + "/login")
		}
		for i, in := range both {
			if !strings.Contains(in.logs.String(), `"path":"/login"`) {
				t.Errorf("instance %d got none of 6 requests through nginx", i)
			}
		}
		res := owner.post(base+"/login", url.Values{"username": {"ada"}, "password": {"correct horse battery"}}, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Set-Cookie"), "Secure") {
			t.Fatalf("sign in through nginx: %d, cookie %q", res.StatusCode, res.Header.Get("Set-Cookie"))
		}
		// A browser opens at most six connections to a server over
		// HTTP/1.1, and each open dashboard, or link's page, holds one for
		// its events: a seventh tab would wait for ever. Over HTTP/2 the
		// browser's requests share one connection.
		tabs := newBrowser(t, cert)
		tabs.c.Jar = owner.c.Jar
		tabs.c.Transport.(*http.Transport).MaxConnsPerHost = 6
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		for i := range 8 {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/links/events", nil)
			res, err := tabs.c.Do(req)
			if err != nil {
				t.Fatalf("the dashboard's events in tab %d of one browser: %v", i+1, err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK || res.ProtoMajor != 2 {
				t.Fatalf("the dashboard's events in tab %d: %d over %s, want 200 over HTTP/2", i+1, res.StatusCode, res.Proto)
			}
		}
		if res := tabs.get(base + "/links"); res.StatusCode != http.StatusOK {
			t.Fatalf("the dashboard beside eight streams: %d", res.StatusCode)
		}
		cancel()
		// A browser's form carries its origin, which nginx must not turn
		// into a cross-origin request by changing the Host.
		link := owner.createLink(base, "through nginx", 1, http.Header{"Origin": {base}})
		recipient := newBrowser(t, cert)
		if res := recipient.get(base + link); res.StatusCode != http.StatusOK {
			t.Fatalf("link page through nginx: %d", res.StatusCode)
		}
		// The page set its cookie: the open answers with a redirect to
		// the page, which the grant serves.
		res = recipient.post(base+link, nil, http.Header{"X-Forwarded-For": {"203.0.113.9"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != link {
			t.Fatalf("open through nginx: %d to %q, want 303 to the link's page", res.StatusCode, res.Header.Get("Location"))
		}
		if res := recipient.get(base + link); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "through nginx") {
			t.Fatalf("the page after the open, through nginx: %d %.200s", res.StatusCode, res.body)
		}
		if ip := lastUseIP(t, dsn); ip != "127.0.0.1" {
			t.Fatalf("the audit trail has %q as the recipient's address, want nginx's client, 127.0.0.1", ip)
		}
		if res := recipient.get(base + link); res.StatusCode != http.StatusOK {
			t.Fatalf("reload through nginx: %d", res.StatusCode)
		}
		if res := newBrowser(t, cert).get(base + link); res.StatusCode != http.StatusGone {
			t.Fatalf("another browser through nginx: %d", res.StatusCode)
		}
		// A file well over --max-upload (25 MiB), sent without the
		// form's script, which would have stopped it: oncelink's own
		// answer says what the limit is, not nginx's page.
		for _, size := range []int64{30 << 20, 120 << 20} {
			res := owner.upload(base+"/links", size, http.Header{"Origin": {base}})
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(res.body, "larger than 25 MiB") {
				t.Errorf("a %d MiB file through nginx: %d %.300s", size>>20, res.StatusCode, res.body)
			}
		}
	})
}

// TestNginxExampleInREADME keeps the README's nginx configuration the file
// that TestScaleOut runs.
func TestNginxExampleInREADME(t *testing.T) {
	conf, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```nginx\n"+string(conf)+"```\n")) {
		t.Fatal("README.md does not show deploy/nginx.conf as it is, in an nginx code block")
	}
}

// instance is one running oncelink process.
type instance struct {
	addr string // host:port it listens on
	url  string // http://addr
	logs *lockedBuffer
}

// startInstances starts two oncelink processes at once on dsn, with flags,
// and waits until both answer. Their sweepers run every second. They are
// stopped, and must stop cleanly without having logged an error, when the
// test ends.
func startInstances(t *testing.T, bin, dsn string, flags ...string) (*instance, *instance) {
	t.Helper()
	ins := make([]*instance, 2)
	addrs := make([]chan string, 2)
	for i := range ins {
		logs := &lockedBuffer{}
		ins[i], addrs[i] = &instance{logs: logs}, make(chan string, 1)
		cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-format", "json"}, flags...)...)
		// Only the flags here configure it, whatever the environment holds.
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "ONCELINK_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "ONCELINK_SWEEP_INTERVAL=1s")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		read := make(chan struct{})
		go func() {
			defer close(read)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				logs.Write([]byte(sc.Text() + "\n"))
				var line struct{ Msg, Addr string }
				if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "oncelink is listening" {
					addrs[i] <- line.Addr
				}
			}
		}()
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			exited := make(chan error, 1)
			go func() { <-read; exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil || strings.Contains(logs.String(), `"level":"ERROR"`) {
					t.Errorf("instance %d did not stop cleanly (%v) or logged an error:\n%s", i, err, logs)
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Errorf("instance %d did not stop within 20s of SIGTERM", i)
			}
		})
	}
	for i, in := range ins {
		select {
		case in.addr = <-addrs[i]:
		case <-time.After(60 * time.Second):
			t.Fatalf("instance %d did not start:\n%s", i, in.logs)
		}
		in.url = "http://" + in.addr
		if res := newBrowser(t, nil).get(in.url + "/healthz"); res.StatusCode != http.StatusOK {
			t.Fatalf("instance %d health: %d", i, res.StatusCode)
		}
	}
	return ins[0], ins[1]
}

// browser is one web browser: its own cookies, no redirects followed, and
// trust in cert (nginx's), if not nil.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T, cert *x509.Certificate) *browser {
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cert != nil {
		roots := x509.NewCertPool()
		roots.AddCert(cert)
		tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	return &browser{t: t, c: &http.Client{
		Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	*http.Response
	body string
}

func (b *browser) do(method, u string, form url.Values, header http.Header) response {
	b.t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Error(err)
		return response{Response: &http.Response{Header: http.Header{}}}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Error(err)
	}
	return response{res, string(body)}
}

func (b *browser) get(u string) response { b.t.Helper(); return b.do(http.MethodGet, u, nil, nil) }

func (b *browser) post(u string, form url.Values, header http.Header) response {
	b.t.Helper()
	return b.do(http.MethodPost, u, form, header)
}

// upload sends the create form to u with a file of size zero bytes,
// streamed, as a browser sends it: with its Content-Length.
func (b *browser) upload(u string, size int64, header http.Header) response {
	b.t.Helper()
	var head bytes.Buffer
	form := multipart.NewWriter(&head)
	for k, v := range map[string]string{"kind": "file", "ttl": "1h", "max_uses": "1"} {
		form.WriteField(k, v)
	}
	if _, err := form.CreateFormFile("file", "large.bin"); err != nil {
		b.t.Fatal(err)
	}
	tail := "\r\n--" + form.Boundary() + "--\r\n"
	body := io.MultiReader(&head, io.LimitReader(zeros{}, size), strings.NewReader(tail))
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.ContentLength = int64(head.Len()) + size + int64(len(tail))
	req.Header.Set("Content-Type", form.FormDataContentType())
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Error(err)
		return response{Response: &http.Response{Header: http.Header{}}}
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	return response{res, string(got)}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// createLink makes a message link on the server at base and returns its
// path, /l/TOKEN.
func (b *browser) createLink(base, message string, maxUses int, header http.Header) string {
	b.t.Helper()
	res := b.post(base+"/links", url.Values{"kind": {"message"}, "message": {message}, "ttl": {"1h"},
		"max_uses": {fmt.Sprint(maxUses)}}, header)
	path := linkPath.FindString(res.body)
	if res.StatusCode != http.StatusCreated || path == "" {
		b.t.Fatalf("create a link on %s: %d %.300s", base, res.StatusCode, res.body)
	}
	return path
}

// lastUseIP is the client address of the last use in the audit trail.
func lastUseIP(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ip string
	if err := conn.QueryRow(ctx, `SELECT ip FROM events WHERE kind = 'use' ORDER BY id DESC LIMIT 1`).Scan(&ip); err != nil {
		t.Fatal(err)
	}
	return ip
}

func findNginx(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("no nginx found: install Debian's nginx-light package (CI does) to run the reverse proxy test")
	return ""
}

// startNginx runs nginx in the foreground with deploy/nginx.conf, changed
// only to listen on public (HTTPS) and a free port (HTTP), to proxy to
// upstreams, and to use a fresh self-signed certificate, which it returns.
func startNginx(t *testing.T, nginx, public string, upstreams []string) *x509.Certificate {
	t.Helper()
	prefix := t.TempDir()
	example, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	cert, certFile, keyFile := selfSigned(t, prefix)
	conf := string(example)
	for _, r := range [][2]string{
		{"server 127.0.0.1:8081;", "server " + upstreams[0] + ";"},
		{"server 127.0.0.1:8082;", "server " + upstreams[1] + ";"},
		{"listen 80;", "listen " + freeAddr(t) + ";"},
		{"listen 443 ssl http2;", "listen " + public + " ssl http2;"},
		{"/etc/letsencrypt/live/share.example.com/fullchain.pem", certFile},
		{"/etc/letsencrypt/live/share.example.com/privkey.pem", keyFile},
	} {
		if strings.Count(conf, r[0]) != 1 {
			t.Fatalf("deploy/nginx.conf no longer has %q once", r[0])
		}
		conf = strings.Replace(conf, r[0], r[1], 1)
	}
	write := func(name, content string) string {
		p := filepath.Join(prefix, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	site := write("oncelink.conf", conf)
	// The surroundings of Debian's /etc/nginx/nginx.conf, kept in prefix.
	main := write("nginx.conf", fmt.Sprintf(`events { worker_connections 512; }
http {
	access_log %[1]s/access.log;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	include %[2]s;
}
`, prefix, site))
	cmd := exec.Command(nginx, "-p", prefix, "-c", main, "-e", filepath.Join(prefix, "error.log"),
		"-g", "daemon off; master_process off; pid "+filepath.Join(prefix, "nginx.pid")+";")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("nginx did not stop within 10s of SIGTERM")
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(prefix, "error.log"))
			t.Fatalf("nginx exited: %v\n%s%s", err, out.String(), log)
		default:
		}
		if c, err := net.Dial("tcp", public); err == nil {
			c.Close()
			return cert
		}
		if time.Now().After(deadline) {
			t.Fatal("nginx did not listen within 10s")
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (*x509.Certificate, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "oncelink test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, certFile, keyFile
}
