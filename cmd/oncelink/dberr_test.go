package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mattn/go-sqlite3"

	"oncelink/i18n"
)

// TestDatabaseErrorsSaid: an SQLite database that cannot be opened (in a
// folder that is not there, a file that is no database, a directory) is
// said, by the operator commands and by the server, in each language, to
// be a database that cannot be opened, with its path and why, rather than
// in the driver's English.
func TestDatabaseErrorsSaid(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent", "x.db")
	notDB := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(notDB, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for lang, locale := range locales {
		l := i18n.For(lang)
		env := map[string]string{"LANG": locale}
		cannot := func(path, problem string) string {
			return l.T("cli.db.cannot_open", "Path", path, "Problem", problem)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"user", "list", "--create", "--db", missing}, cannot(missing, l.T("cli.sys.not_exist"))},
			{[]string{"user", "list", "--db", notDB}, cannot(notDB, l.T("cli.db.not_database"))},
			{[]string{"user", "list", "--db", dir}, cannot(dir, l.T("cli.sys.is_dir"))},
			{[]string{"serve", "--addr", "127.0.0.1:0", "--db", missing}, cannot(missing, l.T("cli.sys.not_exist"))},
			{[]string{"serve", "--addr", "127.0.0.1:0", "--db", notDB}, cannot(notDB, l.T("cli.db.not_database"))},
		} {
			r := runCLI(t, env, "", tc.args...)
			var se sqlite3.Error
			if r.code != exitFailed || r.err == nil || r.err.Error() != tc.want || !errors.As(r.err, &se) {
				t.Errorf("%s: %v: %d, %v; want %q", lang, tc.args, r.code, r.err, tc.want)
			}
		}
		// What cannot be met here, said all the same.
		for _, tc := range []struct {
			code sqlite3.ErrNo
			id   string
		}{{sqlite3.ErrReadonly, "cli.db.read_only"}, {sqlite3.ErrCorrupt, "cli.db.corrupt"}, {sqlite3.ErrBusy, "cli.db.locked"}} {
			err := fmt.Errorf("store: migrations table: %w", sqlite3.Error{Code: tc.code})
			if got, want := sayDatabase(l, "/srv/x.db", err).Error(), cannot("/srv/x.db", l.T(tc.id)); got != want {
				t.Errorf("%s: %v is said %q, want %q", lang, err, got, want)
			}
		}
	}
}
