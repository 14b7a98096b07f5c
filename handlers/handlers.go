// Package handlers is oncelink's web adapter over the core: one route
// table, sessions, forms, htmx fragments and server-sent events, and the
// mapping of the core's errors to pages.
package handlers

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"oncelink/assets"
	"oncelink/components"
	"oncelink/core"
	"oncelink/metrics"
	"oncelink/sso"
	"oncelink/web"
)

// Handler serves oncelink's pages. Make one with New.
type Handler struct {
	core     *core.Service
	sessions *scs.SessionManager
	log      *slog.Logger
	// secure is set when the base URL is HTTPS: cookies are then Secure.
	secure bool
	// originOnly is set when the base URL is plain HTTP on a host other
	// than the local machine's. There a browser sends no Sec-Fetch-Site,
	// and under Referrer-Policy: no-referrer it sends a form post with
	// Origin: null, which cross-origin protection must refuse: every form
	// would fail. The pages then send strict-origin, which still never
	// gives away a path (see strictOrigin).
	originOnly bool

	// streamsEnd is closed by EndStreams.
	streamsEnd chan struct{}
	endOnce    sync.Once
	// heartbeat is how often an event stream is kept alive, with a beat
	// its page hears, and its session checked.
	heartbeat time.Duration
	rows      sharedRows
	seen      seenSessions
	metrics   *metrics.Metrics
	// instance tells this process's event IDs, which the broker numbers
	// per process, from those of another instance or an earlier run.
	instance string
}

// New returns a Handler over svc. sessions must be backed by the same
// database as svc's store. m counts the requests and the event streams.
func New(svc *core.Service, sessions *scs.SessionManager, m *metrics.Metrics, log *slog.Logger) *Handler {
	// No idle timeout: scs would write the session back on every request
	// to move it. A sign-in lasts a week; signing out ends it at once.
	sessions.Lifetime = core.SessionLifetime
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	base, err := url.Parse(svc.Config().BaseURL)
	secure := err == nil && base.Scheme == "https" // in any case: Parse lowers it
	sessions.Cookie.Secure = secure
	sessions.Cookie.Name = sessionCookieName(secure)
	sessions.Cookie.Path, sessions.Cookie.Domain = "/", ""
	sessions.Codec = core.SessionCodec{}
	// The database keeps a session's SHA-256, so a copy of it signs nobody in.
	sessions.HashTokenInStore = true
	h := &Handler{
		core: svc, sessions: sessions, log: log, secure: secure, originOnly: !svc.SecureContext(),
		streamsEnd: make(chan struct{}), heartbeat: 25 * time.Second,
		metrics: m, instance: rand.Text()[:8],
	}
	sessions.ErrorFunc = h.sessionFailed
	return h
}

// sessionCookieName is the name of the session cookie: over HTTPS
// (secure), with the __Host- prefix, so that a browser takes it only from
// this very host, over HTTPS, Secure, for the whole site and without a
// Domain. A page on a sibling host (evil.example.com beside
// share.example.com) or an answer forged on a plain-HTTP connection then
// cannot set a session cookie of its own choosing, which would sign the
// browser in to the attacker's account, so that what its owner shares
// next is the attacker's. Plain HTTP keeps the plain name: browsers refuse
// a prefixed cookie that is not Secure.
func sessionCookieName(secure bool) string {
	if secure {
		return "__Host-oncelink_session"
	}
	return "oncelink_session"
}

// sessionFailed answers a request whose session could not be loaded or
// saved, in place of scs's plain 500 and standard-library log line: the
// sessions are in the database, so a database that does not answer is the
// 503 page, logged like any other failure.
func (h *Handler) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.fail(w, withViewer(r, nil), fmt.Errorf("session: %w", err))
}

