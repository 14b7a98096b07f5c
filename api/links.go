package api

import (
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"time"

	"oncelink/core"
	"oncelink/web"
)

// link is a link as the API shows it to its owner: never its URL, which
// only a create answers with, nor its content.
type link struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Label       string     `json:"label"`
	Status      string     `json:"status"`
	MaxUses     int        `json:"max_uses"`
	Uses        int        `json:"uses"`
	Views       int        `json:"views"`
	ExpiresAt   time.Time  `json:"expires_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UsedAt      *time.Time `json:"used_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	ForUser     *string    `json:"for_user"`
	HasPassword bool       `json:"has_password"`
	E2E         bool       `json:"e2e"`
}

// createdLink is a new link, with the only showing of its URL.
type createdLink struct {
	link
	URL string `json:"url"`
}

// LinkObject is l as the API shows it at now, without its URL, as a
// webhook's body carries it.
func LinkObject(l core.Link, now time.Time) any { return linkOf(l, now) }

func linkOf(l core.Link, now time.Time) link {
	v := link{
		ID: l.ID, Kind: l.Kind, Label: l.Label, Status: string(l.Status(now)),
		MaxUses: l.MaxUses, Uses: l.Uses, Views: l.Views,
		ExpiresAt: l.ExpiresAt.UTC(), CreatedAt: l.CreatedAt.UTC(),
		HasPassword: l.HasPassword(), E2E: l.EndToEnd(),
	}
	if l.Uses >= l.MaxUses && !l.LastUsedAt.IsZero() {
		v.UsedAt = utc(l.LastUsedAt)
	}
	if !l.RevokedAt.IsZero() {
		v.RevokedAt = utc(l.RevokedAt)
	}
	if l.ForUserID != 0 {
		v.ForUser = &l.ForUserName
	}
	return v
}

func utc(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}

// newLink is a create's JSON body.
type newLink struct {
	Kind     string       `json:"kind"`
	Message  string       `json:"message"`
	URL      string       `json:"url"`
	TTL      *string      `json:"ttl"`      // nil: core.DefaultTTL
	MaxUses  *wholeNumber `json:"max_uses"` // nil: one use
	Password string       `json:"password"`
	ForUser  string       `json:"for_user"`
	Label    string       `json:"label"`
	Notify   bool         `json:"notify"`
}

// multipartFields are the fields of a multipart create: the JSON body's,
// and those of an end-to-end link, which only a form can send.
var multipartFields = func() map[string]bool {
	names := fieldNames(reflect.TypeFor[*newLink]())
	// A file part without a file name comes as a field named file: the
	// core says the file is missing.
	names["e2e"], names["e2e_check"], names["file"] = true, true, true
	return names
}()

// knownFields refuses a multipart create's field that is none of
// multipartFields, or that comes twice, as readJSON refuses a JSON body's:
// a misspelt max_uses must not make a link of one use.
func knownFields(form url.Values) error {
	for _, name := range slices.Sorted(maps.Keys(form)) {
		switch {
		case !multipartFields[name]:
			return unknownField(name)
		case len(form[name]) > 1:
			return duplicateField(name)
		}
	}
	return nil
}

// formWhole refuses the value of a multipart create's integer field that
// is not a whole number as a form writes one (see core.FormWhole), an
// empty one included, as of the wrong type: what a JSON body's string or
// null is, rather than a number out of range. Every value of a form is
// text: the words say what it should be, not what it is. A whole number
// out of range is the core's to refuse.
func formWhole(field, value string) error {
	if _, ok := core.FormWhole(value); !ok {
		return core.Variant(core.Invalid, "wrong_type", "form_whole", field, "wrong_type", "Field", field)
	}
	return nil
}

