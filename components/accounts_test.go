package components

import (
	"context"
	"strings"
	"testing"

	"oncelink/i18n"
)

// TestOwnAccountSetApartFromItsName: the viewer's own row reads "ada (you)"
// in every language, with a space between the name and the mark that says
// it is theirs, not "ada(you)".
func TestOwnAccountSetApartFromItsName(t *testing.T) {
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		var b strings.Builder
		ctx := i18n.With(context.Background(), lang)
		if err := AccountRow(AccountItem{ID: 1, Name: "ada", Self: true}).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		mark := T(ctx, "accounts.row.you")
		if !strings.Contains(b.String(), "</bdi> <span class=\"muted small\" data-testid=\"own-mark\">"+mark+"</span>") {
			t.Errorf("in %s the name and %q are not a space apart:\n%s", lang, mark, b.String())
		}
	}
}
