// Package core is oncelink's rulebook: making, opening, revoking and
// listing links and requests; accounts, their sign-in, second factors and
// API keys; notices; the limits and the rate limits.
// It knows no transport: the web pages, the JSON API and the command line
// are adapters that turn a request into a call here and a result or an
// *Error into their own answer.
package core

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"golang.org/x/crypto/bcrypt"

	"oncelink/live"
	"oncelink/store"
	"oncelink/token"
)

// The store's types are the core's: the adapters read them and never the
// store itself.
type (
	Link    = store.Link
	Account = store.Account
	Status  = store.Status
	Event   = store.Event
	APIKey  = store.APIKey
)

// Link kinds and statuses, as the store keeps them.
const (
	KindMessage = store.KindMessage
	KindURL     = store.KindURL
	KindFile    = store.KindFile

	EventView          = store.EventView
	EventUse           = store.EventUse
	EventRevoke        = store.EventRevoke
	EventWrongPassword = store.EventWrongPassword
	EventGone          = store.EventGone

	Active  = store.Active
	Used    = store.Used
	Expired = store.Expired
	Revoked = store.Revoked
)

// Statuses lists every status, in the order a filter offers them.
var Statuses = store.Statuses

// DefaultMaxUpload is the largest file a link shares when Config.MaxUpload
// is not set.
const DefaultMaxUpload = 25 << 20

// DefaultAccountStorage is what an account's links may keep when
// Config.AccountStorage is not set.
const DefaultAccountStorage = 1 << 30

// Config is the server's settings that the rules follow.
type Config struct {
	// BaseURL is the public address that link URLs start with, such as
	// https://share.example.com.
	BaseURL string
	// MinTTL and MaxTTL bound a link's time to live.
	MinTTL, MaxTTL time.Duration
	// GrantTTL is how long a recipient's browser may reload what it opened.
	GrantTTL time.Duration
	// TrustProxy takes the client's address from X-Forwarded-For: see
	// ClientOf.
	TrustProxy bool
	// MaxUpload is the largest file a link may share, in bytes; zero means
	// DefaultMaxUpload.
	MaxUpload int64
	// MaxE2EUpload is the largest ciphertext an end-to-end file link may
	// share, in bytes; zero means DefaultMaxUpload.
	MaxE2EUpload int64
	// AccountStorage bounds the content an account's links keep, in bytes
	// (see StorageUsage); zero means DefaultAccountStorage.
	AccountStorage int64
	// RateLimits turns the per-client and per-account limits on.
	RateLimits bool
	// SharedRateLimits keeps the limits' buckets in the database, so that
	// instances sharing it share the limits.
	SharedRateLimits bool
	// Rates are the limits; a zero Rate takes its default.
	Rates Rates
	// FormTime is how long a form's body may take to arrive; zero means
	// DefaultFormTime. See UploadTime for a form with a file.
	FormTime time.Duration
	// Streams bound the event streams open at once; see StreamLimits.
	Streams StreamLimits
	// Broker carries link events to open dashboards and event streams; nil
	// means an in-process live.Local, right for a single server.
	Broker live.Broker
	// Mailer sends the mail that confirms a notice address; nil when the
	// server sends no email.
	Mailer Mailer
	// WebhookAllowPrivate lets webhooks go to private, loopback and
	// link-local addresses.
	WebhookAllowPrivate bool
	// Resolver finds the addresses of an endpoint's host; nil means the
	// system's.
	Resolver Resolver
	// NoPasswordSignIn refuses signing in with a password on the web; the
	// operator's commands and API keys still work.
	NoPasswordSignIn bool
	// SSO, when set, lets people sign in with an OpenID provider (see
	// FinishSSO); SSOAllowedDomains, when set, are the only email domains
	// it signs in, and SSONoSignup signs in only accounts already linked.
	SSO               IdentityProvider
	SSOAllowedDomains []string
	SSONoSignup       bool
	// PasswordCost is the bcrypt cost of the password hashes made; zero
	// means bcrypt.DefaultCost. A hash keeps the cost it was made with.
	PasswordCost int
}

