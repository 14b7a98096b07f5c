package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"oncelink/core"
	"oncelink/internal/browsertest"
	"oncelink/internal/pgtest"
)

var shownSecret = regexp.MustCompile(`data-testid="webhook-secret"[^>]*value="(whsec_[^"]+)"|value="(whsec_[^"]+)"[^>]*data-testid="webhook-secret"`)

func secretOnPage(t *testing.T, body string) string {
	t.Helper()
	m := shownSecret.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no secret shown on the page")
	}
	return m[1] + m[2]
}

// TestRotateWebhookOnSettings rotates an endpoint's secret from /settings:
// the new secret is shown once, the endpoint says until when the previous
// one signs too; another account's rotation and a cross-site POST are
// refused and change nothing.
func TestRotateWebhookOnSettings(t *testing.T) {
	for _, db := range []struct{ name, dsn string }{{"sqlite", ""}, {"postgres", "pg"}} {
		t.Run(db.name, func(t *testing.T) {
			allow := func(c *core.Config) { c.WebhookAllowPrivate = true }
			var s *testServer
			if db.dsn == "" {
				s = newTestServer(t, allow)
			} else {
				s = newTestServerOn(t, pgtest.DSN(t), allow)
			}
			ada := s.admin()
			res := ada.post("/settings/webhooks", url.Values{"url": {"http://127.0.0.1:9/hook"}, "events": {"link.opened"}})
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("add an endpoint: %d", res.StatusCode)
			}
			first := secretOnPage(t, res.body)
			hooks, err := s.h.core.Webhooks(context.Background(), 1)
			if err != nil || len(hooks) != 1 {
				t.Fatalf("webhooks %v, %v", hooks, err)
			}
			rotate := "/settings/webhooks/" + itoa(hooks[0].ID) + "/rotate"
			if !strings.Contains(res.body, `action="`+rotate+`"`) {
				t.Fatal("no Rotate secret form for the endpoint")
			}
			if strings.Contains(res.body, `data-testid="previous-secret"`) {
				t.Error("a new endpoint says a previous secret signs")
			}
			current := func() string {
				t.Helper()
				hooks, err := s.h.core.Webhooks(context.Background(), 1)
				if err != nil {
					t.Fatal(err)
				}
				return core.WebhookSecret(hooks[0])
			}

			// Cross-site: refused, nothing changes.
			res = ada.request(http.MethodPost, rotate, strings.NewReader(""),
				http.Header{"Content-Type": {formType}, "Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
			if res.StatusCode != http.StatusForbidden || current() != first {
				t.Fatalf("cross-site rotation: %d, secret changed: %v", res.StatusCode, current() != first)
			}
			// Another account: not found, nothing changes.
			bob := s.user("bob")
			if res := bob.post(rotate, url.Values{}); res.StatusCode != http.StatusNotFound || current() != first {
				t.Fatalf("bob rotating ada's endpoint: %d, secret changed: %v", res.StatusCode, current() != first)
			}

			res = ada.post(rotate, url.Values{})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("rotate: %d", res.StatusCode)
			}
			second := secretOnPage(t, res.body)
			if second == first || second != current() {
				t.Fatalf("shown secret %q, stored %q, first %q", second, current(), first)
			}
			until := s.h.core.Now().Add(core.SecretOverlap).UTC().Format("15:04 UTC")
			for _, want := range []string{`data-testid="rotated-note"`, `data-testid="previous-secret"`, "Previous secret also signs until", until} {
				if !strings.Contains(res.body, want) {
					t.Errorf("the page after rotating lacks %q", want)
				}
			}
			// Shown once: the page again has no secret, but still the window.
			res = ada.get("/settings")
			if strings.Contains(res.body, second) || strings.Contains(res.body, first) {
				t.Error("a secret is shown again")
			}
			if !strings.Contains(res.body, `data-testid="previous-secret"`) {
				t.Error("the endpoint does not say its previous secret signs")
			}
			// A day later only the new one signs, and the page says nothing.
			s.clock.Advance(core.SecretOverlap + time.Minute)
			if res := ada.get("/settings"); strings.Contains(res.body, `data-testid="previous-secret"`) {
				t.Error("a day after rotating the page still says the previous secret signs")
			}
		})
	}
}

// formKeyOf is the form key of the one form on the page that posts to
// action.
func formKeyOf(t *testing.T, body, action string) string {
	t.Helper()
	inputs := findAll(parseHTML(t, body), func(n *html.Node) bool {
		return attr(n, "name") == "form_key" && n.Parent != nil && attr(n.Parent, "action") == action
	})
	if len(inputs) != 1 || attr(inputs[0], "value") == "" {
		t.Fatalf("the form to %s carries %d form keys", action, len(inputs))
	}
	return attr(inputs[0], "value")
}

