package core

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"oncelink/store"
)

// softPasskey is an authenticator in the test: one ES256 passkey of an
// account, whose signature counter stays 0, as many platform
// authenticators' (synced passkeys) do, so that no counter tells a
// replayed answer from a fresh one.
type softPasskey struct {
	key    *ecdsa.PrivateKey
	id     []byte
	handle []byte
}

// newSoftPasskey makes a passkey and adds it to account's, as a finished
// registration would.
func newSoftPasskey(t *testing.T, st *store.Store, account int64) softPasskey {
	t.Helper()
	return anotherSoftPasskey(t, st, account, nil)
}

// anotherSoftPasskey is newSoftPasskey for an account that has passkeys
// already, whose user handle, handle, the new one carries too; a new
// random handle when it is nil.
func anotherSoftPasskey(t *testing.T, st *store.Store, account int64, handle []byte) softPasskey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := softPasskey{key: key, id: make([]byte, 16), handle: handle}
	rand.Read(p.id)
	if p.handle == nil {
		p.handle = make([]byte, 32)
		rand.Read(p.handle)
	}
	x, y := make([]byte, 32), make([]byte, 32)
	key.PublicKey.X.FillBytes(x)
	key.PublicKey.Y.FillBytes(y)
	public, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: x, YCoord: y,
	})
	if err != nil {
		t.Fatal(err)
	}
	record, err := json.Marshal(webauthn.Credential{ID: p.id, PublicKey: public, AttestationType: "none",
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddPasskey(context.Background(), store.Passkey{AccountID: account, CredentialID: p.id,
		UserHandle: p.handle, Name: "phone", Credential: record}, MaxPasskeys); err != nil {
		t.Fatal(err)
	}
	return p
}

// answer is the authenticator's answer to options, a sign-in's, for the
// server at base: what passkeys.js sends.
func (p softPasskey) answer(t *testing.T, base string, options []byte) []byte {
	t.Helper()
	return p.answerCounting(t, base, options, 0)
}

// answerCounting is answer with the signature counter at counter, as an
// authenticator that counts its signatures gives it.
func (p softPasskey) answerCounting(t *testing.T, base string, options []byte, counter uint32) []byte {
	t.Helper()
	var o protocol.CredentialAssertion
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	client, err := json.Marshal(map[string]string{"type": "webauthn.get",
		"challenge": base64.RawURLEncoding.EncodeToString(o.Response.Challenge), "origin": u.Scheme + "://" + u.Host})
	if err != nil {
		t.Fatal(err)
	}
	rp := sha256.Sum256([]byte(u.Hostname()))
	// User present and verified, and the signature counter.
	data := binary.BigEndian.AppendUint32(append(rp[:], 0x05), counter)
	clientHash := sha256.Sum256(client)
	signed := sha256.Sum256(append(data, clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, p.key, signed[:])
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	answer, err := json.Marshal(map[string]any{"id": b64(p.id), "rawId": b64(p.id), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64(client), "authenticatorData": b64(data),
			"signature": b64(sig), "userHandle": b64(p.handle)}})
	if err != nil {
		t.Fatal(err)
	}
	return answer
}

// TestPasskeyAnswerTakenOnce: an answer to a passkey ceremony signs in
// once, checked by the database, whatever the adapter keeps of the
// ceremony: two requests of one browser that both read its session before
// either saved it, or a copy of the answer sent again, find it taken,
// with an authenticator whose counter tells nothing.
func TestPasskeyAnswerTakenOnce(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, ada := newServiceOn(t, dsn, func(c *Config) { c.BaseURL = "https://share.example" })
		ctx := context.Background()
		key := newSoftPasskey(t, st, ada.ID)
		for _, second := range []bool{false, true} {
			var a *Account
			if second {
				a = &ada
			}
			options, state, err := s.BeginPasskeySignIn(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			answer := key.answer(t, "https://share.example", options)
			for try := range 2 {
				turn, err := s.TakeTurn(ctx, SignInAction, Client{IP: "192.0.2.1"})
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.FinishPasskeySignIn(ctx, turn, a, state, answer)
				switch {
				case try == 0 && (err != nil || got.ID != ada.ID):
					t.Fatalf("second step %v: the answer signs in %+v, %v", second, got, err)
				case try == 1 && !errors.Is(err, errPasskeyStale):
					t.Errorf("second step %v: the same answer again signs in %+v, %v; want it refused as spent", second, got, err)
				}
			}
		}
	})
}

