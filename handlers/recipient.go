package handlers

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// recipient is who asks about a link in r: the client, the signed-in
// viewer and the grants the browser holds.
func (h *Handler) recipient(r *http.Request) core.Recipient {
	return core.Recipient{Client: h.client(r), Viewer: h.viewer(r), Grants: grants(r)}
}

// grants are the grant cookies r carries.
func grants(r *http.Request) []string {
	var g []string
	for _, c := range r.CookiesNamed(grantCookie) {
		g = append(g, c.Value)
	}
	return g
}

// linkPage is the recipient's page. It never consumes: GET and HEAD from
// previews, scanners and browsers alike only look. A GET is recorded as a
// view, unless it follows a refused open, which the audit trail has already
// (see flashCookie), and which the page then says; a HEAD answers the same
// status and records nothing. The browser holding a grant for the link sees
// its content again; its owner sees how it stands.
func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	// A GET takes the flash: it says it once.
	flash, err := r.Cookie(flashCookie)
	flashed := err == nil && r.Method == http.MethodGet
	rc := h.recipient(r)
	if flashed {
		rc.Refused = flash.Value
	}
	// The owner's page of the link starts a stream, whose mark is taken
	// before the link is read, as the dashboard's is.
	var mark string
	if rc.Viewer != nil {
		mark = h.streamMark(rc.Viewer.ID)
	}
	sight, err := h.core.Look(r.Context(), tok, rc, r.Method == http.MethodGet)
	relaxFormAction(w, sight.Link)
	switch {
	case err != nil:
		h.fail(w, r, err)
	case sight.Opened != nil:
		h.deliver(w, r, tok, *sight.Opened)
	default:
		if flashed {
			http.SetCookie(w, h.linkCookie(tok, flashCookie, "", -1))
		}
		if r.Method == http.MethodGet {
			// A HEAD has no page whose form would send it back.
			h.setCookieCheck(w, "/l/"+tok)
		}
		h.showLink(w, r, tok, sight, sight.Refused, mark)
	}
}

// Cookies of a link's pages, each scoped to the link's path, so that it
// goes only with requests about that link.
const (
	// grantCookie lets the browser that opened a link see its content
	// again for a while (see core.Opened.Grant).
	grantCookie = "oncelink_grant"
	// checkCookie is set by the link's page. An open that comes back with
	// it is from a browser that keeps cookies, and is answered with a
	// redirect to the page (POST, redirect, GET), which the grant serves,
	// so that a reload never posts the form again. An open without it,
	// from a browser that keeps no cookies, gets what it opened in the
	// answer: the grant it cannot keep would not bring it back. A
	// request's page sets it too, for its answer (see fulfil).
	checkCookie = "oncelink_cookies"
	// flashCookie carries a refused open's note (core.RefusedNote) to the
	// page it is redirected to, which says what went wrong once and clears
	// it. It carries nothing secret: never the password.
	flashCookie = "oncelink_flash"
)

// flashAge is how long a flash waits for its page, in seconds: as long as
// the note it carries holds.
const flashAge = int(core.RefusedNoteTTL / time.Second)

// keepsCookies tells whether r's browser keeps cookies: whether it sent
// back the check that the page of its form set (see checkCookie).
func keepsCookies(r *http.Request) bool {
	_, err := r.Cookie(checkCookie)
	return err == nil
}

// openedByProgram tells whether r, an open, comes from a program: one that
// posted without the page's form, which says so in a field, and without the
// check the page sets. It may keep no cookies, so it gets what it opened in
// the answer, and no grant, which would only show it again.
func openedByProgram(r *http.Request) bool {
	return r.Method == http.MethodPost && !keepsCookies(r) && !r.PostForm.Has(components.CookieCheckField)
}

// refusesCookies tells whether r, a form sent with form's fields, comes
// from a browser known to keep no cookies: one that sent the form from its
// page, which set the check, without the check. A program that posts
// without the page may keep cookies or not; it is answered as before.
func refusesCookies(r *http.Request, form url.Values) bool {
	return form.Get(components.CookieCheckField) != "" && !keepsCookies(r)
}

// linkCookie is cookie name of link tok; maxAge as http.Cookie takes it.
func (h *Handler) linkCookie(tok, name, value string, maxAge int) *http.Cookie {
	return h.pathCookie("/l/"+tok, name, value, maxAge)
}

// pathCookie is cookie name, sent back to path alone, and never to a
// script; maxAge as http.Cookie takes it.
func (h *Handler) pathCookie(path, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
}

// setCookieCheck sets the check that a page sets for its form's answer,
// under path, to tell by it whether the browser keeps cookies (see
// keepsCookies).
func (h *Handler) setCookieCheck(w http.ResponseWriter, path string) {
	http.SetCookie(w, h.pathCookie(path, checkCookie, "1", 0))
}

