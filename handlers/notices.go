package handlers

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// noticeEvents are the events an endpoint may choose, with the ids of the
// messages that name them on the settings page.
var noticeEvents = []components.EventChoice{
	{Value: "link.opened", Label: "notices.event.opened"},
	{Value: "link.used_up", Label: "notices.event.used_up"},
	{Value: "link.viewed", Label: "notices.event.viewed"},
	{Value: "link.expired_unopened", Label: "notices.event.expired_unopened"},
	{Value: "link.revoked", Label: "notices.event.revoked"},
	{Value: "request.fulfilled", Label: "notices.event.fulfilled"},
}

// eventChoices are noticeEvents named in the reader's language.
func eventChoices(ctx context.Context) []components.EventChoice {
	out := make([]components.EventChoice, len(noticeEvents))
	for i, e := range noticeEvents {
		out[i] = components.EventChoice{Value: e.Value, Label: i18n.T(ctx, e.Label)}
	}
	return out
}

// fillNotices reads the account's notice address and endpoints, with their
// latest deliveries, into v, keeping what v already says of the forms.
func (h *Handler) fillNotices(r *http.Request, a *core.Account, v *components.Notices) error {
	ctx := r.Context()
	addr, emails, err := h.core.NoticeAddress(ctx, a.ID)
	if err != nil {
		return err
	}
	v.EmailOn = h.core.EmailOn()
	v.Address, v.Pending, v.PendingExpires = addr.Address, addr.Pending, addr.PendingExpiresAt
	if v.AddressForm.Address == "" {
		v.AddressForm.Address = addr.Address
	}
	v.Emails = deliveryItems(emails)
	hooks, err := h.core.Webhooks(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, w := range hooks {
		ds, err := h.core.WebhookDeliveries(ctx, a.ID, w.ID)
		if err != nil {
			return err
		}
		item := components.WebhookItem{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt,
			DisabledAt: w.DisabledAt, Deliveries: deliveryItems(ds), RotateKey: rand.Text()}
		if w.PreviousSigns(h.core.Now()) {
			item.PreviousUntil = w.PreviousUntil
		}
		v.Webhooks = append(v.Webhooks, item)
	}
	v.Events = eventChoices(ctx)
	v.AtLimit = len(hooks) >= core.MaxWebhooks
	if v.WebhookForm.FormKey == "" {
		v.WebhookForm.FormKey = rand.Text()
	}
	return nil
}

func deliveryItems(ds []core.Delivery) []components.DeliveryItem {
	items := make([]components.DeliveryItem, len(ds))
	for i, d := range ds {
		items[i] = components.DeliveryItem{Type: d.Type, Status: d.Status, Attempts: d.Attempts, LastCode: d.LastCode,
			LastError: d.LastError, CreatedAt: d.CreatedAt, NextAt: d.NextAt, DeliveredAt: d.DeliveredAt,
			LinkID: d.LinkID, RequestID: d.RequestID, Email: d.WebhookID == 0}
	}
	return items
}

// noticesRefused shows the settings page again with err beside its field
// in the notifications section, if it is a refusal of the input, and
// reports whether it did.
func (h *Handler) noticesRefused(w http.ResponseWriter, r *http.Request, a *core.Account, err error, set func(*components.Notices, *core.Error)) bool {
	return h.settingsRefused(w, r, a, err, func(v *components.Settings, e *core.Error) { set(&v.Notices, e) })
}

// settingsRefused shows the settings page again with err where set puts
// it, if it is a refusal of the input, and reports whether it did.
func (h *Handler) settingsRefused(w http.ResponseWriter, r *http.Request, a *core.Account, err error, set func(*components.Settings, *core.Error)) bool {
	e, ok := core.AsError(err)
	if !ok || e.Kind == core.Limited || (e.Kind == core.Unavailable && e.Code == "unavailable") {
		return false
	}
	var v components.Settings
	set(&v, e)
	h.renderSettings(w, r, a, web.Status(e.Kind), v)
	return true
}

// sessionNoticesSaid is what the notifications section says once, on the
// settings page that follows a change of it.
const sessionNoticesSaid = "notices_said"

// noticesDone answers a change of the notifications that went through with
// a redirect to them, where message shows once: a reload of that page
// then changes nothing again, as a reload of the POST's answer would (a
// second mail or test message).
func (h *Handler) noticesDone(w http.ResponseWriter, r *http.Request, message string) {
	h.sessions.Put(r.Context(), sessionNoticesSaid, message)
	redirect(w, r, "/settings#notices-heading")
}

// setNoticeAddress mails a confirmation link to the address given.
func (h *Handler) setNoticeAddress(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	address := strings.TrimSpace(r.PostForm.Get("address"))
	err := h.core.SetNoticeAddress(r.Context(), a.ID, address)
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		h.renderSettings(w, r, a, http.StatusTooManyRequests, components.Settings{Notices: components.Notices{
			AddressForm: components.AddressForm{Address: refill(address), HeldBack: held}}})
	}) {
		return
	}
	if h.noticesRefused(w, r, a, err, func(n *components.Notices, e *core.Error) {
		n.AddressForm = components.AddressForm{Address: refill(address), Error: e.Message(i18n.From(r.Context())), ErrorField: e.Field}
	}) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.noticesDone(w, r, i18n.T(r.Context(), "notices.flash.address_sent", "Address", address))
}

