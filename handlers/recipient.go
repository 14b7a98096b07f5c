package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"time"

	"golang.org/x/crypto/bcrypt"

	"oncelink/components"
	"oncelink/live"
	"oncelink/store"
	"oncelink/token"
)

// lookup finds the link of the {token} in r's path. A token this server did
// not make is refused before any query.
func (h *Handler) lookup(r *http.Request) (token.Token, store.Link, error) {
	tok, err := token.Parse(h.key, r.PathValue("token"))
	if err != nil {
		return tok, store.Link{}, errNotFound
	}
	l, err := h.store.LinkByHash(r.Context(), tok.Hash())
	return tok, l, err
}

// gone explains why a link can no longer be opened.
func gone(st store.Status) error {
	e := &userError{status: http.StatusGone, title: "This link has been used",
		msg: "Everything this link shared has been delivered, and it cannot be opened again. If you did not open it yourself, tell the person who sent it."}
	switch st {
	case store.Expired:
		e.title, e.msg = "This link has expired", "Its time ran out before it was opened. Ask the person who sent it for a new one."
	case store.Revoked:
		e.title, e.msg = "This link was revoked", "The person who shared it took it back. Ask them if you still need it."
	}
	return e
}

// linkPage is the recipient's page. It never consumes: GET and HEAD from
// previews, scanners and browsers alike only look. A GET is recorded as a
// view; a HEAD answers the same status and records nothing.
func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	tok, l, err := h.lookup(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.answered(w, r, tok, l) {
		return
	}
	if r.Method == http.MethodGet {
		// Views are recorded, so they are limited with opens: a client
		// reloading the page cannot grow the audit trail without end.
		if !h.allow(w, r, h.limits.open, h.client(r)) {
			return
		}
		if err := h.store.RecordView(r.Context(), l.ID, h.event(r)); err != nil {
			h.fail(w, r, err)
			return
		}
		h.publish(r, live.Event{Owner: l.OwnerID, Link: l.ID, What: live.Viewed})
	}
	h.render(w, r, http.StatusOK, components.LandingPage(h.page(r, "Shared with you"), h.landing(r, tok, l)))
}

func (h *Handler) landing(r *http.Request, tok token.Token, l store.Link) components.Landing {
	v := components.Landing{
		Action: "/l/" + tok.String(), Owner: l.OwnerName, Kind: l.Kind, Size: l.Size,
		ExpiresAt: l.ExpiresAt, UsesLeft: l.MaxUses - l.Uses, NeedsPassword: l.PasswordHash != "",
		ForUser: l.ForUserName,
	}
	if l.ForUserID != 0 {
		a := h.viewer(r)
		v.WrongUser = a == nil || a.ID != l.ForUserID
		v.SignInURL = "/login?next=" + pathEscapeNext(v.Action)
	}
	return v
}

// openLink consumes one use and delivers the content. A browser that holds
// a grant for the link gets it again without using another.
func (h *Handler) openLink(w http.ResponseWriter, r *http.Request) {
	tok, err := token.Parse(h.key, r.PathValue("token"))
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	client := h.client(r)
	if !h.allow(w, r, h.limits.open, client) {
		return
	}
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	// Most links have no password and no recipient account, and most
	// opens carry no grant: one conditional write then does everything.
	if len(r.CookiesNamed(grantCookie)) == 0 {
		used, err := h.store.ConsumeUnprotected(r.Context(), tok.Hash(), h.event(r))
		if err == nil {
			h.opened(w, r, tok, used)
			return
		}
		if !errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, err)
			return
		}
	}
	l, err := h.store.LinkByHash(r.Context(), tok.Hash())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.answered(w, r, tok, l) {
		return
	}
	v := h.landing(r, tok, l)
	if v.WrongUser {
		v.Error = "This link is for " + l.ForUserName + ". Sign in as " + l.ForUserName + " to open it."
		h.render(w, r, http.StatusForbidden, components.LandingPage(h.page(r, "Shared with you"), v))
		return
	}
	if l.PasswordHash != "" {
		if !h.allow(w, r, h.limits.linkPassword, string(l.TokenHash)) || !h.allow(w, r, h.limits.linkPasswordClient, client) {
			return
		}
		if bcrypt.CompareHashAndPassword([]byte(l.PasswordHash), []byte(r.PostForm.Get("password"))) != nil {
			if err := h.store.RecordWrongPassword(r.Context(), l.ID, h.event(r)); err != nil {
				h.fail(w, r, err)
				return
			}
			v.Error = "That password is not right. The link was not used; try again."
			h.render(w, r, http.StatusForbidden, components.LandingPage(h.page(r, "Shared with you"), v))
			return
		}
	}
	used, err := h.store.Consume(r.Context(), l.ID, h.event(r))
	if errors.Is(err, store.ErrGone) {
		// It died since the lookup: used up, expired or revoked meanwhile.
		st := store.Used
		if now, err := h.store.LinkByHash(r.Context(), tok.Hash()); err == nil {
			st = now.Status(h.now())
		}
		h.fail(w, r, gone(st))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.opened(w, r, tok, used)
}

