package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"oncelink/i18n"
	"oncelink/store"
)

// Webhook is an account's endpoint, and Delivery one notice to one target.
type (
	Webhook       = store.Webhook
	Delivery      = store.Delivery
	NoticeAddress = store.NoticeAddress
)

// NoticeTypes lists the events a webhook may subscribe to.
var NoticeTypes = store.NoticeTypes

// A delivery's statuses, and the last error of a webhook delivery that
// failed because its endpoint is disabled, and of one that ended unsent
// because its account was disabled.
const (
	DeliveryPending   = store.DeliveryPending
	DeliveryDelivered = store.DeliveryDelivered
	DeliveryFailed    = store.DeliveryFailed
	EndpointDisabled  = store.EndpointDisabled
	AccountDisabled   = store.AccountDisabled
)

// What a delivery's last error says when its endpoint or mail server could
// not be reached: a short description that stays the same from one
// version to the next and names nothing of the server's own network (its
// resolver, its addresses, nor the address a name resolved to).
const (
	FailedNoHost      = "host not found"
	FailedLookup      = "host name could not be resolved"
	FailedRefused     = "connection refused"
	FailedTimeout     = "timed out"
	FailedPrivate     = "refused to connect to a private, loopback or link-local address"
	FailedTLS         = "TLS handshake or certificate refused"
	FailedBroken      = "connection broke off"
	FailedUnreachable = "network unreachable"
	FailedHeaders     = "answer headers too large"
	FailedConnect     = "could not connect"
	FailedStopped     = "the server stopped before the attempt ended"
	FailedInternal    = "internal error"
)

// What a notice mail's delivery says when it could not be sent at all:
// the server sends no email, or the account has no confirmed address.
const (
	FailedEmailOff  = "email is off on this server"
	FailedNoAddress = "no confirmed notice address"
)

// Limits of notices.
const (
	MaxWebhooks      = 10
	MaxWebhookURLLen = 2000
	MaxAddressLen    = 254
	// ConfirmTTL is how long the link that confirms a notice address works.
	ConfirmTTL = 24 * time.Hour
	// WebhookSecretPrefix starts a webhook's signing secret, as Standard
	// Webhooks writes it.
	WebhookSecretPrefix = "whsec_"
	// DeliveriesShown is how many recent deliveries are listed.
	DeliveriesShown = 20
	// SecretOverlap is how long a rotated webhook's previous secret goes
	// on signing beside the new one.
	SecretOverlap = 24 * time.Hour
)

// Mailer sends the mail that confirms a notice address. It is nil when the
// server has no way to send email. A mail server's lasting refusal of the
// address is a *MailRefused.
type Mailer interface {
	SendConfirmation(ctx context.Context, to, confirmURL string) error
}

// MailRefused is a Mailer's error when the mail server refused the address
// for good (a 5xx reply to it, such as 550 no such user): a mail to the
// same address would be refused again. Reply is what the server answered,
// such as "550 5.1.1 no such user".
type MailRefused struct {
	Reply string
	Err   error
}

func (e *MailRefused) Error() string { return e.Err.Error() }
func (e *MailRefused) Unwrap() error { return e.Err }

// ErrMailSetup marks a Mailer's error when the mail server does not take
// the mail for a reason of its own settings or of --smtp-url's, not of the
// address: it refused oncelink's credentials, or it offers no TLS to send
// them over. No mail goes out until the operator puts it right.
var ErrMailSetup = errors.New("the mail server does not take oncelink's mail settings")

// maxReplyLen is how much of a mail server's reply a refusal repeats.
const maxReplyLen = 200

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// EmailOn reports whether the server sends email notices.
func (s *Service) EmailOn() bool { return s.cfg.Mailer != nil }

// NewWebhook is a webhook just made, with the only showing of its secret.
type NewWebhook struct {
	Webhook Webhook
	Secret  string
	// Repeated is set when the endpoint was made before, by a create with
	// the same IdempotencyKey, or its secret by a rotation with the same
	// key: nothing was made now, and Secret is empty, as only the first
	// answer can give it.
	Repeated bool
}

