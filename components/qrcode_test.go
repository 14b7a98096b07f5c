package components

import (
	"context"
	"io"
	"strings"
	"testing"

	"rsc.io/qr"
)

var qrTexts = []string{
	"https://share.example.com/l/Nc2cCcx4QhtvCA7lE6WqvH-aj2gkSRcJVAyPb6O7tyU",
	"http://localhost:8080/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"x",
	strings.Repeat("https://a.example/", 20),
}

// The precomputed plans must give exactly the code rsc.io/qr's own Encode
// gives, the second time as the first.
func TestQRCodeMatchesEncode(t *testing.T) {
	for range 2 {
		for _, text := range qrTexts {
			want, err := qr.Encode(text, qr.Level(qrLevel))
			if err != nil {
				t.Fatal(err)
			}
			size, modules, err := qrCode(text)
			if err != nil {
				t.Fatalf("qrCode(%q): %v", text, err)
			}
			if size != want.Size || len(modules) != size*size {
				t.Fatalf("qrCode(%q): size %d with %d modules, want %d", text, size, len(modules), want.Size)
			}
			for y := range size {
				for x := range size {
					if dark := modules[y*size+x] == 1; dark != want.Black(x, y) {
						t.Fatalf("qrCode(%q): module (%d,%d) dark %v, want %v", text, x, y, dark, !dark)
					}
				}
			}
		}
	}
	if _, _, err := qrCode(strings.Repeat("x", 3000)); err == nil {
		t.Error("qrCode took 3,000 bytes, more than any QR code holds")
	}
}

// BenchmarkQRDrawing measures what a create spends on its QR code: the
// encoding and the drawing.
func BenchmarkQRDrawing(b *testing.B) {
	for b.Loop() {
		size, modules, err := qrCode(qrTexts[0])
		if err != nil {
			b.Fatal(err)
		}
		if err := NewQR(size, modules).Render(context.Background(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
