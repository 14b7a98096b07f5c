package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"oncelink/client"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
)

// shell is a user's shell for the client commands: a home directory of
// its own and an environment with no ONCELINK_ variable but those given.
// It keeps everything the commands printed.
type shell struct {
	t       *testing.T
	env     []string
	printed strings.Builder
}

func newShell(t *testing.T) *shell {
	t.Helper()
	home := t.TempDir()
	sh := &shell{t: t, env: []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config")}}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); name == "PATH" || name == "TMPDIR" {
			sh.env = append(sh.env, kv)
		}
	}
	return sh
}

// ownerKey makes an API key of the account owner with `oncelink user key`,
// as the server's operator would.
func ownerKey(t *testing.T, db string) string {
	t.Helper()
	var out, errs strings.Builder
	if err := run(t.Context(), []string{"user", "key", "owner", "--db", db}, func(string) string { return "" }, strings.NewReader(""), &out, &errs); err != nil {
		t.Fatalf("user key: %v %s", err, errs.String())
	}
	return strings.TrimSpace(out.String())
}

// ownerShell is a new shell signed in to s as its owner, with a key made on
// the server's database db.
func ownerShell(t *testing.T, s *server, db string) *shell {
	t.Helper()
	sh := newShell(t)
	sh.must(exitDone, ownerKey(t, db)+"\n", "login", s.URL, "--key-stdin")
	return sh
}

// signedInShell starts a server on a fresh SQLite file with its owner
// signed up, and returns a shell signed in as the owner with a key from
// oncelink user key, the server and its database.
func signedInShell(t *testing.T) (*shell, *server, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	return ownerShell(t, s, db), s, db
}

// command is oncelink with args in sh, with env added to its environment.
func (sh *shell) command(stdin io.Reader, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(oncelinkBinary(sh.t), args...)
	cmd.Env = append(append([]string{}, sh.env...), env...)
	cmd.Stdin = stdin
	cmd.Dir = sh.t.TempDir()
	return cmd
}

