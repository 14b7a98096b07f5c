package sniff

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
)

// Type names a file's type from its first bytes. What the uploader's
// browser claimed is never asked: the type decides whether the recipient's
// browser plays the file inline, so it must follow the content. It adds to
// http.DetectContentType the audio and video containers that it misses or
// names too broadly: FLAC, MP3 without an ID3 tag, audio-only WebM, MP4 and
// Ogg, and Ogg video.
func Type(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("fLaC")):
		return "audio/flac"
	case bytes.HasPrefix(head, []byte("OggS")):
		return oggType(head)
	case bytes.HasPrefix(head, []byte("\x1A\x45\xDF\xA3")):
		return ebmlType(head)
	case len(head) >= 12 && string(head[4:8]) == "ftyp" && (string(head[8:12]) == "M4A " || string(head[8:12]) == "M4B "):
		return "audio/mp4"
	}
	switch t := http.DetectContentType(head); {
	case t == "audio/wave":
		return "audio/wav" // the name browsers know best
	case t == "application/octet-stream" && mp3Frame(head):
		// A frame header is a weak sign, which text with a byte-order
		// mark also shows: it counts only for what is nothing else.
		return "audio/mpeg"
	default:
		return t
	}
}

// playable lists the types that open in the player, by kind; anything else
// is a download. These are what current browsers play.
var playable = map[string]string{
	"audio/mpeg": "audio", "audio/wav": "audio", "audio/flac": "audio", "audio/ogg": "audio",
	"audio/webm": "audio", "audio/mp4": "audio",
	"video/webm": "video", "video/ogg": "video", "video/mp4": "video",
}

// MediaKind is "audio" or "video" for a type the player plays, else "".
func MediaKind(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return playable[t]
}

// oggType reads the codec from the first packet of an Ogg stream, which
// the page header's segment table locates.
func oggType(head []byte) string {
	if len(head) < 27 {
		return "application/ogg"
	}
	start := 27 + int(head[26])
	if start > len(head) {
		return "application/ogg"
	}
	packet := head[start:]
	for _, codec := range []struct{ magic, kind string }{
		{"OpusHead", "audio/ogg"}, {"\x01vorbis", "audio/ogg"}, {"\x7fFLAC", "audio/ogg"},
		{"Speex   ", "audio/ogg"}, {"\x80theora", "video/ogg"},
	} {
		if bytes.HasPrefix(packet, []byte(codec.magic)) {
			return codec.kind
		}
	}
	return "application/ogg"
}

// EBML element IDs that ebmlType reads (Matroska and WebM).
const (
	ebmlHeader  = 0x1A45DFA3
	ebmlDocType = 0x4282
	mkvSegment  = 0x18538067
	mkvTracks   = 0x1654AE6B
	mkvTrack    = 0xAE
	mkvType     = 0x83
	mkvCluster  = 0x1F43B675
)

// ebmlType tells WebM from other Matroska files, and audio-only WebM from
// video, by walking the EBML header and the segment's track list, which
// comes before the first cluster of media data.
func ebmlType(head []byte) string {
	docType := ""
	video, audio := false, false
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		for len(b) > 0 {
			id, n := ebmlVint(b, true)
			if n == 0 || id == mkvCluster {
				return
			}
			size, m := ebmlVint(b[n:], false)
			if m == 0 {
				return
			}
			body := b[n+m:]
			unknown := size == 1<<(7*m)-1
			if !unknown && size < uint64(len(body)) {
				body = body[:size]
			}
			switch id {
			case ebmlHeader, mkvSegment, mkvTracks, mkvTrack:
				if depth < 4 {
					walk(body, depth+1)
				}
			case ebmlDocType:
				docType = string(body)
			case mkvType:
				if len(body) == 1 {
					video = video || body[0] == 1
					audio = audio || body[0] == 2
				}
			}
			if unknown || size >= uint64(len(b[n+m:])) {
				return
			}
			b = b[n+m+int(size):]
		}
	}
	walk(head, 0)
	switch {
	case docType != "webm":
		return "video/x-matroska"
	case audio && !video:
		return "audio/webm"
	}
	return "video/webm"
}

// ebmlVint reads an EBML variable-length integer and its length in bytes,
// or a length of 0 when b does not hold one. IDs keep their length marker.
func ebmlVint(b []byte, keepMarker bool) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > len(b) || (keepMarker && n > 4) {
		return 0, 0
	}
	var buf [8]byte
	copy(buf[8-n:], b[:n])
	v := binary.BigEndian.Uint64(buf[:])
	if !keepMarker {
		v &^= 1 << (8*n - n)
	}
	return v, n
}

// mp3Frame reports whether head starts with an MPEG audio frame header,
// as an MP3 file without an ID3 tag does: the sync bits, then a version,
// layer, bit rate and sample rate that are not reserved.
func mp3Frame(head []byte) bool {
	if len(head) < 4 || head[0] != 0xFF || head[1]&0xE0 != 0xE0 {
		return false
	}
	version, layer := head[1]>>3&3, head[1]>>1&3
	bitrate, rate := head[2]>>4, head[2]>>2&3
	return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && rate != 3
}
