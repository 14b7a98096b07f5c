package core

import "fmt"

// Limits on what a link or an account may be, written once: the rules
// check them, and the adapters show them (a form's maxlength, the API's
// document). A browser's maxlength counts characters, so for the byte
// limits it is only a first check: the rules' is the one that holds.
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
	MaxPageSize      = 100 // links in one page of a list
)

// LimitSize writes a limit exactly, in the largest unit that divides it:
// 2 GiB, 25 MiB, 1500 KiB, 1000 bytes. A limit rounded to look tidy would
// be a limit the server does not keep.
func LimitSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