// WebhookInput is a new webhook endpoint as its owner describes it.
type WebhookInput struct {
	URL    string
	Events []string
	// IdempotencyKey, when set, makes the create idempotent, as a link's
	// (see LinkInput.IdempotencyKey): a second endpoint at the same
	// address is refused anyway, but the repeat answers with the first.
	IdempotencyKey string
}

// errWebhookExists refuses an endpoint the account has already: it would
// get every message twice.
var errWebhookExists = Refusal(Conflict, "webhook_exists", "url", "already_exists")

// CreateWebhook adds an endpoint at in.URL to owner's account for in.Events.
// The URL must be http or https and, unless the server allows private
// addresses, its host must resolve only to public addresses; events must be
// known and not empty. All that needs no lookup is checked before the host
// is looked up, so that a mistake in it is told as what it is. An account
// has at most MaxWebhooks endpoints, each at its own address as RFC 3986
// compares addresses (see webhookURL).
func (s *Service) CreateWebhook(ctx context.Context, owner int64, in WebhookInput) (NewWebhook, error) {
	return once(in.IdempotencyKey, func() (NewWebhook, error) {
		w, err := s.store.WebhookByIdempotencyKey(ctx, owner, in.IdempotencyKey)
		return NewWebhook{Webhook: w, Repeated: true}, err
	}, func() (NewWebhook, error) {
		return s.createWebhook(ctx, owner, in)
	})
}

// createWebhook adds the endpoint that in describes, as CreateWebhook
// does, but for its idempotency key.
func (s *Service) createWebhook(ctx context.Context, owner int64, in WebhookInput) (NewWebhook, error) {
	u, err := webhookURL(in.URL)
	if err != nil {
		return NewWebhook{}, err
	}
	events, err := checkEvents(in.Events)
	if err != nil {
		return NewWebhook{}, err
	}
	if !s.cfg.WebhookAllowPrivate {
		if err := checkWebhookHost(ctx, s.resolver(), u.Hostname()); err != nil {
			return NewWebhook{}, err
		}
	}
	secret := make([]byte, 24)
	rand.Read(secret)
	w, err := s.store.CreateWebhook(ctx, owner, u.String(), events, secret, MaxWebhooks, in.IdempotencyKey)
	switch {
	case errors.Is(err, store.ErrKeyTaken):
		return NewWebhook{}, err // see once
	case errors.Is(err, store.ErrLimit):
		return NewWebhook{}, Refusal(Conflict, "too_many_webhooks", "url", "too_many_endpoints", "Count", MaxWebhooks)
	case errors.Is(err, store.ErrConflict):
		return NewWebhook{}, errWebhookExists
	}
	if err != nil {
		return NewWebhook{}, fromStore(err)
	}
	return NewWebhook{Webhook: w, Secret: WebhookSecret(w)}, nil
}

// RotateWebhook gives owner's endpoint id a new signing secret, shown
// this once. For SecretOverlap every message is signed with the new secret
// and the one it replaces, so that the receiver can switch to the new one
// without refusing a message; rotating again within that time replaces
// the previous secret with the current one. Another's endpoint is
// ErrNotFound.
//
// With key, an idempotency key (a program's Idempotency-Key, the key of
// the Rotate secret button's form), it rotates once (see FormOnce): the
// first rotation of the endpoint with key makes the secret, and any other
// of the same endpoint with it makes none and is Repeated, with the
// endpoint's ID alone, as only the first answer can give the secret. A
// program that lost that answer rotates again with a new key.
func (s *Service) RotateWebhook(ctx context.Context, owner, id int64, key string) (NewWebhook, error) {
	if key != "" {
		if err := checkIdempotencyKey(key); err != nil {
			return NewWebhook{}, err
		}
		key = rotationKey(id, key)
	}
	var c NewWebhook
	repeated, err := s.FormOnce(ctx, owner, RotateForm, key, func() (err error) {
		c, err = s.rotateWebhook(ctx, owner, id)
		return err
	})
	if repeated {
		return NewWebhook{Webhook: Webhook{ID: id}, Repeated: true}, nil
	}
	return c, err
}

