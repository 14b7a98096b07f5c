package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"oncelink/components"
	"oncelink/live"
	"oncelink/store"
	"oncelink/token"
)

// pageSize is how many links the dashboard shows at a time.
const pageSize = 50

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, a *store.Account) {
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
	list, err := h.linkList(r.Context(), a, r.URL.Query())
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
	d := components.Dashboard{Form: h.emptyForm(), List: list, Stream: "/links/events?after=" + mark}
	h.render(w, r, http.StatusOK, components.DashboardPage(h.page(r, "Links"), d))
}

// linkList reads the page of a's links that the query q asks for.
func (h *Handler) linkList(ctx context.Context, a *store.Account, q url.Values) (components.LinkPage, error) {
	opts := store.ListOptions{Query: strings.TrimSpace(q.Get("q")), Limit: pageSize + 1}
	if utf8.RuneCountInString(opts.Query) > components.MaxLabelLen {
		return components.LinkPage{}, invalid("Search for at most %d characters.", components.MaxLabelLen)
	}
	if st := q.Get("status"); st != "" {
		opts.Status = store.Status(st)
		if !validStatus(opts.Status) {
			return components.LinkPage{}, invalid("There is no status %q.", st)
		}
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return components.LinkPage{}, invalid("That page does not exist.")
		}
		opts.Before = n
	}
	links, err := h.store.Links(ctx, a.ID, opts)
	if err != nil {
		return components.LinkPage{}, err
	}
	list := components.LinkPage{Status: string(opts.Status), Query: opts.Query, Paged: opts.Before > 0}
	if len(links) > pageSize {
		links = links[:pageSize]
		list.Next = links[pageSize-1].ID
	}
	now := h.now()
	for _, l := range links {
		list.Rows = append(list.Rows, linkRow(l, now))
	}
	return list, nil
}

func validStatus(st store.Status) bool {
	for _, s := range store.Statuses {
		if s == st {
			return true
		}
	}
	return false
}

func linkRow(l store.Link, now time.Time) components.LinkRow {
	return components.LinkRow{
		ID: l.ID, Label: l.Label, Kind: l.Kind, Status: string(l.Status(now)),
		Uses: l.Uses, MaxUses: l.MaxUses, Views: l.Views, ForUser: l.ForUserName,
		HasPassword: l.PasswordHash != "", CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt,
		Left: l.ExpiresAt.Sub(now),
	}
}

func (h *Handler) emptyForm() components.LinkForm {
	return components.LinkForm{Kind: store.KindMessage, TTL: "1d", MaxUses: "1",
		MinTTL: formatTTL(h.cfg.MinTTL), MaxTTL: formatTTL(h.cfg.MaxTTL), MaxUpload: h.cfg.MaxUpload}
}

