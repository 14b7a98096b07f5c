package handlers

import (
	"cmp"
	"crypto/rand"
	"errors"
	"net/http"
	"strconv"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// requests is the owner's requests page: the "Request a secret" form and
// the requests, kept live by the dashboard's event stream.
// The list is paged, newest first: ?before= is the cursor of an older page,
// and ?status= keeps the requests of one status alone, as the API's list
// does. htmx asks for the list alone when the filter changes.
func (h *Handler) requests(w http.ResponseWriter, r *http.Request, a *core.Account) {
	q := requestsQuery{Status: r.URL.Query().Get("status"), Before: r.URL.Query().Get("before")}
	if isHTMX(r) && r.Header.Get("HX-Target") == "request-list" {
		v, err := h.requestList(r, a, q)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, components.RequestList(v))
		return
	}
	h.renderRequests(w, r, a, http.StatusOK, h.emptyRequestForm(), nil, q, 0)
}

// requestsQuery asks for a page of the owner's requests: those of one
// status, or all for "", from cursor Before, or the first page for "".
type requestsQuery struct {
	Status, Before string
}

// requestList reads the page of a's requests that q asks for.
func (h *Handler) requestList(r *http.Request, a *core.Account, q requestsQuery) (components.Requests, error) {
	page, err := h.core.Requests(r.Context(), a.ID, core.RequestListInput{Status: q.Status, Before: q.Before})
	if err != nil {
		return components.Requests{}, err
	}
	v := components.Requests{Status: q.Status, Paged: q.Before != "", Next: page.Next}
	now := h.core.Now()
	for _, rq := range page.Requests {
		row := requestRow(rq, now)
		row.Page = q.Before
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// ownRequest leads the owner to their request id, where its notices lead
// (see components.RequestPath): to its row, on the page of the list that
// starts with it, while it is kept; once it is not, the requests page
// itself answers, 404, and says that this one is gone. Another owner's
// request is gone as far as this owner can tell.
func (h *Handler) ownRequest(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, err = h.core.Request(r.Context(), a.ID, id)
	if e, ok := core.AsError(err); ok && e.Kind == core.NotFound {
		h.renderRequests(w, r, a, http.StatusNotFound, h.emptyRequestForm(), nil, requestsQuery{}, id)
		return
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, components.RequestRowPath(id), http.StatusSeeOther)
}

func (h *Handler) emptyRequestForm() components.RequestForm {
	cfg := h.core.Config()
	return components.RequestForm{FormKey: rand.Text(), Accepts: core.AcceptsAny, TTL: core.DefaultTTL,
		MinTTL: core.FormatDuration(cfg.MinTTL), MaxTTL: core.FormatDuration(cfg.MaxTTL)}
}

// renderRequests draws the requests page with form f, and the page of the
// list that q asks for; gone, when not 0, is a request that the page says
// is no longer kept.
func (h *Handler) renderRequests(w http.ResponseWriter, r *http.Request, a *core.Account, status int, f components.RequestForm, created *components.CreatedRequest, q requestsQuery, gone int64) {
	// The mark is taken before the list is read: an event after it may be
	// missing.
	mark := h.streamMark(a.ID)
	v, err := h.requestList(r, a, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Form, v.Created, v.Stream, v.Gone = f, created, "/links/events?after="+mark, gone
	h.render(w, r, status, components.RequestsPage(h.page(r, i18n.T(r.Context(), "requests.title")), v))
}

func requestRow(rq core.Request, now time.Time) components.RequestRow {
	return components.RequestRow{ID: rq.ID, Label: rq.Label, Note: rq.Note, Accepts: rq.Accepts,
		Status: string(rq.Status(now)), CreatedAt: rq.CreatedAt, ExpiresAt: rq.ExpiresAt, Left: rq.ExpiresAt.Sub(now),
		FulfilledAt: rq.FulfilledAt, RevokedAt: rq.RevokedAt, LinkID: rq.LinkID}
}

// createRequest makes a request from the form: 201 with its only showing
// of its URL, or the form again with its mistake.
func (h *Handler) createRequest(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	f := h.emptyRequestForm()
	f.FormKey = r.PostForm.Get("form_key")
	// A choice the form leaves out takes its default, as the form shows it.
	f.Label, f.Note = r.PostForm.Get("label"), typed(r.PostForm.Get("note"))
	f.Accepts, f.TTL = cmp.Or(r.PostForm.Get("accepts"), core.AcceptsAny), cmp.Or(r.PostForm.Get("ttl"), core.DefaultTTL)
	// The form's key is the create's idempotency key: the form sent again,
	// by a reload of the page that showed the request's address or by a
	// second click at the same moment, makes nothing.
	c, err := h.core.CreateRequest(r.Context(), a.ID, core.RequestInput{Label: f.Label, Note: f.Note, Accepts: f.Accepts, TTL: f.TTL,
		IdempotencyKey: f.FormKey})
	if err == nil && c.Repeated {
		// That request is in the list, and another would be one never
		// asked for.
		f = h.emptyRequestForm()
		f.Errors = components.FieldErrors{{Message: i18n.T(r.Context(), "requests.form.sent_twice")}}
		h.renderRequests(w, r, a, http.StatusConflict, f, nil, requestsQuery{}, 0)
		return
	}
	if e, ok := core.AsError(err); ok && e.Kind == core.Invalid {
		for _, field := range []*string{&f.Label, &f.Note, &f.Accepts, &f.TTL} {
			*field = refill(*field)
		}
		f.Errors = fieldErrors(r, err)
		h.renderRequests(w, r, a, web.Status(e.Kind), f, nil, requestsQuery{}, 0)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created := &components.CreatedRequest{URL: c.URL, Row: requestRow(c.Request, h.core.Now())}
	h.renderRequests(w, r, a, http.StatusCreated, h.emptyRequestForm(), created, requestsQuery{}, 0)
	web.PublishAfter(w, r, h.core, c.Event())
}

// revokeRequest withdraws a request, and comes back to the page of the
// list it was withdrawn from (before, the form's cursor), at its row.
func (h *Handler) revokeRequest(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = parseForm(w, r)
	}
	before := r.PostForm.Get("before")
	if err == nil && before != "" {
		// A page that is none is refused before anything is withdrawn.
		_, err = h.core.Requests(r.Context(), a.ID, core.RequestListInput{Before: before, Limit: 1})
	}
	if err == nil {
		_, err = h.core.RevokeRequest(r.Context(), a.ID, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, components.RequestsPath(before)+"#"+components.RequestRowID(id), http.StatusSeeOther)
}

// requestPage is a request's page. It never fills the request: a sender
// sees the owner's note and the form; the owner sees how it stands and,
// once filled, may open what was sent. A request no longer open is 410 to
// anyone but its owner.
func (h *Handler) requestPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	sight, err := h.core.LookRequest(r.Context(), tok, h.requestVisitor(r), r.Method == http.MethodGet)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !sight.Owner && r.Method == http.MethodGet {
		h.setCookieCheck(w, "/r/"+tok)
	}
	h.showRequest(w, r, tok, sight, http.StatusOK, nil)
}

// showRequest shows request tok as sight sees it: to its owner, how it
// stands; to anyone else, the form that sends it something. held, when
// the rate limits refused that form or the owner's open, says so above it.
func (h *Handler) showRequest(w http.ResponseWriter, r *http.Request, tok string, sight core.RequestSight, status int, held *components.HeldBack) {
	if sight.Owner {
		v := components.OwnRequest{Row: requestRow(sight.Request, h.core.Now()), Sent: sight.SentKind, HeldBack: held}
		switch {
		case sight.Openable:
			v.OpenAction = "/r/" + tok + "/open"
		case sight.SentLink != 0:
			v.Gone = "/links/" + strconv.FormatInt(sight.SentLink, 10)
		case v.Row.Status == string(core.RequestFulfilled):
			v.Gone = "/links" // its link was purged since
		}
		h.render(w, r, status, components.OwnRequestPage(h.page(r, i18n.T(r.Context(), "requests.own.title")), v))
		return
	}
	v := h.sendForm(r, tok, sight.Request)
	v.HeldBack = held
	h.render(w, r, status, components.SendPage(h.page(r, i18n.T(r.Context(), "requests.send.title")), v))
}

// ownerRefused answers err, a refusal of request tok's address, with the
// request's page when it is the viewer's own request no longer open: its
// owner, come to it by a form from before it ended (the sender's form seen
// signed out, or the button that opens what was sent), is told how it stands
// in words for them, not those for a sender, with the status the refusal had.
// It reports whether it answered.
func (h *Handler) ownerRefused(w http.ResponseWriter, r *http.Request, tok string, err error) bool {
	e, ok := core.AsError(err)
	if !ok || e.Kind != core.Gone || h.viewer(r) == nil {
		return false
	}
	sight, lookErr := h.core.LookRequest(r.Context(), tok, h.requestVisitor(r), false)
	if lookErr != nil || !sight.Owner {
		return false
	}
	h.showRequest(w, r, tok, sight, web.Status(e.Kind), nil)
	return true
}

// requestHeldBack answers a form of request tok's page that the rate limits
// held back, before its body was read, with that page and the notice: the
// form comes back empty. The page is looked at as a GET looks at it, so that
// a client held back learns no more of how the request stands than its GET
// would tell it, which for a request no longer open is a 429 too.
func (h *Handler) requestHeldBack(w http.ResponseWriter, r *http.Request, tok string, held *components.HeldBack) {
	sight, err := h.core.LookRequest(r.Context(), tok, h.requestVisitor(r), true)
	if err != nil {
		w.Header().Del("Retry-After") // the page's own refusal says whether to wait
		h.fail(w, r, err)
		return
	}
	if !sight.Owner {
		h.setCookieCheck(w, "/r/"+tok) // for the form's answer, as the GET set it
	}
	h.showRequest(w, r, tok, sight, http.StatusTooManyRequests, held)
}

// sendForm is the form that sends to request tok, from r's page.
func (h *Handler) sendForm(r *http.Request, tok string, rq core.Request) components.SendForm {
	return components.SendForm{Action: h.keepLanguage(r, "/r/"+tok), Owner: rq.OwnerName, Note: rq.Note, Accepts: rq.Accepts,
		ExpiresAt: rq.ExpiresAt, MaxUpload: h.core.Config().MaxUpload}
}

// fulfil fills a request with the message or the file sent, once: the
// sender is sent on to the thank-you page (303), and the owner's streams
// are told. Every other sender, and any later one, gets 410. A browser
// that keeps no cookies (see refusesCookies) would come to the thank-you page
// without its receipt, and be told the request was answered already, as a
// stranger is: it is thanked in the answer itself.
func (h *Handler) fulfil(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	turn, err := h.core.OpenTurn(r.Context(), tok, h.client(r))
	if h.heldBack(w, r, err, func(held *components.HeldBack) { h.requestHeldBack(w, r, tok, held) }) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := h.core.NewDraft()
	defer d.Close() // nothing of an upload outlives the request
	// A form that could not be read comes back without what was read of it.
	fields, err := h.readUploadForm(w, r, d)
	var message string
	if err == nil {
		message = typed(fields.Get("message"))
	}
	var f core.Fulfilled
	if err == nil {
		f, err = h.core.Fulfil(r.Context(), turn, tok, d, message, receipts(r))
	}
	// A file held back by the client's uploads under way (see
	// core.MaxUploadsPerClient), unread, as one held back by the open limit.
	if h.heldBack(w, r, err, func(held *components.HeldBack) { h.requestHeldBack(w, r, tok, held) }) {
		return
	}
	if h.ownerRefused(w, r, tok, err) {
		return
	}
	if e, ok := core.AsError(err); ok && (e.Kind == core.Invalid || e.Kind == core.TooLarge) {
		// The form again, with the mistake, if the request still takes it.
		sight, lookErr := h.core.LookRequest(r.Context(), tok, core.RequestVisitor{}, false)
		if lookErr != nil {
			h.fail(w, r, lookErr)
			return
		}
		v := h.sendForm(r, tok, sight.Request)
		v.Message, v.Errors = refill(message), fieldErrors(r, err)
		h.render(w, r, web.Status(e.Kind), components.SendPage(h.page(r, i18n.T(r.Context(), "requests.send.title")), v))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Close()
	http.SetCookie(w, h.pathCookie("/r/"+tok, receiptCookie, f.Receipt, int(f.ReceiptEnds.Sub(h.core.Now()).Seconds())))
	sent := h.keepLanguage(r, "/r/"+tok+"/sent")
	if refusesCookies(r, fields) {
		// The form's script swaps the page's section for this one's.
		h.render(w, r, http.StatusOK, components.SentPage(h.page(r, i18n.T(r.Context(), "requests.sent.title"))))
	} else if isHTMX(r) {
		w.Header().Set("HX-Redirect", sent)
		w.WriteHeader(http.StatusOK)
	} else {
		http.Redirect(w, r, sent, http.StatusSeeOther)
	}
	for _, e := range f.Events() {
		web.PublishAfter(w, r, h.core, e)
	}
}

// receiptCookie keeps a sender's receipt for the request's pages (see
// core.Fulfilled.Receipt).
const receiptCookie = "oncelink_receipt"

// requestVisitor is who r comes from, as a request's pages see it.
func (h *Handler) requestVisitor(r *http.Request) core.RequestVisitor {
	return core.RequestVisitor{Viewer: h.viewer(r), Client: h.client(r), Receipts: receipts(r)}
}

// receipts are the receipts r's browser holds for the request it is
// about.
func receipts(r *http.Request) []string {
	var rs []string
	for _, c := range r.CookiesNamed(receiptCookie) {
		rs = append(rs, c.Value)
	}
	return rs
}

// sent thanks the browser that filled the request, which holds its
// receipt. Before anything was sent, it leads to the request's page;
// anyone else is told, as there, that the request was answered.
func (h *Handler) sent(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	_, err := h.core.LookRequest(r.Context(), tok, h.requestVisitor(r), r.Method == http.MethodGet)
	switch {
	case err == nil:
		http.Redirect(w, r, h.keepLanguage(r, "/r/"+tok), http.StatusSeeOther) // nothing yet, or its owner
	case errors.Is(err, core.ErrRequestSent):
		h.render(w, r, http.StatusOK, components.SentPage(h.page(r, i18n.T(r.Context(), "requests.sent.title"))))
	default:
		h.fail(w, r, err)
	}
}

// openRequest opens what was sent to a request, for its owner alone: the
// link it made takes its one use, and the owner's browser is sent on to
// that link's page, which the grant now serves.
func (h *Handler) openRequest(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	turn, err := h.core.OpenTurn(r.Context(), tok, h.client(r))
	if h.heldBack(w, r, err, func(held *components.HeldBack) { h.requestHeldBack(w, r, tok, held) }) {
		return
	}
	if err == nil {
		err = parseForm(w, r)
	}
	var o core.Opened
	var linkTok string
	if err == nil {
		o, linkTok, err = h.core.OpenRequest(r.Context(), turn, tok, h.recipient(r))
	}
	if h.ownerRefused(w, r, tok, err) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, h.linkCookie(linkTok, grantCookie, o.Grant, int(h.core.Config().GrantTTL.Seconds())))
	http.Redirect(w, r, "/l/"+linkTok, http.StatusSeeOther)
	web.PublishAfter(w, r, h.core, o.Event())
}
