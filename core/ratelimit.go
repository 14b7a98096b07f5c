package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is a rate limit per key (a client, an account name, a link): N
// requests at once, then one more every Per/N. The zero Rate stands for the
// limit's default, so that a Config that does not mention a limit keeps it.
type Rate struct {
	N   int
	Per time.Duration
	// Off turns the limit off.
	Off bool
}

// Bounds of a Rate. A window longer than a day would keep a key's bucket in
// memory for as long.
const (
	MaxRateN   = 1_000_000
	minRatePer = time.Second
	maxRatePer = 24 * time.Hour
)

// ParseRate reads a rate limit written as N/DURATION, such as "10/1m" (ten
// at once, then one more every six seconds) or "10/m", or "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Rate{Off: true}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, errors.New(`a rate is written N/DURATION, such as 10/1m, or "off"`)
	}
	r := Rate{}
	var err error
	if r.N, err = strconv.Atoi(strings.TrimSpace(n)); err != nil || r.N < 1 || r.N > MaxRateN {
		return Rate{}, fmt.Errorf("the number of requests must be from 1 to %d", MaxRateN)
	}
	if per = strings.TrimSpace(per); per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per
	}
	if r.Per, err = ParseDuration(per); err != nil || r.Per < minRatePer || r.Per > maxRatePer {
		return Rate{}, fmt.Errorf("the duration must be from %s to %s, such as 1m", FormatDuration(minRatePer), FormatDuration(maxRatePer))
	}
	return r, nil
}

// String writes r as ParseRate reads it.
func (r Rate) String() string {
	if r.Off {
		return "off"
	}
	return strconv.Itoa(r.N) + "/" + FormatDuration(r.Per)
}

// Rates are the rate limits oncelink enforces. A zero field, or any that
// is neither Off nor a limit, takes its value from DefaultRates.
type Rates struct {
	SignIn             Rate // sign-in attempts per client
	SignInAccount      Rate // sign-in attempts per account name, whoever sends them
	Setup              Rate // set-up attempts per client
	Open               Rate // link page views and opens, and unsubscribes from notice mails, per client
	LinkPassword       Rate // password attempts per link, whoever sends them
	LinkPasswordClient Rate // link password attempts per client
	API                Rate // API requests per account
	APIKeyClient       Rate // refused API keys per client
}

// DefaultRates are the limits a server has unless told otherwise.
var DefaultRates = Rates{
	SignIn:             Rate{N: 10, Per: time.Minute},
	SignInAccount:      Rate{N: 10, Per: time.Minute},
	Setup:              Rate{N: 5, Per: time.Minute},
	Open:               Rate{N: 30, Per: 30 * time.Second},
	LinkPassword:       Rate{N: 5, Per: time.Minute},
	LinkPasswordClient: Rate{N: 10, Per: time.Minute},
	API:                Rate{N: 600, Per: time.Minute},
	APIKeyClient:       Rate{N: 10, Per: time.Minute},
}

// goneRecords bounds how many refused opens of one dead link its audit
// trail records: enough for its owner to see that someone came too late,
// too few for a flood of attempts to grow the trail without end. It holds
// even when the other limits are off; the attempts are refused either way.
var goneRecords = Rate{N: 10, Per: time.Hour}

// confirmationMails bounds how many confirmation mails an account has
// sent to addresses it names: enough to correct a typing mistake or two,
// too few to make the server flood somebody else's mailbox. It holds even
// when the other limits are off.
var confirmationMails = Rate{N: 5, Per: time.Hour}

// webhookTests bounds how many test messages an account has sent its
// webhook endpoints: plenty to try a receiver out, too few to make the
// server send requests to somebody else's address at will. It holds even
// when the other limits are off.
var webhookTests = Rate{N: 20, Per: time.Hour}

// limits are the limiters of Rates, and of goneRecords, confirmationMails
// and webhookTests, which hold whatever Rates says.
type limits struct {
	signIn, signInAccount, setup, open, linkPassword, linkPasswordClient, api, apiKeyClient *limiter
	gone, confirmationMails, webhookTests                                                   *limiter
}

