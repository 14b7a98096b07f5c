package i18n

import "testing"

func TestIsolate(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "\u2068\u2069",
		"wifi":                "\u2068wifi\u2069",
		"كلمة السر":           "\u2068كلمة السر\u2069",
		"\u202eevil":          "\u2068\u202eevil\u2069",
		"a\u2067b\u2069c":     "\u2068a\u2067b\u2069c\u2069",
		"a\u2069\u202eb":      "\u2068a\u202eb\u2069",
		"\u2069\u2066a\u2069": "\u2068\u2066a\u2069\u2069",
		"\u2067a":             "\u2068\u2067a\u2069\u2069",
		"\u2066\u2067a\u2069": "\u2068\u2066\u2067a\u2069\u2069\u2069",
	} {
		if got := Isolate(in); got != want {
			t.Errorf("Isolate(%+q) = %+q, want %+q", in, got, want)
		}
	}
}