// Store is what the rules need of the database.
type Store interface {
	Health(ctx context.Context) error
	CountAccounts(ctx context.Context) (int, error)
	CreateFirstAccount(ctx context.Context, username, passwordHash string) (store.Account, error)
	CreateAccount(ctx context.Context, username, passwordHash string, admin bool) (store.Account, error)
	AccountByName(ctx context.Context, username string) (store.Account, error)
	AccountByID(ctx context.Context, id int64) (store.Account, error)
	Accounts(ctx context.Context) ([]store.Account, error)
	SetDisabled(ctx context.Context, id int64, disabled bool) (a store.Account, changed bool, err error)
	SetPassword(ctx context.Context, id int64, passwordHash, keepSession string) (store.Account, int64, error)
	SetAdmin(ctx context.Context, id int64, admin bool) (a store.Account, changed bool, ended int64, err error)
	SetLanguage(ctx context.Context, id int64, code string) (store.Account, error)
	SetTimeZone(ctx context.Context, id int64, zone string) (store.Account, error)
	DeleteAccount(ctx context.Context, id int64) (store.Account, []store.Link, error)

	AccountByIdentity(ctx context.Context, issuer, subject, email string) (store.Account, error)
	CreateIdentityAccount(ctx context.Context, names []string, id store.Identity) (store.Account, error)
	Identities(ctx context.Context) (map[int64][]store.Identity, error)
	AccountIdentities(ctx context.Context, account int64) ([]store.Identity, error)

	SessionAccount(ctx context.Context, id int64, session string) (store.Account, error)
	ListSession(ctx context.Context, s store.AccountSession) error
	SeeSession(ctx context.Context, s store.AccountSession, every time.Duration) error
	AccountSessions(ctx context.Context, account int64) ([]store.AccountSession, error)
	EndSession(ctx context.Context, account int64, id string) error
	RenameSession(ctx context.Context, account int64, id, renewed string) error
	EndOtherSessions(ctx context.Context, account int64, keep string) (int64, error)

	CreateLink(ctx context.Context, n store.NewLink, chunks [][]byte) (store.Link, error)
	StorageUsed(ctx context.Context, owner int64) (int64, error)
	CreateLinkStream(ctx context.Context, n store.NewLink, fill func(put func([]byte) error) error) (store.Link, error)
	LinkByHash(ctx context.Context, hash []byte) (store.Link, error)
	LinkByIdempotencyKey(ctx context.Context, owner int64, key string) (store.Link, error)
	OwnedLink(ctx context.Context, owner, id int64) (store.Link, error)
	Links(ctx context.Context, owner int64, o store.ListOptions) ([]store.Link, error)
	Expiring(ctx context.Context, owner int64, after time.Time, limit int) ([]store.Link, error)
	Consume(ctx context.Context, id int64, e store.Event) (store.Link, error)
	ConsumeUnprotected(ctx context.Context, hash []byte, e store.Event) (store.Link, error)
	RecordView(ctx context.Context, id int64, e store.Event) error
	RecordWrongPassword(ctx context.Context, id int64, e store.Event) error
	RecordGone(ctx context.Context, id int64, e store.Event) error
	Revoke(ctx context.Context, owner, id int64, grant time.Duration, e store.Event) (store.Link, bool, error)
	Chunk(ctx context.Context, id int64, seq int) ([]byte, error)
	KeepContent(ctx context.Context, id int64, until time.Time) error
	Events(ctx context.Context, owner, id int64) ([]store.Event, error)

	CreateRequest(ctx context.Context, n store.NewRequest) (store.Request, error)
	RequestByHash(ctx context.Context, hash []byte) (store.Request, error)
	RequestByIdempotencyKey(ctx context.Context, owner int64, key string) (store.Request, error)
	OwnedRequest(ctx context.Context, owner, id int64) (store.Request, error)
	RequestOfLink(ctx context.Context, owner, link int64) (store.Request, error)
	Requests(ctx context.Context, owner int64, st store.RequestStatus, before int64, limit int) ([]store.Request, error)
	RevokeRequest(ctx context.Context, owner, id int64, at time.Time) (store.Request, error)
	FulfilRequest(ctx context.Context, id int64, by store.Event, n store.NewLink, fill func(put func([]byte) error) error, linkToken []byte) (store.Request, store.Link, error)

	CreateAPIKey(ctx context.Context, k store.NewAPIKey, max int) (store.APIKey, error)
	APIKeys(ctx context.Context, account int64) ([]store.APIKey, error)
	RevokeAPIKey(ctx context.Context, account, id int64) (store.APIKey, error)
	AccountByAPIKey(ctx context.Context, hash []byte) (store.Account, store.APIKey, error)
	TouchAPIKey(ctx context.Context, id int64, at time.Time) error

	ClaimFormKey(ctx context.Context, account int64, kind, key string) (bool, error)
	FormKeyClaim(ctx context.Context, account int64, key string) (store.FormClaim, error)
	SettleFormKey(ctx context.Context, account int64, kind, key string) error
	ReleaseFormKey(ctx context.Context, account int64, kind, key string) error

	CreateWebhook(ctx context.Context, account int64, url string, events []string, secret []byte, limit int, key string) (store.Webhook, error)
	WebhookByIdempotencyKey(ctx context.Context, account int64, key string) (store.Webhook, error)
	Webhooks(ctx context.Context, account int64) ([]store.Webhook, error)
	OwnedWebhook(ctx context.Context, account, id int64) (store.Webhook, error)
	RotateWebhook(ctx context.Context, account, id int64, secret []byte, overlap time.Duration) (store.Webhook, error)
	DeleteWebhook(ctx context.Context, account, id int64) error
	TestWebhook(ctx context.Context, account, id int64) error
	WebhookDeliveries(ctx context.Context, account, id int64, limit int) ([]store.Delivery, error)
	EmailDeliveries(ctx context.Context, account int64, limit int) ([]store.Delivery, error)
	NoticeAddress(ctx context.Context, account int64) (store.NoticeAddress, error)
	SetPendingAddress(ctx context.Context, account int64, address string, hash []byte, expires time.Time) error
	DropPendingAddress(ctx context.Context, account int64, hash []byte) error
	ConfirmAddress(ctx context.Context, account int64, hash []byte, at time.Time, nonce []byte) (string, error)
	PendingAddress(ctx context.Context, hash []byte, at time.Time) (account int64, address string, err error)
	RemoveAddress(ctx context.Context, account int64, confirmed *store.NoticeAddress) error

	StartTOTP(ctx context.Context, account int64, sealed []byte) error
	TOTPOf(ctx context.Context, account int64) (store.TOTP, error)
	UseTOTPStep(ctx context.Context, account, step int64, confirmed bool) error
	DeleteTOTP(ctx context.Context, account int64, keepOne bool) error
	SetRecoveryCodes(ctx context.Context, account int64, hashes [][]byte) error
	FirstRecoveryCodes(ctx context.Context, account int64, hashes [][]byte) error
	UseRecoveryCode(ctx context.Context, account int64, hash []byte) (left int, err error)
	SecondFactorsOf(ctx context.Context, account int64) (store.SecondFactors, error)
	WithSecondFactor(ctx context.Context) (map[int64]bool, error)
	ResetSecondFactors(ctx context.Context, account int64) (removed bool, ended int64, err error)
	TakeSecondStepTry(ctx context.Context, account int64, wait func(failures int) time.Duration, code store.SecondStepCode) (store.SecondStepTry, error)
	ForgetSecondStepFailures(ctx context.Context, account int64) error
	NoticeSecondStepFailures(ctx context.Context, account int64, threshold int, e store.Event, email bool) (int, error)
	Flag(ctx context.Context, name string) (bool, error)
	SetFlag(ctx context.Context, name string, on bool) error

	AddPasskey(ctx context.Context, p store.Passkey, limit int) (store.Passkey, error)
	Passkeys(ctx context.Context, account int64) ([]store.Passkey, error)
	PasskeyByCredential(ctx context.Context, credentialID []byte) (store.Passkey, error)
	UsedPasskey(ctx context.Context, id int64, credential []byte) error
	PasskeyCloned(ctx context.Context, id int64) (bool, error)
	DeletePasskey(ctx context.Context, account, id int64, keepOne bool) (store.Passkey, error)

	RateStore
}