// newLimits makes the limiters of r, all off unless on, with their buckets
// in shared when it is not nil.
func newLimits(on bool, r Rates, shared RateStore) *limits {
	d := DefaultRates
	l := func(name string, r, def Rate) *limiter {
		if !r.Off && (r.N < 1 || r.Per <= 0) {
			r = def
		}
		return newLimiter(name, r, !on || r.Off, shared)
	}
	return &limits{
		signIn:             l("sign-in-client", r.SignIn, d.SignIn),
		signInAccount:      l("sign-in-account", r.SignInAccount, d.SignInAccount),
		setup:              l("setup", r.Setup, d.Setup),
		open:               l("open", r.Open, d.Open),
		linkPassword:       l("link-password", r.LinkPassword, d.LinkPassword),
		linkPasswordClient: l("link-password-client", r.LinkPasswordClient, d.LinkPasswordClient),
		api:                l("api", r.API, d.API),
		apiKeyClient:       l("api-key-client", r.APIKeyClient, d.APIKeyClient),
		gone:               newLimiter("gone-records", goneRecords, false, shared),
		confirmationMails:  newLimiter("confirmation-mails", confirmationMails, false, shared),
		webhookTests:       newLimiter("webhook-tests", webhookTests, false, shared),
	}
}

// RateStore keeps rate-limit buckets where several instances share them.
type RateStore interface {
	TakeRate(ctx context.Context, bucket []byte, every time.Duration, burst int, now time.Time) (time.Duration, error)
	RateLeft(ctx context.Context, bucket []byte, every time.Duration, burst int, now time.Time) (int, time.Duration, error)
}

// Bounds of a limiter's memory. A key longer than maxKeyLen (an account
// name is whatever a client sends) is kept as its SHA-256.
const (
	maxKeys   = 10_000
	maxKeyLen = 64
)

// dropsPerTake bounds how many refilled buckets one request drops while
// the table has room, so that no request pays for a long quiet spell; the
// rest go with later requests, or at once when the table is full.
const dropsPerTake = 4

// limiter is a token bucket per key. A bucket that has refilled holds
// nothing a new one would not, so it can be dropped at any time: the
// limiter forgets a key once its bucket is full again.
//
// It never holds more than maxKeys buckets. A new key that finds the table
// full takes the place of the bucket that will be full soonest: one that
// is full already if there is any, or else the one that owes least. No key
// is refused for want of room, so a flood of new keys (names, addresses)
// denies nobody else a turn, and memory stays bounded.
//
// Evicting a bucket that is not full forgives what its key owes, and that
// is sound because of which one goes. A key held back by its limit owes
// more than burst-1 requests. For it to be evicted, every other bucket in
// the table, maxKeys-1 of them, must owe at least as much, each key having
// spent its whole allowance within the window, and yet another key must
// come: a limited key gets fresh turns only after about maxKeys×burst
// requests by others, and stays limited while fewer keys than the table
// holds are limited with it. A flood of single requests from ever new
// addresses evicts only its own buckets and those of clients owing no
// more than a request, never a limited key; being evicted costs a client
// nothing, as it comes back to a full bucket. An attacker with more than
// maxKeys addresses gets a bucket for each address used, as a table
// holding them all would give; the per-account and per-link limits bound
// what guessing gains however many addresses send it, and their own
// buckets are evicted by the same rule: freeing an account's turns takes
// about maxKeys×burst attempts at other names, each a client's turn too.
//
// With shared set, the buckets live in the database instead, where every
// instance takes from the same ones and there is no such bound (the
// sweeper deletes full ones).
type limiter struct {
	// name tells the limiter's buckets from other limiters' in the shared
	// store; every instance uses the same.
	name   string
	every  time.Duration // one more request is allowed this often
	burst  int
	off    bool
	shared RateStore

	mu sync.Mutex
	// epoch is the first time the limiter was asked; buckets keep times
	// as durations since then, with the clock's monotonic reading.
	epoch time.Time
	// index finds a key's bucket in buckets, whose free slots are listed
	// in free. soonest is a heap of bucket slots ordered by their
	// knownFull, so that the bucket full soonest is found without a
	// scan.
	index   map[string]int32
	buckets []bucket
	free    []int32
	soonest []int32
}

// bucket is a key's bucket: the time it is full again, as in the GCRA
// (and as the shared store keeps it). It allows a request while that is at
// most burst-1 intervals away, and each request moves it one interval on.
type bucket struct {
	key    string
	fullAt time.Duration
	// knownFull is fullAt when the bucket last took its place in soonest.
	// A request moves fullAt later and leaves soonest alone; the heap is
	// put right only where it is looked at, so a request costs no heap
	// work and each repair follows at least one request.
	knownFull time.Duration
}

