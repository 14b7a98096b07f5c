package sniff

import (
	"io"
	"testing"

	"oncelink/assets"
)

// wavHead is the start of a WAV file: its RIFF header, then silence.
var wavHead = append([]byte("RIFF\x24\x10\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"), make([]byte, 488)...)

// noisy is bytes that no sniffer takes for anything but binary.
var noisy = func() []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	b[0] = 0
	return b
}()

func TestType(t *testing.T) {
	sample := func(name string) []byte {
		f, err := assets.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b := make([]byte, 64<<10)
		n, _ := io.ReadFull(f, b)
		return b[:n]
	}
	ogg := func(packet string) []byte {
		h := append([]byte("OggS\x00\x02"), make([]byte, 20)...)
		h = append(h, 1, byte(len(packet)))
		return append(h, packet...)
	}
	for _, tt := range []struct {
		name, want string
		head       []byte
	}{
		{"WebM video", "video/webm", sample("media/sample-video.webm")},
		{"WebM audio", "audio/webm", sample("media/sample-audio.webm")},
		{"Ogg Opus", "audio/ogg", ogg("OpusHead\x01\x02")},
		{"Ogg Vorbis", "audio/ogg", ogg("\x01vorbis\x00\x00")},
		{"Ogg Theora", "video/ogg", ogg("\x80theora\x03\x02")},
		{"Ogg of something else", "application/ogg", ogg("\x00unknown")},
		{"FLAC", "audio/flac", []byte("fLaC\x00\x00\x00\x22")},
		{"MP3 with ID3", "audio/mpeg", []byte("ID3\x04\x00\x00\x00\x00\x00\x00")},
		{"MP3 frame", "audio/mpeg", []byte{0xFF, 0xFB, 0x90, 0x64, 0x00}},
		{"ADTS AAC is not MP3", "application/octet-stream", []byte{0xFF, 0xF1, 0x50, 0x80, 0x00}},
		{"UTF-16 text is not MP3", "text/plain; charset=utf-16le", []byte("\xFF\xFEH\x00e\x00l\x00l\x00o\x00")},
		{"WAV", "audio/wav", wavHead},
		{"M4A", "audio/mp4", []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00")},
		{"MP4", "video/mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41")},
		{"Matroska", "video/x-matroska", []byte("\x1A\x45\xDF\xA3\x87\x42\x82\x84matr")},
		{"HTML", "text/html; charset=utf-8", []byte("<!DOCTYPE html><script>")},
		{"PNG", "image/png", []byte("\x89PNG\r\n\x1a\n\x00\x00")},
		{"binary", "application/octet-stream", noisy},
	} {
		if got := Type(tt.head); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	for typ, kind := range map[string]string{"audio/webm": "audio", "video/mp4": "video", "text/html; charset=utf-8": "", "image/svg+xml": "", "audio/aiff": "", "video/x-matroska": ""} {
		if got := MediaKind(typ); got != kind {
			t.Errorf("MediaKind(%q) = %q, want %q", typ, got, kind)
		}
	}
}
