package components

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"oncelink/core"
)

// Notices is the notifications section of the settings page: the notice
// address for email, and the webhook endpoints with their deliveries.
type Notices struct {
	// EmailOn is set when the server can send email.
	EmailOn bool
	// Address is the confirmed notice address, empty when none.
	Address string
	// Pending is an address waiting for its confirmation.
	Pending        string
	PendingExpires time.Time
	AddressForm    AddressForm
	// ConfirmToken, when set, shows the button that confirms the pending
	// address (the page a confirmation mail links to).
	ConfirmToken string
	Emails       []DeliveryItem

	Webhooks    []WebhookItem
	WebhookForm WebhookForm
	// Events are the events an endpoint may choose.
	Events []EventChoice
	// AtLimit is set when the account has as many endpoints as it may.
	AtLimit bool
	// NewWebhook is an endpoint just made, with the one showing of its
	// secret.
	NewWebhook *NewWebhook
	// Message is a word about what was just done, such as a test queued.
	Message string
	// TestHeldBack, when the rate limits refused a test message to the
	// endpoint TestHeld, says for how long, beside its Test button.
	TestHeld     int64
	TestHeldBack *HeldBack
}

// AddressForm is the notice-address form, after a try.
type AddressForm struct {
	Address    string
	Error      string
	ErrorField string
	// HeldBack, when the rate limits refused the address, says for how
	// long.
	HeldBack *HeldBack
}

// WebhookForm is the new-endpoint form, after a try.
type WebhookForm struct {
	// FormKey is sent with the form, as each endpoint's RotateKey with its
	// Rotate secret button, so that a reload of the page that showed a
	// secret makes no second endpoint or secret.
	FormKey    string
	URL        string
	Events     []string
	Error      string
	ErrorField string
}

// Chosen reports whether event e is ticked.
func (f WebhookForm) Chosen(e string) bool {
	for _, c := range f.Events {
		if c == e {
			return true
		}
	}
	return false
}

// EventChoice is one event an endpoint may choose, with what it means.
type EventChoice struct {
	Value, Label string
}

// NewWebhook is the one showing of a new endpoint's secret, or of the
// new secret of one just rotated.
type NewWebhook struct {
	URL    string
	Secret string
	// Rotated is set when the secret replaces another, which signs too
	// until PreviousUntil.
	Rotated       bool
	PreviousUntil time.Time
}

// WebhookItem is one endpoint with its latest deliveries.
type WebhookItem struct {
	ID         int64
	URL        string
	Events     []string
	CreatedAt  time.Time
	DisabledAt time.Time
	// PreviousUntil, when set, is when the secret that the last rotation
	// replaced stops signing beside the new one.
	PreviousUntil time.Time
	Deliveries    []DeliveryItem
	// RotateKey is the form key of its Rotate secret button.
	RotateKey string
}

// IDText is the endpoint's id as its forms name it.
func (w WebhookItem) IDText() string { return strconv.FormatInt(w.ID, 10) }

// DeliveryItem is one notice sent, or to be sent.
type DeliveryItem struct {
	Type        string
	Status      string
	Attempts    int
	LastCode    int
	LastError   string
	CreatedAt   time.Time
	NextAt      time.Time
	DeliveredAt time.Time
	// RequestID or LinkID is what the notice was about, if either: a
	// request's notice has the link it made as its LinkID too.
	LinkID, RequestID int64
	// Email is a mail's delivery, which a mail server takes, not an
	// endpoint.
	Email bool
}

// Outcome says where the delivery stands, in a few words.
func (d DeliveryItem) Outcome(ctx context.Context) string {
	switch d.Status {
	case "delivered":
		if d.LastCode != 0 {
			return T(ctx, "notices.delivery.delivered_code", "Code", strconv.Itoa(d.LastCode))
		}
		return T(ctx, "notices.delivery.delivered")
	case "pending":
		return T(ctx, "notices.delivery.waiting") // a retry's time is the page's (deliveryList)
	}
	return T(ctx, "notices.delivery.failed")
}

// Where is where a redirect that the last attempt got, which is not
// followed, leads, as the worker recorded it, or "": the title of the
// words that say it was one.
func (d DeliveryItem) Where() string {
	if d.LastCode >= 300 && d.LastCode <= 399 && strings.Contains(d.LastError, "a redirect to") {
		return d.LastError
	}
	return ""
}

