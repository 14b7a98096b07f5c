package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"oncelink/core"
	"oncelink/notify"
	"oncelink/store"
)

// leaks lists what a delivery's error must never show its owner: the
// server's resolver, the addresses it dialed, Go's own words for them.
var leaks = []string{"10.255.255.53", "127.0.0.1", "10.1.2.3", ":53", "lookup", "dial tcp", "Post \"", "nonexistent.invalid"}

func noLeak(t *testing.T, what, text string) {
	t.Helper()
	for _, l := range leaks {
		if strings.Contains(text, l) {
			t.Errorf("%s: the error %q shows %q", what, text, l)
		}
	}
}

// A webhook delivery that could not reach its endpoint records the
// failure's kind in a few stable words, never Go's network error, which
// names the server's resolver or the address a name resolved to.
func TestDeliveryErrorsSayTheFailureNotTheServersNetwork(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // before the Close above
	closed := newReceiver(t)
	closedURL := closed.srv.URL
	closed.srv.Close()
	noHost := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		// What a resolver that knows no such name makes the dial fail with.
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nonexistent.invalid", Server: "10.255.255.53:53", IsNotFound: true}}
	}}}
	for _, tc := range []struct {
		name   string
		url    string
		client *http.Client
		want   string
	}{
		{"host not found", "http://nonexistent.invalid/", noHost, core.FailedNoHost},
		{"connection refused", closedURL, notify.NewHTTPClient(true), core.FailedRefused},
		{"private address", newReceiver(t).srv.URL, notify.NewHTTPClient(false), core.FailedPrivate},
		{"timed out", slow.URL, &http.Client{Timeout: 200 * time.Millisecond}, core.FailedTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true, Resolver: fixedResolver{"nonexistent.invalid": "93.184.215.14"}})
			w, err := e.svc.CreateWebhook(context.Background(), e.owner.ID, core.WebhookInput{URL: tc.url, Events: []string{store.NoticeLinkOpened}})
			if err != nil {
				t.Fatal(err)
			}
			e.open(t, e.createLink(t, "x", 1, false).URL)
			runOnce(t, e.worker(t, notify.Options{HTTP: tc.client}))
			ds, err := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries %+v, %v", ds, err)
			}
			if ds[0].Status != store.DeliveryPending || ds[0].LastError != tc.want {
				t.Errorf("delivery %+v, want pending with the error %q", ds[0], tc.want)
			}
			noLeak(t, tc.name, ds[0].LastError)
		})
	}
}

// Every failure is told by its kind; one of the server itself, such as
// its database's, is an internal error, its words for the log alone.
func TestDescribedFailures(t *testing.T) {
	post := func(err error) error { return &url.Error{Op: "Post", URL: "http://nonexistent.invalid/", Err: err} }
	dial := func(err error) error { return post(&net.OpError{Op: "dial", Net: "tcp", Err: err}) }
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dial(&net.DNSError{Err: "no such host", Name: "nonexistent.invalid", Server: "10.255.255.53:53", IsNotFound: true}), core.FailedNoHost},
		{dial(&net.DNSError{Err: "server misbehaving", Name: "nonexistent.invalid", Server: "10.255.255.53:53", IsTemporary: true}), core.FailedLookup},
		{dial(&net.DNSError{Err: "i/o timeout", Name: "nonexistent.invalid", Server: "10.255.255.53:53", IsTimeout: true}), core.FailedLookup},
		{dial(fmt.Errorf("%w: 10.1.2.3", notify.ErrPrivateDial)), core.FailedPrivate},
		{dial(&net.OpError{Op: "connect", Err: syscall.ECONNREFUSED}), core.FailedRefused},
		{dial(&net.OpError{Op: "connect", Err: syscall.EHOSTUNREACH}), core.FailedUnreachable},
		{post(context.DeadlineExceeded), core.FailedTimeout},
		{post(errors.New("net/http: server response headers exceeded 65536 bytes; aborted")), core.FailedHeaders},
		{post(io.EOF), core.FailedBroken},
		{post(errors.New("http: server gave HTTP response to HTTPS client")), core.FailedConnect},
		{post(&net.OpError{Op: "read", Err: syscall.ECONNRESET}), core.FailedBroken},
		{errors.New(`pq: could not connect to server at "10.1.2.3"`), core.FailedInternal},
	} {
		got := notify.Describe(tc.err)
		if got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
		noLeak(t, tc.err.Error(), got)
	}
}

// An endpoint that asks, with Retry-After, to wait past the delivery's day
// is told what it asked, not a day's wait it never asked for, and that it
// is tried again within the day.
func TestALongRetryAfterSaysWhatWasAsked(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "oncelink.db"), core.Config{WebhookAllowPrivate: true})
	r := newReceiver(t)
	r.status = func() int { return http.StatusServiceUnavailable }
	asked := e.clock.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat)
	r.retryAfter = asked
	w := e.subscribe(t, r, store.NoticeLinkOpened)
	e.open(t, e.createLink(t, "x", 1, false).URL)
	runOnce(t, e.worker(t, notify.Options{}))
	ds, err := e.st.WebhookDeliveries(context.Background(), e.owner.ID, w.Webhook.ID, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	want := `the endpoint answered 503 Service Unavailable, asking with Retry-After "` + asked + `" to be tried again in more than a day: it is tried again within the day`
	if ds[0].LastError != want {
		t.Errorf("the error %q, want %q", ds[0].LastError, want)
	}
	if ds[0].NextAt.After(e.clock.Now().Add(notify.GiveUpAfter)) {
		t.Errorf("tried again at %v, past the day", ds[0].NextAt)
	}
}
