package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/live"
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
	fs.BoolVar(&d.create, "create", false, "cli.flag.user_create")
	return d
}

// operator is what an operator command works with: the database, and the
// rules over it.
type operator struct {
	st  *store.Store
	svc *core.Service
	// stop ends the PostgreSQL broker's listener, if any.
	stop context.CancelFunc
}

func (o *operator) Close() error {
	o.stop()
	return o.st.Close()
}

// open opens the database and says on stderr which one (see check and
// connect).
func (d *database) open(ctx context.Context, stderr io.Writer) (*operator, error) {
	name, err := d.check(ctx, stderr)
	if err != nil {
		return nil, err
	}
	return d.connect(ctx, name, stderr)
}

// check says on stderr which database the command uses, and returns its
// name as said, before anything is opened or made. It refuses to create an
// SQLite file without --create: run in the wrong directory, an operator
// command would otherwise make an empty database and report success. A
// PostgreSQL database is never created here.
func (d *database) check(ctx context.Context, stderr io.Writer) (string, error) {
	l := i18n.From(ctx)
	if err := d.refused(l); err != nil {
		return "", err
	}
	name, verb := dbName(d.dsn), "cli.user.using_db"
	if !store.IsPostgres(d.dsn) {
		if abs, err := filepath.Abs(d.dsn); err == nil {
			name = abs
		}
		_, err := os.Stat(d.dsn)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !d.create:
			return "", errors.New(l.T("cli.user.no_db", "Path", name))
		case errors.Is(err, fs.ErrNotExist):
			verb = "cli.user.creating_db"
		case err != nil:
			return "", err
		}
	}
	fmt.Fprintf(stderr, "oncelink: %s\n", l.T(verb, "Name", name))
	return name, nil
}

// refused is the usage error of a --db that names no database file or
// DSN (see dbPathRefusal), in l's language: nil for one that may be
// opened. It is told before anything else is asked.
func (d *database) refused(l *i18n.Localizer) error {
	if err := dbPathRefusal(l, d.dsn); err != nil {
		return usageError(err.Error())
	}
	return nil
}

