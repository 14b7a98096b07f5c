package components

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"oncelink/core"
	"oncelink/i18n"
)

// when writes a time for people, in UTC, in the reader's language; app.js
// rewrites it in the reader's own time zone.
func when(ctx context.Context, t time.Time) string { return i18n.From(ctx).When(t) }

// iso writes a time for machines, in a <time datetime> attribute.
func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// left writes d, how long remains, coarsely: "2d 3h", "5m 10s".
func left(ctx context.Context, d time.Duration) string { return i18n.From(ctx).Left(d) }

// wait writes how long to wait, in words (see i18n.Localizer.Wait): "12
// seconds", "1 minute 5 seconds".
func wait(ctx context.Context, d time.Duration) string { return i18n.From(ctx).Wait(d) }

// retryAt is the data-retry-at of an open form that the rate limits hold
// back, which app.js counts down to; none when they do not.
func retryAt(f OpenForm) templ.Attributes {
	if f.Lockout <= 0 {
		return nil
	}
	return templ.Attributes{"data-retry-at": millis(f.RetryAt)}
}

// kindName names a kind of link: "Message".
func kindName(ctx context.Context, kind string) string {
	if id, ok := kindNames[kind]; ok {
		return T(ctx, id)
	}
	return kind
}

var kindNames = map[string]string{"message": "kind.message", "url": "kind.url", "file": "kind.file"}

// thing names what a link shares, for a sentence: "a message".
func thing(ctx context.Context, kind string) string {
	if id, ok := kindThings[kind]; ok {
		return T(ctx, id)
	}
	return T(ctx, "kind.thing.something")
}

var kindThings = map[string]string{"message": "kind.thing.message", "url": "kind.thing.url", "file": "kind.thing.file"}

// size writes the size of a file in the reader's language (see
// i18n.Localizer.Size).
func size(ctx context.Context, n int64) string { return i18n.From(ctx).Size(n) }

// limit writes a size limit in the reader's language: "25 MiB",
// "26,203,885 bytes".
func limit(ctx context.Context, n int64) string { return core.Size(n).In(i18n.From(ctx)) }

// bytesAtMost and charsAtMost are the attributes of a text field whose
// limit app.js checks as a person types or pastes, counted as the server
// counts it, in UTF-8 bytes or in characters (code points), and refused
// in the server's words. A maxlength would count UTF-16 code units: it
// would let through a message in Chinese three times too long, and cut a
// label of emoji at half its length.
func bytesAtMost(ctx context.Context, max int, refusal *core.Error) templ.Attributes {
	return templ.Attributes{"data-max-bytes": strconv.Itoa(max), "data-too-long": refusal.Message(i18n.From(ctx))}
}

func charsAtMost(ctx context.Context, field string, max int) templ.Attributes {
	return templ.Attributes{"data-max-chars": strconv.Itoa(max), "data-too-long": core.TextTooLong(field, max).Message(i18n.From(ctx))}
}

// timesOpened says how often a link was opened of how often it may be:
// "1 of 1", "2 of 5".
func timesOpened(ctx context.Context, used, max int) string {
	return T(ctx, "format.times_opened", "Uses", used, "Max", max)
}

// plural is the plural message id for n: "1 try", "3 tries".
func plural(ctx context.Context, n int, id string) string { return N(ctx, id, n) }

// rowName names a link: its label (see i18n.Contain), or its kind. A
// sentence isolates it: nameInText in text without markup, linkName in
// HTML, app.js in the sentences it says.
func rowName(ctx context.Context, r LinkRow) string {
	if r.Label != "" {
		return i18n.Contain(r.Label)
	}
	if id, ok := rowNames[r.Kind]; ok {
		return T(ctx, id)
	}
	return T(ctx, "kind.link.unknown", "Kind", r.Kind)
}

// liveLink is what an element showing link r carries to follow it live,
// on the dashboard, its details page and its owner's page: the stream's
// event named after the link swaps the element whole, and app.js reads
// how the link stands, its name and its uses, to count it down and to say
// what changed.
func liveLink(ctx context.Context, r LinkRow) templ.Attributes {
	return templ.Attributes{
		"data-status": r.Status,
		"data-name":   rowName(ctx, r),
		"data-uses":   openedSaid(ctx, r),
		"sse-swap":    RowID(r.ID),
		"hx-swap":     "outerHTML",
	}
}

// revocableUntil marks a used link's Revoke form with the moment, in the
// server's milliseconds, when its last opener's grant ends and revoking no
// longer ends anything, for the page to take it away then.
func revocableUntil(r LinkRow) templ.Attributes {
	if r.RevocableUntil.IsZero() {
		return nil
	}
	return templ.Attributes{"data-revocable-until": millis(r.RevocableUntil)}
}

// nameInText is rowName for a sentence in text without markup, such as
// an attribute: a label isolated from the words around it (see
// i18n.Isolate).
func nameInText(ctx context.Context, r LinkRow) string {
	if r.Label != "" {
		return i18n.Isolate(r.Label)
	}
	return rowName(ctx, r)
}

var rowNames = map[string]string{"message": "kind.link.message", "url": "kind.link.url", "file": "kind.link.file"}