func newLimiter(name string, r Rate, off bool, shared RateStore) *limiter {
	l := &limiter{name: name, off: off, shared: shared, index: map[string]int32{}}
	if !off {
		l.every, l.burst = r.Per/time.Duration(r.N), r.N
	}
	return l
}

// allow takes a request from key's bucket. When the bucket is empty it
// returns false and how long until one is allowed again.
func (l *limiter) allow(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	if l.off {
		return true, 0, nil
	}
	if l.shared != nil {
		wait, err := l.shared.TakeRate(ctx, l.sharedBucket(key), l.every, l.burst, now)
		return wait == 0 && err == nil, wait, err
	}
	key = memoryKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.epoch.IsZero() {
		l.epoch = now
	}
	t := now.Sub(l.epoch)
	for range dropsPerTake {
		if !l.dropFull(t) {
			break
		}
	}
	i, ok := l.index[key]
	if !ok {
		if len(l.index) >= maxKeys {
			l.evictSoonest()
		}
		// A new bucket is full: it takes this request and is full again
		// an interval from now.
		l.add(key, t+l.every)
		return true, 0, nil
	}
	b := &l.buckets[i]
	fullAt := max(b.fullAt, t)
	if limit := t + time.Duration(l.burst-1)*l.every; fullAt > limit {
		return false, fullAt - limit, nil
	}
	b.fullAt = fullAt + l.every
	return true, 0, nil
}

// left tells, without taking any, how many requests key's bucket holds
// now, and when it holds none, how long until it holds one. An off
// limiter holds any number: -1.
func (l *limiter) left(ctx context.Context, key string, now time.Time) (int, time.Duration, error) {
	if l.off {
		return -1, 0, nil
	}
	if l.shared != nil {
		return l.shared.RateLeft(ctx, l.sharedBucket(key), l.every, l.burst, now)
	}
	key = memoryKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	i, ok := l.index[key]
	if !ok {
		return l.burst, 0, nil // no bucket yet, or one dropped once full
	}
	// The bucket lacks one request for every interval, begun, until it is
	// full again.
	owed := l.buckets[i].fullAt - now.Sub(l.epoch)
	if owed <= 0 {
		return l.burst, 0, nil
	}
	if n := l.burst - int((owed+l.every-1)/l.every); n > 0 {
		return n, 0, nil
	}
	wait := (owed - time.Duration(l.burst-1)*l.every).Round(time.Millisecond)
	return 0, max(wait, time.Millisecond), nil
}

// add gives key a bucket that is full at fullAt.
func (l *limiter) add(key string, fullAt time.Duration) {
	var i int32
	if n := len(l.free); n > 0 {
		i, l.free = l.free[n-1], l.free[:n-1]
	} else {
		i = int32(len(l.buckets))
		l.buckets = append(l.buckets, bucket{})
	}
	l.buckets[i] = bucket{key: key, fullAt: fullAt, knownFull: fullAt}
	l.index[key] = i
	l.soonest = append(l.soonest, i)
	l.up(len(l.soonest) - 1)
}

// dropFull drops the bucket full soonest if it is full at t, or puts it in
// its place when requests have moved it on, and says whether it did
// either; false means no bucket is full at t.
func (l *limiter) dropFull(t time.Duration) bool {
	if len(l.soonest) == 0 {
		return false
	}
	b := &l.buckets[l.soonest[0]]
	switch {
	case b.knownFull > t:
		return false
	case b.fullAt > b.knownFull:
		b.knownFull = b.fullAt
		l.down(0)
	default:
		l.removeSoonest()
	}
	return true
}

// evictSoonest drops the bucket that is full soonest: full already, or
// owing least.
func (l *limiter) evictSoonest() {
	for {
		b := &l.buckets[l.soonest[0]]
		if b.fullAt == b.knownFull {
			l.removeSoonest()
			return
		}
		b.knownFull = b.fullAt
		l.down(0)
	}
}

// removeSoonest drops the bucket at the top of soonest.
func (l *limiter) removeSoonest() {
	i, last := l.soonest[0], len(l.soonest)-1
	l.swap(0, last)
	l.soonest = l.soonest[:last]
	l.down(0)
	delete(l.index, l.buckets[i].key)
	l.buckets[i] = bucket{}
	l.free = append(l.free, i)
}

func (l *limiter) less(a, b int) bool {
	return l.buckets[l.soonest[a]].knownFull < l.buckets[l.soonest[b]].knownFull
}

