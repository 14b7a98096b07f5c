package core

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"oncelink/i18n"
)

// TestQuotedInLanguages: a value a refusal names, such as a time zone
// that is not one, is quoted as the reader's language quotes, its tab
// escaped; its English, for logs and Error, quotes as Go does.
func TestQuotedInLanguages(t *testing.T) {
	e, _ := AsError(checkTimeZone("Mars/\tOlympus"))
	if e == nil || !strings.Contains(e.Msg, ` "Mars/\tOlympus". `) {
		t.Fatalf("English: %v", e)
	}
	for code, want := range map[string]string{"en": ` "Mars/\tOlympus". `, "de": " „Mars/\\tOlympus“",
		"fr": " «\u202fMars/\\tOlympus\u202f»", "es": " «Mars/\\tOlympus»", "ar": " «\u2068Mars/\\tOlympus\u2069»"} {
		if got := e.Message(i18n.For(code)); !strings.Contains(got, want) {
			t.Errorf("%s: %+q lacks %+q", code, got, want)
		}
	}
}

// TestRefusalsInLanguages: a refusal's English is its Msg, and other
// languages say it, waits included, in their own words.
func TestRefusalsInLanguages(t *testing.T) {
	e := limited(2*time.Minute + time.Second)
	if title := e.Heading(i18n.For("en")); !strings.HasSuffix(e.Msg, " Try again in 3 minutes.") || title != "Too many attempts" {
		t.Errorf("English: %q, %q", title, e.Msg)
	}
	if got := limited(time.Second).Msg; !strings.HasSuffix(got, " Try again in 1 second.") {
		t.Errorf("English, one second: %q", got)
	}
	for code, want := range map[string]string{"en": "Try again in 3 minutes.", "de": "in 3 Minuten erneut", "fr": "dans 3\u00a0minutes",
		"es": "dentro de 3 minutos", "ar": "بعد 3 دقائق"} {
		if got := e.Message(i18n.For(code)); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", code, got, want)
		}
	}
	if got := limited(2 * time.Minute).Message(i18n.For("ar")); !strings.Contains(got, "بعد دقيقتين") {
		t.Errorf("ar, two minutes: %q", got)
	}
	if got := ErrNotFound.Heading(i18n.For("de")); got != "Nicht gefunden" {
		t.Errorf("de title: %q", got)
	}
	if got := invalid("username_too_long", "username", "Count", MaxUsernameLen).Msg; got != "A username has at most 64 characters." {
		t.Errorf("plural English: %q", got)
	}
	if got := Refusal(TooLarge, "form_too_large", "", "too_large", "Size", Size(1000)).Msg; got != "The form's fields are larger than the 1,000 bytes this server accepts. Nothing was stored." {
		t.Errorf("size in bytes: %q", got)
	}
}

// TestSizeGroupsDigits: a size's number is grouped as the reader's
// language groups digits, in the plural form of its count, and a size of
// whole units keeps its unit.
func TestSizeGroupsDigits(t *testing.T) {
	for _, c := range []struct {
		lang string
		size Size
		want string
	}{
		{"en", 26203885, "26,203,885 bytes"},
		{"de", 26203885, "26.203.885\u00a0Bytes"},
		{"fr", 26203885, "26\u202f203\u202f885\u00a0octets"},
		{"es", 26203885, "26.203.885\u00a0bytes"},
		{"ar", 26203885, "26,203,885 بايتًا"},
		{"en", 1000, "1,000 bytes"},
		{"es", 1000, "1000\u00a0bytes"},
		{"es", 10000, "10.000\u00a0bytes"},
		{"ar", 1000, "1,000 بايت"},
		{"en", 1, "1 byte"},
		{"ar", 2, "بايتين"},
		{"en", 25 << 20, "25 MiB"},
		{"de", 1500 << 10, "1.500\u00a0KiB"},
		{"en", 2 << 30, "2 GiB"},
		{"fr", 25 << 20, "25\u00a0Mio"},
		{"fr", 2 << 30, "2\u00a0Gio"},
		{"ar", 64 << 10, "64\u00a0ك.ب"},
		{"ar", 25 << 20, "25\u00a0م.ب"},
		{"ar", 2 << 30, "2\u00a0غ.ب"},
	} {
		if got := c.size.In(i18n.For(c.lang)); got != c.want {
			t.Errorf("%s: Size(%d) = %q, want %q", c.lang, int64(c.size), got, c.want)
		}
	}
}

// TestRefusalsExist: every refusal the source makes names messages that
// the catalogs have.
func TestRefusalsExist(t *testing.T) {
	known := map[string]bool{}
	for _, id := range i18n.IDs() {
		known[id] = true
	}
	patterns := []struct {
		re  *regexp.Regexp
		ids func(m []string) []string
	}{
		{regexp.MustCompile(`\binvalid\("(\w+)"`), func(m []string) []string { return []string{"error." + m[1]} }},
		{regexp.MustCompile(`\binvalidAs\("(\w+)", "(\w+)"`), func(m []string) []string { return []string{"error." + m[1] + "." + m[2]} }},
		{regexp.MustCompile(`\bRefusal\((?:core\.)?\w+, "(\w+)", [^,]+, "(\w+)"`), func(m []string) []string {
			return []string{"error." + m[1], "title." + m[2]}
		}},
		{regexp.MustCompile(`\bVariant\((?:core\.)?\w+, "(\w+)", "(\w+)", [^,]+, "(\w+)"`), func(m []string) []string {
			return []string{"error." + m[1] + "." + m[2], "title." + m[3]}
		}},
	}
	n := 0
	for _, dir := range []string{".", "../handlers", "../api"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range patterns {
				for _, m := range p.re.FindAllStringSubmatch(string(b), -1) {
					for _, id := range p.ids(m) {
						n++
						if !known[id] {
							t.Errorf("%s: %s is in no catalog", f, id)
						}
					}
				}
			}
		}
	}
	for field, id := range notText {
		if !known["error."+id] {
			t.Errorf("checkBytes %s: error.%s is in no catalog", field, id)
		}
	}
	for field, id := range tooLong {
		if !known["error."+id] {
			t.Errorf("checkText %s: error.%s is in no catalog", field, id)
		}
	}
	if n < 150 {
		t.Errorf("only %d ids found: are the patterns out of date?", n)
	}
}