// rotationKey is the key that a rotation of endpoint id with key claims:
// its own to the endpoint, so that the same key rotating another endpoint
// is another rotation, as the same key on another route is another create.
// It is a valid key itself, of 50 characters.
func rotationKey(id int64, key string) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(id, 10) + " " + key))
	return "rotate-" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// rotateWebhook gives owner's endpoint id a new signing secret, as
// RotateWebhook does, but for its idempotency key.
func (s *Service) rotateWebhook(ctx context.Context, owner, id int64) (NewWebhook, error) {
	secret := make([]byte, 24)
	rand.Read(secret)
	w, err := s.store.RotateWebhook(ctx, owner, id, secret, SecretOverlap)
	if err != nil {
		return NewWebhook{}, fromStore(err)
	}
	return NewWebhook{Webhook: w, Secret: WebhookSecret(w)}, nil
}

// WebhookSecret is w's signing secret as its owner is given it.
func WebhookSecret(w Webhook) string {
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(w.Secret)
}

// checkEvents checks the events an endpoint asks for, as they were sent:
// an event written with spaces around it is no event, and one given twice
// is refused, not dropped without a word.
func checkEvents(events []string) ([]string, error) {
	var out []string
	for _, e := range events {
		if !slices.Contains(NoticeTypes, e) {
			return nil, invalid("unknown_event", "events", "Event", Quoted(clipText(e, 40)), "Events", strings.Join(NoticeTypes, ", "))
		}
		if slices.Contains(out, e) {
			return nil, invalid("duplicate_event", "events", "Event", Quoted(e))
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, invalid("events_missing", "events")
	}
	return out, nil
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// webhookURL checks rawURL as an endpoint's address, without looking its
// host up, and returns it as it is kept: without its fragment, and in the
// normal form of RFC 3986 (section 6.2.3), so that one endpoint written
// two ways is one address: the scheme and the host in lower case, a
// default port (80 for http, 443 for https) or an empty one left out, and
// an empty path written /. The rest of the path is kept as written: a
// server may tell its case apart.
func webhookURL(rawURL string) (*url.URL, error) {
	rawURL = strings.TrimSpace(rawURL)
	// Characters, as the form's maxlength counts them: an address this
	// long is refused before it is read at all. The limit itself holds
	// for the address as it is kept, below.
	if utf8.RuneCountInString(rawURL) > MaxWebhookURLLen {
		return nil, invalid("webhook_url_too_long", "url", "Count", MaxWebhookURLLen)
	}
	// An address that is no UTF-8 text is none a receiver could have, and
	// no database could keep it as the text it is stored as.
	u, err := url.Parse(rawURL)
	if err != nil || !utf8.ValidString(rawURL) || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return nil, invalidAs("webhook_url_invalid", "scheme", "url")
	}
	if u.User != nil {
		return nil, invalidAs("webhook_url_invalid", "user", "url")
	}
	if !validPort(u) {
		return nil, invalidAs("webhook_url_invalid", "port", "url")
	}
	if host := u.Hostname(); !isASCII(host) {
		// Looked up, kept and compared in its IDNA form ("xn--"), as a
		// browser writes it: both spellings of a name are one address,
		// which url.URL would write percent-encoded.
		ascii, err := hostIDNA.ToASCII(host)
		if err != nil {
			return nil, invalid("webhook_host_unknown", "url", "Host", Quoted(clipText(host, 80)))
		}
		u.Host = strings.Replace(u.Host, host, ascii, 1)
	}
	u.Fragment, u.RawFragment = "", ""
	u.Host = strings.ToLower(u.Host) // url.Parse lowers the scheme
	if port := u.Port(); port == "" || port == defaultPorts[u.Scheme] {
		u.Host = strings.TrimSuffix(u.Host, ":"+port)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	// As it is kept, with what it holds beyond ASCII written out as
	// percent-escapes ("é" as "%C3%A9"), which is what the endpoint is
	// sent and what each message's request carries.
	if len(u.String()) > MaxWebhookURLLen {
		return nil, invalid("webhook_url_too_long", "url", "Count", MaxWebhookURLLen)
	}
	return u, nil
}

var defaultPorts = map[string]string{"http": "80", "https": "443"}

func (s *Service) resolver() Resolver {
	if s.cfg.Resolver != nil {
		return s.cfg.Resolver
	}
	return net.DefaultResolver
}

// ErrPrivateAddress refuses an endpoint on a private, loopback or
// link-local address.
var ErrPrivateAddress = Refusal(Invalid, "webhook_private_address", "url", "address_not_allowed")

// checkWebhookHost refuses host if it is, or resolves to, an address that
// is not public (see PublicAddress).
func checkWebhookHost(ctx context.Context, r Resolver, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !PublicAddress(ip) {
			return ErrPrivateAddress
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return invalid("webhook_host_unknown", "url", "Host", Quoted(clipText(host, 80)))
	}
	for _, ip := range ips {
		if !PublicAddress(ip) {
			return ErrPrivateAddress
		}
	}
	return nil
}

// nonPublic are ranges that PublicAddress refuses beyond what netip tells:
// shared address space (carrier-grade NAT), IETF protocol assignments
// (2001::/23 in IPv6, with Teredo, benchmarking and ORCHID), benchmarking,
// the documentation ranges, 6to4 with its relay anycast, segment routing's
// SIDs, the deprecated site-local fec0::/10, which a network may still
// route inside, the reserved 240.0.0.0/4 with the broadcast address, and
// IPv4 written in the IPv6 forms that are routed nowhere: IPv4-compatible
// (::127.0.0.1, deprecated) and IPv4-translated (::ffff:0:127.0.0.1),
// which a host may still take for the IPv4 address.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("3fff::/20"),
	netip.MustParsePrefix("5f00::/16"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("::ffff:0:0:0/96"),
}

// PublicAddress reports whether ip is an address on the public internet:
// not private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local
// (169.254/16, where cloud metadata services answer, and fe80::/10),
// unspecified, multicast or otherwise reserved. An IPv4 address written in
// IPv6 (::ffff:10.0.0.1, or 64:ff9b::10.0.0.1 through NAT64) is judged as
// the IPv4 address it is.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	if nat64.Contains(ip) {
		// A NAT64 gateway relays it to the IPv4 address in its last 32
		// bits, which is what it reaches.
		b := ip.As16()
		return PublicAddress(netip.AddrFrom4([4]byte(b[12:])))
	}
	return true
}

