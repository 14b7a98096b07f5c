package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "en",
		"de-DE,de;q=0.9,en;q=0.8": "de",
		"fr-CA":                   "fr",
		"es-419,es;q=0.9":         "es",
		"ar-EG":                   "ar",
		"ja,zh;q=0.5":             "en",
		"de_AT.UTF-8":             "de",
		"C":                       "en",
		"pt-BR,en-GB;q=0.8":       "en",
		"*":                       "en",
		// A language no registry knows is skipped, not the whole header.
		"fr-FR, fr;q=0.9, zz;q=0.1":  "fr",
		"zz, de;q=0.5":               "de",
		"x-!!, es;q=0.4":             "es",
		"de;q=0.2, fr;q=0.9, en;q=0": "fr",
		"fr;q=abc, de;q=0.5":         "de",
		// Only the first languages count.
		strings.Repeat("ja, ", 40) + "de": "en",
	} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWhenAndLeft(t *testing.T) {
	at := time.Date(2026, 3, 9, 14, 5, 0, 0, time.UTC)
	if got := For("en").When(at); got != "9 Mar 2026, 14:05 UTC" {
		t.Errorf("en When = %q", got)
	}
	if got := For("de").When(at); got != "9. März 2026, 14:05 UTC" {
		t.Errorf("de When = %q", got)
	}
	if got := For("en").Left(26*time.Hour + 5*time.Minute); got != "1d 2h" {
		t.Errorf("en Left = %q", got)
	}
	if got := For("en").Left(0); got != "expired" {
		t.Errorf("en Left(0) = %q", got)
	}
}

// TestWait: a wait is said in words, rounded up, its larger unit first and
// the smaller only when there is some: to the second under an hour, to the
// minute from an hour on; in each language's plural forms.
func TestWait(t *testing.T) {
	for _, c := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 0, "0 seconds"},
		{"en", time.Second, "1 second"},
		{"en", 44*time.Second + time.Millisecond, "45 seconds"},
		{"en", 59*time.Second + 500*time.Millisecond, "1 minute"},
		{"en", time.Minute, "1 minute"},
		{"en", 90 * time.Second, "1 minute 30 seconds"},
		{"en", 59*time.Minute + 59*time.Second, "59 minutes 59 seconds"},
		{"en", time.Hour, "1 hour"},
		{"en", time.Hour + time.Second, "1 hour 1 minute"},
		{"en", 2*time.Hour + 4*time.Minute + 30*time.Second, "2 hours 5 minutes"},
		{"de", 61 * time.Second, "1 Minute und 1 Sekunde"},
		{"fr", 90 * time.Second, "1\u00a0minute et 30\u00a0secondes"},
		{"fr", 2 * time.Hour, "2\u00a0heures"},
		{"es", 3*time.Minute + 2*time.Second, "3 minutos y 2 segundos"},
		{"ar", time.Second, "ثانية واحدة"},
		{"ar", 2 * time.Second, "ثانيتين"},
		{"ar", 3 * time.Second, "3 ثوانٍ"},
		{"ar", 45 * time.Second, "45 ثانية"},
		{"ar", 2 * time.Minute, "دقيقتين"},
		{"ar", 150 * time.Second, "دقيقتين و30 ثانية"},
		{"ar", 5*time.Minute + 2*time.Second, "5 دقائق وثانيتين"},
		{"ar", time.Hour + 11*time.Minute, "ساعة واحدة و11 دقيقة"},
	} {
		if got := For(c.lang).Wait(c.d); got != c.want {
			t.Errorf("%s Wait(%v) = %q, want %q", c.lang, c.d, got, c.want)
		}
	}
}

// TestScriptFileSaysWaitsAsTheServer: the page scripts get the words of a
// wait as the server has them, with {count} for {{.Count}}, so that a
// countdown says what the page said.
func TestScriptFileSaysWaitsAsTheServer(t *testing.T) {
	for code, want := range map[string][]string{
		"en": {`"time.wait.seconds":{"one":"{count} second","other":"{count} seconds"}`, `"time.wait.pair":"{larger} {smaller}"`},
		"ar": {`"time.wait.minutes":{`, `"two":"دقيقتين"`, `"time.wait.pair":"{larger} و{smaller}"`},
	} {
		_, js := For(code).ScriptFile()
		for _, w := range want {
			if !strings.Contains(string(js), w) {
				t.Errorf("%s: the script's messages lack %s", code, w)
			}
		}
		if strings.Contains(string(js), "{{") {
			t.Errorf("%s: the script's messages keep a {{.Field}}", code)
		}
	}
}

