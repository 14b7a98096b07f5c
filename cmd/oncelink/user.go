package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"oncelink/core"
	"oncelink/store"
)

// userAdd adds an account: oncelink user add NAME [--admin] [--password-stdin].
func userAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("oncelink user add", stderr)
	var dsn string
	dbFlag(fs, &dsn)
	admin := fs.Bool("admin", false, "the account may add and disable accounts")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	// The name may come before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	// Of these flags only --db has an environment twin: an ONCELINK_ADMIN
	// left in the environment must not make every added account an admin.
	dbOnly := func(key string) string {
		if key == "ONCELINK_DB" {
			return getenv(key)
		}
		return ""
	}
	if err := parseFlags(fs, args, dbOnly); err != nil {
		return err
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 || name == "" {
		return errors.New("usage: oncelink user add NAME [--admin] [--password-stdin] [--db DB]")
	}
	password, err := readPassword(*fromStdin, stdin, stderr)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	svc := core.New(core.Config{}, st, nil, slog.New(slog.NewTextHandler(stderr, nil)))
	a, err := svc.AddAccount(ctx, name, password, *admin)
	if err != nil {
		return err
	}
	role := "account"
	if a.Admin {
		role = "admin account"
	}
	fmt.Fprintf(stdout, "added %s %s\n", role, a.Username)
	return nil
}

func readPassword(fromStdin bool, stdin io.Reader, stderr io.Writer) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("standard input is not a terminal: pass the password with --password-stdin")
	}
	fmt.Fprint(stderr, "Password: ")
	first, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(stderr, "Again: ")
	again, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	if string(first) != string(again) {
		return "", errors.New("the passwords differ")
	}
	return string(first), nil
}
