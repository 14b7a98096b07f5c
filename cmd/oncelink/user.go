package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"oncelink/core"
	"oncelink/store"
)

// database is the --db and --create flags of the operator commands.
type database struct {
	dsn    string
	create bool
}

func databaseFlags(fs *flag.FlagSet) *database {
	d := &database{}
	dbFlag(fs, &d.dsn)
	fs.BoolVar(&d.create, "create", false, "create the SQLite file when it does not exist")
	return d
}

// operator is what an operator command works with: the database, and the
// rules over it.
type operator struct {
	st  *store.Store
	svc *core.Service
}

func (o *operator) Close() error { return o.st.Close() }

// open opens the database and says on stderr which one. It refuses to
// create an SQLite file without --create: run in the wrong directory, an
// operator command would otherwise make an empty database and report
// success. A PostgreSQL database is never created here.
func (d *database) open(ctx context.Context, stderr io.Writer) (*operator, error) {
	name, verb := dbName(d.dsn), "using"
	if !store.IsPostgres(d.dsn) {
		if abs, err := filepath.Abs(d.dsn); err == nil {
			name = abs
		}
		_, err := os.Stat(d.dsn)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !d.create:
			return nil, fmt.Errorf("there is no database at %s: name it with --db or ONCELINK_DB, or pass --create to make a new one", name)
		case errors.Is(err, fs.ErrNotExist):
			verb = "creating"
		case err != nil:
			return nil, err
		}
	}
	fmt.Fprintf(stderr, "oncelink: %s database %s\n", verb, name)
	st, err := store.Open(ctx, d.dsn, store.Options{})
	if err != nil {
		return nil, err
	}
	// The operator's rules need no server key: they make no links.
	return &operator{st: st, svc: core.New(core.Config{}, st, nil, slog.New(slog.NewTextHandler(stderr, nil)))}, nil
}

// openAccount opens the database and finds the account that args name, for
// the commands that take just a NAME.
func (d *database) openAccount(ctx context.Context, p *proc, args []string) (*operator, core.Account, error) {
	name, err := oneName(args)
	if err != nil {
		return nil, core.Account{}, err
	}
	op, err := d.open(ctx, p.stderr)
	if err != nil {
		return nil, core.Account{}, err
	}
	a, err := op.svc.AccountByName(ctx, name)
	if err != nil {
		op.Close()
		return nil, core.Account{}, err
	}
	return op, a, nil
}

// oneName is the NAME argument of the commands that take just that.
func oneName(args []string) (string, error) {
	switch {
	case len(args) == 0:
		return "", usageError("NAME is missing")
	case len(args) > 1:
		return "", usageError("unexpected argument %q", args[1])
	}
	return args[0], nil
}

// passwordStdinFlag is --password-stdin, for commands that ask for a password.
func passwordStdinFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("password-stdin", false, "read the password from the first line of standard input")
}

// accountJSON is an account in user list --json.
type accountJSON struct {
	Username   string     `json:"username"`
	Admin      bool       `json:"admin"`
	Disabled   bool       `json:"disabled"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at"`
	// SSO lists the identity provider accounts it signs in as, each as
	// its email address or else its issuer.
	SSO []string `json:"sso,omitempty"`
}

