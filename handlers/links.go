package handlers

import (
	"cmp"
	"context"
	"crypto/rand"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, a *core.Account) {
	// htmx asks for the part it swaps: the list for a filter, the next
	// rows for "Show older links", which are appended below the first page.
	var part string
	if isHTMX(r) {
		part = r.Header.Get("HX-Target")
	}
	var mark string
	if part != "link-list" && part != "link-rows" {
		// The whole page starts a stream. The mark is taken before the
		// list is read: an event after it may be missing.
		mark = h.streamMark(a.ID)
	}
	list, err := h.linkList(r, a, r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch part {
	case "link-list":
		h.render(w, r, http.StatusOK, components.LinkList(list))
		return
	case "link-rows":
		list.Paged = false
		h.render(w, r, http.StatusOK, components.MoreRows(list))
		return
	}
	h.renderDashboard(w, r, a, http.StatusOK, mark, list, 0)
}

// renderDashboard draws the links page with list, whose event stream
// starts after mark; gone, when not 0, is a link that the page says is no
// longer kept.
func (h *Handler) renderDashboard(w http.ResponseWriter, r *http.Request, a *core.Account, status int, mark string, list components.LinkPage, gone int64) {
	form, err := h.emptyForm(r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := components.Dashboard{Form: form, List: list, Stream: "/links/events?after=" + mark, Gone: gone}
	h.render(w, r, status, components.DashboardPage(h.page(r, i18n.T(r.Context(), "links.page_title"), "e2e.js"), d))
}

// linkList reads the page of a's links that the query q asks for.
func (h *Handler) linkList(r *http.Request, a *core.Account, q url.Values) (components.LinkPage, error) {
	in := core.ListInput{Status: q.Get("status"), Query: q.Get("q"), Before: q.Get("before")}
	page, err := h.core.Links(r.Context(), a.ID, in)
	if err != nil {
		return components.LinkPage{}, err
	}
	list := components.LinkPage{Status: in.Status, Query: strings.TrimSpace(in.Query), Paged: in.Before != "", Next: page.Next}
	now := h.core.Now()
	for _, l := range page.Links {
		list.Rows = append(list.Rows, h.linkRow(l, now))
	}
	return list, nil
}

// linkRow is l as a row of the dashboard, at now.
func (h *Handler) linkRow(l core.Link, now time.Time) components.LinkRow {
	grant, status := h.core.Config().GrantTTL, l.Status(now)
	row := components.LinkRow{
		ID: l.ID, Label: l.Label, Kind: l.Kind, Status: string(status),
		Uses: l.Uses, MaxUses: l.MaxUses, Views: l.Views, ForUser: l.ForUserName,
		HasPassword: l.HasPassword(), E2E: l.EndToEnd(), Size: l.Size, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt,
		Left: l.ExpiresAt.Sub(now), EndedAt: l.Ended(now), Revocable: l.Revocable(now, grant),
	}
	if row.Revocable && status == core.Used {
		row.RevocableUntil = l.GrantEnds(grant)
	}
	return row
}

// emptyForm is a new create form for a.
func (h *Handler) emptyForm(r *http.Request, a *core.Account) (components.LinkForm, error) {
	cfg := h.core.Config()
	address, err := h.core.NoticeEmail(r.Context(), a.ID)
	return components.LinkForm{FormKey: rand.Text(), Kind: core.KindMessage, TTL: core.DefaultTTL, MaxUses: "1",
		MinTTL: core.FormatDuration(cfg.MinTTL), MaxTTL: core.FormatDuration(cfg.MaxTTL), MaxUpload: cfg.MaxUpload,
		MaxE2EUpload: cfg.MaxE2EUpload, EmailOn: h.core.EmailOn(), NoticeAddress: address}, err
}

// createLink makes a link from the form. Bad input re-renders the form with
// everything the owner typed and the mistake beside its field, and creates
// nothing.
func (h *Handler) createLink(w http.ResponseWriter, r *http.Request, a *core.Account) {
	d := h.core.NewDraft()
	defer d.Close() // nothing of an upload outlives the request
	// On an error, form holds the fields read (see readUploadForm):
	// they refill the form, and the fields not read keep their defaults.
	form, err := h.readUploadForm(w, r, d)
	// blank is the fresh form that follows a new link.
	blank, blankErr := h.emptyForm(r, a)
	if blankErr != nil {
		h.fail(w, r, blankErr)
		return
	}
	f := sentLinkForm(blank, form, err == nil)
	// Read whatever else failed, so that a form sent back keeps its tick.
	notify, notifyErr := core.ParseSwitch("notify", form.Get("notify"), "true")
	f.Notify = notify
	err = cmp.Or(err, notifyErr)
	var created core.Created
	if err == nil {
		in := core.LinkInput{Kind: f.Kind, Message: f.Message, URL: f.URL, TTL: f.TTL, MaxUses: f.MaxUses,
			Password: form.Get("password"), ForUser: f.ForUser, Label: f.Label, IdempotencyKey: f.FormKey,
			Notify: f.Notify, E2ECheck: form.Get("e2e_check")}
		created, err = h.core.Create(r.Context(), a.ID, d, in)
	}
	if e, ok := core.AsError(err); ok {
		d.Close() // before the answer, which may end the client's wait
		f.Password = form.Get("password")
		for _, field := range []*string{&f.Message, &f.URL, &f.TTL, &f.MaxUses, &f.ForUser, &f.Label, &f.Password} {
			*field = refill(*field)
		}
		f.Errors = fieldErrors(r, err)
		// An upload held back by the client's uploads under way (see
		// core.MaxUploadsPerClient) comes back as other held-back forms
		// do, with what it says beside the file.
		if h.heldBack(w, r, err, func(held *components.HeldBack) {
			f.HeldBack = held
			h.renderCreate(w, r, http.StatusTooManyRequests, components.Dashboard{Form: f})
		}) {
			return
		}
		web.RetryAfter(w, e.RetryAfter)
		h.renderCreate(w, r, web.Status(e.Kind), components.Dashboard{Form: f})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Close()
	if created.Repeated {
		// The form was sent again: 409, with the link it made the first
		// time, and a fresh form.
		again := &components.Created{Row: h.linkRow(created.Link, h.core.Now()), Repeated: true}
		h.renderCreate(w, r, http.StatusConflict, components.Dashboard{Form: blank, Created: again})
		return
	}
	// The next link is likely of the same kind: several files are shared
	// one after another.
	blank.Kind = f.Kind
	h.renderCreate(w, r, http.StatusCreated, components.Dashboard{Form: blank, Created: h.created(created, a)})
	web.PublishAfter(w, r, h.core, created.Event())
}

// sentLinkForm is blank with the create form's fields as they were sent:
// every field once the form was read whole (complete), else those read
// before it failed, the others keeping blank's. The message keeps its
// spaces; the other fields are trimmed.
func sentLinkForm(blank components.LinkForm, form url.Values, complete bool) components.LinkForm {
	f := blank
	for _, field := range [...]struct {
		name string
		dst  *string
	}{{"form_key", &f.FormKey}, {"kind", &f.Kind}, {"message", &f.Message}, {"url", &f.URL}, {"ttl", &f.TTL},
		{"max_uses", &f.MaxUses}, {"for_user", &f.ForUser}, {"label", &f.Label}} {
		if _, read := form[field.name]; read || complete {
			*field.dst = form.Get(field.name)
			if field.name == "message" {
				*field.dst = typed(*field.dst)
			} else {
				*field.dst = strings.TrimSpace(*field.dst)
			}
		}
	}
	return f
}

// readUploadForm reads a form that may carry a file, a link's or a
// request's answer, urlencoded or multipart, into d, and returns its
// fields; on an error, the fields read before it.
func (h *Handler) readUploadForm(w http.ResponseWriter, r *http.Request, d *core.Draft) (url.Values, error) {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		if err := parseForm(w, r); err != nil {
			return nil, err
		}
		return r.PostForm, nil
	}
	if params["boundary"] == "" {
		return nil, core.ErrUnreadableForm
	}
	return web.ReadUpload(w, r, h.core, d, params["boundary"])
}

// renderCreate answers a create: htmx gets the create panel; a plain form
// post gets a page of its own, with the new link and what to do next, or
// with the form and its mistake. Either is cheaper than the whole
// dashboard and keeps the new link's URL in view.
func (h *Handler) renderCreate(w http.ResponseWriter, r *http.Request, status int, d components.Dashboard) {
	if isHTMX(r) {
		h.render(w, r, status, components.CreateResult(d))
		return
	}
	h.render(w, r, status, components.CreatePage(h.page(r, i18n.T(r.Context(), "create.title"), "e2e.js"), d))
}

// created is the one-time view of a new link that owner made, with the
// only copy of its URL.
func (h *Handler) created(c core.Created, owner *core.Account) *components.Created {
	v := &components.Created{Owner: c.Link.OwnerName, URL: c.URL, Row: h.linkRow(c.Link, h.core.Now()), Zone: h.zone(owner)}
	if v.Row.E2E {
		return v // the code would lack the key, which only the browser has
	}
	qr, err := components.QRCode(c.URL)
	if err != nil {
		// Only a --base-url of thousands of characters makes a link too
		// long for a code (2,953 bytes at level L); the page goes without
		// one.
		h.log.Warn("no QR code for the new link", "err", err)
		return v
	}
	v.QR = qr
	return v
}

// zone is the time zone a's texts write times in (see Account.Location).
func (h *Handler) zone(a *core.Account) *time.Location {
	loc, err := a.Location()
	if err != nil {
		h.log.Warn("an account's time zone is not known: its texts write UTC", "err", err)
	}
	return loc
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l, err := h.core.Revoke(r.Context(), a.ID, id, h.client(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if isHTMX(r) {
		h.render(w, r, http.StatusOK, components.Row(h.linkRow(l, h.core.Now())))
		return
	}
	to := "/links"
	if r.PostForm.Get("back") == "details" {
		to += "/" + strconv.FormatInt(id, 10)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (h *Handler) linkDetails(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The mark is taken before the link is read, as the dashboard's is.
	mark := h.streamMark(a.ID)
	d, err := h.details(r.Context(), a.ID, id)
	if e, ok := core.AsError(err); ok && e.Kind == core.NotFound {
		// Purged, or never this owner's: the links page answers, 404, and
		// says that this one is gone, the same either way.
		list, err := h.linkList(r, a, url.Values{})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.renderDashboard(w, r, a, http.StatusNotFound, mark, list, id)
		return
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Stream = linkStream(mark, "link", id)
	h.render(w, r, http.StatusOK, components.LinkDetailsPage(h.page(r, i18n.T(r.Context(), "links.details.page_title")), d))
}

// details reads owner's link id with its audit trail.
func (h *Handler) details(ctx context.Context, owner, id int64) (components.LinkDetails, error) {
	l, events, err := h.core.Audit(ctx, owner, id)
	if err != nil {
		return components.LinkDetails{}, err
	}
	d := components.LinkDetails{Row: h.linkRow(l, h.core.Now())}
	for _, e := range events {
		d.Events = append(d.Events, components.AuditEvent{ID: e.ID, Kind: e.Kind, At: e.At, IP: e.IP, UserAgent: e.UserAgent})
	}
	return d, nil
}