// createLink makes a link from a JSON body, or from a multipart form that
// may carry a file, with the same fields.
func (a *API) createLink(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	d := a.core.NewDraft()
	defer d.Close() // nothing of an upload outlives the request
	key, err := idempotencyKey(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in core.LinkInput
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		in, err = a.multipartLink(w, r, d, params["boundary"])
	} else {
		in, err = jsonLink(w, r)
	}
	in.IdempotencyKey = key
	if err == nil {
		err = d.StrayContent(in)
	}
	var c core.Created
	if err == nil {
		c, err = a.core.Create(r.Context(), acc.ID, d, in)
	}
	if err == nil && c.Repeated {
		err = errAlreadyCreated(w, createdLinks, c.Link.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d.Close()
	setLocation(w, createdLinks, c.Link.ID)
	a.reply(w, r, http.StatusCreated, createdLink{linkOf(c.Link, a.core.Now()), c.URL})
	web.PublishAfter(w, r, a.core, c.Event())
}

// multipartLink reads a create sent as a multipart form, split by
// boundary, into d: its fields are the JSON body's, and its file the
// content of a file link or the ciphertext of an end-to-end one.
func (a *API) multipartLink(w http.ResponseWriter, r *http.Request, d *core.Draft, boundary string) (core.LinkInput, error) {
	if boundary == "" {
		return core.LinkInput{}, errBadMultipart
	}
	form, err := web.ReadUpload(w, r, a.core, d, boundary)
	if err == nil {
		err = knownFields(form)
	}
	var in core.LinkInput
	if err == nil {
		in = core.LinkInput{Kind: form.Get("kind"), Message: form.Get("message"), URL: form.Get("url"),
			TTL: core.DefaultTTL, Password: form.Get("password"), ForUser: form.Get("for_user"),
			Label: form.Get("label"), Notify: form.Get("notify") == "true", E2ECheck: form.Get("e2e_check")}
		// A field sent empty is not one left out, as in a JSON body: an
		// empty ttl is no time to live.
		if ttl, sent := form["ttl"]; sent {
			in.TTL = ttl[0]
		}
		if uses, sent := form["max_uses"]; sent {
			in.MaxUses = uses[0]
			err = formWhole("max_uses", in.MaxUses)
		}
	}
	if n, sent := form["notify"]; err == nil && sent && n[0] != "true" && n[0] != "false" {
		// Every value of a form is a string: the words say which.
		err = core.Variant(core.Invalid, "wrong_type", "form", "notify", "wrong_type", "Field", "notify")
	}
	if errors.Is(err, core.ErrUnreadableForm) {
		err = errBadMultipart
	}
	return in, err
}

// jsonLink reads a create sent as JSON, which carries no file.
func jsonLink(w http.ResponseWriter, r *http.Request) (core.LinkInput, error) {
	var body newLink
	if err := readJSON(w, r, &body, core.MaxFormBytes, false); err != nil {
		if err == errNotJSON {
			err = errNotJSONOrForm
		}
		return core.LinkInput{}, err
	}
	if body.Kind == core.KindFile {
		return core.LinkInput{}, errFileAsJSON
	}
	in := core.LinkInput{Kind: body.Kind, Message: body.Message, URL: body.URL, TTL: core.DefaultTTL,
		Password: body.Password, ForUser: body.ForUser, Label: body.Label, Notify: body.Notify}
	if body.TTL != nil {
		in.TTL = *body.TTL // "" too, which is no time to live
	}
	if body.MaxUses != nil {
		// Zero too, which the core refuses, unlike none.
		in.MaxUses = strconv.Itoa(int(*body.MaxUses))
	}
	return in, nil
}

// pageLimit is a list's limit parameter as the core takes it: zero when
// left out, and -1, which the core refuses with the limit's bounds, when
// it is a whole number below 1. One that is no whole number, as a form
// writes one ("abc", "5.0", "+5"), is of the wrong type, as any other
// value that is not a number where one belongs.
func pageLimit(q url.Values) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return 0, nil
	}
	n, ok := core.FormWhole(s)
	switch {
	case !ok:
		return 0, core.Variant(core.Invalid, "wrong_type", "parameter_whole", "limit", "wrong_type", "Field", "limit")
	case n < 1:
		return -1, nil
	}
	return n, nil
}

