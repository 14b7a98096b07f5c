package handlers

import (
	"net/http"

	"oncelink/components"
	"oncelink/core"
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
// view; a HEAD answers the same status and records nothing. The browser
// holding a grant for the link sees its content again.
func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	sight, err := h.core.Look(r.Context(), tok, h.recipient(r), r.Method == http.MethodGet)
	relaxFormAction(w, sight.Link)
	switch {
	case err != nil:
		h.fail(w, r, err)
	case sight.Opened != nil:
		h.deliver(w, r, tok, *sight.Opened)
	case sight.Owner:
		h.ownLink(w, r, tok, sight.Link, nil)
	default:
		h.render(w, r, http.StatusOK, components.LandingPage(h.page(r, "Shared with you"), h.landing(tok, sight)))
	}
}

func (h *Handler) landing(tok string, s core.Sight) components.Landing {
	l := s.Link
	v := components.Landing{
		Action: "/l/" + tok, Owner: l.OwnerName, Kind: l.Kind, Size: l.Size,
		ExpiresAt: l.ExpiresAt, UsesLeft: l.MaxUses - l.Uses, NeedsPassword: l.PasswordHash != "",
		ForUser: l.ForUserName, WrongUser: s.WrongUser,
	}
	if l.ForUserID != 0 {
		v.SignInURL = "/login?next=" + pathEscapeNext(v.Action)
	}
	return v
}

// ownLink shows the signed-in owner their own link, with e, the refusal of
// their own open, if any. It answers 200 while the link is active and 410
// once it is dead, as to anyone, but with how the link stands instead of a
// recipient's words.
func (h *Handler) ownLink(w http.ResponseWriter, r *http.Request, tok string, l core.Link, e *core.Error) {
	now := h.core.Now()
	v := components.OwnLink{Row: linkRow(l, now), NeedsPassword: l.PasswordHash != ""}
	status := http.StatusGone
	if l.Status(now) == core.Active {
		status = http.StatusOK
		if l.ForUserID == 0 || l.ForUserID == l.OwnerID {
			v.Action = "/l/" + tok
		}
	}
	if e != nil {
		v.Error, v.ErrorField, status = e.Msg, e.Field, Status(e.Kind)
	}
	h.render(w, r, status, components.OwnLinkPage(h.page(r, "Your link"), v))
}

// openLink takes one use and delivers the content. A refusal that the
// recipient can act on (a wrong password, the wrong account) shows the
// link's page again with the mistake.
func (h *Handler) openLink(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	if _, err := h.core.Token(tok); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	rc := h.recipient(r)
	o, err := h.core.Open(r.Context(), tok, r.PostForm.Get("password"), rc)
	if e, ok := core.AsError(err); ok && e.Kind == core.Forbidden {
		sight, lookErr := h.core.Look(r.Context(), tok, rc, false)
		if lookErr != nil {
			h.fail(w, r, lookErr)
			return
		}
		relaxFormAction(w, sight.Link)
		if sight.Owner {
			h.ownLink(w, r, tok, sight.Link, e)
			return
		}
		v := h.landing(tok, sight)
		v.Error, v.ErrorField = e.Msg, e.Field
		h.render(w, r, Status(e.Kind), components.LandingPage(h.page(r, "Shared with you"), v))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	relaxFormAction(w, o.Link)
	if !o.Used {
		h.deliver(w, r, tok, o)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: grantCookie, Value: o.Grant, Path: "/l/" + tok,
		MaxAge:   int(h.core.Config().GrantTTL.Seconds()),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
	h.deliver(w, r, tok, o)
	PublishAfter(w, r, h.core, o.Event())
}

// A grant cookie lets the browser that opened a link see its content again
// for a while (see core.Opened.Grant). It is scoped to the link's path,
// so it goes only with requests about that link.
const grantCookie = "oncelink_grant"

// deliver shows what an opened link shares.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, tok string, o core.Opened) {
	v := components.Delivered{Kind: o.Link.Kind, Owner: o.Link.OwnerName, UsesLeft: o.Link.MaxUses - o.Link.Uses, GrantEnds: o.GrantEnds}
	var scripts []string
	switch {
	case o.File != nil:
		f := &components.SharedFile{Name: o.File.Name, Type: o.File.Type, Size: o.File.Size, URL: fileURL(tok)}
		if o.File.Media != "" {
			f.Media = &components.Media{Kind: o.File.Media, Src: f.URL, Type: f.Type, Title: f.Name, Artist: "Shared by " + o.Link.OwnerName}
			scripts = append(scripts, "player.js")
		}
		v.File = f
	case o.Link.Kind == core.KindURL:
		if r.Method == http.MethodPost {
			http.Redirect(w, r, o.URL, http.StatusSeeOther)
			return
		}
		v.URL = o.URL
	default:
		v.Message = o.Message
	}
	h.render(w, r, http.StatusOK, components.DeliveredPage(h.page(r, "Shared with you", scripts...), v))
}

// relaxFormAction lets the Open button of a URL link follow its redirect to
// the shared address; every other page may post only to oncelink.
func relaxFormAction(w http.ResponseWriter, l core.Link) {
	if l.Kind == core.KindURL {
		w.Header().Set("Content-Security-Policy", components.URLLinkPolicy)
	}
}

func (h *Handler) player(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, components.PlayerPage(h.page(r, "Media player", "player.js")))
}