// Service applies the rules. Make one with New; it is safe for concurrent
// use.
type Service struct {
	cfg     Config
	store   Store
	key     []byte     // the server's secret, which the two-factor secrets are sealed under
	tags    *token.Key // the same secret, tagging tokens and grants
	limits  *limits
	uploads uploads
	streams streams
	live    live.Broker
	log     *slog.Logger
	// Now is the clock every rule reads; tests move it.
	Now func() time.Time
	// Published, when set, is told of every event published, for metrics.
	Published func(live.What)
	// host is BaseURL's host name, as ServesHost compares it, and loopback
	// whether it is a loopback one.
	host     string
	loopback bool
	// webauthn is the passkeys' relying party, or nil when BaseURL's host
	// is an address, which passkeys cannot be for.
	webauthn *webauthn.WebAuthn
	// dummy is compared against when no account has the name given, so a
	// sign-in takes as long whether or not the account exists.
	dummy []byte
}

// New returns a Service over st. key is the server's secret that tags link
// tokens and grants.
func New(cfg Config, st Store, key []byte, log *slog.Logger) *Service {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.MaxE2EUpload <= 0 {
		cfg.MaxE2EUpload = DefaultMaxUpload
	}
	if cfg.AccountStorage <= 0 {
		cfg.AccountStorage = DefaultAccountStorage
	}
	if cfg.FormTime <= 0 {
		cfg.FormTime = DefaultFormTime
	}
	if cfg.Streams.PerAccount <= 0 {
		cfg.Streams.PerAccount = MaxStreams
	}
	if cfg.Streams.PerAddress <= 0 {
		cfg.Streams.PerAddress = MaxStreamsFromAddress
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.DefaultCost
	}
	var shared RateStore
	if cfg.SharedRateLimits {
		shared = st
	}
	broker := cfg.Broker
	if broker == nil {
		broker = &live.Local{}
	}
	host := ""
	if u, err := url.Parse(cfg.BaseURL); err == nil {
		host = hostName(u.Host)
	}
	return &Service{
		cfg: cfg, store: st, key: key, tags: token.NewKey(key), log: log,
		limits:  newLimits(cfg.RateLimits, cfg.Rates, shared),
		streams: streams{limits: cfg.Streams}, live: broker, Now: time.Now,
		host: host, loopback: isLoopback(host), webauthn: webauthnOf(cfg.BaseURL), dummy: dummyHash(cfg.PasswordCost),
	}
}

