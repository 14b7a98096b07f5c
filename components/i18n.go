package components

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"oncelink/assets"
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

// messagesDir is the folder, among the static files, of the page scripts'
// messages: one file for each language (see i18n.Localizer.ScriptFile).
const messagesDir = "messages/"

// messagesPath is the address of the page scripts' messages in the
// reader's language.
func messagesPath(ctx context.Context) string {
	name, _ := i18n.From(ctx).ScriptFile()
	return assets.Prefix + messagesDir + name
}

// MadeFile is the static file that oncelink makes under name (below
// assets.Prefix), for assets.Handler: a language's messages for the page
// scripts, under the name its pages give them. Any other name, such as an
// older release's, is not one.
func MadeFile(name string) ([]byte, bool) {
	file, ok := strings.CutPrefix(name, messagesDir)
	code, _, _ := strings.Cut(file, ".")
	if !ok || !i18n.Supported(code) {
		return nil, false
	}
	want, js := i18n.For(code).ScriptFile()
	return js, file == want
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
