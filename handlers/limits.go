package handlers

import (
	"context"
	"crypto/sha256"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per key (a client address, an account name, a
// link). Buckets idle for longer than it takes them to refill are dropped,
// so its memory follows the number of recently active keys. With shared
// set, the buckets live in the database instead, where every instance takes
// from the same ones.
type limiter struct {
	// name tells the limiter's buckets apart from other limiters' in the
	// shared store; every instance must use the same.
	name   string
	every  time.Duration // one more request is allowed this often
	burst  int
	off    bool
	shared RateStore

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// RateStore keeps rate-limit buckets where several instances share them.
type RateStore interface {
	TakeRate(ctx context.Context, bucket []byte, every time.Duration, burst int, now time.Time) (time.Duration, error)
}

// allow takes a request from key's bucket. When the bucket is empty it
// returns false and how long until one is allowed again.
func (l *limiter) allow(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	if l.off {
		return true, 0, nil
	}
	if l.shared != nil {
		// The database sees a digest of the key: no addresses or names
		// are kept for rate limiting.
		sum := sha256.Sum256([]byte(l.name + "\x00" + key))
		wait, err := l.shared.TakeRate(ctx, sum[:16], l.every, l.burst, now)
		return wait == 0 && err == nil, wait, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	full := l.every * time.Duration(l.burst)
	if now.Sub(l.swept) > full {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d, nil
	}
	return true, 0, nil
}

// limits are the rate limits oncelink enforces.
type limits struct {
	signInClient, signInAccount *limiter
	setup                       *limiter
	consume                     *limiter
	linkPassword, passwordLink  *limiter
}

// newLimits makes the limits, off unless on, with their buckets in shared
// when it is not nil.
func newLimits(on bool, shared RateStore) *limits {
	newLimiter := func(name string, every time.Duration, burst int) *limiter {
		return &limiter{name: name, every: every, burst: burst, off: !on, shared: shared, buckets: map[string]*bucket{}}
	}
	return &limits{
		signInClient:  newLimiter("sign-in-client", 6*time.Second, 10),
		signInAccount: newLimiter("sign-in-account", 6*time.Second, 10),
		setup:         newLimiter("setup", 12*time.Second, 5),
		consume:       newLimiter("consume", time.Second, 30),
		passwordLink:  newLimiter("password-link", 12*time.Second, 5),
		linkPassword:  newLimiter("link-password", 6*time.Second, 10),
	}
}

// allow answers 429 with Retry-After and returns false when key has used
// up l.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, l *limiter, key string) bool {
	ok, wait, err := l.allow(r.Context(), key, h.now())
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	if !ok {
		h.fail(w, r, &userError{status: http.StatusTooManyRequests, title: "Too many attempts",
			msg: "Too many attempts in a short time. Wait a little, then try again.", retryAfter: wait})
	}
	return ok
}

// clientIP is the address a request came from: the connection's peer, or,
// behind a trusted reverse proxy, the last address it added to
// X-Forwarded-For (earlier entries are whatever the client claimed).
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if fwd := r.Header.Values("X-Forwarded-For"); len(fwd) > 0 {
			hops := strings.Split(fwd[len(fwd)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
