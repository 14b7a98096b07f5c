package core

import (
	"fmt"
	"time"
)

// Limits on what a link or an account may be: the rules check them, and
// the adapters show them (a form's maxlength, the API's document). Limits
// of one part alone sit beside its rules, such as MaxNoteLen and
// MaxWebhooks. A browser's maxlength counts neither bytes nor characters
// but UTF-16 code units: a form checks the limits below that it shows as
// a person types with the rules' own count and refusal (see
// ErrMessageTooLong and TextTooLong), and the rules' check is the one
// that holds.
const (
	MaxUsernameLen   = 64 // characters
	MinPasswordLen   = 10 // characters, of an account's password
	MaxPasswordBytes = 72 // bcrypt's limit: it would cut a longer password
	MaxMessageBytes  = 64 << 10
	MaxURLLen        = 4096
	MaxLabelLen      = 100 // characters, of a label and of a search
	MaxUses          = 100
	MaxAPIKeys       = 20  // per account, not counting revoked or expired keys
	MaxKeyNameLen    = 100 // characters
	MaxPageSize      = 100 // links or requests in one page of a list
	// MaxHeaderBytes bounds a request's line and headers together, as
	// the server counts them: the adapters refuse more in their own words,
	// and net/http itself refuses four times as much, unread.
	MaxHeaderBytes = 64 << 10
)

// The refusals of the limits a form checks before it is sent, as the
// rules refuse them, so that the page says what the server would.
var (
	// ErrMessageTooLong refuses a message over MaxMessageBytes of UTF-8.
	ErrMessageTooLong = invalid("message_too_long", "message", "Size", Size(MaxMessageBytes))
	// ErrLinkPasswordTooLong refuses a link password over
	// MaxPasswordBytes of UTF-8, which no link can have.
	ErrLinkPasswordTooLong = invalidAs("password_too_long", "link", "password", "Count", MaxPasswordBytes)
	// ErrPasswordTooLong refuses an account's password over
	// MaxPasswordBytes of UTF-8, which bcrypt would not read whole.
	ErrPasswordTooLong = invalidAs("password_too_long", "account", "password", "Count", MaxPasswordBytes)
	// ErrURLTooLong refuses a web address over MaxURLLen bytes.
	ErrURLTooLong = invalid("url_too_long", "url", "Count", MaxURLLen)
)

// TextTooLong refuses text for field (a label, a note, a search, a name)
// over max characters, counted as Unicode code points.
func TextTooLong(field string, max int) *Error {
	return invalid(tooLong[field], field, "Count", max)
}

// LimitSize writes a limit exactly, in the largest unit that divides it:
// 2 GiB, 25 MiB, 1500 KiB, 1000 bytes. A limit rounded to look tidy would
// be a limit the server does not keep.
func LimitSize(n int64) string {
	if count, unit := limitUnit(n); unit != "" {
		return fmt.Sprintf("%d %s", count, unit)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limitUnit is the largest unit that divides n, and n counted in it: 25,
// "MiB"; n and "" when none does, and n is counted in bytes.
func limitUnit(n int64) (int64, string) {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return n >> 30, "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return n >> 20, "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return n >> 10, "KiB"
	}
	return n, ""
}

// How long a request's body may take to arrive. A client that sends a body
// a byte at a time holds a connection, and an open file, for as long as the
// server waits for it: the adapters give a form DefaultFormTime from the
// request's start, as the server gives its headers ten seconds, and a form
// with a file as long again as its size takes at MinUploadRate.
const (
	DefaultFormTime = 30 * time.Second
	// MinUploadRate is the slowest upload waited for, in bytes a second:
	// 64 KiB/s, half a megabit a second. A 25 MiB file then has about
	// seven minutes.
	MinUploadRate = 64 << 10
	// MaxUploadsPerClient bounds one client's uploads under way at once.
	MaxUploadsPerClient = 4
)

// FormTime is how long a form's body may take to arrive.
func (s *Service) FormTime() time.Duration { return s.cfg.FormTime }

// UploadTime is how long a create form with a file may take to arrive,
// given its Content-Length (-1 when unknown): FormTime, and its size at
// MinUploadRate, counting at most the largest form the server takes.
func (s *Service) UploadTime(contentLength int64) time.Duration {
	largest := s.LargestForm()
	if contentLength < 0 || contentLength > largest {
		contentLength = largest
	}
	return s.cfg.FormTime + time.Duration(contentLength)*time.Second/MinUploadRate
}