// apiClient is a client of the API of the server at base, with key.
func apiClient(t *testing.T, base, key string) *client.Client {
	t.Helper()
	c, err := client.New(base, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs oncelink to its end.
func (sh *shell) run(stdin string, env []string, args ...string) result {
	sh.t.Helper()
	cmd := sh.command(strings.NewReader(stdin), env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	sh.printed.WriteString(stdout.String() + stderr.String())
	var exit *exec.ExitError
	r := result{stdout: stdout.String(), stderr: stderr.String(), err: err}
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		sh.t.Fatal(err)
	}
	return r
}

// must runs oncelink and fails the test unless it exits with code.
func (sh *shell) must(code int, stdin string, args ...string) result {
	sh.t.Helper()
	r := sh.run(stdin, nil, args...)
	if r.code != code {
		sh.t.Fatalf("oncelink %s: status %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

// firefox is the user agent of the browser that opens links in the tests.
const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

// openInBrowser opens the link at u as a browser's Open button does.
func openInBrowser(t *testing.T, u string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, nil)
	req.Header.Set("User-Agent", firefox)
	res, err := newClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestClientCommands uses the client commands of the real binary against
// a real server, as a user in a new home directory would: login, share,
// open, links, revoke, events, share --wait; with the exit statuses that
// scripts rely on, and the key in no output and no log.
func TestClientCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	key := ownerKey(t, db)
	sh := newShell(t)

	// Before login.
	r := sh.must(exitSignedOut, "s3cret\n", "share")
	if !strings.Contains(r.stderr, "oncelink login") || r.stdout != "" {
		t.Fatalf("share before login says %q", r.stderr)
	}
	sh.must(exitSignedOut, "ol_"+strings.Repeat("x", 43)+"\n", "login", s.URL, "--key-stdin")
	config := filepath.Join(sh.env[1][len("XDG_CONFIG_HOME="):], "oncelink", "config.json")
	if _, err := os.Stat(config); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused key was saved: %v", err)
	}
	sh.must(exitUsage, "", "login", s.URL) // standard input is no terminal
	if r := sh.must(exitUsage, "\n", "login", s.URL, "--key-stdin"); !strings.Contains(r.stderr, "no key was given") {
		t.Fatalf("login with an empty key says %q", r.stderr)
	}
	r = sh.must(exitDone, key+"\n", "login", s.URL+"/", "--key-stdin")
	if !strings.Contains(r.stderr, "as owner") || r.stdout != "" {
		t.Fatalf("login: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	for path, want := range map[string]os.FileMode{config: 0o600, filepath.Dir(config): 0o700 | os.ModeDir} {
		if st, err := os.Stat(path); err != nil || st.Mode() != want {
			t.Fatalf("%s: %v %v, want %v", path, st.Mode(), err, want)
		}
	}

	// A message: only the URL on stdout; opened once.
	r = sh.must(exitDone, "s3cret\n", "share", "--ttl", "10m")
	link := regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/l/[A-Za-z0-9_-]{43}\n$`)
	if !link.MatchString(r.stdout) || r.stderr != "" {
		t.Fatalf("share: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	secretURL := strings.TrimSpace(r.stdout)
	if r := sh.must(exitDone, "", "open", secretURL); r.stdout != "s3cret\n" {
		t.Fatalf("open: %q", r.stdout)
	}
	sh.must(exitGone, "", "open", secretURL)
	sh.must(exitNotFound, "", "open", s.URL+"/l/"+strings.Repeat("A", 43))

	// What the server would refuse, or could not share as it was given, is
	// refused before anything is sent, end to end too: the server cannot
	// check what it cannot read.
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		says  string
	}{
		{"caf\xe9 in Latin-1\n", []string{"share"}, exitUsage, "--file"},
		{"", []string{"share", "--e2e", "--url", "javascript:alert(1)"}, exitUsage, "--url: "},
		{"", []string{"share", "--e2e", "--url", "https://user:pw@example.com/"}, exitUsage, "web address"},
		{"", []string{"share", "--e2e", " "}, exitUsage, "message"},
		{"", []string{"share", "--e2e", strings.Repeat("a", 64<<10+1)}, exitUsage, "64 KiB"},
		{"", []string{"share", "--e2e", "--file", os.DevNull}, exitUsage, "--file: "},
		{"", []string{"share", "--file", filepath.Join(t.TempDir(), "not-there.txt")}, exitUsage, "--file: "},
		{"", []string{"share", "--file", emptyFile(t)}, exitUsage, "--file: "},
		// An empty value, as an empty variable gives, is not the default:
		// here that would share standard input.
		{"not this\n", []string{"share", "--file", ""}, exitUsage, "--file needs a value"},
		{"not this\n", []string{"share", "--url=", "--ttl", "1h"}, exitUsage, "--url needs a value"},
		// The server's refusals of the message are usage errors too,
		// however it was given.
		{"", []string{"share", " "}, exitUsage, "message"},
		{"", []string{"share", strings.Repeat("a", 64<<10+1)}, exitUsage, "64 KiB"},
		{strings.Repeat("a", 64<<10+1), []string{"share"}, exitUsage, "64 KiB"},
	} {
		if r := sh.must(tc.code, tc.stdin, tc.args...); r.stdout != "" || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("%q: stdout %q, stderr %q, want it to say %q", tc.args, r.stdout, r.stderr, tc.says)
		}
	}
	if links := sh.must(exitDone, "", "links", "--json").stdout; strings.Count(links, `"id"`) != 1 {
		t.Fatalf("refused shares made links: %s", links)
	}
	// An address without its scheme is completed as the server completes it.
	addressURL := strings.TrimSpace(sh.must(exitDone, "", "share", "--e2e", "--url", "example.com/page").stdout)
	if r := sh.must(exitDone, "", "open", addressURL); r.stdout != "https://example.com/page\n" {
		t.Fatalf("open of an end-to-end address shared without its scheme: %q", r.stdout)
	}
	sh.must(exitNotFound, "", "open", s.URL+"/links")

	// A request: only its URL on stdout; a sender fills it once.
	r = sh.must(exitDone, "", "request", "--note", "the VPN password, please", "--accepts", "text", "--ttl", "1h", "--label", "vpn")
	requestURL := regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/r/[A-Za-z0-9_-]{43}\n$`)
	if !requestURL.MatchString(r.stdout) || r.stderr != "" {
		t.Fatalf("request: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	asked := strings.TrimSpace(r.stdout)
	if r := sh.must(exitFailed, "", "open", asked); !strings.Contains(r.stderr, "Nobody has sent anything to this request yet") {
		t.Fatalf("open of a request nothing was sent to: %q", r.stderr)
	}
	send := func() int {
		res, err := newClient().PostForm(asked, map[string][]string{"message": {"vpn secret"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if first, second := send(), send(); first != http.StatusSeeOther || second != http.StatusGone {
		t.Fatalf("sends to the request: %d then %d, want 303 then 410", first, second)
	}
	// What was sent opens for the request's owner alone, once.
	if r := newShell(t).must(exitSignedOut, "", "open", asked); !strings.Contains(r.stderr, "only the request's owner") {
		t.Fatalf("open of a request, signed out: %q", r.stderr)
	}
	sh.must(exitUsage, "sesame\n", "open", asked, "--password-stdin")
	if r := sh.must(exitDone, "", "open", asked); r.stdout != "vpn secret" {
		t.Fatalf("open of a filled request: %q", r.stdout)
	}
	sh.must(exitGone, "", "open", asked)
	// A file sent to a request arrives whole.
	asked = strings.TrimSpace(sh.must(exitDone, "", "request", "--accepts", "file").stdout)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "vpn.conf")
	sentFile := bytes.Repeat([]byte("remote vpn.example.com 1194\n"), 4000)
	fw.Write(sentFile)
	mw.Close()
	if res, err := newClient().Post(asked, mw.FormDataContentType(), &form); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send a file to a request: %v %v", res, err)
	}
	saved := filepath.Join(t.TempDir(), "vpn.conf")
	sh.must(exitDone, "", "open", asked, "-o", saved)
	if got, err := os.ReadFile(saved); err != nil || !bytes.Equal(got, sentFile) {
		t.Fatalf("the file sent to a request came back with %d bytes (%v), want %d", len(got), err, len(sentFile))
	}
	// A value the server refuses is a usage error, as one refused here.
	for _, args := range [][]string{{"share", "x", "--ttl", "90d"}, {"share", "x", "--ttl", "30.5d"}, {"links", "--status", "lost"}} {
		if r := sh.must(exitUsage, "", args...); !strings.HasPrefix(r.stderr, "oncelink: "+args[len(args)-2]+": ") || !strings.Contains(r.stderr, "usage: oncelink "+args[0]) {
			t.Fatalf("%v: %q", args, r.stderr)
		}
	}
	if r := sh.must(exitUsage, "", "request", "--accepts", "video"); !strings.HasPrefix(r.stderr, "oncelink: --accepts: ") {
		t.Fatalf("request --accepts video: %q", r.stderr)
	}
	// A lifetime with a decimal fraction is read as the server reads it.
	var half client.Link
	if err := json.Unmarshal([]byte(sh.must(exitDone, "", "share", "x", "--ttl", "1.5h", "--json").stdout), &half); err != nil ||
		half.ExpiresAt.Sub(half.CreatedAt) != 90*time.Minute {
		t.Fatalf("share --ttl 1.5h: %+v %v", half, err)
	}

	// A password link: refused unused without its password.
	pwURL := strings.TrimSpace(sh.must(exitDone, "open sesame\n", "share", "behind a password", "--password-stdin").stdout)
	if r := sh.must(exitFailed, "", "open", pwURL); !strings.Contains(r.stderr, "--password-stdin") {
		t.Fatalf("open a password link without it: %q", r.stderr)
	}
	sh.must(exitFailed, "open says me\n", "open", pwURL, "--password-stdin")
	if r := sh.must(exitUsage, "", "open", pwURL, "--password-stdin"); !strings.Contains(r.stderr, "empty password") {
		t.Fatalf("open with an empty --password-stdin: %q", r.stderr)
	}
	if r := sh.must(exitDone, "open sesame\n", "open", "--password-stdin", pwURL); r.stdout != "behind a password" {
		t.Fatalf("open a password link: %q", r.stdout)
	}

	// A file of binary bytes, byte for byte; the saved copy is private.
	dir := t.TempDir()
	content := make([]byte, 300<<10+3)
	for i := range content {
		content[i] = byte(rand.IntN(256))
	}
	sent, got := filepath.Join(dir, "photo.raw"), filepath.Join(dir, "copy.raw")
	if err := os.WriteFile(sent, content, 0o644); err != nil {
		t.Fatal(err)
	}
	fileURL := strings.TrimSpace(sh.must(exitDone, "", "share", "--file", sent, "--label", "a file").stdout)
	// A path that cannot be written is told while the link still works:
	// -o's value is at fault, a usage error, as a --file that cannot be
	// read is.
	if r := sh.must(exitUsage, "", "open", fileURL, "-o", dir); !strings.Contains(r.stderr, "the link was not used") {
		t.Fatalf("open -o a directory: %q", r.stderr)
	}
	for _, path := range []string{filepath.Join(dir, "missing", "copy.raw"), filepath.Join(sent, "copy.raw")} {
		r := sh.must(exitUsage, "", "open", fileURL, "-o", path)
		if !strings.Contains(r.stderr, "the link was not used") || !strings.Contains(r.stderr, "usage: oncelink open URL") {
			t.Fatalf("open -o %s: %q", path, r.stderr)
		}
	}
	sh.must(exitDone, "", "open", fileURL, "-o", got)
	if parts, _ := filepath.Glob(filepath.Join(dir, ".*.part")); len(parts) > 0 {
		t.Fatalf("temporary files left: %v", parts)
	}
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, content) {
		t.Fatalf("the file came back with %d bytes (%v), want %d", len(b), err, len(content))
	}
	if st, _ := os.Stat(got); st.Mode().Perm() != 0o600 {
		t.Fatalf("the opened file's mode is %v", st.Mode())
	}
	// What is not a file, such as /dev/stdout or a named pipe, is written
	// to, never replaced by a file.
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	piped := make(chan []byte, 1)
	go func() {
		b, _ := os.ReadFile(pipe)
		piped <- b
	}()
	pipeURL := strings.TrimSpace(sh.must(exitDone, "through a pipe", "share").stdout)
	sh.must(exitDone, "", "open", pipeURL, "-o", pipe)
	select {
	case b := <-piped:
		if string(b) != "through a pipe" {
			t.Fatalf("the pipe carried %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing came through the pipe")
	}
	if st, err := os.Lstat(pipe); err != nil || st.Mode().Type() != fs.ModeNamedPipe {
		t.Fatalf("the pipe is now %v, %v", st.Mode(), err)
	}
	// A symbolic link's file gets the content, and the link stays: a
	// link to a file, and one to /dev/stdout, when standard output is a
	// pipe and when it is a file.
	target, linked := filepath.Join(dir, "target.txt"), filepath.Join(dir, "link.txt")
	os.WriteFile(target, []byte("old"), 0o600)
	os.Symlink("target.txt", linked)
	sh.must(exitDone, "", "open", strings.TrimSpace(sh.must(exitDone, "through a link", "share").stdout), "-o", linked)
	if b, err := os.ReadFile(target); err != nil || string(b) != "through a link" {
		t.Fatalf("the link's file holds %q, %v", b, err)
	}
	toStdout := filepath.Join(dir, "stdout")
	os.Symlink("/dev/stdout", toStdout)
	if r := sh.must(exitDone, "", "open", strings.TrimSpace(sh.must(exitDone, "to a pipe", "share").stdout), "-o", toStdout); r.stdout != "to a pipe" {
		t.Fatalf("-o a link to /dev/stdout, a pipe: %q", r.stdout)
	}
	out, err := os.Create(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := sh.command(nil, nil, "open", strings.TrimSpace(sh.must(exitDone, "to a file", "share").stdout), "-o", toStdout)
	cmd.Stdout = out
	err = cmd.Run()
	out.Close()
	if b, _ := os.ReadFile(out.Name()); err != nil || string(b) != "to a file" {
		t.Fatalf("-o a link to /dev/stdout, a file: %q, %v", b, err)
	}
	for _, l := range []string{linked, toStdout} {
		if st, err := os.Lstat(l); err != nil || st.Mode().Type() != fs.ModeSymlink {
			t.Fatalf("%s is no longer a link: %v, %v", l, st.Mode(), err)
		}
	}

	// share --wait: a browser opens the link; the command names it within a second.
	wait := sh.command(strings.NewReader(""), nil, "share", "--wait", "--label", "waited", "for your eyes")
	stdout, _ := wait.StdoutPipe()
	var waitErr lockedBuffer
	wait.Stderr = &waitErr
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- wait.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !link.MatchString(line) {
		t.Fatalf("share --wait printed %q: %v", line, err)
	}
	// Whether the stream is up yet or not, the open must not be missed.
	opened := time.Now()
	if code := openInBrowser(t, strings.TrimSpace(line)); code != http.StatusOK && code != http.StatusSeeOther {
		t.Fatalf("the browser's open: %d", code)
	}
	select {
	case err := <-done:
		if took := time.Since(opened); err != nil || took > time.Second {
			t.Fatalf("share --wait ended %s after the open, with %v:\n%s", took, err, waitErr.String())
		}
	case <-time.After(10 * time.Second):
		wait.Process.Kill()
		t.Fatalf("share --wait still waits:\n%s", waitErr.String())
	}
	if !strings.Contains(waitErr.String(), "Firefox 128 on Linux") || !strings.Contains(waitErr.String(), "127.0.0.1") {
		t.Fatalf("share --wait does not say who opened it:\n%s", waitErr.String())
	}
	sh.printed.WriteString(line + waitErr.String())

	// Ctrl-C ends the wait and leaves the link as it is.
	wait = sh.command(strings.NewReader(""), nil, "share", "--wait", "--label", "interrupted", "--json", "not yet")
	stdout, _ = wait.StdoutPipe()
	var interrupted lockedBuffer
	wait.Stderr = &interrupted
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	var made struct {
		ID  int64
		URL string
	}
	if err := json.NewDecoder(stdout).Decode(&made); err != nil || !link.MatchString(made.URL+"\n") {
		t.Fatalf("share --json: %+v %v", made, err)
	}
	for !strings.Contains(interrupted.String(), "Ctrl-C") {
		time.Sleep(10 * time.Millisecond)
	}
	wait.Process.Signal(syscall.SIGINT)
	if err := wait.Wait(); wait.ProcessState.ExitCode() != exitInterrupted || !strings.Contains(interrupted.String(), "still active") {
		t.Fatalf("Ctrl-C: %v\n%s", err, interrupted.String())
	}
	sh.printed.WriteString(interrupted.String())

	// links --json parses, and lists them all, newest first: the link the
	// filled requests made among them.
	var list struct {
		Links []struct {
			ID            int64
			Label, Status string
		}
	}
	if err := json.Unmarshal([]byte(sh.must(exitDone, "", "links", "--json").stdout), &list); err != nil || len(list.Links) != 13 {
		t.Fatalf("links --json: %+v %v", list, err)
	}
	if l := list.Links[0]; l.ID != made.ID || l.Label != "interrupted" || l.Status != "active" {
		t.Fatalf("the interrupted link: %+v", l)
	}
	if l := list.Links[1]; l.Label != "waited" || l.Status != "used" {
		t.Fatalf("the waited link: %+v", l)
	}
	if r := sh.must(exitDone, "", "links", "--status", "active"); !strings.Contains(r.stdout, "interrupted") || strings.Contains(r.stdout, "waited") {
		t.Fatalf("links --status active:\n%s", r.stdout)
	}

	// revoke, then open: gone. The audit trail names the browser.
	id := strconv.FormatInt(made.ID, 10)
	if r := sh.must(exitDone, "", "revoke", id); r.stdout != "revoked link "+id+" (interrupted)\n" {
		t.Fatalf("revoke: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	// Again: it says the link was over already, on standard error.
	if r := sh.must(exitDone, "", "revoke", id); r.stdout != "" || !strings.Contains(r.stderr, "link "+id+" was revoked already: nothing changed") {
		t.Fatalf("revoke again: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	sh.must(exitGone, "", "open", made.URL)
	if r := sh.must(exitDone, "", "events", id); !strings.Contains(r.stdout, "revoke") {
		t.Fatalf("events:\n%s", r.stdout)
	}
	if r := sh.must(exitDone, "", "events", strconv.FormatInt(list.Links[1].ID, 10)); !strings.Contains(r.stdout, "Firefox 128 on Linux") {
		t.Fatalf("events of the waited link:\n%s", r.stdout)
	}
	// The waited link was used: revoking it changes nothing, and says so.
	if r := sh.must(exitDone, "", "revoke", strconv.FormatInt(list.Links[1].ID, 10)); r.stdout != "" || !strings.Contains(r.stderr, "was used up already: nothing changed") {
		t.Fatalf("revoke of a used link: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	sh.must(exitNotFound, "", "revoke", "999")
	sh.must(exitUsage, "", "revoke", "first")

	// An address that cannot be written out is the only copy lost: the
	// link is revoked.
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	lost := sh.command(strings.NewReader(""), nil, "share", "lost on the way", "--label", "unprinted")
	var lostErr bytes.Buffer
	lost.Stdout, lost.Stderr = full, &lostErr
	lost.Run()
	full.Close()
	if lost.ProcessState.ExitCode() != exitFailed || !strings.Contains(lostErr.String(), "so the link was revoked") {
		t.Fatalf("share to a full disk: %d %q", lost.ProcessState.ExitCode(), lostErr.String())
	}
	if r := sh.must(exitDone, "", "links", "--find", "unprinted"); !strings.Contains(r.stdout, "revoked") {
		t.Fatalf("the unprinted link:\n%s", r.stdout)
	}
	// So is a request's.
	if full, err = os.OpenFile("/dev/full", os.O_WRONLY, 0); err != nil {
		t.Fatal(err)
	}
	lost = sh.command(strings.NewReader(""), nil, "request", "--label", "unprinted")
	lostErr.Reset()
	lost.Stdout, lost.Stderr = full, &lostErr
	lost.Run()
	full.Close()
	if lost.ProcessState.ExitCode() != exitFailed || !strings.Contains(lostErr.String(), "so the request was revoked") {
		t.Fatalf("request to a full disk: %d %q", lost.ProcessState.ExitCode(), lostErr.String())
	}
	if requests := listRequests(t, s.URL, key); len(requests) == 0 || requests[0].Label != "unprinted" || requests[0].Status != "revoked" {
		t.Fatalf("the unprinted request: %+v", requests)
	}

	// The environment overrides the file; a wrong key is refused.
	if r := sh.run("", []string{"ONCELINK_API_KEY=ol_" + strings.Repeat("y", 43)}, "links"); r.code != exitSignedOut || !strings.Contains(r.stderr, "refused") {
		t.Fatalf("a wrong key: %d %q", r.code, r.stderr)
	}
	sh.must(exitDone, "", "links")
	// The saved key goes to its own server only.
	if r := sh.run("", []string{"ONCELINK_URL=" + s.URL + "/"}, "links"); r.code != exitDone {
		t.Fatalf("ONCELINK_URL naming the saved server: %d %q", r.code, r.stderr)
	}
	if r := sh.run("", []string{"ONCELINK_URL=http://127.0.0.1:1"}, "links"); r.code != exitSignedOut {
		t.Fatalf("ONCELINK_URL naming another server: %d %q", r.code, r.stderr)
	}

	printed := sh.printed.String()
	// Not even a refused key: apiKey, not "ol_", which a token may hold.
	if strings.Contains(printed, key) || apiKey.MatchString(printed) {
		t.Fatalf("a command printed the key:\n%s", printed)
	}
	logs := s.logs.String()
	for _, secret := range []string{key, strings.TrimPrefix(secretURL, s.URL+"/l/"), strings.TrimPrefix(fileURL, s.URL+"/l/")} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the server's log has a key or a token:\n%s", logs)
		}
	}
}

// TestRequestCommands lists and withdraws requests with the real binary
// against a real server: requests, as a table and as JSON, with the link
// that holds what was sent; withdraw, once, again, and of requests that
// are not the account's.
func TestRequestCommands(t *testing.T) {
	sh, s, db := signedInShell(t)

	vpn := strings.TrimSpace(sh.must(exitDone, "", "request", "--label", "vpn", "--accepts", "text", "--ttl", "1h").stdout)
	longLabel := "the deploy key of the staging servers, for the new CI runner"
	deploy := strings.TrimSpace(sh.must(exitDone, "", "request", "--label", longLabel, "--accepts", "file").stdout)

	// requests --json: both, newest first, open, and without their URLs,
	// which only request printed.
	var list struct{ Requests []client.Request }
	r := sh.must(exitDone, "", "requests", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Requests) != 2 || strings.Contains(r.stdout, "/r/") {
		t.Fatalf("requests --json: %v\n%s", err, r.stdout)
	}
	newest, oldest := list.Requests[0], list.Requests[1]
	if newest.Label != longLabel || newest.Accepts != "file" || newest.Status != "open" || newest.LinkID != nil ||
		oldest.Label != "vpn" || oldest.Accepts != "text" || oldest.Status != "open" {
		t.Fatalf("requests --json: %s", r.stdout)
	}
	vpnID, deployID := strconv.FormatInt(oldest.ID, 10), strconv.FormatInt(newest.ID, 10)

	// rows are the table's lines under its header, each cut into its
	// columns, which two spaces or more part.
	columns := regexp.MustCompile(`  +`)
	rows := func(args ...string) [][]string {
		t.Helper()
		r := sh.must(exitDone, "", append([]string{"requests"}, args...)...)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if !slices.Equal(columns.Split(lines[0], -1), []string{"ID", "LABEL", "ACCEPTS", "STATUS", "LINK", "EXPIRES"}) || r.stderr != "" {
			t.Fatalf("requests %v: stdout\n%s\nstderr %q", args, r.stdout, r.stderr)
		}
		var out [][]string
		for _, line := range lines[1:] {
			out = append(out, columns.Split(strings.TrimSpace(line), -1))
		}
		return out
	}
	want := [][]string{
		{deployID, shortened(longLabel, labelWidth), "file", "open", "-", newest.ExpiresAt.UTC().Format(tableTime)},
		{vpnID, "vpn", "text", "open", "-", oldest.ExpiresAt.UTC().Format(tableTime)},
	}
	if table := rows(); !slices.EqualFunc(table, want, slices.Equal) {
		t.Fatalf("requests: %q, want %q", table, want)
	}

	// A sender fills one: it is fulfilled, and LINK is the link that
	// holds what was sent.
	res, err := newClient().PostForm(vpn, map[string][]string{"message": {"vpn secret"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send to the request: %v %v", res, err)
	}
	res.Body.Close()
	var links struct{ Links []client.Link }
	if err := json.Unmarshal([]byte(sh.must(exitDone, "", "links", "--json").stdout), &links); err != nil || len(links.Links) != 1 {
		t.Fatalf("links --json: %+v %v", links, err)
	}
	sentLink := strconv.FormatInt(links.Links[0].ID, 10)
	if table := rows("--status", "fulfilled"); len(table) != 1 || table[0][0] != vpnID || table[0][3] != "fulfilled" || table[0][4] != sentLink {
		t.Fatalf("requests --status fulfilled: %q, want link %s", table, sentLink)
	}

	// withdraw: the request takes nothing more; again, nothing changes.
	if r := sh.must(exitDone, "", "withdraw", deployID); r.stdout != "withdrew request "+deployID+" ("+longLabel+")\n" || r.stderr != "" {
		t.Fatalf("withdraw: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if code := getStatus(t, newClient(), deploy); code != http.StatusGone {
		t.Fatalf("a withdrawn request's page: %d, want 410", code)
	}
	if r := sh.must(exitDone, "", "withdraw", deployID); r.stdout != "" || !strings.Contains(r.stderr, "request "+deployID+" was withdrawn already: nothing changed") {
		t.Fatalf("withdraw again: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	// A fulfilled request is left as it is, and what was sent with it.
	if r := sh.must(exitDone, "", "withdraw", vpnID); r.stdout != "" || !strings.Contains(r.stderr, "request "+vpnID+" was fulfilled already: nothing changed") {
		t.Fatalf("withdraw of a fulfilled request: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if r := sh.must(exitDone, "", "open", vpn); r.stdout != "vpn secret" {
		t.Fatalf("open after withdraw of a fulfilled request: %q", r.stdout)
	}
	if table := rows("--status", "revoked"); len(table) != 1 || table[0][0] != deployID {
		t.Fatalf("requests --status revoked: %q", table)
	}

	// Another account's request is no more the account's than an unknown
	// one, and stays open.
	if r := runCLI(t, nil, ownerPassword+"\n", "user", "add", "bob", "--password-stdin", "--db", db); r.err != nil {
		t.Fatal(r.err)
	}
	bob := apiClient(t, s.URL, strings.TrimSpace(runCLI(t, nil, "", "user", "key", "bob", "--db", db).stdout))
	bobs, err := bob.CreateRequest(t.Context(), client.NewRequest{Label: "bob's"})
	if err != nil {
		t.Fatal(err)
	}
	bobsID := strconv.FormatInt(bobs.ID, 10)
	for _, id := range []string{"999", bobsID} {
		if r := sh.must(exitNotFound, "", "withdraw", id); r.stdout != "" || !strings.Contains(r.stderr, "you have no request "+id+": oncelink requests lists yours") {
			t.Fatalf("withdraw %s: stdout %q, stderr %q", id, r.stdout, r.stderr)
		}
	}
	if rq, err := bob.Request(t.Context(), bobs.ID); err != nil || rq.Status != "open" {
		t.Fatalf("bob's request after the owner's withdraw: %+v %v", rq, err)
	}
	if table := rows(); len(table) != 2 || slices.ContainsFunc(table, func(row []string) bool { return row[0] == bobsID }) {
		t.Fatalf("requests lists another account's: %q", table)
	}

	// A status the server does not know is a usage error naming --status.
	if r := sh.must(exitUsage, "", "requests", "--status", "bogus"); r.stdout != "" || !strings.HasPrefix(r.stderr, "oncelink: --status: ") || !strings.Contains(r.stderr, "usage: oncelink requests") {
		t.Fatalf("requests --status bogus: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

// TestUnprintedToClosedPipe writes share's and request's addresses, and
// webhook add's secret, into a pipe that no one reads, as `oncelink share x
// | true` does: the address is lost, so the link or request is revoked (the
// endpoint deleted) and the command says so rather than die of SIGPIPE
// first. A rotated secret is said to be lost, and its endpoint kept. Other
// commands die of it quietly, as Unix tools do.
func TestUnprintedToClosedPipe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--webhook-allow-private")
	signUp(t, s)
	key := ownerKey(t, db)
	sh := ownerShell(t, s, db)
	c := apiClient(t, s.URL, key)

	// closedPipe runs oncelink with its standard output a pipe whose
	// reading end is closed already.
	closedPipe := func(args ...string) (*os.ProcessState, string) {
		t.Helper()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		cmd := sh.command(strings.NewReader(""), nil, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = w, &stderr
		cmd.Run()
		w.Close()
		return cmd.ProcessState, stderr.String()
	}

	for _, args := range [][]string{
		{"share", "lost on the way"},
		{"share", "lost on the way", "--json"},
		{"share", "lost on the way", "--e2e"},
		{"share", "--url", "https://example.com/", "--e2e", "--json"},
	} {
		label := "unprinted " + strings.Join(args[1:], " ")
		state, stderr := closedPipe(append(args, "--label", label)...)
		if state.ExitCode() != exitFailed || !strings.Contains(stderr, "so the link was revoked: /dev/stdout: nothing reads the pipe any more") {
			t.Errorf("%q into a closed pipe: %v %q", args, state, stderr)
			continue
		}
		page, err := c.Links(t.Context(), client.LinkQuery{Query: label})
		if err != nil || len(page.Links) != 1 || page.Links[0].Status != "revoked" {
			t.Errorf("%q into a closed pipe left %+v %v", args, page.Links, err)
		}
	}

	for _, asJSON := range []bool{false, true} {
		args := []string{"request"}
		if asJSON {
			args = append(args, "--json")
		}
		state, stderr := closedPipe(args...)
		if state.ExitCode() != exitFailed || !strings.Contains(stderr, "so the request was revoked") {
			t.Errorf("%q into a closed pipe: %v %q", args, state, stderr)
		}
	}
	requests := listRequests(t, s.URL, key)
	if len(requests) != 2 {
		t.Fatalf("the unprinted requests: %+v", requests)
	}
	for _, r := range requests {
		if r.Status != "revoked" {
			t.Errorf("an unprinted request is %s", r.Status)
		}
	}

	// So is an endpoint's secret, shown this once: the endpoint is
	// deleted, as no one could check what it signs.
	for _, asJSON := range []bool{false, true} {
		args := []string{"webhook", "add", "http://127.0.0.1:9/in", "--events", "link.opened"}
		if asJSON {
			args = append(args, "--json")
		}
		state, stderr := closedPipe(args...)
		if state.ExitCode() != exitFailed || !strings.Contains(stderr, "so the endpoint was deleted") {
			t.Errorf("%q into a closed pipe: %v %q", args, state, stderr)
		}
	}
	if hooks, err := c.Webhooks(t.Context()); err != nil || len(hooks) != 0 {
		t.Errorf("the unprinted endpoints: %+v %v", hooks, err)
	}

	// A rotated secret is lost as well, but the endpoint was there
	// before: it stays, and the command says how to get a secret again.
	hook, err := c.CreateWebhook(t.Context(), client.NewWebhook{URL: "http://127.0.0.1:9/kept", Events: []string{"link.opened"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, asJSON := range []bool{false, true} {
		args := []string{"webhook", "rotate", strconv.FormatInt(hook.ID, 10)}
		if asJSON {
			args = append(args, "--json")
		}
		state, stderr := closedPipe(args...)
		if want := fmt.Sprintf("give it a secret you can keep with oncelink webhook rotate %d, and give the receivers that one: /dev/stdout: nothing reads the pipe any more", hook.ID); state.ExitCode() != exitFailed || !strings.Contains(stderr, want) {
			t.Errorf("%q into a closed pipe: %v %q", args, state, stderr)
		}
	}
	if hooks, err := c.Webhooks(t.Context()); err != nil || len(hooks) != 1 || hooks[0].ID != hook.ID {
		t.Errorf("the endpoint rotated into a closed pipe: %+v %v", hooks, err)
	}

	// links made nothing to lose: it dies of SIGPIPE, saying nothing.
	state, stderr := closedPipe("links")
	if ws, ok := state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE || stderr != "" {
		t.Errorf("links into a closed pipe: %v %q", state, stderr)
	}
}

// listRequests lists the requests of key's account on the server at base,
// newest first.
func listRequests(t *testing.T, base, key string) []client.Request {
	t.Helper()
	page, err := apiClient(t, base, key).Requests(t.Context(), client.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return page.Requests
}

// emptyFile is the path of a new file of no bytes.
func emptyFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A file streamed in, from standard input with --file - or from a named
// pipe, is shared whole under the name --name gives, end to end too; one
// that streams nothing, or cannot be told apart from what else reads
// standard input, is refused and makes no link.
func TestShareStreamedFiles(t *testing.T) {
	sh, s, _ := signedInShell(t)
	c := apiClient(t, s.URL, "")
	content := make([]byte, 200<<10+7)
	for i := range content {
		content[i] = byte(rand.IntN(256))
	}
	opens := func(url, name string) {
		t.Helper()
		o, err := c.Open(t.Context(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Body.Close()
		b, err := io.ReadAll(o.Body)
		if err != nil || o.Kind != "file" || o.Name != name || !bytes.Equal(b, content) {
			t.Fatalf("opened %s %q with %d bytes (%v), want %q with %d", o.Kind, o.Name, len(b), err, name, len(content))
		}
	}
	for _, e2e := range []string{"--e2e=false", "--e2e"} {
		opens(strings.TrimSpace(sh.must(exitDone, string(content), "share", "--file", "-", "--name", "dump.sql", e2e).stdout), "dump.sql")
		opens(strings.TrimSpace(sh.must(exitDone, string(content), "share", "--file", "-", e2e).stdout), "stdin")
		pipe := filepath.Join(t.TempDir(), "backup.tar")
		if err := syscall.Mkfifo(pipe, 0o600); err != nil {
			t.Fatal(err)
		}
		go func() {
			if f, err := os.OpenFile(pipe, os.O_WRONLY, 0); err == nil {
				f.Write(content)
				f.Close()
			}
		}()
		opens(strings.TrimSpace(sh.must(exitDone, "", "share", "--file", pipe, e2e).stdout), "backup.tar")
	}

	before := sh.must(exitDone, "", "links", "--json").stdout
	for _, tc := range []struct {
		stdin string
		args  []string
		says  string
	}{
		{"", []string{"share", "--file", "-"}, "--file: "},
		{"", []string{"share", "--file", "-", "--e2e"}, "--file: "},
		{"pw\nfile", []string{"share", "--file", "-", "--password-stdin"}, "--file -"},
		{"text", []string{"share", "--name", "notes.txt"}, "--file"},
		{"text", []string{"share", "--file", "-", "--name", ""}, "--name needs a value"},
	} {
		if r := sh.must(exitUsage, tc.stdin, tc.args...); r.stdout != "" || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("%q: stdout %q, stderr %q, want it to say %q", tc.args, r.stdout, r.stderr, tc.says)
		}
	}
	// Standard input on a terminal holds no file to read: what the person
	// would type is not waited for.
	if said, code := sh.onTerminal(t.TempDir(), `"$ONCELINK" share --file -`); code != exitUsage || !strings.Contains(said, "terminal") {
		t.Errorf("share --file - on a terminal: %d %q", code, said)
	}
	if after := sh.must(exitDone, "", "links", "--json").stdout; after != before {
		t.Errorf("refused shares made links:\n%s\nthen\n%s", before, after)
	}
}

// TestOpenWithARefusedKey: a key the server no longer takes does not stop
// its holder from opening a link that needs no account, which is opened
// without the key, and nothing is said of it. A password no link can have, and a server
// address holding a password, are refused before anything is sent, and
// that password is not repeated.
func TestOpenWithARefusedKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	owner := ownerShell(t, s, db)
	link := strings.TrimSpace(owner.must(exitDone, "", "share", "anyone may read this").stdout)
	refused := []string{"ONCELINK_URL=" + s.URL, "ONCELINK_API_KEY=ol_" + strings.Repeat("x", 43)}
	r := newShell(t).run("", refused, "open", link)
	if r.code != exitDone || r.stdout != "anyone may read this" || r.stderr != "" {
		t.Fatalf("open with a refused key: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// What was sent to a request opens with its owner's key alone: the
	// refused key is the error, and nothing is tried without it.
	request := strings.TrimSpace(owner.must(exitDone, "", "request").stdout)
	r = newShell(t).run("", refused, "open", request)
	if r.code != exitSignedOut || !strings.Contains(r.stderr, "refused the API key") || strings.Contains(r.stderr, "without it") {
		t.Fatalf("open of a request with a refused key: status %d, stderr %q", r.code, r.stderr)
	}

	protected := strings.TrimSpace(owner.must(exitDone, "open sesame\n", "share", "behind a password", "--password-stdin").stdout)
	r = owner.must(exitUsage, strings.Repeat("p", 73)+"\n", "open", protected, "--password-stdin")
	if !strings.Contains(r.stderr, "longer than 72 bytes") {
		t.Fatalf("open with a 73-byte password says %q", r.stderr)
	}
	if r := owner.must(exitDone, "open sesame\n", "open", protected, "--password-stdin"); r.stdout != "behind a password" {
		t.Fatalf("the link after a refused password: %q", r.stdout)
	}

	withPassword := strings.Replace(s.URL, "://", "://ann:hunter2@", 1)
	r = newShell(t).run("", []string{"ONCELINK_URL=" + withPassword, "ONCELINK_API_KEY=ol_" + strings.Repeat("x", 43)}, "links")
	if r.code == exitDone || strings.Contains(r.stderr, "hunter2") || !strings.Contains(r.stderr, "ONCELINK_URL: ") || !strings.Contains(r.stderr, "name or password") {
		t.Fatalf("a server address with a password: status %d, stderr %q", r.code, r.stderr)
	}
}

// TestOpenForAnAccountSignedOut: a link meant for one account, opened
// without signing in, or with a key the server refuses, ends with exit
// status 5, as a request's address does, and takes no use.
func TestOpenForAnAccountSignedOut(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	owner := ownerShell(t, s, db)
	link := strings.TrimSpace(owner.must(exitDone, "", "share", "for the owner alone", "--for", "owner").stdout)
	if r := newShell(t).run("", nil, "open", link); r.code != exitSignedOut || !strings.Contains(r.stderr, "only for owner") {
		t.Fatalf("open signed out: status %d, stderr %q, want %d", r.code, r.stderr, exitSignedOut)
	}
	refused := []string{"ONCELINK_URL=" + s.URL, "ONCELINK_API_KEY=ol_" + strings.Repeat("x", 43)}
	if r := newShell(t).run("", refused, "open", link); r.code != exitSignedOut {
		t.Fatalf("open with a refused key: status %d, stderr %q, want %d", r.code, r.stderr, exitSignedOut)
	}
	if r := owner.must(exitDone, "", "open", link); r.stdout != "for the owner alone" {
		t.Fatalf("open by its account: %q", r.stdout)
	}
}

// TestShareE2EFileLimit: an end-to-end file whose ciphertext is past the
// server's --max-e2e-upload is a usage error that names the largest file
// that fits, and a file of that size is shared.
func TestShareE2EFileLimit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--max-e2e-upload", "1MiB")
	signUp(t, s)
	sh := ownerShell(t, s, db)
	largest := core.LargestE2EFile(1 << 20)
	file := func(size int64) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "backup.tar")
		if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	r := sh.must(exitUsage, "", "share", "--e2e", "--file", file(1<<20))
	if !strings.HasPrefix(r.stderr, "oncelink: --file: ") || !strings.Contains(r.stderr, "larger than 1 MiB") ||
		!strings.Contains(r.stderr, "one of up to "+i18n.For("en").Number(largest)+" bytes fits") || r.stdout != "" {
		t.Fatalf("share --e2e of a file of the limit's size: stderr %q", r.stderr)
	}
	sh.must(exitDone, "", "share", "--e2e", "--file", file(largest))
}

// TestShareFileOverTheLimitIsNotSent: a file larger than the server's
// --max-upload is refused as the server would refuse it, a usage error
// that names --file, before any of it is sent: the server sees no create.
// One at the limit is shared.
func TestShareFileOverTheLimitIsNotSent(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--max-upload", "1MiB")
	signUp(t, s)
	sh := ownerShell(t, s, db)
	file := func(size int64) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "video.mp4")
		if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	r := sh.must(exitUsage, "", "share", "--file", file(40<<20))
	if !strings.HasPrefix(r.stderr, "oncelink: --file: ") || !strings.Contains(r.stderr, "larger than 1 MiB") || r.stdout != "" {
		t.Fatalf("share of a file of 40 MiB: stderr %q", r.stderr)
	}
	if logs := s.logs.String(); strings.Contains(logs, "path=/api/v1/links") {
		t.Fatalf("the file was sent:\n%s", logs)
	}
	sh.must(exitDone, "", "share", "--file", file(1<<20))
}

// TestFlagRefusalsInTheReadersLanguage: a refusal that names the flag at
// fault, whether the command's own check or the server's, is put together
// as the reader's language writes it: in French, a no-break space before
// the colon.
func TestFlagRefusalsInTheReadersLanguage(t *testing.T) {
	sh, _, _ := signedInShell(t)
	sh.env = append(sh.env, "LANG=fr_FR.UTF-8")
	fr := i18n.For("fr")
	for _, c := range []struct {
		flag string
		args []string
	}{
		{"--ttl", []string{"share", "--ttl", "1s", "x"}},       // refused here
		{"--for", []string{"share", "--for", "nobody", "x"}},   // refused by the server
		{"--status", []string{"links", "--status", "lost"}},    // refused by the server
		{"--accepts", []string{"request", "--accepts", "all"}}, // refused here
		{"--file", []string{"share", "--file", t.TempDir()}},   // not a file
	} {
		r := sh.must(exitUsage, "", c.args...)
		want := "oncelink: " + fr.T("cli.flag_error.refused", "Flag", c.flag, "Message", "")
		if !strings.HasPrefix(r.stderr, want) || !strings.HasPrefix(want, "oncelink: "+c.flag+"\u202f: ") {
			t.Errorf("%v: stderr %q, want it to begin %q", c.args, r.stderr, want)
		}
	}
}

// TestStdinStopsAtCtrlC: Ctrl-C ends a command at once while what it
// reads, a pipe whose writer holds it open, sends nothing more: share
// --file - before its first byte, before the first chunk that an
// end-to-end file is typed by, and halfway through the upload; share
// --file of a named pipe that no writer has opened; a password or a key
// from standard input. Nothing is made and no link is used.
func TestStdinStopsAtCtrlC(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	env := map[string]string{"ONCELINK_URL": s.URL, "ONCELINK_API_KEY": ownerKey(t, db), "XDG_CONFIG_HOME": t.TempDir()}
	pipe := filepath.Join(t.TempDir(), "backup.tar")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Lets the open that Ctrl-C left behind return.
		if f, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	link := strings.TrimSpace(runCLI(t, env, "", "share", "still here").stdout)
	for _, tc := range []struct {
		name    string
		written int
		args    []string
	}{
		{"share before the first byte", 0, []string{"share", "--file", "-"}},
		{"share before the first chunk, end to end", 100, []string{"share", "--file", "-", "--e2e"}},
		{"share halfway", 256 << 10, []string{"share", "--file", "-"}},
		{"share halfway, end to end", 256 << 10, []string{"share", "--file", "-", "--e2e"}},
		{"share a named pipe", 0, []string{"share", "--file", pipe}},
		{"share a password", 0, []string{"share", "text", "--password-stdin"}},
		{"open with a password", 0, []string{"open", link, "--password-stdin"}},
		{"login", 0, []string{"login", s.URL, "--key-stdin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin, writer := io.Pipe()
			defer writer.Close()
			ctx, interrupt := context.WithCancel(t.Context())
			var stdout, stderr bytes.Buffer
			done := make(chan error, 1)
			go func() { done <- run(ctx, tc.args, func(k string) string { return env[k] }, stdin, &stdout, &stderr) }()
			if tc.written > 0 {
				// A pipe's write returns once the command has read it all.
				if _, err := writer.Write(make([]byte, tc.written)); err != nil {
					t.Fatal(err)
				}
			}
			interrupt()
			select {
			case err := <-done:
				if code := exitCode(err); code != exitInterrupted || stdout.Len() > 0 {
					t.Fatalf("after Ctrl-C: status %d (%v), stdout %q, want %d and nothing", code, err, stdout.String(), exitInterrupted)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still reads 10 s after Ctrl-C")
			}
		})
	}
	list := runCLI(t, env, "", "links", "--json")
	if list.code != exitDone || strings.Count(list.stdout, `"id"`) != 1 || !strings.Contains(list.stdout, `"uses": 0`) {
		t.Fatalf("links after the interrupted commands: %d %s %s", list.code, list.stdout, list.stderr)
	}
}

// TestOpenWhileDisabled: the holder of a key whose account is disabled is
// told so, rather than to sign in or make a new key: open of the
// account's own request says that what was sent is on hold (exit 5, and
// it stays unopened), open of a link meant for anyone needs no key and
// says nothing of it, and open of a link meant for the account, like the
// other commands, says that the account is disabled.
func TestOpenWhileDisabled(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	operator := func(stdin string, args ...string) string {
		t.Helper()
		var out, errs strings.Builder
		if err := run(t.Context(), append(args, "--db", db), func(string) string { return "" }, strings.NewReader(stdin), &out, &errs); err != nil {
			t.Fatalf("%s: %v %s", args, err, errs.String())
		}
		return strings.TrimSpace(out.String())
	}
	operator(ownerPassword+"\n", "user", "add", "bea", "--password-stdin")
	bea := newShell(t)
	bea.must(exitDone, operator("", "user", "key", "bea")+"\n", "login", s.URL, "--key-stdin")
	request := strings.TrimSpace(bea.must(exitDone, "", "request").stdout)
	res, err := newClient().PostForm(request, map[string][]string{"message": {"for bea"}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send to the request: %v %v", res, err)
	}
	res.Body.Close()
	owner := ownerShell(t, s, db)
	link := strings.TrimSpace(owner.must(exitDone, "", "share", "for anyone").stdout)
	forBea := strings.TrimSpace(owner.must(exitDone, "", "share", "for bea alone", "--for", "bea").stdout)
	operator("", "user", "disable", "bea")

	r := bea.must(exitSignedOut, "", "open", request)
	if !strings.Contains(r.stderr, "on hold") || strings.Contains(r.stderr, "login") || strings.Contains(r.stderr, "without it") {
		t.Fatalf("open of the disabled account's request says %q", r.stderr)
	}
	if r := bea.must(exitDone, "", "open", link); r.stdout != "for anyone" || r.stderr != "" {
		t.Fatalf("open of a link with the disabled account's key: %q %q", r.stdout, r.stderr)
	}
	if r := bea.must(exitSignedOut, "", "open", forBea); !strings.Contains(r.stderr, "account is disabled") || strings.Contains(r.stderr, "new key (") {
		t.Fatalf("open of a link for the disabled account says %q", r.stderr)
	}
	if r := bea.must(exitSignedOut, "", "links"); !strings.Contains(r.stderr, "account is disabled") || strings.Contains(r.stderr, "new key (") {
		t.Fatalf("links with the disabled account's key says %q", r.stderr)
	}
	operator("", "user", "enable", "bea")
	if r := bea.must(exitDone, "", "open", request); r.stdout != "for bea" {
		t.Fatalf("the request's content once bea is enabled again: %q", r.stdout)
	}
}

// TestOpenToAPipeNoOneReads: open with standard output a pipe whose
// reader has ended (oncelink open URL | a-command-not-found) does not use
// the link, whose content would be lost, and says why.
func TestOpenToAPipeNoOneReads(t *testing.T) {
	sh, _, _ := signedInShell(t)
	link := strings.TrimSpace(sh.must(exitDone, "", "share", "kept for a reader").stdout)
	for _, args := range [][]string{{"open", link}, {"open", link, "-o", "-"}} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		cmd := sh.command(strings.NewReader(""), nil, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = w, &stderr
		err = cmd.Run()
		w.Close()
		if code := cmd.ProcessState.ExitCode(); code != exitFailed || !strings.Contains(stderr.String(), "not used") {
			t.Fatalf("%q to a pipe no one reads: status %d (%v), stderr %q", args, code, err, stderr.String())
		}
	}
	if r := sh.must(exitDone, "", "open", link); r.stdout != "kept for a reader" {
		t.Fatalf("the link afterwards: %q", r.stdout)
	}
}

// TestEnvURLOfAnotherServer: with a saved sign-in, an ONCELINK_URL that
// names another server (or the same by another name) and no
// ONCELINK_API_KEY says that the saved key goes to its own server alone,
// rather than that no one is signed in; the key goes nowhere.
func TestEnvURLOfAnotherServer(t *testing.T) {
	sh, s, _ := signedInShell(t)
	other := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	r := sh.run("", []string{"ONCELINK_URL=" + other}, "links")
	if r.code != exitSignedOut || !strings.Contains(r.stderr, other) || !strings.Contains(r.stderr, s.URL) || !strings.Contains(r.stderr, "ONCELINK_API_KEY") {
		t.Fatalf("links with ONCELINK_URL of another server: status %d, stderr %q", r.code, r.stderr)
	}
	if r := sh.run("", []string{"ONCELINK_URL=" + s.URL + "/"}, "links"); r.code != exitDone {
		t.Fatalf("links with ONCELINK_URL of the saved server: status %d, stderr %q", r.code, r.stderr)
	}
}

// TestShareDashReadsStdin: share - shares standard input, as share --file -
// does, rather than a message of one dash; with --password-stdin, which
// reads standard input too, it is a usage error.
func TestShareDashReadsStdin(t *testing.T) {
	sh, _, _ := signedInShell(t)
	link := strings.TrimSpace(sh.must(exitDone, "piped in\n", "share", "-").stdout)
	if r := sh.must(exitDone, "", "open", link); r.stdout != "piped in\n" {
		t.Fatalf("share - shared %q", r.stdout)
	}
	if r := sh.must(exitUsage, "pw\nthe message\n", "share", "-", "--password-stdin"); r.stdout != "" || !strings.Contains(r.stderr, "--password-stdin") {
		t.Fatalf("share - --password-stdin: %q %q", r.stdout, r.stderr)
	}
}

// TestOpenTokenStartingWithDash: a link's token starts with "-" once in 64;
// open takes it alone as the token it is, not as an unknown flag, and no
// message repeats it.
func TestOpenTokenStartingWithDash(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--rate-limits=false")
	signUp(t, s)
	sh := ownerShell(t, s, db)
	owner := apiClient(t, s.URL, ownerKey(t, db))
	var tok string
	for i := 0; i < 2000 && !strings.HasPrefix(tok, "-"); i++ {
		l, err := owner.CreateLink(t.Context(), client.NewLink{Message: "dashed"})
		if err != nil {
			t.Fatal(err)
		}
		tok = strings.TrimPrefix(l.URL, s.URL+"/l/")
	}
	if !strings.HasPrefix(tok, "-") {
		t.Fatalf("no token starts with -: the last was %q", tok)
	}
	if r := sh.must(exitDone, "", "open", tok); r.stdout != "dashed" || strings.Contains(r.stderr, tok) {
		t.Fatalf("open: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if r := sh.must(exitGone, "", "open", tok); strings.Contains(r.stderr, tok) {
		t.Fatalf("open again: stderr %q", r.stderr)
	}
	unknown := "-" + strings.Repeat("A", 42)
	if r := sh.must(exitNotFound, "", "open", unknown); strings.Contains(r.stderr, unknown) {
		t.Fatalf("open of no link: stderr %q", r.stderr)
	}
	// Where no token is taken, it is not repeated either.
	if r := sh.must(exitUsage, "", "links", tok); strings.Contains(r.stderr, tok) || !strings.Contains(r.stderr, `unexpected argument "xxxxx"`) {
		t.Fatalf("links TOKEN: stderr %q", r.stderr)
	}
}

// TestOpenE2ETokenWithKey: an end-to-end link's token alone opens with its
// key after "#", decrypted here; without the key, open says that the key
// is missing and that the link was not used, and it was not: a usage
// error (exit status 2), as the address given is at fault.
func TestOpenE2ETokenWithKey(t *testing.T) {
	sh, s, _ := signedInShell(t)
	link := strings.TrimSpace(sh.must(exitDone, "", "share", "--e2e", "the vault code").stdout)
	tokAndKey := strings.TrimPrefix(link, s.URL+"/l/")
	tok, _, ok := strings.Cut(tokAndKey, "#")
	if !ok {
		t.Fatalf("share --e2e printed %q", link)
	}
	// Without its key, the address given is refused as a value is: a
	// usage error, with the usage line, and the link is not used.
	for _, given := range []string{tok, s.URL + "/l/" + tok} {
		r := sh.run("", nil, "open", given)
		if r.code != exitUsage || !strings.Contains(r.stderr, "its key, the part of its address after #, is missing: the link was not used") ||
			!strings.Contains(r.stderr, "usage: oncelink open URL") {
			t.Fatalf("open without the key: status %d, stderr %q", r.code, r.stderr)
		}
	}
	if r := sh.must(exitDone, "", "open", tokAndKey); r.stdout != "the vault code" {
		t.Fatalf("open TOKEN#KEY: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

// TestOpenInterruptedWhileTheFileArrives: Ctrl-C while an opened file
// arrives leaves no partial file, and says that the link's use is spent
// and what arrived thrown away, as a second open finds: gone.
func TestOpenInterruptedWhileTheFileArrives(t *testing.T) {
	sh, s, _ := signedInShell(t)
	doc := filepath.Join(t.TempDir(), "report.bin")
	if err := os.WriteFile(doc, bytes.Repeat([]byte("report "), 10000), 0o600); err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(sh.must(exitDone, "", "share", "--file", doc).stdout)

	// A proxy that passes the file's first bytes, then holds the rest.
	backend, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	rp := httputil.NewSingleHostReverseProxy(backend)
	rp.FlushInterval = -1
	rp.ModifyResponse = func(res *http.Response) error {
		if res.Header.Get("Oncelink-Kind") == "file" {
			res.Body = &heldBody{r: res.Body, ctx: res.Request.Context(), started: started}
		}
		return nil
	}
	slow := httptest.NewServer(rp)
	defer slow.Close()
	through := slow.URL + strings.TrimPrefix(link, s.URL)

	dir := t.TempDir()
	saved := filepath.Join(dir, "saved.bin")
	cmd := sh.command(strings.NewReader(""), nil, "open", "-o", saved, through)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the file never began: %s", stderr.String())
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted ||
		stderr.String() != "oncelink: interrupted: the link was opened, so that use of it is spent, and what had arrived of its file was thrown away\n" {
		t.Fatalf("Ctrl-C: status %d, stderr %q", code, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	sh.must(exitGone, "", "open", link)
}

// heldBody is a file's body that gives its first bytes, then waits until
// ctx ends.
type heldBody struct {
	r       io.ReadCloser
	ctx     context.Context
	started chan struct{}
	gave    bool
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.gave {
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	}
	b.gave = true
	n, err := b.r.Read(p[:min(len(p), 1024)])
	b.started <- struct{}{}
	return n, err
}

func (b *heldBody) Close() error { return b.r.Close() }

// TestShareWaitAccountDisabled: share --wait whose account is disabled
// meanwhile ends as other commands do with a key of a disabled account:
// exit 5, saying so in the reader's language, and that a new key will
// not help.
func TestShareWaitAccountDisabled(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	run := func(stdin string, args ...string) {
		t.Helper()
		var out, errs strings.Builder
		if err := run(t.Context(), append(args, "--db", db), func(string) string { return "" }, strings.NewReader(stdin), &out, &errs); err != nil {
			t.Fatalf("%s: %v %s", args, err, errs.String())
		}
	}
	run(ownerPassword+"\n", "user", "add", "carol", "--password-stdin")
	var key strings.Builder
	if err := runKey(t, db, "carol", &key); err != nil {
		t.Fatal(err)
	}
	sh := newShell(t)
	env := []string{"ONCELINK_URL=" + s.URL, "ONCELINK_API_KEY=" + strings.TrimSpace(key.String()), "LANG=de_DE.UTF-8"}
	wait := sh.command(strings.NewReader(""), env, "share", "--wait", "not yet")
	var stderr lockedBuffer
	wait.Stderr = &stderr
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "Strg-C"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			wait.Process.Kill()
			t.Fatalf("share --wait does not wait:\n%s", stderr.String())
		}
	}
	run("", "user", "disable", "carol")
	done := make(chan error, 1)
	go func() { done <- wait.Wait() }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		wait.Process.Kill()
		t.Fatalf("share --wait goes on:\n%s", stderr.String())
	}
	want := "oncelink: " + i18n.For("de").T("cli.error.account_disabled") + "\n"
	if code := wait.ProcessState.ExitCode(); code != exitSignedOut || !strings.HasSuffix(stderr.String(), want) {
		t.Fatalf("share --wait: status %d, stderr %q, want it to end %q", code, stderr.String(), want)
	}
}

// runKey makes an API key of account name with oncelink user key, into out.
func runKey(t *testing.T, db, name string, out io.Writer) error {
	var errs strings.Builder
	return run(t.Context(), []string{"user", "key", name, "--db", db}, func(string) string { return "" }, strings.NewReader(""), out, &errs)
}

// TestOpenNeedsNoKeyOverItsLimit: a signed-in client whose key is over its
// account's limit of requests (--rate-api) opens a link meant for anyone,
// which needs no key. The key goes to the server only for a link meant for
// its account, whose open then waits on that limit: refused (status 1, not
// 5: the key is good), with no use taken and nothing in the link's trail.
func TestOpenNeedsNoKeyOverItsLimit(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--rate-api", "12/1h")
	signUp(t, s)
	key := ownerKey(t, db)
	owner := newShell(t)
	owner.must(exitDone, key+"\n", "login", s.URL, "--key-stdin")
	var plain, mine client.Link
	for _, l := range []struct {
		link *client.Link
		args []string
	}{
		{&plain, []string{"share", "anyone may read this", "--json"}},
		{&mine, []string{"share", "for the owner alone", "--for", "owner", "--json"}},
	} {
		if err := json.Unmarshal([]byte(owner.must(exitDone, "", l.args...).stdout), l.link); err != nil {
			t.Fatal(err)
		}
	}
	c := apiClient(t, s.URL, key)
	for i := 0; ; i++ {
		_, err := c.Me(t.Context())
		if client.IsStatus(err, http.StatusTooManyRequests) {
			break
		}
		if err != nil || i == 20 {
			t.Fatalf("the key's requests were not limited after %d: %v", i, err)
		}
	}

	if r := owner.run("", nil, "open", plain.URL); r.code != exitDone || r.stdout != "anyone may read this" {
		t.Fatalf("open of a link for anyone with a key over its limit: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := owner.run("", nil, "open", mine.URL); r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, "Try again in") {
		t.Fatalf("open of a link for the key's account over its limit: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	st, err := store.Open(t.Context(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ownerID := account(t, db, "owner").ID
	for _, want := range []struct {
		id     int64
		uses   int
		events []string
	}{
		{plain.ID, 1, []string{store.EventUse}},
		{mine.ID, 0, nil},
	} {
		l, err := st.LinkByID(t.Context(), want.id)
		if err != nil {
			t.Fatal(err)
		}
		events, err := st.Events(t.Context(), ownerID, want.id)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, e.Kind)
		}
		if l.Uses != want.uses || !slices.Equal(kinds, want.events) {
			t.Errorf("link %d: %d uses, events %v; want %d, %v", want.id, l.Uses, kinds, want.uses, want.events)
		}
	}
}

// TestOpenE2EWebAddressAsTheServerHasOne: the web address of an
// end-to-end link, which the server cannot read to check, is printed by
// open as the server gives a link's: one that is no http or https address
// (javascript:, or no address at all) is refused, as the recipient's page
// refuses to follow it, and one with characters that reorder or hide text
// is printed with them percent-encoded, so that it reads as what it is.
// Its use is spent either way: the server delivered it.
func TestOpenE2EWebAddressAsTheServerHasOne(t *testing.T) {
	sh, s, db := signedInShell(t)
	c, err := client.New(s.URL, ownerKey(t, db))
	if err != nil {
		t.Fatal(err)
	}
	// As a sender other than oncelink's own could make them: unchecked.
	made := func(address string) string {
		t.Helper()
		l, err := c.CreateE2ELink(t.Context(), client.NewLink{Kind: "url", URL: address})
		if err != nil {
			t.Fatalf("an end-to-end link to %q: %v", address, err)
		}
		return l.URL
	}
	for _, address := range []string{"javascript:alert(document.cookie)", "file:///etc/passwd", "not an address \x1b]0;pwned\x07"} {
		r := sh.run("", nil, "open", made(address))
		if r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, "not an http or https address") {
			t.Errorf("open of an end-to-end link to %q: status %d, stdout %q, stderr %q", address, r.code, r.stdout, r.stderr)
		}
	}
	r := sh.run("", nil, "open", made("https://example.com/\u202egpj.exe"))
	if want := "https://example.com/%E2%80%AEgpj.exe\n"; r.code != exitDone || r.stdout != want {
		t.Errorf("open of an end-to-end link to an address with a right-to-left override: status %d, stdout %q, want %q", r.code, r.stdout, want)
	}
	r = sh.run("", nil, "open", made("https://example.com/page?q=1#top"))
	if want := "https://example.com/page?q=1#top\n"; r.code != exitDone || r.stdout != want {
		t.Errorf("open of an end-to-end link to a plain address: status %d, stdout %q, want %q", r.code, r.stdout, want)
	}
}

// TestLabelsThatAreNotTextRefusedHere: a label, an account's name, a
// note or a password that is not UTF-8 would reach the server changed, as
// JSON carries it, with U+FFFD for each byte that is not: the server would
// make a link with a label no one typed, or look for an account no one
// named. Each is refused here as the server refuses such text, a usage
// error naming its flag, and nothing is sent.
func TestLabelsThatAreNotTextRefusedHere(t *testing.T) {
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer srv.Close()
	env := map[string]string{"ONCELINK_URL": srv.URL, "ONCELINK_API_KEY": "ol_" + strings.Repeat("k", 43)}
	en := i18n.For("en")
	for _, tc := range []struct {
		stdin, flag, field string
		args               []string
	}{
		{"", "--label", "label", []string{"share", "x", "--label", "caf\xe9"}},
		{"", "--for", "for_user", []string{"share", "x", "--for", "ren\xe9"}},
		{"p\xff\n", "--password-stdin", "password", []string{"share", "x", "--password-stdin"}},
		{"", "--label", "label", []string{"request", "--label", "caf\xe9"}},
		{"", "--note", "note", []string{"request", "--note", "caf\xe9"}},
	} {
		r := runCLI(t, env, tc.stdin, tc.args...)
		want := en.T("cli.flag_error.refused", "Flag", tc.flag, "Message", core.NotText(tc.field).Message(en))
		if r.code != exitUsage || r.err == nil || !strings.HasPrefix(r.err.Error(), want) {
			t.Errorf("%q: %d, %v; want %q", tc.args, r.code, r.err, want)
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

// TestShareFileThatTellsNoSize: a file that says it is empty until it is
// read, as those of /proc do, is shared with what it holds, rather than
// refused as empty; a file that is empty still is.
func TestShareFileThatTellsNoSize(t *testing.T) {
	const proc = "/proc/version"
	want, err := os.ReadFile(proc)
	if st, serr := os.Stat(proc); err != nil || serr != nil || st.Size() != 0 || len(want) == 0 {
		t.Skipf("%s is no file that tells no size here", proc)
	}
	sh, _, _ := signedInShell(t)
	link := strings.TrimSpace(sh.must(exitDone, "", "share", "--file", proc).stdout)
	if r := sh.must(exitDone, "", "open", link, "-o", "-"); r.stdout != string(want) {
		t.Errorf("open of the shared %s: %q, want %q", proc, r.stdout, want)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := sh.must(exitUsage, "", "share", "--file", empty); !strings.Contains(r.stderr, "That file is empty") {
		t.Errorf("share --file of an empty file: stderr %q", r.stderr)
	}
}

// TestJSONWritesMarkupAsItIs: --json writes <, > and & in a label as they
// are, not as \u003c, \u003e and \u0026: it is read by programs and
// people, not put in a web page.
func TestJSONWritesMarkupAsItIs(t *testing.T) {
	sh, _, _ := signedInShell(t)
	sh.must(exitDone, "", "share", "--label", "R&D <staging>", "words")
	if out := sh.must(exitDone, "", "links", "--json").stdout; !strings.Contains(out, `"label": "R&D <staging>"`) {
		t.Errorf("links --json writes the label otherwise: %s", out)
	}
}
