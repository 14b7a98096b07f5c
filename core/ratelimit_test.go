package core

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkLimiter fails unless l holds at most maxKeys buckets, each key
// once, no key longer than maxKeyLen, and soonest is a heap of them all.
func checkLimiter(t *testing.T, l *limiter) {
	t.Helper()
	if len(l.index) > maxKeys || len(l.buckets) > maxKeys || len(l.soonest) != len(l.index) || len(l.free) != len(l.buckets)-len(l.index) {
		t.Fatalf("%d keys, %d buckets, %d in the heap, %d free; want at most %d keys", len(l.index), len(l.buckets), len(l.soonest), len(l.free), maxKeys)
	}
	for j, i := range l.soonest {
		b := l.buckets[i]
		if l.index[b.key] != i || len(b.key) > maxKeyLen || b.knownFull > b.fullAt {
			t.Fatalf("bucket %d (%q) is out of place", i, b.key)
		}
		if j > 0 && l.less(j, (j-1)/2) {
			t.Fatalf("soonest is no heap at %d", j)
		}
	}
}

// TestLimiterLetsNewKeysInWhenFull: once maxKeys keys have taken a turn
// and more keep coming, every new client still gets its whole allowance.
func TestLimiterLetsNewKeysInWhenFull(t *testing.T) {
	l := newLimiter("test", DefaultRates.SignIn, false, nil)
	now := time.Now()
	for i := range 2 * maxKeys {
		if ok, _, _ := l.allow(t.Context(), "flood "+strconv.Itoa(i), now); !ok {
			t.Fatalf("flooding key %d refused its first request", i)
		}
	}
	for _, client := range []string{"alice", "bob", "carol"} {
		for i := range DefaultRates.SignIn.N {
			if ok, _, _ := l.allow(t.Context(), client, now); !ok {
				t.Fatalf("%s refused request %d of %d", client, i+1, DefaultRates.SignIn.N)
			}
		}
		if ok, _, _ := l.allow(t.Context(), client, now); ok {
			t.Fatalf("%s allowed more than %d requests", client, DefaultRates.SignIn.N)
		}
	}
	checkLimiter(t, l)
}

// TestLimiterFloodCannotKeepClientsOut floods a limiter with five times
// maxKeys keys, as fast as the attack that filled the table in four
// seconds and again every half minute, some of them kept busy up to their
// limit: a client that comes along meanwhile is let in, and memory stays
// bounded however long keys are.
func TestLimiterFloodCannotKeepClientsOut(t *testing.T) {
	for _, r := range []Rate{DefaultRates.SignIn, DefaultRates.Open} {
		t.Run(r.String(), func(t *testing.T) {
			l := newLimiter("test", r, false, nil)
			now := time.Now()
			for i := range 5 * maxKeys {
				now = now.Add(400 * time.Microsecond)
				key := "flood " + strconv.Itoa(i%(2*maxKeys))
				if i%2 == 0 {
					key += strings.Repeat("x", 1000)
				}
				turns := 1
				if i%7 == 0 {
					turns = r.N + 1
				}
				for range turns {
					l.allow(t.Context(), key, now)
				}
				if i%1000 == 0 {
					client := "client " + strconv.Itoa(i)
					for n := range r.N {
						if ok, _, _ := l.allow(t.Context(), client, now); !ok {
							t.Fatalf("after %d flooding keys, a new client was refused request %d of %d", i, n+1, r.N)
						}
					}
				}
			}
			checkLimiter(t, l)
		})
	}
}

// TestLimiterKeepsLimitedKeysLimited: a flood of new keys takes the place
// of buckets that owe less, not of a key held back by its limit, which
// stays limited until its bucket refills; it is evicted only once every
// other key in the table owes more.
func TestLimiterKeepsLimitedKeysLimited(t *testing.T) {
	r := Rate{N: 10, Per: time.Minute}
	l := newLimiter("test", r, false, nil)
	now := time.Now()
	spend := func(key string) {
		t.Helper()
		for range r.N {
			if ok, _, _ := l.allow(t.Context(), key, now); !ok {
				t.Fatalf("%s was refused before its limit", key)
			}
		}
	}
	refused := func(key string, want time.Duration) {
		t.Helper()
		if ok, wait, _ := l.allow(t.Context(), key, now); ok || wait != want {
			t.Fatalf("%s: allowed %v, wait %s; want refused, wait %s", key, ok, wait, want)
		}
	}
	spend("guesser")
	refused("guesser", 6*time.Second)
	for i := range 5 * maxKeys {
		now = now.Add(50 * time.Microsecond)
		l.allow(t.Context(), "flood "+strconv.Itoa(i), now)
	}
	// 2.5 s of flood: the guesser's bucket is still 3.5 s from a request.
	refused("guesser", 3500*time.Millisecond)
	checkLimiter(t, l)

	now = now.Add(3500 * time.Millisecond)
	if ok, _, _ := l.allow(t.Context(), "guesser", now); !ok {
		t.Fatal("the guesser's bucket did not refill")
	}
	refused("guesser", 6*time.Second)

	// Keys that each spend a whole allowance owe more than the guesser:
	// once they fill the rest of the table, the next new key takes the
	// guesser's place, which owes least.
	now = now.Add(time.Millisecond)
	for i := range maxKeys - 1 {
		spend("spender " + strconv.Itoa(i))
	}
	if _, ok := l.index["guesser"]; !ok {
		t.Fatal("the guesser was evicted before the table was full")
	}
	spend("newcomer")
	if _, ok := l.index["guesser"]; ok {
		t.Fatal("a new key took the place of a key owing more than the guesser")
	}
	checkLimiter(t, l)
}

