package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"oncelink/client"
)

// openCommand opens a link as its recipient: oncelink open URL [-o FILE]
// [--password-stdin]. It takes one of the link's uses.
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
		// Opening needs no key. A signed-in client sends its key to its
		// own server only, where a link meant for its account needs it.
		c, err := signedIn(p)
		if err != nil {
			c = p.client("", "")
		}
		password := ""
		if *passwordStdin {
			if password, err = readSecret(ctx, p.stdin, p.stderr, p.T("cli.open.password_prompt")+" "); err != nil {
				return err
			}
		}
		o, err := c.Open(ctx, args[0], password)
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Code == "wrong_password" && password == "" {
			return errors.New(p.T("cli.open.needs_password"))
		}
		if err != nil {
			return err
		}
		if o.Kind != "file" {
			text := o.Message
			if o.Kind == "url" {
				text = o.URL + "\n"
			}
			return writeText(*output, text, p.stdout)
		}
		defer o.Body.Close()
		return saveFile(*output, o, p)
	}
}

// writeText writes a message or a URL to the file named output, or to w.
// On a terminal, a message that does not end a line is given one.
func writeText(output, text string, w io.Writer) error {
	if output != "" && output != "-" {
		return writeFileAtomically(output, strings.NewReader(text))
	}
	if isTerminal(w) && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err := io.WriteString(w, text)
	return err
}

// saveFile writes an opened file to the file named output, or to standard
// output. Without -o, a file is never written to a terminal, where it
// would be lost to the screen: the link is used already, so the file is
// saved under its own name instead, and stderr says where.
func saveFile(output string, o *client.Opened, p *proc) error {
	var body io.Reader = o.Body
	var bar *progress
	if isTerminal(p.stderr) {
		bar = newProgress(p.stderr, o.Name, o.Size)
		body = io.TeeReader(body, bar)
	}
	var err error
	saved := ""
	switch {
	case output != "" && output != "-":
		err = writeFileAtomically(output, body)
	case isTerminal(p.stdout):
		saved, err = saveAsNew(o.Name, body)
	default:
		_, err = io.Copy(p.stdout, body)
	}
	if bar != nil {
		bar.finish()
	}
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", p.T("cli.open.file_cut"), err)
	case saved != "":
		fmt.Fprintln(p.stderr, p.T("cli.open.saved_as", "Name", saved))
	}
	return err
}

// writeFileAtomically writes r to path, readable by its owner alone: what
// is shared once is likely a secret. The file appears only when whole.
func writeFileAtomically(path string, r io.Reader) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// saveAsNew writes r to a new file in the working directory, named after
// the shared file, or with " (2)" and on added when that name is taken.
// The name loses any directory, and a leading dot that would hide it.
func saveAsNew(name string, r io.Reader) (string, error) {
	name = strings.TrimLeft(filepath.Base(filepath.Clean("/"+name)), ".")
	if name == "" || name == string(filepath.Separator) {
		name = "oncelink-file"
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for n := 1; ; n++ {
		try := name
		if n > 1 {
			try = fmt.Sprintf("%s (%d)%s", stem, n, ext)
		}
		f, err := os.OpenFile(try, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			os.Remove(try)
			return "", err
		}
		return try, f.Close()
	}
}

// progress draws a download's progress on a terminal, at most ten times a
// second: name, a bar, the share done and the bytes.
type progress struct {
	w           io.Writer
	name        string
	total, done int64 // total is -1 when unknown
	drawn       time.Time
}

func newProgress(w io.Writer, name string, total int64) *progress {
	p := &progress{w: w, name: name, total: total}
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
		fmt.Fprintf(p.w, "\r%s  %s", p.name, byteSize(p.done))
		return
	}
	filled := int(min(p.done, p.total) * width / p.total)
	fmt.Fprintf(p.w, "\r%s  [%s%s] %3d%%  %s / %s", p.name, strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		min(p.done, p.total)*100/p.total, byteSize(p.done), byteSize(p.total))
}

// finish draws the last state and ends the line.
func (p *progress) finish() {
	p.draw()
	fmt.Fprintln(p.w)
}

// byteSize writes n bytes for a person: 512 B, 1.5 KiB, 23.4 MiB.
func byteSize(n int64) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n)/(1<<10), 0
	for v >= 1<<10 && i < len(units)-1 {
		v, i = v/(1<<10), i+1
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
