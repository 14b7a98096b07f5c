package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"oncelink/i18n"
)

// englishLeft returns the English sentences of the catalogs that page
// shows where it should speak lang: every stretch of three words or more
// of an English message that its translation does not share. It reads
// the text a person sees and the attributes they hear or hover; the page
// scripts' messages are left to the browser tests.
func englishLeft(t *testing.T, lang, page string) []string {
	t.Helper()
	en, err := i18n.Catalog("en")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := i18n.Catalog(lang)
	if err != nil {
		t.Fatal(err)
	}
	text := visibleText(page)
	var left []string
	for id, forms := range en {
		if strings.HasPrefix(id, "js.") || strings.HasPrefix(id, "cli.") || strings.HasPrefix(id, "mail.") {
			continue
		}
		for form, msg := range forms {
			for _, part := range templateField.Split(msg, -1) {
				part = strings.TrimSpace(part)
				if len(strings.Fields(part)) < 3 || strings.Contains(tr[id][form], part) || strings.Contains(tr[id]["other"], part) {
					continue
				}
				if strings.Contains(text, part) {
					left = append(left, id+": "+part)
				}
			}
		}
	}
	return left
}

var (
	templateField = regexp.MustCompile(`\{\{[^}]*\}\}`)
	scriptBlock   = regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`)
	spokenAttr    = regexp.MustCompile(`\b(?:placeholder|title|aria-label|alt|hx-confirm)="([^"]*)"`)
	anyTag        = regexp.MustCompile(`(?s)<[^>]*>`)
	spaces        = regexp.MustCompile(`\s+`)
)

// visibleText is page's text and spoken attributes, as one line.
func visibleText(page string) string {
	page = scriptBlock.ReplaceAllString(page, " ")
	var b strings.Builder
	for _, m := range spokenAttr.FindAllStringSubmatch(page, -1) {
		b.WriteString(html.UnescapeString(m[1]) + " \n ")
	}
	b.WriteString(html.UnescapeString(anyTag.ReplaceAllString(page, " ")))
	return spaces.ReplaceAllString(b.String(), " ")
}

// TestGermanReaderSeesNoEnglish: a browser that asks for German gets every
// page in German, signed in or not, the owner's and the recipient's, with
// no English sentence left; the same pages in French, Spanish and Arabic
// too.
func TestGermanReaderSeesNoEnglish(t *testing.T) {
	for _, lang := range []string{"de", "fr", "es", "ar"} {
		t.Run(lang, func(t *testing.T) {
			s := newTestServer(t)
			header := http.Header{"Accept-Language": {lang + ";q=0.9, en;q=0.5"}}
			visitor := s.client()
			check := func(c *testClient, method, path string, form url.Values, want int) string {
				t.Helper()
				h := header.Clone()
				var body *strings.Reader
				if form != nil {
					h.Set("Content-Type", "application/x-www-form-urlencoded")
					body = strings.NewReader(form.Encode())
				} else {
					body = strings.NewReader("")
				}
				res := c.request(method, path, body, h)
				if res.StatusCode != want {
					t.Fatalf("%s %s: %d, want %d", method, path, res.StatusCode, want)
				}
				if res.StatusCode != http.StatusSeeOther && !strings.Contains(res.body, `lang="`+lang+`"`) {
					t.Errorf("%s %s is not marked lang=%q", method, path, lang)
				}
				for _, e := range englishLeft(t, lang, res.body) {
					t.Errorf("%s %s shows English: %s", method, path, e)
				}
				return res.body
			}
			check(visitor, "GET", "/setup", nil, http.StatusOK)
			admin := s.admin()
			check(visitor, "GET", "/login", nil, http.StatusOK)
			check(visitor, "POST", "/login", url.Values{"username": {"ada"}, "password": {"wrong password"}}, http.StatusUnauthorized)
			link := admin.createLink(url.Values{"label": {"Vertrag"}})
			admin.createLink(url.Values{"password": {"a long password"}, "max_uses": {"3"}})
			check(admin, "GET", "/links", nil, http.StatusOK)
			check(admin, "POST", "/links", url.Values{"kind": {"message"}, "message": {""}, "ttl": {"1h"}, "max_uses": {"1"}}, http.StatusBadRequest)
			check(admin, "GET", "/links/1", nil, http.StatusOK)
			check(admin, "GET", "/requests", nil, http.StatusOK)
			check(admin, "GET", "/settings", nil, http.StatusOK)
			check(admin, "GET", "/accounts", nil, http.StatusOK)
			check(admin, "GET", "/player", nil, http.StatusOK)
			check(visitor, "GET", link, nil, http.StatusOK)
			check(visitor, "POST", link, url.Values{}, http.StatusSeeOther)
			if page := check(visitor, "GET", link, nil, http.StatusOK); !strings.Contains(page, "a secret") {
				t.Errorf("the opened link does not show its message")
			}
			check(s.client(), "GET", link, nil, http.StatusGone)
			check(visitor, "GET", "/no/such/page", nil, http.StatusNotFound)
		})
	}
}
