// Package useragent names the browser or program behind a user agent, as a
// person would: the audit trail shows it, and the command line says it.
package useragent

import (
	"strings"

	"oncelink/i18n"
)

// Name reads a user agent as a person would name it, in English: "Chrome
// 142 on Linux", "Safari 17 on iPhone", "curl 8.5", "Slack link preview".
// It knows the common browsers, tools and link-preview bots; for anything
// else it returns "", and the page shows the raw string alone.
func Name(ua string) string { return Say(i18n.For("en"), ua) }

// Say is Name in l's language: "Chrome 142 unter Linux".
func Say(l *i18n.Localizer, ua string) string {
	if ua == "" {
		return ""
	}
	lower := strings.ToLower(ua)
	for _, p := range previewers {
		if strings.Contains(lower, p.token) {
			if p.app == "" {
				return p.name
			}
			return l.T("useragent.preview", "App", p.app)
		}
	}
	for _, t := range tools {
		if v, ok := version(ua, t.token); ok && strings.HasPrefix(ua, t.token) {
			name := t.name
			if name == "" {
				name = l.T("useragent.cli")
			}
			return strings.TrimSpace(name + " " + minorVersion(v))
		}
	}
	if strings.Contains(lower, "bot") || strings.Contains(lower, "crawler") || strings.Contains(lower, "spider") {
		return l.T("useragent.crawler")
	}
	name := ""
	for _, b := range browsers {
		if v, ok := version(ua, b.token); ok {
			name = b.name
			if b.versionToken != "" {
				v, _ = version(ua, b.versionToken)
			}
			if major := majorVersion(v); major != "" {
				name += " " + major
			}
			break
		}
	}
	if name == "" {
		return ""
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			return l.T("useragent.on", "Browser", name, "System", s.name)
		}
	}
	return name
}

// previewers are the bots that chats and mail fetch link previews with,
// by a lower-case token of their user agent: the link preview of app, or
// a bot known by its own name.
var previewers = []struct{ token, app, name string }{
	{"slackbot", "Slack", ""},
	{"discordbot", "Discord", ""},
	{"telegrambot", "Telegram", ""},
	{"whatsapp", "WhatsApp", ""},
	{"facebookexternalhit", "Facebook", ""},
	{"twitterbot", "X (Twitter)", ""},
	{"linkedinbot", "LinkedIn", ""},
	{"skypeuripreview", "Skype", ""},
	{"microsoftpreview", "Microsoft", ""},
	{"googlebot", "", "Googlebot"},
	{"bingbot", "", "Bingbot"},
}

// tools are programs, by the product their user agent starts with; ""
// is oncelink's own command line, named in the reader's language.
var tools = []struct{ token, name string }{
	{"oncelink-cli/", ""},
	{"curl/", "curl"},
	{"Wget/", "Wget"},
	{"Go-http-client/", "Go HTTP client"},
	{"python-requests/", "Python requests"},
	{"Python-urllib/", "Python urllib"},
	{"PostmanRuntime/", "Postman"},
	{"HTTPie/", "HTTPie"},
	{"node-fetch/", "node-fetch"},
	{"okhttp/", "OkHttp"},
}

// browsers are told apart by the first of these products their user agent
// names, in this order: most browsers also claim to be Chrome or Safari.
// A browser whose own product carries no version (Safari) takes it from
// versionToken.
var browsers = []struct{ token, name, versionToken string }{
	{"Edg/", "Edge", ""},
	{"EdgA/", "Edge", ""},
	{"EdgiOS/", "Edge", ""},
	{"OPR/", "Opera", ""},
	{"SamsungBrowser/", "Samsung Internet", ""},
	{"YaBrowser/", "Yandex Browser", ""},
	{"Vivaldi/", "Vivaldi", ""},
	{"Firefox/", "Firefox", ""},
	{"FxiOS/", "Firefox", ""},
	{"HeadlessChrome/", "Headless Chrome", ""},
	{"CriOS/", "Chrome", ""},
	{"Chromium/", "Chromium", ""},
	{"Chrome/", "Chrome", ""},
	{"Safari/", "Safari", "Version/"},
}

// systems are told apart by the first of these their user agent names:
// phones claim to be like Mac OS X, Android like Linux.
var systems = []struct{ token, name string }{
	{"iPhone", "iPhone"},
	{"iPad", "iPad"},
	{"Android", "Android"},
	{"CrOS", "ChromeOS"},
	{"Windows", "Windows"},
	{"Macintosh", "macOS"},
	{"Mac OS X", "macOS"},
	{"Linux", "Linux"},
}

// version returns what follows product (such as "Chrome/") in ua, up to
// the next space or bracket, and whether ua names product at all.
func version(ua, product string) (string, bool) {
	i := strings.Index(ua, product)
	if i < 0 {
		return "", false
	}
	v := ua[i+len(product):]
	if end := strings.IndexAny(v, " ;()"); end >= 0 {
		v = v[:end]
	}
	return v, true
}

// majorVersion is the first number of v: "142" of "142.0.7444.59".
func majorVersion(v string) string {
	major, _, _ := strings.Cut(v, ".")
	if major == "" || strings.Trim(major, "0123456789") != "" {
		return ""
	}
	return major
}

// minorVersion is the first two numbers of v: "8.5" of "8.5.0".
func minorVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return strings.Join(parts, ".")
}
