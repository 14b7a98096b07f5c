package components

import (
	"context"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"oncelink/core"
	"oncelink/i18n"
)

// Requests is the owner's requests page: the form, the request just made
// with its only showing of its URL, and a page of the list, kept live by
// Stream.
type Requests struct {
	Form    RequestForm
	Created *CreatedRequest
	Rows    []RequestRow
	Stream  string
	// Status is the list's filter: a request status (core.RequestStatuses),
	// or "" for every request.
	Status string
	// Paged is set on any page of the list but the first; Next is the
	// cursor of the page after this one, empty on the last.
	Paged bool
	Next  string
	// Gone is the ID of a request, named by its address, that is no
	// longer kept: the page says so (see RequestPath).
	Gone int64
}

// takesNewRequests makes the rows of page v take a request made elsewhere
// (in another tab, by the API or the command line) at their top, as the
// stream's new-request event brings it: the first page alone, where the
// newest requests are, and only when its filter lets in an open request,
// which a new one is.
func takesNewRequests(v Requests) templ.Attributes {
	if v.Paged || (v.Status != "" && v.Status != string(core.RequestOpen)) {
		return nil
	}
	return templ.Attributes{"sse-swap": "new-request", "hx-swap": "afterbegin"}
}

// requestsURL is the address of the page of v's list, with its filter,
// that cursor before starts; its first page for "".
func requestsURL(v Requests, before string) string {
	return pageURL("/requests", "status", v.Status, "before", before)
}

// noneFiltered says, by the list's filter, that no request has that
// status.
var noneFiltered = map[string]string{
	"open":      "requests.empty.open",
	"fulfilled": "requests.empty.fulfilled",
	"expired":   "requests.empty.expired",
	"revoked":   "requests.empty.revoked",
}

// RequestForm is the "Request a secret" form, as typed, with its mistake.
type RequestForm struct {
	// FormKey tells this form from a second sending of it: it is the
	// request's idempotency key (see core.RequestInput).
	FormKey                   string
	Label, Note, Accepts, TTL string
	MinTTL, MaxTTL            string
	// Errors are the form's mistakes, all of them.
	Errors FieldErrors
}

// CreatedRequest is a new request, with the only copy of its URL.
type CreatedRequest struct {
	URL string
	Row RequestRow
}

// RequestRow is one of the owner's requests in the list.
type RequestRow struct {
	ID                   int64
	Label, Note, Accepts string
	Status               string
	CreatedAt, ExpiresAt time.Time
	// Left is how long an open request has left as the page is drawn.
	Left        time.Duration
	FulfilledAt time.Time
	RevokedAt   time.Time
	LinkID      int64
	// Page is the cursor of the page of the list the row is on, which
	// withdrawing it comes back to; "" for the first.
	Page string
}

// requestWhen is what the list says of a request's time, by its status:
// when something was sent to it, when it was withdrawn, or when it
// expires or expired.
func requestWhen(r RequestRow) (id string, at time.Time) {
	switch r.Status {
	case "fulfilled":
		return "requests.list.sent_at", r.FulfilledAt
	case "revoked":
		return "requests.list.withdrawn_at", r.RevokedAt
	case "expired":
		return "requests.list.expired_at", r.ExpiresAt
	}
	return "requests.list.expires_at", r.ExpiresAt
}

// requestExpired is what the list says of an open request once it has
// expired, as a row drawn after its expiry says it.
func requestExpired(r RequestRow) templ.Component {
	expired := r
	expired.Status = "expired"
	id, at := requestWhen(expired)
	return markup(id, "When", markTime(at))
}

// liveRequest is what request r's row carries to follow it live: the
// stream's event named after the request swaps the row whole, and app.js
// reads how the request stands and its name, to count it down and to say
// what changed, as it does a link's (see liveLink).
func liveRequest(ctx context.Context, r RequestRow) templ.Attributes {
	return templ.Attributes{
		"data-status": r.Status,
		"data-name":   requestRowName(ctx, r),
		"sse-swap":    RequestRowID(r.ID),
		"hx-swap":     "outerHTML",
	}
}

// requestRowName names a request in text without markup: its label, its
// isolates balanced (see i18n.Contain), for app.js to isolate in the
// sentences it says, or its number.
func requestRowName(ctx context.Context, r RequestRow) string {
	if r.Label != "" {
		return i18n.Contain(r.Label)
	}
	return T(ctx, "requests.name", "ID", strconv.FormatInt(r.ID, 10))
}

