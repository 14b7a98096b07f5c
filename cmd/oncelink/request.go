package main

import (
	"context"
	"flag"
	"fmt"

	"oncelink/client"
)

// requestCommand asks for a secret and prints the request's URL:
// oncelink request [--label L] [--note N] [--accepts text|file|any] [--ttl D].
func requestCommand(fs *flag.FlagSet) runFunc {
	var in client.NewRequest
	fs.StringVar(&in.Label, "label", "", "a `LABEL` that only you see")
	fs.StringVar(&in.Note, "note", "", "a `NOTE` shown to the sender")
	fs.StringVar(&in.Accepts, "accepts", "any", "what may be sent: `text`, file or any")
	fs.StringVar(&in.TTL, "ttl", "", "how long the request waits, such as 2h or 7d (`DURATION`; the server's default is 1d)")
	asJSON := fs.Bool("json", false, "print the request object of the API, with its url, as JSON")
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
			return err
		}
		if *asJSON {
			return printJSON(p.stdout, r)
		}
		_, err = fmt.Fprintln(p.stdout, r.URL)
		return err
	}
}
