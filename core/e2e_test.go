package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oncelink/e2e"
	"oncelink/i18n"
)

// newE2EService is a Service with the rate limits on and small upload
// limits, over a fresh SQLite file with one account.
func newE2EService(t *testing.T) (*Service, Account) {
	t.Helper()
	s, _, owner := newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"), func(c *Config) {
		c.MaxTTL, c.MaxUpload, c.MaxE2EUpload, c.RateLimits = time.Hour, 1<<20, 2<<20, true
	})
	return s, owner
}

// e2eDraft is a draft holding ct as an end-to-end link's ciphertext.
func e2eDraft(t *testing.T, s *Service, ct []byte) (*Draft, error) {
	t.Helper()
	d := s.NewDraft()
	t.Cleanup(d.Close)
	d.SetE2E("1")
	return d, d.ReceiveFile("secret-name.webm", bytes.NewReader(ct))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestE2ECreateAndOpen(t *testing.T) {
	s, owner := newE2EService(t)
	ctx := context.Background()
	secret := e2e.NewSecret()
	claim := e2e.Claim(secret)
	ct := e2e.Seal(e2e.Key(secret, ""), e2e.Header{Kind: "message"}, []byte("hello"))
	d, err := e2eDraft(t, s, ct)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Create(ctx, owner.ID, d, LinkInput{Kind: KindMessage, TTL: "1h", E2ECheck: b64(e2e.Check(claim))})
	if err != nil {
		t.Fatal(err)
	}
	if c.Link.E2ECheck == nil || c.Link.Kind != KindMessage {
		t.Fatalf("made %+v", c.Link)
	}
	tok := c.URL[strings.LastIndex(c.URL, "/")+1:]
	client := Client{IP: "192.0.2.1"}
	open := func(claim string) (Opened, error) {
		turn, err := s.TakeTurn(ctx, OpenAction, client)
		if err != nil {
			return Opened{}, err
		}
		return s.Open(ctx, turn, tok, "", Recipient{Client: client, Claim: claim})
	}
	// No claim: refused before any limit is touched; a wrong one: refused,
	// and no use taken either way.
	if _, err := open(""); !errors.Is(err, errClaimMissing) {
		t.Fatalf("no claim: %v", err)
	}
	if _, err := open(b64(e2e.Claim(e2e.NewSecret()))); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("a wrong claim: %v", err)
	}
	if _, err := open("not base64!"); !errors.Is(err, errClaimInvalid) {
		t.Fatalf("a mangled claim: %v", err)
	}
	o, err := open(b64(claim))
	if err != nil {
		t.Fatal(err)
	}
	if o.File == nil || o.File.Type != e2eType || o.File.Name != e2eFileName || o.File.Media != "" {
		t.Fatalf("delivered %+v: the server must neither name nor sniff ciphertext", o.File)
	}
	got, err := io.ReadAll(s.FileContent(ctx, o.File))
	if err != nil || !bytes.Equal(got, ct) {
		t.Fatalf("delivered %d bytes, not the ciphertext: %v", len(got), err)
	}
	if _, err := open(b64(claim)); !isKind(err, Gone) {
		t.Fatalf("second open: %v", err)
	}
}