// showLink shows a link that has not been opened in this browser: its
// owner's page, or the recipient's, with refusal, the open just refused,
// if any, and its status. Otherwise, while the rate limits hold the
// recipient back, it answers 429; either way with how long to wait. The
// owner's page starts its stream at mark, the owner's stream mark taken
// before the link was read: without one, the stream begins with how the
// link stands.
func (h *Handler) showLink(w http.ResponseWriter, r *http.Request, tok string, sight core.Sight, refusal *core.Error, mark string) {
	f := h.openForm(r, tok, sight, refusal)
	status := http.StatusOK
	if sight.Lockout > 0 {
		status = http.StatusTooManyRequests
		web.RetryAfter(w, sight.Lockout)
	}
	if refusal != nil {
		status = web.Status(refusal.Kind)
	}
	if sight.Owner {
		l, now := sight.Link, h.core.Now()
		v := h.ownLink(l, now)
		v.OpenForm, v.Stream = f, linkStream(mark, "own", l.ID)
		if l.Status(now) != core.Active {
			// Dead, as anyone is told, but with how it stands.
			status = http.StatusGone
		} else if forAnother(l) {
			// Only that account may open it, as the page says: the
			// refusal's "sign in as" is not for the owner.
			v.Error = ""
		}
		h.render(w, r, status, components.OwnLinkPage(h.page(r, i18n.T(r.Context(), "recipient.title.own")), v))
		return
	}
	p := h.page(r, i18n.T(r.Context(), "recipient.title.shared"))
	e2ePage(w, &p, sight.Link)
	v := h.landing(r, sight, f)
	if a := h.viewer(r); a != nil && v.WrongUser {
		v.SignedInAs = a.Username
	}
	h.render(w, r, status, components.LandingPage(p, v))
}

// ownLink is link l as its owner's page shows it at now, without the form
// that opens it.
func (h *Handler) ownLink(l core.Link, now time.Time) components.OwnLink {
	// An end-to-end link's opening needs the key, which only the address
	// had: the owner opens it as a recipient would, in another browser.
	opens := l.Status(now) == core.Active && !l.EndToEnd() && !forAnother(l)
	return components.OwnLink{Row: h.linkRow(l, now), Opens: opens}
}

// forAnother tells whether only another account than its owner's may open l.
func forAnother(l core.Link) bool { return l.ForUserID != 0 && l.ForUserID != l.OwnerID }

// openForm is the form that opens link tok, after refusal, if any, in
// r's reader's language.
func (h *Handler) openForm(r *http.Request, tok string, sight core.Sight, refusal *core.Error) components.OpenForm {
	f := components.OpenForm{Action: h.keepLanguage(r, "/l/"+tok), NeedsPassword: sight.Link.HasPassword(),
		Lockout: sight.Lockout, AttemptsLeft: sight.AttemptsLeft}
	if f.Lockout > 0 {
		f.RetryAt = h.core.Now().Add(f.Lockout)
	}
	if refusal != nil && (f.Lockout == 0 || refusal.Field == "") {
		// While the form is held back, its notice says what to do; a
		// wrong password's "try again" beside it would say otherwise.
		f.Error, f.ErrorField = refusal.Message(i18n.From(r.Context())), refusal.Field
	}
	return f
}

func (h *Handler) landing(r *http.Request, s core.Sight, f components.OpenForm) components.Landing {
	l := s.Link
	v := components.Landing{
		OpenForm: f, Owner: l.OwnerName, Kind: l.Kind, Size: l.Size,
		ExpiresAt: l.ExpiresAt, UsesLeft: l.MaxUses - l.Uses,
		ForUser: l.ForUserName, WrongUser: s.WrongUser, E2E: l.EndToEnd(),
	}
	if l.ForUserID != 0 {
		v.SignInURL = h.keepLanguage(r, loginThen(f.Action))
	}
	return v
}

