package main

import (
	"flag"
	"fmt"

	"oncelink/core"
)

// rateFlag reads a core.Rate: "10/1m", "10/m" or "off".
type rateFlag struct{ r *core.Rate }

func (f rateFlag) String() string {
	if f.r == nil {
		return ""
	}
	return f.r.String()
}

func (f rateFlag) Set(s string) error {
	r, err := core.ParseRate(s)
	if err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	*f.r = r
	return nil
}

// rateFlags adds a flag for each rate limit, with core.DefaultRates as
// the defaults.
func rateFlags(fs *flag.FlagSet, r *core.Rates) {
	*r = core.DefaultRates
	fs.Var(rateFlag{&r.SignIn}, "rate-signin", "sign-in attempts per client: N/DURATION or off")
	fs.Var(rateFlag{&r.SignInAccount}, "rate-signin-account", "sign-in attempts per account name, from any client")
	fs.Var(rateFlag{&r.Setup}, "rate-setup", "set-up attempts per client")
	fs.Var(rateFlag{&r.Open}, "rate-open", "link page views and opens per client")
	fs.Var(rateFlag{&r.LinkPassword}, "rate-link-password", "password attempts per link, from any client")
	fs.Var(rateFlag{&r.LinkPasswordClient}, "rate-link-password-client", "link password attempts per client")
	fs.Var(rateFlag{&r.API}, "rate-api", "API requests per account")
}
