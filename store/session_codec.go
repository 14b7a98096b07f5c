package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
)

// SessionCodec stores a session's deadline and values in a few bytes. scs's
// default, gob, builds a decoder from type descriptions on every request,
// which cost more than the rest of loading a session together. oncelink
// keeps only numbers and strings in sessions; anything else is an error
// when the session is saved.
//
// The format: the two bytes 0x00 0x01 (gob data never starts with 0x00),
// the deadline in Unix nanoseconds as a varint, the number of values as a
// uvarint, then each value as its key (uvarint length, bytes), a type
// byte, and an int64 as a varint or a string as uvarint length and bytes.
// Sessions saved as gob by earlier versions still load.
type SessionCodec struct{}

var sessionMagic = [2]byte{0x00, 0x01}

const (
	sessionInt64  byte = 'i'
	sessionString byte = 's'
)

// maxSessionValues bounds the values a stored session may claim to hold.
const maxSessionValues = 64

func (SessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	b := append(make([]byte, 0, 32), sessionMagic[:]...)
	b = binary.AppendVarint(b, deadline.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(values)))
	for k, v := range values {
		b = appendSessionString(b, k)
		switch v := v.(type) {
		case int64:
			b = append(b, sessionInt64)
			b = binary.AppendVarint(b, v)
		case string:
			b = append(b, sessionString)
			b = appendSessionString(b, v)
		default:
			return nil, fmt.Errorf("session: cannot store %q, a %T", k, v)
		}
	}
	return b, nil
}

func appendSessionString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errSessionData = errors.New("session: malformed data")

func (SessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if len(b) < 2 || [2]byte(b[:2]) != sessionMagic {
		return scs.GobCodec{}.Decode(b)
	}
	r := sessionReader{b: b[2:]}
	deadline := time.Unix(0, r.varint())
	n := r.uvarint()
	if n > maxSessionValues {
		return time.Time{}, nil, errSessionData
	}
	values := make(map[string]any, n)
	for range n {
		k := r.string()
		switch r.byte() {
		case sessionInt64:
			values[k] = r.varint()
		case sessionString:
			values[k] = r.string()
		default:
			r.bad = true
		}
	}
	if r.bad || len(r.b) != 0 {
		return time.Time{}, nil, errSessionData
	}
	return deadline, values, nil
}

// sessionReader reads the parts of an encoded session; after the first
// malformed one, it returns zero values and sets bad.
type sessionReader struct {
	b   []byte
	bad bool
}

func (r *sessionReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *sessionReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