// nat64 is the well-known prefix of NAT64 (RFC 6052).
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Webhooks lists owner's endpoints.
func (s *Service) Webhooks(ctx context.Context, owner int64) ([]Webhook, error) {
	w, err := s.store.Webhooks(ctx, owner)
	return w, fromStore(err)
}

// Webhook returns owner's endpoint id; another's is ErrNotFound.
func (s *Service) Webhook(ctx context.Context, owner, id int64) (Webhook, error) {
	w, err := s.store.OwnedWebhook(ctx, owner, id)
	return w, fromStore(err)
}

// DeleteWebhook deletes owner's endpoint id; another's is ErrNotFound.
func (s *Service) DeleteWebhook(ctx context.Context, owner, id int64) error {
	return fromStore(s.store.DeleteWebhook(ctx, owner, id))
}

// WebhookDeliveries returns the latest deliveries of owner's endpoint id,
// newest first; another's endpoint is ErrNotFound.
func (s *Service) WebhookDeliveries(ctx context.Context, owner, id int64) ([]Delivery, error) {
	if _, err := s.store.OwnedWebhook(ctx, owner, id); err != nil {
		return nil, fromStore(err)
	}
	ds, err := s.store.WebhookDeliveries(ctx, owner, id, DeliveriesShown)
	return ds, fromStore(err)
}

