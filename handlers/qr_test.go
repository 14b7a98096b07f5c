package handlers

import (
	"strconv"
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
			want, err := qr.Encode(text, qr.M)
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
		t.Error("qrCode took 3,000 bytes, more than any QR code holds at level M")
	}
}

// Drawing the path's strokes module by module must paint exactly the dark
// modules, inside the quiet zone.
func TestQRDrawingPaintsTheDarkModules(t *testing.T) {
	for _, text := range qrTexts {
		code, err := qr.Encode(text, qr.M)
		if err != nil {
			t.Fatal(err)
		}
		d, err := qrDrawing(text)
		if err != nil {
			t.Fatal(err)
		}
		if d.Size != code.Size+2*qrQuiet {
			t.Fatalf("size %d, want %d", d.Size, code.Size+2*qrQuiet)
		}
		painted := paint(t, d.Path, d.Size)
		for y := range d.Size {
			for x := range d.Size {
				cx, cy := x-qrQuiet, y-qrQuiet
				dark := cx >= 0 && cy >= 0 && cx < code.Size && cy < code.Size && code.Black(cx, cy)
				if painted[y][x] != dark {
					t.Fatalf("%q: module (%d,%d) painted %v, want %v", text, cx, cy, painted[y][x], dark)
				}
			}
		}
	}
}

// paint follows a path made only of "Mx y.5", "mdx 0" and "hN" commands
// and marks the modules its strokes cover.
func paint(t *testing.T, path string, size int) [][]bool {
	t.Helper()
	grid := make([][]bool, size)
	for i := range grid {
		grid[i] = make([]bool, size)
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("bad number %q in path", s)
		}
		return n
	}
	x, y := 0, 0
	for path != "" {
		cmd := path[0]
		end := strings.IndexAny(path[1:], "Mmh")
		if end < 0 {
			end = len(path) - 1
		}
		arg := path[1 : end+1]
		path = path[end+1:]
		switch cmd {
		case 'M':
			xs, ys, ok := strings.Cut(arg, " ")
			if !ok || !strings.HasSuffix(ys, ".5") {
				t.Fatalf("bad move %q", arg)
			}
			x, y = num(xs), num(strings.TrimSuffix(ys, ".5"))
		case 'm':
			dx, dy, ok := strings.Cut(arg, " ")
			if !ok || dy != "0" {
				t.Fatalf("bad relative move %q", arg)
			}
			x += num(dx)
		case 'h':
			n := num(arg)
			if n <= 0 || x+n > size {
				t.Fatalf("bad run %d at %d", n, x)
			}
			for i := range n {
				grid[y][x+i] = true
			}
			x += n
		default:
			t.Fatalf("unexpected command %q", cmd)
		}
	}
	return grid
}

func BenchmarkQRDrawing(b *testing.B) {
	for b.Loop() {
		if _, err := qrDrawing(qrTexts[0]); err != nil {
			b.Fatal(err)
		}
	}
}
