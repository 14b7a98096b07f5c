package core

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration such as "90s", "15m", "2h", "7d", "2w" or
// "1d12h": whole numbers, each with a unit of s, m, h, d (24 hours) or w
// (7 days). Link TTLs and the server's duration flags are written this way.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || len(s) > 32 {
		return 0, errors.New("empty or too long")
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, errors.New("a number needs a unit after it")
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return 0, errDurationTooLong // only digits: too many of them
		}
		unit, ok := ttlUnits[s[i]]
		if !ok {
			return 0, errors.New("unknown unit")
		}
		if n > int64(maxTTLParse/unit) || total > maxTTLParse-time.Duration(n)*unit {
			return 0, errDurationTooLong
		}
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	return total, nil
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
