package components

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"oncelink/core"
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

// wait writes how long to wait, rounded up to the second: "12s", "1m 5s".
func wait(d time.Duration) string {
	return left((d + time.Second - 1).Truncate(time.Second))
}

// retryAt is the data-retry-at of an open form that the rate limits hold
// back, which app.js counts down to; none when they do not.
func retryAt(f OpenForm) templ.Attributes {
	if f.Lockout <= 0 {
		return nil
	}
	return templ.Attributes{"data-retry-at": millis(f.RetryAt)}
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

// timesOpened says how often a link was opened of how often it may be:
// "1 of 1", "2 of 5".
func timesOpened(used, max int) string {
	return fmt.Sprintf("%d of %d", used, max)
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
func listURL(l LinkPage, before string) string {
	q := url.Values{}
	if l.Status != "" {
		q.Set("status", l.Status)
	}
	if l.Query != "" {
		q.Set("q", l.Query)
	}
	if before != "" {
		q.Set("before", before)
	}
	if len(q) == 0 {
		return "/links"
	}
	return "/links?" + q.Encode()
}

// newPassword is a password field's attributes: for a new password, its
// least length and the help that says so; and the form's mistake when it
// is about the password.
func newPassword(autocomplete, errField string) templ.Attributes {
	if autocomplete != "new-password" {
		return described(errField, "password", "")
	}
	a := described(errField, "password", "password-help")
	a["minlength"] = strconv.Itoa(core.MinPasswordLen)
	return a
}

// described is an input's aria attributes: the ids of its help, and, when
// the form's mistake (in errField) is about this field, of the message
// beside it, which marks the input invalid.
func described(errField, field, help string) templ.Attributes {
	a := templ.Attributes{}
	ids := help
	if errField == field {
		a["aria-invalid"] = "true"
		ids = strings.TrimSpace(errorID(field) + " " + help)
	}
	if ids != "" {
		a["aria-describedby"] = ids
	}
	return a
}

func errorID(field string) string { return "error-" + field }

// linkFormFields are the create form's fields, beside which its mistakes
// show.
var linkFormFields = []string{"kind", "message", "url", "file", "ttl", "max_uses", "password", "for_user", "label"}

// unplaced is a form's mistake when it is about none of the form's
// fields, which then shows at the top of the form; "" when it shows
// beside its field.
func unplaced(msg, errField string, fields ...string) string {
	for _, f := range fields {
		if f == errField {
			return ""
		}
	}
	return msg
}

// expiryChoice writes a key lifetime as the settings page offers it.
func expiryChoice(e string) string {
	switch e {
	case "never":
		return "Never"
	case "1y":
		return "1 year"
	}
	return strings.TrimSuffix(e, "d") + " days"
}

// ttlPreset is a common lifetime, offered beside the create form's free
// field.
type ttlPreset struct{ value, label string }

// ttlPresets are the common lifetimes within f's bounds.
func ttlPresets(f LinkForm) []ttlPreset {
	min, errMin := core.ParseDuration(f.MinTTL)
	max, errMax := core.ParseDuration(f.MaxTTL)
	var out []ttlPreset
	for _, p := range []ttlPreset{{"10m", "10 minutes"}, {"1h", "1 hour"}, {"1d", "1 day"}, {"7d", "7 days"}, {"30d", "30 days"}} {
		d, _ := core.ParseDuration(p.value)
		if (errMin == nil && d < min) || (errMax == nil && d > max) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// The create form's password generator makes passwords of
// generatedPasswordLen characters from passwordAlphabet, which leaves out
// characters easily mistaken for others (0 O, 1 l I): about 117 bits.
const (
	passwordAlphabet     = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	generatedPasswordLen = 20
)

// instructions is a text to send with a new link: who shares what, how
// often and until when it opens, for whom, and whether a password comes
// apart from it. The time is in UTC, which reads the same wherever the
// recipient is.
func instructions(c Created) string {
	times := plural(c.Row.MaxUses, "time", "times")
	if c.Row.MaxUses == 1 {
		times = "once"
	}
	lines := []string{
		c.Owner + " shared " + thing(c.Row.Kind) + " with you: " + c.URL,
		"It opens " + times + ", until " + when(c.Row.ExpiresAt) + "; after that it is gone.",
	}
	if c.Row.ForUser != "" {
		lines = append(lines, "Only the account "+c.Row.ForUser+" can open it.")
	}
	if c.Row.HasPassword {
		lines = append(lines, "The password comes separately.")
	}
	return strings.Join(lines, "\n")
}
