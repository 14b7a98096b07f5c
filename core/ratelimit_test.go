package core

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := newLimiter("test", Rate{N: 2, Per: time.Minute}, false, nil)
	now := time.Now()
	for i := range maxKeys + 5000 {
		l.allow(t.Context(), strconv.Itoa(i)+strings.Repeat("x", 1000), now)
	}
	if len(l.buckets) > maxKeys {
		t.Fatalf("%d buckets, want at most %d", len(l.buckets), maxKeys)
	}
	for k := range l.buckets {
		if len(k) > maxKeyLen {
			t.Fatalf("a key of %d bytes is kept whole", len(k))
		}
	}
	// While full, new keys share one bucket: a flood of them gets no more
	// than one key would.
	if ok, _, _ := l.allow(t.Context(), "yet another key", now); ok {
		t.Fatal("a new key got a request through the exhausted overflow bucket")
	}
	// Keys already in the table keep their own buckets.
	if ok, _, _ := l.allow(t.Context(), "0"+strings.Repeat("x", 1000), now); !ok {
		t.Fatal("a key in the table lost its bucket")
	}
	// Once buckets are full again, they are dropped and new keys get their
	// own.
	later := now.Add(time.Minute + time.Second)
	if ok, _, _ := l.allow(t.Context(), "a new key later", later); !ok || len(l.buckets) != 1 {
		t.Fatalf("after a quiet minute: allowed %v, %d buckets", ok, len(l.buckets))
	}
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
