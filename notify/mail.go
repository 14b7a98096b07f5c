package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/store"
)

//go:embed templates
var templates embed.FS

// The mails' templates take their words from the "mail." catalog with t,
// and dates with when; each mail clones them with the functions of its
// language and time zone (see compose). These are stand-ins for parsing.
var (
	textMails = texttemplate.Must(texttemplate.New("").Funcs(textFuncs(i18n.For("en"), time.UTC)).
			ParseFS(templates, "templates/*.txt"))
	htmlMails = htmltemplate.Must(htmltemplate.New("").Funcs(htmlFuncs(i18n.For("en"), time.UTC)).
			ParseFS(templates, "templates/*.html"))
)

// textFuncs are the template functions of a plain text part in l's
// language: t says a message, n says one in the plural form of a count,
// quote puts a value in the language's quotation marks, wrap breaks a
// paragraph into lines of at most 72 characters, when writes a time as
// zone's clocks read it.
func textFuncs(l *i18n.Localizer, zone *time.Location) texttemplate.FuncMap {
	return texttemplate.FuncMap{
		"t":     func(id string, pairs ...any) string { return l.T(id, pairs...) },
		"n":     func(id string, count int, pairs ...any) string { return l.N(id, count, pairs...) },
		"quote": func(s string) string { return quote(l, s) },
		"wrap":  func(s string) string { return wrap(s, 72) },
		"when":  func(t time.Time) string { return l.WhenIn(t, zone) },
	}
}

// quote puts s in l's quotation marks, those of i18n.Localizer.Quote (the
// message "format.quoted"), but as typed: a mail tells the owner of a label
// or an account's name, isolated already, the words they wrote, which read
// better without the escapes that Quote writes for a value given on the
// command line or in a form.
func quote(l *i18n.Localizer, s string) string { return l.T("format.quoted", "Text", s) }

// htmlFuncs are the template functions of an HTML part in l's language:
// t says a message, its words as the catalog writes them and its values
// escaped, n does so in the plural form a count takes, strong sets a value
// in bold, when writes a time as zone's clocks read it; lang and dir are
// the attributes of <html>, which a screen reader reads the mail by; start
// is "left", or "right" in a language written right to left.
func htmlFuncs(l *i18n.Localizer, zone *time.Location) htmltemplate.FuncMap {
	return htmltemplate.FuncMap{
		"t": func(id string, pairs ...any) htmltemplate.HTML {
			return htmlSay(func(args ...any) string { return l.T(id, args...) }, pairs)
		},
		"n": func(id string, count int, pairs ...any) htmltemplate.HTML {
			return htmlSay(func(args ...any) string { return l.N(id, count, args...) }, pairs)
		},
		"strong": func(s string) strong { return strong(s) },
		"when":   func(t time.Time) string { return l.WhenIn(t, zone) },
		"lang":   func() string { return l.Code },
		"dir":    func() string { return l.Dir() },
		// start is the side a line starts on.
		"start": func() string {
			if l.RTL {
				return "right"
			}
			return "left"
		},
	}
}

// strong is a value that an HTML part sets in bold.
type strong string

// escaper escapes text as html/template does.
var escaper = htmltemplate.Must(htmltemplate.New("").Parse("{{.}}"))

func escapeHTML(s string) string {
	var b strings.Builder
	if err := escaper.Execute(&b, s); err != nil {
		panic(err)
	}
	return b.String()
}

