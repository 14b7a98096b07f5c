package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"oncelink/client"
	"oncelink/core"
)

// maxStdinMessage bounds a message read from standard input. The server
// takes 64 KiB, and says so; more than this is surely a file.
const maxStdinMessage = 1 << 20

// shareFlags are share's flags by the API field they fill, to name the one
// at fault when the server refuses a field. The message, from TEXT or
// standard input, is named by none: the server's words about it name it.
var shareFlags = map[string]string{
	"url": "--url", "file": "--file", "ttl": "--ttl", "max_uses": "--uses",
	"password": "--password-stdin", "for_user": "--for", "label": "--label",
	"notify": "--notify", "message": "",
}

// namedFlag is err, a refusal of the server's about a field, with the flag
// that set that field before it, among flags (the flags by the field they
// fill; "" for a field that no flag sets), so that the reader knows which
// to mend. A value the server found bad is a usage error, as one the
// command line finds bad itself.
func namedFlag(p *proc, err error, flags map[string]string) error {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		if name, ok := flags[apiErr.Field]; ok {
			if name != "" {
				err = &said{err: err, msg: p.T("cli.flag_error.refused", "Flag", name, "Message", err.Error())}
			}
			if apiErr.Status == http.StatusBadRequest || apiErr.Status == http.StatusRequestEntityTooLarge {
				err = &exitError{code: exitUsage, err: err}
			}
		}
	}
	return err
}

