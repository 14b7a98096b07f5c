package i18n

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
)

// Quote is text that someone gave, such as an argument, a name or a path,
// quoted in a message as l's language quotes: "so" in English, „so“ in
// German, « ainsi » in French, «así» in Spanish, «هكذا» in Arabic (the
// message "format.quoted"). What in text a reader could not see, or that
// would reorder what they read, is written as Go escapes it, as %q would:
// a tab as \t, a line break as \n, a byte that is not UTF-8 as \xff, a
// format or space character such as RIGHT-TO-LEFT OVERRIDE or a no-break
// space as \u202e or \u00a0; a backslash is \\ and the closing quotation
// mark is escaped too, so that the quotation ends where text does. On a
// page written right to left, and around text that holds a right-to-left
// letter, the quoted text is isolated (see Isolate), so that neither it
// nor the words around it reorder the other.
func (l *Localizer) Quote(text string) string {
	form := l.T("format.quoted", "Text", "")
	closing, _ := utf8.DecodeLastRuneInString(strings.TrimRight(form, " \u00a0\u202f"))
	var b strings.Builder
	isolate := l.RTL
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, text[i])
		case r == '\\' || r == closing:
			b.WriteByte('\\')
			b.WriteRune(r)
		case strconv.IsPrint(r):
			b.WriteRune(r)
			if p, _ := bidi.LookupRune(r); p.Class() == bidi.R || p.Class() == bidi.AL {
				isolate = true
			}
		default:
			q := strconv.QuoteRune(r) // '\t', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	quoted := b.String()
	if isolate {
		// Every isolate in text was escaped above: none is left to
		// balance.
		quoted = string(fsi) + quoted + string(pdi)
	}
	return l.T("format.quoted", "Text", quoted)
}
