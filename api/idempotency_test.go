package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"oncelink/core"
)

// idempotent is the header of a create with key.
func idempotent(key string) http.Header { return http.Header{"Idempotency-Key": {key}} }

// A create sent twice with the same Idempotency-Key makes one link: the
// second answer is a 409 that names it, whatever the second body says.
func TestCreateWithAnIdempotencyKeyMakesOneLink(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	body := `{"kind":"message","message":"the door code","ttl":"1h"}`
	first := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(body), idempotent("retry-1"))
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("first create: %d %s", first.StatusCode, first.body)
	}
	var made createdLink
	if err := json.Unmarshal(first.body, &made); err != nil || made.URL == "" {
		t.Fatalf("first create: %s (%v)", first.body, err)
	}
	for _, again := range []struct{ what, body string }{
		{"the same body", body},
		{"another body", `{"kind":"url","url":"https://example.com/"}`},
		{"a body the core would refuse", `{"kind":"message","message":"x","ttl":"1s"}`},
	} {
		res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(again.body), idempotent("retry-1"))
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("again with %s: %d %s, want 409", again.what, res.StatusCode, res.body)
		}
		p := res.problem()
		if p.Code != "already_created" || p.ID != made.ID || !strings.Contains(p.Detail, itoa(made.ID)) || p.Field != "" {
			t.Errorf("again with %s: problem %+v, want already_created with id %d", again.what, p, made.ID)
		}
		if strings.Contains(string(res.body), made.URL) || strings.Contains(string(res.body), `"url"`) {
			t.Errorf("again with %s: the answer gives a URL: %s", again.what, res.body)
		}
		if loc := res.Header.Get("Location"); loc != "/api/v1/links/"+itoa(made.ID) {
			t.Errorf("again with %s: Location %q", again.what, loc)
		}
	}
	if ids := ada.linkIDs(); !slices.Equal(ids, []int64{made.ID}) {
		t.Fatalf("links after the repeats: %v, want only %d", ids, made.ID)
	}
	// The link was not touched by the repeats: it opens, once.
	if res := s.client("").postJSON(openPath(made.URL), nil); res.StatusCode != http.StatusOK || !strings.Contains(string(res.body), "the door code") {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
	// Another key makes another link.
	if res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(body), idempotent("retry-2")); res.StatusCode != http.StatusCreated {
		t.Fatalf("another key: %d %s", res.StatusCode, res.body)
	}
	if n := len(ada.linkIDs()); n != 2 {
		t.Fatalf("%d links after another key, want 2", n)
	}
}

// Keys are each owner's own: another owner's create with the same key is
// a link of its own.
func TestIdempotencyKeysAreTheOwners(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada, bob := s.account("ada"), s.account("bob")
	body := `{"kind":"message","message":"x"}`
	for _, c := range []*client{ada, bob} {
		if res := c.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(body), idempotent("shared-key")); res.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", res.StatusCode, res.body)
		}
	}
	if a, b := ada.linkIDs(), bob.linkIDs(); len(a) != 1 || len(b) != 1 || a[0] == b[0] {
		t.Fatalf("ada's links %v, bob's %v: want one each", a, b)
	}
	res := bob.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(body), idempotent("shared-key"))
	if p := res.problem(); res.StatusCode != http.StatusConflict || p.ID != bob.linkIDs()[0] {
		t.Fatalf("bob again: %d %s, want 409 with his link", res.StatusCode, res.body)
	}
}

// A multipart create, a file's included, takes the key as a JSON one does.
func TestMultipartCreateWithAnIdempotencyKey(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	body := part("kind", "file") + filePart("file", "a.txt", "hello") + lastPart
	first := ada.do(http.MethodPost, "/api/v1/links", multipartX, strings.NewReader(body), idempotent("upload-7"))
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("first create: %d %s", first.StatusCode, first.body)
	}
	var made createdLink
	json.Unmarshal(first.body, &made)
	res := ada.do(http.MethodPost, "/api/v1/links", multipartX, strings.NewReader(body), idempotent("upload-7"))
	if p := res.problem(); res.StatusCode != http.StatusConflict || p.Code != "already_created" || p.ID != made.ID {
		t.Fatalf("again: %d %s, want 409 already_created with id %d", res.StatusCode, res.body, made.ID)
	}
	if ids := ada.linkIDs(); !slices.Equal(ids, []int64{made.ID}) {
		t.Fatalf("links: %v, want only %d", ids, made.ID)
	}
}