// markup escapes the few characters of a catalog's words that HTML would
// misread; the words are ours, so quotes and apostrophes stay as written.
var markup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// htmlSay is a message, as say says it with pairs, for an HTML part: each
// value is escaped, and set in <strong> when it is a strong.
func htmlSay(say func(pairs ...any) string, pairs []any) htmltemplate.HTML {
	args := make([]any, len(pairs))
	var values []string
	for i, p := range pairs {
		if i%2 == 0 {
			args[i] = p
			continue
		}
		// A stand-in that no message holds, replaced once the message
		// is said and escaped.
		args[i] = "\uE000" + strconv.Itoa(len(values)) + "\uE001"
		switch v := p.(type) {
		case strong:
			values = append(values, "<strong>"+escapeHTML(string(v))+"</strong>")
		default:
			values = append(values, escapeHTML(fmt.Sprint(v)))
		}
	}
	s := markup.Replace(say(args...))
	for i, v := range values {
		s = strings.ReplaceAll(s, "\uE000"+strconv.Itoa(i)+"\uE001", v)
	}
	return htmltemplate.HTML(s)
}

// wrap breaks s, its line breaks taken for spaces, into lines of at most
// width characters where it can. It breaks only at a space: a no-break
// space, such as French sets inside « » and before a colon, stays.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		w := utf8.RuneCountInString(word)
		switch {
		case n == 0:
		case n+1+w > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += w
	}
	return b.String()
}

// compose is the text and HTML parts of the mail of template name, filled
// with data, in the language of l, its times in zone (nil for UTC).
func compose(l *i18n.Localizer, zone *time.Location, name string, data any) (text, html string, err error) {
	tt, err := textMails.Clone()
	if err != nil {
		return "", "", err
	}
	ht, err := htmlMails.Clone()
	if err != nil {
		return "", "", err
	}
	var tb, hb strings.Builder
	if err := tt.Funcs(textFuncs(l, zone)).ExecuteTemplate(&tb, name+".txt", data); err != nil {
		return "", "", err
	}
	if err := ht.Funcs(htmlFuncs(l, zone)).ExecuteTemplate(&hb, name+".html", data); err != nil {
		return "", "", err
	}
	return tb.String(), hb.String(), nil
}

// Mailer sends oncelink's email through an SMTP server.
type Mailer struct {
	client *gomail.Client
	from   string
	// domain is the sender's, which names its messages: a Message-ID
	// under the host's own name, often no public name at all, reads to
	// spam filters as a mail from nowhere.
	domain string
	// startTLS is the server's host:port when a user name and password go
	// to it over smtp://, which it must take STARTTLS to be sent; "" else.
	startTLS string
}

// ErrSMTPURL and ErrMailFrom are how NewMailer refuses its settings: an
// SMTP URL it cannot send through, and a sender's address that is missing
// or no address.
var (
	ErrSMTPURL  = errors.New("--smtp-url must look like smtp://user:password@host:587 or smtps://user:password@host:465")
	ErrMailFrom = errors.New("--smtp-url needs --mail-from, the address notices come from, such as oncelink <notices@example.org>")
)

// CheckSettings refuses, with ErrSMTPURL or ErrMailFrom, the settings
// NewMailer would refuse, so that a server can refuse them before it
// starts.
func CheckSettings(smtpURL, from string) error {
	_, err := parseSettings(smtpURL, from)
	return err
}

// mailSettings are where a Mailer sends, as its SMTP URL says, and the
// domain of the address it sends as.
type mailSettings struct {
	host   string
	port   int
	tls    bool // TLS from the start (smtps://), not STARTTLS
	user   *url.Userinfo
	domain string
}

func parseSettings(smtpURL, from string) (mailSettings, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return mailSettings{}, ErrSMTPURL
	}
	set := mailSettings{host: u.Hostname(), port: 587, tls: u.Scheme == "smtps", user: u.User}
	if set.tls {
		set.port = 465
	}
	if p := u.Port(); p != "" {
		if set.port, err = strconv.Atoi(p); err != nil {
			return mailSettings{}, ErrSMTPURL
		}
	}
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return mailSettings{}, ErrMailFrom
	}
	_, set.domain, _ = strings.Cut(sender.Address, "@")
	return set, nil
}

