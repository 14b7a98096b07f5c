package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"oncelink/client"
	"oncelink/core"
	"oncelink/i18n"
)

// openCommand opens a link as its recipient: oncelink open URL [-o FILE]
// [--password-stdin]. It takes one of the link's uses. A request's URL
// opens, for its owner, what was sent to it.
func openCommand(fs *flag.FlagSet) runFunc {
	output := fs.String("o", "", "cli.flag.open_o")
	passwordStdin := fs.Bool("password-stdin", false, "cli.flag.open_password_stdin")
	return func(ctx context.Context, p *proc, args []string) error {
		switch {
		case len(args) == 0:
			return usageError(p.T("cli.open.url_missing"))
		case len(args) > 1:
			return unexpectedArg(p, args[1])
		}
		// Opening a link needs no key. A signed-in client sends its key to
		// its own server only, where a link meant for its account, or a
		// request of the account, needs it (see client.Client.Open).
		c, signInErr := signedIn(p)
		var err error
		if signInErr != nil {
			if c, err = p.client("", ""); err != nil {
				return err
			}
		}
		if bad := (*notAKey)(nil); errors.As(signInErr, &bad) {
			fmt.Fprintln(p.stderr, "oncelink:", p.T("cli.open.not_key", "Problem", bad.msg))
		}
		// The file to write is made before the link is used: a path that
		// cannot be written is told while the link still works.
		var out *outputFile
		switch {
		case *output != "" && *output != "-":
			out, err = createOutput(p, *output)
		case isTerminal(p.stdout):
			// A file is then saved under its own name (claim).
			out, err = createSpare(p)
		case readerGone(p.stdout):
			// What the link holds would be lost with its use.
			err = errors.New(p.T("cli.open.stdout_gone"))
		}
		if err != nil {
			return err
		}
		if out != nil {
			defer out.discard()
		}
		password := ""
		if *passwordStdin {
			if password, err = readSecret(ctx, p.stdin, p.stderr, p.T("cli.open.password_prompt")+" "); err != nil {
				return err
			}
			if password == "" {
				return usageError(p.T("cli.share.password_empty"))
			}
			if len(password) > core.MaxPasswordBytes {
				// No link has such a password: told before anything is sent.
				return usageError(p.T("cli.open.password_too_long", "Count", core.MaxPasswordBytes))
			}
		}
		o, err := c.Open(ctx, args[0], password)
		request, keyMayGo := c.Route(args[0])
		var apiErr *client.APIError
		refused := errors.As(err, &apiErr)
		switch {
		case refused && request && apiErr.Status == http.StatusUnauthorized && apiErr.Code == core.ErrKeyAccountDisabled.Code:
			// What was sent to a request opens with its owner's key
			// alone: signing in again cannot help while that account is
			// disabled.
			return &exitError{code: exitSignedOut, err: errors.New(p.T("cli.open.request_on_hold"))}
		case refused && apiErr.Code == "e2e_claim_missing":
			// An end-to-end link given without its key, which the
			// address's part after "#" holds: the address given is at
			// fault, as a refused value is, and nothing was used.
			return &exitError{code: exitUsage, err: &said{err: err, msg: p.T("cli.open.e2e_key_missing")}}
		case refused && apiErr.Code == "wrong_password" && password == "":
			return errors.New(p.T("cli.open.needs_password"))
		case refused && apiErr.Code == client.CodeWrongUser && !keyMayGo:
			// A link meant for one account, opened signed out, since no
			// key of its server is held: as for a request's address,
			// signing in is what it takes. With the key, the link is
			// another account's, which signing in again does not change.
			return &exitError{code: exitSignedOut, err: err}
		case err != nil:
			return err
		}
		// The link is used: what standard output does not take is lost,
		// and the command says so (see lostToPipe).
		defer catchSIGPIPE()()
		if o.Kind != "file" {
			text := o.Message
			switch {
			case o.Kind == "url" && o.EndToEnd:
				// An end-to-end link's address, which the server could
				// not read, is held to the rule the server holds a link's
				// to, and printed as it would have it: a javascript: one
				// is none, as the recipient's page does not follow it,
				// and a right-to-left override is percent-encoded.
				address, err := core.CheckContent(core.KindURL, "", o.URL)
				if err != nil {
					return errors.New(p.T("cli.open.bad_url"))
				}
				text = string(address) + "\n"
			case o.Kind == "url":
				// The server checked the address it sealed.
				text = o.URL + "\n"
			}
			if out != nil && out.spare {
				if o.Kind == "message" && !terminalSafe(text) {
					return saveMessage(out, text, p)
				}
				out = nil // a terminal shows a message
			}
			return writeText(out, text, p)
		}
		defer o.Body.Close()
		return saveFile(ctx, out, o, p)
	}
}