// A key that breaks the form key's rule, an empty one or one sent twice is
// refused with the header named, and makes nothing: taken as no key, a
// retry would make a second link.
func TestBadIdempotencyKeyIsRefused(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	for _, tt := range []struct {
		what   string
		header http.Header
		ctype  string
		body   string
	}{
		{"too long", idempotent(strings.Repeat("k", 65)), "", ""},
		{"a space", idempotent("two words"), "", ""},
		{"a dot", idempotent("v1.2"), "", ""},
		{"not ASCII", idempotent("schlüssel"), "", ""},
		{"empty", idempotent(""), "", ""},
		{"twice", http.Header{"Idempotency-Key": {"a", "b"}}, "", ""},
		{"too long, multipart", idempotent(strings.Repeat("k", 65)), multipartX, part("kind", "message") + part("message", "hi") + lastPart},
	} {
		ctype, body := cmp.Or(tt.ctype, "application/json"), cmp.Or(tt.body, `{"kind":"message","message":"x"}`)
		res := ada.do(http.MethodPost, "/api/v1/links", ctype, strings.NewReader(body), tt.header)
		if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "idempotency_key_invalid" || p.Field != "Idempotency-Key" || !strings.Contains(p.Detail, "64") {
			t.Errorf("%s: %d %s, want 400 idempotency_key_invalid for Idempotency-Key", tt.what, res.StatusCode, res.body)
		}
	}
	if ids := ada.linkIDs(); len(ids) != 0 {
		t.Fatalf("links made: %v", ids)
	}
	// The longest key the rule allows is taken.
	longest := strings.Repeat("k", 64)
	if res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(`{"kind":"message","message":"x"}`), idempotent(longest)); res.StatusCode != http.StatusCreated {
		t.Fatalf("a key of 64: %d %s", res.StatusCode, res.body)
	}
}

// keyedCreate is a create route that takes an Idempotency-Key as the
// link's does: what it makes, a body that makes one, another that would,
// one the core would refuse, how to list the ids made, and what the first
// answer alone may show.
type keyedCreate struct {
	path                 string
	body, other, refused func(n int) string
	ids                  func(c *client) []int64
	once                 string
}

var keyedCreates = []keyedCreate{
	{
		path:    "/api/v1/requests",
		body:    func(n int) string { return fmt.Sprintf(`{"label":"vpn %d","accepts":"text"}`, n) },
		other:   func(n int) string { return fmt.Sprintf(`{"label":"other %d","ttl":"2h"}`, n) },
		refused: func(int) string { return `{"accepts":"video"}` },
		ids:     func(c *client) []int64 { return c.ids("/api/v1/requests", "requests") },
		once:    `"url"`,
	},
	{
		path: "/api/v1/webhooks",
		body: func(n int) string {
			return fmt.Sprintf(`{"url":"https://hooks.example.com/%d","events":["link.opened"]}`, n)
		},
		other: func(n int) string {
			return fmt.Sprintf(`{"url":"https://hooks.example.com/other/%d","events":["link.revoked"]}`, n)
		},
		refused: func(int) string { return `{"url":"https://hooks.example.com/x","events":["link.lost"]}` },
		ids:     func(c *client) []int64 { return c.ids("/api/v1/webhooks", "webhooks") },
		once:    `"secret"`,
	},
}

// ids lists the ids of what the list at path holds under name.
func (c *client) ids(path, name string) []int64 {
	c.t.Helper()
	res := c.get(path)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("list %s: %d %s", path, res.StatusCode, res.body)
	}
	var list map[string][]struct{ ID int64 }
	if err := json.Unmarshal(res.body, &list); err != nil {
		c.t.Fatal(err)
	}
	ids := []int64{}
	for _, v := range list[name] {
		ids = append(ids, v.ID)
	}
	slices.Sort(ids)
	return ids
}