// NewMailer returns a mailer for the server at smtpURL,
// smtp[s]://user:pass@host:port, sending as from. smtp:// uses STARTTLS
// when the server offers it (port 587 unless given); smtps:// speaks TLS
// from the start (port 465 unless given). A user name and password are sent
// only over TLS: a server that offers no STARTTLS is sent neither, and no
// mail.
func NewMailer(smtpURL, from string) (*Mailer, error) {
	set, err := parseSettings(smtpURL, from)
	if err != nil {
		return nil, err
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second), gomail.WithPort(set.port)}
	startTLS := ""
	switch {
	case set.tls:
		opts = append(opts, gomail.WithSSL())
	case set.user != nil:
		// The credentials go over TLS or not at all.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		startTLS = net.JoinHostPort(set.host, strconv.Itoa(set.port))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if set.user != nil {
		pass, _ := set.user.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(set.user.Username()), gomail.WithPassword(pass))
	}
	c, err := gomail.NewClient(set.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("--smtp-url: %w", err)
	}
	return &Mailer{client: c, from: from, domain: set.domain, startTLS: startTLS}, nil
}

// send mails to, under subject, the text and HTML parts of template name
// filled with data, in the language of ctx, its times in zone (nil for
// UTC). A mail client offers to unsubscribe at unsub (see unsubscribe);
// none when it is empty.
func (m *Mailer) send(ctx context.Context, to, subject string, unsub unsubscribe, zone *time.Location, name string, data any) error {
	text, html, err := compose(i18n.From(ctx), zone, name, data)
	if err != nil {
		return err
	}
	// No User-Agent or X-Mailer: they would tell anyone who reads the
	// headers which mail library, of which version, the server runs.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.from); err != nil {
		return err
	}
	if err := msg.To(to); err != nil {
		return err
	}
	msg.Subject(subject)
	// Sent by a program, not a person: an out-of-office reply has no one
	// to reach (RFC 3834).
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if unsub.URL != "" {
		msg.SetListUnsubscribe(unsub.URL)
		if unsub.OneClick {
			msg.SetListUnsubscribePost()
		}
	}
	msg.SetDate()
	var id [16]byte
	rand.Read(id[:])
	msg.SetMessageIDWithValue(hex.EncodeToString(id[:]) + "@" + m.domain)
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	err = m.client.DialAndSendWithContext(ctx, msg)
	switch {
	case err == nil:
	case credentialsRefused(err):
		err = fmt.Errorf("%w: it refused oncelink's SMTP credentials: check the user name and password of --smtp-url: %w", core.ErrMailSetup, err)
	case untrusted(err):
		err = fmt.Errorf("%w: its TLS certificate is not one this machine trusts for its name: %w", core.ErrMailSetup, err)
	case m.startTLS != "" && !replied(err) && !offersSTARTTLS(ctx, m.startTLS):
		err = fmt.Errorf("%w: it offers no STARTTLS, and oncelink sends the user name and password of --smtp-url only over TLS: "+
			"use smtps://, or a mail server that offers STARTTLS: %w", core.ErrMailSetup, err)
	}
	return err
}

// replied reports whether err carries the mail server's reply to a
// command: then it answered, and its STARTTLS is not what failed.
func replied(err error) bool {
	var te *textproto.Error
	var se *gomail.SendError
	return errors.As(err, &te) || errors.As(err, &se) && se.ErrorCode() > 0
}

// untrusted reports whether err is a TLS certificate of the mail server's
// that does not verify: one for another name, expired, or signed by no
// authority this machine trusts. Every mail meets it until the server or
// --smtp-url is put right.
func untrusted(err error) bool {
	var cv *tls.CertificateVerificationError
	return errors.As(err, &cv)
}

// offersSTARTTLS reports whether the mail server at addr says it takes
// STARTTLS, asked afresh after a mail failed with no reply of the
// server's, and greeted by this host's name, as the mails greet it; true
// when it cannot be asked, as then something else is the trouble.
func offersSTARTTLS(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return true
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return true
	}
	defer c.Close()
	helo, err := os.Hostname()
	if err != nil {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return true
	}
	ok, _ := c.Extension("STARTTLS")
	c.Quit()
	return ok
}