// answered handles what the link's page and its Open share once the link
// is found: the browser holding a grant gets the content again, and a dead
// link answers 410. It reports whether it wrote the response.
func (h *Handler) answered(w http.ResponseWriter, r *http.Request, tok token.Token, l store.Link) bool {
	relaxFormAction(w, l)
	if h.granted(r, l) {
		h.deliver(w, r, tok, l)
		return true
	}
	if st := l.Status(h.now()); st != store.Active {
		h.fail(w, r, gone(st))
		return true
	}
	return false
}

// opened answers the use of l that was just taken: this browser gets the
// grant and the content, then the owner's dashboards hear of it.
func (h *Handler) opened(w http.ResponseWriter, r *http.Request, tok token.Token, l store.Link) {
	h.grant(w, tok, l)
	h.deliver(w, r, tok, l)
	h.publishAfter(w, r, live.Event{Owner: l.OwnerID, Link: l.ID, What: live.Used})
}

// deliver shows what the link shares to a browser that consumed it.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, tok token.Token, l store.Link) {
	if l.Kind == store.KindFile {
		h.deliverFile(w, r, tok, l)
		return
	}
	sealed := l.Content
	if sealed == nil { // not read along with the link, as on a grant's reload
		var err error
		sealed, err = h.store.Chunk(r.Context(), l.ID, 0)
		switch {
		case errors.Is(err, store.ErrGone):
			h.fail(w, r, gone(l.Status(h.now())))
			return
		case err != nil:
			h.fail(w, r, err)
			return
		}
	}
	content, err := tok.Box().Open(token.Content, 0, true, sealed)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.delivered(l)
	switch l.Kind {
	case store.KindURL:
		v.URL = string(content)
		if r.Method == http.MethodPost {
			http.Redirect(w, r, v.URL, http.StatusSeeOther)
			return
		}
	default:
		v.Message = string(content)
	}
	h.render(w, r, http.StatusOK, components.DeliveredPage(h.page(r, "Shared with you"), v))
}

// delivered is what every kind's delivered page shows about l.
func (h *Handler) delivered(l store.Link) components.Delivered {
	return components.Delivered{Kind: l.Kind, Owner: l.OwnerName, UsesLeft: l.MaxUses - l.Uses, GrantEnds: h.grantEnds(l)}
}

// grantEnds is when the grant of l's last use ends.
func (h *Handler) grantEnds(l store.Link) time.Time { return l.LastUsedAt.Add(h.cfg.GrantTTL) }

// relaxFormAction lets the Open button of a URL link follow its redirect to
// the shared address; every other page may post only to oncelink.
func relaxFormAction(w http.ResponseWriter, l store.Link) {
	if l.Kind == store.KindURL {
		w.Header().Set("Content-Security-Policy", components.URLLinkPolicy)
	}
}

// A grant lets the browser that consumed a link see its content again for
// GrantTTL. It is a cookie scoped to the link's path, holding the link's id
// and the grant's end, tagged with the server key: another browser does not
// have it and cannot make one.
const grantCookie = "oncelink_grant"

func (h *Handler) grant(w http.ResponseWriter, tok token.Token, l store.Link) {
	ends := h.grantEnds(l)
	var v [16 + sha256.Size]byte
	binary.BigEndian.PutUint64(v[:8], uint64(l.ID))
	binary.BigEndian.PutUint64(v[8:16], uint64(ends.UnixMilli()))
	copy(v[16:], h.grantTag(v[:16]))
	http.SetCookie(w, &http.Cookie{
		Name: grantCookie, Value: base64.RawURLEncoding.EncodeToString(v[:]),
		Path: "/l/" + tok.String(), MaxAge: int(h.cfg.GrantTTL.Seconds()),
		HttpOnly: true, Secure: h.cfg.BaseURL.Scheme == "https", SameSite: http.SameSiteLaxMode,
	})
}

// granted reports whether r carries an unexpired grant for l.
func (h *Handler) granted(r *http.Request, l store.Link) bool {
	for _, c := range r.CookiesNamed(grantCookie) {
		v, err := base64.RawURLEncoding.DecodeString(c.Value)
		if err != nil || len(v) != 16+sha256.Size || !hmac.Equal(v[16:], h.grantTag(v[:16])) {
			continue
		}
		id, ends := int64(binary.BigEndian.Uint64(v[:8])), int64(binary.BigEndian.Uint64(v[8:16]))
		if id == l.ID && h.now().Before(time.UnixMilli(ends)) && l.RevokedAt.IsZero() {
			return true
		}
	}
	return false
}

func (h *Handler) grantTag(b []byte) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("oncelink grant v1\x00"))
	m.Write(b)
	return m.Sum(nil)
}

func (h *Handler) player(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, components.PlayerPage(h.page(r, "Media player", "player.js")))
}
