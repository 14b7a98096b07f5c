package core

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// latinLookAlikes are the Cyrillic and Greek letters that look, as typed,
// like a Latin letter, with the Latin letter each passes for. Most are
// the pairs Unicode's confusables.txt (UTS #39) draws between these
// alphabets and a–z, A–Z. Both cases are here, each as it looks: a name
// is shown as it was typed, so Greek Β passes for B while β, with its
// tail below the line, passes for nothing.
//
// Left out: letters that look like a Latin letter only in some fonts or
// in italics (Cyrillic п like n, и like u, ь and ъ like b; Greek η like
// n, τ like t, α like a, γ like y); Cyrillic в к м н т, which are B K M H
// T at the height of small letters, Latin small capitals that nobody
// names themselves in, so that Анна and Антон are names as they should
// be; letters that look like digits (Cyrillic З like 3, б like
// 6), since a name of digits passing for a Cyrillic one is far-fetched;
// and the lunate sigmas ϲ and Ϲ, compatibility forms that PRECIS refuses
// anyway. Accented letters need no entry of their own: passesForLatin
// looks at them decomposed, ё as е and a diaeresis.
var latinLookAlikes = map[rune]rune{
	// Cyrillic capitals.
	'А': 'A', 'В': 'B', 'С': 'C', 'Е': 'E', 'Н': 'H', 'І': 'I', 'Ӏ': 'I', // І Byelorussian-Ukrainian I, Ӏ palochka
	'Ј': 'J', 'К': 'K', 'М': 'M', 'О': 'O', 'Р': 'P', 'Ѕ': 'S', 'Т': 'T',
	'Х': 'X', 'У': 'Y', 'Ү': 'Y', // Ү straight U
	'Ԍ': 'G', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ѵ': 'V', // Komi sje, qa, we; izhitsa
	'Ь': 'b', // the capital soft sign is a b at full height

	// Cyrillic small letters that look like Latin small letters.
	'а': 'a', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'ҽ': 'e', 'һ': 'h', 'і': 'i', // ԁ Komi de, ҽ Abkhazian che, һ shha
	'ј': 'j', 'ӏ': 'l', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'г': 'r', 'ѕ': 's', // ӏ small palochka, ԛ qa
	'ѵ': 'v', 'ԝ': 'w', 'ѡ': 'w', 'х': 'x', 'у': 'y', 'ү': 'y', // ѵ izhitsa, ԝ we, ѡ omega, ү straight u

	// Greek capitals.
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K',
	'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
	'Ϳ': 'J', 'Ϝ': 'F', 'Ϻ': 'M', // yot, digamma, san

	// Greek small letters.
	'ι': 'i', 'ϳ': 'j', 'κ': 'k', 'ο': 'o', 'σ': 'o', 'ρ': 'p', 'υ': 'u', 'ν': 'v', // ϳ yot
}

// passesForLatin reports whether name, in Cyrillic or Greek letters,
// could pass for a name in Latin ones, as сор (all Cyrillic) does for
// cop: whether it has Cyrillic or Greek letters and each of them is one
// of latinLookAlikes. This is what UTS #39 calls a whole-script
// confusable; mixesLookAlikeScripts refuses the names that mix the
// alphabets, so a name that comes here has letters of one of them alone.
//
// Only Cyrillic and Greek characters count. Digits and punctuation are
// the same characters in either name, so сор2 passes for cop2 as сор does
// for cop, and a name of them alone is in no alphabet to confuse; letters
// of other alphabets (中, ع) likewise stand as they are in the Latin
// twin. Accents are shared by every alphabet: the name is looked at
// decomposed, so that ё is е and a diaeresis, as ë is e and one.
func passesForLatin(name string) bool {
	seen := false
	for _, r := range norm.NFD.String(name) {
		if !unicode.In(r, unicode.Cyrillic, unicode.Greek) {
			continue
		}
		if _, ok := latinLookAlikes[r]; !ok {
			return false
		}
		seen = true
	}
	return seen
}

// hidesMark reports whether name, normalised, has a combining mark that a
// reader can hardly see, so that the name passes for the one without it:
// a dot above a letter that has one already (admi̇n, with i and U+0307,
// for admin), a mark laid over a letter (bob̸), or the same mark twice on
// one letter. UTS #39 suggests refusing each. Marks that show (José typed
// as e and an acute, Yoruba's ọ̀) are letters' own and stay.
func hidesMark(name string) bool {
	var prev, prevMark rune
	name = norm.NFD.String(name) // é as e and its accent, which a second one repeats
	for i, r := range name {
		if !unicode.Is(unicode.Mn, r) {
			prev, prevMark = r, 0
			continue
		}
		switch {
		case r == '\u0307' && unicode.Is(unicode.Soft_Dotted, prev),
			norm.NFD.PropertiesString(name[i:]).CCC() == 1, // an overlay
			r == prevMark:
			return true
		}
		prevMark = r
	}
	return false
}
