package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	gomail "github.com/wneessen/go-mail"

	"oncelink/core"
)

// said is a failure in oncelink's own words, which an attempt records as
// they are: an endpoint's answer, a disabled endpoint or account.
type said string

func (s said) Error() string { return string(s) }

// describe returns what an attempt that failed with err records as its
// error, which its owner reads in the API, on the Settings page and on
// the command line: oncelink's own words as they are, a mail server's
// reply, and any other failure by its kind (core.FailedNoHost, ...), never
// as Go's network packages or the database wrote it, which could name the
// server's resolver or an address a name resolved to. logged reports
// whether the operator is better told of err in full: a failure of the
// server itself rather than of the endpoint.
func describe(err error) (text string, logged bool) {
	if s, ok := errors.AsType[said](err); ok {
		return string(s), false
	}
	if reply, ok := mailReply(err); ok {
		return "the mail server answered " + reply, false
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, ErrPrivateDial):
		return core.FailedPrivate, false
	case errors.As(err, &dns) && dns.IsNotFound:
		return core.FailedNoHost, false
	case errors.As(err, &dns):
		return core.FailedLookup, true
	case strings.Contains(err.Error(), "response headers exceeded"):
		// net/http's words for an answer past MaxResponseHeaderBytes,
		// which it has no error value for.
		return core.FailedHeaders, false
	case timeout(err):
		return core.FailedTimeout, false
	case errors.Is(err, syscall.ECONNREFUSED):
		return core.FailedRefused, false
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return core.FailedUnreachable, false
	case tlsFailure(err):
		return core.FailedTLS, false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return core.FailedBroken, false
	case netFailure(err):
		return core.FailedConnect, true
	}
	return core.FailedInternal, true
}

func timeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

func tlsFailure(err error) bool {
	var (
		cv    *tls.CertificateVerificationError
		rh    tls.RecordHeaderError
		alert tls.AlertError
		ua    x509.UnknownAuthorityError
		host  x509.HostnameError
		inv   x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &alert) ||
		errors.As(err, &ua) || errors.As(err, &host) || errors.As(err, &inv) ||
		strings.Contains(err.Error(), "tls: ")
}

// netFailure reports whether err came from reaching an endpoint or a mail
// server rather than from the server itself.
func netFailure(err error) bool {
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*url.Error](err); ok { // from a client's Do
		return true
	}
	if _, ok := errors.AsType[*gomail.SendError](err); ok {
		return true
	}
	return false
}

// mailReply returns a mail server's reply in err, its code and its text,
// as the server sent it.
func mailReply(err error) (string, bool) {
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		return strconv.Itoa(te.Code) + " " + te.Msg, true
	}
	se, ok := errors.AsType[*gomail.SendError](err)
	if !ok || se.ErrorCode() == 0 {
		return "", false
	}
	if m := replyText.FindStringSubmatch(se.Error()); m != nil {
		if text, err := strconv.Unquote(m[2]); err == nil {
			return m[1] + " " + text, true
		}
	}
	return strings.TrimSpace(strconv.Itoa(se.ErrorCode()) + " " + se.EnhancedStatusCode()), true
}