// TestPasskeySignInOffWithPasswords: where password sign-in is off, the
// identity provider is the one way in, and a passkey alone does not sign
// in: no ceremony starts, and an answer to one begun before it was turned
// off is refused too.
func TestPasskeySignInOffWithPasswords(t *testing.T) {
	s, st, ada := newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"))
	ctx := context.Background()
	key := newSoftPasskey(t, st, ada.ID)
	options, state, err := s.BeginPasskeySignIn(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.NoPasswordSignIn = true
	if s.PasskeySignIn() {
		t.Error("PasskeySignIn with password sign-in off")
	}
	if _, _, err := s.BeginPasskeySignIn(ctx, nil); !errors.Is(err, ErrPasswordSignInOff) {
		t.Errorf("a passkey sign-in begun with password sign-in off: %v", err)
	}
	turn, err := s.TakeTurn(ctx, SignInAction, Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.FinishPasskeySignIn(ctx, turn, nil, state, key.answer(t, "https://share.example", options)); !errors.Is(err, ErrPasswordSignInOff) {
		t.Errorf("an answer to a ceremony begun before password sign-in was turned off signs in %+v, %v", got, err)
	}
}

// TestPasskeyFoundCloned: an answer whose signature counter went back, or
// stayed, is WebAuthn's sign of a copied passkey: it is refused, and the
// passkey signs in no more, whatever the counter of a later answer says;
// it is kept so, listed for its owner to remove, and the server logs it.
// The same answer sent twice is no such sign, and an authenticator whose
// counter stays 0, as synced passkeys' does, signs in again and again. On
// either database.
func TestPasskeyFoundCloned(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, ada := newServiceOn(t, dsn, func(c *Config) { c.BaseURL = "https://share.example" })
		var logs bytes.Buffer
		s.log = slog.New(slog.NewTextHandler(&logs, nil))
		ctx := context.Background()
		counting := newSoftPasskey(t, st, ada.ID)
		synced := anotherSoftPasskey(t, st, ada.ID, counting.handle)
		// signIn answers a ceremony with key's counter at counter, a
		// second step of ada's or, with second false, a sign-in without
		// her name; twice when twice is set, as a form sent again.
		signIn := func(key softPasskey, counter uint32, second, twice bool) error {
			t.Helper()
			var a *Account
			if second {
				a = &ada
			}
			options, state, err := s.BeginPasskeySignIn(ctx, a)
			if err != nil {
				return err
			}
			answer := key.answerCounting(t, "https://share.example", options, counter)
			for range 2 {
				turn, err := s.TakeTurn(ctx, SignInAction, Client{IP: "192.0.2.1"})
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.FinishPasskeySignIn(ctx, turn, a, state, answer)
				if err == nil && got.ID != ada.ID {
					t.Fatalf("signed in %+v", got)
				}
				if !twice || err != nil {
					return err
				}
				twice = false
			}
			return errors.New("the same answer signed in twice")
		}
		cloned := func(key softPasskey) bool {
			t.Helper()
			k, err := st.PasskeyByCredential(ctx, key.id)
			if err != nil {
				t.Fatal(err)
			}
			return !k.ClonedAt.IsZero()
		}

		for i, counter := range []uint32{3, 5, 9} {
			if err := signIn(counting, counter, i%2 == 0, false); err != nil {
				t.Fatalf("the counter at %d: %v; logs: %s", counter, err, logs.String())
			}
		}
		// The same answer again finds its challenge taken, though its
		// counter is no longer above the one kept: no copy.
		if err := signIn(counting, 10, true, true); !errors.Is(err, errPasskeyStale) || cloned(counting) {
			t.Fatalf("an answer sent twice: %v, found cloned %v", err, cloned(counting))
		}
		for i := range 4 {
			if err := signIn(synced, 0, i%2 == 0, false); err != nil || cloned(synced) {
				t.Fatalf("a counter that stays 0, sign-in %d: %v, found cloned %v", i+1, err, cloned(synced))
			}
		}

		// A copy answers with the counter it had when it was made.
		if err := signIn(counting, 7, false, false); !errors.Is(err, errPasskeyRefused) {
			t.Fatalf("the counter gone back: %v", err)
		}
		if !cloned(counting) || !strings.Contains(logs.String(), "passkey found cloned") {
			t.Fatalf("a counter gone back: found cloned %v; logs: %s", cloned(counting), logs.String())
		}
		for i, counter := range []uint32{11, 1000} {
			if err := signIn(counting, counter, i%2 == 0, false); !errors.Is(err, errPasskeyRefused) {
				t.Fatalf("once found cloned, the counter at %d: %v", counter, err)
			}
		}
		// Not offered at the second step; the other signs in as before.
		options, _, err := s.BeginPasskeySignIn(ctx, &ada)
		if err != nil {
			t.Fatal(err)
		}
		var o protocol.CredentialAssertion
		if err := json.Unmarshal(options, &o); err != nil {
			t.Fatal(err)
		}
		if len(o.Response.AllowedCredentials) != 1 || !bytes.Equal(o.Response.AllowedCredentials[0].CredentialID, synced.id) {
			t.Errorf("the second step offers %d passkeys", len(o.Response.AllowedCredentials))
		}
		if err := signIn(synced, 0, true, false); err != nil {
			t.Fatalf("the other passkey: %v", err)
		}
		keys, err := s.Passkeys(ctx, ada.ID)
		if err != nil || len(keys) != 2 || keys[0].ClonedAt.IsZero() || !keys[1].ClonedAt.IsZero() {
			t.Fatalf("passkeys listed: %+v, %v", keys, err)
		}
		// Its owner removes it.
		if _, err := s.DeletePasskey(ctx, ada, keys[0].ID, &Proof{ProvenAt: s.Now()}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPasskeysNotAddedWithPasswordsOff: where password sign-in is off, no
// passkey signs in, and none is added: a ceremony neither starts nor
// ends, one begun before it was turned off too. Those the account has are
// listed and removed as before.
func TestPasskeysNotAddedWithPasswordsOff(t *testing.T) {
	s, st, ada := newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"))
	ctx := context.Background()
	newSoftPasskey(t, st, ada.ID)
	proven := &Proof{ProvenAt: s.Now()}
	_, state, err := s.BeginPasskey(ctx, ada, "laptop", proven)
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.NoPasswordSignIn = true
	if _, _, err := s.BeginPasskey(ctx, ada, "laptop", proven); !errors.Is(err, ErrPasswordSignInOff) {
		t.Errorf("a passkey added with password sign-in off: %v", err)
	}
	if _, _, err := s.FinishPasskey(ctx, ada, state, []byte(`{"id":"x"}`)); !errors.Is(err, ErrPasswordSignInOff) {
		t.Errorf("a passkey begun before password sign-in was turned off: %v", err)
	}
	keys, err := s.Passkeys(ctx, ada.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("passkeys listed: %d, %v", len(keys), err)
	}
	if _, err := s.DeletePasskey(ctx, ada, keys[0].ID, proven); err != nil {
		t.Fatalf("a passkey removed with password sign-in off: %v", err)
	}
}
