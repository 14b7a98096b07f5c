package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"oncelink/handlers"
	"oncelink/store"
)

// oneName is the NAME argument of a command that takes just that.
func oneName(args []string) (string, error) {
	switch {
	case len(args) == 0:
		return "", usageError("NAME is missing")
	case len(args) > 1:
		return "", usageError("unexpected argument %q", args[1])
	}
	return args[0], nil
}

// userAdd adds an account: oncelink user add NAME [--admin] [--password-stdin].
func userAdd(fs *flag.FlagSet) runFunc {
	var dsn string
	dbFlag(fs, &dsn)
	admin := fs.Bool("admin", false, "the account may add and disable accounts")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	return func(ctx context.Context, p *proc, args []string) error {
		name, err := oneName(args)
		if err != nil {
			return err
		}
		password, err := readPassword(*fromStdin, p.stdin, p.stderr)
		if err != nil {
			return err
		}
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		a, err := handlers.AddAccount(ctx, st, name, password, *admin)
		if err != nil {
			return err
		}
		role := "account"
		if a.Admin {
			role = "admin account"
		}
		fmt.Fprintf(p.stdout, "added %s %s\n", role, a.Username)
		return nil
	}
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
