package core

import (
	"testing"
	"time"
)

// FuzzParseDuration checks that ParseDuration never panics, keeps within
// its bound, and reads back what FormatDuration writes of its result.
func FuzzParseDuration(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 || d > maxTTLParse {
			t.Fatalf("ParseDuration(%q) = %v, out of bounds", s, d)
		}
		if again, err := ParseDuration(FormatDuration(d)); err != nil || again != d {
			t.Fatalf("ParseDuration(%q) = %v, but %q reads back as %v, %v", s, d, FormatDuration(d), again, err)
		}
	})
}

// FuzzParseRate checks that ParseRate never panics, keeps within its
// bounds, and reads back what String writes.
func FuzzParseRate(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if !r.Off && (r.N < 1 || r.N > MaxRateN || r.Per < minRatePer || r.Per > maxRatePer || r.Per/time.Duration(r.N) <= 0) {
			t.Fatalf("ParseRate(%q) = %+v, out of bounds", s, r)
		}
		if again, err := ParseRate(r.String()); err != nil || again != r {
			t.Fatalf("ParseRate(%q) = %+v, but %q reads back as %+v, %v", s, r, r.String(), again, err)
		}
	})
}
