package core

import (
	"errors"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "15m": 15 * time.Minute, "2h": 2 * time.Hour, "7d": 7 * 24 * time.Hour,
		"2w": 14 * 24 * time.Hour, "1d12h": 36 * time.Hour, " 1h30m ": 90 * time.Minute, "0s": 0,
		"1m1h": 61 * time.Minute, "1w1d1h1m1s": 8*24*time.Hour + time.Hour + time.Minute + time.Second,
		// A decimal fraction, as in Go's durations: 1.5h is 1h30m.
		"1.5h": 90 * time.Minute, "0.5d": 12 * time.Hour, "1.25m": 75 * time.Second,
		"2.5w": 420 * time.Hour, "1.5d6h": 42 * time.Hour, "07.50m": 450 * time.Second, "1.0h": time.Hour,
		// To the nearest second.
		"1.0001h": time.Hour, "0.4s": 0, "0.5s": time.Second, "1.999999999999s": 2 * time.Second,
		// The largest, written whole or with a fraction.
		"36500d": maxTTLParse, "36500.0d": maxTTLParse, "5214.2857w": 3_153_599_991 * time.Second,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "90", "h", "1.5", ".5h", "1.h", "1..5h", "1.5.5h", "1,5h", "-1.5h", "+1h", "1.5x",
		"1h30m0.5", "1.5ms", "1 h", "1h30m0s extra", "1.5h!", "٣h",
		// Each unit once, in lower case, as documented.
		"1d1d", "1h30m1h", "1.5h0.5h", "0s0s", "1H", "7D", "1.5H", "1h30M", "2W", "36500d36500d"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
	for _, in := range []string{"36501d", "36500.1d", "5215w", "5214.3w", "99999999999999999999s", "9999999999.5s", "36500d0.5s"} {
		if d, err := ParseDuration(in); !errors.Is(err, errDurationTooLong) {
			t.Errorf("ParseDuration(%q) = %v, %v; want too long", in, d, err)
		}
	}
}

// TestLifetime: a link's lifetime with a fraction is held to the server's
// bounds as any other is.
func TestLifetime(t *testing.T) {
	s := New(Config{MinTTL: time.Minute, MaxTTL: 30 * 24 * time.Hour}, nil, nil, nil)
	for _, tc := range []struct {
		in   string
		want time.Duration
		code string
	}{
		{"1.5h", 90 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"0.02h", 72 * time.Second, ""},
		{"29.5d", 708 * time.Hour, ""},
		{"30d", 30 * 24 * time.Hour, ""},
		{"0.5m", 0, "ttl_out_of_range"},
		{"30.5d", 0, "ttl_out_of_range"},
		{"4.3w", 0, "ttl_out_of_range"},
		{"36500.1d", 0, "ttl_out_of_range"},
		{"1.5", 0, "ttl_invalid"},
		{".5h", 0, "ttl_invalid"},
	} {
		got, err := s.lifetime(tc.in)
		if got != tc.want || (tc.code == "" && err != nil) || (tc.code != "" && !isCode(err, tc.code)) {
			t.Errorf("lifetime(%q) = %v, %v; want %v, %q", tc.in, got, err, tc.want, tc.code)
		}
	}
}
