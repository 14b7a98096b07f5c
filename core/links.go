package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/idna"

	"oncelink/live"
	"oncelink/store"
	"oncelink/token"
)

// LinkInput is a new link as its owner describes it, in whichever door's
// words: every field as typed; Create trims what a form would.
type LinkInput struct {
	Kind     string
	Message  string
	URL      string
	TTL      string // a duration that ParseDuration reads; see DefaultTTL
	MaxUses  string // a whole number as a form writes it; empty for one use
	Password string
	ForUser  string
	Label    string
	// E2ECheck, when set, makes an end-to-end link: the SHA-256 of its
	// claim, in unpadded base64url, with the ciphertext as the draft's
	// file (see package e2e). Message and URL are then unused.
	E2ECheck string
	// IdempotencyKey, when set, makes the create idempotent: the owner's
	// first create with the key makes the link, and any other with it
	// makes nothing and answers with that link, Repeated (see Created). A
	// form issues a fresh key with each showing, so that sending it twice
	// (a reload of the page that answered it, a second click) never
	// shares a secret twice.
	IdempotencyKey string
	// Notify asks for email notices of this link at the owner's notice
	// address (see NoticeAddress).
	Notify bool
}

// DefaultTTL is a new link's or request's time to live when its owner
// leaves it out.
const DefaultTTL = "1d"

// FormWhole reads a whole number as a form or a query writes one: ASCII
// digits, after a minus sign for one below zero. Anything else ("+2",
// " 2", "2.0", "2e0", "0x2", other scripts' digits, nothing at all) is
// not one, and ok is false. A number too large for an int is the largest int of its
// sign, which every limit refuses. Every door that reads a number from a
// form reads it here, so that they refuse the same spellings.
func FormWhole(s string) (n int, ok bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) {
		return n, true // Atoi gives the bound it passed
	}
	return n, err == nil
}

// parseUses reads a link's uses as a form writes them: empty for one.
func parseUses(s string) (int, error) {
	if s == "" {
		return 1, nil
	}
	n, ok := FormWhole(s)
	if !ok || !UsesAllowed(n) {
		return 0, ErrUsesOutOfRange
	}
	return n, nil
}

// UsesAllowed reports whether a link may be opened n times: from 1 to
// MaxUses.
func UsesAllowed(n int) bool { return n >= 1 && n <= MaxUses }

// ErrUsesOutOfRange refuses a link's uses that are not a whole number
// from 1 to MaxUses.
var ErrUsesOutOfRange = invalid("max_uses_out_of_range", "max_uses", "Max", MaxUses)

// ParseSwitch reads a form's yes-or-no field as a check box or a pair of
// buttons sends it: value is on for yes, and empty (a box left unticked)
// or "off" for no. Anything else is refused, rather than taken as the one
// or the other.
func ParseSwitch(field, value, on string) (bool, error) {
	switch value {
	case on:
		return true, nil
	case "", "off":
		return false, nil
	}
	return false, invalid("switch_invalid", field, "Field", field, "On", on)
}

// Created is a new link, with the only copy of its address.
type Created struct {
	Link Link
	URL  string
	// Repeated is set when the link was made before, by a create with
	// the same IdempotencyKey: nothing was made now, and URL is empty, as
	// only the first answer can give it.
	Repeated bool
}

// Event is what the owner's streams are told of the new link.
func (c Created) Event() live.Event {
	return live.Event{Owner: c.Link.OwnerID, Link: c.Link.ID, What: live.Created, Expires: c.Link.ExpiresAt}
}

// lifetime reads a new link's or request's time to live, held to the
// server's bounds.
func (s *Service) lifetime(text string) (time.Duration, error) {
	ttl, err := ParseDuration(text)
	if err != nil && !errors.Is(err, errDurationTooLong) {
		return 0, invalid("ttl_invalid", "ttl")
	}
	if err != nil || ttl < s.cfg.MinTTL || ttl > s.cfg.MaxTTL {
		return 0, invalid("ttl_out_of_range", "ttl", "Min", FormatDuration(s.cfg.MinTTL), "Max", FormatDuration(s.cfg.MaxTTL))
	}
	return ttl, nil
}