// TestSignOutNamesTheAccountAlike: the header's sign-out button names the
// account after its words, in brackets, in every language, so that a name
// never reads as part of the sentence ("Sign out ada").
func TestSignOutNamesTheAccountAlike(t *testing.T) {
	for _, l := range Languages {
		if got := For(l.Code).T("layout.sign_out", "Name", "ada"); !strings.HasSuffix(got, " (ada)") {
			t.Errorf("%s: the sign-out button reads %q", l.Code, got)
		}
	}
}

// TestCatalogsComplete: every language has every English message with
// the same template fields, and no message English lacks.
func TestCatalogsComplete(t *testing.T) {
	en, err := Catalog("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Languages {
		c, err := Catalog(l.Code)
		if err != nil {
			t.Fatal(err)
		}
		for id, forms := range c {
			for _, text := range forms {
				if strings.Count(text, "{{") != len(fields(text)) {
					t.Errorf("%s: %s uses more of Go's templates than {{.Field}}: %q", l.Code, id, text)
				}
			}
		}
	}
	for _, l := range Languages[1:] {
		c, err := Catalog(l.Code)
		if err != nil {
			t.Fatal(err)
		}
		for id, forms := range en {
			tr, ok := c[id]
			if !ok {
				t.Errorf("%s: %s is missing", l.Code, id)
				continue
			}
			if tr["other"] == "" {
				t.Errorf("%s: %s has no other form", l.Code, id)
			}
			for _, f := range fields(forms["other"]) {
				found := false
				for _, text := range tr {
					if contains(fields(text), f) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: %s never says {{.%s}}", l.Code, id, f)
				}
			}
		}
		for id := range c {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is not in English", l.Code, id)
			}
		}
	}
}

