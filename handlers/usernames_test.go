package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestUsernamesArePRECIS: names compare without case or width, and names
// with invisible, direction-changing or look-alike characters are refused
// with a message that says why.
func TestUsernamesArePRECIS(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	if res := admin.post("/accounts", url.Values{"username": {"Bob"}, "password": {testPassword}}); res.StatusCode != http.StatusCreated {
		t.Fatalf("add Bob: %d", res.StatusCode)
	}
	for _, tt := range []struct {
		name, typed string
		status      int
		msg         string
	}{
		{"other case", "bob", http.StatusConflict, "differs only in case"},
		{"full width", "Ｂｏｂ", http.StatusConflict, "differs only in case"},
		{"zero-width space", "bo\u200bb", http.StatusBadRequest, "no invisible characters"},
		{"right-to-left override", "\u202ebob", http.StatusBadRequest, "change the direction"},
		{"word joiner", "b\u2060ob", http.StatusBadRequest, "no invisible characters"},
		{"ligature", "ﬁona", http.StatusBadRequest, "compatibility forms"},
		{"Cyrillic o among Latin", "bоb", http.StatusBadRequest, "cannot mix Latin, Greek and Cyrillic"},
	} {
		res := admin.post("/accounts", url.Values{"username": {tt.typed}, "password": {testPassword}})
		if res.StatusCode != tt.status || !strings.Contains(res.body, tt.msg) {
			t.Errorf("%s (%q): %d, want %d saying %q", tt.name, tt.typed, res.StatusCode, tt.status, tt.msg)
		}
	}
	if list, _ := s.store.Accounts(t.Context()); len(list) != 2 {
		t.Fatalf("refused names added accounts: %d", len(list))
	}
	// One alphabet alone is a name like any other.
	if res := admin.post("/accounts", url.Values{"username": {"Борис"}, "password": {testPassword}}); res.StatusCode != http.StatusCreated {
		t.Errorf("add a Cyrillic name: %d", res.StatusCode)
	}

	// Bob signs in as he likes to type his name, and is shown as he chose it.
	bob := s.client()
	if res := bob.post("/login", url.Values{"username": {"BOB"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as BOB: %d", res.StatusCode)
	}
	if res := bob.get("/links"); !strings.Contains(res.body, "Bob") {
		t.Error("the dashboard does not show Bob's name as typed")
	}
	// A link for "bob" is for Bob.
	u := admin.createLink(url.Values{"for_user": {"bob"}})
	if res := bob.post(u, nil); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
		t.Errorf("Bob opens a link made for bob: %d", res.StatusCode)
	}
}

// TestUsernamesPassingForLatin: beside cop and ab, a name in Cyrillic or
// Greek letters that all look like Latin ones is refused, since it would
// look the same in every list; a Cyrillic or Greek name with one letter
// unlike any Latin letter is added.
func TestUsernamesPassingForLatin(t *testing.T) {
	s := newTestServer(t)
	admin := s.admin()
	for _, name := range []string{"cop", "ab"} {
		if res := admin.post("/accounts", url.Values{"username": {name}, "password": {testPassword}}); res.StatusCode != http.StatusCreated {
			t.Fatalf("add %s: %d", name, res.StatusCode)
		}
	}
	for _, typed := range []string{"сор", "ΑΒ"} {
		res := admin.post("/accounts", url.Values{"username": {typed}, "password": {testPassword}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "looks like a Latin letter") {
			t.Errorf("%q: %d, want 400 saying why", typed, res.StatusCode)
		}
	}
	if list, _ := s.store.Accounts(t.Context()); len(list) != 3 {
		t.Fatalf("refused names added accounts: %d", len(list))
	}
	for _, typed := range []string{"иван", "алёна", "Δημήτρης"} {
		if res := admin.post("/accounts", url.Values{"username": {typed}, "password": {testPassword}}); res.StatusCode != http.StatusCreated {
			t.Errorf("add %q: %d", typed, res.StatusCode)
		}
	}
}
