// Package sso signs people in with an OpenID Connect provider: the
// authorization code flow with PKCE, the provider found by discovery, its
// ID tokens verified against its keys. What a verified token allows is the
// core's to decide (core.FinishSSO); this package only speaks the
// protocol.
package sso

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"oncelink/core"
)

// CallbackPath is where the provider sends a browser back: the redirect
// URL to register with it is the base URL followed by this path.
const CallbackPath = "/auth/oidc/callback"

// Config is how oncelink is known to the provider.
type Config struct {
	// Issuer is the provider's issuer URL, from which its endpoints and
	// keys are discovered.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the address of CallbackPath on this server.
	RedirectURL string
	// RetryEvery is how long after a failed discovery the next sign-in
	// tries again; zero means DefaultRetryEvery.
	RetryEvery time.Duration
	// Now is the clock ID tokens' times are checked against; nil means
	// time.Now.
	Now func() time.Time
}

// DefaultRetryEvery is Config.RetryEvery's default.
const DefaultRetryEvery = 5 * time.Second

// requestTimeout bounds each request to the provider.
const requestTimeout = 10 * time.Second

// Provider is an OpenID provider, found the first time it is needed and
// then kept: oncelink starts, and serves everything else, while the
// provider cannot be reached. Make one with New; it is safe for concurrent
// use and implements core.IdentityProvider.
type Provider struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger

	mu       sync.Mutex
	found    *oidc.Provider
	failedAt time.Time
}

// New returns the provider cfg describes, not yet discovered.
func New(cfg Config, log *slog.Logger) *Provider {
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = DefaultRetryEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg, client: &http.Client{Timeout: requestTimeout}, log: log}
}

// Discover finds the provider's endpoints and keys now, rather than at the
// first sign-in, and reports whether it could.
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.provider(ctx)
	return err
}

// provider returns the discovered provider, discovering it if it was not
// yet, but not more often than every RetryEvery while that fails: then it
// is core.ErrSSOUnavailable, and the cause is logged.
func (p *Provider) provider(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.found != nil {
		return p.found, nil
	}
	if !p.failedAt.IsZero() && time.Since(p.failedAt) < p.cfg.RetryEvery {
		return nil, core.ErrSSOUnavailable
	}
	// The provider keeps this context's client for fetching its keys
	// later: it must outlive the request that found it.
	ctx, cancel := context.WithTimeout(oidc.ClientContext(context.WithoutCancel(ctx), p.client), requestTimeout)
	defer cancel()
	found, err := oidc.NewProvider(ctx, p.cfg.Issuer)
	if err != nil {
		p.failedAt = time.Now()
		p.log.Warn("single sign-on: the identity provider cannot be found; sign-ins try again", "issuer", p.cfg.Issuer, "err", err)
		return nil, core.ErrSSOUnavailable
	}
	p.log.Info("single sign-on: identity provider found", "issuer", p.cfg.Issuer)
	p.found, p.failedAt = found, time.Time{}
	return found, nil
}

// FormOrigins returns the issuer's origin and, once the provider is found,
// its authorization endpoint's, where Begin sends browsers.
func (p *Provider) FormOrigins() []string {
	origins := []string{origin(p.cfg.Issuer)}
	p.mu.Lock()
	found := p.found
	p.mu.Unlock()
	if found != nil {
		if o := origin(found.Endpoint().AuthURL); o != origins[0] {
			origins = append(origins, o)
		}
	}
	return slices.DeleteFunc(origins, func(o string) bool { return o == "" })
}

