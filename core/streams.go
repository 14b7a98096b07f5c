package core

import (
	"sync"
	"time"

	"oncelink/live"
)

// Every open event stream, a dashboard's (GET /links/events) or the API's
// (GET /api/v1/events), holds a connection, an open file, a goroutine and
// a subscription for as long as it lasts; without a bound, one account
// could open streams until the server has no file left for a sign-in. The
// bounds count the streams open on one instance, both kinds together.
const (
	// MaxStreams bounds the streams one account holds open at once: more
	// than a person with a dashboard in every tab and a few scripts
	// waiting on the API ever opens.
	MaxStreams = 32
	// MaxStreamsFromAddress bounds those of them from one client address
	// (an IPv6 one by its /64, as the rate limits count it), so that one
	// place, a script gone wrong or a key in the wrong hands, leaves the
	// account's other places room.
	MaxStreamsFromAddress = 24
)

// streamRetry is how long a stream refused for the bound is asked to
// wait: a place comes free only when another stream ends.
const streamRetry = 30 * time.Second

// StreamLimits are the bounds on open event streams; a zero field takes
// MaxStreams or MaxStreamsFromAddress.
type StreamLimits struct {
	PerAccount int // an account's streams
	PerAddress int // an account's streams from one client address
}

// streams counts the event streams open on this instance, by account and
// by account and address, to hold them to the StreamLimits.
type streams struct {
	limits    StreamLimits
	mu        sync.Mutex
	byAccount map[int64]int
	byAddress map[streamPlace]int
}

// streamPlace is an account's streams from one client address.
type streamPlace struct {
	account int64
	address string
}

// take takes a place for one more of the account's streams, from client
// address, or refuses it beyond the limits.
func (s *streams) take(account int64, address string) error {
	place := streamPlace{account, address}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byAccount[account] >= s.limits.PerAccount {
		return errTooManyStreams(s.limits.PerAccount, "account")
	}
	if s.byAddress[place] >= s.limits.PerAddress {
		return errTooManyStreams(s.limits.PerAddress, "address")
	}
	if s.byAccount == nil {
		s.byAccount, s.byAddress = map[int64]int{}, map[streamPlace]int{}
	}
	s.byAccount[account]++
	s.byAddress[place]++
	return nil
}

func (s *streams) release(account int64, address string) {
	place := streamPlace{account, address}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byAccount[account]--; s.byAccount[account] <= 0 {
		delete(s.byAccount, account)
	}
	if s.byAddress[place]--; s.byAddress[place] <= 0 {
		delete(s.byAddress, place)
	}
}

// errTooManyStreams refuses a stream beyond limit, the bound of the
// account's streams ("account") or of those from one address ("address").
func errTooManyStreams(limit int, variant string) *Error {
	e := Variant(Limited, "too_many_streams", variant, "", "too_many_streams", "Count", limit)
	e.RetryAfter = streamRetry
	return e
}

// Subscribe opens an event stream of the owner's, for client c: it returns
// the owner's events as they are published (see live.Broker), and a cancel
// func that ends the subscription and gives the stream's place back. Beyond
// the owner's StreamLimits it is a Limited refusal, too_many_streams.
func (s *Service) Subscribe(owner int64, c Client) (<-chan live.Event, func(), error) {
	address := c.key()
	if err := s.streams.take(owner, address); err != nil {
		return nil, nil, err
	}
	events, unsubscribe := s.live.Subscribe(owner)
	var once sync.Once
	return events, func() {
		once.Do(func() {
			unsubscribe()
			s.streams.release(owner, address)
		})
	}, nil
}
