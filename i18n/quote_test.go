package i18n

import (
	"strings"
	"testing"
)

// TestQuote: a value is quoted as each language quotes, what a reader
// could not see in it is escaped as %q escapes it, and right-to-left text
// is isolated from the words around it.
func TestQuote(t *testing.T) {
	for _, c := range []struct{ lang, in, want string }{
		{"en", "extra", `"extra"`},
		{"de", "extra", "„extra“"},
		{"fr", "extra", "«\u202fextra\u202f»"},
		{"es", "extra", "«extra»"},
		// On a page written right to left, a value that ends in
		// punctuation keeps it at its end.
		{"ar", "extra!", "«\u2068extra!\u2069»"},
		{"en", "", `""`},
		{"fr", "", "«\u202f\u202f»"},

		// Control characters, and characters a reader cannot see or that
		// reorder text, read as Go escapes them.
		{"en", "a\tb\r\n", `"a\tb\r\n"`},
		{"fr", "a\tb", "«\u202fa\\tb\u202f»"},
		{"de", "evil\u202etxt.exe", "„evil\\u202etxt.exe“"},
		{"es", "zero\u200bwidth\u00a0space", "«zero\\u200bwidth\\u00a0space»"},
		{"en", "\u2067x\u2069", `"\u2067x\u2069"`},
		{"ar", "bell\a\x7f", "«\u2068bell\\a\\x7f\u2069»"},
		{"de", "bad\xffutf8", "„bad\\xffutf8“"},

		// A backslash, and the language's closing mark, are escaped: the
		// quotation ends where the value does. Other quotes are left as
		// they are.
		{"en", `C:\temp say "hi"`, `"C:\\temp say \"hi\""`},
		{"fr", `say "hi" » done`, "«\u202fsay \"hi\" \\» done\u202f»"},
		{"de", "„so“ oder so", "„„so\\“ oder so“"},
		{"es", "«así»", "«\u00abasí\\»»"},

		// Right-to-left text is isolated in every language.
		{"en", "שלום!", "\"\u2068שלום!\u2069\""},
		{"fr", "مرحبا 1", "«\u202f\u2068مرحبا 1\u2069\u202f»"},
		{"ar", "مرحبا", "«\u2068مرحبا\u2069»"},
		// Letters, marks and emoji read as typed.
		{"de", "Café naïve 🙂", "„Café naïve 🙂“"},
	} {
		if got := For(c.lang).Quote(c.in); got != c.want {
			t.Errorf("%s: Quote(%+q) = %+q, want %+q", c.lang, c.in, got, c.want)
		}
	}
}

// TestQuotedAsTheCatalogsQuote: the quotes of Quote are those that each
// catalog writes around a command to run.
func TestQuotedAsTheCatalogsQuote(t *testing.T) {
	for _, lang := range Languages {
		l := For(lang.Code)
		quoted := l.Quote("x")
		if lang.RTL {
			quoted = strings.NewReplacer(string(fsi), "", string(pdi), "").Replace(quoted)
		}
		if see := l.T("cli.usage.see", "Help", "x"); !strings.Contains(see, quoted) {
			t.Errorf("%s: Quote quotes %q, a command %q", lang.Code, quoted, see)
		}
	}
}