// openLink takes one use and delivers the content. A browser that keeps
// cookies (see checkCookie) is sent back to the link's page, which the
// grant now serves, or which says why the open was refused: a reload then
// repeats the GET, never the POST. A browser that keeps none gets the
// content, or the page with the refusal, in the answer itself; a program
// that posts without the page gets a file link's file itself, and no
// grant whatever it opened (see openedByProgram).
func (h *Handler) openLink(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	turn, err := h.core.OpenTurn(r.Context(), tok, h.client(r))
	if e, ok := core.AsError(err); ok && e.Kind == core.Limited && keepsCookies(r) && !wantsJSON(r) {
		// Held back by the open limit, which the page's GET takes too: the
		// page then counts the wait down above its form, disabled until
		// the wait is over, as after a password tried too often. Its
		// script gets fail's JSON instead.
		http.Redirect(w, r, h.keepLanguage(r, "/l/"+tok), http.StatusSeeOther)
		return
	}
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.PostForm.Has(e2eClaimField) {
		h.openE2E(w, r, turn, tok)
		return
	}
	keepsCookies := keepsCookies(r)
	rc := h.recipient(r)
	if refusesCookies(r, r.PostForm) {
		// A file downloads, or plays, by the grant cookie, which this
		// browser would not keep: its one use would be spent on a
		// button that fails. It is asked for cookies instead, and the
		// link is left as it was. The page sets its check again, for a
		// browser that lost it but keeps cookies.
		sight, err := h.core.Look(r.Context(), tok, rc, false)
		if err == nil && sight.Opened == nil && sight.Link.Kind == core.KindFile && !sight.Owner {
			h.setCookieCheck(w, "/l/"+tok)
			h.showLink(w, r, tok, sight, errCookiesNeeded, "")
			return
		}
	}
	o, err := h.core.Open(r.Context(), turn, tok, r.PostForm.Get("password"), rc)
	if e, ok := core.AsError(err); ok && (e.Kind == core.Forbidden || e.Kind == core.Limited) {
		if keepsCookies {
			// The page tells the wait of a Limited refusal itself.
			if e.Code == core.ErrWrongPassword.Code { // a wrong or a missing password: the page says so
				http.SetCookie(w, h.linkCookie(tok, flashCookie, h.core.RefusedNote(tok), flashAge))
			}
			http.Redirect(w, r, h.keepLanguage(r, "/l/"+tok), http.StatusSeeOther)
			return
		}
		if e.Kind == core.Forbidden {
			sight, lookErr := h.core.Look(r.Context(), tok, rc, false)
			if lookErr != nil {
				h.fail(w, r, lookErr)
				return
			}
			relaxFormAction(w, sight.Link)
			h.showLink(w, r, tok, sight, e, "")
			return
		}
		// Limited (a password tried too often): a plain 429, without a
		// look at the link.
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	relaxFormAction(w, o.Link)
	// A program gets no grant: it has what the grant would show again. A
	// file link's page would download by the grant, and its one use is
	// spent: the program gets the file itself, as the download serves it.
	program := openedByProgram(r)
	if o.Used && !program {
		http.SetCookie(w, h.linkCookie(tok, grantCookie, o.Grant, int(h.core.Config().GrantTTL.Seconds())))
	}
	switch {
	case program && o.File != nil:
		h.serveFile(w, r, o.File)
	case keepsCookies && o.Link.Kind != core.KindURL:
		http.Redirect(w, r, h.keepLanguage(r, "/l/"+tok), http.StatusSeeOther)
	default:
		h.deliver(w, r, tok, o) // a URL link's is a 303 to its address
	}
	if o.Used {
		web.PublishAfter(w, r, h.core, o.Event())
	}
}

// deliver shows what an opened link shares.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, tok string, o core.Opened) {
	v := components.Delivered{Kind: o.Link.Kind, Owner: o.Link.OwnerName, UsesLeft: o.Link.MaxUses - o.Link.Uses, GrantEnds: o.GrantEnds,
		// An open's answer to a browser that keeps no cookies is the only
		// time it shows: its grant is not kept.
		NoCookies: refusesCookies(r, r.PostForm), NoGrant: openedByProgram(r)}
	if viewer := h.viewer(r); viewer != nil && viewer.ID == o.Link.OwnerID {
		v.Own = true
		// The answer to a request is said to be one, rather than a link
		// the owner shared.
		switch req, err := h.core.RequestOfLink(r.Context(), viewer.ID, o.Link.ID); {
		case err == nil:
			v.Answers = &req.Label
		case !errors.Is(err, core.ErrNotFound):
			h.log.Warn("find the request a link answers", "err", err)
		}
	}
	var scripts []string
	switch {
	case o.File != nil:
		f := &components.SharedFile{Name: o.File.Name, Type: o.File.Type, Size: o.File.Size, URL: fileURL(tok)}
		if o.File.Media != "" {
			f.Media = &components.Media{Kind: o.File.Media, Src: f.URL, Type: f.Type, Title: f.Name, Artist: i18n.T(r.Context(), "files.shared_by", "Owner", o.Link.OwnerName)}
			scripts = append(scripts, "player.js")
		}
		v.File = f
	case o.Link.Kind == core.KindURL:
		if r.Method == http.MethodPost {
			// Whatever the pages' policy, the shared address is not told
			// where its visitor came from.
			w.Header()["Referrer-Policy"] = noReferrer
			http.Redirect(w, r, core.ASCIIAddress(o.URL), http.StatusSeeOther)
			return
		}
		v.URL = o.URL
	default:
		v.Message = o.Message
	}
	title := i18n.T(r.Context(), "recipient.title.shared")
	if v.Own {
		title = i18n.T(r.Context(), "recipient.title.own")
	}
	h.render(w, r, http.StatusOK, components.DeliveredPage(h.page(r, title, scripts...), v))
}

// relaxFormAction lets the Open button of a URL link follow its redirect to
// the shared address; every other page may post only to oncelink.
func relaxFormAction(w http.ResponseWriter, l core.Link) {
	if l.Kind == core.KindURL {
		w.Header().Set("Content-Security-Policy", components.URLLinkPolicy)
	}
}

func (h *Handler) player(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, components.PlayerPage(h.page(r, i18n.T(r.Context(), "player.title"), "player.js")))
}

// playerCaptions serves the demo video's captions in the language that the
// path names, which the page's track asks for: the page's own.
func (h *Handler) playerCaptions(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("lang")
	if !i18n.Supported(code) {
		h.fail(w, r, core.ErrNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/vtt; charset=utf-8")
	io.WriteString(w, components.DemoCaptions(i18n.With(r.Context(), code)))
}