// refused reports whether err is a mail server's permanent refusal of a
// mail: a 5xx reply to its sender, a recipient or its content, such as 550
// mailbox unavailable or 553 bad address. A 4xx reply, or a server that
// could not be reached, may go better later.
func refused(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() <= 599
}

// credentialsRefused reports whether err is the mail server's refusal of
// the user name and password of --smtp-url, its own: 535, authentication
// credentials invalid. Every mail meets it until they are put right.
func credentialsRefused(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code == 535
}

// addressRefused reports whether err is a mail server's permanent refusal
// of a mail's recipient, such as 550 no such user, and returns the
// server's reply; a refusal of the sender or of the content is the
// server's own business, not the address's.
func addressRefused(err error) (reply string, ok bool) {
	var se *gomail.SendError
	if !refused(err) || !errors.As(err, &se) || se.Reason != gomail.ErrSMTPRcptTo {
		return "", false
	}
	// The reply is kept only in the error's words, as net/textproto's
	// Error writes it: its code, and its text quoted.
	if m := replyText.FindStringSubmatch(se.Error()); m != nil {
		if text, err := strconv.Unquote(m[2]); err == nil {
			return m[1] + " " + text, true
		}
	}
	return strings.TrimSpace(strconv.Itoa(se.ErrorCode()) + " " + se.EnhancedStatusCode()), true
}

// replyText finds a server's reply in a send's error: 550 "5.1.1 no such
// user".
var replyText = regexp.MustCompile(`\b([45][0-9][0-9]) ("(?:[^"\\]|\\.)*")`)

// SendConfirmation mails to the link that confirms it as a notice
// address, in the language of ctx: that of whoever asked for it. A mail
// server's lasting refusal of the address is a *core.MailRefused.
func (m *Mailer) SendConfirmation(ctx context.Context, to, confirmURL string) error {
	err := m.send(ctx, to, i18n.T(ctx, "mail.confirm.subject"), unsubscribe{}, nil, "confirm",
		struct{ Address, URL string }{to, confirmURL})
	if reply, ok := addressRefused(err); ok {
		return &core.MailRefused{Reply: reply, Err: err}
	}
	return err
}

// Notice is what an email notice tells.
type Notice struct {
	Type  string
	Label string
	At    time.Time
	IP    string
	// Browser names the browser, "" when it is not known.
	Browser string
	// URL is the owner's page of the link, or of their requests; "" for
	// none.
	URL string
	// Until is when what was sent to a request can no longer be opened;
	// zero when that is not known. Closed is set when it can no longer
	// be opened: the link it made was used, revoked or expired.
	Until  time.Time
	Closed bool
	// Settings is the owner's settings page, where the notice address is
	// removed, which stops these mails; "" for none.
	Settings string
	// Zone is the time zone the mail writes At in, the account's; nil
	// for UTC.
	Zone *time.Location
	// Unsubscribe is the link that stops these mails to this address
	// without a sign-in, which a mail client's unsubscribe posts to
	// (RFC 8058) when it is https, and opens otherwise; "" for none, and
	// a mail client then opens Settings.
	Unsubscribe string
	// Account names the account, and Failures says how many wrong codes
	// came in a row, for a notice of wrong second-step codes; its URL is
	// where its owner changes the password.
	Account  string
	Failures int
}

// unsubscribe is where a mail client unsubscribes from a mail
// (List-Unsubscribe, RFC 2369): a page it opens, or, with OneClick, an
// address it posts List-Unsubscribe=One-Click to itself (RFC 8058).
type unsubscribe struct {
	URL      string
	OneClick bool
}