// Routes returns the one route table, wrapped in the middleware every
// response goes through. api, when not nil, serves /api/: it keeps its own
// credentials and cross-origin rules, and shares the security headers,
// the request log and the metrics.
func (h *Handler) Routes(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	// Each route notes its pattern for the metrics; the catch-all counts
	// as unrouted.
	route := func(pattern string, serve http.HandlerFunc) { mux.HandleFunc(pattern, metrics.Routed(serve)) }
	route("GET /{$}", h.home)
	route("GET /setup", h.setupForm)
	route("POST /setup", h.setup)
	route("GET /login", h.loginForm)
	route("POST /login", h.login)
	route("GET /login/verify", h.verifyForm)
	route("POST /login/verify", h.verify)
	route("POST /login/verify/passkey/options", h.verifyPasskeyOptions)
	route("POST /login/verify/passkey", h.verifyPasskey)
	route("POST /login/passkey/options", h.passkeyOptions)
	route("POST /login/passkey", h.passkeySignIn)
	route("POST /logout", h.logout)
	route("POST "+ssoStartPath, h.startSSO)
	route("GET "+sso.CallbackPath, h.finishSSO)
	route("GET /links", h.signedIn(h.dashboard))
	route("POST /links", h.signedIn(h.createLink))
	route("GET /links/events", h.events)
	route("GET /links/{id}", h.signedIn(h.linkDetails))
	route("POST /links/{id}/revoke", h.signedIn(h.revoke))
	route("GET /l/{token}", h.linkPage)
	route("POST /l/{token}", h.openLink)
	route("GET /l/{token}/file", h.linkFile)
	route("GET /requests", h.signedIn(h.requests))
	route("POST /requests", h.signedIn(h.createRequest))
	route("GET /requests/{id}", h.signedIn(h.ownRequest))
	route("POST /requests/{id}/revoke", h.signedIn(h.revokeRequest))
	route("GET /r/{token}", h.requestPage)
	route("POST /r/{token}", h.fulfil)
	route("GET /r/{token}/sent", h.sent)
	route("POST /r/{token}/open", h.openRequest)
	route("GET /player", h.player)
	route("GET "+components.DemoCaptionsPath("{lang}"), h.playerCaptions)
	route("GET /settings", h.mayEnrol(h.settings))
	route("POST /settings/totp", h.mayEnrol(h.startTOTP))
	route("POST /settings/totp/confirm", h.mayEnrol(h.confirmTOTP))
	route("POST /settings/totp/disable", h.signedIn(h.disableTOTP))
	route("POST /settings/recovery-codes", h.signedIn(h.renewRecoveryCodes))
	route("POST "+ssoProofPath, h.signedIn(h.startSSOProof))
	route("POST /settings/passkeys/options", h.mayEnrol(h.passkeyRegisterOptions))
	route("POST /settings/passkeys", h.mayEnrol(h.addPasskey))
	route("GET /settings/passkeys/{id}/delete", h.signedIn(h.removePasskeyForm))
	route("POST /settings/passkeys/{id}/delete", h.signedIn(h.deletePasskey))
	route("POST /settings/keys", h.signedIn(h.createKey))
	route("POST /settings/keys/{id}/revoke", h.signedIn(h.revokeKey))
	route("POST /settings/password", h.signedIn(h.changePassword))
	route("POST /settings/sessions/{id}/end", h.signedIn(h.endSession))
	route("POST /settings/sessions/end-others", h.signedIn(h.endOtherSessions))
	route("POST /settings/delete", h.signedIn(h.deleteOwnAccount))
	route("POST /settings/time-zone", h.signedIn(h.setTimeZone))
	route("POST /settings/notices/address", h.signedIn(h.setNoticeAddress))
	route("POST /settings/notices/address/remove", h.signedIn(h.removeNoticeAddress))
	route("GET /settings/notices/confirm/{token}", h.signedIn(h.confirmPage))
	route("POST /settings/notices/confirm/{token}", h.signedIn(h.confirmAddress))
	route("GET /unsubscribe/{token}", h.unsubscribePage)
	route("POST /unsubscribe/{token}", h.unsubscribe)
	route("POST /settings/webhooks", h.signedIn(h.createWebhook))
	route("POST /settings/webhooks/{id}/delete", h.signedIn(h.deleteWebhook))
	route("POST /settings/webhooks/{id}/test", h.signedIn(h.testWebhook))
	route("POST /settings/webhooks/{id}/rotate", h.signedIn(h.rotateWebhook))
	route("GET /accounts", h.adminOnly(h.accounts))
	route("POST /accounts", h.adminOnly(h.addAccount))
	route("POST /accounts/{id}/disable", h.adminOnly(h.disableAccount))
	route("POST /accounts/{id}/enable", h.adminOnly(h.enableAccount))
	route("POST /accounts/{id}/promote", h.adminOnly(h.promoteAccount))
	route("POST /accounts/{id}/demote", h.adminOnly(h.demoteAccount))
	route("POST /accounts/{id}/delete", h.adminOnly(h.deleteAccount))
	route("POST /accounts/{id}/reset-password", h.adminOnly(h.resetPassword))
	route("POST /accounts/reset-two-factor", h.adminOnly(h.resetTwoFactor))
	route("POST /accounts/two-factor", h.adminOnly(h.requireTwoFactor))
	route("POST /language", h.setLanguage)
	route("GET /healthz", h.healthz)
	mux.HandleFunc("/", web.Unrouted(mux, "/", errMethod, h.fail))

	protect := http.NewCrossOriginProtection()
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errCrossOrigin)
	}))
	// Sessions wrap the checks, so that a refusal renders as any page does.
	app := oneViewer(h.sessions.LoadAndSave(h.speak(protect.Handler(mux))))

	// Static files skip sessions and cross-origin checks: they change
	// nothing and are the same for everyone. They answer any host, too,
	// so that the page refusing another host (see ownHost) has its style.
	root := http.NewServeMux()
	root.Handle(assets.Prefix, metrics.Routed(h.refuseBodiesOnReads(assets.Handler(components.MadeFile)).ServeHTTP))
	if api != nil {
		root.Handle("/api/", api) // it answers other hosts itself, in JSON
	}
	root.Handle("/", h.boundHeaders(h.ownHost(h.refuseBodiesOnReads(app))))
	var served http.Handler = root
	if api != nil {
		// A path of the API that root would redirect to its clean form,
		// with a page of HTML, goes to the API as it is: the API answers
		// it in its own words. Pages keep root's redirects.
		served = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if web.UncleanAPIPath(r) {
				api.ServeHTTP(w, r)
				return
			}
			root.ServeHTTP(w, r)
		})
	}
	return h.logRequests(h.securityHeaders(h.boundBodies(served)))
}