// e2eMessageLink is a new end-to-end message link of owner's, opening
// maxUses times (as LinkInput takes it): its token, the claim that opens
// it, and the link made.
func e2eMessageLink(t *testing.T, s *Service, owner Account, maxUses string) (tok, claim string, c Created) {
	t.Helper()
	secret := e2e.NewSecret()
	d, err := e2eDraft(t, s, e2e.Seal(e2e.Key(secret, ""), e2e.Header{Kind: "message"}, []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	claim = b64(e2e.Claim(secret))
	c, err = s.Create(context.Background(), owner.ID, d, LinkInput{Kind: KindMessage, TTL: "1h", MaxUses: maxUses, E2ECheck: b64(e2e.Check(e2e.Claim(secret)))})
	if err != nil {
		t.Fatal(err)
	}
	return c.URL[strings.LastIndex(c.URL, "/")+1:], claim, c
}

// TestE2EWrongClaimsAreLimited: wrong claims count like wrong passwords,
// so guessing is held back, and the right one then waits too.
func TestE2EWrongClaimsAreLimited(t *testing.T) {
	s, owner := newE2EService(t)
	ctx := context.Background()
	tok, _, c := e2eMessageLink(t, s, owner, "3")
	limited := false
	for i := range 20 {
		client := Client{IP: "198.51.100." + string(rune('1'+i%9))}
		turn, err := s.TakeTurn(ctx, OpenAction, client)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Open(ctx, turn, tok, "", Recipient{Client: client, Claim: b64(e2e.Claim(e2e.NewSecret()))})
		if isKind(err, Limited) {
			limited = true
			break
		}
		if !errors.Is(err, ErrWrongKey) {
			t.Fatalf("wrong claim %d: %v", i, err)
		}
	}
	if !limited {
		t.Fatal("20 wrong claims, and no limit")
	}
	l, err := s.Link(ctx, owner.ID, c.Link.ID)
	if err != nil || l.Uses != 0 {
		t.Fatalf("after wrong claims: %d uses, %v", l.Uses, err)
	}
}

// TestE2EMalformedClaimsSpendNoTry: what cannot be a claim is refused as
// bad input, before any limit of the tries is touched; a well-formed
// wrong claim still spends one.
func TestE2EMalformedClaimsSpendNoTry(t *testing.T) {
	s, owner := newE2EService(t)
	ctx := context.Background()
	tok, claim, c := e2eMessageLink(t, s, owner, "")
	client := Client{IP: "192.0.2.7"}
	open := func(claim string) error {
		turn, err := s.TakeTurn(ctx, OpenAction, client)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Open(ctx, turn, tok, "", Recipient{Client: client, Claim: claim})
		return err
	}
	for i := range 2 * DefaultRates.LinkPassword.N {
		bad := []string{"short", claim[:42], claim + "A", "=" + claim[1:], claim + "="}[i%5]
		if err := open(bad); !errors.Is(err, errClaimInvalid) {
			t.Fatalf("malformed claim %q: %v", bad, err)
		}
	}
	for i := range DefaultRates.LinkPassword.N {
		if err := open(b64(e2e.Claim(e2e.NewSecret()))); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("wrong claim %d after the malformed ones: %v", i+1, err)
		}
	}
	if err := open(claim); !isKind(err, Limited) {
		t.Fatalf("the right claim once the tries are spent: %v", err)
	}
	if l, err := s.Link(ctx, owner.ID, c.Link.ID); err != nil || l.Uses != 0 {
		t.Fatalf("%d uses, %v", l.Uses, err)
	}
}

func TestE2ELimits(t *testing.T) {
	s, owner := newE2EService(t)
	ctx := context.Background()
	check := b64(e2e.Check(e2e.Claim(e2e.NewSecret())))
	// A file over MaxE2EUpload is refused as it arrives; one between
	// MaxUpload and it is taken.
	if _, err := e2eDraft(t, s, make([]byte, 2<<20+1)); !isKind(err, TooLarge) {
		t.Fatalf("over --max-e2e-upload: %v", err)
	}
	d, err := e2eDraft(t, s, make([]byte, 1<<20+100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, owner.ID, d, LinkInput{Kind: KindFile, TTL: "1h", E2ECheck: check}); err != nil {
		t.Fatalf("an e2e file over --max-upload but within --max-e2e-upload: %v", err)
	}
	for _, tc := range []struct {
		name  string
		kind  string
		ct    []byte
		check string
		code  string
	}{
		{"message over its bound", KindMessage, make([]byte, MaxE2EText+1), check, "message_too_long"},
		{"too short to be ciphertext", KindMessage, []byte("tiny"), check, "e2e_content_invalid"},
		{"a bad check", KindURL, make([]byte, 100), "abc", "e2e_check_invalid"},
		{"an unknown kind", "poem", make([]byte, 100), check, "kind_unknown"},
	} {
		d, err := e2eDraft(t, s, tc.ct)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Create(ctx, owner.ID, d, LinkInput{Kind: tc.kind, TTL: "1h", E2ECheck: tc.check})
		if e, ok := AsError(err); !ok || e.Code != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// The check without ciphertext.
	if _, err := s.Create(ctx, owner.ID, s.NewDraft(), LinkInput{Kind: KindMessage, Message: "plain", TTL: "1h", E2ECheck: check}); err == nil {
		t.Error("an e2e link without ciphertext was made")
	}
}

// TestLargestE2EFile: the largest file that fits, sealed under the
// largest header, is as long as the limit allows, and a byte more is
// refused, with the refusal naming it.
func TestLargestE2EFile(t *testing.T) {
	for _, limit := range []int64{1 << 10, 4131, 5 << 10, 64<<10 + 4131, 1 << 20, 2 << 20, 25 << 20, 1 << 30} {
		largest := LargestE2EFile(limit)
		if largest < 0 || largest > limit || (largest > 0 && e2e.SealedSize(largest, e2e.MaxHeader) > limit) ||
			e2e.SealedSize(largest+1, e2e.MaxHeader) <= limit {
			t.Errorf("LargestE2EFile(%d) = %d, sealed %d", limit, largest, e2e.SealedSize(largest, e2e.MaxHeader))
		}
	}
	if got := LargestE2EFile(1 << 10); got != 0 {
		t.Errorf("under a limit smaller than the largest header, %d bytes fit", got)
	}

	s, _ := newE2EService(t)
	limit := s.cfg.MaxE2EUpload
	largest := LargestE2EFile(limit)
	// A header of e2e.MaxHeader bytes, its name as long as that leaves.
	h := e2e.Header{Kind: "file", Type: "application/octet-stream"}
	short, _ := json.Marshal(h)
	h.Name = strings.Repeat("n", e2e.MaxHeader-len(short)-len(`,"name":""`))
	key := e2e.Key(e2e.NewSecret(), "")
	if ct := e2e.Seal(key, h, make([]byte, largest)); int64(len(ct)) != limit {
		t.Fatalf("the largest file, sealed, is %d bytes, not the limit's %d", len(ct), limit)
	} else if _, err := e2eDraft(t, s, ct); err != nil {
		t.Fatalf("the largest file: %v", err)
	}
	_, err := e2eDraft(t, s, e2e.Seal(key, h, make([]byte, largest+1)))
	e, ok := AsError(err)
	if !ok || e.Code != "file_too_large" || e.Field != "file" ||
		!strings.Contains(e.Msg, "one of up to "+i18n.For("en").Number(largest)+" bytes fits") {
		t.Fatalf("a byte more: %v", err)
	}
}

// isKind reports whether err is an *Error of kind k.
func isKind(err error, k Kind) bool {
	e, ok := AsError(err)
	return ok && e.Kind == k
}
