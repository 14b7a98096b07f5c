package main

import (
	"strings"
	"unicode"

	"oncelink/i18n"
	"oncelink/useragent"
)

// browserName says which browser, on which system, sent userAgent, as a
// person would: "Firefox 128 on Linux". A user agent that useragent does
// not know is given as it is, cut short and made safe for a terminal.
// The commands call it through browser, which speaks their language.
func browserName(l *i18n.Localizer, userAgent string) string {
	ua := strings.TrimSpace(userAgent)
	if ua == "" {
		return l.T("cli.events.unnamed_browser")
	}
	if name := useragent.Say(l, ua); name != "" {
		return name
	}
	if r := []rune(ua); len(r) > 100 {
		ua = string(r[:100]) + "…"
	}
	return oneLine(ua, "")
}

// printable replaces the characters that a terminal would act on, such as
// escape sequences, or that would reorder a line: the user agents, labels
// and file names it is given come from other people.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || reorders(r) {
			return '?'
		}
		return r
	}, s)
}

// printableQuoting is printable for a line of oncelink's own, which sets
// apart what it quotes as i18n.Quote does: between a FIRST STRONG ISOLATE
// and a POP DIRECTIONAL ISOLATE. Such a pair is kept when nothing between
// them is a bidirectional control, not even a mark (which could turn the
// isolate's direction against what it holds): it reorders nothing outside
// it, and what it holds reads as it would on a line of its own. Turned
// into question marks, it would show around every name an Arabic message
// quotes. Everything else goes as printable has it.
func printableQuoting(s string) string {
	runes := []rune(s)
	kept := map[int]bool{}
	for i, r := range runes {
		if r != '\u2068' {
			continue
		}
		for j := i + 1; j < len(runes); j++ {
			if unicode.Is(unicode.Bidi_Control, runes[j]) {
				if runes[j] == '\u2069' {
					kept[i], kept[j] = true, true
				}
				break
			}
		}
	}
	for i, r := range runes {
		if unicode.IsControl(r) || reorders(r) && !kept[i] {
			runes[i] = '?'
		}
	}
	return string(runes)
}

// reorders reports whether r is a bidirectional embedding, override or
// isolate, which changes the order in which the rest of a line shows. The
// marks (U+200E, U+200F, U+061C) only say which way a character around
// them reads: the Arabic catalogs use them, and they stay.
func reorders(r rune) bool {
	return unicode.Is(unicode.Bidi_Control, r) && r != '\u200e' && r != '\u200f' && r != '\u061c'
}

// browser is browserName in p's language.
func (p *proc) browser(userAgent string) string {
	return browserName(p.loc, userAgent)
}
