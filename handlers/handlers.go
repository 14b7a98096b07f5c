// Package handlers is oncelink's HTTP layer: one route table, one Handler,
// sessions, htmx detection and the mapping of errors to responses.
package handlers

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"oncelink/assets"
	"oncelink/live"
	"oncelink/store"
)

// Config is what the handlers need to know of the server's settings.
type Config struct {
	// BaseURL is the public address that link URLs start with, such as
	// https://share.example.com.
	BaseURL *url.URL
	// MinTTL and MaxTTL bound a link's time to live.
	MinTTL, MaxTTL time.Duration
	// GrantTTL is how long a recipient's browser may reload what it opened.
	GrantTTL time.Duration
	// TrustProxy takes the client's address from X-Forwarded-For.
	TrustProxy bool
	// RateLimits turns the per-client and per-account limits on.
	RateLimits bool
	// SharedRateLimits keeps the limits' buckets in the database, so that
	// instances sharing it share the limits.
	SharedRateLimits bool
	// MaxUpload is the largest file a link may share, in bytes; zero means
	// DefaultMaxUpload.
	MaxUpload int64
	// Broker carries link events to open dashboards; nil means an
	// in-process live.Local, right for a single server.
	Broker live.Broker
	// Rates are the limits; a zero Rate takes its default.
	Rates Rates
}

// Store is what the handlers need of the database.
type Store interface {
	Ping(ctx context.Context) error
	CountAccounts(ctx context.Context) (int, error)
	CreateFirstAccount(ctx context.Context, username, passwordHash string) (store.Account, error)
	AccountByName(ctx context.Context, username string) (store.Account, error)
	AccountByID(ctx context.Context, id int64) (store.Account, error)
	CreateLink(ctx context.Context, n store.NewLink, chunks [][]byte) (store.Link, error)
	CreateLinkStream(ctx context.Context, n store.NewLink, fill func(put func([]byte) error) error) (store.Link, error)
	LinkByHash(ctx context.Context, hash []byte) (store.Link, error)
	OwnedLink(ctx context.Context, owner, id int64) (store.Link, error)
	Links(ctx context.Context, owner int64, o store.ListOptions) ([]store.Link, error)
	Consume(ctx context.Context, id int64, e store.Event) (store.Link, error)
	ConsumeUnprotected(ctx context.Context, hash []byte, e store.Event) (store.Link, error)
	RecordView(ctx context.Context, id int64, e store.Event) error
	RecordWrongPassword(ctx context.Context, id int64, e store.Event) error
	Revoke(ctx context.Context, owner, id int64, e store.Event) (store.Link, error)
	Chunk(ctx context.Context, id int64, seq int) ([]byte, error)
	Events(ctx context.Context, owner, id int64) ([]store.Event, error)
	RateStore
	Expiring(ctx context.Context, owner int64, after time.Time, limit int) ([]store.Link, error)
	Accounts(ctx context.Context) ([]store.Account, error)
	CreateAccount(ctx context.Context, username, passwordHash string, admin bool) (store.Account, error)
	SetDisabled(ctx context.Context, id int64, disabled bool) (store.Account, error)
}

// Handler serves oncelink. Make one with New.
type Handler struct {
	cfg      Config
	store    Store
	sessions *scs.SessionManager
	// key tags link tokens and grant cookies.
	key    []byte
	log    *slog.Logger
	limits *limits
	now    func() time.Time

	live live.Broker
	// streamsEnd is closed by EndStreams.
	streamsEnd chan struct{}
	endOnce    sync.Once
	// heartbeat is how often an event stream is kept alive and its
	// session checked.
	heartbeat time.Duration
	rows      sharedRows
	metrics   *metrics
	// instance tells this process's event IDs, which the broker numbers
	// per process, from those of another instance or an earlier run.
	instance string
}

// New returns a Handler. key is the server's secret for tokens and grants;
// sessions must be backed by the same database as st.
func New(cfg Config, st Store, sessions *scs.SessionManager, key []byte, log *slog.Logger) *Handler {
	// No idle timeout: scs would write the session back on every request
	// to move it. A sign-in lasts a week; signing out ends it at once.
	sessions.Lifetime = 7 * 24 * time.Hour
	sessions.Cookie.Name = "oncelink_session"
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	sessions.Cookie.Secure = cfg.BaseURL.Scheme == "https"
	sessions.Codec = sessionCodec{}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	var shared RateStore
	if cfg.SharedRateLimits {
		shared = st
	}
	broker := cfg.Broker
	if broker == nil {
		broker = &live.Local{}
	}
	// The database keeps a session's SHA-256, so a copy of it signs nobody in.
	sessions.HashTokenInStore = true
	return &Handler{
		cfg: cfg, store: st, sessions: sessions, key: key, log: log,
		limits: newLimits(cfg.RateLimits, cfg.Rates, shared), now: time.Now,
		live: broker, streamsEnd: make(chan struct{}), heartbeat: 25 * time.Second,
		metrics: newMetrics(), instance: rand.Text()[:8],
	}
}

// Routes returns the one route table, wrapped in the middleware every
// response goes through.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /setup", h.setupForm)
	mux.HandleFunc("POST /setup", h.setup)
	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /links", h.signedIn(h.dashboard))
	mux.HandleFunc("POST /links", h.signedIn(h.createLink))
	mux.HandleFunc("GET /links/events", h.events)
	mux.HandleFunc("GET /links/{id}", h.signedIn(h.linkDetails))
	mux.HandleFunc("POST /links/{id}/revoke", h.signedIn(h.revoke))
	mux.HandleFunc("GET /l/{token}", h.linkPage)
	mux.HandleFunc("POST /l/{token}", h.openLink)
	mux.HandleFunc("GET /l/{token}/file", h.linkFile)
	mux.HandleFunc("GET /player", h.player)
	mux.HandleFunc("GET /accounts", h.adminOnly(h.accounts))
	mux.HandleFunc("POST /accounts", h.adminOnly(h.addAccount))
	mux.HandleFunc("POST /accounts/{id}/disable", h.adminOnly(h.disableAccount))
	mux.HandleFunc("POST /accounts/{id}/enable", h.adminOnly(h.enableAccount))
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("/", h.unrouted(mux))

	protect := http.NewCrossOriginProtection()
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errCrossOrigin)
	}))
	// Sessions wrap the checks, so that a refusal renders as any page does.
	app := h.sessions.LoadAndSave(oneViewer(protect.Handler(mux)))

	// Static files skip sessions and cross-origin checks: they change
	// nothing and are the same for everyone.
	root := http.NewServeMux()
	root.Handle(assets.Prefix, assets.Handler())
	root.Handle("/", app)
	return h.logRequests(securityHeaders(h.refuseBodiesOnReads(root)))
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		h.log.Error("health check", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// unrouted answers what no route of mux takes: 405, naming the methods
// the path does take, or 404 when it takes none.
func (h *Handler) unrouted(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			probe := &http.Request{Method: m, Host: r.Host, URL: r.URL}
			if _, pattern := mux.Handler(probe); pattern != "/" {
				allow = append(allow, m)
				if m == http.MethodGet {
					allow = append(allow, http.MethodHead)
				}
			}
		}
		if len(allow) == 0 {
			h.fail(w, r, errNotFound)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.fail(w, r, errMethod)
	}
}
