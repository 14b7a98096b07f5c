package core

import (
	"context"
	"errors"
	"time"

	"oncelink/live"
	"oncelink/store"
)

// Session is one of an account's web sessions, as it lists them.
type Session = store.AccountSession

// SessionCodec encodes the web sessions that the store keeps: the codec
// of the sessions manager whose store is the database's.
type SessionCodec = store.SessionCodec

// HoldSessionAccount returns ctx with a place for the account that the
// session store finds a request's session with, so that SessionViewer
// takes it rather than reading it again.
func HoldSessionAccount(ctx context.Context) context.Context { return store.HoldSessionAccount(ctx) }

// SessionLifetime is how long a sign-in lasts.
const SessionLifetime = 7 * 24 * time.Hour

// SessionSeenEvery is how often, at most, a session's last use is written:
// a request does not write for its own sake.
const SessionSeenEvery = time.Minute

// SignedIn lists the account's session id, a web session's token hash, as
// signed in by c now: see SessionViewer.
func (s *Service) SignedIn(ctx context.Context, account int64, id string, c Client) error {
	return s.listSession(ctx, account, id, c, SessionLifetime)
}

// SessionSeen records that the account's listed session id was used now by
// c. The adapter calls it at most every SessionSeenEvery; a use noted by
// another instance within that time is not written again.
func (s *Service) SessionSeen(ctx context.Context, account int64, id string, c Client) error {
	now := s.Now()
	return s.store.SeeSession(ctx, store.AccountSession{ID: id, AccountID: account, LastSeenAt: now, IP: c.IP}, SessionSeenEvery)
}

// SessionViewer returns the account that the web session id (a token
// hash) is signed in as, while it may: nil for a deleted or disabled
// account, and for a session no longer listed as the account's because it
// was ended (signed out from elsewhere, a new password); such a session
// should end. Ending a session deletes it and its listing at once, but a
// request of it already under way saves it again as it answers: its
// listing stays gone. When the database cannot tell, it returns the error,
// and the session should hold: a hiccup must sign nobody out for good.
func (s *Service) SessionViewer(ctx context.Context, account int64, id string) (*Account, error) {
	a, err := s.store.SessionAccount(ctx, account, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && a.Disabled()):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &a, nil
}

// SessionRefusal is why a web session of account no longer acts for it
// (see SessionViewer), as that session's API event streams are told in
// their last event: ErrKeyAccountDisabled while the account is disabled,
// which signing in again would not mend, else ErrSignedOut, the session
// ended (signed out, here or from elsewhere, renewed under a new token,
// expired, or its account deleted). When the database cannot tell whether
// the account is disabled, it is ErrSignedOut: the session has ended
// either way.
func (s *Service) SessionRefusal(ctx context.Context, account int64) *Error {
	if a, err := s.store.AccountByID(ctx, account); err == nil && a.Disabled() {
		return ErrKeyAccountDisabled
	}
	return ErrSignedOut
}

// HalfSignedIn lists the account's session id, a browser that gave the
// account's password and has within to take the second step or set one
// up, as one of its sessions: so the owner sees it, and whatever ends the
// account's sessions (a new password, signing out everywhere else, a
// disable or a delete) ends it too, before it is ever signed in.
func (s *Service) HalfSignedIn(ctx context.Context, account int64, id string, c Client, within time.Duration) error {
	return s.listSession(ctx, account, id, c, within)
}

func (s *Service) listSession(ctx context.Context, account int64, id string, c Client, lifetime time.Duration) error {
	now := s.Now()
	return s.store.ListSession(ctx, store.AccountSession{ID: id, AccountID: account, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(lifetime), UserAgent: c.UserAgent, IP: c.IP})
}

// HalfSession reports whether s is a browser that gave the account's
// password and has yet to take the second step (see HalfSignedIn): it is
// listed for the few minutes that step may take, never for a whole
// SessionLifetime. Its owner may not know it: someone else may have the
// password.
func HalfSession(s Session) bool { return s.ExpiresAt.Sub(s.CreatedAt) < SessionLifetime }

// Sessions lists the account's sessions that still hold, the last used
// first.
func (s *Service) Sessions(ctx context.Context, account int64) ([]Session, error) {
	return s.store.AccountSessions(ctx, account)
}

// EndSession ends one of the account's sessions; its open streams are
// told at once. Another account's session is ErrNotFound.
func (s *Service) EndSession(ctx context.Context, account int64, id string) error {
	if err := fromStore(s.store.EndSession(ctx, account, id)); err != nil {
		return err
	}
	s.SignedOut(ctx, account)
	return nil
}