// Create checks in and makes the link it describes, sealing its content
// (d's file, for a file link) under d's token. It refuses bad input with
// an *Error and creates nothing. The caller publishes c.Event() once it
// has answered.
func (s *Service) Create(ctx context.Context, owner int64, d *Draft, in LinkInput) (Created, error) {
	// Spaces around what a person typed are dropped; the kind is chosen
	// from a list, and one that is not exactly in it is refused.
	for _, f := range []*string{&in.URL, &in.TTL, &in.ForUser, &in.Label} {
		*f = strings.TrimSpace(*f)
	}
	return once(in.IdempotencyKey, func() (Created, error) {
		l, err := s.store.LinkByIdempotencyKey(ctx, owner, in.IdempotencyKey)
		return Created{Link: l, Repeated: true}, err
	}, func() (Created, error) {
		return s.create(ctx, owner, d, in)
	})
}

// create makes the link that in describes, as Create does, but for its
// idempotency key.
func (s *Service) create(ctx context.Context, owner int64, d *Draft, in LinkInput) (Created, error) {
	n := store.NewLink{OwnerID: owner, Kind: in.Kind, Label: in.Label, IdempotencyKey: in.IdempotencyKey, Notify: in.Notify}
	// Every field is checked, so that a form can say each of its
	// mistakes at once; a program reads the first.
	ttl, ttlErr := s.lifetime(in.TTL)
	var usesErr, passwordErr, notifyErr error
	n.MaxUses, usesErr = parseUses(in.MaxUses)
	if len(in.Password) > MaxPasswordBytes {
		passwordErr = ErrLinkPasswordTooLong
	}
	forUser, forUserErr := s.forUser(ctx, in.ForUser)
	n.ForUserID = forUser
	if in.Notify {
		notifyErr = s.canNotify(ctx, owner)
	}
	var content []byte
	var contentErr error
	switch {
	case in.E2ECheck != "" || d.e2e || d.e2eInvalid:
		n.E2ECheck, contentErr = checkE2E(in, d)
	case in.Kind == KindFile:
		if d.file == nil {
			contentErr = invalidAs("file_missing", "share", "file")
		}
	default:
		content, contentErr = CheckContent(in.Kind, in.Message, in.URL)
	}
	if err := joinErrors(ttlErr, usesErr, checkLabel(in.Label), passwordErr, forUserErr, notifyErr, contentErr); err != nil {
		return Created{}, err
	}
	if in.Password != "" {
		var err error
		if n.PasswordHash, err = s.hashPassword(in.Password); err != nil {
			return Created{}, err
		}
	}
	n.TokenHash = d.tok.Hash()
	n.StorageLimit = s.cfg.AccountStorage
	// Its time to live starts now, after the password's hashing.
	n.CreatedAt = s.Now()
	n.ExpiresAt = n.CreatedAt.Add(ttl)
	if n.E2ECheck != nil || in.Kind == KindFile {
		return s.createFile(ctx, d, n)
	}
	n.Size = int64(len(content))
	l, err := s.store.CreateLink(ctx, n, [][]byte{d.tok.Box().Seal(token.Content, 0, true, content)})
	if err != nil {
		return Created{}, storageFull(err, contentField(n.Kind))
	}
	return Created{Link: l, URL: s.LinkURL(d.tok.String())}, nil
}

// forUser is the id of the account name that a link is for, or zero for
// none.
func (s *Service) forUser(ctx context.Context, name string) (int64, error) {
	if name == "" {
		return 0, nil
	}
	if err := checkBytes("for_user", name); err != nil {
		return 0, err
	}
	u, err := s.store.AccountByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled()) {
		return 0, invalid("for_user_unknown", "for_user", "Name", Quoted(name))
	}
	return u.ID, err
}

// CheckContent checks a message (UTF-8 text) or a web address as Create
// does, and returns what the link is to hold: the message, or the address
// as Create completes it ("example.com" is https://example.com). The
// server cannot read an end-to-end link's content, so its sender checks
// it with this first.
func CheckContent(kind, message, address string) ([]byte, error) {
	switch kind {
	case KindMessage:
		if strings.TrimSpace(message) == "" {
			return nil, invalidAs("message_missing", "share", "message")
		}
		if len(message) > MaxMessageBytes {
			return nil, ErrMessageTooLong
		}
		if !utf8.ValidString(message) {
			// A message is text: its recipient would read U+FFFD for
			// each byte that is not UTF-8.
			return nil, invalid("message_invalid", "message")
		}
		return []byte(message), nil
	case KindURL:
		u, err := webAddress(address)
		return []byte(u), err
	}
	return nil, invalid("kind_unknown", "kind")
}

