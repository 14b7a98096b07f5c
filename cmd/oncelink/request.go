package main

import (
	"context"
	"flag"

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
		return printMade(ctx, p, *asJSON, r, r.URL, "cli.request.not_printed", func(ctx context.Context) error {
			_, err := c.RevokeRequest(ctx, r.ID)
			return err
		})
	}
}