func (l *limiter) swap(a, b int) {
	l.soonest[a], l.soonest[b] = l.soonest[b], l.soonest[a]
}

func (l *limiter) up(j int) {
	for j > 0 {
		parent := (j - 1) / 2
		if !l.less(j, parent) {
			return
		}
		l.swap(j, parent)
		j = parent
	}
}

func (l *limiter) down(j int) {
	n := len(l.soonest)
	for {
		c := 2*j + 1
		if c >= n {
			return
		}
		if c+1 < n && l.less(c+1, c) {
			c++
		}
		if !l.less(c, j) {
			return
		}
		l.swap(j, c)
		j = c
	}
}

// sharedBucket is key's bucket in the shared store. The database sees a
// digest of the key: no addresses or names are kept for rate limiting.
func (l *limiter) sharedBucket(key string) []byte {
	sum := sha256.Sum256([]byte(l.name + "\x00" + key))
	return sum[:16]
}

// memoryKey is key as a limiter's memory keeps it: as its SHA-256 when it
// is longer than maxKeyLen.
func memoryKey(key string) string {
	if len(key) > maxKeyLen {
		sum := sha256.Sum256([]byte(key))
		key = string(sum[:])
	}
	return key
}

// take takes a request of key's from l, and refuses it, a Limited error
// that says how long to wait, when l is used up.
func (s *Service) take(ctx context.Context, l *limiter, key string) error {
	ok, wait, err := l.allow(ctx, key, s.Now())
	if err != nil {
		return err
	}
	if !ok {
		return limited(wait)
	}
	return nil
}

// Client is whoever sent a request, as the audit trail records them and
// the rate limits count them.
type Client struct {
	IP        string
	UserAgent string
}

// ClientOf is the client of a request from remoteAddr (host:port) with
// the given X-Forwarded-For header values: the connection's peer, or,
// behind a trusted reverse proxy, the last address it added (earlier
// entries are whatever the client claimed).
func ClientOf(remoteAddr string, forwardedFor []string, trustProxy bool, userAgent string) Client {
	c := Client{UserAgent: userAgent}
	if trustProxy && len(forwardedFor) > 0 {
		hops := strings.Split(forwardedFor[len(forwardedFor)-1], ",")
		if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
			c.IP = ip.String()
			return c
		}
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	c.IP = host
	return c
}

// key is what per-client limits count c under: its IPv4 address, or its
// IPv6 /64, since one subscriber usually holds a whole /64 and could
// otherwise take a fresh address for every attempt.
func (c Client) key() string {
	parsed := net.ParseIP(c.IP)
	if parsed == nil {
		return c.IP
	}
	if v4 := parsed.To4(); v4 != nil {
		return v4.String()
	}
	return (&net.IPNet{IP: parsed.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// Action is what a client takes a Turn at.
type Action int

// The actions whose per-client limit a Turn takes.
const (
	SignInAction Action = iota + 1
	SetupAction
	OpenAction
	// UnsubscribeAction is an unsubscribe link's POST, counted with opens:
	// both come from links in somebody's hands, not from a form of the
	// account's own.
	UnsubscribeAction
)

// Turn is a client's attempt at an action, allowed by the action's
// per-client rate limit. The adapters take it with TakeTurn before they
// read the request's body, so that a client held back costs no read and
// none of its bytes are waited for; the action itself (SignIn, Setup,
// Open) then takes only the limits that depend on what the body says: an
// account name's, a link's.
type Turn struct {
	action Action
	client Client
}

// TakeTurn takes c's turn at a from a's per-client limit, or refuses it
// with a Limited *Error.
func (s *Service) TakeTurn(ctx context.Context, a Action, c Client) (Turn, error) {
	var l *limiter
	switch a {
	case SignInAction:
		l = s.limits.signIn
	case SetupAction:
		l = s.limits.setup
	case OpenAction, UnsubscribeAction:
		l = s.limits.open
	default:
		return Turn{}, fmt.Errorf("core: no turns to take at action %d", a)
	}
	if err := s.take(ctx, l, c.key()); err != nil {
		return Turn{}, err
	}
	return Turn{action: a, client: c}, nil
}

// check refuses a turn that TakeTurn did not give for a: an action never
// runs without its per-client limit.
func (t Turn) check(a Action) error {
	if t.action != a {
		return fmt.Errorf("core: action %d without a turn taken for it", a)
	}
	return nil
}
