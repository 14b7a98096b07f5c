package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"

	"oncelink/e2e"
)

// TestE2EExchanges makes and opens an end-to-end link through the API, as
// the CLI does, with every exchange checked against the OpenAPI document.
func TestE2EExchanges(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	secret := e2e.NewSecret()
	claim := base64.RawURLEncoding.EncodeToString(e2e.Claim(secret))
	ct := e2e.Seal(e2e.Key(secret, "pw"), e2e.Header{Kind: "url"}, []byte("https://example.com/x"))
	form := func(on, check string, ct []byte) (string, *bytes.Buffer) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("kind", "url")
		mw.WriteField("ttl", "1h")
		mw.WriteField("password", "pw")
		mw.WriteField("url", "https://example.com/in-the-clear")
		mw.WriteField("e2e", on)
		if check != "" {
			mw.WriteField("e2e_check", check)
		}
		fw, _ := mw.CreateFormFile("file", "oncelink-e2e.bin")
		fw.Write(ct)
		mw.Close()
		return mw.FormDataContentType(), &body
	}
	// An end-to-end link asked for wrongly is refused, never made as a
	// link the server can read.
	for _, tt := range []struct{ on, check, code, field string }{
		{"1", "short", "e2e_check_invalid", "e2e_check"},
		{"1", "", "e2e_check_missing", "e2e_check"},
		{"yes", base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret))), "e2e_invalid", "e2e"},
	} {
		ctype, body := form(tt.on, tt.check, ct)
		res := ada.do(http.MethodPost, "/api/v1/links", ctype, body, nil)
		if p := res.problem(); res.StatusCode != http.StatusBadRequest || p.Code != tt.code || p.Field != tt.field {
			t.Fatalf("e2e %q, e2e_check %q: %d %s, want 400 %s in %s", tt.on, tt.check, res.StatusCode, res.body, tt.code, tt.field)
		}
	}
	ctype, body := form("1", base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret))), ct)
	res := ada.do(http.MethodPost, "/api/v1/links", ctype, body, nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	var l createdLink
	json.Unmarshal(res.body, &l)
	if !l.E2E || l.Kind != "url" {
		t.Fatalf("created %+v", l)
	}
	var listed struct{ Links []link }
	json.Unmarshal(ada.get("/api/v1/links").body, &listed)
	if len(listed.Links) != 1 || !listed.Links[0].E2E {
		t.Fatalf("listed %+v", listed.Links)
	}
	anon := s.client("")
	if res := anon.postJSON(openPath(l.URL), map[string]string{"password": "pw"}); res.StatusCode != http.StatusBadRequest || res.problem().Code != "e2e_claim_missing" || res.problem().Field != "claim" {
		t.Fatalf("no claim: %d %s", res.StatusCode, res.body)
	}
	// What cannot be a claim is bad input, not a wrong key.
	if res := anon.postJSON(openPath(l.URL), map[string]string{"password": "pw", "claim": "short"}); res.StatusCode != http.StatusBadRequest || res.problem().Code != "e2e_claim_invalid" || res.problem().Field != "claim" {
		t.Fatalf("a malformed claim: %d %s", res.StatusCode, res.body)
	}
	wrong := base64.RawURLEncoding.EncodeToString(e2e.Claim(e2e.NewSecret()))
	if res := anon.postJSON(openPath(l.URL), map[string]string{"password": "pw", "claim": wrong}); res.StatusCode != http.StatusForbidden || res.problem().Code != "wrong_key" || res.problem().Field != "claim" {
		t.Fatalf("a wrong claim: %d %s", res.StatusCode, res.body)
	}
	if res := anon.postJSON(openPath(l.URL), map[string]string{"claim": claim}); res.StatusCode != http.StatusForbidden || res.problem().Code != "wrong_password" {
		t.Fatalf("no password: %d %s", res.StatusCode, res.body)
	}
	res = anon.postJSON(openPath(l.URL), map[string]string{"password": "pw", "claim": claim})
	if res.StatusCode != http.StatusOK || res.Header.Get("Oncelink-Kind") != "e2e" || !bytes.Equal(res.body, ct) {
		t.Fatalf("open: %d %v, %d bytes", res.StatusCode, res.Header, len(res.body))
	}
	h, plain, err := e2e.Open(e2e.Key(secret, "pw"), res.body)
	if err != nil || h.Kind != "url" || string(plain) != "https://example.com/x" {
		t.Fatalf("decrypted %+v %q, %v", h, plain, err)
	}
	if res := anon.postJSON(openPath(l.URL), map[string]string{"password": "pw", "claim": claim}); res.StatusCode != http.StatusGone {
		t.Fatalf("second open: %d", res.StatusCode)
	}
	// A claim to a link the server sealed is refused before its use is
	// taken: whoever sent it expects what a key seals.
	sealed := ada.create(nil)
	if res := anon.postJSON(openPath(sealed.URL), map[string]string{"claim": claim}); res.StatusCode != http.StatusBadRequest || res.problem().Code != "not_e2e" || res.problem().Field != "claim" {
		t.Fatalf("a claim to a link the server sealed: %d %s", res.StatusCode, res.body)
	}
	if res := anon.postJSON(openPath(sealed.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("that link without a claim: %d %s", res.StatusCode, res.body)
	}
}
