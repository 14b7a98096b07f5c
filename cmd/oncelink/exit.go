package main

import (
	"errors"
	"fmt"

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
