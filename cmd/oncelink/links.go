package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"oncelink/client"
	"oncelink/core"
)

// linksCommand lists the signed-in account's links, newest first:
// oncelink links [--status S] [--find TEXT] [--json].
func linksCommand(fs *flag.FlagSet) runFunc {
	status := fs.String("status", "", "cli.flag.links_status")
	find := fs.String("find", "", "cli.flag.links_find")
	asJSON := fs.Bool("json", false, "cli.flag.links_json")
	return func(ctx context.Context, p *proc, args []string) error {
		if len(args) > 0 {
			return unexpectedArg(p, args[0])
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		links := []client.Link{}
		q := client.LinkQuery{Status: *status, Query: *find, Limit: 100}
		for {
			page, err := c.Links(ctx, q)
			if err != nil {
				return namedFlag(p, err, map[string]string{"status": "--status", "q": "--find"})
			}
			links = append(links, page.Links...)
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		if *asJSON {
			return printJSON(p.stdout, map[string]any{"links": links})
		}
		tw := newTable(p.stdout, 2)
		fmt.Fprintln(tw, p.T("cli.links.header"))
		for _, l := range links {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\n", l.ID, shortened(oneLine(l.Label, "-"), labelWidth), l.Kind, l.Status, l.Uses, l.MaxUses, l.ExpiresAt.UTC().Format(tableTime))
		}
		return tw.Flush()
	}
}

// linkID is the ID argument of revoke and events.
func linkID(p *proc, args []string) (int64, error) {
	return idArg(p, args, "cli.links.id_missing", "cli.links.bad_id")
}

// idArg is a command's one argument, the ID of one of the account's
// things; missing and bad are the messages that say it is missing or no ID.
// An ID is read as the server reads one in an address (core.ParseID): 007
// and +7 name no link, rather than link 7.
func idArg(p *proc, args []string, missing, bad string) (int64, error) {
	switch {
	case len(args) == 0:
		return 0, usageError(p.T(missing))
	case len(args) > 1:
		return 0, unexpectedArg(p, args[1])
	}
	id, err := core.ParseID(args[0])
	if err != nil {
		return 0, usageError(p.T(bad, "Arg", p.loc.Quote(args[0])))
	}
	return id, nil
}

// revokeCommand ends a link at once: oncelink revoke ID.
func revokeCommand(*flag.FlagSet) runFunc {
	return func(ctx context.Context, p *proc, args []string) error {
		id, err := linkID(p, args)
		if err != nil {
			return err
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		// Read first: a link that is over already is left as it is, and
		// the command says how it ended rather than that it revoked it.
		l, err := c.Link(ctx, id)
		now := false
		if err == nil && l.Status == "active" {
			l, err = c.Revoke(ctx, id)
			now = l.Status == "revoked"
		}
		return revokeWords.say(p, err, now, id, l.Status, l.Label)
	}
}

// revokeWords are what revoke says.
var revokeWords = endWords{notYours: "cli.links.not_yours", done: "cli.links.revoked", doneLabelled: "cli.links.revoked_labelled",
	over: map[string]string{"used": "cli.links.revoke_used", "expired": "cli.links.revoke_expired", "revoked": "cli.links.revoke_revoked"}}

// endWords are the messages of a command that ends one of the account's
// things at once (revoke, withdraw): that it did, with the thing's label
// if it has one; by the status it was found in, that it was over already
// and nothing changed; that the account has no such thing.
type endWords struct {
	notYours, done, doneLabelled string
	over                         map[string]string
}

// say tells what ending thing id did: ended is whether this command ended
// it, status and label are what it was found as or left in.
func (w endWords) say(p *proc, err error, ended bool, id int64, status, label string) error {
	switch {
	case err != nil:
		return notYours(p, err, w.notYours, id)
	case !ended:
		fmt.Fprintln(p.stderr, p.T(w.over[status], "ID", id))
	case label == "":
		fmt.Fprintln(p.stdout, p.T(w.done, "ID", id))
	default:
		fmt.Fprintln(p.stdout, p.T(w.doneLabelled, "ID", id, "Label", oneLine(label, "")))
	}
	return nil
}

// eventsCommand prints a link's audit trail: oncelink events ID [--json].
func eventsCommand(fs *flag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "cli.flag.events_json")
	return func(ctx context.Context, p *proc, args []string) error {
		id, err := linkID(p, args)
		if err != nil {
			return err
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		events, err := c.LinkEvents(ctx, id)
		if err != nil {
			return linkError(p, err, id)
		}
		if *asJSON {
			return printJSON(p.stdout, map[string]any{"events": events})
		}
		tw := newTable(p.stdout, 2)
		fmt.Fprintln(tw, p.T("cli.events.header"))
		for _, e := range events {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.DateTime+" UTC"), e.Kind, oneLine(e.IP, "-"), p.browser(e.UserAgent))
		}
		return tw.Flush()
	}
}

// linkError says which link is not the account's, where the server's
// words are for a recipient.
func linkError(p *proc, err error, id int64) error {
	return notYours(p, err, "cli.links.not_yours", id)
}

// notYours turns the server's 404 for thing id into the message notFound,
// which says the account has no such thing and where to find its own. A
// 404 that is not oncelink's (a web page's, from an address in front of
// it) says nothing of id, and is left to say so.
func notYours(p *proc, err error, notFound string, id int64) error {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && apiErr.HasProblem() {
		return &exitError{code: exitNotFound, err: errors.New(p.T(notFound, "ID", id))}
	}
	return err
}

// labelWidth is as much of a label as the links and requests tables show:
// a long one would push every row's other columns off a terminal's line.
const labelWidth = 40

// tableTime is how the tables show a time: to the minute, in UTC.
const tableTime = "2006-01-02 15:04 UTC"

// shortened is s cut to max columns of a terminal (see displayWidth), the
// last of them an ellipsis. A character is kept with its accents or cut
// with them.
func shortened(s string, max int) string {
	if displayWidth(s) <= max {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > max-1 {
			break
		}
		w += rw
		b.WriteRune(r)
	}
	return b.String() + "…"
}

// printJSON writes v as indented JSON, with <, > and & as they are: the
// output is read by programs and people, not put in a web page.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// oneLine is s fit for a table's cell or a line: runs of spaces, tabs and
// line breaks as one space (see client.OneLine), nothing a terminal acts
// on, and empty as none.
func oneLine(s, none string) string {
	s = printable(client.OneLine(s))
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}