// TestWebhookFormsSentTwice sends the add-endpoint form and a rotate
// button again, as a reload of the page that showed the secret would: the
// second sending makes no endpoint or secret, says why and shows none. An
// add form sent six times at once, as clicks would, makes one endpoint.
func TestWebhookFormsSentTwice(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
	ada := s.admin()
	add := url.Values{"form_key": {formKeyOf(t, ada.get("/settings").body, "/settings/webhooks")},
		"url": {"http://127.0.0.1:9/hook"}, "events": {"link.opened"}}
	made := ada.post("/settings/webhooks", add)
	if made.StatusCode != http.StatusCreated {
		t.Fatalf("add an endpoint: %d", made.StatusCode)
	}
	refusedTwice := func(what string, res response) {
		t.Helper()
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, "This form was sent already") || shownSecret.MatchString(res.body) {
			t.Fatalf("%s sent again: %d, shows a secret: %v", what, res.StatusCode, shownSecret.MatchString(res.body))
		}
	}
	refusedTwice("the add form", ada.post("/settings/webhooks", add))
	hooks, err := s.h.core.Webhooks(context.Background(), 1)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("after the same form twice: %d endpoints, %v", len(hooks), err)
	}

	rotate := "/settings/webhooks/" + itoa(hooks[0].ID) + "/rotate"
	form := url.Values{"form_key": {formKeyOf(t, made.body, rotate)}}
	rotated := ada.post(rotate, form)
	if rotated.StatusCode != http.StatusOK {
		t.Fatalf("rotate: %d", rotated.StatusCode)
	}
	shown := secretOnPage(t, rotated.body)
	refusedTwice("the rotate button", ada.post(rotate, form))
	hooks, err = s.h.core.Webhooks(context.Background(), 1)
	if err != nil || core.WebhookSecret(hooks[0]) != shown {
		t.Fatal("sending the rotate button again changed the secret shown")
	}
	if again := ada.post(rotate, url.Values{"form_key": {formKeyOf(t, rotated.body, rotate)}}); again.StatusCode != http.StatusOK {
		t.Fatalf("a fresh rotate button: %d", again.StatusCode)
	}

	// Sent six times at once, as clicks would, to another address each:
	// still one endpoint.
	key := formKeyOf(t, ada.get("/settings").body, "/settings/webhooks")
	var n atomic.Int32
	if made := madeOnce(t, 6, func() int {
		return ada.post("/settings/webhooks", url.Values{"form_key": {key}, "events": {"link.opened"},
			"url": {fmt.Sprintf("http://127.0.0.1:9/hook%d", n.Add(1))}}).StatusCode
	}); made != 1 {
		t.Fatalf("one form sent six times at once made %d endpoints", made)
	}
	if hooks, err := s.h.core.Webhooks(context.Background(), 1); err != nil || len(hooks) != 2 {
		t.Fatalf("after one form six times at once: %d endpoints, %v", len(hooks), err)
	}
}

// TestRotateWebhookInBrowser clicks Rotate secret and shows the endpoint
// in its overlap.
func TestRotateWebhookInBrowser(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.WebhookAllowPrivate = true })
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.setUp()
	r := newHookReceiver(t, http.StatusOK)
	if _, err := s.h.core.CreateWebhook(context.Background(), 1, core.WebhookInput{URL: r.URL + "/hooks/oncelink", Events: []string{"link.opened", "link.revoked"}}); err != nil {
		t.Fatal(err)
	}
	b.open("/settings", "[data-testid=notices]")
	b.do(
		chromedp.Click(chromedp.CSS(`[data-testid=webhook] [data-testid=rotate-webhook]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=rotated-note]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=previous-secret]")),
	)
	secret := eval[string](b, `document.querySelector("[data-testid=webhook-secret]").value`)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	b.clean("rotated")
	b.do(chromedp.ScrollIntoView(chromedp.CSS("[data-testid=new-webhook]")))
	browsertest.Shoot(b.t, b.ctx, "settings-webhook-rotated")
	// The notifications section alone, to look at closely.
	if dir := os.Getenv("ONCELINK_SCREENSHOTS"); dir != "" {
		for _, width := range []int64{1280, 390} {
			b.do(chromedp.EmulateViewport(width, 900))
			png, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS("[data-testid=notices]")))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("notices-rotated-%d.png", width)), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