// A request or a webhook endpoint created twice with the same
// Idempotency-Key is made once, as a link is: the repeat is a 409 that
// names the first, and shows neither its URL nor its secret again.
func TestRequestsAndWebhooksTakeAnIdempotencyKey(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	for _, kc := range keyedCreates {
		t.Run(strings.TrimPrefix(kc.path, "/api/v1/"), func(t *testing.T) {
			ada := s.account("ada-" + path.Base(kc.path))
			first := ada.do(http.MethodPost, kc.path, "application/json", strings.NewReader(kc.body(1)), idempotent("retry-1"))
			if first.StatusCode != http.StatusCreated || !strings.Contains(string(first.body), kc.once) {
				t.Fatalf("first create: %d %s", first.StatusCode, first.body)
			}
			var made struct{ ID int64 }
			json.Unmarshal(first.body, &made)
			for _, again := range []struct{ what, body string }{
				{"the same body", kc.body(1)},
				{"another body", kc.other(1)},
				{"a body the core would refuse", kc.refused(1)},
			} {
				res := ada.do(http.MethodPost, kc.path, "application/json", strings.NewReader(again.body), idempotent("retry-1"))
				if res.StatusCode != http.StatusConflict {
					t.Fatalf("again with %s: %d %s, want 409", again.what, res.StatusCode, res.body)
				}
				p := res.problem()
				if p.Code != "already_created" || p.ID != made.ID || !strings.Contains(p.Detail, kc.path+"/"+itoa(made.ID)) || p.Field != "" {
					t.Errorf("again with %s: problem %+v, want already_created with id %d", again.what, p, made.ID)
				}
				if strings.Contains(string(res.body), kc.once) {
					t.Errorf("again with %s: the answer gives %s again: %s", again.what, kc.once, res.body)
				}
				if loc := res.Header.Get("Location"); loc != kc.path+"/"+itoa(made.ID) {
					t.Errorf("again with %s: Location %q", again.what, loc)
				}
			}
			if ids := kc.ids(ada); !slices.Equal(ids, []int64{made.ID}) {
				t.Fatalf("after the repeats: %v, want only %d", ids, made.ID)
			}
			// Another key makes another; the same key on links is another
			// route's, and makes a link.
			if res := ada.do(http.MethodPost, kc.path, "application/json", strings.NewReader(kc.body(2)), idempotent("retry-2")); res.StatusCode != http.StatusCreated {
				t.Fatalf("another key: %d %s", res.StatusCode, res.body)
			}
			if res := ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(`{"kind":"message","message":"x"}`), idempotent("retry-1")); res.StatusCode != http.StatusCreated {
				t.Fatalf("the same key on links: %d %s", res.StatusCode, res.body)
			}
			// Another owner's same key makes one of its own, and learns
			// nothing of ada's.
			bob := s.account("bob-" + path.Base(kc.path))
			res := bob.do(http.MethodPost, kc.path, "application/json", strings.NewReader(kc.body(1)), idempotent("retry-1"))
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("another owner, the same key: %d %s", res.StatusCode, res.body)
			}
			if ids := kc.ids(bob); len(ids) != 1 || ids[0] == made.ID {
				t.Fatalf("bob's: %v", ids)
			}
			if n := len(kc.ids(ada)); n != 2 {
				t.Fatalf("ada has %d after bob's create, want 2", n)
			}
		})
	}
}

// Creates sent at once with one key make one request, and one endpoint:
// the others answer already_created with its id.
func TestConcurrentCreatesWithOneKeyMakeOne(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	for _, kc := range keyedCreates {
		ada := s.account("ada-" + path.Base(kc.path))
		const n = 8
		results := make([]response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results[i] = ada.do(http.MethodPost, kc.path, "application/json", strings.NewReader(kc.body(i)), idempotent("at-once"))
			})
		}
		wg.Wait()
		ids := kc.ids(ada)
		if len(ids) != 1 {
			t.Fatalf("%s: %v made, want one", kc.path, ids)
		}
		created := 0
		for _, res := range results {
			switch {
			case res.StatusCode == http.StatusCreated:
				created++
			case res.StatusCode != http.StatusConflict || res.problem().ID != ids[0]:
				t.Errorf("%s: %d %s, want 409 naming %d", kc.path, res.StatusCode, res.body, ids[0])
			}
		}
		if created != 1 {
			t.Errorf("%s: %d answers 201, want one", kc.path, created)
		}
	}
}

// A bad key on a request's or an endpoint's create is refused as on a
// link's, and makes nothing.
func TestBadIdempotencyKeyIsRefusedOnEveryCreate(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	ada := s.account("ada")
	for _, kc := range keyedCreates {
		for _, header := range []http.Header{idempotent(strings.Repeat("k", 65)), idempotent("two words"), idempotent(""),
			idempotent("schlüssel"), {"Idempotency-Key": {"a", "b"}}} {
			res := ada.do(http.MethodPost, kc.path, "application/json", strings.NewReader(kc.body(1)), header)
			if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "idempotency_key_invalid" || p.Field != "Idempotency-Key" {
				t.Errorf("%s with %q: %d %s, want 400 idempotency_key_invalid", kc.path, header.Values("Idempotency-Key"), res.StatusCode, res.body)
			}
		}
		if ids := kc.ids(ada); len(ids) != 0 {
			t.Errorf("%s: %v made", kc.path, ids)
		}
	}
}