// createLink makes a link from the form. Bad input re-renders the form with
// everything the owner typed and a message, and creates nothing.
func (h *Handler) createLink(w http.ResponseWriter, r *http.Request, a *store.Account) {
	tok := token.New(h.key)
	// On an error, form holds the fields read before it: they refill the
	// form, and the fields not read keep their defaults.
	form, up, err := h.readLinkForm(w, r, tok)
	f := h.emptyForm()
	for _, field := range [...]struct {
		name string
		dst  *string
	}{{"kind", &f.Kind}, {"message", &f.Message}, {"url", &f.URL}, {"ttl", &f.TTL},
		{"max_uses", &f.MaxUses}, {"for_user", &f.ForUser}, {"label", &f.Label}} {
		if _, read := form[field.name]; read || err == nil {
			*field.dst = form.Get(field.name)
			if field.name != "message" {
				*field.dst = strings.TrimSpace(*field.dst)
			}
		}
	}
	var created components.Created
	if err == nil {
		created, err = h.newLink(r, a, f, form.Get("password"), tok, up)
		up.Close() // before answering: nothing of the upload outlives the request
	}
	var ue *userError
	if errors.As(err, &ue) {
		f.Error = ue.msg
		h.renderCreate(w, r, ue.status, components.Dashboard{Form: f})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderCreate(w, r, http.StatusCreated, components.Dashboard{Form: h.emptyForm(), Created: &created})
	h.publishAfter(w, r, live.Event{Owner: a.ID, Link: created.Row.ID, What: live.Created})
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
	h.render(w, r, status, components.CreatePage(h.page(r, "New link"), d))
}

// newLink checks the form and makes the link of tok that it describes. up
// is the form's file, or nil.
func (h *Handler) newLink(r *http.Request, a *store.Account, f components.LinkForm, password string, tok token.Token, up *upload) (components.Created, error) {
	n := store.NewLink{OwnerID: a.ID, Kind: f.Kind, Label: f.Label, MaxUses: 1}
	ttl, err := ParseDuration(f.TTL)
	if err != nil {
		return components.Created{}, invalid("Give the time to live as a duration such as 90s, 15m, 2h or 7d.")
	}
	if ttl < h.cfg.MinTTL || ttl > h.cfg.MaxTTL {
		return components.Created{}, invalid("The time to live must be between %s and %s.", formatTTL(h.cfg.MinTTL), formatTTL(h.cfg.MaxTTL))
	}
	n.ExpiresAt = h.now().Add(ttl)
	if f.MaxUses != "" {
		n.MaxUses, err = strconv.Atoi(f.MaxUses)
		if err != nil || n.MaxUses < 1 || n.MaxUses > components.MaxUses {
			return components.Created{}, invalid("Uses must be a whole number from 1 to %d.", components.MaxUses)
		}
	}
	if utf8.RuneCountInString(f.Label) > components.MaxLabelLen {
		return components.Created{}, invalid("A label has at most %d characters.", components.MaxLabelLen)
	}
	if password != "" {
		if len(password) > components.MaxPasswordBytes {
			return components.Created{}, invalid("A link password has at most %d bytes.", components.MaxPasswordBytes)
		}
		if n.PasswordHash, err = hashPassword(password); err != nil {
			return components.Created{}, err
		}
	}
	if f.ForUser != "" {
		u, err := h.store.AccountByName(r.Context(), f.ForUser)
		if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled()) {
			return components.Created{}, invalid("There is no account named %q that can sign in.", f.ForUser)
		}
		if err != nil {
			return components.Created{}, err
		}
		n.ForUserID = u.ID
	}
	n.TokenHash = tok.Hash()
	var content []byte
	switch f.Kind {
	case store.KindMessage:
		if strings.TrimSpace(f.Message) == "" {
			return components.Created{}, invalid("Write the message to share.")
		}
		if len(f.Message) > components.MaxMessageBytes {
			return components.Created{}, invalid("A message has at most %s.", components.LimitSize(components.MaxMessageBytes))
		}
		content = []byte(f.Message)
	case store.KindURL:
		if err := checkURL(f.URL); err != nil {
			return components.Created{}, err
		}
		content = []byte(f.URL)
	case store.KindFile:
		if up == nil {
			return components.Created{}, invalid("Choose the file to share.")
		}
		n.Size = up.size
		n.Meta = sealMeta(tok, fileMeta{Name: up.name, Type: up.contentType})
		l, err := h.store.CreateLinkStream(r.Context(), n, up.fill)
		if err != nil {
			return components.Created{}, err
		}
		return h.created(l, tok), nil
	default:
		return components.Created{}, invalid("Choose what to share: a message, a web address or a file.")
	}
	n.Size = int64(len(content))
	l, err := h.store.CreateLink(r.Context(), n, [][]byte{tok.Box().Seal(token.Content, 0, true, content)})
	if err != nil {
		return components.Created{}, err
	}
	return h.created(l, tok), nil
}

func checkURL(raw string) error {
	if raw == "" {
		return invalid("Give the URL to share.")
	}
	if len(raw) > components.MaxURLLen {
		return invalid("A URL has at most %d characters.", components.MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return invalid("Share a web address that starts with http:// or https://, without a user name or password in it.")
	}
	return nil
}

// created is the one-time view of a new link, with the only copy of its URL.
func (h *Handler) created(l store.Link, tok token.Token) components.Created {
	link := h.linkURL(tok)
	c := components.Created{URL: link, Row: linkRow(l, h.now())}
	size, modules, err := qrCode(link)
	if err != nil {
		// Only a --base-url of thousands of characters makes a link too
		// long for a code (2,953 bytes at level L); the page goes without
		// one.
		h.log.Warn("no QR code for the new link", "err", err)
		return c
	}
	c.QR = components.NewQR(size, modules)
	return c
}

func (h *Handler) linkURL(tok token.Token) string {
	return strings.TrimSuffix(h.cfg.BaseURL.String(), "/") + "/l/" + tok.String()
}

// linkID reads the {id} of an owner route; anything but a positive number
// is a 404, like another owner's link.
func linkID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request, a *store.Account) {
	id, err := linkID(r)
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l, err := h.store.Revoke(r.Context(), a.ID, id, h.event(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.publish(r, live.Event{Owner: a.ID, Link: id, What: live.Revoked})
	if isHTMX(r) {
		h.render(w, r, http.StatusOK, components.Row(linkRow(l, h.now())))
		return
	}
	http.Redirect(w, r, "/links", http.StatusSeeOther)
}

func (h *Handler) linkDetails(w http.ResponseWriter, r *http.Request, a *store.Account) {
	id, err := linkID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l, err := h.store.OwnedLink(r.Context(), a.ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.store.Events(r.Context(), a.ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := components.LinkDetails{Row: linkRow(l, h.now())}
	for _, e := range events {
		ev := components.AuditEvent{Kind: e.Kind, At: e.At, IP: e.IP, UserAgent: e.UserAgent}
		switch e.Kind {
		case store.EventView:
			d.Views = append(d.Views, ev)
		case store.EventUse:
			d.Uses = append(d.Uses, ev)
		default:
			d.Other = append(d.Other, ev)
		}
	}
	h.render(w, r, http.StatusOK, components.LinkDetailsPage(h.page(r, "Link"), d))
}

// event describes r for the audit trail.
func (h *Handler) event(r *http.Request) store.Event {
	return store.Event{At: h.now(), IP: clientIP(r, h.cfg.TrustProxy), UserAgent: r.UserAgent()}
}
