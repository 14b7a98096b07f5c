package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/e2e"
)

// TestE2EWebCreate: the create form takes an end-to-end link as e2e.js
// sends it, and answers without a QR code, which would lack the key.
func TestE2EWebCreate(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	secret := e2e.NewSecret()
	ct := e2e.Seal(e2e.Key(secret, ""), e2e.Header{Kind: "message"}, []byte("typed in the browser"))
	check := base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret)))
	res := ada.upload([]formPart{field("kind", "message"), field("ttl", "1h"), field("e2e", "1"), field("e2e_check", check),
		filePart("oncelink-e2e.bin", ct)})
	if res.StatusCode != http.StatusCreated || !strings.Contains(res.body, `data-testid="e2e-created"`) || strings.Contains(res.body, `data-testid="qr"`) {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	// The file before the e2e field is a file, not ciphertext, and a
	// message link keeps no file: no ciphertext, no link.
	res = ada.upload([]formPart{field("kind", "message"), field("ttl", "1h"), filePart("x.bin", ct), field("e2e", "1"), field("e2e_check", check)})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("e2e after the file: %d", res.StatusCode)
	}
	// Nor does a file link: its file came as a plain one, under the plain
	// limit and with its name, so it is not taken for ciphertext.
	res = ada.upload([]formPart{field("kind", "file"), field("ttl", "1h"), filePart("secret-plan.bin", ct), field("e2e", "1"), field("e2e_check", check)})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "after the e2e field") {
		t.Fatalf("a file link with e2e after the file: %d %s", res.StatusCode, res.body)
	}
	if links, _ := s.stored(); links != 1 {
		t.Fatalf("%d links stored", links)
	}
}

