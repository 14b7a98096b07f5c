package main

import (
	"flag"
	"strings"
	"testing"

	"oncelink/core"
	"oncelink/i18n"
)

// TestCommandsSpeakTheLocale: the commands speak the language of the
// locale, LC_ALL over LC_MESSAGES over LANG, "C" being English; what they
// print, their usage errors and the rules' refusals alike.
func TestCommandsSpeakTheLocale(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "en"},
		{map[string]string{"LANG": "de_DE.UTF-8"}, "de"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LC_ALL": "C"}, "en"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"},
		{map[string]string{"LC_ALL": "ar_EG.UTF-8", "LANG": "en_US.UTF-8"}, "ar"},
		{map[string]string{"LANG": "es_MX"}, "es"},
		{map[string]string{"LANG": "de_DE@euro"}, "de"},
		{map[string]string{"LANG": "fr_FR.ISO-8859-15@euro"}, "fr"},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "de"}, "en"},
		{map[string]string{"LANG": "POSIX"}, "en"},
		{map[string]string{"LANG": "ja_JP.UTF-8"}, "en"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "fr:de"}, "fr"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "ja:es"}, "es"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "ja"}, "de"},
		{map[string]string{"LANG": "C", "LANGUAGE": "fr"}, "en"},
		{map[string]string{"LANGUAGE": "fr"}, "en"},
	} {
		if got := cliLanguage(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}

	de := i18n.For("de")
	german := map[string]string{"LANG": "de_DE.UTF-8"}
	db := newDB(t)
	r := runCLI(t, german, ownerPassword+"\n", "user", "add", "dave", "--admin", "--password-stdin", "--db", db)
	if want := de.T("cli.user.added_admin", "Name", "dave") + "\n"; r.err != nil || r.stdout != want {
		t.Errorf("user add: %v, %q; want %q", r.err, r.stdout, want)
	}
	if want := de.T("cli.user.using_db", "Name", db); !strings.Contains(r.stderr, want) {
		t.Errorf("user add said %q, not %q", r.stderr, want)
	}
	if want := de.T("cli.user.added_admin", "Name", "dave"); want == i18n.For("en").T("cli.user.added_admin", "Name", "dave") {
		t.Fatalf("the German catalog says %q in English", want)
	}

	// A refusal of the rules, in German.
	r = runCLI(t, german, ownerPassword+"\n", "user", "add", "dave", "--password-stdin", "--db", db)
	ce, ok := core.AsError(r.err)
	if !ok || r.err.Error() != ce.Message(de) || r.err.Error() == ce.Msg {
		t.Errorf("user add dave again: %v, want %q", r.err, ce.Message(de))
	}

	// A usage error, with its usage line, in German.
	r = runCLI(t, german, "", "links", "extra")
	if r.code != exitUsage || !strings.HasPrefix(r.err.Error(), de.T("cli.usage.unexpected", "Arg", "„extra“")+"\n") ||
		!strings.Contains(r.err.Error(), " (siehe „oncelink help links“)") {
		t.Errorf("links extra: %d, %v", r.code, r.err)
	}
	r = runCLI(t, german, "", "user", "passwd")
	if want := de.T("cli.user.name_missing"); r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want+"\n") {
		t.Errorf("user passwd: %d, %v; want %q", r.code, r.err, want)
	}

	// Help, completion and the refusals of flags, in German.
	r = runCLI(t, german, "", "help")
	for _, want := range []string{de.T("cli.help.intro"), de.T("cli.help.commands"), de.T("cli.cmd.user_2fa_reset"), de.T("cli.cmd.links")} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help: no %q in\n%s", want, r.stdout)
		}
	}
	r = runCLI(t, german, "", "share", "--help")
	for _, want := range []string{de.T("cli.usage.line", "Usage", "oncelink share [TEXT] [flags]", "More", ""),
		upperFirst(de.T("cli.cmd.share")) + ".", de.T("cli.help.flags"), "--ttl DURATION", de.T("cli.flag.share_wait"),
		de.T("cli.help.default", "Value", "1")} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("share --help: no %q in\n%s", want, r.stdout)
		}
	}
	if r = runCLI(t, german, "", "completion", "fish"); !strings.Contains(r.stdout, de.T("cli.cmd.links")) {
		t.Errorf("completion fish: no %q", de.T("cli.cmd.links"))
	}
	r = runCLI(t, german, "", "share", "--ttl")
	if want := de.T("cli.flag_error.needs_value", "Flag", "--ttl"); r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want+"\n") {
		t.Errorf("share --ttl: %d, %v; want %q", r.code, r.err, want)
	}
	german["ONCELINK_MAX_TTL"] = "forever"
	r = runCLI(t, german, "", "serve")
	if want := de.T("cli.flag_error.duration", "Flag", "ONCELINK_MAX_TTL (--max-ttl)", "Value", "„forever“"); r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want+"\n") {
		t.Errorf("serve with ONCELINK_MAX_TTL=forever: %d, %v; want %q", r.code, r.err, want)
	}
}