// noticeMessages are the subject and the first sentence of a notice of
// each type, which the link's label fills, and the words that lead to the
// owner's page and say how to stop such mails: a link's, or a request's,
// whose mails "notify me" does not choose.
var noticeMessages = map[string]noticeWords{
	store.NoticeLinkViewed:          linkWords("mail.notice.viewed.subject", "mail.notice.viewed.line"),
	store.NoticeLinkOpened:          linkWords("mail.notice.opened.subject", "mail.notice.opened.line"),
	store.NoticeLinkUsedUp:          linkWords("mail.notice.used_up.subject", "mail.notice.used_up.line"),
	store.NoticeLinkExpiredUnopened: linkWords("mail.notice.expired_unopened.subject", "mail.notice.expired_unopened.line"),
	store.NoticeLinkRevoked:         linkWords("mail.notice.revoked.subject", "mail.notice.revoked.line"),
	store.NoticeRequestFulfilled: {"mail.notice.request_fulfilled.subject", "mail.notice.request_fulfilled.line",
		"mail.notice.request_fulfilled.text_page", "mail.notice.request_fulfilled.html_page", "mail.notice.request_fulfilled.stop",
		"mail.notice.request_fulfilled.read", "mail.notice.request_fulfilled.read_until",
		"mail.notice.request_fulfilled.read_closed"},
}

// noticeWords are the ids of a notice's messages. Read, for a request,
// says where what was sent is read: at the request's own address, which
// the mail cannot give, as it carries no token; ReadUntil says it with the
// time it can be read until, and ReadClosed that it can no longer be.
type noticeWords struct{ Subject, Line, TextPage, HTMLPage, Stop, Read, ReadUntil, ReadClosed string }

func linkWords(subject, line string) noticeWords {
	return noticeWords{subject, line, "mail.notice.text.page", "mail.notice.html.page", "mail.notice.stop", "", "", ""}
}

// SendNotice mails n to to, in the language of ctx: that of the account it
// tells.
func (m *Mailer) SendNotice(ctx context.Context, to string, n Notice) error {
	// The label and the account's name are isolated from the words around
	// them, in the subject and in both parts: a right-to-left one, or an
	// override in it, then reorders nothing but itself. Mail readers honour
	// the isolates of plain text more widely than HTML's <bdi>. So is the
	// address, whose digits an IPv6 address's letters and colons would
	// otherwise reorder in a right-to-left mail: 2001:db8::7 read as
	// db8::7:2001.
	n.Label, n.Account = i18n.Isolate(n.Label), i18n.Isolate(n.Account)
	if n.IP != "" {
		n.IP = i18n.Isolate(n.IP)
	}
	unsub := unsubscribe{URL: n.Settings}
	if n.Unsubscribe != "" {
		// One-click is for an https link alone (RFC 8058, section 3.1);
		// an http one is a page the mail client opens, which asks.
		unsub = unsubscribe{URL: n.Unsubscribe, OneClick: strings.HasPrefix(n.Unsubscribe, "https://")}
	}
	if n.Type == store.NoticeSecondStepFailed {
		subject := i18n.T(ctx, "mail.second_step.subject", "Name", quote(i18n.From(ctx), oneLine(n.Account)))
		return m.send(ctx, to, subject, unsub, n.Zone, "second_step", n)
	}
	msgs, ok := noticeMessages[n.Type]
	if !ok {
		return fmt.Errorf("no email for a notice of type %q", n.Type)
	}
	subject := i18n.T(ctx, msgs.Subject, "Label", quote(i18n.From(ctx), oneLine(n.Label)))
	// Where what was sent to a request is read names the button of the
	// request's page that opens it, and says until when, when it is known;
	// or it says that it can no longer be opened.
	read := msgs.Read
	switch {
	case n.Closed:
		read = msgs.ReadClosed
	case !n.Until.IsZero():
		read = msgs.ReadUntil
	}
	return m.send(ctx, to, subject, unsub, n.Zone, "notice", struct {
		Notice
		noticeWords
		ReadWords, Button string
	}{n, msgs, read, i18n.T(ctx, "requests.own.open")})
}

// oneLine is s for a subject, which is one line: what in s would break
// it, or show as an escape, reads as a space.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