// canNotify refuses Notify to an owner whose notices have nowhere to go:
// on a server that sends no email, or before an address is confirmed.
// Taken silently, the owner would wait for a mail that never comes.
func (s *Service) canNotify(ctx context.Context, owner int64) error {
	if !s.EmailOn() {
		return errNotifyEmailOff
	}
	switch address, err := s.NoticeEmail(ctx, owner); {
	case err != nil:
		return err
	case address == "":
		return errNotifyNoAddress
	}
	return nil
}

var (
	errNotifyEmailOff  = Refusal(Invalid, "email_off", "notify", "email_off")
	errNotifyNoAddress = invalid("notice_address_missing", "notify")
)

// ErrFileEmpty refuses a file of no bytes.
var ErrFileEmpty = invalid("file_empty", "file")

// createFile makes link n with d's file as its content.
func (s *Service) createFile(ctx context.Context, d *Draft, n store.NewLink) (Created, error) {
	n.Size = d.file.size
	n.Meta = sealMeta(d.tok, fileMeta{Name: d.file.name, Type: d.file.contentType})
	l, err := s.store.CreateLinkStream(ctx, n, d.file.fill)
	if err != nil {
		return Created{}, storageFull(err, "file")
	}
	return Created{Link: l, URL: s.LinkURL(d.tok.String())}, nil
}

// checkText refuses text for field that is longer than max characters or
// that no database can keep as text (see checkBytes).
func checkText(field, text string, max int) error {
	if err := checkBytes(field, text); err != nil {
		return err
	}
	if utf8.RuneCountInString(text) > max {
		return TextTooLong(field, max)
	}
	return nil
}

// checkLabel checks a link's or a request's label: text of at most
// MaxLabelLen characters on one line, with nothing a terminal would act on
// (a tab, a line break, an escape), as lists and mails show it. Unicode's
// line and paragraph separators break a line too, though they are no
// control characters.
func checkLabel(label string) error {
	if err := checkText("label", label, MaxLabelLen); err != nil {
		return err
	}
	if strings.ContainsFunc(label, func(r rune) bool { return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) }) {
		return errLabelNotOneLine
	}
	return nil
}

var errLabelNotOneLine = invalid("label_one_line", "label")

// checkBytes refuses text for field that no database can keep or look up
// as text: invalid UTF-8, or a NUL, which PostgreSQL refuses in a query.
// Every text that reaches the store goes through it.
func checkBytes(field, text string) error {
	if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
		return NotText(field)
	}
	return nil
}

// NotText refuses text for field that is not UTF-8, or that no database
// can keep (see checkBytes): with the field's own message, or with one
// that names the field. An adapter whose decoding would change such text,
// as JSON's does, refuses it with this before the core sees it.
func NotText(field string) *Error {
	id, ok := notText[field]
	if !ok {
		return invalid("not_text", field, "Field", field)
	}
	code, variant, _ := strings.Cut(id, ".")
	return invalidAs(code, variant, field)
}

// tooLong and notText are the messages of checkText's and checkBytes's
// refusals, by field: a code, or a code and a variant of its message
// (see Variant).
var (
	tooLong = map[string]string{"name": "name_too_long", "label": "label_too_long", "q": "q_too_long", "note": "note_too_long"}
	notText = map[string]string{"username": "username_invalid.not_text", "for_user": "for_user_invalid", "name": "name_invalid",
		"label": "label_invalid", "q": "q_invalid", "note": "note_invalid", "message": "message_invalid", "code": "code_invalid"}
)

// webAddress checks the web address to share, as its owner typed it, and
// returns it as it is shared. One typed without its scheme, as people copy
// addresses from a browser's address bar ("example.com/page"), gets
// https://, if what it names then is a host with a dot in it, or localhost.
func webAddress(raw string) (string, error) {
	if raw == "" {
		return "", invalid("url_missing", "url")
	}
	if len(raw) > MaxURLLen {
		return "", ErrURLTooLong
	}
	errInvalid := invalidAs("url_invalid", "plain", "url")
	added := !strings.Contains(raw, "://")
	if added {
		raw = "https://" + strings.TrimPrefix(raw, "//")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", errInvalid
	}
	if !validPort(u) {
		// No browser would follow it.
		return "", invalidAs("url_invalid", "port", "url")
	}
	if added && !strings.Contains(u.Hostname(), ".") && u.Hostname() != "localhost" {
		return "", errInvalid
	}
	if host := u.Hostname(); !isASCII(host) {
		if _, err := hostIDNA.ToASCII(host); err != nil {
			// No browser would look it up.
			return "", errInvalid
		}
	}
	raw = escapeUnfit(raw)
	if len(raw) > MaxURLLen {
		return "", ErrURLTooLong
	}
	return raw, nil
}

