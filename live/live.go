// Package live carries what happens to an owner's links, requests and
// sessions to the owner's open dashboards and API event streams. The core
// publishes an Event after each store write; every stream subscribes to
// its owner's events.
//
// Local is the in-process broker, enough for one server. Postgres is the
// broker of several instances on one PostgreSQL database: it relays events
// through LISTEN/NOTIFY and delivers what it hears through a Local.
package live

import (
	"context"
	"sync"
	"time"
)

// What names what happened.
type What string

// What happened to a link, or to the owner's sessions.
const (
	Created What = "created"
	Viewed  What = "viewed"
	Used    What = "used"
	Revoked What = "revoked"
	// Refused says that an open of the link was refused and recorded in
	// its audit trail: a wrong password, or an attempt after the link
	// ended. Nothing else of the link changed.
	Refused What = "refused"
	// RequestChanged says that the owner's request, Event.Request, was
	// filled or revoked. It names no link: filling one makes a link, told
	// as Created.
	RequestChanged What = "request"
	// RequestCreated says that the owner made a request, Event.Request,
	// from any page, the API or the command line. It names no link.
	RequestCreated What = "request-created"
	// SessionsChanged says that one of the owner's sessions or API keys
	// ended or the account was disabled: each stream checks that its own
	// session or key still holds, and ends if not. It names no link.
	SessionsChanged What = "sessions"
	// SessionRenewed says that the owner's web session Event.Session goes
	// on under a new token, whose id is Event.Renewed: a stream of that
	// session follows it there. It names no link.
	SessionRenewed What = "renewed"
)

// Event is one thing that happened. It carries ids only, so that it fits a
// notification between instances; subscribers read the rest from the store.
type Event struct {
	Owner int64
	Link  int64
	// Request is the request a RequestChanged or RequestCreated event is
	// about.
	Request int64
	What    What
	// Expires is when a Created event's link expires: a stream that
	// watches its owner's expiries learns of a sooner one without a read.
	// Zero when not known.
	Expires time.Time
	// Session and Renewed are a SessionRenewed event's session ids (token
	// hashes, never tokens): the one it had and the one it has now.
	Session, Renewed string
	// ID tells one delivered event from every other: the subscribers that
	// receive the same event can share the work it asks of them, such as
	// reading the link's row once. Publishers leave it zero; the broker
	// that delivers the event sets it.
	ID uint64
}

// Broker delivers each published Event to the subscriptions of its owner.
type Broker interface {
	// Publish delivers e, with a new ID, and never waits for a subscriber.
	Publish(ctx context.Context, e Event) error
	// Subscribe returns the owner's events as they are published, and a
	// cancel func that ends the subscription. The channel is closed when
	// cancel is called, or when the broker drops a subscriber that fell
	// too far behind: the subscriber has missed events and must catch up
	// from the store.
	Subscribe(owner int64) (events <-chan Event, cancel func())
	// Last returns the ID of the owner's last delivered event, 0 before
	// the first. A page drawn from the store after reading it, whose
	// subscription then finds a later Last, may have missed what came
	// between.
	Last(owner int64) uint64
}

// Buffer is how many events a subscriber may have waiting before Local
// drops it.
const Buffer = 64

// Local is the in-process Broker. The zero value is ready to use.
type Local struct {
	mu   sync.Mutex
	subs map[int64]map[chan Event]struct{}
	// last is the ID of the last event published; lastOf the last of
	// each owner that has had one.
	last   uint64
	lastOf map[int64]uint64
}

var _ Broker = (*Local)(nil)

// Publish numbers e and hands it to each of its owner's subscribers
// without waiting. A subscriber whose buffer is full is dropped, its channel
// closed, rather than holding up the publisher and every other subscriber.
func (l *Local) Publish(_ context.Context, e Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last++
	e.ID = l.last
	if l.lastOf == nil {
		l.lastOf = map[int64]uint64{}
	}
	l.lastOf[e.Owner] = e.ID
	for ch := range l.subs[e.Owner] {
		select {
		case ch <- e:
		default:
			l.drop(e.Owner, ch)
		}
	}
	return nil
}

// Subscribe returns the owner's events; see Broker.
func (l *Local) Subscribe(owner int64) (<-chan Event, func()) {
	ch := make(chan Event, Buffer)
	l.mu.Lock()
	if l.subs == nil {
		l.subs = map[int64]map[chan Event]struct{}{}
	}
	if l.subs[owner] == nil {
		l.subs[owner] = map[chan Event]struct{}{}
	}
	l.subs[owner][ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := l.subs[owner][ch]; ok {
			l.drop(owner, ch)
		}
	}
}

// Last returns the ID of the owner's last event; see Broker.
func (l *Local) Last(owner int64) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastOf[owner]
}

// drop removes and closes a subscription; l.mu is held.
func (l *Local) drop(owner int64, ch chan Event) {
	delete(l.subs[owner], ch)
	if len(l.subs[owner]) == 0 {
		delete(l.subs, owner)
	}
	close(ch)
}

// DropAll ends every subscription, as if each had fallen behind: each
// subscriber catches up from the store. A broker calls it when it may have
// missed events, such as after reconnecting to the database.
func (l *Local) DropAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for owner, chans := range l.subs {
		for ch := range chans {
			l.drop(owner, ch)
		}
	}
}