// writeText writes a message or a URL to out, or without one to standard
// output. On a terminal, a message that does not end a line is given one.
func writeText(out *outputFile, text string, p *proc) error {
	if out != nil {
		return out.keep(strings.NewReader(text))
	}
	if isTerminal(p.stdout) && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err := io.WriteString(p.stdout, text)
	if errors.Is(err, syscall.EPIPE) {
		return lostToPipe(p)
	}
	return err
}

// terminalSafe reports whether a terminal shows text as it is: text with
// no control character but line breaks (a carriage return only before a
// line feed) and tabs. An escape sequence can retitle a terminal, redraw
// what it shows or set its clipboard, and a carriage return alone, last
// too, has what follows (the shell's prompt) written over its line.
// Bidirectional controls act on no terminal and may be part of a message
// in Arabic or Hebrew as it was written: a message keeps them, where a
// label or a file name, shown among other text, does not (printable).
func terminalSafe(text string) bool {
	if !utf8.ValidString(text) {
		return false
	}
	for i, r := range text {
		switch {
		case r == '\n' || r == '\t':
		case r == '\r' && strings.HasPrefix(text[i+1:], "\n"):
		case unicode.IsControl(r):
			return false
		}
	}
	return true
}

// saveMessage saves a message opened on a terminal that the terminal
// would not show as it is (see terminalSafe) to out, the file a file
// opened there goes to, as message.txt: its bytes as they were shared,
// which the used link cannot give again and which no safe way of showing
// it would keep. Standard error says where, and why.
func saveMessage(out *outputFile, text string, p *proc) error {
	if err := out.claim("message.txt"); err != nil {
		return client.Caused(p.loc, p.T("cli.open.not_written"), err)
	}
	if err := out.keep(strings.NewReader(text)); err != nil {
		return client.Caused(p.loc, p.T("cli.open.not_written"), err)
	}
	fmt.Fprintln(p.stderr, p.T("cli.open.message_saved_as", "Name", out.path))
	return nil
}

// lostToPipe is the error of an opened link's content that standard
// output, a pipe, did not take whole: what read it ended, as head does
// once it has its lines. The link is used and the rest is lost for good,
// which a person at a terminal is told in one line; oncelink then ends by
// SIGPIPE (see main), as a Unix tool in a pipeline does, and a script
// that checks the status sees what it always did.
func lostToPipe(p *proc) error {
	if isTerminal(p.stderr) {
		fmt.Fprintln(p.stderr, p.T("cli.open.pipe_closed"))
	}
	return errStdoutClosed
}