// escapeUnfit percent-encodes, in a web address that url.Parse took,
// each character that an address cannot hold as it is (RFC 3986), as a
// browser's address bar does: a space, and " < > [ \ ] ^ ` { | } past the
// host, a second #, and a % that starts no escape; and, anywhere, the
// characters that show nothing, break the line or reorder the text around
// them (blanks other than the space, format characters such as a
// right-to-left override, and controls). Followed, the address is the
// same, as a browser encodes them so, but shown, on the recipient's page
// and by oncelink open, it reads as what it is, so that
// "https://example.com/\u202egpj.exe" cannot pass for one ending in
// exe.jpg, and it stays one word in a shell. Readable characters beyond
// ASCII (ü, 日本) are kept as typed; ASCIIAddress writes them for HTTP.
func escapeUnfit(raw string) string {
	path := pathStart(raw)
	fragment := false
	var b strings.Builder
	for i, r := range raw {
		keep := !unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z)
		if keep && i >= path {
			switch r {
			case '#':
				keep = !fragment
				fragment = true
			case '%':
				keep = isEscape(raw[i:])
			default:
				keep = !strings.ContainsRune(`"<>[\]^`+"`{|}", r)
			}
		}
		if keep {
			b.WriteRune(r)
			continue
		}
		for _, c := range []byte(string(r)) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// pathStart is where the path of address starts, past its scheme and
// host: at the first / ? or # after "://".
func pathStart(address string) int {
	_, after, ok := strings.Cut(address, "://")
	if !ok {
		return 0
	}
	host := len(address) - len(after)
	if end := strings.IndexAny(after, "/?#"); end >= 0 {
		return host + end
	}
	return len(address)
}

// isEscape reports whether s starts with a percent-encoded byte.
func isEscape(s string) bool {
	const hex = "0123456789abcdefABCDEF"
	return len(s) >= 3 && strings.IndexByte(hex, s[1]) >= 0 && strings.IndexByte(hex, s[2]) >= 0
}

// hostIDNA writes a host name beyond ASCII as browsers look it up
// (UTS #46 without transitional mapping, as the URL Standard does).
var hostIDNA = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.StrictDomainName(false), idna.CheckHyphens(false))

// ASCIIAddress is a URL link's address, as it is shared, written in ASCII
// alone, as HTTP's Location header must carry it (RFC 3986): its host
// name in IDNA ("xn--") and every other byte beyond ASCII percent-encoded.
// A browser shows it as it was shared; net/http's Redirect would send the
// host percent-encoded, which no resolver looks up, and a space as it is.
func ASCIIAddress(address string) string {
	address = escapeUnfit(address)
	var b strings.Builder
	if path := pathStart(address); path > 0 {
		start := strings.Index(address, "://") + len("://")
		host := &url.URL{Host: address[start:path]}
		if name := host.Hostname(); !isASCII(name) {
			if a, err := hostIDNA.ToASCII(name); err == nil {
				b.WriteString(address[:start] + a)
				if p := host.Port(); p != "" {
					b.WriteString(":" + p)
				}
				address = address[path:]
			}
		}
	}
	for i := range len(address) {
		if c := address[i]; c >= utf8.RuneSelf {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf })
}

