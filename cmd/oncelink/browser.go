package main

import (
	"regexp"
	"strings"
	"unicode"
)

// browsers name the programs that user agents announce, the first match
// winning: Edge and Opera say "Chrome" too, Chrome says "Safari", and
// every browser says "Mozilla". The number after the name is its version.
var browsers = []struct {
	name string
	re   *regexp.Regexp
}{
	{"the oncelink command line", regexp.MustCompile(`^oncelink-cli/`)},
	{"Edge", regexp.MustCompile(`\bEdg(?:e|A|iOS)?/(\d+)`)},
	{"Opera", regexp.MustCompile(`\b(?:OPR|Opera)/(\d+)`)},
	{"Samsung Internet", regexp.MustCompile(`\bSamsungBrowser/(\d+)`)},
	{"Vivaldi", regexp.MustCompile(`\bVivaldi/(\d+)`)},
	{"Firefox", regexp.MustCompile(`\b(?:Firefox|FxiOS)/(\d+)`)},
	{"Chrome", regexp.MustCompile(`\b(?:HeadlessChrome|Chrome|CriOS)/(\d+)`)},
	{"Safari", regexp.MustCompile(`\bVersion/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/`)},
	{"curl", regexp.MustCompile(`^curl/(\d+\.\d+)`)},
	{"Wget", regexp.MustCompile(`^Wget/(\d+\.\d+)`)},
	{"a Python program", regexp.MustCompile(`^(?:python-requests|Python-urllib|python-httpx|aiohttp)/`)},
	{"a Go program", regexp.MustCompile(`^Go-http-client/`)},
}

// systems name the operating system in a user agent, again first match
// winning: Android says "Linux", and iOS "like Mac OS X".
var systems = []struct{ name, marker string }{
	{"Android", "Android"}, {"iOS", "iPhone"}, {"iPadOS", "iPad"}, {"ChromeOS", "CrOS"},
	{"Windows", "Windows"}, {"macOS", "Mac OS X"}, {"Linux", "Linux"},
}

// browserName says which browser, on which system, sent userAgent, as a
// person would: "Firefox 128 on Linux". A user agent it does not know is
// given as it is, made safe for a terminal.
func browserName(userAgent string) string {
	ua := strings.TrimSpace(userAgent)
	if ua == "" {
		return "an unnamed browser"
	}
	for _, b := range browsers {
		m := b.re.FindStringSubmatch(ua)
		if m == nil {
			continue
		}
		name := b.name
		if len(m) > 1 {
			name += " " + m[1]
		}
		if strings.Contains(ua, "HeadlessChrome") {
			name = "headless " + name
		}
		for _, s := range systems {
			if strings.Contains(ua, s.marker) {
				return name + " on " + s.name
			}
		}
		return name
	}
	if r := []rune(ua); len(r) > 100 {
		ua = string(r[:100]) + "…"
	}
	return oneLine(ua, "")
}

// printable replaces the characters that a terminal would act on, such as
// escape sequences, or that would reorder a line: the user agents and
// labels it is given come from other people.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '?'
		}
		return r
	}, s)
}
