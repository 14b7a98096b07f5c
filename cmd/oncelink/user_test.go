package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/internal/pgtest"
	"oncelink/store"
)

// account reads the account name from the database db, as the server would.
func account(t *testing.T, db, name string) store.Account {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.AccountByName(context.Background(), name)
	if err != nil {
		t.Fatalf("account %s: %v", name, err)
	}
	return a
}

// newDB makes a database with the admin account ada, and returns its path.
func newDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "oncelink.db")
	if r := runCLI(t, nil, ownerPassword+"\n", "user", "add", "ada", "--admin", "--password-stdin", "--db", db, "--create"); r.err != nil {
		t.Fatalf("user add ada: %v", r.err)
	}
	return db
}

func TestUserAddTakesFlagsAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"--admin", "dave", "--password-stdin"},
		{"dave", "--admin", "--password-stdin"},
		{"--admin", "--password-stdin", "dave"},
		{"--admin=true", "--password-stdin", "--", "dave"},
	} {
		db := newDB(t)
		args = append([]string{"user", "add", "--db", db}, args...)
		r := runCLI(t, nil, ownerPassword+"\n", args...)
		if r.err != nil || r.stdout != "added admin account dave\n" {
			t.Errorf("%v: %v, %q", args, r.err, r.stdout)
			continue
		}
		if a := account(t, db, "dave"); !a.Admin || bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(ownerPassword)) != nil {
			t.Errorf("%v: dave is %+v", args, a)
		}
	}
	// The database flag may come first too, with its value.
	db := newDB(t)
	if r := runCLI(t, nil, ownerPassword+"\n", "user", "add", "--db", db, "erin", "--password-stdin"); r.err != nil || account(t, db, "erin").Admin {
		t.Errorf("--db before the name: %v", r.err)
	}
}

func TestUserAdd(t *testing.T) {
	db := newDB(t)
	for _, tc := range []struct {
		name, password string
		want           string
	}{
		{"ada", ownerPassword, "already exists"},
		{"eve", "short", "at least 10"},
		{"e ve", ownerPassword, "spaces"},
		{"сор", ownerPassword, "looks like a Latin letter"}, // Cyrillic, passing for cop
	} {
		r := runCLI(t, nil, tc.password+"\n", "user", "add", tc.name, "--db", db, "--password-stdin")
		// A name or password the core refuses is a usage error, said
		// before the database is opened; an account that is there is not.
		code := exitUsage
		if tc.name == "ada" {
			code = exitFailed
		}
		if r.code != code || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("user add %q: status %d, %v; want %q", tc.name, r.code, r.err, tc.want)
		}
	}
	// The database may come from the environment; nothing else may.
	env := map[string]string{"ONCELINK_DB": db, "ONCELINK_ADMIN": "true", "ONCELINK_PASSWORD_STDIN": "true"}
	r := runCLI(t, env, ownerPassword+"\n", "user", "add", "carol", "--password-stdin")
	if r.err != nil || r.stdout != "added account carol\n" {
		t.Fatalf("user add with ONCELINK_ADMIN set: %v %q", r.err, r.stdout)
	}
	s := startServer(t, db)
	if code, _ := postForm(t, newClient(), s.URL+"/login", url.Values{"username": {"ada"}, "password": {ownerPassword}}); code != http.StatusSeeOther {
		t.Fatalf("ada cannot sign in: %d", code)
	}
	// carol is in the database ONCELINK_DB named, and is no administrator.
	carol := newClient()
	if code, _ := postForm(t, carol, s.URL+"/login", url.Values{"username": {"carol"}, "password": {ownerPassword}}); code != http.StatusSeeOther {
		t.Fatalf("carol cannot sign in: %d", code)
	}
	if code := getStatus(t, carol, s.URL+"/accounts"); code != http.StatusForbidden {
		t.Fatalf("carol's /accounts: %d, want 403: she is no administrator", code)
	}
}

func TestOperatorCommandsRefuseAMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	other := filepath.Join(dir, "elsewhere.db")
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "add", "dave", "--password-stdin"},
		{"user", "passwd", "dave", "--password-stdin"},
		{"user", "disable", "dave"},
		{"user", "enable", "dave"},
		{"user", "list", "--db", other},
		{"user", "add", "dave", "--password-stdin", "--db", other},
	} {
		r := runCLI(t, nil, ownerPassword+"\n", args...)
		// A command whose account must be there says there is none
		// either, and how to make both.
		code := exitFailed
		if args[1] != "list" && args[1] != "add" {
			code = exitNotFound
		}
		if r.code != code || r.err == nil || !strings.Contains(r.err.Error(), "--create") || r.stdout != "" {
			t.Errorf("%v: status %d, %v, stdout %q", args, r.code, r.err, r.stdout)
		}
		want := filepath.Join(dir, "oncelink.db")
		if args[len(args)-1] == other {
			want = other
		}
		if code == exitNotFound {
			en := i18n.For("en")
			want = en.T("cli.user.no_db_account", "Path", want, "Name", en.Quote("dave"), "Command", "oncelink user add dave --create")
		}
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("%v: the error does not name %s: %v", args, want, r.err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("%v left %v behind", args, entries)
		}
	}
	// --create makes the database, here and elsewhere, and says so.
	for _, db := range []string{"", other} {
		args := []string{"user", "add", "dave", "--password-stdin", "--create"}
		want := filepath.Join(dir, "oncelink.db")
		if db != "" {
			args, want = append(args, "--db", db), db
		}
		r := runCLI(t, nil, ownerPassword+"\n", args...)
		if r.err != nil || r.stderr != "oncelink: creating database "+want+"\n" {
			t.Fatalf("%v: %v, stderr %q", args, r.err, r.stderr)
		}
		if _, err := os.Stat(want); err != nil {
			t.Fatal(err)
		}
		r = runCLI(t, nil, "", "user", "list", "--db", want)
		if r.err != nil || r.stderr != "oncelink: using database "+want+"\n" || !strings.Contains(r.stdout, "dave") {
			t.Fatalf("list %s: %v, stderr %q, stdout %q", want, r.err, r.stderr, r.stdout)
		}
	}
}

func TestUserPasswd(t *testing.T) {
	db := newDB(t)
	const newPassword = "another long password"
	// Whoever was signed in with the old password is signed out, on a
	// server running meanwhile.
	s := startServer(t, db)
	browser := newClient()
	if code, body := postForm(t, browser, s.URL+"/login", url.Values{"username": {"ada"}, "password": {ownerPassword}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", code, body)
	}
	if code := getStatus(t, browser, s.URL+"/links"); code != http.StatusOK {
		t.Fatalf("dashboard before: %d", code)
	}
	r := runCLI(t, nil, newPassword+"\n", "user", "passwd", "--password-stdin", "ada", "--db", db)
	if r.err != nil || r.stdout != "changed the password of ada and signed it out everywhere\n" {
		t.Fatalf("passwd: %v %q", r.err, r.stdout)
	}
	if code := getStatus(t, browser, s.URL+"/links"); code != http.StatusSeeOther {
		t.Fatalf("dashboard after the password changed: %d, want a 303 to sign in", code)
	}
	hash := account(t, db, "ada").PasswordHash
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(newPassword)) != nil {
		t.Fatal("the new password does not match")
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(ownerPassword)) == nil {
		t.Fatal("the old password still matches")
	}
	for _, tc := range []struct {
		args     []string
		password string
		code     int
		want     string
	}{
		{[]string{"ada"}, "short\n", exitUsage, "at least 10"},
		{[]string{"ada"}, strings.Repeat("x", 100) + "\n", exitUsage, "at most"},
		{[]string{"nobody"}, newPassword + "\n", exitNotFound, `no account named "nobody"`},
	} {
		args := append(append([]string{"user", "passwd"}, tc.args...), "--password-stdin", "--db", db)
		r := runCLI(t, nil, tc.password, args...)
		if r.code != tc.code || r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("%v: status %d, %v; want %d, %q", args, r.code, r.err, tc.code, tc.want)
		}
	}
	if account(t, db, "ada").PasswordHash != hash {
		t.Fatal("a refused password changed the hash")
	}
	// Without --password-stdin it asks on a terminal, and there is none.
	if r := runCLI(t, nil, newPassword+"\n", "user", "passwd", "ada", "--db", db); r.code != exitUsage || !strings.Contains(r.err.Error(), "--password-stdin") {
		t.Fatalf("no terminal: %d %v", r.code, r.err)
	}
}

