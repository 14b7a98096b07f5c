package useragent

import (
	"testing"

	"oncelink/i18n"
)

func TestBrowserName(t *testing.T) {
	for _, tt := range []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36", "Chrome 142 on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge 131 on Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133 on Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari 18 on macOS"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 on iPhone"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome 131 on iPhone"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet 26 on Android"},
		{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome 131 on Android"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on ChromeOS"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/142.0.0.0 Safari/537.36", "Headless Chrome 142 on Linux"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0", "Opera 116 on Windows"},
		{"curl/8.5.0", "curl 8.5"},
		{"oncelink-cli/1", "oncelink command line 1"},
		{"Go-http-client/1.1", "Go HTTP client 1.1"},
		{"python-requests/2.32.3", "Python requests 2.32"},
		{"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slack link preview"},
		{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "Facebook link preview"},
		{"WhatsApp/2.23.20.0", "WhatsApp link preview"},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot"},
		{"Mozilla/5.0 (compatible; SomeNewBot/0.1)", "A crawler"},
		{"PreviewBot/1.0", "A crawler"},
		{"Recipient/3", ""},
		{"Mozilla/5.0", ""},
		{"", ""},
		{"Chrome/abc", "Chrome"},
	} {
		if got := Name(tt.ua); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.ua, got, tt.want)
		}
	}
}

// TestSayInOtherLanguages: the words around the names follow the
// reader's language; the names of browsers, systems and apps do not.
func TestSayInOtherLanguages(t *testing.T) {
	chrome := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
	for _, tt := range []struct{ lang, ua, id string }{
		{"de", chrome, "useragent.on"},
		{"ar", chrome, "useragent.on"},
		{"fr", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "useragent.preview"},
		{"es", "Mozilla/5.0 (compatible; SomeNewBot/0.1)", "useragent.crawler"},
	} {
		l := i18n.For(tt.lang)
		want := l.T(tt.id, "Browser", "Chrome 142", "System", "Linux", "App", "Slack")
		if got := Say(l, tt.ua); got != want || got == Name(tt.ua) {
			t.Errorf("%s: Say = %q, want %q (English %q)", tt.lang, got, want, Name(tt.ua))
		}
	}
}
