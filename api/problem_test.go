package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// TestProblemTitleIsTheStatusPhrase: every problem is of type about:blank,
// so its title is the phrase of its status (RFC 9457, section 4.2.1), in
// the client's language, whatever its code; the code says what went wrong.
func TestProblemTitleIsTheStatusPhrase(t *testing.T) {
	english := map[int]string{400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
		405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 410: "Gone", 413: "Content Too Large",
		415: "Unsupported Media Type", 421: "Misdirected Request", 429: "Too Many Requests",
		500: "Internal Server Error", 503: "Service Unavailable"}
	statuses := []int{http.StatusInternalServerError}
	for k := core.Invalid; k <= core.Misdirected; k++ {
		statuses = append(statuses, web.Status(k))
	}
	for _, status := range statuses {
		if got := statusPhrase(i18n.For("en"), status); got != english[status] {
			t.Errorf("%d in English: %q, want %q", status, got, english[status])
		}
		for _, lang := range i18n.Languages {
			if got := statusPhrase(i18n.For(lang.Code), status); got == "" || strings.HasPrefix(got, "[") {
				t.Errorf("%d in %s: %q", status, lang.Code, got)
			}
		}
	}

	s := newTestServer(t, newDocCheck(t))
	ada := s.account("ada")
	anon := s.client("")
	l := ada.create(nil)
	anon.postJSON(openPath(l.URL), nil)
	for _, tt := range []struct {
		what, lang string
		res        func(h http.Header) response
		status     int
		code, want string
	}{
		{"a used link", "en", func(h http.Header) response { return anon.do(http.MethodPost, openPath(l.URL), "", nil, h) },
			http.StatusGone, "link_gone", "Gone"},
		{"a used link", "de", func(h http.Header) response { return anon.do(http.MethodPost, openPath(l.URL), "", nil, h) },
			http.StatusGone, "link_gone", "Nicht mehr vorhanden"},
		{"a wrong ttl", "fr", func(h http.Header) response {
			return ada.do(http.MethodPost, "/api/v1/links", "application/json", strings.NewReader(`{"kind":"message","message":"x","ttl":"1s"}`), h)
		}, http.StatusBadRequest, "ttl_out_of_range", "Requête incorrecte"},
	} {
		res := tt.res(http.Header{"Accept-Language": {tt.lang}})
		p := res.problem()
		if res.StatusCode != tt.status || p.Type != "about:blank" || p.Status != tt.status || p.Code != tt.code || p.Title != tt.want {
			t.Errorf("%s in %s: %d %+v, want title %q", tt.what, tt.lang, res.StatusCode, p, tt.want)
		}
	}
}

// TestFailureIsAProblem: an error that is no refusal is answered as a 500
// problem with a title and a detail in words, and nothing of the error.
func TestFailureIsAProblem(t *testing.T) {
	a := &API{log: slog.New(slog.DiscardHandler)}
	for lang, title := range map[string]string{"en": "Internal Server Error", "de": "Interner Serverfehler"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
		r.Header.Set("Accept-Language", lang)
		a.fail(w, r, errors.New("the disk caught fire"))
		var p problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		l := i18n.For(lang)
		want := problem{Type: "about:blank", Title: title, Status: http.StatusInternalServerError, Detail: l.T("error.internal"), Code: "internal"}
		if w.Code != http.StatusInternalServerError || p != want || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %+v, want %+v", lang, w.Code, p, want)
		}
	}
}

// TestProblemExamplesAsSent: each problem the OpenAPI document shows as an
// example is one the server would send: its title is its status's phrase,
// and its detail a message of its code, as the English catalog words it.
func TestProblemExamplesAsSent(t *testing.T) {
	var doc struct {
		Components struct {
			Responses map[string]struct {
				Content map[string]struct {
					Example *problem `json:"example"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(Document, &doc); err != nil {
		t.Fatal(err)
	}
	catalog, err := i18n.Catalog("en")
	if err != nil {
		t.Fatal(err)
	}
	placeholder := regexp.MustCompile(`\\\{\\\{\\\.\w+\\\}\\\}`)
	said := func(code, detail string) bool {
		for id, forms := range catalog {
			if id != "error."+code && !strings.HasPrefix(id, "error."+code+".") {
				continue
			}
			for _, text := range forms {
				if regexp.MustCompile("^" + placeholder.ReplaceAllString(regexp.QuoteMeta(text), ".+") + "$").MatchString(detail) {
					return true
				}
			}
		}
		return false
	}
	seen := 0
	for name, res := range doc.Components.Responses {
		p := res.Content["application/problem+json"].Example
		if p == nil {
			continue
		}
		seen++
		if p.Type != "about:blank" || p.Title != statusPhrase(i18n.For("en"), p.Status) {
			t.Errorf("%s: type %q, title %q, want about:blank and the phrase of %d", name, p.Type, p.Title, p.Status)
		}
		if !said(p.Code, p.Detail) {
			t.Errorf("%s: %q is no message of code %s", name, p.Detail, p.Code)
		}
	}
	if seen == 0 {
		t.Fatal("the document shows no problem")
	}
}

// TestEveryOperationSaysOtherwise: any route can answer 421, for a host the
// server does not serve, so every operation of the document has the
// default answer that describes it.
func TestEveryOperationSaysOtherwise(t *testing.T) {
	doc := newDocCheck(t).doc
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Responses.Default() == nil {
				t.Errorf("%s %s (%s) has no default answer", method, path, op.OperationID)
			}
		}
	}
}
