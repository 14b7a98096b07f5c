package store

import (
	"maps"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

func TestSessionCodecRoundTrip(t *testing.T) {
	deadline := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)
	for _, values := range []map[string]any{
		{},
		{"account": int64(42)},
		{"account": int64(-1 << 62), "note": "", "name": "Ada ✓"},
	} {
		b, err := SessionCodec{}.Encode(deadline, values)
		if err != nil {
			t.Fatal(err)
		}
		gotDeadline, got, err := SessionCodec{}.Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%v)): %v", values, err)
		}
		if !gotDeadline.Equal(deadline) || !maps.Equal(got, values) {
			t.Errorf("round trip of %v at %v gave %v at %v", values, deadline, got, gotDeadline)
		}
	}
}

func TestSessionCodecRefusesOtherTypes(t *testing.T) {
	if _, err := (SessionCodec{}).Encode(time.Now(), map[string]any{"n": 3}); err == nil {
		t.Error("an int (not int64) was encoded")
	}
}

// Sessions saved as gob before this codec still load.
func TestSessionCodecReadsGob(t *testing.T) {
	deadline := time.Now().Add(time.Hour).Round(0)
	b, err := scs.GobCodec{}.Encode(deadline, map[string]any{"account": int64(7)})
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, got, err := SessionCodec{}.Decode(b)
	if err != nil || !gotDeadline.Equal(deadline) || got["account"] != int64(7) {
		t.Errorf("gob session decoded as %v %v, %v", gotDeadline, got, err)
	}
}

// Every truncation, and trailing or corrupted bytes, are errors, never a
// panic or a session with missing values.
func TestSessionCodecRefusesMalformedData(t *testing.T) {
	b, err := SessionCodec{}.Encode(time.Now(), map[string]any{"account": int64(1234567), "s": "text"})
	if err != nil {
		t.Fatal(err)
	}
	for n := 2; n < len(b); n++ {
		if _, _, err := (SessionCodec{}).Decode(b[:n]); err == nil {
			t.Errorf("a session cut to %d of %d bytes decoded", n, len(b))
		}
	}
	bad := [][]byte{
		append(append([]byte{}, b...), 0),
		{0x00, 0x01, 0x02, 0x7f},                 // 127 values claimed, above the limit
		{0x00, 0x01, 0x02, 0x01, 0x01, 'k', 'x'}, // unknown type, and nothing after it
		{0x00, 0x01, 0x02, 0x01, 0x7f, 'k'},      // key longer than the data
	}
	for _, d := range bad {
		if _, _, err := (SessionCodec{}).Decode(d); err == nil {
			t.Errorf("Decode(%x) succeeded", d)
		}
	}
}
