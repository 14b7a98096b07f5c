package main

import (
	"flag"

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
		return &badValue{"cli.flag_error.rate"}
	}
	*f.r = r
	return nil
}

// rateFlags adds a flag for each rate limit, with core.DefaultRates as
// the defaults.
func rateFlags(fs *flag.FlagSet, r *core.Rates) {
	*r = core.DefaultRates
	fs.Var(rateFlag{&r.SignIn}, "rate-signin", "cli.flag.rate_signin")
	fs.Var(rateFlag{&r.SignInAccount}, "rate-signin-account", "cli.flag.rate_signin_account")
	fs.Var(rateFlag{&r.Setup}, "rate-setup", "cli.flag.rate_setup")
	fs.Var(rateFlag{&r.Open}, "rate-open", "cli.flag.rate_open")
	fs.Var(rateFlag{&r.LinkPassword}, "rate-link-password", "cli.flag.rate_link_password")
	fs.Var(rateFlag{&r.LinkPasswordClient}, "rate-link-password-client", "cli.flag.rate_link_password_client")
	fs.Var(rateFlag{&r.API}, "rate-api", "cli.flag.rate_api")
	fs.Var(rateFlag{&r.APIKeyClient}, "rate-api-key-client", "cli.flag.rate_api_key_client")
}
