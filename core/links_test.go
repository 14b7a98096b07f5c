package core

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"oncelink/i18n"
)

// A message is UTF-8 text: one with bytes that are not is refused, never
// passed on for a recipient to read U+FFFD in their place.
func TestCheckContentTakesText(t *testing.T) {
	for _, tt := range []struct {
		name, message, code string
	}{
		{"text", "grüße, 你好", ""},
		{"a byte that is not UTF-8", "a\xffb", "message_invalid"},
		{"a cut character", "gr\xc3", "message_invalid"},
		{"a surrogate's encoding", "a\xed\xa0\x80b", "message_invalid"},
	} {
		got, err := CheckContent(KindMessage, tt.message, "")
		e, _ := AsError(err)
		switch {
		case tt.code == "" && (err != nil || string(got) != tt.message):
			t.Errorf("%s: %q, %v", tt.name, got, err)
		case tt.code != "" && (e == nil || e.Code != tt.code || e.Field != "message"):
			t.Errorf("%s: %v, want %s about message", tt.name, err, tt.code)
		}
	}
}

// Text that is not text is refused with its field's own message, or with
// one that names a field that has none.
func TestNotTextNamesTheField(t *testing.T) {
	for field, code := range map[string]string{"message": "message_invalid", "label": "label_invalid", "password": "not_text"} {
		if e := NotText(field); e.Code != code || e.Field != field || e.Kind != Invalid {
			t.Errorf("%s: %+v, want %s", field, e, code)
		}
	}
	if e := NotText("password"); e.MsgID != "error.not_text" || !strings.Contains(e.Msg, "password") {
		t.Errorf("not_text says %s: %q", e.MsgID, e.Msg)
	}
}

