package components

import (
	"errors"
	"slices"
	"sync/atomic"

	"rsc.io/qr/coding"
)

// qrLevel is the codes' error correction: L, the lowest, restores 7% of a
// code. A link's code is read off the owner's screen, which does not smudge
// or tear, and at the page's fixed 176 pixels the lower level's smaller
// code has larger modules, which a phone's camera reads more easily: a
// link of 75 characters takes 33×33 modules at L, 37×37 at M.
const qrLevel = coding.L

// qrPlan is rsc.io/qr's plan of one version at qrLevel with mask 0, turned
// into what encoding needs: the modules as they are when every data bit is
// zero, and the module each data bit flips. Making it costs more than
// many encodings with it, and every link URL of a server has the same
// length, so one is made per version, on first use.
type qrPlan struct {
	size  int
	blank []byte  // size×size modules, row by row; 1 is dark
	bitAt []int32 // bitAt[i] is the module data bit i flips
}

var qrPlans [coding.MaxVersion + 1]atomic.Pointer[qrPlan]

func newQRPlan(v coding.Version) (*qrPlan, error) {
	p, err := coding.NewPlan(v, qrLevel, 0)
	if err != nil {
		return nil, err
	}
	size := len(p.Pixel)
	q := &qrPlan{
		size:  size,
		blank: make([]byte, size*size),
		bitAt: make([]int32, 8*(p.DataBytes+p.CheckBytes)),
	}
	for y, row := range p.Pixel {
		for x, pix := range row {
			i := y*size + x
			if r := pix.Role(); r == coding.Data || r == coding.Check {
				q.bitAt[pix.Offset()] = int32(i)
			}
			if pix&coding.Black != 0 {
				q.blank[i] = 1
			}
		}
	}
	return q, nil
}

// qrCode encodes text, in byte mode, as the smallest QR code that holds it
// at qrLevel. It returns the code's width in modules and its modules, row
// by row, 1 for dark: the same code as rsc.io/qr's Encode.
func qrCode(text string) (int, []byte, error) {
	enc := coding.String(text)
	v := coding.Version(coding.MinVersion)
	for enc.Bits(v) > v.DataBytes(qrLevel)*8 {
		if v++; v > coding.MaxVersion {
			return 0, nil, errors.New("qr: text too long")
		}
	}
	q := qrPlans[v].Load()
	if q == nil {
		var err error
		if q, err = newQRPlan(v); err != nil {
			return 0, nil, err
		}
		qrPlans[v].Store(q)
	}
	var b coding.Bits
	enc.Encode(&b, v)
	b.AddCheckBytes(v, qrLevel)
	modules := slices.Clone(q.blank)
	for i, c := range b.Bytes() {
		for bit := range 8 {
			if c&(0x80>>bit) != 0 {
				modules[q.bitAt[i*8+bit]] ^= 1
			}
		}
	}
	return q.size, modules, nil
}

// QRCode is the QR code of text, as the page draws it.
func QRCode(text string) (QR, error) {
	size, modules, err := qrCode(text)
	if err != nil {
		return QR{}, err
	}
	return NewQR(size, modules), nil
}