func TestUserDisableAndEnable(t *testing.T) {
	db := newDB(t)
	// Another administrator, as the only enabled one cannot be disabled.
	if r := runCLI(t, nil, ownerPassword+"\n", "user", "add", "bea", "--admin", "--password-stdin", "--db", db); r.err != nil {
		t.Fatal(r.err)
	}
	for _, tc := range []struct {
		args     []string
		stdout   string
		code     int
		disabled bool
	}{
		{[]string{"disable", "ada"}, "disabled account ada\n", exitDone, true},
		{[]string{"disable", "ada"}, "account ada was already disabled\n", exitDone, true},
		{[]string{"enable", "ada"}, "enabled account ada\n", exitDone, false},
		{[]string{"enable", "ada"}, "account ada was already enabled\n", exitDone, false},
		{[]string{"disable", "--db", db, "ada"}, "disabled account ada\n", exitDone, true},
		{[]string{"enable", "nobody"}, "", exitNotFound, true},
		{[]string{"disable"}, "", exitUsage, true},
	} {
		before := account(t, db, "ada")
		args := append([]string{"user"}, tc.args...)
		if !slices.Contains(args, "--db") { // a flag comes once, here or there
			args = append(args, "--db", db)
		}
		r := runCLI(t, nil, "", args...)
		if r.code != tc.code || r.stdout != tc.stdout {
			t.Errorf("%v: status %d, %q, %v; want %d, %q", tc.args, r.code, r.stdout, r.err, tc.code, tc.stdout)
		}
		a := account(t, db, "ada")
		if a.Disabled() != tc.disabled {
			t.Errorf("after %v, ada disabled: %v", tc.args, a.Disabled())
		}
		if before.Disabled() && a.Disabled() && !a.DisabledAt.Equal(before.DisabledAt) {
			t.Errorf("%v moved the time ada was disabled", tc.args)
		}
	}
}

func TestUserList(t *testing.T) {
	db := newDB(t)
	runCLI(t, nil, ownerPassword+"\n", "user", "add", "bob", "--password-stdin", "--db", db)
	runCLI(t, nil, "", "user", "disable", "bob", "--db", db)
	r := runCLI(t, nil, "", "user", "list", "--json", "--db", db)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var got struct {
		Accounts []struct {
			Username   string     `json:"username"`
			Admin      bool       `json:"admin"`
			Disabled   bool       `json:"disabled"`
			CreatedAt  time.Time  `json:"created_at"`
			DisabledAt *time.Time `json:"disabled_at"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if len(got.Accounts) != 2 {
		t.Fatalf("accounts: %+v", got.Accounts)
	}
	ada, bob := got.Accounts[0], got.Accounts[1]
	if ada.Username != "ada" || !ada.Admin || ada.Disabled || ada.DisabledAt != nil || time.Since(ada.CreatedAt) > time.Minute ||
		bob.Username != "bob" || bob.Admin || !bob.Disabled || bob.DisabledAt == nil {
		t.Fatalf("accounts: %+v", got.Accounts)
	}
	r = runCLI(t, nil, "", "user", "list", "--db", db)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.err != nil || len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "NAME ADMIN DISABLED CREATED SINGLE SIGN-ON" ||
		!strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "), "ada yes no ") ||
		!strings.HasPrefix(strings.Join(strings.Fields(lines[2]), " "), "bob no yes ") {
		t.Fatalf("list: %v\n%s", r.err, r.stdout)
	}
}

// TestUserListOrder: accounts are listed by name as people sort names,
// case and accents aside, not by the bytes of their names (Zed before ada,
// Émile after Zed).
func TestUserListOrder(t *testing.T) {
	db := newDB(t)
	for _, name := range []string{"Zed", "Émile", "Bob", "al", "carol"} {
		if r := runCLI(t, nil, ownerPassword+"\n", "user", "add", name, "--password-stdin", "--db", db); r.err != nil {
			t.Fatalf("user add %s: %v", name, r.err)
		}
	}
	want := []string{"ada", "al", "Bob", "carol", "Émile", "Zed"}
	r := runCLI(t, nil, "", "user", "list", "--json", "--db", db)
	var got struct {
		Accounts []struct {
			Username string `json:"username"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v: %v:\n%s", r.err, err, r.stdout)
	}
	var names []string
	for _, a := range got.Accounts {
		names = append(names, a.Username)
	}
	if !slices.Equal(names, want) {
		t.Errorf("user list --json: %v, want %v", names, want)
	}
	r = runCLI(t, nil, "", "user", "list", "--db", db)
	names = nil
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		names = append(names, strings.Fields(line)[0])
	}
	if r.err != nil || !slices.Equal(names, want) {
		t.Errorf("user list: %v, %v, want %v", r.err, names, want)
	}
}