// shareCommand creates a link: oncelink share [TEXT] [flags]. Standard
// output gets the link's URL and nothing else, so that
// url=$(oncelink share < secret.txt) works.
func shareCommand(fs *flag.FlagSet) runFunc {
	file := fs.String("file", "", "cli.flag.share_file")
	name := fs.String("name", "", "cli.flag.share_name")
	address := fs.String("url", "", "cli.flag.share_url")
	ttl := fs.String("ttl", "", "cli.flag.share_ttl")
	uses := new(int)
	*uses = 1
	fs.Var(wholeFlag{uses}, "uses", "cli.flag.share_uses")
	passwordStdin := fs.Bool("password-stdin", false, "cli.flag.share_password_stdin")
	forUser := fs.String("for", "", "cli.flag.share_for")
	label := fs.String("label", "", "cli.flag.share_label")
	notifyMe := fs.Bool("notify", false, "cli.flag.share_notify")
	asJSON := fs.Bool("json", false, "cli.flag.share_json")
	endToEnd := fs.Bool("e2e", false, "cli.flag.share_e2e")
	wait := fs.Bool("wait", false, "cli.flag.share_wait")
	return func(ctx context.Context, p *proc, args []string) error {
		sources := 0
		for _, given := range []bool{len(args) > 0, *file != "", *address != ""} {
			if given {
				sources++
			}
		}
		// TEXT "-" is standard input, as --file - is: a link to the
		// message "-" would be a link wasted.
		fromStdin := len(args) == 1 && args[0] == "-"
		switch {
		case len(args) > 1:
			return usageError(p.T("cli.share.unexpected", "Arg", p.loc.Quote(args[1])))
		case sources > 1:
			return usageError(p.T("cli.share.one_thing"))
		case (sources == 0 || fromStdin) && *passwordStdin:
			return usageError(p.T("cli.share.password_needs_text"))
		case *file == "-" && *passwordStdin:
			return usageError(p.T("cli.share.stdin_twice"))
		case *name != "" && *file == "":
			return usageError(p.T("cli.share.name_needs_file"))
		case !core.UsesAllowed(*uses):
			return usageError(p.T("cli.share.uses_range", "Max", core.MaxUses))
		}
		if err := textOnly("label", *label, "for_user", *forUser); err != nil {
			return refusedFlag(p, err, shareFlags)
		}
		c, err := signedIn(p)
		if err != nil {
			return err
		}
		in := client.NewLink{URL: *address, TTL: *ttl, MaxUses: *uses, ForUser: *forUser, Label: *label, Notify: *notifyMe}
		if *passwordStdin {
			if in.Password, err = readSecret(ctx, p.stdin, p.stderr, p.T("cli.share.password_prompt")+" "); err != nil {
				return err
			}
			if in.Password == "" {
				return usageError(p.T("cli.share.password_empty"))
			}
			if err := textOnly("password", in.Password); err != nil {
				return refusedFlag(p, err, shareFlags)
			}
		}
		switch {
		case len(args) == 1 && !fromStdin:
			in.Message = args[0]
		case *file != "":
			f, err := openUpload(ctx, p, *file)
			var missing *os.PathError
			if errors.As(err, &missing) {
				// Not there, or not readable: the flag's value is at fault.
				return &exitError{code: exitUsage, err: fmt.Errorf("--file: %w", err)}
			}
			if err != nil {
				return refusedFlag(p, err, shareFlags)
			}
			defer f.Close()
			if err := fitsUpload(ctx, p, c, f.size, *endToEnd); err != nil {
				return err
			}
			// The file itself, which a create sent again reads again
			// from its start; what streams cannot be.
			in.File, in.FileName = f.Reader, cmp.Or(*name, uploadName(*file))
		case *address == "":
			if in.Message, err = readMessage(ctx, p); err != nil {
				return err
			}
		}
		if in.File == nil && !utf8.ValidString(in.Message) {
			// JSON would carry it changed: U+FFFD for every byte that is
			// not UTF-8.
			return usageError(p.T("cli.share.not_text"))
		}
		if *endToEnd && in.File == nil {
			// The server cannot check what it cannot read.
			kind := core.KindMessage
			if *address != "" {
				kind = core.KindURL
			}
			content, err := core.CheckContent(kind, in.Message, in.URL)
			if err != nil {
				return refusedFlag(p, err, shareFlags)
			}
			if kind == core.KindURL {
				in.URL = string(content)
			}
		}
		// A fresh key for this link: a create whose answer is lost is sent
		// again (see client.CreateLink), and makes no second link.
		in.IdempotencyKey = rand.Text()
		var l client.Link
		if *endToEnd {
			l, err = c.CreateE2ELink(ctx, in)
		} else {
			l, err = c.CreateLink(ctx, in)
		}
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Code == client.CodeAlreadyCreated {
			// The first create made the link, and its answer, with the
			// only copy of the address, was lost on the way.
			return &said{err: err, msg: p.T("cli.share.made_unseen", "ID", apiErr.ID)}
		}
		if errors.Is(err, client.ErrOutcomeUnknown) {
			find := "oncelink links --status active"
			if *label != "" {
				find += " --find " + shQuote(*label)
			}
			return maybeMade(ctx, p, err, p.T("cli.share.maybe_made", "Find", find))
		}
		if err != nil {
			return namedFlag(p, err, shareFlags)
		}
		err = printMade(ctx, p, *asJSON, l, l.URL, "cli.share.not_printed", func(ctx context.Context) error {
			_, err := c.Revoke(ctx, l.ID)
			return err
		})
		if err != nil {
			return err
		}
		if !*wait {
			return nil
		}
		return waitForOpen(ctx, p, c, l)
	}
}

// textOnly refuses, as the server refuses it (core.NotText), the first of
// the values, each given after its field's name, that is not UTF-8: sent
// as JSON, it would arrive changed, with U+FFFD for each byte that is not,
// and the link or request would be made with a label no one typed.
func textOnly(fieldsAndValues ...string) error {
	for i := 0; i+1 < len(fieldsAndValues); i += 2 {
		if !utf8.ValidString(fieldsAndValues[i+1]) {
			return core.NotText(fieldsAndValues[i])
		}
	}
	return nil
}

