package api

import (
	"net/http"
	"testing"

	"oncelink/core"
	"oncelink/i18n"
)

// TestDisabledOwnersLinksRest: while its owner's account is disabled, an
// open through the API is 403 with the code owner_disabled, as the
// document says (every exchange is checked against it), and takes no use;
// a password link's open too, before its password is tried. Enabled
// again, the link opens with the uses it had left.
func TestDisabledOwnersLinksRest(t *testing.T) {
	s := newTestServer(t, newDocCheck(t))
	ctx := t.Context()
	ada := s.account("ada")
	l := ada.create(map[string]any{"max_uses": 2})
	locked := ada.create(map[string]any{"password": "open sesame"})
	anon := s.client("")
	if res := anon.postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
	acc, err := s.svc.AccountByName(ctx, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.svc.SetDisabled(ctx, nil, acc.ID, true); err != nil {
		t.Fatal(err)
	}
	for what, res := range map[string]response{
		"an open":            anon.postJSON(openPath(l.URL), nil),
		"a wrong password":   anon.postJSON(openPath(locked.URL), map[string]string{"password": "guess"}),
		"the right password": anon.postJSON(openPath(locked.URL), map[string]string{"password": "open sesame"}),
	} {
		wantProblem(t, what+" while the owner is disabled", res, http.StatusForbidden, "owner_disabled")
		if p := res.problem(); p.Detail != core.ErrLinkResting.Message(i18n.For("en")) || p.Title != "Forbidden" {
			t.Errorf("%s: %q: %q, want the resting link's", what, p.Title, p.Detail)
		}
	}
	if got, err := s.svc.Link(ctx, acc.ID, l.ID); err != nil || got.Uses != 1 {
		t.Fatalf("the link while its owner was disabled: %d uses, %v; want 1", got.Uses, err)
	}

	if _, _, err := s.svc.SetDisabled(ctx, nil, acc.ID, false); err != nil {
		t.Fatal(err)
	}
	if res := anon.postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("an open once enabled: %d %s", res.StatusCode, res.body)
	}
	if res := anon.postJSON(openPath(l.URL), nil); res.StatusCode != http.StatusGone {
		t.Fatalf("an open past its two uses: %d %s, want 410", res.StatusCode, res.body)
	}
	if res := anon.postJSON(openPath(locked.URL), map[string]string{"password": "open sesame"}); res.StatusCode != http.StatusOK {
		t.Fatalf("the password link once enabled: %d %s", res.StatusCode, res.body)
	}
}