// TestWebhook sends owner's endpoint id a test message, through the outbox
// like any other. An endpoint that a 410 switched off is switched on again
// for it (see store.TestWebhook). An account sends a few an hour (see
// webhookTests). An account disabled since its request was let in is
// ErrAccountDisabled, and sent nothing.
func (s *Service) TestWebhook(ctx context.Context, owner, id int64) error {
	// Another's endpoint, or none, takes no test of the hour's.
	if _, err := s.store.OwnedWebhook(ctx, owner, id); err != nil {
		return fromStore(err)
	}
	if err := s.take(ctx, s.limits.webhookTests, "account:"+strconv.FormatInt(owner, 10)); err != nil {
		return err
	}
	err := s.store.TestWebhook(ctx, owner, id)
	if errors.Is(err, store.ErrGone) {
		return ErrAccountDisabled
	}
	return fromStore(err)
}

// NoticeEmail is the address owner's email notices go to: empty when the
// server sends no email or owner has confirmed no address.
func (s *Service) NoticeEmail(ctx context.Context, owner int64) (string, error) {
	if !s.EmailOn() {
		return "", nil
	}
	a, err := s.store.NoticeAddress(ctx, owner)
	return a.Address, fromStore(err)
}

// NoticeAddress returns owner's notice address and the latest emails sent
// to it.
func (s *Service) NoticeAddress(ctx context.Context, owner int64) (NoticeAddress, []Delivery, error) {
	a, err := s.store.NoticeAddress(ctx, owner)
	if err != nil {
		return a, nil, fromStore(err)
	}
	ds, err := s.store.EmailDeliveries(ctx, owner, DeliveriesShown)
	return a, ds, fromStore(err)
}

// ErrEmailOff refuses a notice address on a server that sends no email.
var ErrEmailOff = Refusal(Invalid, "email_off", "address", "email_off")

// SetNoticeAddress asks for address to become owner's notice address: it
// mails address a link that confirms it, whose token the database keeps
// only as its SHA-256, spent once used and dead after ConfirmTTL. Until
// then the address in use, if any, stays.
func (s *Service) SetNoticeAddress(ctx context.Context, owner int64, address string) error {
	if s.cfg.Mailer == nil {
		return ErrEmailOff
	}
	address = strings.TrimSpace(address)
	a, err := mail.ParseAddress(address)
	if err != nil || a.Name != "" || a.Address != address || len(address) > MaxAddressLen || !strings.Contains(address, "@") {
		return invalid("address_invalid", "address")
	}
	if err := s.take(ctx, s.limits.confirmationMails, "account:"+strconv.FormatInt(owner, 10)); err != nil {
		return err
	}
	var raw [32]byte
	rand.Read(raw[:])
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	hash := sha256.Sum256([]byte(tok))
	if err := s.store.SetPendingAddress(ctx, owner, address, hash[:], s.Now().Add(ConfirmTTL)); err != nil {
		return fromStore(err)
	}
	confirm := strings.TrimSuffix(s.cfg.BaseURL, "/") + "/settings/notices/confirm/" + tok
	if err := s.cfg.Mailer.SendConfirmation(ctx, address, confirm); err != nil {
		// No mail, nothing to wait for: the page must not say one is on
		// its way.
		if err := s.store.DropPendingAddress(context.WithoutCancel(ctx), owner, hash[:]); err != nil {
			s.log.Error("forget a notice address whose mail was not sent", "err", err)
		}
		var refused *MailRefused
		if errors.As(err, &refused) {
			// The address, as its owner wrote it: trying it again is no
			// use, and the server's reply often says why.
			return invalid("mail_refused", "address", "Reply", i18n.Isolate(reply(refused.Reply)))
		}
		if errors.Is(err, ErrMailSetup) {
			// Nothing its owner can do: the address is fine, and trying
			// again is no use until the operator reads this.
			s.log.Error("send confirmation mail", "err", err)
			return Variant(Unavailable, "mail_failed", "setup", "address", "mail_not_sent")
		}
		s.log.Warn("send confirmation mail", "err", err)
		return Variant(Unavailable, "mail_failed", "now", "address", "mail_not_sent")
	}
	return nil
}

