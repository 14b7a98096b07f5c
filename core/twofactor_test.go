package core

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"oncelink/store"
)

// TestTOTPSecretSealed: the database holds an app's key sealed, not as
// text, and a sealed key copied to another account does not open there.
func TestTOTPSecretSealed(t *testing.T) {
	s, st, _, ada := newRequestService(t)
	ctx := context.Background()
	proven := &Proof{ProvenAt: s.Now()}
	e, err := s.StartTOTP(ctx, ada, proven)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.URL)
	if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != e.Secret || u.Query().Get("issuer") != "oncelink" ||
		!strings.Contains(u.Path, "ada@share.example") {
		t.Fatalf("key URL %q", e.URL)
	}
	row, err := st.TOTPOf(ctx, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(row.Secret, []byte(e.Secret)) {
		t.Fatal("the key is kept as text")
	}
	if got, err := s.openTOTP(ada.ID, row.Secret); err != nil || got != e.Secret {
		t.Fatalf("opened %q, %v", got, err)
	}
	if _, err := s.openTOTP(ada.ID+1, row.Secret); err == nil {
		t.Fatal("a sealed key opened for another account")
	}
	// Shown again after a wrong code, it is the same key.
	again, err := s.PendingTOTP(ctx, ada, *proven)
	if err != nil || again.Secret != e.Secret {
		t.Fatalf("pending: %+v, %v", again, err)
	}
	code, _ := totp.GenerateCode(e.Secret, s.Now())
	codes, err := s.ConfirmTOTP(ctx, ada, code, "", proven)
	if err != nil || len(codes) != RecoveryCodes {
		t.Fatalf("confirm: %d codes, %v", len(codes), err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != recoveryCodeLen+3 || seen[c] || strings.Trim(c, recoveryAlphabet+"-") != "" {
			t.Fatalf("recovery code %q", c)
		}
		seen[c] = true
	}
	if _, err := s.PendingTOTP(ctx, ada, *proven); err != errNoEnrolment {
		t.Fatalf("pending once confirmed: %v", err)
	}
	if _, err := s.StartTOTP(ctx, ada, proven); err != errTOTPOn {
		t.Fatalf("a second app: %v", err)
	}
}

// TestProofShapedLikeACode: a password that is six digits with spaces is
// still the password where an app is on.
func TestProofShapedLikeACode(t *testing.T) {
	s, _, _, ada := newRequestService(t)
	ctx := context.Background()
	e, err := s.StartTOTP(ctx, ada, &Proof{ProvenAt: s.Now()})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, s.Now())
	if _, err := s.ConfirmTOTP(ctx, ada, code, "", &Proof{ProvenAt: s.Now()}); err != nil {
		t.Fatal(err)
	}
	const password = "1 2 3 4 5 6"
	if ada, _, err = s.SetPassword(ctx, ada.ID, password, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RenewRecoveryCodes(ctx, ada, &Proof{Given: password}); err != nil {
		t.Fatalf("the password, shaped like a code: %v", err)
	}
	if _, err := s.RenewRecoveryCodes(ctx, ada, &Proof{Given: "6 5 4 3 2 1"}); err != errNotYourProof {
		t.Fatalf("neither code nor password: %v", err)
	}
}

// TestSecondStepSaysCodesLeft: a second step taken with a recovery code
// says so, and how many the account has left after it, down to none; one
// taken with a code of the app says neither.
func TestSecondStepSaysCodesLeft(t *testing.T) {
	s, st, _, ada := newRequestService(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s.Now, st.Now = clock, clock
	secret, codes := enrolTOTP(t, s, ada, now)
	step := func(code string) StepTaken {
		t.Helper()
		turn, err := s.TakeTurn(ctx, SignInAction, Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		taken, err := s.SecondStep(ctx, turn, ada, code)
		if err != nil {
			t.Fatalf("second step with %q: %v", code, err)
		}
		return taken
	}
	now = now.Add(TOTPPeriod)
	code, _ := totp.GenerateCode(secret, now)
	if taken := step(code); taken != (StepTaken{}) {
		t.Errorf("a code of the app: %+v", taken)
	}
	for i, c := range codes {
		want := StepTaken{Recovery: true, RecoveryLeft: RecoveryCodes - 1 - i}
		if taken := step(c); taken != want {
			t.Errorf("recovery code %d: %+v, want %+v", i+1, taken, want)
		}
	}
}

// TestLastFactorStaysUnderConcurrency: while two-factor is required, two
// removals at once of an account's last two second factors, two passkeys
// or an app and a passkey, leave one: exactly one of them goes, on either
// database.
func TestLastFactorStaysUnderConcurrency(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		const password = "correct horse battery"
		ada, _, err := s.SetPassword(ctx, ada.ID, password, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetTwoFactorRequired(ctx, nil, true); err != nil {
			t.Fatal(err)
		}
		addPasskey := func(round int, name string) Passkey {
			t.Helper()
			p, err := st.AddPasskey(ctx, store.Passkey{AccountID: ada.ID, CredentialID: []byte(fmt.Sprint(round, name)),
				UserHandle: []byte("ada"), Name: name, Credential: []byte(`{}`)}, MaxPasskeys)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		for round := range 20 {
			first := addPasskey(round, "laptop")
			second := addPasskey(round, "phone")
			removals := []func() error{
				func() error { _, err := s.DeletePasskey(ctx, ada, first.ID, &Proof{Given: password}); return err },
				func() error { _, err := s.DeletePasskey(ctx, ada, second.ID, &Proof{Given: password}); return err },
			}
			if round%2 == 1 {
				// An app in place of the first passkey.
				if _, err := s.DeletePasskey(ctx, ada, first.ID, &Proof{Given: password}); err != nil {
					t.Fatal(err)
				}
				if err := st.StartTOTP(ctx, ada.ID, []byte("sealed")); err != nil {
					t.Fatal(err)
				}
				if err := st.UseTOTPStep(ctx, ada.ID, int64(round), false); err != nil {
					t.Fatal(err)
				}
				removals[0] = func() error { return s.DisableTOTP(ctx, ada, &Proof{Given: password}) }
			}
			var wg sync.WaitGroup
			errs := make([]error, len(removals))
			for i, remove := range removals {
				wg.Go(func() { errs[i] = remove() })
			}
			wg.Wait()
			gone := 0
			for _, err := range errs {
				switch err {
				case nil:
					gone++
				case errFactorRequired:
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			f, err := st.SecondFactorsOf(ctx, ada.ID)
			if err != nil {
				t.Fatal(err)
			}
			if gone != 1 || !f.Any() {
				t.Fatalf("round %d: %d of 2 removals went, leaving %+v", round, gone, f)
			}
			if _, _, err := st.ResetSecondFactors(ctx, ada.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestCodeWait(t *testing.T) {
	for failures, want := range map[int]time.Duration{
		0: 0, 4: 0, 5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute, 10: 32 * time.Minute,
		11: time.Hour, 12: time.Hour, 1000: time.Hour,
	} {
		if got := codeWait(failures); got != want {
			t.Errorf("after %d wrong codes: wait %s, want %s", failures, got, want)
		}
	}
}

// TestWrongCodesHoldCodesBack: five wrong second-step codes in a row, app
// or recovery codes, hold every further code back, the right one too, for
// a wait that doubles with each wrong one after; a right one after the
// wait starts the count again, and so does an operator's reset. Of wrong
// codes tried at once on two instances, only those the count allows are
// checked. On either database.
func TestWrongCodesHoldCodesBack(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s.Now, st.Now = clock, clock
		enrol := func() (string, []string) {
			t.Helper()
			secret, codes := enrolTOTP(t, s, ada, now)
			now = now.Add(TOTPPeriod)
			return secret, codes
		}
		secret, recovery := enrol()
		right := func() string { code, _ := totp.GenerateCode(secret, now); return code }
		wrong := func() string { return wrongCode(secret, now) }
		step := func(svc *Service, code string) error { return secondStep(t, svc, ada, code) }
		heldFor := func(what string, err error, want time.Duration) {
			t.Helper()
			e, ok := AsError(err)
			if !ok || e.Kind != Limited || !CodesHeldBack(err) || e.RetryAfter != want {
				t.Fatalf("%s: %v, want held back for %s", what, err, want)
			}
		}
		wrongRun := func(n int) {
			t.Helper()
			for i := range n {
				if err := step(s, wrong()); err != errWrongCode {
					t.Fatalf("wrong code %d: %v", i+1, err)
				}
			}
		}

		wrongRun(CodesBeforeWait)
		heldFor("the right code after five wrong ones", step(s, right()), CodeFirstWait)
		heldFor("a recovery code", step(s, recovery[0]), CodeFirstWait)
		now = now.Add(CodeFirstWait / 2)
		heldFor("half a wait later", step(s, right()), CodeFirstWait/2)
		now = now.Add(CodeFirstWait / 2)
		if err := step(s, "abcd-efgh-ijkm-npqr"); err != errWrongCode {
			t.Fatalf("a wrong recovery code once the wait is over: %v", err)
		}
		heldFor("after a sixth wrong code", step(s, right()), 2*CodeFirstWait)
		now = now.Add(2 * CodeFirstWait)
		if err := step(s, right()); err != nil {
			t.Fatalf("the right code once the wait is over: %v", err)
		}
		// The count starts again: five more wrong codes go through
		// before the next is held back.
		wrongRun(CodesBeforeWait - 1)
		if err := step(s, recovery[1]); err != nil {
			t.Fatalf("a recovery code after four wrong ones: %v", err)
		}
		wrongRun(CodesBeforeWait)
		heldFor("five wrong codes after a right one", step(s, wrong()), CodeFirstWait)

		// Tried at once on two instances, after a wait: one code is
		// checked, the others held back.
		s2 := anotherInstance(t, s, dsn, clock)
		now = now.Add(CodeFirstWait)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = step([]*Service{s, s2}[i%2], wrong()) })
		}
		wg.Wait()
		checked := 0
		for _, err := range errs {
			switch {
			case err == errWrongCode:
				checked++
			case !CodesHeldBack(err):
				t.Fatalf("a try at once: %v", err)
			}
		}
		if checked != 1 {
			t.Fatalf("%d of 8 wrong codes tried at once were checked", checked)
		}

		// A new password forgets the count: whoever knew the old one
		// can no longer reach the second step.
		now = now.Add(CodeMaxWait)
		wrongRun(1)
		if _, _, err := s.SetPassword(ctx, ada.ID, "a new password at last", ""); err != nil {
			t.Fatal(err)
		}
		if err := step(s, right()); err != nil {
			t.Fatalf("the right code after a new password: %v", err)
		}

		// The operator's reset of the second factors forgets the
		// count with them.
		if _, _, err := s.ResetTwoFactor(ctx, nil, ada.ID); err != nil {
			t.Fatal(err)
		}
		secret, _ = enrol()
		if err := step(s, wrong()); err != errWrongCode {
			t.Fatalf("a wrong code after a reset: %v", err)
		}
		if err := step(s, right()); err != nil {
			t.Fatalf("the right code after a reset: %v", err)
		}
	})
}

// TestProofCodesHeldBack: codes of the app given as a proof, by a session
// that may be held without the password, go on the same wrong codes in a
// row as the second step's: five wrong ones hold further codes back,
// there and here, the right one too, with the wait. The password,
// even shaped like a code, proves all the same and takes no try: it
// leaves the count as it was. On either database.
func TestProofCodesHeldBack(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s.Now, st.Now = clock, clock
		const password = "2 4 6 8 1 0"
		ada, _, err := s.SetPassword(ctx, ada.ID, password, "")
		if err != nil {
			t.Fatal(err)
		}
		secret, _ := enrolTOTP(t, s, ada, now)
		now = now.Add(TOTPPeriod)
		right := func() string { code, _ := totp.GenerateCode(secret, now); return code }
		wrong := func() string { return wrongCode(secret, now) }
		prove := func(given string) (*Proof, error) {
			p := &Proof{Given: given, Client: Client{IP: "192.0.2.1"}}
			_, err := s.RenewRecoveryCodes(ctx, ada, p)
			return p, err
		}
		wrongRun := func(n int) {
			t.Helper()
			for i := range n {
				if _, err := prove(wrong()); err != errNotYourProof {
					t.Fatalf("wrong code %d as a proof: %v", i+1, err)
				}
			}
		}
		heldFor := func(what string, err error, want time.Duration) {
			t.Helper()
			e, ok := AsError(err)
			if !ok || e.Kind != Limited || !CodesHeldBack(err) || e.RetryAfter != want {
				t.Fatalf("%s: %v, want held back for %s", what, err, want)
			}
		}

		// The password, between wrong codes, takes no try of them.
		wrongRun(CodesBeforeWait - 1)
		if p, err := prove(password); err != nil || !p.ProvenAt.Equal(now) {
			t.Fatalf("the password after four wrong codes: %v", err)
		}
		if p, err := prove(right()); err != nil || !p.ProvenAt.Equal(now) {
			t.Fatalf("the right code after four wrong ones and the password: %v", err)
		}
		now = now.Add(TOTPPeriod)

		wrongRun(CodesBeforeWait)
		p, err := prove(right())
		heldFor("the right code after five wrong ones", err, CodeFirstWait)
		if !p.ProvenAt.IsZero() {
			t.Fatal("a code held back proved the session")
		}
		turn, err := s.TakeTurn(ctx, SignInAction, Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SecondStep(ctx, turn, ada, right())
		heldFor("the second step after five wrong proofs", err, CodeFirstWait)
		if p, err := prove(password); err != nil || !p.ProvenAt.Equal(now) {
			t.Fatalf("the password while codes are held back: %v", err)
		}
		_, err = prove(right())
		heldFor("a code after the password", err, CodeFirstWait)

		now = now.Add(CodeFirstWait)
		if p, err := prove(right()); err != nil || !p.ProvenAt.Equal(now) {
			t.Fatalf("the right code once the wait is over: %v", err)
		}
		now = now.Add(TOTPPeriod)
		wrongRun(CodesBeforeWait - 1)
		if _, err := prove(right()); err != nil {
			t.Fatalf("the count started again: %v", err)
		}
	})
}

// TestCodeSentAgainCountsNoWrongOne: the code an account just took, sent
// again (a form sent twice, a client that tries again), at once on two
// instances or after, is refused as before (an app's code as used, a
// recovery code as wrong) but counts as no wrong code: however many
// copies come, none holds the owner's next code back. Guessing is held
// back exactly as before: five wrong codes, an app's code of an earlier
// step among them, hold the next back, a copy between them or not. On
// either database.
func TestCodeSentAgainCountsNoWrongOne(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, dsn string) {
		s, st, ada := newServiceOn(t, dsn)
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s.Now, st.Now = clock, clock
		s2 := anotherInstance(t, s, dsn, clock)

		secret, recovery := enrolTOTP(t, s, ada, now)
		right := func() string { code, _ := totp.GenerateCode(secret, now); return code }
		wrong := func() string { return wrongCode(secret, now) }
		step := func(svc *Service, code string) error { return secondStep(t, svc, ada, code) }
		// counted is how many wrong codes in a row the account has: a try
		// at them, which counts itself, then forgets them all.
		counted := func() int {
			t.Helper()
			try, err := st.TakeSecondStepTry(ctx, ada.ID, func(int) time.Duration { return 0 }, store.SecondStepCode{})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.ForgetSecondStepFailures(ctx, ada.ID); err != nil {
				t.Fatal(err)
			}
			return try.Failures - 1
		}

		// Copies of a right code at once, on two instances: one signs in,
		// the others are refused, and none is left counted.
		for round := range 12 {
			now = now.Add(TOTPPeriod)
			code, refused := right(), errCodeUsed
			if round%3 == 2 {
				code, refused = recovery[round/3], errWrongCode
			}
			var wg sync.WaitGroup
			errs := make([]error, 6)
			for i := range errs {
				wg.Go(func() { errs[i] = step([]*Service{s, s2}[i%2], code) })
			}
			wg.Wait()
			took := 0
			for _, err := range errs {
				switch {
				case err == nil:
					took++
				case err != refused && !CodesHeldBack(err):
					// Copies counted before the first was taken can
					// hold the last back, and are forgotten with it.
					t.Fatalf("round %d: a copy: %v", round, err)
				}
			}
			if took != 1 {
				t.Fatalf("round %d: %d of %d copies signed in", round, took, len(errs))
			}
			if n := counted(); n != 0 {
				t.Fatalf("round %d: the copies left %d wrong codes in a row", round, n)
			}
		}

		// A client that sends the code again after it signed in, more
		// times than wrong codes may come in a row.
		now = now.Add(TOTPPeriod)
		code := right()
		if err := step(s, code); err != nil {
			t.Fatal(err)
		}
		for i := range 2 * CodesBeforeWait {
			if err := step([]*Service{s, s2}[i%2], code); err != errCodeUsed {
				t.Fatalf("the app's code sent again, %d: %v", i+1, err)
			}
		}
		used := recovery[len(recovery)-1]
		if err := step(s, used); err != nil {
			t.Fatal(err)
		}
		for i := range 2 * CodesBeforeWait {
			if err := step(s, used); err != errWrongCode {
				t.Fatalf("the recovery code sent again, %d: %v", i+1, err)
			}
		}
		if n := counted(); n != 0 {
			t.Fatalf("codes sent again after they signed in count as %d wrong ones", n)
		}

		// Guessing: four wrong codes, and the code of the step before,
		// used or not, count; the code just taken, between them, does
		// not; the next code waits.
		earlier, _ := totp.GenerateCode(secret, now.Add(-TOTPPeriod))
		for i := range CodesBeforeWait - 1 {
			if err := step(s, wrong()); err != errWrongCode {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
			if err := step(s2, code); err != errCodeUsed {
				t.Fatalf("the code just taken, after wrong code %d: %v", i+1, err)
			}
		}
		if err := step(s, earlier); err != errCodeUsed {
			t.Fatalf("the code of the step before: %v", err)
		}
		if err := step(s, wrong()); !CodesHeldBack(err) {
			t.Fatalf("a code after five wrong ones: %v, want it held back", err)
		}
		// A recovery code used long enough ago counts as a wrong one.
		now = now.Add(CodeFirstWait)
		if err := step(s, right()); err != nil {
			t.Fatalf("the right code once the wait is over: %v", err)
		}
		now = now.Add(SecondStepTime)
		for i := range CodesBeforeWait {
			if err := step(s, recovery[0]); err != errWrongCode {
				t.Fatalf("a recovery code used minutes ago, %d: %v", i+1, err)
			}
		}
		if err := step(s, wrong()); !CodesHeldBack(err) {
			t.Fatalf("a code after five used recovery codes: %v, want it held back", err)
		}
	})
}

// enrolTOTP sets up an authenticator app for a on s at now, and returns
// its secret and the recovery codes that came with it.
func enrolTOTP(t *testing.T, s *Service, a Account, now time.Time) (string, []string) {
	t.Helper()
	e, err := s.StartTOTP(t.Context(), a, &Proof{ProvenAt: now})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, now)
	codes, err := s.ConfirmTOTP(t.Context(), a, code, "", &Proof{ProvenAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return e.Secret, codes
}

// wrongCode is a code of secret's app for none of the three time steps
// around now that a code is taken from.
func wrongCode(secret string, now time.Time) string {
	taken := map[string]bool{}
	for _, off := range []time.Duration{-TOTPPeriod, 0, TOTPPeriod} {
		code, _ := totp.GenerateCode(secret, now.Add(off))
		taken[code] = true
	}
	for n := 0; ; n++ {
		if code := fmt.Sprintf("%06d", n); !taken[code] {
			return code
		}
	}
}

// secondStep takes a's second step on svc with code, from one address.
func secondStep(t *testing.T, svc *Service, a Account, code string) error {
	t.Helper()
	turn, err := svc.TakeTurn(t.Context(), SignInAction, Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.SecondStep(t.Context(), turn, a, code)
	return err
}

// anotherInstance is a second instance beside s, on the database at dsn,
// whose time is clock's, as s's is.
func anotherInstance(t *testing.T, s *Service, dsn string, clock func() time.Time) *Service {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = clock
	s2 := New(s.cfg, st, s.key, s.log)
	s2.Now = clock
	return s2
}
