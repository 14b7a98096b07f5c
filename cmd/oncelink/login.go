package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"oncelink/client"
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

// errSignedOut is a client command run before oncelink login.
var errSignedOut = &exitError{code: exitSignedOut,
	err: errors.New(`not signed in: run "oncelink login URL" first, or set ONCELINK_URL and ONCELINK_API_KEY`)}

// signedIn is the client of the saved sign-in, as ONCELINK_URL and
// ONCELINK_API_KEY override it.
func signedIn(p *proc) (*client.Client, error) {
	var s signIn
	path, err := configFile()
	if err == nil {
		s, err = readSignIn(path)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if v := p.getenv("ONCELINK_URL"); v != "" {
		base, err := serverURL(v)
		if err != nil {
			return nil, fmt.Errorf("ONCELINK_URL: %q is not a server's address such as https://share.example.com", v)
		}
		if base != s.URL {
			// The saved key is for the saved server, and goes to no other.
			s.URL, s.Key = base, ""
		}
	}
	if v := p.getenv("ONCELINK_API_KEY"); v != "" {
		s.Key = strings.TrimSpace(v)
	}
	if s.URL == "" || s.Key == "" {
		return nil, errSignedOut
	}
	return client.New(s.URL, s.Key), nil
}

func readSignIn(path string) (signIn, error) {
	var s signIn
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		// The error could quote the file, and the file holds the key.
		return s, fmt.Errorf("%s is not the JSON that oncelink login writes: run oncelink login again", path)
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

// serverURL checks a server's address as login takes it, and drops a
// trailing slash.
func serverURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", usageError("%q is not a server's address such as https://share.example.com", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// loginCommand signs in: oncelink login URL [--key-stdin].
func loginCommand(fs *flag.FlagSet) runFunc {
	fromStdin := fs.Bool("key-stdin", false, "read the API key from the first line of standard input")
	return func(ctx context.Context, p *proc, args []string) error {
		switch {
		case len(args) == 0:
			return usageError("URL is missing: the server's address, such as https://share.example.com")
		case len(args) > 1:
			return usageError("unexpected argument %q", args[1])
		}
		base, err := serverURL(args[0])
		if err != nil {
			return err
		}
		key, err := readKey(ctx, *fromStdin, p.stdin, p.stderr)
		if err != nil {
			return err
		}
		if key == "" {
			return errors.New("no key was given")
		}
		me, err := client.New(base, key).Me(ctx)
		if client.IsStatus(err, 404) {
			return &exitError{code: exitNotFound, err: fmt.Errorf("%s has no oncelink API: check the address", base)}
		}
		if err != nil {
			return err
		}
		path, err := configFile()
		if err != nil {
			return err
		}
		if err := saveSignIn(path, signIn{URL: base, Key: key}); err != nil {
			return err
		}
		role := ""
		if me.Admin {
			role = " (an administrator)"
		}
		fmt.Fprintf(p.stderr, "signed in to %s as %s%s; saved in %s\n", base, me.Username, role, path)
		return nil
	}
}

// readKey reads an API key: typed at a prompt that does not echo it, or
// with --key-stdin the first line of standard input.
func readKey(ctx context.Context, fromStdin bool, stdin io.Reader, stderr io.Writer) (string, error) {
	if !fromStdin && !isTerminal(stdin) {
		return "", usageError("standard input is not a terminal: pass the key with --key-stdin")
	}
	key, err := readSecret(ctx, stdin, stderr, "API key (make one under Settings, or with oncelink user key NAME): ")
	return strings.TrimSpace(key), err
}
