package core

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration such as "90s", "15m", "2h", "7d", "2w",
// "1d12h" or "1.5h": numbers, each with a unit of s, m, h, d (24 hours) or
// w (7 days), in lower case, each unit at most once. A number may have a
// decimal fraction, as in Go's durations, so that "1.5h" is "1h30m"; the
// sum is taken to the nearest second, the finest FormatDuration writes.
// Link TTLs, API key lifetimes and the server's duration flags are written
// this way.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 {
		return 0, errors.New("empty or too long")
	}
	var total time.Duration
	var seen [256]bool // the units read so far
	for s != "" {
		i := leadingDigits(s)
		whole, fraction := s[:i], ""
		s = s[i:]
		if rest, ok := strings.CutPrefix(s, "."); ok {
			j := leadingDigits(rest)
			if j == 0 {
				return 0, errors.New("a decimal point needs digits after it")
			}
			// Digits past the ninth are dropped: every unit is whole
			// seconds, so the ninth already reaches a nanosecond.
			fraction, s = rest[:min(j, 9)], rest[j:]
		}
		if whole == "" || s == "" {
			return 0, errors.New("a number needs a unit after it")
		}
		unit, ok := ttlUnits[s[0]]
		if !ok {
			return 0, errors.New("unknown unit: a unit is s, m, h, d or w")
		}
		if seen[s[0]] {
			// "1d1d" is a slip, not two days.
			return 0, errors.New("a unit may come only once")
		}
		seen[s[0]] = true
		// The number counts parts of its unit, one for each digit after
		// the point: 1.5h is 15 tenths of an hour.
		part := unit
		for range fraction {
			part /= 10
		}
		n, err := strconv.ParseInt(whole+fraction, 10, 64)
		if err != nil {
			return 0, errDurationTooLong // only digits: too many of them
		}
		if n > int64(maxTTLParse/part) || total > maxTTLParse-time.Duration(n)*part {
			return 0, errDurationTooLong
		}
		total += time.Duration(n) * part
		s = s[1:]
	}
	return total.Round(time.Second), nil
}

// leadingDigits counts the ASCII digits that s starts with.
func leadingDigits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// errDurationTooLong is a well-formed duration past maxTTLParse.
var errDurationTooLong = errors.New("too long")

// maxTTLParse keeps sums far from overflow; real bounds come from the
// server's --max-ttl.
const maxTTLParse = 100 * 365 * 24 * time.Hour

var ttlUnits = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour,
}

// FormatDuration writes d in ParseDuration's form, largest units first, for messages.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}
