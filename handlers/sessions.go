package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/useragent"
)

// sessionID is the id of r's session as the database keys it: its token's
// SHA-256, as scs stores it (HashTokenInStore). Empty without a session.
func (h *Handler) sessionID(r *http.Request) string {
	return tokenHash(h.sessions.Token(r.Context()))
}

// tokenHash is the id of the session with token tok (see sessionID).
func tokenHash(tok string) string {
	if tok == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// seenSessions remembers when this process last wrote each session's last
// use, so that a session's requests write it at most every
// core.SessionSeenEvery, not once each.
type seenSessions struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether session id's last use is to be written now, and if
// so notes that it is.
func (s *seenSessions) due(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string]time.Time{}
	}
	if t, ok := s.last[id]; ok && now.Sub(t) < core.SessionSeenEvery && !now.Before(t) {
		return false
	}
	if len(s.last) >= 10000 {
		// Sessions not seen for a while need no entry: they are due anyway.
		for k, t := range s.last {
			if now.Sub(t) >= core.SessionSeenEvery {
				delete(s.last, k)
			}
		}
	}
	s.last[id] = now
	return true
}

// seeSession records the session's use by account a, when it is due; a
// failure is logged, as the request itself went well.
func (h *Handler) seeSession(r *http.Request, a *core.Account) {
	id := h.sessionID(r)
	if id == "" || !h.seen.due(id, h.core.Now()) {
		return
	}
	if err := h.core.SessionSeen(r.Context(), a.ID, id, h.client(r)); err != nil && r.Context().Err() == nil {
		h.log.Warn("note the session's last use", "err", err)
	}
}

// endSession signs one of the account's sessions out. Ending the one
// asking signs it out as /logout does: anything put in it afterwards
// would save it again under its token, still signed in but no longer
// listed, out of reach of signing out everywhere else or a new password.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request, a *core.Account) {
	id := r.PathValue("id")
	err := parseForm(w, r)
	if err == nil {
		err = h.core.EndSession(r.Context(), a.ID, id)
	}
	if e, ok := core.AsError(err); ok && e.Kind == core.NotFound {
		// Not one of the account's sessions: signed out already, from
		// another tab or by itself, since the page was shown. The page,
		// its list up to date, says so rather than a page that is not
		// there; nothing changed.
		h.renderSettings(w, r, a, http.StatusNotFound, components.Settings{SessionGone: true})
		return
	}
	if err == nil && id == h.sessionID(r) {
		if err = h.sessions.Destroy(r.Context()); err == nil {
			redirect(w, r, "/login")
			return
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessionsEnded(w, r, 1)
}

// endOtherSessions signs out every session of the account but this one.
func (h *Handler) endOtherSessions(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	// This one goes on under a new token: a copy of its cookie is one of
	// the others too (see renewSession).
	err := h.renewSession(r, a)
	var n int64
	if err == nil {
		n, err = h.core.EndOtherSessions(r.Context(), a.ID, h.sessionID(r))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessionsEnded(w, r, n)
}

// sessionSessionsEnded is how many sessions were signed out, for the
// settings page that follows to say once.
const sessionSessionsEnded = "sessions_ended"

// sessionsEnded answers a sign-out of other sessions that went through
// with a redirect to the settings page, which says how many ended: a
// reload of that page asks for nothing again, where a reload of the POST's
// answer would end a session that is gone (404).
func (h *Handler) sessionsEnded(w http.ResponseWriter, r *http.Request, n int64) {
	h.sessions.Put(r.Context(), sessionSessionsEnded, n)
	redirect(w, r, "/settings")
}

// sessionItems are the account's sessions for the settings page.
func (h *Handler) sessionItems(r *http.Request, a *core.Account) ([]components.SessionItem, error) {
	list, err := h.core.Sessions(r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	current := h.sessionID(r)
	items := make([]components.SessionItem, len(list))
	for i, s := range list {
		items[i] = components.SessionItem{ID: s.ID, Device: deviceName(r, s.UserAgent), IP: s.IP,
			CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, Current: s.ID == current, Half: core.HalfSession(s)}
	}
	return items, nil
}

// deviceName names the browser of a session, as a person would, or shows
// what it sent when it is not one useragent knows.
func deviceName(r *http.Request, ua string) string {
	l := i18n.From(r.Context())
	if name := useragent.Say(l, ua); name != "" {
		return name
	}
	if ua == "" {
		return l.T("useragent.unknown")
	}
	if r := []rune(ua); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return ua
}