// confirmPage shows the button that confirms a notice address: the page a
// confirmation mail links to. Only the button's POST confirms, so that a
// mail scanner following the link changes nothing. A link used already or
// dead says so, as its POST would, and offers no button.
func (h *Handler) confirmPage(w http.ResponseWriter, r *http.Request, a *core.Account) {
	tok := r.PathValue("token")
	_, err := h.core.PendingNoticeAddress(r.Context(), a.ID, tok)
	if h.noticesRefused(w, r, a, err, addressRefused(r)) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, a, http.StatusOK, components.Settings{Notices: components.Notices{ConfirmToken: tok}})
}

// addressRefused puts a refusal of a confirmation link above the address
// form.
func addressRefused(r *http.Request) func(*components.Notices, *core.Error) {
	return func(n *components.Notices, e *core.Error) { n.AddressForm.Error = e.Message(i18n.From(r.Context())) }
}

// confirmAddress spends the confirmation token and starts email notices.
func (h *Handler) confirmAddress(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	address, err := h.core.ConfirmNoticeAddress(r.Context(), a.ID, r.PathValue("token"))
	if h.noticesRefused(w, r, a, err, addressRefused(r)) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.noticesDone(w, r, i18n.T(r.Context(), "notices.flash.confirmed", "Address", address))
}

// removeNoticeAddress stops email notices.
func (h *Handler) removeNoticeAddress(w http.ResponseWriter, r *http.Request, a *core.Account) {
	err := parseForm(w, r)
	if err == nil {
		err = h.core.RemoveNoticeAddress(r.Context(), a.ID)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/settings#notices-heading")
}

// createWebhook adds an endpoint and shows its secret once.
func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	f := components.WebhookForm{FormKey: r.PostForm.Get("form_key"), URL: strings.TrimSpace(r.PostForm.Get("url")), Events: r.PostForm["events"]}
	// The form's key is the create's idempotency key: the form sent again
	// makes no second endpoint, also at the same moment.
	c, err := h.core.CreateWebhook(r.Context(), a.ID, core.WebhookInput{URL: f.URL, Events: f.Events, IdempotencyKey: f.FormKey})
	if err == nil && c.Repeated {
		h.webhookSentTwice(w, r, a)
		return
	}
	if h.noticesRefused(w, r, a, err, func(n *components.Notices, e *core.Error) {
		f.Error, f.ErrorField, f.URL = e.Message(i18n.From(r.Context())), e.Field, refill(f.URL)
		n.WebhookForm = f
	}) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, a, http.StatusCreated, components.Settings{Notices: components.Notices{
		NewWebhook: &components.NewWebhook{URL: c.Webhook.URL, Secret: c.Secret}}})
}

// webhookSentTwice answers a webhook form that made a secret already, sent
// again by a reload of the page that showed it or a second click: the
// secret is not kept anywhere to show again, and a second endpoint or
// secret would be one the owner never asked for.
func (h *Handler) webhookSentTwice(w http.ResponseWriter, r *http.Request, a *core.Account) {
	f := components.WebhookForm{Error: i18n.T(r.Context(), "notices.webhooks.sent_twice")}
	h.renderSettings(w, r, a, http.StatusConflict, components.Settings{Notices: components.Notices{WebhookForm: f}})
}