// TestHelpInCatalogs: every command's line and every flag's usage is a
// message of the catalogs, which TestCatalogsComplete checks in every
// language.
func TestHelpInCatalogs(t *testing.T) {
	known := map[string]bool{}
	for _, id := range i18n.IDs() {
		known[id] = true
	}
	var walk func(cmds []command)
	walk = func(cmds []command) {
		for _, c := range cmds {
			if !known[c.summary] {
				t.Errorf("%s: its line %q is no message", c.name, c.summary)
			}
			walk(c.subcommands)
			if c.flags == nil {
				continue
			}
			fs := newFlagSet("")
			c.flags(fs)
			fs.VisitAll(func(f *flag.Flag) {
				if !known[f.Usage] {
					t.Errorf("%s --%s: its usage %q is no message", c.name, f.Name, f.Usage)
				}
			})
		}
	}
	walk(commandTable())
}

// locales are a locale of each language the commands speak.
var locales = map[string]string{"en": "en_US.UTF-8", "de": "de_DE.UTF-8", "fr": "fr_FR.UTF-8", "es": "es_ES.UTF-8", "ar": "ar_EG.UTF-8"}

// TestOpenSaysWhatIsWrongWithTheKey: an end-to-end key of the wrong length
// is told as such, and one of the right length that is not a key (here its
// last character leaves bits over that are not zero) as not a valid key,
// in each language, before anything is sent.
func TestOpenSaysWhatIsWrongWithTheKey(t *testing.T) {
	const link = "http://127.0.0.1:1/l/tok#"
	for lang, locale := range locales {
		l := i18n.For(lang)
		for _, tc := range []struct{ key, id string }{
			{strings.Repeat("A", 42) + "B", "cli.error.e2e_secret"},
			{strings.Repeat("A", 42) + "=", "cli.error.e2e_secret"},
			{strings.Repeat("A", 42), "cli.error.e2e_secret_length"},
			{strings.Repeat("A", 44), "cli.error.e2e_secret_length"},
		} {
			r := runCLI(t, map[string]string{"LANG": locale}, "", "open", link+tc.key)
			if want := l.T(tc.id); r.code != exitFailed || r.err == nil || r.err.Error() != want {
				t.Errorf("%s: open #%s: %d, %v; want %q", lang, tc.key, r.code, r.err, want)
			}
		}
	}
}

// TestQuotesAsTheLocale: what someone typed comes back quoted as the
// locale's language quotes, „so“ in German, « ainsi » in French, «así» in
// Spanish, «هكذا» in Arabic; what cannot be seen in it escaped as \t or
// \u202e; and right-to-left text isolated, so that it reorders nothing
// around it. A command to run is quoted alike.
func TestQuotesAsTheLocale(t *testing.T) {
	for _, c := range []struct {
		locale         string
		arg, name      string // "שלום\t!" and "frob\u202e" quoted
		help, helpLine string // "oncelink help" quoted, and "oncelink help COMMAND" in help's last lines
	}{
		{"en_US.UTF-8", "\"\u2068שלום\\t!\u2069\"", `"frob\u202e"`, `"oncelink help"`, `"oncelink help COMMAND"`},
		{"de_DE.UTF-8", "„\u2068שלום\\t!\u2069“", `„frob\u202e“`, "„oncelink help“", "„oncelink help COMMAND“"},
		{"fr_FR.UTF-8", "«\u202f\u2068שלום\\t!\u2069\u202f»", "«\u202ffrob\\u202e\u202f»", "«\u202foncelink help\u202f»", "«\u202foncelink help COMMAND\u202f»"},
		{"es_ES.UTF-8", "«\u2068שלום\\t!\u2069»", `«frob\u202e»`, "«oncelink help»", "«oncelink help COMMAND»"},
		{"ar_EG.UTF-8", "«\u2068שלום\\t!\u2069»", "«\u2068frob\\u202e\u2069»", "«oncelink help»", "«oncelink help COMMAND»"},
	} {
		env := map[string]string{"LANG": c.locale}
		l := i18n.For(cliLanguage(func(k string) string { return env[k] }))
		r := runCLI(t, env, "", "links", "שלום\t!")
		if want := l.T("cli.usage.unexpected", "Arg", c.arg) + "\n"; r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want) {
			t.Errorf("%s: links %+q: %d, %+q; want it to start %+q", c.locale, "שלום\t!", r.code, r.err, want)
		}
		r = runCLI(t, env, "", "frob\u202e")
		if want := l.T("cli.usage.unknown_command", "Name", c.name, "Help", "oncelink help"); r.code != exitUsage || !strings.HasPrefix(r.err.Error(), want) ||
			!strings.Contains(want, c.help) {
			t.Errorf("%s: frob\\u202e: %d, %+q; want %+q, which quotes %+q", c.locale, r.code, r.err, want, c.help)
		}
		if r = runCLI(t, env, "", "help"); !strings.Contains(r.stdout, c.helpLine) {
			t.Errorf("%s: help does not quote %+q:\n%s", c.locale, c.helpLine, r.stdout)
		}
	}
}