// ServesHost reports whether a request addressed to host (a Host header: a
// name or an address, with or without a port) is for this server: the host
// of BaseURL, in any case and on any port, or any loopback name when
// BaseURL's host is one, as it is by default. A request for any other name
// is misdirected, or comes from a page whose own name was pointed at this
// server (DNS rebinding), which a browser would let read and post to the
// server as if it were that page's own.
func (s *Service) ServesHost(host string) bool {
	h := hostName(host)
	return h == s.host || (s.loopback && isLoopback(h))
}

// SecureContext reports whether browsers take the pages under BaseURL to
// be in a secure context: served over HTTPS, or from the local machine.
// Only there do they send Sec-Fetch-Site.
func (s *Service) SecureContext() bool {
	u, err := url.Parse(s.cfg.BaseURL)
	return err != nil || u.Scheme == "https" || s.loopback || strings.HasSuffix(s.host, ".localhost")
}

// hostName is the name or address in host, a Host header or a URL's host,
// as ServesHost compares them: without port, brackets or a final dot, in
// lower case.
func hostName(host string) string {
	return strings.TrimSuffix(strings.ToLower((&url.URL{Host: host}).Hostname()), ".")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Config returns the settings s follows.
func (s *Service) Config() Config { return s.cfg }

// Health reports whether the database can do its work: it answers, and
// its writes have not been failing.
func (s *Service) Health(ctx context.Context) error { return s.store.Health(ctx) }

// publishTimeout bounds telling the streams of an event: across instances
// that is a NOTIFY on the database.
const publishTimeout = 5 * time.Second

// Publish tells the owner's open dashboards and event streams about e. The
// write it follows has happened either way, so a failure is logged, not
// returned. Create and Open leave a link's creation and use to their
// adapter, which answers first: a use already spent, or a new link's only
// showing of its URL, must not wait on the streams. A refused open, which
// waited on its own write to the audit trail, tells them before it
// answers.
func (s *Service) Publish(ctx context.Context, e live.Event) {
	if s.Published != nil {
		s.Published(e.What)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := s.live.Publish(ctx, e); err != nil {
		s.log.Warn("publish live event", "what", e.What, "err", err)
	}
}

// LastEvent returns the ID of the owner's last event; see live.Broker.
func (s *Service) LastEvent(owner int64) uint64 { return s.live.Last(owner) }

// LinkURL is the address of the link with token text tok, the one a
// recipient opens.
func (s *Service) LinkURL(tok string) string {
	return strings.TrimSuffix(s.cfg.BaseURL, "/") + "/l/" + tok
}

// event describes what c did now, for the audit trail.
func (s *Service) event(c Client) store.Event {
	return store.Event{At: s.Now(), IP: c.IP, UserAgent: c.UserAgent}
}
