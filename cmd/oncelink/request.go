package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"strconv"

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
		if err := textOnly("label", in.Label, "note", in.Note); err != nil {
			return refusedFlag(p, err, requestFlags)
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		// A fresh key for this request: a create whose answer is lost is
		// sent again (see client.CreateRequest), and makes no second one.
		in.IdempotencyKey = rand.Text()
		r, err := c.CreateRequest(ctx, in)
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Code == client.CodeAlreadyCreated {
			// The first create made the request, and its answer, with the
			// only copy of the address, was lost on the way.
			return &said{err: err, msg: p.T("cli.request.made_unseen", "ID", apiErr.ID)}
		}
		if errors.Is(err, client.ErrOutcomeUnknown) {
			return maybeMade(ctx, p, err, p.T("cli.request.maybe_made", "Find", "oncelink requests --status open"))
		}
		if err != nil {
			return namedFlag(p, err, requestFlags)
		}
		return printMade(ctx, p, *asJSON, r, r.URL, "cli.request.not_printed", func(ctx context.Context) error {
			_, err := c.RevokeRequest(ctx, r.ID)
			return err
		})
	}
}

// requestsCommand lists the signed-in account's requests, newest first:
// oncelink requests [--status S] [--json].
func requestsCommand(fs *flag.FlagSet) runFunc {
	status := fs.String("status", "", "cli.flag.requests_status")
	asJSON := fs.Bool("json", false, "cli.flag.requests_json")
	return func(ctx context.Context, p *proc, args []string) error {
		if len(args) > 0 {
			return unexpectedArg(p, args[0])
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		requests := []client.Request{}
		q := client.RequestQuery{Status: *status, Limit: 100}
		for {
			page, err := c.Requests(ctx, q)
			if err != nil {
				return namedFlag(p, err, map[string]string{"status": "--status"})
			}
			requests = append(requests, page.Requests...)
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		if *asJSON {
			return printJSON(p.stdout, map[string]any{"requests": requests})
		}
		tw := newTable(p.stdout, 2)
		fmt.Fprintln(tw, p.T("cli.requests.header"))
		for _, r := range requests {
			// The link that holds what was sent, once something was.
			link := "-"
			if r.LinkID != nil {
				link = strconv.FormatInt(*r.LinkID, 10)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, shortened(oneLine(r.Label, "-"), labelWidth), r.Accepts, r.Status, link, r.ExpiresAt.UTC().Format(tableTime))
		}
		return tw.Flush()
	}
}

// withdrawCommand ends a request at once, so that nothing more can be sent
// to it: oncelink withdraw ID.
func withdrawCommand(*flag.FlagSet) runFunc {
	return func(ctx context.Context, p *proc, args []string) error {
		id, err := idArg(p, args, "cli.requests.id_missing", "cli.requests.bad_id")
		if err != nil {
			return err
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		// Read first, as revoke does: a request that is over already is
		// left as it is, and the command says how it ended rather than
		// that it withdrew it.
		r, err := c.Request(ctx, id)
		now := false
		if err == nil && r.Status == "open" {
			r, err = c.RevokeRequest(ctx, id)
			now = r.Status == "revoked"
		}
		return withdrawWords.say(p, err, now, id, r.Status, r.Label)
	}
}

// withdrawWords are what withdraw says.
var withdrawWords = endWords{notYours: "cli.requests.not_yours", done: "cli.requests.withdrew", doneLabelled: "cli.requests.withdrew_labelled",
	over: map[string]string{"fulfilled": "cli.requests.withdraw_fulfilled", "expired": "cli.requests.withdraw_expired",
		"revoked": "cli.requests.withdraw_revoked"}}