// TestOperatorCommandsOnPostgres: a PostgreSQL database needs no --create,
// and its password stays out of what is printed.
func TestOperatorCommandsOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, _ := url.Parse(dsn)
	u.User = url.UserPassword("oncelink", "secret-password")
	withPassword := u.String()
	r := runCLI(t, nil, ownerPassword+"\n", "user", "add", "dave", "--password-stdin", "--db", dsn)
	if r.err != nil || r.stdout != "added account dave\n" || r.stderr != "oncelink: using database "+dbName(dsn)+"\n" {
		t.Fatalf("user add: %v %q %q", r.err, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "", "user", "list", "--db", withPassword)
	if strings.Contains(r.stderr, "secret-password") || (r.err != nil && strings.Contains(r.err.Error(), "secret-password")) {
		t.Fatalf("the password was printed: %q %v", r.stderr, r.err)
	}
}

func TestUserKey(t *testing.T) {
	db := newDB(t)
	r := runCLI(t, nil, "", "user", "key", "--expires", "90d", "ada", "--db", db, "--name", "deploys")
	key := strings.TrimSuffix(r.stdout, "\n")
	if r.err != nil || !apiKey.MatchString(key) || len(key) != len("ol_")+43 {
		t.Fatalf("user key: %v, %q", r.err, r.stdout)
	}
	st, err := store.Open(t.Context(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.APIKeys(t.Context(), account(t, db, "ada").ID)
	if err != nil || len(keys) != 1 || keys[0].Name != "deploys" || keys[0].ExpiresAt.Before(time.Now().Add(89*24*time.Hour)) {
		t.Fatalf("the key as stored: %+v, %v", keys, err)
	}
	// Years are calendar years, up to ten.
	if r := runCLI(t, nil, "", "user", "key", "--expires", "2y", "ada", "--db", db); r.err != nil {
		t.Fatalf("a key for two years: %v", r.err)
	}
	keys, err = st.APIKeys(t.Context(), account(t, db, "ada").ID)
	if err != nil || len(keys) != 2 || !slices.ContainsFunc(keys, func(k store.APIKey) bool {
		return k.ExpiresAt.Sub(time.Now().AddDate(2, 0, 0)).Abs() < time.Minute
	}) {
		t.Fatalf("a key for two years, as stored: %+v, %v", keys, err)
	}
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"user", "key", "nobody", "--db", db}, exitNotFound, "no account"},
		{[]string{"user", "key", "ada", "--expires", "soon", "--db", db}, exitUsage, "--expires: Give the key's lifetime"},
		{[]string{"user", "key", "ada", "--expires", "10m", "--db", db}, exitUsage, "at least an hour"},
		{[]string{"user", "key", "ada", "--expires", "11y", "--db", db}, exitUsage, "up to 10y"},
		{[]string{"user", "key", "ada", "--expires", "0y", "--db", db}, exitUsage, "up to 10y"},
		{[]string{"user", "key", "ada", "--expires", "+2y", "--db", db}, exitUsage, "up to 10y"},
		{[]string{"user", "key", "ada", "--expires", "3660d", "--db", db}, exitUsage, "up to 10y"},
		{[]string{"user", "key", "ada", "--name", " ", "--db", db}, exitUsage, "--name: "},
		{[]string{"user", "key", "--db", db}, exitUsage, "NAME"},
	} {
		r := runCLI(t, nil, "", tc.args...)
		if r.code != tc.code || r.err == nil || !strings.Contains(r.err.Error(), tc.says) || r.stdout != "" {
			t.Errorf("%v: exit %d, %v, %q; want %d saying %q", tc.args, r.code, r.err, r.stdout, tc.code, tc.says)
		}
	}
}

