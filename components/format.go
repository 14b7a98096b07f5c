package components

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// when writes a time for people, in UTC; app.js rewrites it in the
// reader's own time zone.
func when(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// iso writes a time for machines, in a <time datetime> attribute.
func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// left writes how long remains until t, coarsely: "2d 3h", "5m 10s".
func left(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "expired"
	}
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins, secs := d/time.Minute, (d%time.Minute)/time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm %ds", mins, secs)
	}
	return fmt.Sprintf("%ds", secs)
}

func kindName(kind string) string {
	switch kind {
	case "message":
		return "Message"
	case "url":
		return "Link"
	case "file":
		return "File"
	}
	return kind
}

// thing names what a link shares, for a sentence: "a message".
func thing(kind string) string {
	switch kind {
	case "message":
		return "a message"
	case "url":
		return "a web address"
	case "file":
		return "a file"
	}
	return "something"
}

// noun names what a link shares after "the".
func noun(kind string) string {
	switch kind {
	case "url":
		return "link"
	case "message", "file":
		return kind
	}
	return "content"
}

// LimitSize writes a limit exactly, in the largest unit that divides it:
// 2 GiB, 25 MiB, 1500 KiB, 1000 bytes. A limit rounded to look tidy would
// be a limit the server does not keep.
func LimitSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// size writes the size of a file, to a tenth of its unit.
func size(n int64) string {
	unit, in := "", 1.0
	switch {
	case n >= 1<<20:
		unit, in = "MiB", 1<<20
	case n >= 1<<10:
		unit, in = "KiB", 1<<10
	default:
		return fmt.Sprintf("%d bytes", n)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/in), ".0") + " " + unit
}

func uses(used, max int) string {
	if max == 1 {
		if used == 0 {
			return "unused"
		}
		return "used"
	}
	return fmt.Sprintf("%d/%d used", used, max)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func rowName(r LinkRow) string {
	if r.Label != "" {
		return r.Label
	}
	return kindName(r.Kind) + " link"
}

// listURL is the dashboard address of l's filter, from the page before.
func listURL(l LinkPage, before int64) string {
	q := url.Values{}
	if l.Status != "" {
		q.Set("status", l.Status)
	}
	if l.Query != "" {
		q.Set("q", l.Query)
	}
	if before != 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if len(q) == 0 {
		return "/links"
	}
	return "/links?" + q.Encode()
}

// newPassword is what a password field asks of a new password: its length,
// and the help that says so.
func newPassword(autocomplete string) templ.Attributes {
	if autocomplete != "new-password" {
		return nil
	}
	return templ.Attributes{"minlength": strconv.Itoa(MinPasswordLen), "aria-describedby": "password-help"}
}
