package core

import (
	"bytes"
	"context"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oncelink/i18n"
	"oncelink/store"
)

// newBoundedService is a Service over a fresh SQLite file whose accounts
// may keep limit bytes, with one account, ada.
func newBoundedService(t *testing.T, limit int64) (*Service, *store.Store, Account) {
	t.Helper()
	return newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"), func(c *Config) { c.AccountStorage = limit })
}

// storageRefusal checks that err refuses a link past the bound, about
// field, and returns its message in English.
func storageRefusal(t *testing.T, err error, field string) string {
	t.Helper()
	e, ok := AsError(err)
	if !ok || e.Code != "account_storage_full" || e.Kind != TooLarge || e.Field != field {
		t.Fatalf("want account_storage_full about %s, got %#v", field, err)
	}
	return e.Message(i18n.For("en"))
}

// TestAccountStorage: a link that would take its owner's stored content
// past Config.AccountStorage is refused beside its field, saying what the
// owner keeps, the bound and what frees space, and nothing is kept: not a
// message, not a file, whose spool goes with its draft. A sender to the
// owner's request learns only that the owner's space is full. Revoking a
// link frees its space.
func TestAccountStorage(t *testing.T) {
	spools := t.TempDir()
	t.Setenv("TMPDIR", spools)
	s, st, owner := newBoundedService(t, 100)
	ctx := context.Background()
	create := func(in LinkInput) (Created, error) {
		d := s.NewDraft()
		defer d.Close()
		in.TTL = "1h"
		return s.Create(ctx, owner.ID, d, in)
	}
	first, err := create(LinkInput{Kind: KindMessage, Message: strings.Repeat("a", 60)})
	if err != nil {
		t.Fatal(err)
	}
	if used, limit, err := s.StorageUsage(ctx, owner.ID); used != 60 || limit != 100 || err != nil {
		t.Fatalf("usage: %d of %d, %v", used, limit, err)
	}
	_, err = create(LinkInput{Kind: KindMessage, Message: strings.Repeat("b", 41)})
	msg := storageRefusal(t, err, "message")
	for _, want := range []string{"60 bytes of the 100 bytes", "Revoking links", "opened or expires", "Nothing was stored"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal %q does not say %q", msg, want)
		}
	}
	_, err = create(LinkInput{Kind: KindURL, URL: "https://example.com/" + strings.Repeat("c", 30)})
	storageRefusal(t, err, "url")

	// A file is refused once the whole form is in, and its spool goes.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", KindFile)
	fw, _ := mw.CreateFormFile("file", "notes.txt")
	fw.Write(bytes.Repeat([]byte("d"), 50))
	mw.Close()
	d := s.NewDraft()
	form, err := d.ReadMultipart(&body, mw.Boundary(), int64(body.Len()), Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Create(ctx, owner.ID, d, LinkInput{Kind: form.Get("kind"), TTL: "1h"})
	storageRefusal(t, err, "file")
	d.Close()
	if left, _ := os.ReadDir(spools); len(left) != 0 {
		t.Errorf("a refused file's spool is left: %v", left)
	}

	// A sender to the owner's request is not told the owner's figures.
	req, err := s.CreateRequest(ctx, owner.ID, RequestInput{Accepts: AcceptsAny, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	turn, _ := s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.2"})
	d = s.NewDraft()
	defer d.Close()
	_, err = s.Fulfil(ctx, turn, requestToken(t, req.URL), d, strings.Repeat("e", 41), nil)
	msg = storageRefusal(t, err, "message")
	if strings.Contains(msg, "60") || strings.Contains(msg, "100") || !strings.Contains(msg, "full") {
		t.Errorf("the sender is told %q", msg)
	}
	if links, err := st.Links(ctx, owner.ID, store.ListOptions{}); err != nil || len(links) != 1 {
		t.Fatalf("refused links were kept: %d, %v", len(links), err)
	}

	// Revoking the first link frees its space for the send.
	if _, err := s.Revoke(ctx, owner.ID, first.Link.ID, Client{}); err != nil {
		t.Fatal(err)
	}
	turn, _ = s.TakeTurn(ctx, OpenAction, Client{IP: "192.0.2.2"})
	if _, err := s.Fulfil(ctx, turn, requestToken(t, req.URL), d, strings.Repeat("e", 41), nil); err != nil {
		t.Fatal(err)
	}
	if used, _, err := s.StorageUsage(ctx, owner.ID); used != 41 || err != nil {
		t.Fatalf("usage after the revoke and the send: %d, %v", used, err)
	}
}