// TestParseID: an id is named only as it is written, so one link has one
// address.
func TestParseID(t *testing.T) {
	for s, want := range map[string]int64{"7": 7, "9223372036854775807": 1<<63 - 1,
		"007": 0, "+7": 0, "-7": 0, "0": 0, "": 0, "7 ": 0, "x": 0, "9223372036854775808": 0} {
		if got, err := ParseID(s); got != want || (want == 0) != (err != nil) {
			t.Errorf("ParseID(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

// TestFormWhole: a form's whole number is digits, perhaps after a minus
// sign, as JSON writes one; every other spelling of a number is none, so
// that the web form, a multipart create and a query refuse the same ones.
func TestFormWhole(t *testing.T) {
	for s, want := range map[string]int{"2": 2, "002": 2, "-2": -2, "0": 0, "99999999999999999999": math.MaxInt} {
		if n, ok := FormWhole(s); !ok || n != want {
			t.Errorf("FormWhole(%q) = %d, %t; want %d", s, n, ok, want)
		}
	}
	for _, s := range []string{"", "-", "+2", " 2", "2 ", "2\n", "2.0", "2.", "2e0", "0x2", "1_0", "٢", "２", "--2"} {
		if n, ok := FormWhole(s); ok {
			t.Errorf("FormWhole(%q) = %d, a whole number", s, n)
		}
		if _, err := parseUses(s); s != "" && !errors.Is(err, ErrUsesOutOfRange) {
			t.Errorf("uses %q are taken (%v)", s, err)
		}
	}
}

// TestCreateSaysEveryMistake: a create with several bad fields is refused
// for each of them, in the form's order, and makes nothing; a program
// that says one refusal says the first.
func TestCreateSaysEveryMistake(t *testing.T) {
	s, owner := newE2EService(t)
	ctx := context.Background()
	in := LinkInput{Kind: KindMessage, Message: " ", TTL: "1y", MaxUses: "0", ForUser: "nobody", Label: "a\tb"}
	_, err := s.Create(ctx, owner.ID, s.NewDraft(), in)
	var got []string
	for _, e := range AllErrors(err) {
		got = append(got, e.Field+":"+e.Code)
	}
	want := []string{"ttl:ttl_invalid", "max_uses:max_uses_out_of_range", "label:label_one_line", "for_user:for_user_unknown", "message:message_missing"}
	if !slices.Equal(got, want) {
		t.Errorf("refusals %v, want %v", got, want)
	}
	if e, ok := AsError(err); !ok || e.Field != "ttl" {
		t.Errorf("the first refusal is %v", err)
	}
	if links, err := s.Links(ctx, owner.ID, ListInput{}); err != nil || len(links.Links) != 0 {
		t.Errorf("a refused create made %d links (%v)", len(links.Links), err)
	}
}

// TestWebAddressShowsWhatItHides: a character of a web address that shows
// nothing or reorders the text around it is kept percent-encoded, as a
// browser follows it, so that the address reads as what it is wherever it
// is shown; what can be read is kept as typed.
func TestWebAddressShowsWhatItHides(t *testing.T) {
	for typed, want := range map[string]string{
		"https://example.com/\u202egpj.exe":     "https://example.com/%E2%80%AEgpj.exe",
		"example.com/a\u200bb?q=\u2066x\u2069":  "https://example.com/a%E2%80%8Bb?q=%E2%81%A6x%E2%81%A9",
		"https://example.com/\u0085":            "https://example.com/%C2%85",
		"https://bücher.example/Äpfel?q=ö#frag": "https://bücher.example/Äpfel?q=ö#frag",
	} {
		got, err := webAddress(typed)
		if err != nil || got != want {
			t.Errorf("%q is shared as %q (%v), want %q", typed, got, err, want)
		}
	}
}

// TestWebAddressIsOneValidURL: what a URL cannot hold as it is (a space,
// quotes and brackets past the host, a second #, a stray %) is
// percent-encoded, as a browser's address bar does, so that the address
// shared is one valid URL, one word in a shell; a host that no browser
// could look up is refused.
func TestWebAddressIsOneValidURL(t *testing.T) {
	for typed, want := range map[string]string{
		"https://example.com/ü path?q=a b":             "https://example.com/ü%20path?q=a%20b",
		"https://example.com/a\"<>\\^`{|}[]?q=<x>#f#g": "https://example.com/a%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D?q=%3Cx%3E#f%23g",
		"https://example.com/?q=5%&r=%41":              "https://example.com/?q=5%25&r=%41",
		"example.com/a\u00a0b\u3000c":                  "https://example.com/a%C2%A0b%E3%80%80c",
		"https://[2001:db8::1]:8443/x y":               "https://[2001:db8::1]:8443/x%20y",
		"https://example.com?q=a b":                    "https://example.com?q=a%20b",
	} {
		got, err := webAddress(typed)
		if err != nil || got != want {
			t.Errorf("%q is shared as %q (%v), want %q", typed, got, err, want)
		}
	}
	if _, err := webAddress("https://\u0301x.example/"); err == nil {
		t.Error("a host that starts with a combining accent is taken")
	}
}

// TestASCIIAddress: an address as it is shared is written in ASCII for
// HTTP: the host in IDNA, every other byte beyond ASCII, and a space kept
// by an earlier version, percent-encoded.
func TestASCIIAddress(t *testing.T) {
	for shared, want := range map[string]string{
		"https://bücher.example:8443/ü%20path?q=ö#ä": "https://xn--bcher-kva.example:8443/%C3%BC%20path?q=%C3%B6#%C3%A4",
		"https://example.com/a b":                    "https://example.com/a%20b",
		"https://example.com/%E2%80%AEgpj.exe":       "https://example.com/%E2%80%AEgpj.exe",
		"http://[2001:db8::1]/日本":                    "http://[2001:db8::1]/%E6%97%A5%E6%9C%AC",
	} {
		if got := ASCIIAddress(shared); got != want {
			t.Errorf("%q is sent as %q, want %q", shared, got, want)
		}
	}
}

// TestWebAddressPort: a link's address with a port outside 1 to 65535, or
// one that is not a number, is refused, with words about the port where
// it is a number; a port in range is kept.
func TestWebAddressPort(t *testing.T) {
	for address, want := range map[string]string{
		"https://example.com:8443/x": "", "example.com:1": "", "http://1.2.3.4:65535/": "", "https://example.com:/": "",
		"http://1.2.3.4:99999/": "error.url_invalid.port", "https://example.com:0/": "error.url_invalid.port",
		"example.com:65536": "error.url_invalid.port", "https://example.com:00/": "error.url_invalid.port",
		"https://example.com:99999999999999999999/": "error.url_invalid.port",
		"https://example.com:https/":                "error.url_invalid.plain",
	} {
		_, err := CheckContent(KindURL, "", address)
		e, _ := AsError(err)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", address, err)
		case want != "" && (e == nil || e.Code != "url_invalid" || e.Field != "url" || e.MsgID != want):
			t.Errorf("%s: %+v, want url_invalid said by %s", address, e, want)
		}
	}
}

// TestURLLimitSaysItsUnit: a web address's limit counts UTF-8 bytes, and
// its refusal says bytes in every language, so that one of 2,100 Arabic
// letters, refused at 4,200 bytes, is not told it has more than 4,096
// characters.
func TestURLLimitSaysItsUnit(t *testing.T) {
	base := "https://example.com/"
	if _, err := webAddress(base + strings.Repeat("ش", (MaxURLLen-len(base))/2)); err != nil {
		t.Fatalf("a web address of %d bytes: %v", MaxURLLen, err)
	}
	_, err := webAddress(base + strings.Repeat("ش", (MaxURLLen-len(base))/2+1))
	if !errors.Is(err, ErrURLTooLong) {
		t.Fatalf("a web address of %d bytes: %v", MaxURLLen+2, err)
	}
	for _, word := range []struct{ lang, unit string }{{"en", "bytes"}, {"de", "Bytes"}, {"fr", "octets"}, {"es", "bytes"}, {"ar", "بايت"}} {
		if said := ErrURLTooLong.Message(i18n.For(word.lang)); !strings.Contains(said, word.unit) {
			t.Errorf("%s: %q does not say the limit is in %s", word.lang, said, word.unit)
		}
	}
}
