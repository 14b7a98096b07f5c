package core

import (
	"context"
	"errors"
	"time"

	"oncelink/live"
	"oncelink/store"
)

// expiryBatch is how many links that expired at once one query reads.
const expiryBatch = 100

// ExpiryWatch follows an owner's links as they expire, for a stream that
// shows them: expiring sends no event, since nothing writes. It keeps one
// timer, set for the owner's next link to expire, or, watching one link,
// for that link's expiry. Make one with WatchExpiries or WatchExpiry, and
// Stop it when done.
type ExpiryWatch struct {
	s     *Service
	owner int64
	// link is the one link watched; 0 watches all of the owner's.
	link int64
	// after is the expiry up to which links have been reported.
	after time.Time
	// next is the expiry the timer is set for; zero while it is not set.
	next  time.Time
	timer *time.Timer
	// C receives when a link is due to expire; it is nil while none is.
	C <-chan time.Time
}

// WatchExpiries starts watching owner's links that expire from now on.
func (s *Service) WatchExpiries(ctx context.Context, owner int64) (*ExpiryWatch, error) {
	w := &ExpiryWatch{s: s, owner: owner, after: s.Now(), timer: time.NewTimer(time.Hour)}
	return w, w.Schedule(ctx)
}

// WatchExpiry starts watching owner's link id alone, for a stream about
// that link: C receives when it expires, if it can still be opened until
// then, and never for the owner's other links.
func (s *Service) WatchExpiry(ctx context.Context, owner, id int64) (*ExpiryWatch, error) {
	w := &ExpiryWatch{s: s, owner: owner, link: id, after: s.Now(), timer: time.NewTimer(time.Hour)}
	return w, w.Schedule(ctx)
}

// expiring returns the watched links that can still be opened at w.after
// and expire after it, soonest first, at most limit.
func (w *ExpiryWatch) expiring(ctx context.Context, limit int) ([]Link, error) {
	if w.link == 0 {
		return w.s.store.Expiring(ctx, w.owner, w.after, limit)
	}
	l, err := w.s.store.OwnedLink(ctx, w.owner, w.link)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil // purged: it expires no more
	case err != nil:
		return nil, err
	case l.Status(w.after) != Active:
		return nil, nil
	}
	return []Link{l}, nil
}

// Schedule sets the timer for the next watched link to expire, as the
// store tells it.
func (w *ExpiryWatch) Schedule(ctx context.Context) error {
	next, err := w.expiring(ctx, 1)
	if err != nil {
		return err
	}
	w.timer.Stop()
	w.C, w.next = nil, time.Time{}
	if len(next) > 0 {
		w.set(next[0].ExpiresAt)
	}
	return nil
}

// Created tells w of the owner's live.Created event e, whose link may
// expire sooner than the one the timer is set for. It reads nothing: the
// event says when, unless it came from an instance that does not say, and
// then it schedules afresh. A watch of one link, made before it, has
// nothing to learn from it.
func (w *ExpiryWatch) Created(ctx context.Context, e live.Event) error {
	switch {
	case w.link != 0:
	case e.Expires.IsZero():
		return w.Schedule(ctx)
	case e.Expires.After(w.after) && (w.next.IsZero() || e.Expires.Before(w.next)):
		w.timer.Stop()
		w.set(e.Expires)
	}
	return nil
}

// set sets the timer, stopped, for at.
func (w *ExpiryWatch) set(at time.Time) {
	w.next = at
	w.timer.Reset(at.Sub(w.s.Now()))
	w.C = w.timer.C
}

// Due returns the links that have expired since the last call, soonest
// first, once C has fired, and schedules the next.
func (w *ExpiryWatch) Due(ctx context.Context) ([]Link, error) {
	now := w.s.Now()
	links, err := w.expiring(ctx, expiryBatch)
	if err != nil {
		return nil, err
	}
	due := links[:0]
	for _, l := range links {
		if l.ExpiresAt.After(now) {
			break
		}
		due = append(due, l)
		w.after = l.ExpiresAt
	}
	return due, w.Schedule(ctx)
}

// Stop ends the watch.
func (w *ExpiryWatch) Stop() { w.timer.Stop() }