// RequestRowID is the id of request id's row in the page, and the name of
// the event that brings its new state.
func RequestRowID(id int64) string { return "request-" + strconv.FormatInt(id, 10) }

// RequestPath is the address that leads the owner to request id: to its
// row, while it is kept (see RequestRowPath), and to their requests, which
// say that it is gone, once it is not. Where its notices lead, in their
// mails and in the settings' deliveries, which outlive the row.
func RequestPath(id int64) string { return "/requests/" + strconv.FormatInt(id, 10) }

// RequestRowPath is the address of request id's row in the owner's
// requests, on the page of the list that starts with it, however many came
// after it.
func RequestRowPath(id int64) string {
	return RequestsPath(core.RequestsFrom(id)) + "#" + RequestRowID(id)
}

// RequestsPath is the address of the page of the owner's requests that
// cursor before starts (see core.RequestsFrom); the first page for "".
func RequestsPath(before string) string {
	return pageURL("/requests", "before", before)
}

// SendForm is a request's public page: the owner's note and the form.
type SendForm struct {
	Action    string
	Owner     string
	Note      string
	Accepts   string
	ExpiresAt time.Time
	MaxUpload int64
	Message   string
	// Errors are the form's mistakes.
	Errors FieldErrors
	// HeldBack, when the rate limits refused the form, says for how long.
	HeldBack *HeldBack
}

// OwnRequest is a request's page for its owner.
type OwnRequest struct {
	Row RequestRow
	// OpenAction, once the request is filled, opens what was sent.
	OpenAction string
	// Gone, once what was sent can no longer be opened (its link used,
	// expired or revoked), is the address of that link's details.
	Gone string
	// Sent is what was sent, "message" or "file", when it is known.
	Sent string
	// HeldBack, when the rate limits refused the open, says for how long,
	// above the button that opens what was sent.
	HeldBack *HeldBack
}

// ownEnded is what a request's page tells its owner of a request that
// ended before anything was sent, with the time it ended: the id of that
// text, or "" for a request that did not.
func ownEnded(r RequestRow) (id string, at time.Time) {
	switch r.Status {
	case "revoked":
		return "requests.own.withdrawn", r.RevokedAt
	case "expired":
		return "requests.own.expired", r.ExpiresAt
	}
	return "", time.Time{}
}

// sentText says what was sent to v's request: what it was, when that is
// known, else what the request took.
func sentText(v OwnRequest) string {
	switch v.Sent {
	case "message":
		return sentTexts["text"]
	case "file":
		return sentTexts["file"]
	}
	return acceptsID(v.Row.Accepts, sentTexts)
}

// acceptsText names what a request accepts, for a table cell: "a file".
func acceptsText(ctx context.Context, a string) string {
	return T(ctx, acceptsID(a, acceptsNames))
}

// acceptsID is the id among ids, by what a request accepts, of a text
// about it: "any"'s for anything but "text" and "file".
func acceptsID(a string, ids map[string]string) string {
	if id, ok := ids[a]; ok {
		return id
	}
	return ids["any"]
}

// sendFields are the fields of a request's send form, by what it accepts:
// an error about another is said above the form.
func sendFields(accepts string) []string {
	switch accepts {
	case core.AcceptsText:
		return []string{"message"}
	case core.AcceptsFile:
		return []string{"file"}
	}
	return []string{"message", "file"}
}

// sendOneID is the id of the line of a send form that takes a message or
// a file, which says to send one of them: both fields name it.
const sendOneID = "send-one"

// sendOneNote is the id of the line that also describes the file field of
// a send form that accepts what accepts says: sendOneID, or none.
func sendOneNote(accepts string) string {
	if accepts == core.AcceptsAny {
		return sendOneID
	}
	return ""
}

var (
	acceptsNames = map[string]string{"any": "requests.accepts.any", "text": "requests.accepts.text", "file": "requests.accepts.file"}
	sendHeadings = map[string]string{"any": "requests.send.heading.any", "text": "requests.send.heading.text", "file": "requests.send.heading.file"}
	sentTexts    = map[string]string{"any": "requests.own.sent.any", "text": "requests.own.sent.text", "file": "requests.own.sent.file"}
)

// requestStatus names how a request stands: "open", "fulfilled".
func requestStatus(ctx context.Context, status string) string {
	if id, ok := requestStatuses[status]; ok {
		return T(ctx, id)
	}
	return status
}

var requestStatuses = map[string]string{
	"open":      "requests.status.open",
	"fulfilled": "requests.status.fulfilled",
	"expired":   "requests.status.expired",
	"revoked":   "requests.status.revoked",
}
