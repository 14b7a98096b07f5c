package handlers

import (
	"net/http"
	"time"

	"oncelink/components"
	"oncelink/i18n"
)

// languageCookie holds the language a browser chose in the language menu,
// for a reader who is not signed in.
const languageCookie = "lang"

// keptLanguage is the language that r's address names (?lang=, see
// components.LanguageParam) when nothing else keeps it for r's reader: not
// signed in, and no language cookie that holds it. The links and forms of
// r's page carry it on (see keepLanguage), so that a browser that keeps no
// cookie stays in the language chosen in the menu; "" when there is none
// to carry.
func (h *Handler) keptLanguage(r *http.Request) string {
	code := r.URL.Query().Get(components.LanguageParam)
	if !i18n.Supported(code) || h.viewer(r) != nil {
		return ""
	}
	if c, err := r.Cookie(languageCookie); err == nil && c.Value == code {
		return ""
	}
	return code
}

// keepLanguage is path, one of this site's, with the language of r's
// address when r's page carries it on (see keptLanguage): what a link or a
// form of r's page, or a redirect from r, leads to.
func (h *Handler) keepLanguage(r *http.Request, path string) string {
	if code := h.keptLanguage(r); code != "" {
		return components.WithLanguage(path, code)
	}
	return path
}

// speak lets every page and message of a request speak its reader's
// language (see language), chosen when first needed.
func (h *Handler) speak(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(i18n.WithChoice(r.Context(), func() string { return h.language(r) })))
	})
}

// language is the one r's reader reads: their choice (see chosenLanguage),
// else the browser's Accept-Language, else English.
func (h *Handler) language(r *http.Request) string {
	if code := h.chosenLanguage(r); code != "" {
		return code
	}
	return i18n.Match(r.Header.Get("Accept-Language"))
}

// chosenLanguage is the language r's reader chose: the signed-in
// account's, else the one the address names (?lang=, see keepLanguage),
// else the language menu's in this browser; "" to follow the browser.
// Both the page's language and its menu rest on it.
func (h *Handler) chosenLanguage(r *http.Request) string {
	if a := h.viewer(r); a != nil && i18n.Supported(a.Language) {
		return a.Language
	}
	if code := r.URL.Query().Get(components.LanguageParam); i18n.Supported(code) {
		return code
	}
	if c, err := r.Cookie(languageCookie); err == nil && i18n.Supported(c.Value) {
		return c.Value
	}
	return ""
}

// setLanguage takes the language menu's choice: a language's code, or ""
// to follow the browser. The browser keeps it in a cookie; a signed-in
// account keeps it too, for its other browsers and its mails. The reader
// returns to the page the menu was on; one who is not signed in, with the
// choice in its address too (see components.LanguageParam), for a browser that keeps
// no cookie.
func (h *Handler) setLanguage(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	code := r.PostForm.Get("lang")
	if a := h.viewer(r); a != nil {
		if _, err := h.core.SetLanguage(r.Context(), *a, code); err != nil {
			h.fail(w, r, err)
			return
		}
	} else if code != "" && !i18n.Supported(code) {
		h.fail(w, r, errLanguage)
		return
	}
	c := &http.Cookie{Name: languageCookie, Value: code, Path: "/", HttpOnly: true, Secure: h.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int((365 * 24 * time.Hour).Seconds())}
	if code == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
	back := safeBack(r.PostForm.Get("back"))
	if h.viewer(r) == nil {
		back = components.WithLanguage(back, code)
	}
	redirect(w, r, back)
}

// safeBack is safeNext for the language menu, which any page carries:
// back to the home page when the page it names is not one of this site's.
func safeBack(back string) string {
	if safeNext(back) != back {
		return "/"
	}
	return back
}
