package core

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"path/filepath"
	"strings"
	"testing"
)

func TestCleanFileName(t *testing.T) {
	long := strings.Repeat("é", 150) + ".tar.gz"
	for in, want := range map[string]string{
		"report.pdf":                "report.pdf",
		`C:\Users\ada\report.pdf`:   "report.pdf",
		"../../etc/passwd":          "passwd",
		"a\x00b\nc\u202ed.txt":      "abcd.txt",
		"trailing. . ":              "trailing",
		"..":                        "file",
		"":                          "file",
		".profile":                  ".profile",
		"bad\xffutf8.txt":           "badutf8.txt",
		long:                        strings.Repeat("é", 98) + ".gz",
		"ok \"quoted\" name.txt":    "ok \"quoted\" name.txt",
		strings.Repeat("a", 300):    strings.Repeat("a", maxFileNameBytes),
		"  leading space.txt":       "leading space.txt",
		"zero\u200bwidth joiner.md": "zerowidth joiner.md",
		"a%22b%22.txt":              `a"b".txt`,
		"cr%0Dlf%0A.txt":            "crlf.txt",
		"می\u200cخواهم.pdf":         "می\u200cخواهم.pdf",
		"👨\u200d👩\u200d👧.png":       "👨\u200d👩\u200d👧.png",
	} {
		if got := cleanFileName(in); got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// TestPartHeadersAreBounded: a part of a form whose headers run past
// maxPartHeaderBytes, or a preamble that does, is refused as an unreadable
// form once that much is read, not taken into memory whole, as
// mime/multipart would up to 10 MiB a part; a part without a name, however
// large, is skipped as before.
func TestPartHeadersAreBounded(t *testing.T) {
	s, _, _ := newServiceOn(t, filepath.Join(t.TempDir(), "oncelink.db"))
	const boundary = "b0undary"
	pad := strings.Repeat("x", 1<<20)
	for name, tc := range map[string]struct {
		body string
		err  error
	}{
		"a header of a megabyte": {"--" + boundary + "\r\nContent-Disposition: form-data; name=\"kind\"\r\nX-Pad: " + pad +
			"\r\n\r\nfile\r\n--" + boundary + "--\r\n", ErrUnreadableForm},
		"a preamble of a megabyte": {pad + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nfile\r\n--" +
			boundary + "--\r\n", ErrUnreadableForm},
		"a part of a megabyte without a name": {"--" + boundary + "\r\nContent-Type: text/plain\r\n\r\n" + pad + "\r\n--" + boundary +
			"\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nmessage\r\n--" + boundary + "--\r\n", nil},
	} {
		t.Run(name, func(t *testing.T) {
			d := s.NewDraft()
			defer d.Close()
			body := &countingReader{r: strings.NewReader(tc.body)}
			form, err := d.ReadMultipart(body, boundary, int64(len(tc.body)), Client{IP: "192.0.2.1"})
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if tc.err != nil && body.n > 2*maxPartHeaderBytes {
				t.Errorf("%d bytes read of a refused form", body.n)
			}
			if tc.err == nil && form.Get("kind") != KindMessage {
				t.Errorf("form %v", form)
			}
		})
	}
	// A browser's file part, with a long name, is read as ever.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("kind", KindFile)
	fw, _ := mw.CreateFormFile("file", strings.Repeat("é", 500)+".txt")
	fmt.Fprint(fw, "notes")
	mw.Close()
	d := s.NewDraft()
	defer d.Close()
	if _, err := d.ReadMultipart(&body, mw.Boundary(), int64(body.Len()), Client{IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
}
