package i18n

import "strings"

// The isolates of Unicode's bidirectional algorithm (UAX #9).
const (
	lri = '\u2066' // LEFT-TO-RIGHT ISOLATE
	rli = '\u2067' // RIGHT-TO-LEFT ISOLATE
	fsi = '\u2068' // FIRST STRONG ISOLATE
	pdi = '\u2069' // POP DIRECTIONAL ISOLATE
)

// Isolate is text that a person wrote (a label) set apart, for plain
// text, from the direction of the words around it: between FIRST STRONG
// ISOLATE and POP DIRECTIONAL ISOLATE, so that it reads in the direction
// of its first letter and nothing in it, such as a RIGHT-TO-LEFT
// OVERRIDE, reorders what follows it. HTML draws such text in <bdi>
// instead, with Contain.
func Isolate(text string) string {
	return string(fsi) + Contain(text) + string(pdi)
}

// Contain is text with its isolates balanced, so that an isolate around
// it (Isolate's, or a <bdi>'s) ends where the text does: a POP
// DIRECTIONAL ISOLATE that closes none opened in text would close the
// outer one early, and an isolate left open would take the outer one's
// end; the first is dropped and the second closed. An embedding or
// override left open needs nothing: the end of the outer isolate ends it.
func Contain(text string) string {
	if !strings.ContainsAny(text, string([]rune{lri, rli, fsi, pdi})) {
		return text
	}
	var b strings.Builder
	open := 0
	for _, r := range text {
		switch r {
		case lri, rli, fsi:
			open++
		case pdi:
			if open == 0 {
				continue // it closes nothing opened in text
			}
			open--
		}
		b.WriteRune(r)
	}
	b.WriteString(strings.Repeat(string(pdi), open))
	return b.String()
}