// saveFile writes an opened file to out, or without one to standard
// output. Without -o, a file is never written to a terminal, where it
// would be lost to the screen: the link is used already, so the file is
// saved under its own name instead, and stderr says where.
func saveFile(ctx context.Context, out *outputFile, o *client.Opened, p *proc) error {
	body := &download{r: o.Body}
	var from io.Reader = body
	// The progress line says the name the file is written under: the one
	// it is saved as, -o's, or on standard output the shared one.
	shown, saved := printable(o.Name), ""
	switch {
	case out != nil && out.spare:
		// Its own name is taken before the file arrives, so that the
		// progress line can say it.
		if err := out.claim(o.Name); err != nil {
			return client.Caused(p.loc, p.T("cli.open.not_written"), err)
		}
		shown, saved = out.path, out.path
	case out != nil:
		shown = printable(out.given)
	}
	var bar *progress
	if isTerminal(p.stderr) {
		bar = newProgress(p.stderr, p.loc, shown, o.Size)
		from = io.TeeReader(body, bar)
	}
	var err error
	if out != nil {
		err = out.keep(from)
	} else {
		_, err = io.Copy(p.stdout, from)
	}
	if bar != nil {
		bar.finish()
	}
	switch {
	case ctx.Err() != nil && (errors.Is(body.err, context.Canceled) || errors.Is(err, context.Canceled)):
		// Ctrl-C while the file arrived: the link's use is taken, and
		// what arrived is gone, thrown away or, on standard output, cut.
		code, id := interruption(ctx)
		lost := "cli.open.interrupted_discarded"
		if out == nil {
			lost = "cli.open.interrupted_cut"
		}
		return &exitError{code: code, err: &said{err: err, msg: p.T("cli.error.caused", "What", p.T(id), "Cause", p.T(lost))}}
	case body.err != nil:
		return client.Caused(p.loc, p.T("cli.open.file_cut"), body.err)
	case out == nil && errors.Is(err, syscall.EPIPE):
		return lostToPipe(p)
	case err != nil:
		return client.Caused(p.loc, p.T("cli.open.not_written"), err)
	case err == nil && saved != "":
		fmt.Fprintln(p.stderr, p.T("cli.open.saved_as", "Name", saved))
	}
	return err
}

// download is the body of an opened file, which remembers why reading it
// failed: the file was cut on its way, rather than not written here.
type download struct {
	r   io.Reader
	err error
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		d.err = err
	}
	return n, err
}

// outputFile is the file -o names. A file is written beside it under a
// temporary name, readable by its owner alone (what is shared once is
// likely a secret), and renamed to its name only when whole; a symbolic
// link's file is, and the link stays. What is not a file, such as a
// terminal, a named pipe or /dev/stdout leading to one, is written in
// place: renamed over, it would be replaced by a file.
type outputFile struct {
	path  string // where the file goes
	given string // the path as -o gave it
	f     *os.File
	part  bool // f is the temporary file
	// spare is set for the file that a file opened on a terminal (no -o,
	// or -o -) is saved to, under the name that claim takes for it.
	spare bool
	// claimed is set while path is the empty file that claim made to
	// hold the name, which discard removes unless keep filled it.
	claimed bool
}

// createSpare makes the temporary file that a file opened on a terminal
// is saved to, before the link is used: in the working directory, or,
// where that cannot be written, in the system's temporary directory
// (claim names the file there, and the command says where it went). It
// says in p's language why when neither can be written.
func createSpare(p *proc) (*outputFile, error) {
	f, err := os.CreateTemp(".", ".oncelink-*.part")
	if err != nil {
		f, err = os.CreateTemp("", ".oncelink-*.part")
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}
	if err != nil {
		return nil, errors.New(p.T("cli.open.output_unwritable", "Path", os.TempDir(), "Err", systemProblem(p.loc, err)))
	}
	return &outputFile{f: f, part: true, spare: true}, nil
}

// createOutput opens path for writing, or says in p's language why it
// cannot be written: a usage error, as a --file of share that cannot be
// read is, since the path given is at fault. (createSpare's failure is not
// a usage error: nothing given names its directory.)
func createOutput(p *proc, path string) (*outputFile, error) {
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return nil, usageError(p.T("cli.open.output_dir", "Path", path))
	}
	name := path
	if err == nil && fi.Mode().IsRegular() {
		// Through links to the file itself: /dev/stdout, when standard
		// output is a file, leads to that file.
		if name, err = filepath.EvalSymlinks(path); err != nil {
			name = path
		}
	}
	var f *os.File
	lfi, lerr := os.Lstat(name)
	part := lerr != nil || lfi.Mode().IsRegular()
	if part {
		f, err = os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.part")
	} else {
		// Not a file, or a link that leads nowhere a file can be renamed
		// to: written through.
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o600)
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err // the path is in the message
	}
	if err != nil {
		return nil, usageError(p.T("cli.open.output_unwritable", "Path", path, "Err", systemProblem(p.loc, err)))
	}
	return &outputFile{path: name, given: path, f: f, part: part}, nil
}

