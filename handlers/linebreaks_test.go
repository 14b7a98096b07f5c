package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"oncelink/core"
)

// A browser sends each line break of a textarea as CRLF. What was typed in
// a page's form reaches a program that opens it with the line breaks it
// had in the page, and a message that fits in the page fits the bound.
func TestTypedLineBreaksAreKept(t *testing.T) {
	s := newTestServer(t)
	ann := s.admin()
	ctx := context.Background()
	open := func(link string) string {
		t.Helper()
		_, tok, _ := strings.Cut(link, "/l/")
		c := core.Client{IP: "192.0.2.9"}
		turn, err := s.h.core.TakeTurn(ctx, core.OpenAction, c)
		if err != nil {
			t.Fatal(err)
		}
		o, err := s.h.core.Open(ctx, turn, tok, "", core.Recipient{Client: c})
		if err != nil {
			t.Fatal(err)
		}
		return o.Message
	}
	const key = "-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----\r\n"
	if got, want := open(ann.createLink(url.Values{"message": {key}})), strings.ReplaceAll(key, "\r\n", "\n"); got != want {
		t.Errorf("a message typed in the form opens as %q, want %q", got, want)
	}
	// 64 KiB exactly, in lines of 16 bytes as the page holds them: the
	// browser sends 4096 bytes more.
	full := strings.Repeat("fifteen bytes..\n", core.MaxMessageBytes/16)
	if got := open(ann.createLink(url.Values{"message": {strings.ReplaceAll(full, "\n", "\r\n")}})); got != full {
		t.Errorf("a message of 64 KiB typed in the form opens as %d bytes", len(got))
	}

	// A request's note, and what its sender typed.
	req := ann.createRequest(url.Values{"note": {"the key,\r\nplease"}})
	page := s.client().get(req)
	if !strings.Contains(page.body, "the key,\nplease") {
		t.Errorf("the note is not as typed: %s", page.body)
	}
	if res := s.client().post(req, url.Values{"message": {key}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d %s", res.StatusCode, res.body)
	}
	res := ann.post(req+"/open", nil)
	link := res.Header.Get("Location")
	if got := ann.get(link); !strings.Contains(got.body, "-----BEGIN KEY-----\nabc\n") || strings.Contains(got.body, "\r") {
		t.Errorf("what was sent is not as typed: %q", got.body)
	}
}
