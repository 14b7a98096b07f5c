package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"oncelink/client"
	"oncelink/core"
	"oncelink/e2e"
	"oncelink/i18n"
)

// The exit statuses scripts can rely on, as README.md's EXIT STATUS
// table documents them.
const (
	exitDone      = 0 // done
	exitFailed    = 1 // any other error
	exitUsage     = 2 // a wrong command, flag or argument
	exitGone      = 3 // the link was used, expired or revoked
	exitNotFound  = 4 // no such link or account
	exitSignedOut = 5 // not signed in, or the key was refused
	// exitInterrupted is a command stopped by Ctrl-C, 128 and SIGINT's
	// number as shells report it; exitTerminated one stopped by SIGTERM,
	// as kill and service managers send it, 128 and SIGTERM's.
	exitInterrupted = 130
	exitTerminated  = 143
	// exitPipeClosed is 128 and SIGPIPE's number: what a shell reports of
	// a command whose standard output, a pipe, closed while it wrote.
	exitPipeClosed = 141
)

// stopSignal is the cause of a command's ctx that a signal ended (see
// main): the exit status and the message follow the signal.
type stopSignal struct{ sig os.Signal }

func (s stopSignal) Error() string { return s.sig.String() + " signal received" }

// Is makes a signal's cause context.Canceled, as ctx.Err() is.
func (s stopSignal) Is(target error) bool { return target == context.Canceled }

// interruption is the exit status and the message of a command that ctx
// ended: 143 and "terminated" after SIGTERM, else 130 and "interrupted",
// as after Ctrl-C.
func interruption(ctx context.Context) (code int, id string) {
	var s stopSignal
	if errors.As(context.Cause(ctx), &s) && s.sig == syscall.SIGTERM {
		return exitTerminated, "cli.error.terminated"
	}
	return exitInterrupted, "cli.error.interrupted"
}

// errStdoutClosed ends a command whose standard output, a pipe, closed
// before all was written: main then ends oncelink by SIGPIPE, as Go ends a
// program that does not catch it, and as Unix tools end.
var errStdoutClosed = errors.New("standard output closed")

// catchSIGPIPE makes a write to standard output, a pipe that no one reads
// any more, fail with EPIPE rather than end oncelink at once by SIGPIPE,
// until release is called.
func catchSIGPIPE() (release func()) {
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	return func() { signal.Stop(pipe) }
}

// exitError is an error that ends oncelink with its code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError reports a wrong command, flag or argument: exit status 2,
// with msg, said in the command's language already.
func usageError(msg string) error {
	return &exitError{code: exitUsage, err: errors.New(msg)}
}

// unexpectedArg is the usage error of an argument the command takes no
// part of. An API key pasted there (login URL KEY, say), or a link's
// token, is not repeated.
func unexpectedArg(p *proc, arg string) error {
	switch arg = strings.TrimSpace(arg); {
	case core.KeyShaped(arg):
		arg = "ol_…"
	case tokenShaped(arg):
		arg = "xxxxx"
	}
	return usageError(p.T("cli.usage.unexpected", "Arg", p.loc.Quote(arg)))
}

// said is an error put in the command line's language: its message is
// msg, and it is still err to errors.Is and errors.As.
type said struct {
	err error
	msg string
}

func (s *said) Error() string { return s.msg }
func (s *said) Unwrap() error { return s.err }

// clientErrors are the client's errors for people, by the message that
// says them.
var clientErrors = []struct {
	err error
	id  string
}{
	{client.ErrNotLink, "cli.error.not_link"},
	{client.ErrDecrypt, "cli.error.decrypt"},
	{client.ErrRequestOwner, "cli.error.request_owner"},
	{client.ErrRequestPassword, "cli.error.request_password"},
	// ErrSecretLength is ErrSecret too: the more precise first.
	{e2e.ErrSecretLength, "cli.error.e2e_secret_length"},
	{e2e.ErrSecret, "cli.error.e2e_secret"},
}

// exitCode is the status oncelink ends with after err: the one place where
// errors become exit statuses.
func exitCode(err error) int {
	var e *exitError
	switch {
	case err == nil:
		return exitDone
	case errors.As(err, &e):
		return e.code
	case errors.Is(err, client.ErrNotLink):
		return exitNotFound
	case errors.Is(err, client.ErrRequestOwner):
		return exitSignedOut
	case errors.Is(err, client.ErrRequestPassword):
		return exitUsage
	case errors.Is(err, errStdoutClosed):
		return exitPipeClosed
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.Status {
		case http.StatusNotFound:
			return exitNotFound
		case http.StatusGone:
			return exitGone
		case http.StatusUnauthorized:
			return exitSignedOut
		}
		return exitFailed
	}
	if e, ok := core.AsError(err); ok {
		switch e.Kind {
		case core.NotFound:
			return exitNotFound
		case core.Gone:
			return exitGone
		case core.Unauthorized:
			return exitSignedOut
		}
	}
	return exitFailed
}

// explain puts some errors in the command line's words, and language
// (that of ctx): a key that the server refused, where the server's speak
// of headers, Ctrl-C, the rules' refusals, the client's errors, and the
// system's and the network's (see saySystem).
func explain(ctx context.Context, err error) error {
	var apiErr *client.APIError
	var e *exitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return saySystem(i18n.From(ctx), err)
	case errors.Is(err, errStdoutClosed):
		return err
	case errors.Is(err, context.Canceled):
		code, id := interruption(ctx)
		return &exitError{code: code, err: errors.New(i18n.T(ctx, id))}
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized && apiErr.Code == core.ErrKeyAccountDisabled.Code:
		// A new key would be refused as this one is.
		return &exitError{code: exitSignedOut, err: errors.New(i18n.T(ctx, "cli.error.account_disabled"))}
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized && apiErr.HasProblem():
		// A 401 without oncelink's problem is a proxy's, that no key
		// of oncelink's would pass: the client's words say so.
		return &exitError{code: exitSignedOut, err: errors.New(i18n.T(ctx, "cli.error.key_refused"))}
	}
	l := i18n.From(ctx)
	if s := saySystem(l, err); s != err {
		return s
	}
	if l.Code == "en" {
		return err
	}
	if ce, ok := core.AsError(err); ok && ce.Error() == err.Error() {
		return &said{err: err, msg: ce.Message(l)}
	}
	for _, c := range clientErrors {
		if errors.Is(err, c.err) {
			return &said{err: err, msg: strings.Replace(err.Error(), c.err.Error(), l.T(c.id), 1)}
		}
	}
	return err
}
