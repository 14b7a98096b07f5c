package core

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"

	"oncelink/store"
	"oncelink/token"
)

// TestUsernameLength: MaxUsernameLen counts the characters of a name as
// it is kept, not the code points it was typed with.
func TestUsernameLength(t *testing.T) {
	decomposed := func(n int) string { return strings.Repeat("e\u0301", n) } // é as e and a combining acute
	for _, tt := range []struct {
		name, typed string
		shown       string // "" when refused
	}{
		{"40 decomposed é", decomposed(40), strings.Repeat("é", 40)},
		{"64 decomposed é", decomposed(64), strings.Repeat("é", 64)},
		{"65 decomposed é", decomposed(65), ""},
		{"64 letters", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"65 letters", strings.Repeat("a", 65), ""},
		{"64 full-width letters", strings.Repeat("ａ", 64), strings.Repeat("a", 64)},
		{"64 Hangul syllables as jamo", strings.Repeat("\u1112\u1161\u11ab", 64), strings.Repeat("한", 64)},
		{"one letter under 2 KiB of accents", "e" + strings.Repeat("\u0301", maxUsernameBytes), ""},
	} {
		shown, err := checkUsername(tt.typed)
		switch e, _ := AsError(err); {
		case tt.shown != "" && (err != nil || shown != tt.shown):
			t.Errorf("%s: %q, %v; want %q", tt.name, shown, err, tt.shown)
		case tt.shown == "" && (e == nil || e.Code != "username_too_long"):
			t.Errorf("%s: %q, %v; want username_too_long", tt.name, shown, err)
		}
	}
}

// TestUsernameBytesBound: no character a username may hold takes more
// than maxUsernameBytes/MaxUsernameLen bytes typed fully decomposed, so
// the bound on the bytes sent refuses no name of MaxUsernameLen
// characters. A character that decomposes to nothing takes at most
// utf8.UTFMax; a full-width letter, 3.
func TestUsernameBytesBound(t *testing.T) {
	longest, which := utf8.UTFMax, rune(0)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		s := string(r)
		if !utf8.ValidRune(r) || norm.NFD.IsNormalString(s) {
			continue
		}
		if kept, err := precis.UsernameCasePreserved.String(s); err != nil || kept != s {
			continue
		}
		if n := len(norm.NFD.String(s)); n > longest {
			longest, which = n, r
		}
	}
	t.Logf("longest: %U, %d bytes decomposed", which, longest)
	if longest > maxUsernameBytes/MaxUsernameLen {
		t.Errorf("%U takes %d bytes decomposed, over %d", which, longest, maxUsernameBytes/MaxUsernameLen)
	}
}