// origin is rawURL's scheme, host and port, as a Content-Security-Policy
// source; "" when it is not an http or https URL with a plain host name or
// address.
func origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		strings.ContainsFunc(u.Host, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r))
		}) {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (p *Provider) oauth(found *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.cfg.RedirectURL,
		Endpoint: found.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// Begin returns the provider's sign-in address for state and nonce, with
// a fresh PKCE verifier whose S256 challenge it carries. With fresh, the
// address asks the provider to have the person sign in again, whatever
// session it holds for them: prompt=login, and max_age=0, which also has
// it say when they did (auth_time).
func (p *Provider) Begin(ctx context.Context, state, nonce string, fresh bool) (string, string, error) {
	found, err := p.provider(ctx)
	if err != nil {
		return "", "", err
	}
	verifier := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if fresh {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	return p.oauth(found).AuthCodeURL(state, opts...), verifier, nil
}

// Identify exchanges code with its verifier and verifies the ID token that
// comes back: its signature under the provider's keys, its issuer, its
// audience (this client) and its expiry. The nonce is returned for the
// core to compare. Why a token was refused is logged, never the token, the
// code or what the provider said back, which may quote them.
func (p *Provider) Identify(ctx context.Context, code, verifier string) (core.Identity, error) {
	found, err := p.provider(ctx)
	if err != nil {
		return core.Identity{}, err
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), requestTimeout)
	defer cancel()
	tok, err := p.oauth(found).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var refused *oauth2.RetrieveError
		if errors.As(err, &refused) {
			status := 0
			if refused.Response != nil {
				status = refused.Response.StatusCode
			}
			p.log.Warn("single sign-on: the identity provider refused the code", "status", status, "error", refused.ErrorCode)
			return core.Identity{}, core.ErrSSORefused
		}
		p.log.Warn("single sign-on: the identity provider cannot be reached", "issuer", p.cfg.Issuer, "err", err)
		return core.Identity{}, core.ErrSSOUnavailable
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		p.log.Warn("single sign-on: the identity provider sent no ID token")
		return core.Identity{}, core.ErrSSORefused
	}
	idt, err := found.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		p.log.Warn("single sign-on: ID token refused", "err", err)
		return core.Identity{}, core.ErrSSORefused
	}
	var claims struct {
		Email             string   `json:"email"`
		EmailVerified     flexBool `json:"email_verified"`
		PreferredUsername string   `json:"preferred_username"`
		Name              string   `json:"name"`
		AuthTime          unixTime `json:"auth_time"`
	}
	if err := idt.Claims(&claims); err != nil {
		p.log.Warn("single sign-on: ID token refused", "err", err)
		return core.Identity{}, core.ErrSSORefused
	}
	if claims.AuthTime.unread {
		// Read as not said, which proves no fresh sign-in: the safe
		// side, but signing in again then never confirms anything, and
		// the operator is told why.
		p.log.Warn("single sign-on: the ID token's auth_time is not a number of seconds since 1970; read as not said", "issuer", idt.Issuer)
	}
	return core.Identity{
		Issuer: idt.Issuer, Subject: idt.Subject, Nonce: idt.Nonce,
		Email: claims.Email, EmailVerified: bool(claims.EmailVerified),
		PreferredUsername: claims.PreferredUsername, Name: claims.Name,
		AuthTime: claims.AuthTime.Time,
	}, nil
}

// unixTime reads a JSON number of seconds since 1970, as ID tokens write
// times; anything else, such as a string some provider may send, is no
// time (zero), not a refused token, and is marked unread, for Identify
// to warn of. null is no time either, as a claim left out is.
type unixTime struct {
	time.Time
	unread bool
}

func (t *unixTime) UnmarshalJSON(data []byte) error {
	var secs float64
	switch {
	case string(data) == "null":
		*t = unixTime{}
	case json.Unmarshal(data, &secs) != nil || secs <= 0:
		*t = unixTime{unread: true}
	default:
		*t = unixTime{Time: time.Unix(int64(secs), 0)}
	}
	return nil
}

// flexBool reads a JSON true or false, or the strings "true" and "false",
// which some providers send for email_verified.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case `true`, `"true"`:
		*b = true
	case `false`, `"false"`, `null`:
		*b = false
	default:
		return errors.New("email_verified is not a boolean")
	}
	return nil
}
