package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

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
	if r := runCLI(t, nil, ownerPassword+"\n", "user", "add", "ada", "--admin", "--password-stdin", "--db", db); r.err != nil {
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
	} {
		r := runCLI(t, nil, tc.password+"\n", "user", "add", tc.name, "--db", db, "--password-stdin")
		if r.code != exitFailed || !strings.Contains(r.err.Error(), tc.want) {
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
	if code := getStatus(t, carol, s.URL+"/accounts"); code != http.StatusNotFound {
		t.Fatalf("carol's /accounts: %d, want 404: she is no administrator", code)
	}
}