// TestE2ERecipientPage: looks never release the ciphertext; the open that
// carries the claim gets it, once, and no grant.
func TestE2ERecipientPage(t *testing.T) {
	s := newTestServer(t)
	ada := s.admin()
	secret := e2e.NewSecret()
	claim := base64.RawURLEncoding.EncodeToString(e2e.Claim(secret))
	ct := e2e.Seal(e2e.Key(secret, ""), e2e.Header{Kind: "message"}, []byte("only for the fragment's holder"))
	link := s.shareE2E("message", "", base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret))), ct)
	path := link[len(s.URL):]
	// Its owner sees how it stands, without an Open that could not
	// decrypt: the key was only in the address.
	if res := ada.get(path); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="own-link"`) ||
		strings.Contains(res.body, `data-testid="open-yourself"`) {
		t.Fatalf("the owner's look: %d %s", res.StatusCode, res.body)
	}
	r := s.client()
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		res := r.request(method, path, nil, nil)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Security-Policy") != components.E2ELinkPolicy ||
			res.Header.Get("Referrer-Policy") != "no-referrer" || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %v", method, res.StatusCode, res.Header)
		}
		if method == http.MethodGet && (!strings.Contains(res.body, `data-testid="e2e-nojs"`) || strings.Contains(res.body, string(ct[20:40]))) {
			t.Fatalf("the page: %s", res.body)
		}
	}
	// The plain Open of a page without JavaScript: refused, nothing used.
	if res := r.post(path, url.Values{}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("an open without a claim: %d", res.StatusCode)
	}
	wrong := base64.RawURLEncoding.EncodeToString(e2e.Claim(e2e.NewSecret()))
	if reply, status := e2eOpen(r, path, url.Values{"claim": {wrong}}); status != http.StatusForbidden || reply.Code != "wrong_key" || reply.Message == "" {
		t.Fatalf("a wrong claim: %d %+v", status, reply)
	}
	res := r.post(path, url.Values{"claim": {claim}})
	if res.StatusCode != http.StatusOK || !bytes.Equal([]byte(res.body), ct) || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("the open: %d %v", res.StatusCode, res.Header)
	}
	for _, c := range res.Cookies() {
		if c.Name == grantCookie {
			t.Error("an end-to-end open set a grant")
		}
	}
	if res := r.get(path); res.StatusCode != http.StatusGone {
		t.Fatalf("after the open: %d", res.StatusCode)
	}
}

// e2eOpen sends the open of an end-to-end link as e2e.js does, and reads a
// refusal as it does.
func e2eOpen(c *testClient, path string, form url.Values) (scriptRefusal, int) {
	c.t.Helper()
	res := c.request(http.MethodPost, path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {formType}, "Accept": {"application/json"}})
	var reply scriptRefusal
	if res.StatusCode != http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &reply); err != nil {
			c.t.Fatalf("a refusal that is not JSON: %d %s", res.StatusCode, res.body)
		}
	}
	return reply, res.StatusCode
}

// shareE2EWithPassword shares message end to end behind password, as a
// browser does, and returns the link's path and the claim its page sends
// with an open.
func (s *testServer) shareE2EWithPassword(password, message string) (path, claim string) {
	s.t.Helper()
	secret := e2e.NewSecret()
	ct := e2e.Seal(e2e.Key(secret, password), e2e.Header{Kind: "message"}, []byte(message))
	link := s.shareE2E("message", password, base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret))), ct)
	return link[len(s.URL):], base64.RawURLEncoding.EncodeToString(e2e.Claim(secret))
}

// A wrong password on an end-to-end link is refused beside the password
// field, with the tries left, as on any other link's page.
func TestE2EWrongPassword(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	path, claim := s.shareE2EWithPassword("right horse", "behind a password too")
	r := s.client()
	reply, status := e2eOpen(r, path, url.Values{"claim": {claim}, "password": {"wrong horse"}})
	if status != http.StatusForbidden || reply.Code != "wrong_password" || reply.Field != "password" ||
		!strings.Contains(reply.Message, "not right") || !strings.Contains(reply.Hint, "left before oncelink makes you wait") {
		t.Fatalf("a wrong password: %d %+v", status, reply)
	}
	if _, status := e2eOpen(r, path, url.Values{"claim": {claim}, "password": {"right horse"}}); status != http.StatusOK {
		t.Fatalf("the right password after a wrong one: %d", status)
	}
}

// TestE2EMalformedClaim: what cannot be a claim, not 43 characters of
// base64url, is bad input in the claim field: a 400 that spends none of
// the tries that wrong claims and passwords share, and leaves the link as
// it was. A well-formed wrong claim still spends one.
func TestE2EMalformedClaim(t *testing.T) {
	twoTries := func(c *core.Config) { c.Rates.LinkPassword = core.Rate{N: 2, Per: time.Minute} }
	forEachLimitStore(t, twoTries, func(t *testing.T, s *testServer) {
		s.admin()
		secret := e2e.NewSecret()
		raw := e2e.Claim(secret)
		claim := base64.RawURLEncoding.EncodeToString(raw)
		check := base64.RawURLEncoding.EncodeToString(e2e.Check(raw))
		ct := e2e.Seal(e2e.Key(secret, ""), e2e.Header{Kind: "message"}, []byte("for the key's holder"))
		path := s.shareE2E("message", "", check, ct)[len(s.URL):]
		r := s.client()
		for _, bad := range []string{"short", claim[:42], claim + "A", claim[:42] + "!", base64.URLEncoding.EncodeToString(raw),
			base64.StdEncoding.EncodeToString(append([]byte{0xfb, 0xff}, raw[2:]...)), strings.Repeat("A", 4000)} {
			reply, status := e2eOpen(r, path, url.Values{"claim": {bad}})
			if status != http.StatusBadRequest || reply.Code != "e2e_claim_invalid" || reply.Field != "claim" || reply.Message == "" {
				t.Fatalf("claim %.50q: %d %+v, want 400 e2e_claim_invalid in claim", bad, status, reply)
			}
		}
		if l := linkOf(t, s, s.URL+path); l.Uses != 0 {
			t.Fatalf("after malformed claims: %d uses", l.Uses)
		}
		// The tries are all left: two wrong claims, then the limit.
		wrong := base64.RawURLEncoding.EncodeToString(e2e.Claim(e2e.NewSecret()))
		for i := range 2 {
			if reply, status := e2eOpen(r, path, url.Values{"claim": {wrong}}); status != http.StatusForbidden || reply.Code != "wrong_key" {
				t.Fatalf("wrong claim %d: %d %+v", i+1, status, reply)
			}
		}
		if _, status := e2eOpen(r, path, url.Values{"claim": {claim}}); status != http.StatusTooManyRequests {
			t.Fatalf("the right claim after two wrong ones: %d, want 429", status)
		}
		s.clock.Advance(time.Minute)
		if res := r.post(path, url.Values{"claim": {claim}}); res.StatusCode != http.StatusOK || !bytes.Equal([]byte(res.body), ct) {
			t.Fatalf("the right claim once the wait is over: %d", res.StatusCode)
		}
	})
}

// TestE2ELockout: the last wrong password on an end-to-end link is
// answered with the wait it began (a 429 with Retry-After), as the page
// of a link the server seals says it at once; and the link's page during
// the wait, a reload, comes with the notice and its form held back until
// then, which e2e.js shows, as such a page does.
func TestE2ELockout(t *testing.T) {
	s := newTestServer(t)
	s.admin()
	path, claim := s.shareE2EWithPassword("right horse", "behind a password too")
	r := s.client()
	r.get(path)
	for i := range 4 {
		reply, status := e2eOpen(r, path, url.Values{"claim": {claim}, "password": {"wrong horse"}})
		if status != http.StatusForbidden || reply.Code != "wrong_password" || !strings.Contains(reply.Hint, strconv.Itoa(4-i)) {
			t.Fatalf("wrong password %d: %d %+v", i+1, status, reply)
		}
	}
	res := r.request(http.MethodPost, path, strings.NewReader(url.Values{"claim": {claim}, "password": {"wrong horse"}}.Encode()),
		http.Header{"Content-Type": {formType}, "Accept": {"application/json"}})
	var reply scriptRefusal
	if err := json.Unmarshal([]byte(res.body), &reply); err != nil || res.StatusCode != http.StatusTooManyRequests ||
		res.Header.Get("Retry-After") != "12" || reply.Code != "rate_limited" || reply.Message == "" {
		t.Fatalf("the last wrong password: %d, Retry-After %q, %s; want 429, a wait of 12s", res.StatusCode, res.Header.Get("Retry-After"), res.body)
	}

	retryAt := strconv.FormatInt(s.clock.Now().Add(12*time.Second).UnixMilli(), 10)
	res = r.get(path)
	lockout := testIDs(t, res.body, "lockout")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "12" || len(lockout) != 2 ||
		attr(lockout[0], "data-retry-at") != retryAt || !hasAttr(lockout[0], "data-e2e-held") ||
		!strings.Contains(textOf(lockout[0]), "12 seconds") {
		t.Fatalf("the page during the wait: %d, Retry-After %q, %d lockout notices (the held one, and e2e.js's template)",
			res.StatusCode, res.Header.Get("Retry-After"), len(lockout))
	}
	if !strings.Contains(res.body, `<fieldset class="bare" disabled data-retry-at="`+retryAt+`">`) {
		t.Fatal("the page during the wait: the form is not held back until the wait is over")
	}

	s.clock.Advance(12 * time.Second)
	if res := r.get(path); res.StatusCode != http.StatusOK || len(testIDs(t, res.body, "lockout")) != 1 || strings.Contains(res.body, "data-retry-at") {
		t.Fatalf("the page once the wait is over: %d, or still held back", res.StatusCode)
	}
	if _, status := e2eOpen(r, path, url.Values{"claim": {claim}, "password": {"right horse"}}); status != http.StatusOK {
		t.Fatalf("the right password once the wait is over: %d", status)
	}
}