func TestUserPromoteDemoteDelete(t *testing.T) {
	db := newDB(t)
	if r := runCLI(t, nil, ownerPassword+"\n", "user", "add", "Bob", "--password-stdin", "--db", db); r.err != nil {
		t.Fatal(r.err)
	}
	steps := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		// The last administrator stays one, and stays.
		{[]string{"user", "demote", "ada"}, exitFailed, "", "only enabled administrator"},
		{[]string{"user", "delete", "ADA"}, exitFailed, "", "only enabled administrator"},
		{[]string{"user", "disable", "ada"}, exitFailed, "", "only enabled administrator"},
		// Names are found as the sign-in finds them.
		{[]string{"user", "promote", "bob"}, exitDone, "made Bob an administrator and signed it out everywhere, to sign in again as one\n", ""},
		{[]string{"user", "promote", "BOB"}, exitDone, "account Bob was already an administrator\n", ""},
		{[]string{"user", "demote", "ada"}, exitDone, "made ada a member\n", ""},
		{[]string{"user", "demote", "ada"}, exitDone, "account ada was already a member\n", ""},
		{[]string{"user", "delete", "Bob"}, exitFailed, "", "only enabled administrator"},
		{[]string{"user", "promote", "ada"}, exitDone, "made ada an administrator and signed it out everywhere, to sign in again as one\n", ""},
		{[]string{"user", "delete", "bob"}, exitDone, "deleted account Bob with its links\n", ""},
		{[]string{"user", "delete", "bob"}, exitNotFound, "", "no account named"},
		{[]string{"user", "promote"}, exitUsage, "", "NAME is missing"},
	}
	for _, s := range steps {
		r := runCLI(t, nil, "", append(s.args, "--db", db)...)
		if r.code != s.code || r.stdout != s.stdout || !strings.Contains(r.stderr+errText(r.err), s.stderr) {
			t.Errorf("%v: %d %q %q %v; want %d %q with %q", s.args, r.code, r.stdout, r.stderr, r.err, s.code, s.stdout, s.stderr)
		}
	}
	if a := account(t, db, "ada"); !a.Admin {
		t.Errorf("ada: %+v", a)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestUserKeyRefusesItsFlagsFirst: a key's lifetime or name that would be
// refused is refused before the database is opened, so that with
// --create no database is made for it, and nothing is said of one.
func TestUserKeyRefusesItsFlagsFirst(t *testing.T) {
	for _, args := range [][]string{
		{"--expires", "10m"},
		{"--expires", "11y"},
		{"--name", " "},
	} {
		db := filepath.Join(t.TempDir(), "oncelink.db")
		r := runCLI(t, nil, "", append([]string{"user", "key", "ada", "--create", "--db", db}, args...)...)
		if r.code != exitUsage || r.err == nil || !strings.HasPrefix(r.err.Error(), args[0]+": ") || r.stdout != "" ||
			strings.Contains(r.stderr, db) {
			t.Errorf("%v: exit %d, %v, %q, %q", args, r.code, r.err, r.stdout, r.stderr)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Errorf("%v: the database was made (%v)", args, err)
		}
	}
}

// TestUserPasswordPrompt: Ctrl-C at user add's and user passwd's password
// prompt ends the command (130, "interrupted") and changes nothing; with
// no terminal and no --password-stdin, or an empty password on standard
// input, they are usage errors, as login's and share's are.
func TestUserPasswordPrompt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	sh := newShell(t)
	sh.must(exitDone, ownerPassword+"\n", "user", "add", "owner", "--password-stdin", "--db", db, "--create")
	for _, args := range []string{"user add bob", "user passwd owner"} {
		said, code := sh.onTerminal(t.TempDir(), `"$ONCELINK" `+args+` --db '`+db+`' </dev/tty & pid=$!; sleep 1; kill -INT $pid; sleep 3; kill -KILL $pid 2>/dev/null; wait $pid; echo "exit=$?"`)
		if code != exitDone || !strings.Contains(said, "oncelink: interrupted") || !strings.Contains(said, "exit=130") {
			t.Fatalf("Ctrl-C at %s's prompt: %q", args, said)
		}
	}
	if r := sh.must(exitDone, "", "user", "list", "--db", db); strings.Contains(r.stdout, "bob") {
		t.Fatalf("an account was added:\n%s", r.stdout)
	}
	if r := sh.must(exitUsage, "", "user", "add", "bob", "--db", db); !strings.Contains(r.stderr, "pass the password with --password-stdin") {
		t.Fatalf("user add without a terminal: %q", r.stderr)
	}
	if r := sh.must(exitUsage, "\n", "user", "passwd", "owner", "--password-stdin", "--db", db); !strings.Contains(r.stderr, "--password-stdin read an empty password") {
		t.Fatalf("an empty password: %q", r.stderr)
	}
}