// validPort reports whether u's port, if it names one, is a number from 1
// to 65535: url.Parse takes any run of digits.
func validPort(u *url.URL) bool {
	p := u.Port()
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// fileMeta is a file link's name and type, sealed into links.meta so that
// the database does not reveal them.
type fileMeta struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func sealMeta(tok token.Token, m fileMeta) []byte {
	b, _ := json.Marshal(m)
	return tok.Box().Seal(token.Meta, 0, true, b)
}

func openMeta(tok token.Token, l Link) (fileMeta, error) {
	var m fileMeta
	b, err := tok.Box().Open(token.Meta, 0, true, l.Meta)
	if err != nil {
		return m, fmt.Errorf("open file metadata of link %d: %w", l.ID, err)
	}
	return m, json.Unmarshal(b, &m)
}

// ListInput asks for a page of an owner's links, in an adapter's words:
// Before is the cursor a previous page gave, empty for the first.
type ListInput struct {
	Status string
	Query  string
	Before string
	// Limit is the page's size, zero for DefaultPageSize.
	Limit int
}

// DefaultPageSize is how many links a page of a list holds unless asked.
const DefaultPageSize = 50

// LinkPage is a page of an owner's links, newest first.
type LinkPage struct {
	Links []Link
	// Next is the cursor of the next page, empty on the last.
	Next string
}

// Links reads the page of owner's links that in asks for.
func (s *Service) Links(ctx context.Context, owner int64, in ListInput) (LinkPage, error) {
	limit, before, err := pageOf(in.Limit, in.Before, "links")
	if err != nil {
		return LinkPage{}, err
	}
	opts := store.ListOptions{Query: strings.TrimSpace(in.Query), Before: before, Limit: limit + 1, Status: Status(in.Status)}
	if err := checkText("q", opts.Query, MaxLabelLen); err != nil {
		return LinkPage{}, err
	}
	if in.Status != "" && !slices.Contains(Statuses, opts.Status) {
		return LinkPage{}, invalidAs("status_unknown", "links", "status", "Status", Quoted(in.Status))
	}
	links, err := s.store.Links(ctx, owner, opts)
	if err != nil {
		return LinkPage{}, err
	}
	var p LinkPage
	p.Links, p.Next = cutPage(links, limit, func(l Link) int64 { return l.ID })
	return p, nil
}

// pageOf reads a list's page size, zero for DefaultPageSize, and its
// cursor, the last ID of the page before, as the lists of links and of
// requests (the message's variant) take them.
func pageOf(limit int, cursor, variant string) (int, int64, error) {
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return 0, 0, invalidAs("limit_out_of_range", variant, "limit", "Count", MaxPageSize)
	}
	if cursor == "" {
		return limit, 0, nil
	}
	before, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || before <= 0 {
		return 0, 0, invalid("cursor_invalid", "cursor")
	}
	return limit, before, nil
}

// cutPage is the page of the limit+1 items read (the one more tells that
// a next page exists), with the cursor of that next page.
func cutPage[T any](items []T, limit int, id func(T) int64) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	return items[:limit], strconv.FormatInt(id(items[limit-1]), 10)
}

// ParseID reads an id that an address or a form gives: of a link, a
// request, an account, a key, a passkey or a webhook. Anything but a
// positive number, written as such, is ErrNotFound, like another owner's
// link.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	// Only the way an id is written names it: "007" and "+7" are no
	// address of link 7.
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, ErrNotFound
	}
	return id, nil
}

// Link returns owner's link id; another owner's, or one purged, is
// ErrNotFound.
func (s *Service) Link(ctx context.Context, owner, id int64) (Link, error) {
	l, err := s.store.OwnedLink(ctx, owner, id)
	return l, fromStore(err)
}

// Audit returns the audit trail of owner's link id, oldest first.
func (s *Service) Audit(ctx context.Context, owner, id int64) (Link, []Event, error) {
	l, err := s.store.OwnedLink(ctx, owner, id)
	if err != nil {
		return Link{}, nil, fromStore(err)
	}
	events, err := s.store.Events(ctx, owner, id)
	return l, events, fromStore(err)
}

// Revoke ends owner's link id at once, and tells the owner's streams: an
// active link, or a used-up one whose opener may still see it again under
// the grant, which ends too. Revoking a link dead otherwise changes
// nothing, so there is nothing to tell.
func (s *Service) Revoke(ctx context.Context, owner, id int64, c Client) (Link, error) {
	l, revoked, err := s.store.Revoke(ctx, owner, id, s.cfg.GrantTTL, s.event(c))
	if err != nil {
		return Link{}, fromStore(err)
	}
	if revoked {
		s.Publish(ctx, live.Event{Owner: owner, Link: id, What: live.Revoked})
	}
	return l, nil
}

// hashPassword hashes an account's or a link's password with bcrypt, at
// the configured cost.
func (s *Service) hashPassword(password string) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.PasswordCost)
	return string(hash), err
}