// maybeMade is err, a create that got no answer (client.ErrOutcomeUnknown),
// said as msg: what it sent may have been made, and how to find and end
// it. Interrupted (Ctrl-C in the pause before it was sent again), it says
// so first, and exits as an interruption does.
func maybeMade(ctx context.Context, p *proc, err error, msg string) error {
	if errors.Is(err, context.Canceled) {
		code, id := interruption(ctx)
		return &exitError{code: code, err: &said{err: err, msg: p.T("cli.error.caused", "What", p.T(id), "Cause", msg)}}
	}
	return &said{err: err, msg: msg}
}

// upload is the file to share, read as it is sent, and its size, or -1
// when it streams and none can tell.
type upload struct {
	io.Reader
	io.Closer
	size int64
}

// fitsUpload refuses a file of size bytes (-1 when not known) that is
// larger than the server c takes, as the server would, before a byte of it
// is sent: a large file would otherwise go out whole, or up to the
// server's limit, to be refused. The limit is the one /api/v1/me tells;
// when it cannot be learnt, the server alone checks the file.
func fitsUpload(ctx context.Context, p *proc, c *client.Client, size int64, endToEnd bool) error {
	if size < 0 {
		return nil
	}
	me, err := c.Me(ctx)
	if err != nil {
		return nil // the upload meets the same trouble, and says it
	}
	limit, largest := me.MaxUpload, me.MaxUpload
	if endToEnd {
		limit, largest = me.MaxE2EUpload, core.LargestE2EFile(me.MaxE2EUpload)
	}
	if limit <= 0 || size <= largest {
		return nil
	}
	refusal := core.FileTooLarge(limit, endToEnd)
	return usageError(p.T("cli.flag_error.refused", "Flag", "--file", "Message", refusal.Message(p.loc)))
}

// openUpload opens the file to share: a regular file, a named pipe, or
// standard input for "-" when that is not a terminal. A directory or a
// device would fail halfway through the upload, or never end. What
// streams is refused when it is empty, as a file of no bytes is, and read
// until ctx ends.
func openUpload(ctx context.Context, p *proc, path string) (*upload, error) {
	if path == "-" {
		if isTerminal(p.stdin) {
			return nil, usageError(p.T("cli.share.stdin_terminal"))
		}
		return streamed(ctx, p.stdin, io.NopCloser(p.stdin)) // standard input stays open
	}
	// A named pipe opens once a writer opens it, or not before Ctrl-C.
	f, err := interruptible(ctx, func() (*os.File, error) { return os.Open(path) })
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	switch {
	case err != nil:
	case st.Mode()&os.ModeNamedPipe != 0:
		return streamed(ctx, f, f)
	case !st.Mode().IsRegular():
		err = usageError(p.T("cli.flag_error.refused", "Flag", "--file", "Message", p.T("cli.share.not_a_file", "Path", path)))
	case st.Size() == 0:
		// Empty, or a file that does not know its size before it is
		// read, as those of /proc and /sys: streamed, it says which.
		return streamed(ctx, f, f)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &upload{f, f, st.Size()}, nil
}

// streamed is the upload of r, closed by c, once its first byte has come.
// A writer that sends nothing more does not hold it past Ctrl-C: its reads
// end with ctx.
func streamed(ctx context.Context, r io.Reader, c io.Closer) (*upload, error) {
	br := bufio.NewReader(&stoppable{ctx: ctx, r: r})
	if _, err := br.Peek(1); err != nil {
		c.Close()
		if errors.Is(err, io.EOF) {
			err = core.ErrFileEmpty
		}
		return nil, err
	}
	return &upload{br, c, -1}, nil
}

// uploadName is the name a shared file goes by when --name gives none:
// its own, or "stdin" for standard input.
func uploadName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return filepath.Base(path)
}

