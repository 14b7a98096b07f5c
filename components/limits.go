package components

// Limits on what the forms take, written once for the forms and for the
// handlers, which check them. A browser's maxlength counts characters, so
// for the byte limits it is only a first check: the handlers' is the one
// that holds.
const (
	MaxUsernameLen   = 64 // characters
	MinPasswordLen   = 10 // characters, of an account's password
	MaxPasswordBytes = 72 // bcrypt's limit: it would cut a longer password
	MaxMessageBytes  = 64 << 10
	MaxURLLen        = 4096
	MaxLabelLen      = 100 // characters, of a label and of a search
	MaxUses          = 100
)
