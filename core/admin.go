package core

import (
	"context"
	"crypto/rand"
	"time"

	"oncelink/i18n"
)

// resetTTL is how long the link holding a reset password lasts, within
// the server's bounds: long enough to pass it on, short enough that a
// link left in a chat is soon dead.
const resetTTL = time.Hour

// Reset is a password set by an administrator, handed over as a one-time
// link that only the administrator's page shows.
type Reset struct {
	Account Account
	Link    Created
	// Repeated is set when key reset the password before: nothing was
	// done now, and the link, made then, is not given again.
	Repeated bool
}

// ResetPassword gives account id a new, random password, for by, an
// administrator: the password is put in a one-time message link of by's,
// never shown, so that it travels as every other secret does. The link is
// made first: a reset whose link cannot be made (by's storage is full)
// changes nothing, rather than leave the account with a password nobody
// holds. Then the account's sessions end, its open dashboards are told.
// The caller publishes r.Link.Event() once it has answered.
//
// key, the reset form's key, is claimed for by (see FormOnce): of resets
// sent with one key, such as two clicks that reach the server at once, or a
// reload of the page that answered, the first makes the link and sets the
// password, and every other is Repeated and changes nothing, rather than
// make a second link and a password that replaces the first link's. A
// reset that fails gives its key back, so the same form can be sent again.
func (s *Service) ResetPassword(ctx context.Context, by Account, id int64, key string) (Reset, error) {
	if id == by.ID {
		return Reset{}, invalid("cannot_reset_self", "")
	}
	a, err := s.store.AccountByID(ctx, id)
	if err != nil {
		return Reset{}, accountChange(err)
	}
	var reset Reset
	repeated, err := s.FormOnce(ctx, by.ID, ResetForm, key, func() (err error) {
		reset, err = s.resetPassword(ctx, by, a)
		return err
	})
	if err == nil && repeated {
		return Reset{Account: a, Repeated: true}, nil
	}
	return reset, err
}

// resetPassword gives a a new, random password, in a new link of by's.
func (s *Service) resetPassword(ctx context.Context, by, a Account) (Reset, error) {
	// 26 base32 characters: 130 random bits.
	password := rand.Text()
	ttl := min(max(resetTTL, s.cfg.MinTTL), s.cfg.MaxTTL)
	d := s.NewDraft()
	defer d.Close()
	// The link speaks the account's language, or else the administrator's.
	l := i18n.From(ctx)
	if a.Language != "" {
		l = i18n.For(a.Language)
	}
	c, err := s.Create(ctx, by.ID, d, LinkInput{
		Kind:    KindMessage,
		Message: l.T("accounts.handover.message", "Name", a.Username, "Password", password),
		TTL:     FormatDuration(ttl),
		Label:   l.T("accounts.handover.label", "Name", a.Username),
	})
	if err != nil {
		return Reset{}, err
	}
	changed, _, err := s.SetPassword(ctx, a.ID, password, "")
	if err != nil {
		// The link holds a password the account never got: it is revoked
		// also when the asker has gone, as the form's key is given back.
		if _, rerr := s.Revoke(context.WithoutCancel(ctx), by.ID, c.Link.ID, Client{}); rerr != nil {
			s.log.Warn("revoke the link of a reset that failed", "link", c.Link.ID, "err", rerr)
		}
		return Reset{}, err
	}
	return Reset{Account: changed, Link: c}, nil
}
