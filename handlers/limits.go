package handlers

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per key (a client address, an account name, a
// link). Buckets idle for longer than it takes them to refill are dropped,
// so its memory follows the number of recently active keys.
type limiter struct {
	every time.Duration // one more request is allowed this often
	burst int
	off   bool

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(every time.Duration, burst int, off bool) *limiter {
	return &limiter{every: every, burst: burst, off: off, buckets: map[string]*bucket{}}
}

// allow takes a request from key's bucket. When the bucket is empty it
// returns false and how long until one is allowed again.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l.off {
		return true, 0
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
		return false, d
	}
	return true, 0
}

// limits are the rate limits oncelink enforces.
type limits struct {
	signInClient, signInAccount *limiter
	setup                       *limiter
	consume                     *limiter
	linkPassword, passwordLink  *limiter
}

func newLimits(on bool) *limits {
	return &limits{
		signInClient:  newLimiter(6*time.Second, 10, !on),
		signInAccount: newLimiter(6*time.Second, 10, !on),
		setup:         newLimiter(12*time.Second, 5, !on),
		consume:       newLimiter(time.Second, 30, !on),
		passwordLink:  newLimiter(12*time.Second, 5, !on),
		linkPassword:  newLimiter(6*time.Second, 10, !on),
	}
}

// allow answers 429 with Retry-After and returns false when key has used
// up l.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, l *limiter, key string) bool {
	ok, wait := l.allow(key, h.now())
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
