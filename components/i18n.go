package components

import (
	"context"

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
// reader's language (see i18n.Localizer.Script).
func scriptMessages(ctx context.Context) templ.Component {
	return templ.Raw(`<script type="application/json" id="messages">` + i18n.From(ctx).Script() + `</script>`)
}