// keep writes r to the file, and gives a temporary file its name.
func (o *outputFile) keep(r io.Reader) error {
	if _, err := io.Copy(o.f, r); err != nil {
		return err
	}
	if err := o.f.Close(); err != nil || !o.part {
		return err
	}
	if err := os.Rename(o.f.Name(), o.path); err != nil {
		return err
	}
	o.part, o.claimed = false, false // renamed: nothing to remove
	return nil
}

// discard closes the file, and removes a temporary one, and the name
// claimed for it, unless keep renamed it.
func (o *outputFile) discard() {
	o.f.Close()
	if o.part {
		os.Remove(o.f.Name())
	}
	if o.claimed {
		os.Remove(o.path)
	}
}

// claim gives the spare file a name of its own in the spare's directory,
// which keep renames it to: the shared file's name as fileName makes it,
// or with " (2)" and on added when that name is taken. The name is taken
// at once, by an empty file, so that no file is written over and what the
// command says is the name the file gets. The path is the name, with its
// directory when that is not the working one.
func (o *outputFile) claim(name string) error {
	dir := filepath.Dir(o.f.Name())
	name = fileName(name)
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for n := 1; ; n++ {
		try := name
		if n > 1 {
			try = fmt.Sprintf("%s (%d)%s", stem, n, ext)
		}
		try = filepath.Join(dir, try)
		f, err := os.OpenFile(try, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		f.Close()
		o.path, o.claimed = try, true
		return nil
	}
}

// maxFileName bounds a saved file's name in bytes, below the 255 that
// most file systems allow, with room for " (2)".
const maxFileName = 200

// fileName is a shared file's name as a name to save it under here.
func fileName(name string) string {
	// What a terminal would act on, or that reorders a line, is left out.
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || reorders(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	// Nor does it start with a dot, which would hide it, or a dash, which
	// a later command (rm *) would read as its options.
	name = strings.TrimLeft(filepath.Base(filepath.Clean("/"+name)), ".-")
	if name == "" || name == string(filepath.Separator) {
		return "oncelink-file"
	}
	if len(name) <= maxFileName {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > maxFileName/4 {
		ext = ""
	}
	stem := name[:maxFileName-len(ext)]
	for !utf8.ValidString(stem) {
		stem = stem[:len(stem)-1]
	}
	return stem + ext
}

// progress draws a download's progress on a terminal, at most ten times a
// second: name, a bar, the share done and the bytes.
type progress struct {
	w           io.Writer
	loc         *i18n.Localizer // says the bytes
	name        string
	total, done int64 // total is -1 when unknown
	drawn       time.Time
}

func newProgress(w io.Writer, loc *i18n.Localizer, name string, total int64) *progress {
	p := &progress{w: w, loc: loc, name: name, total: total}
	p.draw()
	return p
}

func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if time.Since(p.drawn) >= 100*time.Millisecond {
		p.draw()
	}
	return len(b), nil
}

func (p *progress) draw() {
	p.drawn = time.Now()
	const width = 30
	if p.total <= 0 {
		fmt.Fprintf(p.w, "\r%s  %s", p.name, p.loc.Size(p.done))
		return
	}
	filled := int(min(p.done, p.total) * width / p.total)
	fmt.Fprintf(p.w, "\r%s  [%s%s] %3d%%  %s / %s", p.name, strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		min(p.done, p.total)*100/p.total, p.loc.Size(p.done), p.loc.Size(p.total))
}

// finish draws the last state and ends the line.
func (p *progress) finish() {
	p.draw()
	fmt.Fprintln(p.w)
}
