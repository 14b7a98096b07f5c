package components

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"oncelink/i18n"
)

// T is the message id in the reader's language, which the rendering
// context carries; pairs are its data, names and values in turn.
func T(ctx context.Context, id string, pairs ...any) string { return i18n.T(ctx, id, pairs...) }

// N is the message id in the plural form for n, in the reader's language.
func N(ctx context.Context, id string, n int, pairs ...any) string {
	return i18n.N(ctx, id, n, pairs...)
}

// lang is the reader's language.
func lang(ctx context.Context) i18n.Language { return i18n.From(ctx).Language }

// scriptMessages is the data block of the page scripts' messages in the
// reader's language (see i18n.Localizer.Script): those of app.js, and
// those of the page's other scripts, loaded with it or later.
func scriptMessages(ctx context.Context, scripts, loads []string) templ.Component {
	var omit []string
	for _, g := range scriptGroups {
		if !slices.Contains(scripts, g.script) && !slices.Contains(loads, g.script) {
			omit = append(omit, g.prefix)
		}
	}
	return templ.Raw(`<script type="application/json" id="messages">` + i18n.From(ctx).Script(omit...) + `</script>`)
}

// scriptGroups are the messages that only one script says, which a page
// carries only when it loads that script.
var scriptGroups = []struct{ script, prefix string }{
	{"player.js", "js.player."},
	{"e2e.js", "js.e2e."},
	{"passkeys.js", "js.passkey."},
}

// languageOptions is languageOptionList, drawn once for each language and
// choice (a supported code or ""), since every page carries it.
func languageOptions(selected string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		key := lang(ctx).Code + "/" + selected
		s, ok := drawnOptions.Load(key)
		if !ok {
			var b strings.Builder
			if err := languageOptionList(selected).Render(ctx, &b); err != nil {
				return err
			}
			s, _ = drawnOptions.LoadOrStore(key, b.String())
		}
		_, err := io.WriteString(w, s.(string))
		return err
	})
}

var drawnOptions sync.Map