// reply is a mail server's reply as a refusal repeats it: one line of
// text, its control characters spaces and its bytes that are not text
// dropped, at most maxReplyLen bytes.
func reply(s string) string {
	s = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, ""), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) <= maxReplyLen {
		return s
	}
	s = strings.ToValidUTF8(s[:maxReplyLen], "")
	return s + "…"
}

// ErrConfirmGone refuses a confirmation link that is unknown, used or
// expired.
var ErrConfirmGone = Refusal(Gone, "confirmation_gone", "", "link_no_longer_valid")

// ErrConfirmOtherAccount refuses a live confirmation link opened signed in
// as an account other than the one that set its address: it confirms
// nothing there, and works once signed in as that account.
var ErrConfirmOtherAccount = Refusal(Forbidden, "confirmation_other_account", "", "not_for_this_account")

// ConfirmNoticeAddress spends the confirmation token tok and makes its
// address the notice address of its account, which must be owner's. The
// address gets a fresh unsubscribe nonce, even when it is the one in use
// before: the unsubscribe links of the mails sent to it until then stop
// nothing (see UnsubscribeToken).
func (s *Service) ConfirmNoticeAddress(ctx context.Context, owner int64, tok string) (string, error) {
	hash, ok := confirmHash(tok)
	if !ok {
		return "", ErrConfirmGone
	}
	nonce := make([]byte, unsubscribeNonceLen)
	rand.Read(nonce)
	address, err := s.store.ConfirmAddress(ctx, owner, hash, s.Now(), nonce)
	if errors.Is(err, store.ErrNotFound) {
		// Why not: another account's, or no live one.
		if _, err := s.pendingAddress(ctx, owner, hash); err != nil {
			return "", err
		}
		return "", ErrConfirmGone
	}
	return address, err
}

// PendingNoticeAddress is the address that ConfirmNoticeAddress would
// confirm with tok, for the page that asks to; it changes nothing, and
// refuses tok as ConfirmNoticeAddress would.
func (s *Service) PendingNoticeAddress(ctx context.Context, owner int64, tok string) (string, error) {
	hash, ok := confirmHash(tok)
	if !ok {
		return "", ErrConfirmGone
	}
	return s.pendingAddress(ctx, owner, hash)
}

// confirmHash is the hash of the confirmation token tok, which the store
// keeps; not ok for what is no token.
func confirmHash(tok string) (hash []byte, ok bool) {
	if len(tok) != 43 {
		return nil, false
	}
	h := sha256.Sum256([]byte(tok))
	return h[:], true
}

// pendingAddress is the address waiting for the confirmation whose token
// has hash, when it is owner's; ErrConfirmOtherAccount when it is another
// account's, and ErrConfirmGone when no address waits for it.
func (s *Service) pendingAddress(ctx context.Context, owner int64, hash []byte) (string, error) {
	account, address, err := s.store.PendingAddress(ctx, hash, s.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", ErrConfirmGone
	case err != nil:
		return "", err
	case account != owner:
		return "", ErrConfirmOtherAccount
	}
	return address, nil
}

// RemoveNoticeAddress stops email notices for owner: it forgets the notice
// address, confirmed or pending, and the emails not yet sent to it.
func (s *Service) RemoveNoticeAddress(ctx context.Context, owner int64) error {
	return fromStore(s.store.RemoveAddress(ctx, owner, nil))
}