// TestUsernamesPassingForLatin: a name in Cyrillic or Greek letters that
// all look like Latin ones is refused, as it could pass for a Latin name
// in a list of accounts; a name with one letter that looks like no Latin
// letter is a name like any other.
func TestUsernamesPassingForLatin(t *testing.T) {
	for _, tt := range []struct {
		typed string
		code  string // "" when accepted
	}{
		{"сор", "username_looks_latin"},      // Cyrillic, passing for cop
		{"ΑΒ", "username_looks_latin"},       // Greek, passing for AB, the same name as ab
		{"СОР", "username_looks_latin"},      // capitals, for COP
		{"Вера", "username_looks_latin"},     // for Bepa
		{"ΚΑΤΙΑ", "username_looks_latin"},    // Greek, for KATIA
		{"οι", "username_looks_latin"},       // Greek, for oi
		{"ѕсаӏе", "username_looks_latin"},    // for scale
		{"АННА", "username_looks_latin"},     // for AHHA
		{"сё", "username_looks_latin"},       // е and a diaeresis, for cë
		{"се\u0308", "username_looks_latin"}, // typed decomposed
		{"ό", "username_looks_latin"},        // ο and an acute, for ó
		{"сор2", "username_looks_latin"},     // digits are the same in both
		{"сор.ор-р_2", "username_looks_latin"},
		{"сор中", "username_looks_latin"}, // so are letters of a third alphabet
		{"иван", ""},
		{"Анна", ""}, // н is no Latin small letter
		{"Антон", ""},
		{"Άννα", ""}, // nor is α
		{"нет", ""},
		{"алёна", ""},
		{"Δημήτρης", ""},
		{"Борис", ""},
		{"Сергей", ""}, // й is и and a breve: и looks like no Latin letter
		{"Νίκος", ""},
		{"ΣΟΣ", ""},
		{"τα", ""},
		{"сор-ж", ""},
		{"cop", ""},
		{"ab", ""},
		{"AB", ""},
		{"2024", ""},
		{"bоb", "username_mixed_scripts"},           // a Cyrillic о among Latin letters
		{"admi\u0307n", "username_hidden_mark"},     // a second dot on the i, for admin
		{"bob\u0338", "username_hidden_mark"},       // a line laid over the b
		{"ze\u0301\u0301d", "username_hidden_mark"}, // the same accent twice
		{"Jose\u0301", ""},                          // é, as it is written
		{"zed\u0301", ""},                           // an accent that shows
		{"Ade\u0301ba\u0301yo\u0323\u0300", ""},     // Yoruba's ọ̀, a letter with two marks of its own
		{"ALİCE", ""},
	} {
		_, err := checkUsername(tt.typed)
		e, _ := AsError(err)
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("%q refused: %v", tt.typed, err)
		case tt.code != "" && (e == nil || e.Code != tt.code || e.Field != "username"):
			t.Errorf("%q: %v, want %s", tt.typed, err, tt.code)
		}
	}
}

// TestLatinLookAlikes: each letter of the table is a Cyrillic or Greek
// letter a username may hold, as PRECIS keeps it and decomposed, so that
// passesForLatin meets it; and each passes for a Latin letter.
func TestLatinLookAlikes(t *testing.T) {
	for r, latin := range latinLookAlikes {
		s := string(r)
		if !unicode.In(r, unicode.Cyrillic, unicode.Greek) || !unicode.IsLetter(r) {
			t.Errorf("%c %U is no Cyrillic or Greek letter", r, r)
		}
		if kept, err := precis.UsernameCasePreserved.String(s); err != nil || kept != s || !norm.NFD.IsNormalString(s) {
			t.Errorf("%c %U is not kept as it is: %q, %v", r, r, kept, err)
		}
		if !unicode.Is(unicode.Latin, latin) {
			t.Errorf("%c %U passes for %c %U, which is not Latin", r, r, latin, latin)
		}
	}
}

// TestPasswordCost: hashes are made at bcrypt's default cost unless the
// configuration names another, and the hash a sign-in for no account is
// compared against has the same cost, so that it takes as long.
func TestPasswordCost(t *testing.T) {
	for _, tt := range []struct{ configured, want int }{{0, bcrypt.DefaultCost}, {bcrypt.MinCost, bcrypt.MinCost}} {
		s := New(Config{PasswordCost: tt.configured}, nil, nil, nil)
		hash, err := s.hashPassword("correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		for what, h := range map[string][]byte{"hash": []byte(hash), "dummy": s.dummy} {
			if got, err := bcrypt.Cost(h); err != nil || got != tt.want {
				t.Errorf("configured %d: the %s's cost is %d (%v), want %d", tt.configured, what, got, err, tt.want)
			}
		}
	}
}

// TestCredentialsSayEveryMistake: a new account's name and password are
// both checked, and each mistake is said about its own field; an adapter
// that says one finds the first.
func TestCredentialsSayEveryMistake(t *testing.T) {
	s, _, _, _ := newRequestService(t)
	_, err := s.AddAccount(context.Background(), "c y", "short", false)
	var fields []string
	for _, e := range AllErrors(err) {
		fields = append(fields, e.Field+" "+e.Code)
	}
	if got := strings.Join(fields, ", "); got != "username username_invalid, password password_too_short" {
		t.Errorf("mistakes: %s", got)
	}
	if e, ok := AsError(err); !ok || e.Field != "username" || e.Kind != Invalid {
		t.Errorf("the first mistake: %v", err)
	}
	// One mistake is that *Error itself.
	if _, err := s.AddAccount(context.Background(), "cy", "short", false); !errors.As(err, new(*Error)) || errors.As(err, new(Errors)) {
		t.Errorf("one mistake: %#v", err)
	}
}