// fields are the names of a template's {{.Name}} fields.
func fields(text string) []string {
	var out []string
	for _, m := range fieldPattern.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

var fieldPattern = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// TestNumber: numbers are grouped in threes as each language groups them,
// and Spanish leaves four digits whole.
func TestNumber(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 0, "0"}, {"en", 999, "999"}, {"en", 1000, "1,000"}, {"en", 100000, "100,000"}, {"en", -1234567, "-1,234,567"},
		{"de", 26203885, "26.203.885"}, {"fr", 1000, "1\u202f000"}, {"ar", 26203885, "26,203,885"},
		{"es", 1000, "1000"}, {"es", 9999, "9999"}, {"es", 10000, "10.000"}, {"es", 1234567, "1.234.567"},
	} {
		if got := For(c.lang).Number(c.n); got != c.want {
			t.Errorf("%s Number(%d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

// TestSize: a size is said to a tenth of its unit, in the language's
// digits, decimal mark, plural and name of the unit.
func TestSize(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 512, "512 bytes"}, {"en", 1, "1 byte"}, {"en", 1000, "1,000 bytes"},
		{"en", 1536, "1.5 KiB"}, {"de", 1536, "1,5\u00a0KiB"}, {"en", 3 << 20, "3 MiB"},
		{"en", 2048 << 20, "2,048 MiB"}, {"de", 1000<<20 + 1<<19, "1.000,5\u00a0MiB"},
		{"fr", 1536, "1,5\u00a0Kio"}, {"fr", 3 << 20, "3\u00a0Mio"}, {"fr", 512, "512\u00a0octets"},
		{"ar", 154010, "150.4\u00a0ك.ب"}, {"ar", 3 << 20, "3\u00a0م.ب"}, {"es", 1536, "1,5\u00a0KiB"},
		{"ar", 0, "0 بايت"}, {"ar", 1, "بايت واحد"}, {"ar", 2, "بايتين"}, {"ar", 3, "3 بايتات"},
		{"ar", 11, "11 بايتًا"}, {"ar", 100, "100 بايت"}, {"ar", 1000, "1,000 بايت"},
	} {
		if got := For(c.lang).Size(c.n); got != c.want {
			t.Errorf("%s Size(%d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

// TestBytesSaidAlike: a size in bytes is said in the same words whether
// it is a file's or a limit's (error.size_bytes), in each plural form of
// each language.
func TestBytesSaidAlike(t *testing.T) {
	for _, lang := range Languages {
		l := For(lang.Code)
		for n := range 1 << 10 {
			if file, limit := l.Size(int64(n)), l.N("error.size_bytes", n); file != limit {
				t.Errorf("%s: %d bytes are %q as a size, %q as a limit", lang.Code, n, file, limit)
				break
			}
		}
	}
}

func TestPlurals(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 second"}, {"en", 2, "2 seconds"},
		{"ar", 0, "zero"}, {"ar", 1, "one"}, {"ar", 2, "two"}, {"ar", 3, "few"}, {"ar", 11, "many"}, {"ar", 100, "other"},
		{"fr", 0, "one"}, {"fr", 1, "one"}, {"fr", 2, "other"},
		{"fr", 1000000, "many"}, {"fr", 3000000, "many"}, {"fr", 1000001, "other"}, {"fr", 999999, "other"},
		{"es", 1, "one"}, {"es", 0, "other"}, {"es", 2, "other"},
		{"es", 1000000, "many"}, {"es", 2000000, "many"}, {"es", 1500000, "other"},
		{"de", 1000000, "other"},
	} {
		l := For(c.lang)
		l.catalog()
		m := &message{}
		for name := range formNames {
			m.forms[formNames[name]] = []part{{text: name}}
		}
		if c.lang == "en" {
			l.messages["test.plural"] = compile(map[string]string{"one": "{{.Count}} second", "other": "{{.Count}} seconds"})
		} else {
			l.messages["test.plural"] = m
		}
		if got := l.N("test.plural", c.n); got != c.want {
			t.Errorf("%s N(%d) = %q, want %q", c.lang, c.n, got, c.want)
		}
		delete(l.messages, "test.plural")
	}
}

// TestFrenchSpacing: French sets ; : ! ? and the inside of « » apart with
// a narrow no-break space (U+202F), so that none of them starts a line of
// its own and every message spaces them alike, and a unit from its number
// (25 Mio, 512 octets, 3 min, 2 heures, 43 caractères) with a no-break
// space (U+00A0), so that
// neither is left at the end of a line; quotes « ainsi »; and elides with
// the typographic apostrophe, l’adresse, not the typewriter's.
func TestFrenchSpacing(t *testing.T) {
	c, err := Catalog("fr")
	if err != nil {
		t.Fatal(err)
	}
	for id, forms := range c {
		for _, text := range forms {
			if frenchBreak.MatchString(text) {
				t.Errorf("fr: %s breaks before its punctuation: %q", id, text)
			}
			if frenchWideSpace.MatchString(text) {
				t.Errorf("fr: %s sets its punctuation apart with U+00A0, not U+202F: %+q", id, text)
			}
			if frenchUnitBreak.MatchString(text) {
				t.Errorf("fr: %s breaks between a number and its unit: %q", id, text)
			}
			if strings.Contains(text, "'") {
				t.Errorf("fr: %s has a straight apostrophe, not ’: %q", id, text)
			}
			if strings.ContainsAny(jsonShape.ReplaceAllString(text, ""), "\"“”") {
				t.Errorf("fr: %s quotes otherwise than « ainsi »: %q", id, text)
			}
		}
	}
}

// TestNumberSignsKeepTheirNumber: "n° 12" (French), "Nr. 12" (German)
// and "n.º 12" (Spanish) keep the sign with its number by a no-break
// space, so that no line ends with the sign and starts with the number.
func TestNumberSignsKeepTheirNumber(t *testing.T) {
	signs := map[string]*regexp.Regexp{
		"fr": regexp.MustCompile(`\bn°[ \t\n]`),
		"de": regexp.MustCompile(`\bNr\.[ \t\n]`),
		"es": regexp.MustCompile(`\bn\.º[ \t\n]`),
	}
	for code, sign := range signs {
		c, err := Catalog(code)
		if err != nil {
			t.Fatal(err)
		}
		for id, forms := range c {
			for _, text := range forms {
				if sign.MatchString(text) {
					t.Errorf("%s: %s breaks between a number sign and its number: %q", code, id, text)
				}
			}
		}
	}
}

// TestEnglishApostrophes: English writes its apostrophes one way, the
// straight one, so that the words of one page never mix "browser's" with
// "browser’s".
func TestEnglishApostrophes(t *testing.T) {
	c, err := Catalog("en")
	if err != nil {
		t.Fatal(err)
	}
	for id, forms := range c {
		for _, text := range forms {
			if strings.Contains(text, "’") {
				t.Errorf("en: %s has a typographic apostrophe, not ': %q", id, text)
			}
		}
	}
}

// frenchBreak finds a breaking space before ; : ! ? or », or after «.
var frenchBreak = regexp.MustCompile(`[ \t\n][;:!?»]|«[ \t\n]`)

// frenchWideSpace finds a no-break space of a word's width (U+00A0)
// before ; : ! ? or », or after «, where French puts a narrow one.
var frenchWideSpace = regexp.MustCompile(`\x{00a0}[;:!?»]|«\x{00a0}`)

// frenchUnitBreak finds a breaking space between a number, or the
// placeholder of one, and a unit of size or time, or a percent sign, also
// on either side of the "de" a million puts between them (1 000 000 de
// secondes).
var frenchUnitBreak = regexp.MustCompile(`(\d|\})([ \t\n](d’|de[ \x{00a0}])?|[ \t\n\x{00a0}]de[ \t\n])(octets?|[KMG]io|j|h|min|s|%|secondes?|minutes?|heures?|jours?|ans?|caractères?)(\P{L}|$)`)

// TestMillionsTakeDe: French and Spanish put "de" between a whole million
// and its noun (1 000 000 de secondes, 1.000.000 de segundos), so every
// plural message that writes a count before its noun has a many form that
// does.
func TestMillionsTakeDe(t *testing.T) {
	en, err := Catalog("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"fr", "es"} {
		c, err := Catalog(code)
		if err != nil {
			t.Fatal(err)
		}
		for id, forms := range c {
			if len(en[id]) < 2 || !countBeforeNoun.MatchString(forms["other"]) {
				continue
			}
			many, ok := forms["many"]
			if !ok {
				t.Errorf("%s: %s has no many form: %q", code, id, forms["other"])
				continue
			}
			if !countBeforeDe.MatchString(many) {
				t.Errorf("%s: %s says a million without de: %q", code, id, many)
			}
		}
	}
}

// TestMillionSaid: French and Spanish say a million in its many form.
func TestMillionSaid(t *testing.T) {
	for _, c := range []struct {
		lang, id string
		n        int
		want     string
	}{
		{"fr", "time.wait.seconds", 1000000, "1\u202f000\u202f000\u00a0de\u00a0secondes"},
		{"fr", "format.tries", 2000000, "2\u202f000\u202f000 d’essais"},
		{"es", "format.tries", 2000000, "2.000.000 de intentos"},
		{"es", "format.tries", 2, "2 intentos"},
	} {
		if got := For(c.lang).N(c.id, c.n); got != c.want {
			t.Errorf("%s N(%s, %d) = %q, want %q", c.lang, c.id, c.n, got, c.want)
		}
	}
}

var (
	// countBeforeNoun finds a count followed by a word.
	countBeforeNoun = regexp.MustCompile(`\{\{\.Count\}\}[ \x{a0}\x{202f}]+\pL`)
	// countBeforeDe finds a count followed by de, or d’ before a vowel.
	countBeforeDe = regexp.MustCompile(`\{\{\.Count\}\}[ \x{a0}\x{202f}]+(de[ \x{a0}]|d’)`)
)

// TestPlaceholdersMatchEnglish: every message names the same data as the
// English one, no more and no less: its {{.Field}}s, and the {name}s that
// page scripts fill in their messages; each of its plural forms names
// every field but the count, which a form for one or two may spell out.
func TestPlaceholdersMatchEnglish(t *testing.T) {
	en, err := Catalog("en")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Languages[1:] {
		c, err := Catalog(l.Code)
		if err != nil {
			t.Fatal(err)
		}
		for id, forms := range c {
			want := placeholders(en[id])
			if got := placeholders(forms); !slices.Equal(got, want) {
				t.Errorf("%s: %s names %v, English %v", l.Code, id, got, want)
			}
			for form, text := range forms {
				for _, p := range want {
					if p != "Count" && !slices.Contains(placeholders(map[string]string{form: text}), p) {
						t.Errorf("%s: %s's %s form never says %s: %q", l.Code, id, form, p, text)
					}
				}
			}
		}
	}
}

// placeholders are the sorted names of the {{.Field}}s and script {name}s
// in any of a message's forms.
func placeholders(forms map[string]string) []string {
	var out []string
	for _, text := range forms {
		for _, m := range placeholderPattern.FindAllStringSubmatch(text, -1) {
			name := m[1] + m[2]
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

var placeholderPattern = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}|\{([a-z]\w*)\}`)

// TestGermanTypography: German quotes „so“, not "so" or “so”, and keeps a
// number and its unit (5 MiB, 10 Min., 50 %) together with a no-break
// space.
func TestGermanTypography(t *testing.T) {
	c, err := Catalog("de")
	if err != nil {
		t.Fatal(err)
	}
	for id, forms := range c {
		for _, text := range forms {
			if unitBreak["de"].MatchString(text) {
				t.Errorf("de: %s breaks between a number and its unit: %q", id, text)
			}
			bare := jsonShape.ReplaceAllString(text, "")
			if strings.ContainsAny(bare, "\"”") || strings.Count(bare, "„") != strings.Count(bare, "“") {
				t.Errorf("de: %s quotes otherwise than „so“: %q", id, text)
			}
		}
	}
}

// unitBreak finds, by language, a breaking space between a number, or the
// placeholder of one, and a unit.
var unitBreak = map[string]*regexp.Regexp{
	"de": regexp.MustCompile(`(\d|\})[ \t\n](Bytes?|[KMG]iB|T\.|Std\.|Min\.|Sek\.|%)`),
	"ar": regexp.MustCompile(`(\d|\})[ \t\n]([كمغ]\.ب|[يسدث])(\P{L}|$)`),
	"es": regexp.MustCompile(`(\d|\})[ \t\n](bytes?|[KMG]iB|d|h|min|s|%)(\P{L}|$)`),
}

// jsonShape is a JSON object written out in a command's help, whose
// quotes are JSON's own.
var jsonShape = regexp.MustCompile(`\{"\w+": \[\.\.\.\]\}`)

// TestSpanishTypography: Spanish opens a question with ¿ and an
// exclamation with ¡, quotes «así», and keeps a number and its unit
// (1,5 KiB, 3 min, 50 %) together with a no-break space.
func TestSpanishTypography(t *testing.T) {
	c, err := Catalog("es")
	if err != nil {
		t.Fatal(err)
	}
	for id, forms := range c {
		for _, text := range forms {
			if unitBreak["es"].MatchString(text) {
				t.Errorf("es: %s breaks between a number and its unit: %q", id, text)
			}
			if strings.Count(text, "?") != strings.Count(text, "¿") || strings.Count(text, "!") != strings.Count(text, "¡") {
				t.Errorf("es: %s does not open its question or exclamation: %q", id, text)
			}
			if strings.ContainsAny(jsonShape.ReplaceAllString(text, ""), "\"“”") {
				t.Errorf("es: %s quotes otherwise than «así»: %q", id, text)
			}
		}
	}
}

// TestArabicQuotes: Arabic quotes «هكذا», with the guillemets the rest of
// its catalog uses, around a quoted word, a button's or a field's name or a
// command to run; not with the typewriter's "..." nor with “...”. The only
// straight quotes an Arabic message may hold are syntax, which a reader
// types or reads as they are: those of a JSON object written out in a
// command's help ({"links": [...]}).
func TestArabicQuotes(t *testing.T) {
	c, err := Catalog("ar")
	if err != nil {
		t.Fatal(err)
	}
	for id, forms := range c {
		for _, text := range forms {
			bare := jsonShape.ReplaceAllString(text, "")
			if strings.ContainsAny(bare, "\"“”") || strings.Count(bare, "«") != strings.Count(bare, "»") {
				t.Errorf("ar: %s quotes otherwise than «هكذا»: %q", id, text)
			}
		}
	}
}

// TestTwoKindsOfRequest: a request someone is asked to send a secret to
// and the HTTP request a browser or client makes are two words in every
// language, so that "this request was refused" never reads as if someone's
// request for a secret had been: German says Anfrage and Anforderung,
// French demande and requête, Spanish solicitud and petición, Arabic طلب
// and استدعاء.
func TestTwoKindsOfRequest(t *testing.T) {
	words := map[string]struct{ asked, http string }{
		"de": {"Anfrage", "Anforderung"},
		"fr": {"demande", "requête"},
		"es": {"solicitud", "petici"}, // petición, peticiones
		"ar": {"طلب", "استدعاء"},
	}
	asked := []string{
		"error.request_gone.answered", "error.request_gone.answered_signed_out", "error.request_gone.sent", "error.owner_disabled.request",
		"error.file_not_accepted", "error.nothing_sent", "title.request_on_hold", "title.request_expired", "requests.pager.older",
		"requests.empty.open", "requests.empty.fulfilled", "requests.empty.expired", "requests.empty.revoked", "requests.empty.show_all",
		"cli.cmd.withdraw", "cli.flag.request_ttl", "cli.requests.withdrew", "js.announce.request.new",
	}
	http := []string{
		"error.other_host", "error.unsubscribe_not_one_click", "error.body_on_read", "error.body_too_large",
		"error.not_a_form", "error.internal", "error.body_unexpected", "error.duplicate_authorization", "error.already_created.link", "error.already_created.webhook", "error.already_created.webhook_secret",
		"error.method_not_allowed.web", "error.cross_origin.web", "error.cross_origin.api", "error.not_json.passkey",
		"cli.flag.rate_api", "cli.flag_error.rate", "cli.client.redirected", "cli.client.redirected_to",
	}
	for code, w := range words {
		c, err := Catalog(code)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range asked {
			text := c[id]["other"]
			if !strings.Contains(text, w.asked) || strings.Contains(text, w.http) {
				t.Errorf("%s: %s should speak of a %s, not a %s: %q", code, id, w.asked, w.http, text)
			}
		}
		for _, id := range http {
			text := c[id]["other"]
			if !strings.Contains(text, w.http) || strings.Contains(text, w.asked) {
				t.Errorf("%s: %s should speak of a %s, not a %s: %q", code, id, w.http, w.asked, text)
			}
		}
	}
}

// TestPeopleUngendered: German, French and Spanish speak of whoever sends
// or receives a link or a request, and of whoever is signed in, without
// giving them a gender, as most of their messages always did: "die Person,
// die Ihnen den Link gesendet hat", "la personne qui vous l’a envoyé",
// "quien lo envió"; not der Absender or der Empfänger, l’expéditeur or le
// destinataire, el remitente or el destinatario, nor "vous êtes connecté"
// or "seul ada", which makes a man of whoever ada is.
func TestPeopleUngendered(t *testing.T) {
	gendered := map[string]*regexp.Regexp{
		"de": regexp.MustCompile(`\b(Absender|Empfänger)(in|innen|s|n)?\b`),
		"fr": regexp.MustCompile(`(?i)\b(expéditeur|expéditrice)|\b(le|du|au|un|son|ce) destinataire\b|vous (êtes|serez|avez été|vous êtes) (dé|re)?connecté|vous a pas connecté|\bnon connecté|vous seul|\bseule? \{\{`),
		"es": regexp.MustCompile(`(?i)\bdestinatari[oa]s?\b|\b(el|del|al|un) remitente\b|\bconectad[oa]\b`),
	}
	for code, words := range gendered {
		c, err := Catalog(code)
		if err != nil {
			t.Fatal(err)
		}
		for id, forms := range c {
			for _, text := range forms {
				if w := words.FindString(text); w != "" {
					t.Errorf("%s: %s says %q: %q", code, id, w, text)
				}
			}
		}
	}
}

// TestArabicUnitsKeepTheirNumber: Arabic keeps a number and the
// abbreviation of its unit (64 ك.ب, 3 د) together with a no-break space,
// as the other languages do, so that a line never ends on the number.
func TestArabicUnitsKeepTheirNumber(t *testing.T) {
	c, err := Catalog("ar")
	if err != nil {
		t.Fatal(err)
	}
	for id, forms := range c {
		for _, text := range forms {
			if unitBreak["ar"].MatchString(text) {
				t.Errorf("ar: %s breaks between a number and its unit: %q", id, text)
			}
		}
	}
}
