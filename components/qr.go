package components

import (
	"context"
	"io"
	"strconv"
)

// qrQuiet is the blank margin, in modules, that the QR standard asks for
// around a code.
const qrQuiet = 4

// QR is a QR code, drawn on the page as one SVG path, or nothing when it
// is zero.
type QR struct {
	size    int    // modules on a side, without the quiet zone
	modules []byte // size×size, row by row; 1 is dark
}

// NewQR is the code of size×size modules, given row by row with 1 for dark.
func NewQR(size int, modules []byte) QR {
	if size <= 0 || len(modules) != size*size {
		return QR{}
	}
	return QR{size: size, modules: modules}
}

func (q QR) viewBox() string {
	n := strconv.Itoa(q.size + 2*qrQuiet)
	return "0 0 " + n + " " + n
}

// Render writes the code's <path>: one-module-high strokes, one per run of
// dark modules, inside the quiet zone. The path is drawn straight into the
// page, a row at a time, and holds only digits, spaces, dots and the
// commands M, m and h, so it needs no escaping: a create draws one, and
// it is the larger part of the page.
func (q QR) Render(_ context.Context, w io.Writer) error {
	if q.size == 0 {
		return nil
	}
	if _, err := io.WriteString(w, `<path stroke="#000" d="`); err != nil {
		return err
	}
	d := make([]byte, 0, 512)
	for y := range q.size {
		row := q.modules[y*q.size : (y+1)*q.size]
		d = d[:0]
		end := -1 // where the row's last run ended; -1 before the first
		for x := 0; x < q.size; x++ {
			if row[x] == 0 {
				continue
			}
			start := x
			for x < q.size && row[x] != 0 {
				x++
			}
			if end < 0 {
				// The stroke's centre line runs half a module down.
				d = append(d, 'M')
				d = appendSmall(d, start+qrQuiet)
				d = append(d, ' ')
				d = appendSmall(d, y+qrQuiet)
				d = append(d, ".5h"...)
			} else {
				d = append(d, 'm')
				d = appendSmall(d, start-end)
				d = append(d, " 0h"...)
			}
			d = appendSmall(d, x-start)
			end = x
		}
		if _, err := w.Write(d); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, `"></path>`)
	return err
}

// appendSmall appends n in decimal; the path's numbers are below 200, and
// most below 10.
func appendSmall(b []byte, n int) []byte {
	switch {
	case n < 10:
		return append(b, byte('0'+n))
	case n < 100:
		return append(b, byte('0'+n/10), byte('0'+n%10))
	}
	return strconv.AppendInt(b, int64(n), 10)
}
