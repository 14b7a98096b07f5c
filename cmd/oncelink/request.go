package main

import (
	"context"
	"flag"
	"fmt"

	"oncelink/client"
)

// requestFlags are request's flags by the API field they fill.
var requestFlags = map[string]string{"label": "--label", "note": "--note", "accepts": "--accepts", "ttl": "--ttl"}

// requestCommand asks for a secret and prints the request's URL:
// oncelink request [--label L] [--note N] [--accepts text|file|any] [--ttl D].
func requestCommand(fs *flag.FlagSet) runFunc {
	var in client.NewRequest
	fs.StringVar(&in.Label, "label", "", "cli.flag.request_label")
	fs.StringVar(&in.Note, "note", "", "cli.flag.request_note")
	fs.StringVar(&in.Accepts, "accepts", "any", "cli.flag.request_accepts")
	fs.StringVar(&in.TTL, "ttl", "", "cli.flag.request_ttl")
	asJSON := fs.Bool("json", false, "cli.flag.request_json")
	return func(ctx context.Context, p *proc, args []string) error {
		if len(args) > 0 {
			return unexpectedArg(p, args[0])
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		r, err := c.CreateRequest(ctx, in)
		if err != nil {
			return namedFlag(err, requestFlags)
		}
		if *asJSON {
			err = printJSON(p.stdout, r)
		} else {
			_, err = fmt.Fprintln(p.stdout, r.URL)
		}
		if err != nil {
			// As with share: the output was the only copy of the
			// request's address, and a request no one can reach is
			// revoked rather than left open.
			if _, rerr := c.RevokeRequest(context.WithoutCancel(ctx), r.ID); rerr == nil {
				return fmt.Errorf("%s: %w", p.T("cli.request.not_printed"), err)
			}
		}
		return err
	}
}
