package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"

	"oncelink/i18n"
)

// The errors of the system and of the network (a file not found, a
// connection refused, a certificate not trusted) come from Go in English.
// The command line says them in its own words, in its language, from the
// catalogs; what it cannot name it still calls a system error, in those
// words, followed by Go's text so that nothing is lost.

// saySystem is err with the first error of the system or the network in
// its chain said in l's words: err to errors.Is and errors.As still. An
// err without one is returned as it is.
func saySystem(l *i18n.Localizer, err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		// A wrapping message puts its words before the error it wraps.
		was, msg := e.Error(), err.Error()
		text, ok := systemText(l, e, msg == was)
		if !ok {
			continue
		}
		i := strings.LastIndex(msg, was)
		if i < 0 {
			return err
		}
		head, tail := msg[:i], msg[i+len(was):]
		// The words before were joined to err's as Go joins them, or as
		// the language does (client.Caused): either join is cut, so that
		// the language's is set once.
		h, ok := strings.CutSuffix(head, l.T("cli.error.caused", "What", "", "Cause", ""))
		if !ok {
			h, ok = strings.CutSuffix(head, ": ")
		}
		if ok {
			// Joined as the language joins a problem to what it is
			// about: French puts a space before the colon.
			return &said{err: err, msg: l.T("cli.client.problem", "Title", h, "Detail", text) + tail}
		}
		return &said{err: err, msg: head + text + tail}
	}
	return err
}

// systemText is e in l's words when e itself is an error of the system or
// the network; ok is false for any other error, such as one that only
// wraps one. bare says that no words wrap e's, which would name the server
// it could not reach.
func systemText(l *i18n.Localizer, e error, bare bool) (text string, ok bool) {
	switch v := e.(type) {
	case *fs.PathError:
		problem := systemProblem(l, v.Err)
		if errors.Is(v.Err, syscall.EPIPE) {
			// A file's EPIPE is a pipe's whose reader has gone, such as
			// standard output's after | head: no connection was cut.
			problem = l.T("cli.sys.pipe_unread")
		}
		return l.T("cli.sys.about", "Name", v.Path, "Problem", problem), true
	case *os.LinkError:
		return l.T("cli.sys.about", "Name", v.New, "Problem", systemProblem(l, v.Err)), true
	case *url.Error:
		// Its text holds the request's address, which may hold a token.
		return systemProblem(l, v.Err), true
	case *net.OpError:
		if (v.Op == "listen" || bare) && v.Addr != nil {
			// Nothing else names the address that cannot be served, or
			// reached.
			return l.T("cli.sys.about", "Name", v.Addr.String(), "Problem", systemProblem(l, v)), true
		}
		return systemProblem(l, v), true
	case *os.SyscallError, syscall.Errno, *net.DNSError, *net.AddrError,
		x509.UnknownAuthorityError, x509.HostnameError, x509.CertificateInvalidError,
		*tls.CertificateVerificationError, tls.RecordHeaderError:
		return systemProblem(l, e), true
	case net.Error: // such as net/http's timeout
		return systemProblem(l, e), true
	}
	if e == io.EOF || e == io.ErrUnexpectedEOF || e == os.ErrDeadlineExceeded {
		return systemProblem(l, e), true
	}
	return "", false
}

// systemProblem is what went wrong, in l's words, with no file name: the
// problems that errors.Is and errors.As recognise, else a system error
// with Go's text.
func systemProblem(l *i18n.Localizer, err error) string {
	var dns *net.DNSError
	var ne net.Error
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return l.T("cli.sys.dns_not_found", "Name", dns.Name)
	case errors.As(err, &dns) && !dns.IsTimeout:
		return l.T("cli.sys.dns_failed", "Name", dns.Name)
	case errors.Is(err, fs.ErrNotExist):
		return l.T("cli.sys.not_exist")
	case errors.Is(err, fs.ErrPermission):
		return l.T("cli.sys.permission")
	case errors.Is(err, syscall.EISDIR):
		return l.T("cli.sys.is_dir")
	case errors.Is(err, syscall.ENOTDIR):
		return l.T("cli.sys.not_dir")
	case errors.Is(err, syscall.ENOSPC):
		return l.T("cli.sys.no_space")
	case errors.Is(err, syscall.EROFS):
		return l.T("cli.sys.read_only")
	case errors.Is(err, syscall.ECONNREFUSED):
		return l.T("cli.sys.refused")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF):
		// io.EOF: the connection closed before an answer began.
		return l.T("cli.sys.cut")
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return l.T("cli.sys.no_route")
	case errors.Is(err, syscall.EADDRINUSE):
		return l.T("cli.sys.in_use")
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return l.T("cli.sys.timeout")
	case errors.As(err, &unknownAuthority):
		return l.T("cli.sys.cert_authority")
	case errors.As(err, &hostname):
		return l.T("cli.sys.cert_name", "Host", hostname.Host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return l.T("cli.sys.cert_expired")
	case errors.As(err, &invalid), errors.As(err, &verify):
		return l.T("cli.sys.cert_invalid")
	case errors.As(err, &header):
		return l.T("cli.sys.not_tls")
	}
	return l.T("cli.sys.unknown", "Err", err.Error())
}