// TestChangePasswordSaysEveryMistake: a wrong current password and a
// short new one are both said, each about its own field, and a wrong
// current password alone is said alone.
func TestChangePasswordSaysEveryMistake(t *testing.T) {
	s, _, _, owner := newRequestService(t)
	ctx := context.Background()
	_, _, err := s.ChangePassword(ctx, owner, "not it at all", "short", noRenewal(t))
	var fields []string
	for _, e := range AllErrors(err) {
		fields = append(fields, e.Field+" "+e.Code)
	}
	if got := strings.Join(fields, ", "); got != "current_password wrong_password, password password_too_short" {
		t.Errorf("mistakes: %s", got)
	}
	if _, _, err := s.ChangePassword(ctx, owner, "not it at all", "a good new password", noRenewal(t)); err != errNotYourPassword {
		t.Errorf("a wrong current password alone: %#v", err)
	}
}

// TestChangesToAGoneAccount: every change to an account that no longer
// exists is ErrAccountGone.
func TestChangesToAGoneAccount(t *testing.T) {
	s, _, _, admin := newRequestService(t)
	ctx := context.Background()
	const gone = 999
	for name, change := range map[string]func() error{
		"reset two-factor": func() error { _, _, err := s.ResetTwoFactor(ctx, &admin, gone); return err },
		"disable":          func() error { _, _, err := s.SetDisabled(ctx, &admin, gone, true); return err },
		"promote":          func() error { _, _, err := s.SetAdmin(ctx, &admin, gone, true); return err },
		"delete":           func() error { _, err := s.DeleteAccount(ctx, &admin, gone); return err },
		"reset password":   func() error { _, err := s.ResetPassword(ctx, admin, gone, ""); return err },
	} {
		if err := change(); err != ErrAccountGone {
			t.Errorf("%s: %v, want ErrAccountGone", name, err)
		}
	}
}

// TestChangesThatFindItSoAlready: making an administrator of one, a
// member of a member, disabling a disabled account or enabling an
// enabled one, or removing the second factors of an account with none
// changes nothing, and says that it did not.
func TestChangesThatFindItSoAlready(t *testing.T) {
	s, st, _, admin := newRequestService(t)
	ctx := context.Background()
	bob, err := s.AddAccount(ctx, "bob", "correct horse battery", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		admin, changed bool
	}{{true, true}, {true, false}, {false, true}, {false, false}} {
		a, changed, err := s.SetAdmin(ctx, &admin, bob.ID, c.admin)
		if err != nil || changed != c.changed || a.Admin != c.admin || a.ID != bob.ID {
			t.Errorf("SetAdmin(%v) = %+v, %v, %v; want changed %v", c.admin, a, changed, err, c.changed)
		}
	}
	// Disabled again, bob is disabled since the first time.
	var since time.Time
	for _, c := range []struct {
		disabled, changed bool
	}{{true, true}, {true, false}, {false, true}, {false, false}} {
		if c.disabled && c.changed {
			since = time.Time{}
		}
		a, changed, err := s.SetDisabled(ctx, &admin, bob.ID, c.disabled)
		if err != nil || changed != c.changed || a.Disabled() != c.disabled || a.ID != bob.ID {
			t.Errorf("SetDisabled(%v) = %+v, %v, %v; want changed %v", c.disabled, a, changed, err, c.changed)
		}
		if c.disabled && since.IsZero() {
			since = a.DisabledAt
			st.Now = func() time.Time { return since.Add(time.Hour) }
		} else if c.disabled && !a.DisabledAt.Equal(since) {
			t.Errorf("disabled again, bob is disabled since %v, want %v", a.DisabledAt, since)
		}
	}
	if a, removed, err := s.ResetTwoFactor(ctx, &admin, bob.ID); err != nil || removed || a.ID != bob.ID {
		t.Errorf("ResetTwoFactor of an account without a factor = %+v, %v, %v; want nothing removed", a, removed, err)
	}
}

