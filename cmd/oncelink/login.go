package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"oncelink/client"
	"oncelink/core"
	"oncelink/i18n"
)

// signIn is what oncelink login saves, and the client commands call: a
// server and an API key of an account on it.
type signIn struct {
	URL string `json:"url"`
	Key string `json:"key"`
}

// configFile is where login saves the sign-in: oncelink/config.json in the
// user's configuration directory ($XDG_CONFIG_HOME, or ~/.config, on Linux).
func configFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "oncelink", "config.json"), nil
}

// signedOut is the error of a client command run before oncelink login.
func signedOut(p *proc) error {
	return &exitError{code: exitSignedOut, err: errors.New(p.T("cli.login.signed_out"))}
}

// client is a client of the server at base with key, whose server
// speaks p's language in its refusals. A base the client refuses is a
// usage error.
func (p *proc) client(base, key string) (*client.Client, error) {
	c, err := client.New(base, key)
	if err != nil {
		return nil, usageError(baseProblem(p, err))
	}
	if p.loc.Code != "en" {
		c.Language = p.loc.Code
	}
	return c, nil
}

// baseProblem says in p's language why the client refused a server's
// address.
func baseProblem(p *proc, err error) string {
	var be *client.BaseError
	if errors.As(err, &be) {
		return be.In(p.loc)
	}
	return err.Error()
}

// signedIn is the client of the saved sign-in, as ONCELINK_URL and
// ONCELINK_API_KEY override it. A server's address, from the variable or
// from the saved file (which may have been edited by hand), is checked as
// one given to login, and a refusal names where it came from.
func signedIn(p *proc) (*client.Client, error) {
	var s signIn
	path, err := configFile()
	if err == nil {
		s, err = readSignIn(p.loc, path)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if s.Key != "" {
		warnOpenSignIn(p, path)
	}
	base, baseErr := s.URL, error(nil)
	if base != "" {
		base, baseErr = client.ParseBase(base)
	}
	saved, savedKey := base, s.Key
	if v := p.getenv("ONCELINK_URL"); v != "" {
		env, err := client.ParseBase(v)
		if err != nil {
			// The variable's name says where the address came from; a
			// password in it is not repeated.
			return nil, usageError(p.T("cli.login.env_url", "Problem", baseProblem(p, err)))
		}
		if env != base {
			// The saved key is for the saved server, and goes to no other.
			s.Key = ""
		}
		base, baseErr = env, nil
	}
	if baseErr != nil {
		return nil, usageError(p.T("cli.login.saved_url", "Path", path, "Problem", baseProblem(p, baseErr)))
	}
	// A key read with $(cat file) ends in a line break, which is no part
	// of it.
	s.Key = strings.TrimSpace(s.Key)
	notKey := p.T("cli.login.saved_key", "Path", path)
	if v := strings.TrimSpace(p.getenv("ONCELINK_API_KEY")); v != "" {
		s.Key, notKey = v, p.T("cli.login.env_key")
	}
	switch {
	case savedKey != "" && s.Key == "" && saved != base:
		// Signed in, but to another server than the variable's.
		return nil, &exitError{code: exitSignedOut, err: errors.New(p.T("cli.login.other_server", "URL", base, "Saved", saved))}
	case base == "" || s.Key == "":
		return nil, signedOut(p)
	case !core.KeyShaped(s.Key):
		// No server takes it: told before it is sent anywhere, naming
		// where it came from, and not repeated.
		return nil, &exitError{code: exitSignedOut, err: &notAKey{notKey}}
	}
	return p.client(base, s.Key)
}

// warnOpenSignIn says on standard error when the saved sign-in at path,
// which holds an API key, may be read by other accounts of this machine,
// as after a copy or a chmod: login writes it for its owner alone (0600)
// in a directory only they may enter (0700). A file that its group or
// everyone may read is open to them only through a directory they may
// enter too.
func warnOpenSignIn(p *proc, path string) {
	file, err := os.Stat(path)
	if err != nil || runtime.GOOS == "windows" {
		return
	}
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return
	}
	f, d := file.Mode().Perm(), dir.Mode().Perm()
	if f&0o040 != 0 && d&0o010 != 0 || f&0o004 != 0 && d&0o001 != 0 {
		fmt.Fprintln(p.stderr, p.T("cli.login.config_open", "Path", path, "Mode", fmt.Sprintf("%04o", f)))
	}
}