func (a *API) listLinks(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	in := core.ListInput{Status: q.Get("status"), Query: q.Get("q"), Before: q.Get("cursor"), Limit: limit}
	page, err := a.core.Links(r.Context(), acc.ID, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Links      []link  `json:"links"`
		NextCursor *string `json:"next_cursor"`
	}{Links: []link{}}
	now := a.core.Now()
	for _, l := range page.Links {
		out.Links = append(out.Links, linkOf(l, now))
	}
	if page.Next != "" {
		out.NextCursor = &page.Next
	}
	a.reply(w, r, http.StatusOK, out)
}

func (a *API) getLink(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var l core.Link
	if err == nil {
		l, err = a.core.Link(r.Context(), acc.ID, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, r, http.StatusOK, linkOf(l, a.core.Now()))
}

// auditKinds name the audit trail's kinds as the API shows them.
var auditKinds = map[string]string{
	core.EventView: "view", core.EventUse: "open", core.EventWrongPassword: "wrong_password",
	core.EventRevoke: "revoke", core.EventGone: "gone",
}

func (a *API) linkEvents(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var events []core.Event
	if err == nil {
		_, events, err = a.core.Audit(r.Context(), acc.ID, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	type event struct {
		At        time.Time `json:"at"`
		Kind      string    `json:"kind"`
		IP        string    `json:"ip"`
		UserAgent string    `json:"user_agent"`
	}
	out := struct {
		Events []event `json:"events"`
	}{Events: []event{}}
	for _, e := range events {
		out.Events = append(out.Events, event{At: e.At.UTC(), Kind: auditKinds[e.Kind], IP: e.IP, UserAgent: e.UserAgent})
	}
	a.reply(w, r, http.StatusOK, out)
}

func (a *API) revoke(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var l core.Link
	if err == nil {
		l, err = a.core.Revoke(r.Context(), acc.ID, id, a.client(r))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, r, http.StatusOK, linkOf(l, a.core.Now()))
}

// open takes one use of a link for a recipient, who needs no key; a key,
// when sent, names the recipient for a link meant for one account. A
// message or a URL comes back as JSON, a file as its bytes.
func (a *API) open(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	var body struct {
		Password string `json:"password"`
		// Claim opens an end-to-end link (see package e2e).
		Claim string `json:"claim"`
	}
	// The client's limit comes before the body is read.
	turn, err := a.core.OpenTurn(r.Context(), tok, a.client(r))
	if err == nil {
		err = readJSON(w, r, &body, 4<<10, true)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rc := core.Recipient{Client: a.client(r), Claim: body.Claim}
	viewer, err := a.bearer(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rc.Viewer = viewer
	o, err := a.core.Open(r.Context(), turn, tok, body.Password, rc)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.deliver(w, r, o)
}

// deliver answers an open with what it opened: a message or a URL as
// JSON, a file (or an end-to-end link's ciphertext) as itself.
func (a *API) deliver(w http.ResponseWriter, r *http.Request, o core.Opened) {
	switch {
	case o.Link.EndToEnd():
		a.sendFile(w, r, o.File, "e2e")
	case o.File != nil:
		a.sendFile(w, r, o.File, core.KindFile)
	case o.Link.Kind == core.KindURL:
		a.reply(w, r, http.StatusOK, struct {
			Kind string `json:"kind"`
			URL  string `json:"url"`
		}{o.Link.Kind, o.URL})
	default:
		a.reply(w, r, http.StatusOK, struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		}{o.Link.Kind, o.Message})
	}
	web.PublishAfter(w, r, a.core, o.Event())
}

// sendFile answers an opened file link with the file, as an attachment
// that no browser renders.
func (a *API) sendFile(w http.ResponseWriter, r *http.Request, f *core.File, kind string) {
	hd := w.Header()
	hd.Set("Content-Type", f.Type)
	hd.Set("Content-Disposition", web.ContentDisposition("attachment", f.Name))
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
	hd.Set("Oncelink-Kind", kind)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, a.core.FileContent(r.Context(), f)); err != nil && r.Context().Err() == nil {
		// The use is taken and the answer begun: all that is left is to
		// say why it broke off.
		a.log.Error("api: send an opened file", "err", err)
	}
}