// listURL is the dashboard address of l's filter, from the page before.
func listURL(l LinkPage, before string) string {
	return pageURL("/links", "status", l.Status, "q", l.Query, "before", before)
}

// pageURL is the address of a page of the list at path: its query says
// the values of pairs (a name, then its value) that are set, its filter
// and the cursor that starts the page; the first page of the whole list
// is path alone.
func pageURL(path string, pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
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

// formErrorsID is the id of the mistakes said above a form (formErrors).
const formErrorsID = "form-errors"

// describedAlso adds id to the ids that describe an input, when on.
func describedAlso(a templ.Attributes, id string, on bool) templ.Attributes {
	if on {
		ids, _ := a["aria-describedby"].(string)
		a["aria-describedby"] = strings.TrimSpace(id + " " + ids)
	}
	return a
}

// linkFormFields are the create form's fields, beside which its mistakes
// show: "notify" only where the form offers it, on a server that sends
// email.
func linkFormFields(f LinkForm) []string {
	fields := []string{"kind", "message", "url", "file", "ttl", "max_uses", "password", "for_user", "label"}
	if f.EmailOn {
		fields = append(fields, "notify")
	}
	return fields
}

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
func expiryChoice(ctx context.Context, e string) string {
	switch e {
	case "never":
		return T(ctx, "format.expiry.never")
	case "1y":
		return T(ctx, "format.expiry.year")
	}
	days, err := strconv.Atoi(strings.TrimSuffix(e, "d"))
	if err != nil {
		return e
	}
	return N(ctx, "format.expiry.days", days)
}

// ttlPreset is a common lifetime, offered beside the create form's free
// field.
type ttlPreset struct{ value, label string }

// ttlPresets are the common lifetimes within f's bounds.
func ttlPresets(ctx context.Context, f LinkForm) []ttlPreset {
	min, errMin := core.ParseDuration(f.MinTTL)
	max, errMax := core.ParseDuration(f.MaxTTL)
	var out []ttlPreset
	for _, p := range []struct {
		value, id string
		n         int
	}{{"10m", "create.preset.minutes", 10}, {"1h", "create.preset.hours", 1}, {"1d", "create.preset.days", 1}, {"7d", "create.preset.days", 7}, {"30d", "create.preset.days", 30}} {
		d, _ := core.ParseDuration(p.value)
		if (errMin == nil && d < min) || (errMax == nil && d > max) {
			continue
		}
		out = append(out, ttlPreset{p.value, N(ctx, p.id, p.n)})
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
// apart from it. The time is the owner's, in the zone they chose (else
// UTC), which it names: the owner reads it as their own clock does before
// sending it, a recipient in their zone reads it as it is, and one
// elsewhere can look the zone up. A time from now ("in 2 hours") would go
// wrong while the text waits to be read.
func instructions(ctx context.Context, c Created) string {
	lines := []string{
		T(ctx, "create.instructions.shared", "Owner", c.Owner, "Thing", thing(ctx, c.Row.Kind), "URL", c.URL),
		N(ctx, "create.instructions.opens", c.Row.MaxUses, "When", i18n.From(ctx).WhenIn(c.Row.ExpiresAt, c.Zone)),
	}
	if c.Row.ForUser != "" {
		lines = append(lines, T(ctx, "create.instructions.for_user", "Account", c.Row.ForUser))
	}
	if c.Row.HasPassword {
		lines = append(lines, T(ctx, "create.instructions.password"))
	}
	return strings.Join(lines, "\n")
}

// deliveredHeading is an opened link's heading: who shared what, or, to
// the link's owner, that it opened from a link of their own.
func deliveredHeading(ctx context.Context, v Delivered) templ.Component {
	switch {
	case v.Answers != nil && *v.Answers != "":
		return markup("recipient.heading_answer_named", "Label", isolated(*v.Answers))
	case v.Answers != nil:
		return markup("recipient.heading_answer")
	case v.Own:
		return markup("recipient.heading_own")
	case v.File != nil && v.File.Media != nil:
		return markup(mediaText(v.File.Media.Kind, sharedMediaHeadings), "Owner", v.Owner)
	}
	return markup("recipient.heading", "Owner", v.Owner, "Thing", thing(ctx, v.Kind))
}

// flagPattern is a command-line flag that a message names, such as
// --webhook-allow-private.
var flagPattern = regexp.MustCompile(`--[a-z][a-z0-9-]*[a-z0-9]`)

// messagePart is a piece of a message: text, or a flag it names.
type messagePart struct {
	text string
	flag bool
}

// flagParts cuts msg around the flags it names, which a message, plain
// text for the API too, cannot mark itself.
func flagParts(msg string) []messagePart {
	var parts []messagePart
	at := 0
	for _, m := range flagPattern.FindAllStringIndex(msg, -1) {
		if m[0] > at {
			parts = append(parts, messagePart{text: msg[at:m[0]]})
		}
		parts = append(parts, messagePart{text: msg[m[0]:m[1]], flag: true})
		at = m[1]
	}
	if at < len(msg) {
		parts = append(parts, messagePart{text: msg[at:]})
	}
	return parts
}