// ownHost answers a request addressed to another host than the server's
// own (see core.ServesHost) with 421, before it reaches a session or a
// route, so that a page whose name was pointed at this server cannot claim
// /setup on a new install or read what its visitor sees: its page is in
// the reader's language all the same (see refuseEarly), and leads to the
// server's own address. /healthz answers any host, for probes that call
// the server by its address, and the static files do, for that page.
func (h *Handler) ownHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || h.core.ServesHost(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		// That host may well not be a secure context, where a browser
		// ignores the policy, saying so; the page has nothing to isolate.
		w.Header().Del("Cross-Origin-Opener-Policy")
		h.refuseEarly(w, r, core.ErrOtherHost)
	})
}

// refuseEarly answers r with err's page before r reaches a session: for
// nobody in particular, in the language that r's Accept-Language, its
// ?lang= or its language cookie asks for (see language).
func (h *Handler) refuseEarly(w http.ResponseWriter, r *http.Request, err error) {
	h.speak(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, err)
	})).ServeHTTP(w, withViewer(r, nil))
}

// boundHeaders answers a request whose headers are too large (see
// web.HeadersTooLarge) with 431, a page in the reader's language, before
// it reaches a session: most likely a browser's, whose cookies for the
// site grew. Static files are served all the same, so that the page has
// its style: they read no cookie.
func (h *Handler) boundHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if web.HeadersTooLarge(r) {
			h.refuseEarly(w, r, core.ErrHeadersTooLarge)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.core.Health(ctx); err != nil {
		h.log.Error("health check", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// client is who sent r, as the core records and limits them.
func (h *Handler) client(r *http.Request) core.Client {
	return web.Client(h.core, r)
}
