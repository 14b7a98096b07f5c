package components

// Limits on what the forms take. The forms ask them of the browser and
// the handlers check them again, so each is written once, here.
const (
	MaxUsernameLen   = 64 // characters
	MinPasswordLen   = 10 // characters, of an account's password
	MaxPasswordBytes = 72 // bcrypt's limit: it would cut a longer password
	MaxMessageBytes  = 64 << 10
	MaxURLLen        = 4096
	MaxLabelLen      = 100 // characters, of a label and of a search
	MaxUses          = 100
)
