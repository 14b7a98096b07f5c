package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"oncelink/api"
	"oncelink/core"
	"oncelink/handlers"
	"oncelink/i18n"
	"oncelink/live"
	"oncelink/metrics"
	"oncelink/notify"
	"oncelink/sso"
	"oncelink/store"
	"oncelink/token"
	"oncelink/web"
)

// shutdownGrace is how long in-flight requests, and the notices being
// delivered, get to finish on shutdown.
const shutdownGrace = 10 * time.Second

// fewOpenFiles is a limit on open files under which the server warns: each
// connection holds one, and a few thousand clients are not many.
const fewOpenFiles = 4096

func serve(ctx context.Context, cfg config, stderr io.Writer) error {
	start := time.Now()
	log := newLogger(cfg.LogFormat, stderr)
	// What the libraries log through the standard library's logger (the
	// session stores' cleanups, say) goes through slog too, so that
	// --log-format json stays JSON.
	slog.SetDefault(log)
	openFiles(log)
	uploadsLeftBehind(log, start)
	// Both addresses are taken before the database is opened: one that
	// is taken already (--metrics-addr the same as --addr, say) stops the
	// server with nothing opened, named by its flag.
	ln, err := listen("--addr", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close() // on the way out before it is served; else a second close
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = listen("--metrics-addr", cfg.MetricsAddr); err != nil {
			return err
		}
		defer mln.Close() // as ln
	}
	m := metrics.New()
	st, err := store.Open(ctx, cfg.DB, store.Options{SQLiteSync: cfg.SQLiteSync, Log: log, WriteBatch: m.WriteBatch})
	if err != nil {
		return sayDatabase(i18n.From(ctx), dbName(cfg.DB), err)
	}
	defer st.Close()
	m.Pools(st.PoolStats)
	key, err := st.Secret(ctx, "token-key", token.KeyLen)
	if err != nil {
		return err
	}
	sessions := scs.New()
	ss := st.SessionStore(5 * time.Minute)
	defer ss.StopCleanup()
	sessions.Store = ss
	var broker live.Broker // nil: in-process, for one server
	if st.Postgres() {
		// Live events cross instances through LISTEN/NOTIFY; the listener
		// ends with ctx.
		if broker, err = live.NewPostgres(ctx, st.Pool(), log); err != nil {
			return err
		}
	}
	var mailer *notify.Mailer
	if cfg.SMTPURL != "" {
		if mailer, err = notify.NewMailer(cfg.SMTPURL, cfg.MailFrom); err != nil {
			return err
		}
	}
	if cfg.baseFromAddr {
		// Links name the port the server is bound to: with --addr
		// 127.0.0.1:0, the one the system chose, not 0.
		cfg.BaseURL = listenBase(cfg.Addr, ln.Addr())
		if everyAddress(cfg.Addr) {
			// Listening on every address, for others to reach, links name
			// localhost and other hosts are answered 421: said at once.
			log.Warn("listening on every address without --base-url: links start with "+cfg.BaseURL+
				" and requests for any other address are refused (421); give --base-url the address people reach", "base_url", cfg.BaseURL)
		}
	}
	svc := core.New(coreConfig(ctx, cfg, st, broker, mailer, log), st, key, log)
	svc.Published = m.Event
	h := handlers.New(svc, sessions, m, log)
	v1 := api.New(svc, m, log)
	v1.Session = h.SessionAccount

	handler := h.Routes(v1.Handler())
	if !cfg.TrustProxy {
		handler = warnUntrustedProxy(handler, log)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    web.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Open dashboards' event streams never finish by themselves; end them
	// so that Shutdown waits only for ordinary requests.
	srv.RegisterOnShutdown(h.EndStreams)
	srv.RegisterOnShutdown(v1.EndStreams)
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go msrv.Serve(mln)
		defer msrv.Close()
		log.Info("metrics are served", "addr", mln.Addr().String())
	}
	go sweep(ctx, st, cfg, log)
	worker := notify.NewWorker(notify.Options{Store: st, Mailer: mailer, HTTP: notify.NewHTTPClient(cfg.WebhookAllowPrivate),
		LinkObject: api.LinkObject, BaseURL: cfg.BaseURL, Unsubscribe: svc.UnsubscribeToken, Log: log,
		Attempted: m.Notices(st.OutboxDepth), Grace: shutdownGrace})
	// The store closes once the worker has recorded the sends under way.
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		worker.Run(ctx)
	}()
	log.Info("oncelink is listening", "version", version(debug.ReadBuildInfo()), "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "db", dbName(cfg.DB))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	switch err := srv.Shutdown(sctx); {
	case errors.Is(err, context.DeadlineExceeded):
		// A download or an upload still under way is cut off, so that the
		// server stops in bounded time; the log says so, and the worker
		// still records its sends before the store closes.
		log.Warn("requests still under way after the grace period were cut off", "grace", shutdownGrace.String())
		srv.Close()
	case err != nil:
		log.Warn("closing the listener", "err", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-workerDone
	log.Info("stopped")
	return nil
}

// warnUntrustedProxy says once, at the first request forwarded by a proxy
// (X-Forwarded-For from a loopback or private address) while --trust-proxy
// is off, that every client behind that proxy counts as the proxy: one
// budget of every per-client rate limit for them all, and the proxy's
// address in the audit trail. A client on the internet whose own proxy
// adds the header is no sign of it.
func warnUntrustedProxy(next http.Handler, log *slog.Logger) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-For") != "" {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsPrivate()) {
				once.Do(func() {
					log.Warn("requests come through a proxy (X-Forwarded-For) but --trust-proxy is off: "+
						"every client behind it counts as the proxy's address, in the rate limits and the audit trail; "+
						"start oncelink with --trust-proxy when clients reach it only through the proxy", "proxy", ip.String())
				})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// openFiles raises the limit on open files as far as it goes, and says
// so when it stays low.
func openFiles(log *slog.Logger) {
	switch soft, hard, err := raiseOpenFiles(); {
	case err != nil:
		log.Warn("could not raise the limit on open files", "limit", soft, "hard_limit", hard, "err", err)
	case soft > 0 && soft < fewOpenFiles:
		log.Warn("few open files allowed: each connection holds one; raise the hard limit (ulimit -Hn, systemd's LimitNOFILE)", "limit", soft)
	case soft > 0:
		log.Info("open files allowed", "limit", soft)
	}
}

// uploadsLeftBehind deletes the spools of uploads that were under way,
// before start, when a server was killed.
func uploadsLeftBehind(log *slog.Logger, start time.Time) {
	switch n, err := core.SweepUploads(os.TempDir(), start); {
	case err != nil:
		log.Warn("delete uploads left behind", "dir", os.TempDir(), "deleted", n, "err", err)
	case n > 0:
		log.Info("deleted uploads left behind", "dir", os.TempDir(), "deleted", n)
	}
}

// coreConfig is the core's configuration from the server's, over st, with
// broker (nil: in-process) and mailer (nil: no mail). With an OpenID
// provider, its discovery starts at once and lasts as long as ctx.
func coreConfig(ctx context.Context, cfg config, st *store.Store, broker live.Broker, mailer *notify.Mailer, log *slog.Logger) core.Config {
	c := core.Config{
		BaseURL: cfg.BaseURL, MinTTL: cfg.MinTTL, MaxTTL: cfg.MaxTTL, GrantTTL: cfg.GrantTTL,
		TrustProxy: cfg.TrustProxy, RateLimits: cfg.RateLimits, Rates: cfg.Rates, MaxUpload: cfg.MaxUpload, MaxE2EUpload: cfg.MaxE2EUpload,
		AccountStorage:   cfg.AccountStorage,
		SharedRateLimits: st.Postgres(), Broker: broker, WebhookAllowPrivate: cfg.WebhookAllowPrivate,
		NoPasswordSignIn: !cfg.PasswordSignIn,
	}
	if mailer != nil {
		// A nil *notify.Mailer in the interface is not nil: mail would
		// seem on (see core.Service.EmailOn).
		c.Mailer = mailer
	}
	if cfg.OIDC.Issuer != "" {
		p := sso.New(sso.Config{Issuer: cfg.OIDC.Issuer, ClientID: cfg.OIDC.ClientID, ClientSecret: cfg.OIDC.ClientSecret,
			RedirectURL: strings.TrimSuffix(cfg.BaseURL, "/") + sso.CallbackPath}, log)
		// Found now if it can be; else at the first sign-in, so that
		// oncelink serves everything else while the provider is away.
		go p.Discover(ctx)
		c.SSO, c.SSOAllowedDomains, c.SSONoSignup = p, cfg.OIDC.domains(), cfg.OIDC.NoSignup
	}
	return c
}

// listen listens on addr, the value of flag, which its error names.
func listen(flag, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return ln, nil
}

// sweep deletes dead links' content and purges old links until ctx ends.
func sweep(ctx context.Context, st *store.Store, cfg config, log *slog.Logger) {
	t := time.NewTicker(cfg.SweepInterval)
	defer t.Stop()
	for {
		swept, err := st.Sweep(ctx, cfg.GrantTTL, cfg.Retention)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("sweep", "err", err)
		case swept.Contents > 0 || swept.Links > 0:
			log.Info("swept", "contents_deleted", swept.Contents, "links_purged", swept.Links)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// dbName is the database as it may be logged: a PostgreSQL URL or
// key=value string loses its passwords, in the user information and in
// password= or sslpassword= parameters.
func dbName(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		for k := range q {
			if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
				q[k] = []string{"xxxxx"}
			}
		}
		u.RawQuery = q.Encode()
		return u.Redacted()
	}
	// A URL that does not parse (a stray % in its password) loses what
	// stands between its user's name and the host all the same.
	dsn = urlPassword.ReplaceAllString(dsn, "${1}xxxxx@")
	return passwordPairs.ReplaceAllString(dsn, "${1}xxxxx")
}

// urlPassword finds the password of a postgres:// URL's user information:
// up to the last @, since a password that makes the URL unreadable may
// hold a / or an @ of its own.
var urlPassword = regexp.MustCompile(`(?i)^(\s*postgres(?:ql)?://[^:/@]*:).*@`)

// passwordPairs finds the passwords of a key=value DSN, quoted or not.
var passwordPairs = regexp.MustCompile(`(?i)(\b(?:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'|\S*)`)
