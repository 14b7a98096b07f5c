package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"oncelink/client"
	"oncelink/core"
)

// The exit statuses scripts can rely on; SPEC part 2 fixes them.
const (
	exitDone      = 0 // done
	exitFailed    = 1 // any other error
	exitUsage     = 2 // a wrong command, flag or argument
	exitGone      = 3 // the link was used, expired or revoked
	exitNotFound  = 4 // no such link or account
	exitSignedOut = 5 // not signed in, or the key was refused
	// exitInterrupted is a command stopped by Ctrl-C, 128 and SIGINT's
	// number as shells report it.
	exitInterrupted = 130
)

// exitError is an error that ends oncelink with its code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError reports a wrong command, flag or argument: exit status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
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

// explain puts some errors in the command line's words: a key that the
// server refused, where the server's speak of headers, and Ctrl-C.
func explain(err error) error {
	var apiErr *client.APIError
	var e *exitError
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, context.Canceled):
		return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
		return &exitError{code: exitSignedOut, err: fmt.Errorf("the server refused the API key: it is unknown, expired or revoked, or its account is disabled. " +
			`Run "oncelink login URL" with a new key (make one under Settings, or with oncelink user key NAME)`)}
	}
	return err
}
