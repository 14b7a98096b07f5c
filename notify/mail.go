package notify

import (
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strconv"
	texttemplate "text/template"
	"time"

	gomail "github.com/wneessen/go-mail"
)

//go:embed templates
var templates embed.FS

var (
	textMails = texttemplate.Must(texttemplate.ParseFS(templates, "templates/*.txt"))
	htmlMails = htmltemplate.Must(htmltemplate.ParseFS(templates, "templates/*.html"))
)

// Mailer sends oncelink's email through an SMTP server.
type Mailer struct {
	client *gomail.Client
	from   string
}

// NewMailer returns a mailer for the server at smtpURL,
// smtp[s]://user:pass@host:port, sending as from. smtp:// uses STARTTLS
// when the server offers it (port 587 unless given); smtps:// speaks TLS
// from the start (port 465 unless given). A user name and password are sent
// only over TLS: a server that offers no STARTTLS is sent neither, and no
// mail.
func NewMailer(smtpURL, from string) (*Mailer, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("--smtp-url must look like smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	if from == "" {
		return nil, errors.New("--mail-from is needed with --smtp-url")
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("--smtp-url: port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("--smtp-url: %w", err)
	}
	m := gomail.NewMsg()
	if err := m.From(from); err != nil {
		return nil, fmt.Errorf("--mail-from: %w", err)
	}
	return &Mailer{client: c, from: from}, nil
}

// send mails to, under subject, the text and HTML parts of template name
// filled with data.
func (m *Mailer) send(ctx context.Context, to, subject, name string, data any) error {
	msg := gomail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return err
	}
	if err := msg.To(to); err != nil {
		return err
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	if err := msg.SetBodyTextTemplate(textMails.Lookup(name+".txt"), data); err != nil {
		return err
	}
	if err := msg.AddAlternativeHTMLTemplate(htmlMails.Lookup(name+".html"), data); err != nil {
		return err
	}
	return m.client.DialAndSendWithContext(ctx, msg)
}

// SendConfirmation mails to the link that confirms it as a notice
// address.
func (m *Mailer) SendConfirmation(ctx context.Context, to, confirmURL string) error {
	return m.send(ctx, to, "Confirm your oncelink notice address", "confirm",
		struct{ Address, URL string }{to, confirmURL})
}

// Notice is what an email notice tells.
type Notice struct {
	Type  string
	Label string
	// What says what happened, such as "was opened".
	What    string
	At      time.Time
	IP      string
	Browser string
}

// When is the notice's time as the mail writes it.
func (n Notice) When() string { return n.At.UTC().Format("Monday 2 January 2006, 15:04:05 UTC") }

// SendNotice mails n to to.
func (m *Mailer) SendNotice(ctx context.Context, to string, n Notice) error {
	subject := fmt.Sprintf("oncelink: %q %s", n.Label, n.What)
	return m.send(ctx, to, subject, "notice", n)
}