// TestUserPasswordRefusedMakesNoDatabase: user add and user passwd with
// --create refuse a password they cannot have (no terminal to ask on and
// no --password-stdin, or an empty one on standard input), or one the
// core refuses, and user add a name the core refuses, before anything is
// opened or made, and say nothing of a database; the commands whose
// account must be there make none for it, saying how to make both; Ctrl-C
// at the prompt of user add leaves none behind either.
func TestUserPasswordRefusedMakesNoDatabase(t *testing.T) {
	en := i18n.For("en")
	refusal := func(err error) string {
		e, ok := core.AsError(err)
		if !ok {
			t.Fatalf("not core's refusal: %v", err)
		}
		return e.Message(en)
	}
	noAccount := func(db, name string) string {
		return en.T("cli.user.no_db_account", "Path", db, "Name", en.Quote(name), "Command", "oncelink user add "+name+" --create")
	}
	for _, tc := range []struct {
		args  []string
		stdin string
		code  int
		want  func(db string) string
	}{
		{[]string{"user", "add", "bob"}, ownerPassword + "\n", exitUsage, func(string) string { return "pass the password with --password-stdin" }},
		{[]string{"user", "add", "bob", "--password-stdin"}, "\n", exitUsage, func(string) string { return "--password-stdin read an empty password" }},
		{[]string{"user", "add", "bob", "--password-stdin"}, "x\n", exitUsage, func(string) string { return refusal(core.CheckNewPassword("x")) }},
		{[]string{"user", "add", "bad name!", "--password-stdin"}, ownerPassword + "\n", exitUsage, func(string) string { return refusal(core.CheckNewUsername("bad name!")) }},
		{[]string{"user", "passwd", "bob"}, ownerPassword + "\n", exitUsage, func(string) string { return "pass the password with --password-stdin" }},
		{[]string{"user", "passwd", "bob", "--password-stdin"}, "", exitUsage, func(string) string { return "--password-stdin read an empty password" }},
		{[]string{"user", "passwd", "bob", "--password-stdin"}, "x\n", exitUsage, func(string) string { return refusal(core.CheckNewPassword("x")) }},
		{[]string{"user", "passwd", "bob", "--password-stdin"}, ownerPassword + "\n", exitNotFound, func(db string) string { return noAccount(db, "bob") }},
		{[]string{"user", "key", "bob"}, "", exitNotFound, func(db string) string { return noAccount(db, "bob") }},
		{[]string{"user", "disable", "bob"}, "", exitNotFound, func(db string) string { return noAccount(db, "bob") }},
		{[]string{"user", "2fa-reset", "bob"}, "", exitNotFound, func(db string) string { return noAccount(db, "bob") }},
	} {
		dir := t.TempDir()
		db := filepath.Join(dir, "oncelink.db")
		r := runCLI(t, nil, tc.stdin, append(tc.args, "--create", "--db", db)...)
		if r.code != tc.code || r.err == nil || !strings.Contains(r.err.Error(), tc.want(db)) || strings.Contains(r.stderr, db) {
			t.Errorf("%v: status %d, %v, stderr %q", tc.args, r.code, r.err, r.stderr)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("%v: left %v behind", tc.args, left)
		}
	}

	dir := t.TempDir()
	sh := newShell(t)
	said, code := sh.onTerminal(dir, `"$ONCELINK" user add bob --create --db new.db </dev/tty & pid=$!; sleep 1; kill -INT $pid; sleep 3; kill -KILL $pid 2>/dev/null; wait $pid; echo "exit=$?"`)
	if code != exitDone || !strings.Contains(said, "exit=130") || !strings.Contains(said, "new.db") {
		t.Fatalf("Ctrl-C at the prompt of user add --create: %q", said)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Ctrl-C at the prompt of user add --create left %v behind", left)
	}
}

// TestMissingDatabaseSaidOnce: a user command on a database that is not
// there says how to name one, --db or ONCELINK_DB, once each, whether the
// path came from the flag or from the environment.
func TestMissingDatabaseSaidOnce(t *testing.T) {
	en := i18n.For("en")
	missing := filepath.Join(t.TempDir(), "none", "oncelink.db")
	want := en.T("cli.user.no_db", "Path", missing)
	for _, c := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"user", "list", "--db", missing}},
		{map[string]string{"ONCELINK_DB": missing}, []string{"user", "list"}},
	} {
		r := runCLI(t, c.env, "", c.args...)
		if r.err == nil || r.err.Error() != want {
			t.Errorf("%v with %v: %v, want %q", c.args, c.env, r.err, want)
		}
	}
}