// TestResetRefusedChangesNothing: a reset whose link the administrator's
// account cannot keep, its storage being full, is refused before the
// password changes: the account signs in as before, still signed in where
// it was, and nobody holds a password it never had.
func TestResetRefusedChangesNothing(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, admin := newServiceOn(t, dsn, func(c *Config) { c.AccountStorage = 100 })
		ctx := context.Background()
		bob, err := s.AddAccount(ctx, "bob", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SignedIn(ctx, bob.ID, "bobs-session", Client{}); err != nil {
			t.Fatal(err)
		}
		d := s.NewDraft()
		defer d.Close()
		if _, err := s.Create(ctx, admin.ID, d, LinkInput{Kind: KindMessage, Message: strings.Repeat("a", 100), TTL: "1h"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ResetPassword(ctx, admin, bob.ID, ""); err == nil {
			t.Fatal("a reset past the administrator's storage went through")
		}
		after, err := st.AccountByID(ctx, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.PasswordHash != bob.PasswordHash {
			t.Error("the refused reset changed bob's password")
		}
		if a, err := s.SessionViewer(ctx, bob.ID, "bobs-session"); err != nil || a == nil {
			t.Errorf("bob's session after the refused reset: %v, %v", a, err)
		}
		if page, err := s.Links(ctx, admin.ID, ListInput{Status: "active"}); err != nil || len(page.Links) != 1 {
			t.Errorf("the administrator's active links after the refused reset: %d, want 1 (%v)", len(page.Links), err)
		}
	})
}

// failingPasswords is a store whose next password change fails, once fail
// is set.
type failingPasswords struct {
	*store.Store
	fail atomic.Bool
}

func (f *failingPasswords) SetPassword(ctx context.Context, id int64, hash, keep string) (store.Account, int64, error) {
	if f.fail.CompareAndSwap(true, false) {
		return store.Account{}, 0, errors.New("database unreachable")
	}
	return f.Store.SetPassword(ctx, id, hash, keep)
}

// TestResetThatFailedCanBeSentAgain: a reset whose password could not be
// set revokes the link it made and gives its form's key back, so that the
// same form, sent again, resets the password; sent once more, it is
// repeated and changes nothing.
func TestResetThatFailedCanBeSentAgain(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		_, st, admin := newServiceOn(t, dsn)
		ctx := context.Background()
		flaky := &failingPasswords{Store: st}
		s := New(Config{BaseURL: "https://share.example", MinTTL: time.Minute, MaxTTL: 24 * time.Hour, GrantTTL: time.Minute},
			flaky, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.DiscardHandler))
		bob, err := s.AddAccount(ctx, "bob", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}
		const key = "reset-form-key"
		flaky.fail.Store(true)
		if _, err := s.ResetPassword(ctx, admin, bob.ID, key); err == nil {
			t.Fatal("the reset went through while the password could not be set")
		}
		if page, err := s.Links(ctx, admin.ID, ListInput{Status: "revoked"}); err != nil || len(page.Links) != 1 {
			t.Fatalf("the failed reset's link: %d revoked, want 1 (%v)", len(page.Links), err)
		}
		again, err := s.ResetPassword(ctx, admin, bob.ID, key)
		if err != nil || again.Repeated || again.Link.URL == "" {
			t.Fatalf("the same form after the failure: %+v, %v; want a reset", again, err)
		}
		after, err := st.AccountByID(ctx, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.PasswordHash == bob.PasswordHash {
			t.Error("the form sent again did not change bob's password")
		}
		if once, err := s.ResetPassword(ctx, admin, bob.ID, key); err != nil || !once.Repeated {
			t.Errorf("the same form once more: %+v, %v; want it repeated", once, err)
		}
		if page, err := s.Links(ctx, admin.ID, ListInput{Status: "active"}); err != nil || len(page.Links) != 1 {
			t.Errorf("the administrator's active links: %d, want the one reset's (%v)", len(page.Links), err)
		}
	})
}