// Tried says how the last attempt went, when there was one that failed,
// or why a delivery failed before any.
func (d DeliveryItem) Tried(ctx context.Context) string {
	switch {
	case d.Status == "delivered" || (d.Attempts == 0 && d.LastError == ""):
		return ""
	case d.Attempts == 0:
		return d.lastError(ctx)
	}
	s := N(ctx, "notices.delivery.attempts", d.Attempts)
	if d.LastError != "" {
		s = T(ctx, "notices.delivery.tried_error", "Attempts", s, "Error", d.lastError(ctx))
	}
	return s
}

// lastError is what went wrong the last time, in the reader's language
// where oncelink can say it: an endpoint's answer, or its being disabled,
// or the account's.
// A failure to reach the endpoint or the mail server is said by its kind.
// Anything else, such as what a mail server answered, is shown as said.
func (d DeliveryItem) lastError(ctx context.Context) string {
	switch {
	case d.LastError == core.EndpointDisabled: // whatever an earlier attempt got
		return T(ctx, "notices.delivery.disabled")
	case d.LastError == core.AccountDisabled:
		return T(ctx, "notices.delivery.account_disabled")
	case d.LastCode == http.StatusGone:
		return T(ctx, "notices.delivery.answered_gone")
	case d.Where() != "":
		// Where it leads, as the worker kept it, is the item's title.
		return T(ctx, "notices.delivery.answered_redirect", "Code", strconv.Itoa(d.LastCode))
	case d.LastCode != 0:
		return T(ctx, "notices.delivery.answered", "Code", strconv.Itoa(d.LastCode))
	}
	if k, ok := failures[d.LastError]; ok {
		if d.Email && k.mailID != "" {
			return T(ctx, k.mailID)
		}
		return T(ctx, k.id)
	}
	for _, k := range networkFailures {
		if strings.Contains(d.LastError, k.says) {
			if d.Email && k.mailID != "" {
				return T(ctx, k.mailID)
			}
			return T(ctx, k.id)
		}
	}
	return d.LastError
}

// failure is how the page says a failure: id, or mailID, when set, for a
// mail's delivery, which names the mail server where id names the
// endpoint.
type failure struct{ id, mailID string }

// failures tell a failure to reach the endpoint or the mail server by the
// words the worker records for it.
var failures = map[string]failure{
	core.FailedNoHost:      {"notices.delivery.net_no_host", ""},
	core.FailedLookup:      {"notices.delivery.net_lookup", ""},
	core.FailedRefused:     {"notices.delivery.net_refused", "notices.delivery.net_refused_mail"},
	core.FailedTimeout:     {"notices.delivery.net_timeout", ""},
	core.FailedPrivate:     {"notices.delivery.net_private", ""},
	core.FailedTLS:         {"notices.delivery.net_tls", ""},
	core.FailedBroken:      {"notices.delivery.net_broken", ""},
	core.FailedUnreachable: {"notices.delivery.net_unreachable", ""},
	core.FailedHeaders:     {"notices.delivery.net_headers", ""},
	core.FailedConnect:     {"notices.delivery.net_failed", ""},
	core.FailedStopped:     {"notices.delivery.stopped", ""},
	core.FailedInternal:    {"notices.delivery.internal", ""},
	core.FailedEmailOff:    {"notices.delivery.email_off", ""},
	core.FailedNoAddress:   {"notices.delivery.no_address", ""},
}

// networkFailures tell a failure to connect by what Go's network and TLS
// packages say of it, in the order they are checked, as deliveries
// recorded it before the worker kept a failure's kind alone; mailID, when
// set, is how a mail's delivery says it.
var networkFailures = []struct{ says, id, mailID string }{
	{"refused to connect to a private", "notices.delivery.net_private", ""},
	{"connection refused", "notices.delivery.net_refused", "notices.delivery.net_refused_mail"},
	{"no such host", "notices.delivery.net_no_host", ""},
	{"x509:", "notices.delivery.net_tls", ""},
	{"tls:", "notices.delivery.net_tls", ""},
	{"Client.Timeout", "notices.delivery.net_timeout", ""},
	{"i/o timeout", "notices.delivery.net_timeout", ""},
	{"context deadline exceeded", "notices.delivery.net_timeout", ""},
	{"connection reset", "notices.delivery.net_broken", ""},
	{"EOF", "notices.delivery.net_broken", ""},
}

// Unsubscribe is the page of an unsubscribe link: the address whose
// notices it stops, and where its button posts.
type Unsubscribe struct {
	Address string
	Action  string
	// HeldBack, when the rate limits refused the button, says for how
	// long.
	HeldBack *HeldBack
}
