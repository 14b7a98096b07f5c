package core

import (
	"context"
	"strings"
	"testing"
)

// TestSetTimeZone: an account's mails may write times in an IANA zone, or
// in UTC when it names none; the server's Local zone, a name that no zone
// has and an overlong one are refused, and leave the zone as it was.
func TestSetTimeZone(t *testing.T) {
	s, st, _, a := newRequestService(t)
	ctx := context.Background()
	zone := func() string {
		t.Helper()
		got, err := st.AccountByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.TimeZone
	}
	for _, tt := range []struct {
		name, zone string
		code       string // "" when accepted
		want       string // the zone kept after it
	}{
		{"an IANA zone", "Europe/Berlin", "", "Europe/Berlin"},
		{"another", "Asia/Tokyo", "", "Asia/Tokyo"},
		{"the server's own", "Local", "time_zone_local", "Asia/Tokyo"},
		{"no such zone", "Mars/Olympus_Mons", "time_zone_unknown", "Asia/Tokyo"},
		{"a path out of the zone database", "../../etc/passwd", "time_zone_unknown", "Asia/Tokyo"},
		{"a zone written in lower case", "europe/berlin", "time_zone_unknown", "Asia/Tokyo"},
		{"65 bytes", "Europe/" + strings.Repeat("x", 58), "time_zone_too_long", "Asia/Tokyo"},
		{"not text", "Asia/\x00Tokyo", "not_text", "Asia/Tokyo"},
		{"UTC", "UTC", "", "UTC"},
		{"none, for UTC", "", "", ""},
	} {
		changed, err := s.SetTimeZone(ctx, a, tt.zone)
		switch e, _ := AsError(err); {
		case tt.code == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.code == "" && changed.TimeZone != tt.zone:
			t.Errorf("%s: the account says %q", tt.name, changed.TimeZone)
		case tt.code != "" && (e == nil || e.Code != tt.code || e.Field != "time_zone" || e.Kind != Invalid):
			t.Errorf("%s: %v; want %s about time_zone", tt.name, err, tt.code)
		}
		if got := zone(); got != tt.want {
			t.Errorf("%s: the zone kept is %q, want %q", tt.name, got, tt.want)
		}
	}
	if err := checkTimeZone("Europe/" + strings.Repeat("x", MaxTimeZoneBytes-len("Europe/"))); !isCode(err, "time_zone_unknown") {
		t.Errorf("64 bytes: %v; want time_zone_unknown, not too long", err)
	}
}
