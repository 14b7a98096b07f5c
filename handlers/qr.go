package handlers

import (
	"errors"
	"strconv"
	"sync/atomic"

	"rsc.io/qr/coding"

	"oncelink/components"
)

// qrQuiet is the blank margin, in modules, that the QR standard asks for
// around a code.
const qrQuiet = 4

// qrPlans holds a QR plan per version, at level M with mask 0, made on
// first use. A plan depends only on those three and costs more to make
// than a code does to encode with it; every link URL of a server has the
// same length, so one plan serves them all.
var qrPlans [coding.MaxVersion + 1]atomic.Pointer[coding.Plan]

// qrCode encodes text as the smallest QR code that holds it at level M
// (15% of it may be damaged), in byte mode.
func qrCode(text string) (*coding.Code, error) {
	enc := coding.String(text)
	v := coding.Version(coding.MinVersion)
	for enc.Bits(v) > v.DataBytes(coding.M)*8 {
		if v++; v > coding.MaxVersion {
			return nil, errors.New("qr: text too long")
		}
	}
	p := qrPlans[v].Load()
	if p == nil {
		var err error
		if p, err = coding.NewPlan(v, coding.M, 0); err != nil {
			return nil, err
		}
		qrPlans[v].Store(p)
	}
	return p.Encode(enc)
}

// qrDrawing draws text's QR code as one SVG path of one-module-high
// strokes, one per run of dark modules, in a square with the quiet zone
// around it.
func qrDrawing(text string) (components.QR, error) {
	code, err := qrCode(text)
	if err != nil {
		return components.QR{}, err
	}
	d := make([]byte, 0, 4<<10)
	for y := range code.Size {
		end := -1 // where the row's last run ended; -1 before the first
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			if end < 0 {
				// The stroke's centre line runs half a module down.
				d = append(d, 'M')
				d = strconv.AppendInt(d, int64(x+qrQuiet), 10)
				d = append(d, ' ')
				d = strconv.AppendInt(d, int64(y+qrQuiet), 10)
				d = append(d, ".5h"...)
			} else {
				d = append(d, 'm')
				d = strconv.AppendInt(d, int64(x-end), 10)
				d = append(d, " 0h"...)
			}
			d = strconv.AppendInt(d, int64(run), 10)
			x += run
			end = x
		}
	}
	return components.QR{Size: code.Size + 2*qrQuiet, Path: string(d)}, nil
}
