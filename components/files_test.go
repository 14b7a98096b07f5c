package components

import (
	"context"
	"strings"
	"testing"

	"oncelink/i18n"
)

// TestFileNamesKeepTheirOrder: a shared file's name, in its facts and as
// the player's title, is isolated from the page around it, so that on a
// page written right to left a name that starts with a number, or ends
// with a bracket, reads as it was written.
func TestFileNamesKeepTheirOrder(t *testing.T) {
	const name = "2026 Bericht (final).webm"
	ctx := i18n.With(context.Background(), "ar")
	var facts, player strings.Builder
	if err := fileFacts(SharedFile{Name: name, Type: "video/webm", Size: 10}).Render(ctx, &facts); err != nil {
		t.Fatal(err)
	}
	if err := Player(Media{Kind: "video", Src: "/l/x/media", Title: name}).Render(ctx, &player); err != nil {
		t.Fatal(err)
	}
	for what, html := range map[string]string{"the facts": facts.String(), "the player": player.String()} {
		if !strings.Contains(html, "<bdi>"+name+"</bdi>") {
			t.Errorf("%s do not isolate the name:\n%s", what, html)
		}
	}
}
