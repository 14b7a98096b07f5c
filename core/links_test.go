package core

import (
	"strings"
	"testing"
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