// goneAsker is a store whose password change finds its asker gone: it ends
// the asker's context and fails, as a write does whose client hung up.
// Like PostgreSQL's, its writes refuse to start for an asker gone.
type goneAsker struct {
	*store.Store
	cancel context.CancelFunc
}

func (g *goneAsker) SetPassword(ctx context.Context, id int64, hash, keep string) (store.Account, int64, error) {
	g.cancel()
	return store.Account{}, 0, ctx.Err()
}

func (g *goneAsker) Revoke(ctx context.Context, owner, id int64, grant time.Duration, e store.Event) (store.Link, bool, error) {
	if err := ctx.Err(); err != nil {
		return store.Link{}, false, err
	}
	return g.Store.Revoke(ctx, owner, id, grant, e)
}

// TestResetWhoseAskerLeftRevokesItsLink: a reset whose administrator
// leaves (a second click, a closed tab) before the password is set still
// revokes the link it made, which holds a password the account never got.
func TestResetWhoseAskerLeftRevokesItsLink(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		_, st, admin := newServiceOn(t, dsn)
		gone := &goneAsker{Store: st}
		s := New(Config{BaseURL: "https://share.example", MinTTL: time.Minute, MaxTTL: 24 * time.Hour, GrantTTL: time.Minute},
			gone, bytes.Repeat([]byte{7}, token.KeyLen), slog.New(slog.DiscardHandler))
		bob, err := s.AddAccount(context.Background(), "bob", "correct horse battery", false)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		gone.cancel = cancel
		if _, err := s.ResetPassword(ctx, admin, bob.ID, "reset-form-key"); err == nil {
			t.Fatal("the reset went through while the password could not be set")
		}
		if page, err := s.Links(context.Background(), admin.ID, ListInput{Status: "active"}); err != nil || len(page.Links) != 0 {
			t.Fatalf("the failed reset's link: %d still active, want none (%v)", len(page.Links), err)
		}
	})
}

// noRenewal is the renewal of a password change that must not get that far.
func noRenewal(t *testing.T) func() (string, error) {
	return func() (string, error) {
		t.Error("a refused password change renewed its session")
		return "", nil
	}
}

// TestCheckNewAccount: CheckNewUsername and CheckNewPassword refuse what
// AddAccount refuses, with the same code, and let by what it takes.
func TestCheckNewAccount(t *testing.T) {
	s, _, _ := newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"))
	ctx := context.Background()
	const good = "correct horse battery"
	for _, tc := range []struct {
		name, password string
		code           string // "" when taken
	}{
		{"bob", good, ""},
		{"  carol ", good, ""},
		{"bad name!", good, "username_invalid"},
		{"", good, "username_missing"},
		{strings.Repeat("a", MaxUsernameLen+1), good, "username_too_long"},
		{"pаypal", good, "username_mixed_scripts"},
		{"dave", "x", "password_too_short"},
		{"erin", "          ", "password_invalid"},
		{"frank", "ten chars\x01!", "password_invalid"},
	} {
		checked := CheckNewUsername(tc.name)
		if checked == nil {
			checked = CheckNewPassword(tc.password)
		}
		_, added := s.AddAccount(ctx, tc.name, tc.password, false)
		if code(checked) != tc.code || code(added) != tc.code {
			t.Errorf("%q, %q: checked %v, added %v; want %q", tc.name, tc.password, checked, added, tc.code)
		}
	}
}

// code is the code of core's error err, "" for none.
func code(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