// A rotation of an endpoint's secret sent twice with the same
// Idempotency-Key rotates once, as a create with a key makes once: the
// repeat is a 409 that names the endpoint and shows no secret, and the
// secret the first answer gave stays the endpoint's, with the one before
// it signing beside it. The same key rotates another endpoint, another
// owner's, and, once more, nothing; another key rotates again.
func TestRotateWithAnIdempotencyKeyRotatesOnce(t *testing.T) {
	s := newTestServer(t, newDocCheck(t), func(c *core.Config) { c.Resolver = publicResolver{} })
	ada := s.account("ada")
	account, err := s.store.AccountByName(t.Context(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	add := func(c *client, n int) createdWebhook {
		t.Helper()
		res := c.postJSON("/api/v1/webhooks", map[string]any{"url": fmt.Sprintf("https://hooks.example.com/%d", n), "events": []string{"link.opened"}})
		var h createdWebhook
		if err := json.Unmarshal(res.body, &h); res.StatusCode != http.StatusCreated || err != nil {
			t.Fatalf("add: %d %s", res.StatusCode, res.body)
		}
		return h
	}
	// secrets are the endpoint's signing secrets: its own, and the one
	// the last rotation replaced.
	secrets := func(id int64) (string, string) {
		t.Helper()
		hooks, err := s.store.Webhooks(t.Context(), account.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hooks {
			if h.ID == id {
				return core.WebhookSecret(h), string(h.PreviousSecret)
			}
		}
		t.Fatalf("no endpoint %d", id)
		return "", ""
	}
	rotate := func(c *client, id int64, key string) response {
		t.Helper()
		return c.do(http.MethodPost, "/api/v1/webhooks/"+itoa(id)+"/rotate", "", nil, idempotent(key))
	}
	made, other := add(ada, 1), add(ada, 2)

	first := rotate(ada, made.ID, "rotate-1")
	var rotated createdWebhook
	if err := json.Unmarshal(first.body, &rotated); first.StatusCode != http.StatusOK || err != nil || rotated.Secret == made.Secret {
		t.Fatalf("first rotation: %d %s", first.StatusCode, first.body)
	}
	_, previous := secrets(made.ID)
	for range 2 {
		res := rotate(ada, made.ID, "rotate-1")
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("again: %d %s, want 409", res.StatusCode, res.body)
		}
		p := res.problem()
		if p.Code != "already_created" || p.ID != made.ID || p.Field != "" || !strings.Contains(p.Detail, "/api/v1/webhooks/"+itoa(made.ID)+"/rotate") {
			t.Errorf("again: problem %+v, want already_created with id %d", p, made.ID)
		}
		if strings.Contains(string(res.body), `"secret"`) || strings.Contains(string(res.body), "whsec_") {
			t.Errorf("again: the answer gives a secret: %s", res.body)
		}
		if loc := res.Header.Get("Location"); loc != "/api/v1/webhooks/"+itoa(made.ID) {
			t.Errorf("again: Location %q", loc)
		}
		if now, prev := secrets(made.ID); now != rotated.Secret || prev != previous {
			t.Fatalf("the repeat rotated the secret again: %s, previous changed %v", now, prev != previous)
		}
	}

	// The key is the endpoint's: the same key rotates another.
	if res := rotate(ada, other.ID, "rotate-1"); res.StatusCode != http.StatusOK || !strings.Contains(string(res.body), "whsec_") {
		t.Fatalf("the same key on another endpoint: %d %s", res.StatusCode, res.body)
	}
	// Another owner's endpoint is not found, whatever the key.
	bob := s.account("bob")
	if res := rotate(bob, made.ID, "rotate-2"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("bob rotates ada's: %d %s", res.StatusCode, res.body)
	}
	if res := rotate(ada, made.ID, "rotate-2"); res.StatusCode != http.StatusOK {
		t.Fatalf("another key: %d %s", res.StatusCode, res.body)
	}
	if now, _ := secrets(made.ID); now == rotated.Secret {
		t.Fatal("another key did not rotate the secret")
	}
	// A bad key is refused before anything is rotated.
	before, _ := secrets(made.ID)
	for _, header := range []http.Header{idempotent(strings.Repeat("k", 65)), idempotent(""), {"Idempotency-Key": {"a", "b"}}} {
		res := ada.do(http.MethodPost, "/api/v1/webhooks/"+itoa(made.ID)+"/rotate", "", nil, header)
		if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != "idempotency_key_invalid" || p.Field != "Idempotency-Key" {
			t.Errorf("rotate with %q: %d %s, want 400 idempotency_key_invalid", header.Values("Idempotency-Key"), res.StatusCode, res.body)
		}
	}
	if now, _ := secrets(made.ID); now != before {
		t.Fatal("a bad key rotated the secret")
	}
}
