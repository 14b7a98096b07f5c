package components

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"rsc.io/qr"
)

// Drawing the path's strokes module by module must paint exactly the dark
// modules, inside the quiet zone, and the path must hold nothing that
// would need escaping in an attribute.
func TestQRPaintsTheDarkModules(t *testing.T) {
	for _, text := range []string{
		"https://share.example.com/l/Nc2cCcx4QhtvCA7lE6WqvH-aj2gkSRcJVAyPb6O7tyU",
		"x",
		strings.Repeat("https://a.example/", 20),
	} {
		code, err := qr.Encode(text, qr.M)
		if err != nil {
			t.Fatal(err)
		}
		modules := make([]byte, code.Size*code.Size)
		for y := range code.Size {
			for x := range code.Size {
				if code.Black(x, y) {
					modules[y*code.Size+x] = 1
				}
			}
		}
		var b strings.Builder
		if err := NewQR(code.Size, modules).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		path, prefixed := strings.CutPrefix(b.String(), `<path stroke="#000" d="`)
		path, suffixed := strings.CutSuffix(path, `"></path>`)
		if !prefixed || !suffixed {
			t.Fatalf("%q: not a path element: %s", text, b.String())
		}
		if i := strings.IndexFunc(path, func(r rune) bool { return !strings.ContainsRune("0123456789 .Mmh", r) }); i >= 0 {
			t.Fatalf("%q: path holds %q", text, path[i])
		}
		size := code.Size + 2*qrQuiet
		painted := paint(t, path, size)
		for y := range size {
			for x := range size {
				cx, cy := x-qrQuiet, y-qrQuiet
				dark := cx >= 0 && cy >= 0 && cx < code.Size && cy < code.Size && code.Black(cx, cy)
				if painted[y][x] != dark {
					t.Fatalf("%q: module (%d,%d) painted %v, want %v", text, cx, cy, painted[y][x], dark)
				}
			}
		}
	}
}

// A created link's page shows its code as an SVG drawing of the path, and
// a link without one shows none.
func TestCreatedShowsTheQRCode(t *testing.T) {
	render := func(c Created) string {
		var b strings.Builder
		if err := created(c).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	page := render(Created{URL: "https://share.example.com/l/x", QR: NewQR(2, []byte{1, 0, 0, 1})})
	want := `viewBox="0 0 10 10"`
	if !strings.Contains(page, want) || !strings.Contains(page, `<path stroke="#000" d="M4 4.5h1M5 5.5h1"></path>`) {
		t.Fatalf("page lacks the drawing (%s and its path):\n%s", want, page)
	}
	for _, q := range []QR{{}, NewQR(2, []byte{1, 0, 0})} {
		if page := render(Created{URL: "https://share.example.com/l/x", QR: q}); strings.Contains(page, "<svg") {
			t.Fatalf("a link without a whole code has a drawing:\n%s", page)
		}
		// Nor does the code, rendered on its own.
		var b strings.Builder
		if err := q.Render(context.Background(), &b); err != nil || b.Len() != 0 {
			t.Fatalf("a code that is not whole renders %q (%v)", b.String(), err)
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