// RenewedSession lists the account's session id, whose token was renewed,
// under renewed, its new id, and tells its open streams to follow it
// there. A session no longer listed, ended meanwhile, is ErrNotFound.
func (s *Service) RenewedSession(ctx context.Context, account int64, id, renewed string) error {
	if err := fromStore(s.store.RenameSession(ctx, account, id, renewed)); err != nil {
		return err
	}
	s.Publish(ctx, live.Event{Owner: account, What: live.SessionRenewed, Session: id, Renewed: renewed})
	return nil
}

// EndOtherSessions ends every session of the account but keep, the one
// asking, and returns how many it ended.
func (s *Service) EndOtherSessions(ctx context.Context, account int64, keep string) (int64, error) {
	n, err := s.store.EndOtherSessions(ctx, account, keep)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.SignedOut(ctx, account)
	}
	return n, nil
}

// errNotYourPassword refuses a change to an account made without its
// current password.
var errNotYourPassword = Variant(Forbidden, "wrong_password", "current", "current_password", "wrong_password")

// checkOwnPassword checks that password is account a's, on the account's
// sign-in limit, so that a session left open cannot be used to guess it
// faster than the sign-in form allows.
func (s *Service) checkOwnPassword(ctx context.Context, a Account, password string) error {
	if err := s.takeAccountTurn(ctx, a); err != nil {
		return err
	}
	if !passwordMatches(a.PasswordHash, password) {
		return errNotYourPassword
	}
	return nil
}

// ChangePassword sets account a's password to next, given its current
// one, and ends every other session of it, as SetPassword does. Once both
// passwords check out, and not before, renew gives the session that asks
// a new id, which it returns, and that session is kept; ended is how many
// others ended. Both passwords are checked: when both are wrong, the error
// is Errors, the current one's then the new one's.
func (s *Service) ChangePassword(ctx context.Context, a Account, current, next string, renew func() (string, error)) (changed Account, ended int64, err error) {
	err = s.checkOwnPassword(ctx, a, current)
	if err == nil || err == errNotYourPassword {
		err = joinErrors(err, checkPassword(next))
	}
	if err != nil {
		return Account{}, 0, err
	}
	keep, err := renew()
	if err != nil {
		return Account{}, 0, err
	}
	return s.SetPassword(ctx, a.ID, next, keep)
}

// DeleteOwnAccount deletes account a, given its password: see
// DeleteAccount.
func (s *Service) DeleteOwnAccount(ctx context.Context, a Account, password string) error {
	if err := s.checkOwnPassword(ctx, a, password); err != nil {
		if err == errNotYourPassword {
			return Variant(Forbidden, "wrong_password", "delete", "password", "wrong_password")
		}
		return err
	}
	_, err := s.DeleteAccount(ctx, nil, a.ID)
	return err
}

// DeleteAccount deletes account id, for by (nil for the operator or the
// account itself): its links are revoked and deleted with their content,
// its keys and sessions end, its open dashboards are told, and links made
// only for it are revoked. The last enabled administrator stays.
func (s *Service) DeleteAccount(ctx context.Context, by *Account, id int64) (Account, error) {
	if by != nil && id == by.ID {
		return Account{}, invalid("cannot_delete_self", "")
	}
	a, revoked, err := s.store.DeleteAccount(ctx, id)
	if err != nil {
		return Account{}, accountChange(err)
	}
	s.SignedOut(ctx, id)
	for _, l := range revoked {
		s.Publish(ctx, live.Event{Owner: l.OwnerID, Link: l.ID, What: live.Revoked})
	}
	return a, nil
}

// errLastAdmin refuses to leave no one who can manage accounts.
var errLastAdmin = Refusal(Conflict, "last_admin", "", "last_admin")

// ErrAccountGone refuses a change to an account that no longer exists, as
// one deleted since the accounts page was shown.
var ErrAccountGone = Refusal(NotFound, "account_gone", "", "no_such_account")

// accountChange turns the store's refusal of a change to an account into
// the core's.
func accountChange(err error) error {
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		return errLastAdmin
	case errors.Is(err, store.ErrNotFound):
		return ErrAccountGone
	}
	return fromStore(err)
}

// LastAdmin reports whether account id is the only enabled administrator,
// which can be neither demoted, disabled nor deleted.
func (s *Service) LastAdmin(ctx context.Context, id int64) (bool, error) {
	accounts, err := s.store.Accounts(ctx)
	if err != nil {
		return false, err
	}
	last := false
	for _, a := range accounts {
		if a.Admin && !a.Disabled() {
			if a.ID != id {
				return false, nil
			}
			last = true
		}
	}
	return last, nil
}