// connect opens the database that check said, by its name, and makes an
// SQLite file with --create.
func (d *database) connect(ctx context.Context, name string, stderr io.Writer) (*operator, error) {
	l := i18n.From(ctx)
	st, err := store.Open(ctx, d.dsn, store.Options{})
	if err != nil {
		return nil, sayDatabase(l, name, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := context.WithCancel(ctx)
	var broker live.Broker
	if st.Postgres() {
		// What a command changes reaches the running instances at once,
		// as a change made in one of them does: a disabled account's open
		// streams end. On SQLite the server is another process, which
		// finds out at its streams' next heartbeat.
		if broker, err = live.NewPostgres(ctx, st.Pool(), log); err != nil {
			stop()
			st.Close()
			return nil, err
		}
	}
	// The operator's rules need no server key: they make no links.
	return &operator{st: st, svc: core.New(core.Config{Broker: broker}, st, nil, log), stop: stop}, nil
}

// openAccount opens the database and finds the account that args name, for
// the commands that take just a NAME. An SQLite file that is not there
// holds no account: it is not made, even with --create, and the command is
// told how to make both.
func (d *database) openAccount(ctx context.Context, p *proc, args []string) (*operator, core.Account, error) {
	name, err := oneName(p, args)
	if err != nil {
		return nil, core.Account{}, err
	}
	if err := d.refused(p.loc); err != nil {
		return nil, core.Account{}, err
	}
	if !store.IsPostgres(d.dsn) {
		if _, err := os.Stat(d.dsn); errors.Is(err, fs.ErrNotExist) {
			path := d.dsn
			if abs, err := filepath.Abs(path); err == nil {
				path = abs
			}
			return nil, core.Account{}, &exitError{code: exitNotFound, err: errors.New(p.T("cli.user.no_db_account",
				"Path", path, "Name", p.loc.Quote(name), "Command", "oncelink user add "+name+" --create"))}
		}
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
func oneName(p *proc, args []string) (string, error) {
	switch {
	case len(args) == 0:
		return "", usageError(p.T("cli.user.name_missing"))
	case len(args) > 1:
		return "", unexpectedArg(p, args[1])
	}
	return args[0], nil
}

// passwordStdinFlag is --password-stdin, for commands that ask for a password.
func passwordStdinFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("password-stdin", false, "cli.flag.user_password_stdin")
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
	asJSON := fs.Bool("json", false, "cli.flag.user_list_json")
	return func(ctx context.Context, p *proc, args []string) error {
		if len(args) > 0 {
			return unexpectedArg(p, args[0])
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
			return printJSON(p.stdout, map[string]any{"accounts": list})
		}
		tw := newTable(p.stdout, 2)
		fmt.Fprintln(tw, p.T("cli.user.list_header"))
		for _, a := range accounts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Username, yesNo(p, a.Admin), yesNo(p, a.Disabled()), a.CreatedAt.UTC().Format(tableTime),
				cmp.Or(strings.Join(sso(a), ", "), "-"))
		}
		return tw.Flush()
	}
}

func yesNo(p *proc, b bool) string {
	if b {
		return p.T("cli.user.yes")
	}
	return p.T("cli.user.no")
}

// userAdd adds an account: oncelink user add NAME [--admin] [--password-stdin].
func userAdd(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	admin := fs.Bool("admin", false, "cli.flag.user_add_admin")
	fromStdin := passwordStdinFlag(fs)
	return func(ctx context.Context, p *proc, args []string) error {
		name, err := oneName(p, args)
		if err != nil {
			return err
		}
		// Nothing is opened, nor made by --create, until the name and
		// the password are had and the core's rules take them: refused,
		// or Ctrl-C at its prompt, the command leaves no database behind.
		// A prompt comes after the database is named, or refused for want
		// of --create.
		if err := db.refused(p.loc); err != nil {
			return err
		}
		if err := core.CheckNewUsername(name); err != nil {
			return refusedAccount(p, err)
		}
		if err := canReadPassword(p, *fromStdin); err != nil {
			return err
		}
		var password string
		if *fromStdin {
			if password, err = readNewPassword(ctx, p, true); err != nil {
				return err
			}
		}
		where, err := db.check(ctx, p.stderr)
		if err != nil {
			return err
		}
		if !*fromStdin {
			if password, err = readNewPassword(ctx, p, false); err != nil {
				return err
			}
		}
		op, err := db.connect(ctx, where, p.stderr)
		if err != nil {
			return err
		}
		defer op.Close()
		a, err := op.svc.AddAccount(ctx, name, password, *admin)
		if err != nil {
			return err
		}
		added := "cli.user.added"
		if a.Admin {
			added = "cli.user.added_admin"
		}
		fmt.Fprintln(p.stdout, p.T(added, "Name", a.Username))
		return nil
	}
}

// userPasswd sets an account's password and signs the account out
// everywhere: oncelink user passwd NAME [--password-stdin].
func userPasswd(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	fromStdin := passwordStdinFlag(fs)
	return func(ctx context.Context, p *proc, args []string) error {
		if _, err := oneName(p, args); err != nil {
			return err
		}
		// As user add's: refused before the database is opened; a
		// prompt comes once the account is found, which a database that
		// is not there has not (see openAccount).
		if err := db.refused(p.loc); err != nil {
			return err
		}
		if err := canReadPassword(p, *fromStdin); err != nil {
			return err
		}
		var password string
		var err error
		if *fromStdin {
			if password, err = readNewPassword(ctx, p, true); err != nil {
				return err
			}
		}
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		if !*fromStdin {
			if password, err = readNewPassword(ctx, p, false); err != nil {
				return err
			}
		}
		if _, _, err := op.svc.SetPassword(ctx, a.ID, password, ""); err != nil {
			return err
		}
		fmt.Fprintln(p.stdout, p.T("cli.user.password_changed", "Name", a.Username))
		return nil
	}
}

// userKey prints a new API key of an account: oncelink user key NAME
// [--name LABEL] [--expires DURATION]. Only the key goes to standard
// output, so that key=$(oncelink user key ada) works.
func userKey(fs *flag.FlagSet) runFunc {
	db := databaseFlags(fs)
	label := fs.String("name", "oncelink user key", "cli.flag.user_key_name")
	expires := fs.String("expires", "never", "cli.flag.user_key_expires")
	return func(ctx context.Context, p *proc, args []string) error {
		// Refused before the database is opened, or made by --create.
		if err := core.CheckNewKey(*label, *expires); err != nil {
			return refusedFlag(p, err, map[string]string{"name": "--name", "expires": "--expires"})
		}
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		k, err := op.svc.CreateKey(ctx, a.ID, *label, *expires)
		if err != nil {
			return refusedFlag(p, err, map[string]string{"name": "--name", "expires": "--expires"})
		}
		fmt.Fprintln(p.stdout, k.Secret)
		return nil
	}
}

func userDisable(fs *flag.FlagSet) runFunc {
	return changeAccount(fs, (*core.Service).SetDisabled, true, "cli.user.already_disabled", "cli.user.disabled")
}

func userEnable(fs *flag.FlagSet) runFunc {
	return changeAccount(fs, (*core.Service).SetDisabled, false, "cli.user.already_enabled", "cli.user.enabled")
}

func userPromote(fs *flag.FlagSet) runFunc {
	return changeAccount(fs, (*core.Service).SetAdmin, true, "cli.user.already_admin", "cli.user.promoted")
}

func userDemote(fs *flag.FlagSet) runFunc {
	return changeAccount(fs, (*core.Service).SetAdmin, false, "cli.user.already_member", "cli.user.demoted")
}

// changeAccount is oncelink user disable NAME, enable, promote or demote:
// change (core.Service.SetDisabled or SetAdmin) with to, for the operator.
// It says done, or already when the account was so: whether it changed is
// the core's to say, as it is for the accounts page, one rule for both. A
// disabled account cannot sign in, and its sessions end at their next
// request; the last enabled administrator stays one.
func changeAccount(fs *flag.FlagSet, change func(*core.Service, context.Context, *core.Account, int64, bool) (core.Account, bool, error), to bool, already, done string) runFunc {
	db := databaseFlags(fs)
	return func(ctx context.Context, p *proc, args []string) error {
		op, a, err := db.openAccount(ctx, p, args)
		if err != nil {
			return err
		}
		defer op.Close()
		_, changed, err := change(op.svc, ctx, nil, a.ID, to)
		if err != nil {
			return err
		}
		if !changed {
			fmt.Fprintln(p.stdout, p.T(already, "Name", a.Username))
			return nil
		}
		fmt.Fprintln(p.stdout, p.T(done, "Name", a.Username))
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
		fmt.Fprintln(p.stdout, p.T("cli.user.deleted", "Name", a.Username))
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
		_, removed, err := op.svc.ResetTwoFactor(ctx, nil, a.ID)
		if err != nil {
			return err
		}
		if !removed {
			fmt.Fprintln(p.stderr, p.T("cli.user.twofactor_none", "Name", a.Username))
			return nil
		}
		fmt.Fprintln(p.stdout, p.T("cli.user.twofactor_reset", "Name", a.Username))
		return nil
	}
}

// canReadPassword refuses, as a usage error, to ask for a password with
// no terminal to ask it on, when it is not read from standard input: said
// before anything else is done.
func canReadPassword(p *proc, fromStdin bool) error {
	if !fromStdin && !isTerminal(p.stdin) {
		return usageError(p.T("cli.user.password_not_terminal"))
	}
	return nil
}

// readPassword reads an account's new password: the first line of
// standard input with fromStdin, else twice at a prompt on the terminal
// that does not echo it. Ctrl-C stops either read (ctx's error); no
// terminal without fromStdin, and an empty password, are usage errors.
func readPassword(ctx context.Context, p *proc, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(&stoppable{ctx: ctx, r: p.stdin}, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if line = strings.TrimRight(line, "\r\n"); line == "" {
			return "", usageError(p.T("cli.share.password_empty"))
		}
		return line, nil
	}
	if err := canReadPassword(p, false); err != nil {
		return "", err
	}
	first, err := readSecret(ctx, p.stdin, p.stderr, p.T("cli.user.password_prompt")+" ")
	if err != nil {
		return "", err
	}
	again, err := readSecret(ctx, p.stdin, p.stderr, p.T("cli.user.password_again")+" ")
	if err != nil {
		return "", err
	}
	if first != again {
		return "", errors.New(p.T("cli.user.passwords_differ"))
	}
	return first, nil
}

// readNewPassword is readPassword's password, refused as a usage error
// when the core would refuse it for an account (see refusedAccount).
func readNewPassword(ctx context.Context, p *proc, fromStdin bool) (string, error) {
	password, err := readPassword(ctx, p, fromStdin)
	if err != nil {
		return "", err
	}
	if err := core.CheckNewPassword(password); err != nil {
		return "", refusedAccount(p, err)
	}
	return password, nil
}

// refusedAccount makes err, when it is core's refusal of a new account's
// name or password, a usage error that says it, as refusedFlag does.
func refusedAccount(p *proc, err error) error {
	return refusedFlag(p, err, map[string]string{"username": "", "password": ""})
}

// refusedFlag makes err, when it is core's refusal of the value of one of
// flags (by the field it names), a usage error that names the flag, as
// namedFlag does with the server's refusals.
func refusedFlag(p *proc, err error, flags map[string]string) error {
	if e, ok := core.AsError(err); ok && e.Kind == core.Invalid {
		if name, ok := flags[e.Field]; ok {
			if name == "" {
				return usageError(e.Message(p.loc))
			}
			return usageError(p.T("cli.flag_error.refused", "Flag", name, "Message", e.Message(p.loc)))
		}
	}
	return err
}