// TestLimiterCountsLikeATokenBucket compares a limiter's answers with a
// token bucket kept per key without bound, over random requests and
// pauses, while buckets are dropped as they refill.
func TestLimiterCountsLikeATokenBucket(t *testing.T) {
	r := Rate{N: 4, Per: 10 * time.Second}
	every := r.Per / time.Duration(r.N)
	l := newLimiter("test", r, false, nil)
	start := time.Now()
	now := start
	fullAt := map[string]time.Time{}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		now = now.Add(time.Duration(rnd.IntN(int(2 * time.Millisecond))))
		key := strconv.Itoa(rnd.IntN(3000))
		f := fullAt[key]
		if f.Before(now) {
			f = now
		}
		limit := now.Add(time.Duration(r.N-1) * every)
		wantOK, wantWait := !f.After(limit), f.Sub(limit)
		if wantOK {
			fullAt[key], wantWait = f.Add(every), 0
		}
		if ok, wait, _ := l.allow(t.Context(), key, now); ok != wantOK || wait != wantWait {
			t.Fatalf("%s at %s: allowed %v, wait %s; want %v, %s", key, now.Sub(start), ok, wait, wantOK, wantWait)
		}
	}
	checkLimiter(t, l)
}

// TestLimiterTellsWhatIsLeft: left tells what allow would, without taking.
func TestLimiterTellsWhatIsLeft(t *testing.T) {
	l := newLimiter("test", Rate{N: 3, Per: 30 * time.Second}, false, nil)
	now := time.Now()
	holds := func(key string, wantLeft int, wantWait time.Duration) {
		t.Helper()
		n, wait, err := l.left(t.Context(), key, now)
		if err != nil || n != wantLeft || wait != wantWait {
			t.Fatalf("%s holds %d, wait %s (%v); want %d, %s", key, n, wait, err, wantLeft, wantWait)
		}
	}
	long := strings.Repeat("k", maxKeyLen+1)
	for _, key := range []string{"client", long} {
		holds(key, 3, 0)
		for i := range 3 {
			if ok, _, _ := l.allow(t.Context(), key, now); !ok {
				t.Fatalf("request %d refused", i)
			}
			holds(key, 2-i, map[bool]time.Duration{true: 10 * time.Second}[i == 2])
		}
	}
	now = now.Add(4 * time.Second)
	holds("client", 0, 6*time.Second)
	now = now.Add(6 * time.Second)
	holds("client", 1, 0)
	if n, wait, err := newLimiter("off", Rate{Off: true}, true, nil).left(t.Context(), "client", now); n != -1 || wait != 0 || err != nil {
		t.Fatalf("an off limiter holds %d, wait %s (%v); want -1", n, wait, err)
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"10/1m": {N: 10, Per: time.Minute}, "10/m": {N: 10, Per: time.Minute}, " 5 / 30s ": {N: 5, Per: 30 * time.Second},
		"100/1h": {N: 100, Per: time.Hour}, "off": {Off: true}, "OFF": {Off: true}, "1/1d": {N: 1, Per: 24 * time.Hour},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "10", "/1m", "0/1m", "-1/1m", "10/0s", "10/500ms", "10/2d", "10/1m/1m", "x/1m", "10/x", "1000001/1m", "on"} {
		if r, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %+v, want an error", in, r)
		}
	}
}

func TestClientKeys(t *testing.T) {
	if got := ClientOf("[::ffff:192.0.2.8]:5000", nil, true, "").key(); got != "192.0.2.8" {
		t.Errorf("an IPv4-mapped peer address is the client %q", got)
	}
	for addr, want := range map[string]string{
		"192.0.2.7":              "192.0.2.7",
		"2001:db8:1:2::1":        "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::9":   "2001:db8:1:2::/64",
		"2001:db8:1:3::1":        "2001:db8:1:3::/64",
		"::ffff:192.0.2.7":       "192.0.2.7",
		"10.0.0.1, 198.51.100.4": "198.51.100.4",
	} {
		if got := ClientOf("127.0.0.1:5000", []string{addr}, true, "").key(); got != want {
			t.Errorf("client(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestForwardedForNeedsTrust(t *testing.T) {
	if got := ClientOf("127.0.0.1:5000", []string{"198.51.100.4"}, false, "").IP; got != "127.0.0.1" {
		t.Errorf("an untrusted X-Forwarded-For chose the client %q", got)
	}
}