// userList lists the accounts: oncelink user list [--json].
func userList(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	asJSON := fs.Bool("json", false, `print {"accounts": [...]} as JSON`)
	return func(ctx context.Context, p *proc, args []string) error {
		if len(args) > 0 {
			return usageError("unexpected argument %q", args[0])
		}
		op, err := db.open(ctx, p.stderr)
		if err != nil {
			return err
		}
		defer op.Close()
		accounts, err := op.svc.Accounts(ctx)
		if err != nil {
			return err
		}
		identities, err := op.svc.Identities(ctx)
		if err != nil {
			return err
		}
		sso := func(a core.Account) []string {
			var as []string
			for _, l := range identities[a.ID] {
				as = append(as, l.Label())
			}
			return as
		}
		if *asJSON {
			list := make([]accountJSON, len(accounts))
			for i, a := range accounts {
				list[i] = accountJSON{Username: a.Username, Admin: a.Admin, Disabled: a.Disabled(), CreatedAt: a.CreatedAt.UTC(), SSO: sso(a)}
				if a.Disabled() {
					at := a.DisabledAt.UTC()
					list[i].DisabledAt = &at
				}
			}
			enc := json.NewEncoder(p.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"accounts": list})
		}
		tw := tabwriter.NewWriter(p.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tADMIN\tDISABLED\tCREATED\tSINGLE SIGN-ON")
		for _, a := range accounts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Username, yesNo(a.Admin), yesNo(a.Disabled()), a.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
				cmp.Or(strings.Join(sso(a), ", "), "-"))
		}
		return tw.Flush()
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// userAdd adds an account: oncelink user add NAME [--admin] [--password-stdin].
func userAdd(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	admin := fs.Bool("admin", false, "the account may add and disable accounts")
	fromStdin := passwordStdinFlag(fs)
	return func(ctx context.Context, p *proc, args []string) error {
		name, err := oneName(args)
		if err != nil {
			return err
		}
		op, err := db.open(ctx, p.stderr)
		if err != nil {
			return err
		}
		defer op.Close()
		password, err := readPassword(*fromStdin, p.stdin, p.stderr)
		if err != nil {
			return err
		}
		a, err := op.svc.AddAccount(ctx, name, password, *admin)
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

// userPasswd sets an account's password: oncelink user passwd NAME
// [--password-stdin].
func userPasswd(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	fromStdin := passwordStdinFlag(fs)
	return func(ctx context.Context, p *proc, args []string) error {
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		password, err := readPassword(*fromStdin, p.stdin, p.stderr)
		if err != nil {
			return err
		}
		if _, err := op.svc.SetPassword(ctx, a.ID, password); err != nil {
			return err
		}
		fmt.Fprintf(p.stdout, "changed the password of %s\n", a.Username)
		return nil
	}
}

// userKey prints a new API key of an account: oncelink user key NAME
// [--name LABEL] [--expires DURATION]. Only the key goes to standard
// output, so that key=$(oncelink user key ada) works.
func userKey(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	label := fs.String("name", "oncelink user key", "the key's `LABEL`, as the settings page lists it")
	expires := fs.String("expires", "never", "how long the key works: a `DURATION` such as 90d, 1y, or never")
	return func(ctx context.Context, p *proc, args []string) error {
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		k, err := op.svc.CreateKey(ctx, a.ID, *label, *expires)
		if err != nil {
			return err
		}
		fmt.Fprintln(p.stdout, k.Secret)
		return nil
	}
}

func userDisable(fs *flag.FlagSet) runFunc { return setDisabled(fs, true) }
func userEnable(fs *flag.FlagSet) runFunc  { return setDisabled(fs, false) }

// setDisabled is oncelink user disable NAME, or enable NAME. A disabled
// account cannot sign in, and its sessions end at their next request.
func setDisabled(fs *flag.FlagSet, disabled bool) runFunc {
	db := databaseFlags(fs)
	done := map[bool]string{true: "disabled", false: "enabled"}[disabled]
	return func(ctx context.Context, p *proc, args []string) error {
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		// Disabling again would move the time it was disabled.
		if a.Disabled() == disabled {
			fmt.Fprintf(p.stdout, "account %s was already %s\n", a.Username, done)
			return nil
		}
		if _, err := op.svc.SetDisabled(ctx, nil, a.ID, disabled); err != nil {
			return err
		}
		fmt.Fprintf(p.stdout, "%s account %s\n", done, a.Username)
		return nil
	}
}

func userPromote(fs *flag.FlagSet) runFunc { return setAdmin(fs, true) }
func userDemote(fs *flag.FlagSet) runFunc  { return setAdmin(fs, false) }

// setAdmin is oncelink user promote NAME, or demote NAME. The last enabled
// administrator stays one.
func setAdmin(fs *flag.FlagSet, admin bool) runFunc {
	db := databaseFlags(fs)
	role := map[bool]string{true: "an administrator", false: "a member"}[admin]
	return func(ctx context.Context, p *proc, args []string) error {
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		if a.Admin == admin {
			fmt.Fprintf(p.stdout, "account %s was already %s\n", a.Username, role)
			return nil
		}
		if _, err := op.svc.SetAdmin(ctx, nil, a.ID, admin); err != nil {
			return err
		}
		fmt.Fprintf(p.stdout, "made %s %s\n", a.Username, role)
		return nil
	}
}

// userDelete deletes an account: oncelink user delete NAME. Its links are
// revoked and deleted with their content; the last enabled administrator
// stays.
func userDelete(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	return func(ctx context.Context, p *proc, args []string) error {
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		if _, err := op.svc.DeleteAccount(ctx, nil, a.ID); err != nil {
			return err
		}
		fmt.Fprintf(p.stdout, "deleted account %s with its links\n", a.Username)
		return nil
	}
}

// userResetTwoFactor removes an account's authenticator app, passkeys
// and recovery codes: oncelink user 2fa-reset NAME, for an owner who lost
// them. The account then signs in with its password alone, or sets a new
// second factor up first when the server requires one.
func userResetTwoFactor(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	return func(ctx context.Context, p *proc, args []string) error {
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		if _, err := op.svc.ResetTwoFactor(ctx, nil, a.ID); err != nil {
			return err
		}
		fmt.Fprintf(p.stdout, "removed the second factors of %s\n", a.Username)
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