// readMessage reads the message to share from standard input, whole.
func readMessage(ctx context.Context, p *proc) (string, error) {
	if isTerminal(p.stdin) {
		fmt.Fprintln(p.stderr, p.T("cli.share.type_message"))
	}
	b, err := interruptible(ctx, func() ([]byte, error) { return io.ReadAll(io.LimitReader(p.stdin, maxStdinMessage+1)) })
	switch {
	case errors.Is(err, context.Canceled):
		return "", err
	case err != nil:
		return "", client.Caused(p.loc, p.T("cli.share.read_stdin"), err)
	case len(b) > maxStdinMessage:
		return "", usageError(p.T("cli.share.stdin_too_large"))
	case len(b) == 0:
		return "", usageError(p.T("cli.share.stdin_empty"))
	}
	return string(b), nil
}

// waitForOpen waits until link l is opened, and tells w when, from where
// and with which browser. A link that dies unopened ends the wait with
// exit status 3; an interrupt leaves the link as it is.
func waitForOpen(ctx context.Context, p *proc, c *client.Client, l client.Link) error {
	w := p.stderr
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The stream sends the link as it is once it is up, so an open
	// between the create and now is not missed.
	id := strconv.FormatInt(l.ID, 10)
	stream, err := c.Events(ctx, client.Follow{
		Watch: []int64{l.ID},
		Lost: func(err error) {
			fmt.Fprintln(w, "oncelink:", p.T("cli.share.lost", "ID", id, "Err", saySystem(p.loc, err)))
		},
		Back: func() { fmt.Fprintln(w, "oncelink:", p.T("cli.share.back", "ID", id)) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, p.T("cli.share.waiting", "ID", id))
	for now := range stream.C {
		switch {
		case now.ID != l.ID:
			continue
		case now.Uses > l.Uses:
			return tellOpen(ctx, p, c, now)
		case now.Status != "active":
			return &exitError{code: exitGone, err: errors.New(p.T(diedUnopened(now.Status), "ID", id, "Status", now.Status))}
		}
	}
	err = stream.Err()
	if errors.Is(err, context.Canceled) {
		code, _ := interruption(ctx)
		return &exitError{code: code, err: errors.New(p.T("cli.share.stopped_waiting", "ID", id))}
	}
	return err
}

// diedUnopened is the message of a link that ended, with status, before
// it was opened.
func diedUnopened(status string) string {
	switch status {
	case "used":
		return "cli.share.died.used"
	case "expired":
		return "cli.share.died.expired"
	case "revoked":
		return "cli.share.died.revoked"
	}
	return "cli.share.died.unknown"
}

// tellOpen says when, from where and with which browser link l was last
// opened, from its audit trail.
func tellOpen(ctx context.Context, p *proc, c *client.Client, l client.Link) error {
	w := p.stderr
	events, err := c.LinkEvents(ctx, l.ID)
	if err != nil {
		return err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Kind == "open" {
			fmt.Fprintln(w, p.T("cli.share.opened", "When", e.At.Local().Format(time.DateTime+" MST"), "IP", e.IP, "Browser", p.browser(e.UserAgent)))
			return nil
		}
	}
	fmt.Fprintln(w, p.N("cli.share.opened_uses", l.MaxUses, "Uses", l.Uses))
	return nil
}

// printMade writes out what a command made: v as JSON, or its address
// alone. The output is the only copy of the address: when it cannot be
// written, what was made is ended with revoke rather than left for no one
// to reach, and the error says so with the message notPrinted.
func printMade(ctx context.Context, p *proc, asJSON bool, v any, address, notPrinted string, revoke func(context.Context) error) error {
	// A Go program dies of SIGPIPE when it writes to a closed pipe on
	// standard output, unless it asks for the signal: then the write
	// fails with EPIPE, and what was made can still be revoked. Other
	// commands die of it, as Unix tools do.
	defer catchSIGPIPE()()
	var err error
	if asJSON {
		err = printJSON(p.stdout, v)
	} else {
		_, err = fmt.Fprintln(p.stdout, address)
	}
	if err != nil && revoke(context.WithoutCancel(ctx)) == nil {
		return client.Caused(p.loc, p.T(notPrinted), err)
	}
	return err
}
