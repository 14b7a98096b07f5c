package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"oncelink/client"
	"oncelink/internal/proxytest"
)

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

	lossy := proxytest.New(t, s.URL, proxytest.DropAfter)
	env := []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}
	r := sh.run("", env, "share", "the door code")
	made := count()
	if len(made) != 1 || lossy.Creates() != 2 {
		t.Fatalf("%d links after %d creates, want 1 after 2", len(made), lossy.Creates())
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

	unreached := proxytest.New(t, s.URL, proxytest.Unreachable)
	r = sh.run("", []string{"ONCELINK_URL=" + unreached.URL, "ONCELINK_API_KEY=" + key}, "share", "the door code")
	if r.code != exitDone || !strings.Contains(r.stdout, s.URL+"/l/") || unreached.Creates() != 2 || len(count()) != 2 {
		t.Fatalf("share through a 502: status %d, stdout %q, stderr %q, %d creates", r.code, r.stdout, r.stderr, unreached.Creates())
	}
}

// TestRequestAndWebhookAddWhoseAnswerWasLost: request and webhook add send
// their create again when the answer was lost, as share does, and make
// one. If the first made it, each says that its address, or its secret,
// cannot be shown again, and what to do instead.
func TestRequestAndWebhookAddWhoseAnswerWasLost(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--webhook-allow-private")
	signUp(t, s)
	key := ownerKey(t, db)
	owner := apiClient(t, s.URL, key)
	sh := newShell(t)

	lossy := proxytest.New(t, s.URL, proxytest.DropAfter)
	env := []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}
	r := sh.run("", env, "request", "--label", "vpn")
	page, err := owner.Requests(t.Context(), client.RequestQuery{})
	if err != nil || len(page.Requests) != 1 || lossy.Creates() != 2 {
		t.Fatalf("requests %+v (%v) after %d creates, want 1 after 2", page.Requests, err, lossy.Creates())
	}
	id := strconv.FormatInt(page.Requests[0].ID, 10)
	if r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, "request was made (id "+id+")") ||
		!strings.Contains(r.stderr, "oncelink withdraw "+id) {
		t.Fatalf("request: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	lossy = proxytest.New(t, s.URL, proxytest.DropAfter)
	env = []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}
	r = sh.run("", env, "webhook", "add", "http://127.0.0.1:9/in", "--events", "link.opened")
	hooks, err := owner.Webhooks(t.Context())
	if err != nil || len(hooks) != 1 || lossy.Creates() != 2 {
		t.Fatalf("endpoints %+v (%v) after %d creates, want 1 after 2", hooks, err, lossy.Creates())
	}
	id = strconv.FormatInt(hooks[0].ID, 10)
	if r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, "endpoint was added (id "+id+")") ||
		!strings.Contains(r.stderr, "oncelink webhook rotate "+id) {
		t.Fatalf("webhook add: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// What it says to do, done, gives the endpoint a secret to keep.
	if r := sh.run("", env, "webhook", "rotate", id); r.code != exitDone || !strings.HasPrefix(r.stdout, "whsec_") {
		t.Fatalf("webhook rotate: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	// When the first create did not arrive, the second makes it, and its
	// address or secret is printed.
	for _, tc := range []struct {
		args []string
		out  string
	}{
		{[]string{"request"}, s.URL + "/r/"},
		{[]string{"webhook", "add", "http://127.0.0.1:9/other", "--events", "link.opened"}, "whsec_"},
	} {
		unreached := proxytest.New(t, s.URL, proxytest.Unreachable)
		env = []string{"ONCELINK_URL=" + unreached.URL, "ONCELINK_API_KEY=" + key}
		if r := sh.run("", env, tc.args...); r.code != exitDone || !strings.Contains(r.stdout, tc.out) || unreached.Creates() != 2 {
			t.Fatalf("%s through a 502: status %d, stdout %q, stderr %q, %d creates", tc.args[0], r.code, r.stdout, r.stderr, unreached.Creates())
		}
	}
}

// TestWebhookRotateWhoseAnswerWasLost: webhook rotate sends its rotation
// once more, with the same fresh Idempotency-Key, when the answer was lost
// on the way, and rotates once. If the first rotation made the secret,
// webhook rotate says that it cannot be shown again, and how to make
// another; if the first did not arrive, the second rotates, and the secret
// is printed.
func TestWebhookRotateWhoseAnswerWasLost(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db, "--webhook-allow-private")
	signUp(t, s)
	key := ownerKey(t, db)
	hook, err := apiClient(t, s.URL, key).CreateWebhook(t.Context(), client.NewWebhook{URL: "http://127.0.0.1:9/in", Events: []string{"link.opened"}})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(hook.ID, 10)
	sh := newShell(t)

	lossy := proxytest.New(t, s.URL, proxytest.DropAfter)
	env := []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}
	r := sh.run("", env, "webhook", "rotate", id)
	if keys := lossy.Keys(); len(keys) != 2 || keys[0] == "" || keys[1] != keys[0] {
		t.Fatalf("rotations through the proxy with the keys %q, want two with one key", keys)
	}
	if r.code != exitFailed || r.stdout != "" || !strings.Contains(r.stderr, "new signing secret of endpoint "+id+" was made") ||
		!strings.Contains(r.stderr, "oncelink webhook rotate "+id) {
		t.Fatalf("webhook rotate: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// What it says to do, done, gives the endpoint a secret to keep.
	if r := sh.run("", env, "webhook", "rotate", id); r.code != exitDone || !strings.HasPrefix(r.stdout, "whsec_") {
		t.Fatalf("webhook rotate again: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	unreached := proxytest.New(t, s.URL, proxytest.Unreachable)
	r = sh.run("", []string{"ONCELINK_URL=" + unreached.URL, "ONCELINK_API_KEY=" + key}, "webhook", "rotate", id)
	if r.code != exitDone || !strings.HasPrefix(r.stdout, "whsec_") || unreached.Creates() != 2 {
		t.Fatalf("webhook rotate through a 502: status %d, stdout %q, stderr %q, %d rotations", r.code, r.stdout, r.stderr, unreached.Creates())
	}
}

// TestShareWhoseOutcomeIsUnknown: when no answer to a create came back,
// the last one sent too, or it could not be sent again (a file from a
// pipe, an end-to-end link), share and request say that what they made
// may have been made, and how to find and end it, rather than to try again
// later; Ctrl-C in the pause before the create is sent again says the same,
// with exit status 130.
func TestShareWhoseOutcomeIsUnknown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	key := ownerKey(t, db)
	owner := apiClient(t, s.URL, key)
	count := func() int {
		t.Helper()
		page, err := owner.Links(t.Context(), client.LinkQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Links)
	}
	sh := newShell(t)
	maybe := func(what string, r result, code int, find string) {
		t.Helper()
		if r.code != code || r.stdout != "" || !strings.Contains(r.stderr, "may have been made") ||
			!strings.Contains(r.stderr, find) || strings.Contains(r.stderr, "try again later") {
			t.Fatalf("%s: status %d, stdout %q, stderr %q", what, r.code, r.stdout, r.stderr)
		}
	}

	for i, tc := range []struct {
		how   string
		stdin string
		args  []string
		sent  int
		find  string
	}{
		{proxytest.BadGatewayEvery, "", []string{"share", "--label", "door code", "1234"}, 2, "oncelink links --status active --find 'door code'"},
		{proxytest.DropAfter, "", []string{"share", "--e2e", "1234"}, 1, "oncelink links --status active"},
		{proxytest.BadGateway, "a piped file", []string{"share", "--file", "-"}, 1, "oncelink revoke ID"},
	} {
		lossy := proxytest.New(t, s.URL, tc.how)
		r := sh.run(tc.stdin, []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}, tc.args...)
		maybe(strings.Join(tc.args, " "), r, exitFailed, tc.find)
		if n := count(); n != i+1 || lossy.Creates() != tc.sent {
			t.Fatalf("%s: %d links after %d creates", tc.args, n, lossy.Creates())
		}
	}

	lossy := proxytest.New(t, s.URL, proxytest.BadGatewayEvery)
	r := sh.run("", []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}, "request", "--label", "vpn")
	maybe("request", r, exitFailed, "oncelink requests --status open")

	// Ctrl-C in the pause before the create is sent again.
	lossy = proxytest.New(t, s.URL, proxytest.BadGateway)
	cmd := sh.command(strings.NewReader(""), []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}, "share", "the door code")
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for lossy.Creates() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the 502 is back: the pause has begun
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	r = result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	maybe("share interrupted", r, exitInterrupted, "oncelink links --status active")
	if !strings.Contains(r.stderr, "interrupted") || lossy.Creates() != 1 || count() != 4 {
		t.Fatalf("share interrupted: %q after %d creates, %d links", r.stderr, lossy.Creates(), count())
	}

	// Ctrl-C while the create is under way, made and its answer not back.
	lossy = proxytest.New(t, s.URL, proxytest.HeldBack)
	cmd = sh.command(strings.NewReader(""), []string{"ONCELINK_URL=" + lossy.URL, "ONCELINK_API_KEY=" + key}, "share", "the gate code")
	var heldOut, heldErr lockedBuffer
	cmd.Stdout, cmd.Stderr = &heldOut, &heldErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for count() != 5 {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	r = result{code: cmd.ProcessState.ExitCode(), stdout: heldOut.String(), stderr: heldErr.String()}
	maybe("share interrupted under way", r, exitInterrupted, "oncelink links --status active")
	if !strings.Contains(r.stderr, "interrupted") || lossy.Creates() != 1 {
		t.Fatalf("share interrupted under way: %q after %d creates", r.stderr, lossy.Creates())
	}
}