// notAKey refuses the key of the saved sign-in or of ONCELINK_API_KEY that
// has no key's shape: msg says where it came from.
type notAKey struct{ msg string }

func (e *notAKey) Error() string { return e.msg }

func readSignIn(l *i18n.Localizer, path string) (signIn, error) {
	var s signIn
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		// The error could quote the file, and the file holds the key.
		return s, errors.New(l.T("cli.login.bad_config", "Path", path))
	}
	return s, nil
}

// saveSignIn writes s to path, readable by its owner alone, in a
// directory only they may enter. The file is replaced whole: a crash leaves
// the old one or the new one.
func saveSignIn(path string, s signIn) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// overTheNetwork reports whether base is plain http to another machine:
// a key sent there, and all that is shared with it, can be read on the
// way.
func overTheNetwork(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// loginCommand signs in: oncelink login URL [--key-stdin].
func loginCommand(fs *flag.FlagSet) runFunc {
	fromStdin := fs.Bool("key-stdin", false, "cli.flag.login_key_stdin")
	return func(ctx context.Context, p *proc, args []string) error {
		switch {
		case len(args) == 0:
			return usageError(p.T("cli.login.url_missing"))
		case len(args) > 1:
			return unexpectedArg(p, args[1])
		}
		// Refused before the key is asked for.
		base, err := client.ParseBase(args[0])
		if err != nil {
			return usageError(baseProblem(p, err))
		}
		key, err := readKey(ctx, p, *fromStdin)
		if err != nil {
			return err
		}
		switch {
		case key == "":
			return usageError(p.T("cli.login.no_key"))
		case !core.KeyShaped(key):
			// No server takes it: told before it is sent anywhere, and
			// not repeated, in case it is a password pasted by mistake.
			// It is a key refused, as the server's refusal of a key of
			// the right shape is, and as one of ONCELINK_API_KEY or of
			// the saved sign-in is: a script tells them apart from its
			// usage by one status.
			return &exitError{code: exitSignedOut, err: errors.New(p.T("cli.login.not_key"))}
		}
		if overTheNetwork(base) {
			fmt.Fprintln(p.stderr, p.T("cli.login.plain_http", "URL", base))
		}
		c, err := p.client(base, key)
		if err != nil {
			return err
		}
		// A web page answers, most likely, as client.AnswerError says:
		// another server's, or a page in front of oncelink's.
		me, err := c.Me(ctx)
		switch {
		case client.IsStatus(err, http.StatusNotFound):
			return &exitError{code: exitNotFound, err: errors.New(p.T("cli.client.not_oncelink", "URL", base, "Status", http.StatusNotFound))}
		case err != nil:
			return err
		}
		path, err := configFile()
		if err != nil {
			return err
		}
		if err := saveSignIn(path, signIn{URL: base, Key: key}); err != nil {
			return err
		}
		done := "cli.login.signed_in"
		if me.Admin {
			done = "cli.login.signed_in_admin"
		}
		fmt.Fprintln(p.stderr, p.T(done, "URL", base, "Name", me.Username, "Path", path))
		return nil
	}
}

// readKey reads an API key: typed at a prompt that does not echo it, or
// with --key-stdin the first line of standard input.
func readKey(ctx context.Context, p *proc, fromStdin bool) (string, error) {
	if !fromStdin && !isTerminal(p.stdin) {
		return "", usageError(p.T("cli.login.key_not_terminal"))
	}
	key, err := readSecret(ctx, p.stdin, p.stderr, p.T("cli.login.key_prompt")+" ")
	return strings.TrimSpace(key), err
}