// deleteWebhook deletes one of the account's endpoints.
func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = parseForm(w, r)
	}
	if err == nil {
		err = h.core.DeleteWebhook(r.Context(), a.ID, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/settings#notices-heading")
}

// rotateWebhook gives one of the account's endpoints a new secret and
// shows it once; the previous one signs too for core.SecretOverlap.
func (h *Handler) rotateWebhook(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = parseForm(w, r)
	}
	var c core.NewWebhook
	if err == nil {
		c, err = h.core.RotateWebhook(r.Context(), a.ID, id, r.PostForm.Get("form_key"))
	}
	if err == nil && c.Repeated {
		h.webhookSentTwice(w, r, a)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, a, http.StatusOK, components.Settings{Notices: components.Notices{
		NewWebhook: &components.NewWebhook{URL: c.Webhook.URL, Secret: c.Secret, Rotated: true, PreviousUntil: c.Webhook.PreviousUntil}}})
}

// testWebhook queues a test message to one of the account's endpoints.
func (h *Handler) testWebhook(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = parseForm(w, r)
	}
	if err == nil {
		err = h.core.TestWebhook(r.Context(), a.ID, id)
	}
	if h.heldBack(w, r, err, func(held *components.HeldBack) {
		h.renderSettings(w, r, a, http.StatusTooManyRequests, components.Settings{Notices: components.Notices{TestHeld: id, TestHeldBack: held}})
	}) {
		return
	}
	if h.noticesRefused(w, r, a, err, func(n *components.Notices, e *core.Error) {
		n.WebhookForm.Error = e.Message(i18n.From(r.Context()))
	}) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.noticesDone(w, r, i18n.T(r.Context(), "notices.flash.test_queued"))
}

// errNotOneClick refuses a POST to an unsubscribe link without the form
// that mail providers send, List-Unsubscribe=One-Click (RFC 8058), which
// the link's own page sends too.
var errNotOneClick = core.Refusal(core.Invalid, "unsubscribe_not_one_click", "", "did_not_work")

// oneClickContentType mends the Content-Type of RFC 8058's own example of
// a one-click POST, `multipart/form-data, boundary="..."`, which has a
// comma before its boundary where MIME has a semicolon, so that parseForm
// reads it as the multipart form it is: a mail provider may have copied
// it. Any other Content-Type stays as it is.
func oneClickContentType(r *http.Request) {
	media, params, comma := strings.Cut(r.Header.Get("Content-Type"), ",")
	if comma && strings.EqualFold(strings.TrimSpace(media), "multipart/form-data") {
		r.Header.Set("Content-Type", media+";"+params)
	}
}

// unsubscribePage asks whether to stop the email notices that the
// unsubscribe link of a notice mail was made for, naming the address. It
// changes nothing: mail scanners follow links, and only the page's button,
// or a mail provider's own POST, unsubscribes. A link whose address is no
// longer the account's says so.
func (h *Handler) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	h.showUnsubscribe(w, r, http.StatusOK, nil)
}

// showUnsubscribe shows the page of the unsubscribe link r is about, with
// held, when the rate limits refused its button, above the button.
func (h *Handler) showUnsubscribe(w http.ResponseWriter, r *http.Request, status int, held *components.HeldBack) {
	tok := r.PathValue("token")
	u, err := h.core.Unsubscription(r.Context(), tok)
	if err != nil {
		w.Header().Del("Retry-After") // the page's own refusal says whether to wait
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, components.UnsubscribePage(h.page(r, i18n.T(r.Context(), "notices.unsubscribe.title")),
		components.Unsubscribe{Address: u.Address, Action: h.keepLanguage(r, "/unsubscribe/"+tok), HeldBack: held}))
}

// unsubscribe stops the email notices that the unsubscribe link was made
// for: the POST of its page's button, or a mail provider's one-click
// unsubscribe, sent from its servers without a cookie, an Origin or a
// Sec-Fetch-Site, which cross-origin protection lets through (a browser's
// post from another site it still refuses). The token alone allows it,
// and nothing but it. The answer is a page, 200, never a redirect: a mail
// provider reads the status alone.
func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	turn, err := h.core.UnsubscribeTurn(r.Context(), tok, h.client(r))
	if h.heldBack(w, r, err, func(held *components.HeldBack) { h.showUnsubscribe(w, r, http.StatusTooManyRequests, held) }) {
		return
	}
	if err == nil {
		oneClickContentType(r)
		err = parseForm(w, r)
	}
	if err == nil && r.PostForm.Get("List-Unsubscribe") != "One-Click" {
		err = errNotOneClick
	}
	var u core.Unsubscription
	if err == nil {
		u, err = h.core.Unsubscribe(r.Context(), turn, tok)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, components.UnsubscribedPage(h.page(r, i18n.T(r.Context(), "notices.unsubscribe.done_title")),
		components.Unsubscribe{Address: u.Address}))
}
