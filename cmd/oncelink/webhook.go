package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"oncelink/client"
	"oncelink/core"
)

// webhookCommands manage the signed-in account's webhook endpoints, as the
// settings page and the API do.
func webhookCommands() []command {
	return []command{
		{name: "list", summary: "cli.cmd.webhook_list", flags: webhookList},
		{name: "add", args: "URL", summary: "cli.cmd.webhook_add", flags: webhookAdd},
		{name: "rotate", args: "ID", summary: "cli.cmd.webhook_rotate", flags: webhookRotate},
		{name: "test", args: "ID", summary: "cli.cmd.webhook_test", flags: webhookTest},
		{name: "deliveries", args: "ID", summary: "cli.cmd.webhook_deliveries", flags: webhookDeliveries},
		{name: "delete", args: "ID", summary: "cli.cmd.webhook_delete", flags: webhookDelete},
	}
}

// webhookList prints the endpoints: oncelink webhook list [--json].
func webhookList(fs *flag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "cli.flag.webhook_list_json")
	return func(ctx context.Context, p *proc, args []string) error {
		if len(args) > 0 {
			return unexpectedArg(p, args[0])
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		hooks, err := c.Webhooks(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(p.stdout, map[string]any{"webhooks": hooks})
		}
		tw := newTable(p.stdout, 2)
		fmt.Fprintln(tw, p.T("cli.webhook.header"))
		for _, h := range hooks {
			status := p.T("cli.webhook.active")
			if h.DisabledAt != nil {
				status = p.T("cli.webhook.disabled")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", h.ID, oneLine(h.URL, "-"), strings.Join(h.Events, ","), status)
		}
		return tw.Flush()
	}
}

// webhookFlags are webhook add's flags by the API field they fill. The
// endpoint's address is the argument URL, named by no flag.
var webhookFlags = map[string]string{"url": "", "events": "--events"}

// webhookAdd adds an endpoint: oncelink webhook add URL --events E,F [--json].
func webhookAdd(fs *flag.FlagSet) runFunc {
	events := fs.String("events", "", "cli.flag.webhook_add_events")
	asJSON := fs.Bool("json", false, "cli.flag.webhook_add_json")
	return func(ctx context.Context, p *proc, args []string) error {
		switch {
		case len(args) == 0:
			return usageError(p.T("cli.webhook.url_missing"))
		case len(args) > 1:
			return unexpectedArg(p, args[1])
		case strings.TrimSpace(*events) == "":
			return usageError(p.T("cli.webhook.events_missing"))
		case len(commaList(*events)) == 0:
			return usageError(p.T("cli.webhook.events_none"))
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		// A fresh key for this endpoint: a create whose answer is lost is
		// sent again (see client.CreateWebhook), and adds no second one.
		h, err := c.CreateWebhook(ctx, client.NewWebhook{URL: args[0], Events: commaList(*events), IdempotencyKey: rand.Text()})
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Code == client.CodeAlreadyCreated {
			// The first create added the endpoint, and its answer, with
			// the only showing of its secret, was lost on the way.
			return &said{err: err, msg: p.T("cli.webhook.made_unseen", "ID", apiErr.ID)}
		}
		if err != nil {
			return namedFlag(p, err, webhookFlags)
		}
		// The secret is shown this once: an endpoint whose secret cannot
		// be written out signs for no one who can check it, and is deleted.
		if !*asJSON {
			fmt.Fprintln(p.stderr, p.T("cli.webhook.secret_once", "ID", h.ID, "URL", oneLine(h.URL, "-")))
		}
		return printMade(ctx, p, *asJSON, h, h.Secret, "cli.webhook.not_printed", func(ctx context.Context) error {
			return c.DeleteWebhook(ctx, h.ID)
		})
	}
}

// webhookRotate gives an endpoint a new secret: oncelink webhook rotate ID [--json].
func webhookRotate(fs *flag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "cli.flag.webhook_rotate_json")
	return func(ctx context.Context, p *proc, args []string) error {
		id, err := webhookID(p, args)
		if err != nil {
			return err
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		// A fresh key for this rotation: one whose answer is lost is sent
		// again (see client.RotateWebhook), and makes no second secret.
		h, err := c.RotateWebhook(ctx, id, rand.Text())
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Code == client.CodeAlreadyCreated {
			// The first rotation made the secret, and its answer, with
			// the only showing of it, was lost on the way.
			return &said{err: err, msg: p.T("cli.webhook.rotated_unseen", "ID", id)}
		}
		if err != nil {
			return webhookError(p, err, id)
		}
		// The new secret is the only copy, and the one it replaced stays
		// in use beside it for a while: a secret not written out is said
		// to be lost rather than left to SIGPIPE's silence.
		defer catchSIGPIPE()()
		if err := printSecret(p, h, *asJSON); err != nil {
			return client.Caused(p.loc, p.T("cli.webhook.rotate_not_printed", "ID", id), err)
		}
		return nil
	}
}

// webhookTest sends an endpoint a test message, switching it on again if
// a 410 had switched it off: oncelink webhook test ID [--json].
func webhookTest(fs *flag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "cli.flag.webhook_test_json")
	return func(ctx context.Context, p *proc, args []string) error {
		id, err := webhookID(p, args)
		if err != nil {
			return err
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		h, err := c.TestWebhook(ctx, id)
		if err != nil {
			return webhookError(p, err, id)
		}
		if *asJSON {
			return printJSON(p.stdout, h)
		}
		fmt.Fprintln(p.stdout, p.T("cli.webhook.tested", "ID", id))
		return nil
	}
}

// printSecret prints an endpoint's secret alone on standard output, for a
// script to keep, and on standard error what it is for.
func printSecret(p *proc, h client.Webhook, asJSON bool) error {
	if asJSON {
		return printJSON(p.stdout, h)
	}
	fmt.Fprintln(p.stderr, p.T("cli.webhook.secret_once", "ID", h.ID, "URL", oneLine(h.URL, "-")))
	_, err := fmt.Fprintln(p.stdout, h.Secret)
	return err
}

// webhookDeliveries lists an endpoint's deliveries: oncelink webhook deliveries ID [--json].
func webhookDeliveries(fs *flag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "cli.flag.webhook_deliveries_json")
	return func(ctx context.Context, p *proc, args []string) error {
		id, err := webhookID(p, args)
		if err != nil {
			return err
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		ds, err := c.WebhookDeliveries(ctx, id)
		if err != nil {
			return webhookError(p, err, id)
		}
		if *asJSON {
			return printJSON(p.stdout, map[string]any{"deliveries": ds})
		}
		tw := newTable(p.stdout, 2)
		fmt.Fprintln(tw, p.T("cli.webhook.deliveries_header"))
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", d.CreatedAt.UTC().Format(time.DateTime+" UTC"), d.Type, deliveryStatus(p, d.Status), d.Attempts, lastAnswer(p, d))
		}
		return tw.Flush()
	}
}

// deliveryStatus is a delivery's status in the reader's language.
func deliveryStatus(p *proc, status string) string {
	switch status {
	case core.DeliveryDelivered:
		return p.T("cli.webhook.status.delivered")
	case core.DeliveryPending:
		return p.T("cli.webhook.status.pending")
	case core.DeliveryFailed:
		return p.T("cli.webhook.status.failed")
	}
	return status
}

// lastAnswer is what the endpoint last answered, or what went wrong: in
// the reader's language where oncelink says it, else as the network said.
func lastAnswer(p *proc, d client.Delivery) string {
	switch {
	case d.LastError == core.EndpointDisabled: // whatever an earlier attempt got
		return p.T("cli.webhook.endpoint_disabled")
	case d.LastError == core.AccountDisabled:
		return p.T("cli.webhook.account_disabled")
	case d.LastCode != nil && *d.LastCode == http.StatusGone:
		return p.T("cli.webhook.gone_disabled")
	case d.LastCode != nil:
		return strconv.Itoa(*d.LastCode)
	case d.LastError != "":
		return oneLine(d.LastError, "-")
	}
	return "-"
}

// webhookDelete deletes an endpoint: oncelink webhook delete ID.
func webhookDelete(*flag.FlagSet) runFunc {
	return func(ctx context.Context, p *proc, args []string) error {
		id, err := webhookID(p, args)
		if err != nil {
			return err
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		if err := c.DeleteWebhook(ctx, id); err != nil {
			return webhookError(p, err, id)
		}
		fmt.Fprintln(p.stdout, p.T("cli.webhook.deleted", "ID", id))
		return nil
	}
}

// webhookID is the ID argument of rotate, test, deliveries and delete.
func webhookID(p *proc, args []string) (int64, error) {
	return idArg(p, args, "cli.webhook.id_missing", "cli.webhook.bad_id")
}

// webhookError says which endpoint is not the account's.
func webhookError(p *proc, err error, id int64) error {
	return notYours(p, err, "cli.webhook.not_yours", id)
}
