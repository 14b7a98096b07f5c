package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"oncelink/assets"
	"oncelink/core"
	"oncelink/e2e"
	"oncelink/i18n"
	"oncelink/store"
	"oncelink/token"
)

// formPart is one part of a multipart form; a part with a file name is a
// file.
type formPart struct {
	name, fileName string
	body           []byte
}

func field(name, value string) formPart { return formPart{name: name, body: []byte(value)} }

func filePart(fileName string, body []byte) formPart {
	return formPart{name: "file", fileName: fileName, body: body}
}

// fileForm is a create form for a file link, with the file last, as a
// browser sends it.
func fileForm(fileName string, body []byte) []formPart {
	return []formPart{field("kind", "file"), field("ttl", "1h"), field("max_uses", "1"), filePart(fileName, body)}
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// multipartBody encodes parts as a browser does, claiming every file is
// text/plain: the server must not believe it.
func multipartBody(t testing.TB, parts []formPart) (contentType string, body []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.fileName != "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, p.name, quoteEscaper.Replace(p.fileName)))
			h.Set("Content-Type", "text/plain")
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.body)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// upload posts parts to /links as multipart/form-data.
func (c *testClient) upload(parts []formPart) response {
	c.t.Helper()
	ct, body := multipartBody(c.t, parts)
	return c.request(http.MethodPost, "/links", bytes.NewReader(body), http.Header{"Content-Type": {ct}})
}

// shareFile creates a file link and returns its URL.
func (c *testClient) shareFile(fileName string, body []byte) string {
	c.t.Helper()
	res := c.upload(fileForm(fileName, body))
	if res.StatusCode != http.StatusCreated {
		c.t.Fatalf("upload: %d %s", res.StatusCode, res.body)
	}
	path := linkURLPattern.FindString(res.body)
	if path == "" {
		c.t.Fatalf("no link URL in %s", res.body)
	}
	return c.srv.URL + path
}

// stored counts the links and content chunks in the database, read through
// the session store's handle, which opens the same SQLite file.
func (s *testServer) stored() (links, chunks int) {
	s.t.Helper()
	db := s.store.SessionDB()
	if err := db.QueryRow(`SELECT COUNT(*) FROM links`).Scan(&links); err != nil {
		s.t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM link_content`).Scan(&chunks); err != nil {
		s.t.Fatal(err)
	}
	return links, chunks
}

// spoolDir makes uploads spool to a directory of the test's, which the
// test can check is left empty.
func spoolDir(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("%d files left in the spool directory, such as %s", len(left), left[0].Name())
	}
}

// wav is a mono 16-bit PCM WAV file of a quiet tone, seconds long.
func wav(seconds int) []byte {
	const rate = 44100
	samples := rate * seconds
	b := make([]byte, 44+2*samples)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*samples))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], rate)
	binary.LittleEndian.PutUint32(b[28:], 2*rate)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*samples))
	for i := range samples {
		v := int16(2000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}

// noisy is n bytes that no sniffer takes for anything but binary.
func noisy(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	b[0] = 0
	return b
}

// TestFileRowsShowTheirSize: files shared without a label are told apart
// on the dashboard by their size; other kinds show none, nor does an
// end-to-end file, whose size the server knows only as its ciphertext's,
// there or on its recipient's page.
func TestFileRowsShowTheirSize(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	owner.shareFile("a.bin", noisy(2048))
	owner.shareFile("b.bin", noisy(3<<19))
	owner.createLink(url.Values{"message": {"not a file"}})
	secret := e2e.NewSecret()
	sealed := e2e.Seal(e2e.Key(secret, ""), e2e.Header{Kind: "file", Name: "c.bin"}, noisy(4096))
	encrypted := s.shareE2E("file", "", base64.RawURLEncoding.EncodeToString(e2e.Check(e2e.Claim(secret))), sealed)
	if res := s.client().get(encrypted[len(s.URL):]); res.StatusCode != http.StatusOK || strings.Contains(res.body, "KiB") {
		t.Errorf("the recipient's page of an end-to-end file: %d, shows a size: %v", res.StatusCode, strings.Contains(res.body, "KiB"))
	}
	body := owner.get("/links").body
	for _, want := range []string{`data-testid="file-size">2 KiB<`, `data-testid="file-size">1.5 MiB<`} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
	if n := strings.Count(body, `data-testid="file-size"`); n != 2 {
		t.Errorf("%d sizes on the dashboard, want 2", n)
	}
}

func TestFileLinkDownloadsAsAttachment(t *testing.T) {
	dir := spoolDir(t)
	s := newTestServer(t)
	owner := s.admin()
	page := []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")
	link := owner.shareFile("../../notes\u202egpj.html", page)
	assertEmptyDir(t, dir)

	recipient, other := s.client(), s.client()
	if res := other.get(link); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "shared a file") || strings.Contains(res.body, "notes") {
		t.Fatalf("landing page: %d, shows the name: %v", res.StatusCode, strings.Contains(res.body, "notes"))
	}
	if res := other.get(link + "/file"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("file before the link is opened: %d", res.StatusCode)
	}
	res := recipient.openInBrowser(link)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "notesgpj.html") || !strings.Contains(res.body, `data-testid="download"`) {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
	if strings.Contains(res.body, "data-player") {
		t.Fatal("an HTML file opens in the player")
	}
	res = recipient.get(link + "/file")
	checkAttachment(t, "download", res, "notesgpj.html", page)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		if res := other.request(method, link+"/file", nil, nil); res.StatusCode != http.StatusGone || strings.Contains(res.body, "alert(document.cookie)") {
			t.Fatalf("%s from another browser: %d", method, res.StatusCode)
		}
	}
	if res := recipient.get(strings.Replace(link, "/l/", "/l/x", 1)[:len(link)] + "/file"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("forged token: %d", res.StatusCode)
	}
	message := owner.createLink(url.Values{"message": {"not a file"}})
	recipient.post(message, nil)
	if res := recipient.get(message + "/file"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("file of a message link: %d", res.StatusCode)
	}
}

// checkAttachment fails t unless res, the answer to what, is the whole of
// file, named name, as an attachment that no browser renders.
func checkAttachment(t *testing.T, what string, res response, name string, file []byte) {
	t.Helper()
	if res.StatusCode != http.StatusOK || res.body != string(file) {
		t.Fatalf("%s: %d %q", what, res.StatusCode, res.body)
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/octet-stream",
		"Content-Disposition":    `attachment; filename="` + name + `"; filename*=UTF-8''` + name,
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
		"Content-Length":         strconv.Itoa(len(file)),
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %s %q, want %q", what, k, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("%s: Content-Security-Policy %q has no sandbox", what, csp)
	}
}

// TestProgramGetsTheFileInTheOpensAnswer: a program that posts to a file
// link without its page, and may keep no cookies, gets the file itself in
// the answer, as the download serves it: the page's download would need a
// grant it cannot bring back, and the link's one use is spent. It gets no
// grant either, even when it keeps cookies: it has the file. A browser
// that posts the page's form is answered as before, and keeps the grant.
func TestProgramGetsTheFileInTheOpensAnswer(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	page := []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")
	link := owner.shareFile("notes.html", page)
	program := s.client()
	program.c.Jar = nil
	// Looking never consumes.
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		if res := program.request(method, link, nil, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("%s before the open: %d", method, res.StatusCode)
		}
	}
	if l := linkOf(t, s, link); l.Uses != 0 {
		t.Fatalf("%d uses after a GET and a HEAD", l.Uses)
	}
	// A range is a GET's: the open's one answer is the whole file.
	res := program.request(http.MethodPost, link, nil, http.Header{"Range": {"bytes=0-3"}})
	checkAttachment(t, "open by a program", res, "notes.html", page)
	checkNoGrant(t, "open by a program", res)
	if l := linkOf(t, s, link); l.Uses != 1 {
		t.Fatalf("%d uses after the open, want 1", l.Uses)
	}
	for _, path := range []string{link, link + "/file"} {
		if res := program.get(path); res.StatusCode != http.StatusGone {
			t.Fatalf("GET %s after the open: %d, want 410", path, res.StatusCode)
		}
	}

	// Media is served as the player's download serves it.
	audio := wav(1)
	res = program.post(owner.shareFile("tone.wav", audio), nil)
	if res.StatusCode != http.StatusOK || res.body != string(audio) || res.Header.Get("Content-Type") != "audio/wav" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("open of a clip by a program: %d, %s, %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"),
			res.Header.Get("Content-Disposition"), len(res.body))
	}
	checkNoGrant(t, "open of a clip by a program", res)

	// A program that keeps cookies, but posts without the page, is
	// answered alike: the file, once, and no grant to fetch it again.
	keeper := s.client()
	link = owner.shareFile("notes.html", page)
	res = keeper.post(link, nil)
	checkAttachment(t, "open by a program that keeps cookies", res, "notes.html", page)
	checkNoGrant(t, "open by a program that keeps cookies", res)
	if res := keeper.get(link + "/file"); res.StatusCode != http.StatusGone {
		t.Fatalf("GET of the file after a program's open: %d, want 410", res.StatusCode)
	}

	// A browser: the 303 back to the page, which the grant serves.
	browser := s.client()
	link = owner.shareFile("notes.html", page)
	if res := browser.openInBrowser(link); res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="download"`) {
		t.Fatalf("the page after a browser's open: %d", res.StatusCode)
	}
	if res := browser.get(link + "/file"); res.StatusCode != http.StatusOK || res.body != string(page) {
		t.Fatalf("a browser's download: %d", res.StatusCode)
	}
}

// checkNoGrant checks that res, the answer to an open, sets no grant.
func checkNoGrant(t *testing.T, what string, res response) {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == grantCookie {
			t.Errorf("%s: a grant is set: %v", what, c)
		}
	}
}

func TestFileLinkOfEveryKindOfUpload(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	big := noisy(3*token.ChunkSize + 123)
	for _, tt := range []struct {
		name string
		body []byte
	}{
		{"one byte", []byte{0}},
		{"one chunk exactly", noisy(token.ChunkSize)},
		{"several chunks", big},
		{"a name in Chinese 文件.bin", noisy(10)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			link := owner.shareFile(tt.name, tt.body)
			c := s.client()
			c.openInBrowser(link)
			res := c.get(link + "/file")
			if res.StatusCode != http.StatusOK || res.body != string(tt.body) {
				t.Fatalf("download: %d, %d bytes, want %d", res.StatusCode, len(res.body), len(tt.body))
			}
			want := "attachment; filename=\"" + strings.Map(func(r rune) rune {
				if r >= 0x7f {
					return '_'
				}
				return r
			}, tt.name) + "\"; filename*=UTF-8''" + url.PathEscape(tt.name)
			if got := res.Header.Get("Content-Disposition"); got != want {
				t.Errorf("Content-Disposition %q, want %q", got, want)
			}
		})
	}
}

func TestUploadFieldsInAnyOrder(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	parts := []formPart{filePart("first.bin", noisy(100)), field("label", "file first"), field("max_uses", "3"),
		field("ttl", "2h"), field("kind", "file")}
	res := owner.upload(parts)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("file before the fields: %d %s", res.StatusCode, res.body)
	}
	// On the dashboard, the form for the next link keeps the kind: files
	// are often shared one after another.
	ct, body := multipartBody(t, fileForm("second.bin", noisy(10)))
	next := owner.request(http.MethodPost, "/links", bytes.NewReader(body), http.Header{"Content-Type": {ct}, "Hx-Request": {"true"}})
	if next.StatusCode != http.StatusCreated || !strings.Contains(next.body, `value="file" checked`) {
		t.Errorf("the form for the next link: %d, the file kind kept: %v", next.StatusCode, strings.Contains(next.body, `value="file" checked`))
	}
	links, err := s.store.Links(context.Background(), 1, store.ListOptions{})
	if err != nil || len(links) != 2 {
		t.Fatalf("links: %v %v", links, err)
	}
	l := links[1]
	if l.Label != "file first" || l.MaxUses != 3 || l.Kind != "file" || l.Size != 100 || !l.ExpiresAt.Equal(l.CreatedAt.Add(2*time.Hour)) {
		t.Fatalf("link %+v", l)
	}
	if bytes.Contains(l.Meta, []byte("first.bin")) {
		t.Fatal("the database holds the file's name in the clear")
	}
	// The form always posts multipart; messages and addresses come that way too.
	for _, kind := range []formPart{field("message", "multipart message"), field("url", "https://example.com/x")} {
		kindName := kind.name
		res := owner.upload([]formPart{field("kind", kindName), kind, field("ttl", "1h"), filePart("ignored.bin", noisy(10))})
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("%s as multipart: %d %s", kindName, res.StatusCode, res.body)
		}
		link := s.URL + linkURLPattern.FindString(res.body)
		open := s.client().post(link, nil)
		switch kindName {
		case "message":
			if !strings.Contains(open.body, "multipart message") {
				t.Fatalf("message: %d %s", open.StatusCode, open.body)
			}
		case "url":
			if open.StatusCode != http.StatusSeeOther || open.Header.Get("Location") != "https://example.com/x" {
				t.Fatalf("url: %d %s", open.StatusCode, open.Header.Get("Location"))
			}
		}
	}
	if _, chunks := s.stored(); chunks != 4 {
		t.Fatalf("%d chunks stored, want 4: a file sent with a message is not kept", chunks)
	}
}

func TestUploadOverTheLimit(t *testing.T) {
	dir := spoolDir(t)
	s := newTestServer(t, func(c *core.Config) { c.MaxUpload = 1 << 20 })
	owner := s.admin()
	post := func(body io.Reader, contentType string) response {
		return owner.request(http.MethodPost, "/links", body, http.Header{"Content-Type": {contentType}})
	}
	ct, over := multipartBody(t, fileForm("big.bin", noisy(1<<20+1)))
	ct2, wayOver := multipartBody(t, fileForm("huge.bin", noisy(3<<20)))
	for name, send := range map[string]func() response{
		// A browser sends Content-Length: the server refuses before reading.
		"Content-Length says so": func() response { return post(bytes.NewReader(wayOver), ct2) },
		// Without it (chunked), the count of the file's bytes does.
		"one byte over, chunked": func() response { return post(struct{ io.Reader }{bytes.NewReader(over)}, ct) },
		"one byte over":          func() response { return post(bytes.NewReader(over), ct) },
		"htmx": func() response {
			return owner.request(http.MethodPost, "/links", bytes.NewReader(over), http.Header{"Content-Type": {ct}, "Hx-Request": {"true"}})
		},
	} {
		res := send()
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(res.body, "larger than 1 MiB") || !strings.Contains(res.body, "Nothing was stored") {
			t.Fatalf("%s: %d %s", name, res.StatusCode, res.body)
		}
		if !strings.Contains(res.body, `id="create"`) {
			t.Fatalf("%s: the answer has no form to try again", name)
		}
		if !strings.Contains(res.body, `value="file" checked`) || strings.Contains(res.body, `name="ttl" value=""`) {
			t.Fatalf("%s: the form lost the file kind or its time to live", name)
		}
		if links, chunks := s.stored(); links != 0 || chunks != 0 {
			t.Fatalf("%s: %d links and %d chunks stored", name, links, chunks)
		}
		assertEmptyDir(t, dir)
	}
	owner.shareFile("exactly.bin", noisy(1<<20))
}

// A file refused for what it is (empty, too large) comes back as the only
// thing to choose again: the fields sent after it are read all the same
// and kept in the form.
func TestRefusedFileKeepsTheForm(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MaxUpload = 1 << 20 })
	owner := s.admin()
	for name, file := range map[string]formPart{"empty": filePart("empty.txt", nil), "one byte over": filePart("big.bin", noisy(1<<20+1))} {
		res := owner.upload([]formPart{field("kind", "file"), file, field("ttl", "2h"), field("max_uses", "3"), field("label", "kept label")})
		if res.StatusCode/100 != 4 || !strings.Contains(res.body, `id="error-file"`) {
			t.Fatalf("%s: %d, the mistake not beside the file", name, res.StatusCode)
		}
		for _, kept := range []string{`value="kept label"`, `value="2h"`, `value="3"`, `value="file" checked`} {
			if !strings.Contains(res.body, kept) {
				t.Errorf("%s: the form lost %s", name, kept)
			}
		}
		if links, chunks := s.stored(); links != 0 || chunks != 0 {
			t.Fatalf("%s: %d links and %d chunks stored", name, links, chunks)
		}
	}
}

func TestUploadBadFieldsStoreNothing(t *testing.T) {
	dir := spoolDir(t)
	s := newTestServer(t)
	owner := s.admin()
	file := filePart("a.bin", noisy(2*token.ChunkSize))
	for _, tt := range []struct {
		name  string
		parts []formPart
		want  string
	}{
		{"bad ttl after the file", []formPart{field("kind", "file"), file, field("ttl", "forever")}, "duration"},
		{"ttl too long", []formPart{field("kind", "file"), field("ttl", "400d"), file}, "between"},
		{"no uses", []formPart{field("kind", "file"), field("ttl", "1h"), file, field("max_uses", "0")}, "from 1 to 100"},
		{"uses with a plus sign", []formPart{field("kind", "file"), field("ttl", "1h"), file, field("max_uses", "+2")}, "from 1 to 100"},
		{"uses with a point", []formPart{field("kind", "file"), field("ttl", "1h"), file, field("max_uses", "2.0")}, "from 1 to 100"},
		{"unknown account", []formPart{field("kind", "file"), field("ttl", "1h"), file, field("for_user", "nobody")}, "no account"},
		{"long label", []formPart{field("kind", "file"), field("ttl", "1h"), file, field("label", strings.Repeat("x", 101))}, "at most 100"},
		{"no file", []formPart{field("kind", "file"), field("ttl", "1h"), {name: "file"}}, "Choose the file"},
		{"empty file", []formPart{field("kind", "file"), field("ttl", "1h"), filePart("empty.txt", nil)}, "empty"},
		{"two files", []formPart{field("kind", "file"), field("ttl", "1h"), file, file}, "one file"},
		{"no kind", []formPart{field("ttl", "1h"), file}, "Choose what to share"},
		{"fields too large", []formPart{field("kind", "file"), field("ttl", "1h"), field("message", strings.Repeat("x", core.MaxFormBytes+1)), file}, "256 KiB"},
		{"too many fields", append([]formPart{field("kind", "file"), field("ttl", "1h"), file},
			slices.Repeat([]formPart{field("x", "y")}, 64)...), "more than 64 fields"},
	} {
		res := owner.upload(tt.parts)
		if res.StatusCode/100 != 4 || !strings.Contains(res.body, tt.want) {
			t.Errorf("%s: %d, want a 4xx saying %q in %s", tt.name, res.StatusCode, tt.want, res.body)
		}
		if links, chunks := s.stored(); links != 0 || chunks != 0 {
			t.Fatalf("%s: %d links and %d chunks stored", tt.name, links, chunks)
		}
		assertEmptyDir(t, dir)
	}
	res := owner.request(http.MethodPost, "/links", strings.NewReader("--x\r\nnot a part"), http.Header{"Content-Type": {"multipart/form-data; boundary=x"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("broken multipart: %d", res.StatusCode)
	}
}

// A slow upload spools, so it does not hold the database's one writer:
// links open while it is under way.
func TestSlowUploadDoesNotBlockWrites(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	link := owner.createLink(url.Values{"message": {"opened during an upload"}})
	ct, body := multipartBody(t, fileForm("slow.bin", noisy(4*token.ChunkSize)))
	type outcome struct {
		status int
		err    error
	}
	// send runs req off the test's goroutine, where t.Fatal may not be
	// called, and reports its status or its error.
	send := func(c *testClient, req *http.Request) <-chan outcome {
		ch := make(chan outcome, 1)
		go func() {
			res, err := c.c.Do(req)
			if err != nil {
				ch <- outcome{err: err}
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			ch <- outcome{status: res.StatusCode}
		}()
		return ch
	}
	pr, pw := io.Pipe()
	// However the test ends, the upload ends, so that the server can close.
	t.Cleanup(func() { pw.CloseWithError(errors.New("the test ended")) })
	// An upload the server stops reading fails in time: the transport then
	// closes pr, which ends a blocked pw.Write.
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	up, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/links", pr)
	if err != nil {
		t.Fatal(err)
	}
	up.Header.Set("Content-Type", ct)
	done := send(owner, up)
	pw.Write(body[:len(body)/2])
	open, err := http.NewRequest(http.MethodPost, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := send(s.client(), open)
	select {
	case o := <-opened:
		if o.err != nil || o.status != http.StatusOK {
			t.Fatalf("open during an upload: %d %v", o.status, o.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("opening a link waited for an upload to finish")
	}
	pw.Write(body[len(body)/2:])
	pw.Close()
	if o := <-done; o.err != nil || o.status != http.StatusCreated {
		t.Fatalf("upload: %d %v", o.status, o.err)
	}
}

func TestSharedMediaStreamsWithRange(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	audio := wav(3)
	link := owner.shareFile("tone.wav", audio)
	recipient, other := s.client(), s.client()
	res := recipient.openInBrowser(link)
	src := linkURLPattern.FindString(link) + "/file"
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `data-testid="player-audio"`) || !strings.Contains(res.body, `src="`+src+`" type="audio/wav"`) {
		t.Fatalf("open: %d %s", res.StatusCode, res.body)
	}
	if !strings.Contains(res.body, assets.Path("player.js")) {
		t.Fatal("the page does not load player.js")
	}
	size := len(audio)
	for _, tt := range []struct {
		rng        string
		status     int
		from, to   int
		contentRng string
	}{
		{"", http.StatusOK, 0, size - 1, ""},
		{"bytes=0-", http.StatusPartialContent, 0, size - 1, fmt.Sprintf("bytes 0-%d/%d", size-1, size)},
		{"bytes=100-199", http.StatusPartialContent, 100, 199, fmt.Sprintf("bytes 100-199/%d", size)},
		{fmt.Sprintf("bytes=%d-%d", token.ChunkSize-10, 2*token.ChunkSize+9), http.StatusPartialContent, token.ChunkSize - 10, 2*token.ChunkSize + 9,
			fmt.Sprintf("bytes %d-%d/%d", token.ChunkSize-10, 2*token.ChunkSize+9, size)},
		{"bytes=-500", http.StatusPartialContent, size - 500, size - 1, fmt.Sprintf("bytes %d-%d/%d", size-500, size-1, size)},
		{fmt.Sprintf("bytes=%d-", size), http.StatusRequestedRangeNotSatisfiable, 0, -1, fmt.Sprintf("bytes */%d", size)},
	} {
		h := http.Header{}
		if tt.rng != "" {
			h.Set("Range", tt.rng)
		}
		res := recipient.request(http.MethodGet, link+"/file", nil, h)
		if res.StatusCode != tt.status || res.Header.Get("Content-Range") != tt.contentRng {
			t.Fatalf("Range %q: %d %q", tt.rng, res.StatusCode, res.Header.Get("Content-Range"))
		}
		if tt.status != http.StatusRequestedRangeNotSatisfiable && res.body != string(audio[tt.from:tt.to+1]) {
			t.Fatalf("Range %q: wrong bytes", tt.rng)
		}
		if tt.status != http.StatusRequestedRangeNotSatisfiable && (res.Header.Get("Content-Type") != "audio/wav" ||
			res.Header.Get("Content-Disposition") != `inline; filename="tone.wav"; filename*=UTF-8''tone.wav` || res.Header.Get("Accept-Ranges") != "bytes") {
			t.Fatalf("Range %q: headers %v", tt.rng, res.Header)
		}
	}
	if csp := recipient.get(link + "/file").Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; media-src 'self';") {
		t.Fatalf("Content-Security-Policy of a clip: %q", csp)
	}
	if res := other.request(http.MethodGet, link+"/file", nil, http.Header{"Range": {"bytes=0-"}}); res.StatusCode != http.StatusGone {
		t.Fatalf("another browser: %d", res.StatusCode)
	}
	s.clock.Advance(11 * time.Minute)
	if res := recipient.get(link + "/file"); res.StatusCode != http.StatusGone {
		t.Fatalf("after the grant window: %d", res.StatusCode)
	}
}

func TestFileContentDeletedWhenTheLinkDies(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	ctx := context.Background()
	body := noisy(3 * token.ChunkSize)

	revoked := owner.shareFile("revoked.bin", body)
	used := owner.shareFile("used.bin", body)
	if _, chunks := s.stored(); chunks != 6 {
		t.Fatalf("%d chunks stored, want 6", chunks)
	}
	recipient := s.client()
	recipient.get(revoked)
	recipient.openInBrowser(used)
	if res := owner.post("/links/1/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if _, err := s.store.Chunk(ctx, 1, 0); !errors.Is(err, store.ErrGone) {
		t.Fatalf("revoked: its content is still there (%v)", err)
	}
	if _, chunks := s.stored(); chunks != 3 {
		t.Fatalf("%d chunks stored after the revoke, want the used link's 3", chunks)
	}
	for _, path := range []string{revoked, revoked + "/file"} {
		if res := recipient.get(path); res.StatusCode != http.StatusGone {
			t.Fatalf("revoked %s: %d", path, res.StatusCode)
		}
	}
	if res := recipient.get(used + "/file"); res.StatusCode != http.StatusOK {
		t.Fatalf("used, in the grant window: %d", res.StatusCode)
	}
	// The used link's content outlives its grant only until the sweep
	// (revoking it within the grant deletes it at once, as
	// TestRevokeEndsTheOpenersGrant shows).
	s.clock.Advance(11 * time.Minute)
	if _, err := s.store.Sweep(ctx, 10*time.Minute, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, chunks := s.stored(); chunks != 0 {
		t.Fatalf("%d chunks left after the sweep", chunks)
	}
}

// TestDownloadOutlastsTheGrant: a download that began within the grant
// window keeps the content from the sweep while it reads, and finishes
// after the window; the content goes once nothing reads it.
func TestDownloadOutlastsTheGrant(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	ctx := context.Background()
	body := noisy(4 * token.ChunkSize)
	url := owner.shareFile("slow.bin", body)
	_, tok, _ := strings.Cut(url, "/l/")
	turn, err := s.h.core.TakeTurn(ctx, core.OpenAction, core.Client{IP: "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.h.core.Open(ctx, turn, tok, "", core.Recipient{Client: core.Client{IP: "192.0.2.7"}})
	if err != nil || o.File == nil {
		t.Fatalf("open: %+v, %v", o, err)
	}
	grant := 10 * time.Minute
	sweep := func() {
		t.Helper()
		if _, err := s.store.Sweep(ctx, grant, 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	r := s.h.core.FileContent(ctx, o.File)
	got := make([]byte, len(body))
	read := func(from, to int) {
		t.Helper()
		if _, err := io.ReadFull(r, got[from:to]); err != nil {
			t.Fatalf("read bytes %d to %d: %v", from, to, err)
		}
	}
	read(0, token.ChunkSize)
	s.clock.Advance(grant - 30*time.Second)
	read(token.ChunkSize, 2*token.ChunkSize)
	s.clock.Advance(time.Minute) // past the window
	sweep()
	read(2*token.ChunkSize, 3*token.ChunkSize)
	s.clock.Advance(time.Minute)
	sweep()
	read(3*token.ChunkSize, len(body))
	if !bytes.Equal(got, body) {
		t.Fatal("the download changed the file")
	}
	s.clock.Advance(3 * time.Minute)
	sweep()
	if _, chunks := s.stored(); chunks != 0 {
		t.Fatalf("%d chunks left once nothing read them", chunks)
	}
}

// A limit that is not a whole number of MiB reads the same, exactly, in
// the form, in the browser's check and in the refusal, its digits grouped.
func TestUploadLimitReadsTheSameEverywhere(t *testing.T) {
	s := newTestServer(t, func(c *core.Config) { c.MaxUpload = 1500 << 10 })
	owner := s.admin()
	page := owner.get("/links").body
	for _, want := range []string{"Up to 1,500 KiB.", "This file is larger than 1,500 KiB, the most this server accepts."} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	ct, over := multipartBody(t, fileForm("big.bin", noisy(1500<<10+1)))
	res := owner.request(http.MethodPost, "/links", bytes.NewReader(over), http.Header{"Content-Type": {ct}})
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(res.body, "larger than 1,500 KiB") {
		t.Errorf("over the limit: %d, the page does not name 1,500 KiB", res.StatusCode)
	}
}

// A server that cannot keep an upload (here: no place to spool it) says it
// failed, and logs why; it does not blame the form.
func TestUploadSpoolFailureIsTheServers(t *testing.T) {
	s := newTestServer(t)
	owner := s.admin()
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	res := owner.upload(fileForm("a.bin", noisy(1000)))
	if res.StatusCode != http.StatusInternalServerError || strings.Contains(res.body, "could not be read") {
		t.Fatalf("upload with nowhere to spool: %d %s", res.StatusCode, res.body)
	}
	if !strings.Contains(s.logs.String(), "spool upload") {
		t.Errorf("the failure was not logged:\n%s", s.logs)
	}
	if links, chunks := s.stored(); links != 0 || chunks != 0 {
		t.Errorf("%d links and %d chunks stored", links, chunks)
	}
}

// TestRefusedFileLeadsToItsLink: a file asked for by a browser that has not
// opened its link says to open the link first, and leads to the link's
// page, which opens it, rather than leaving the reader there; once the
// link is used, its file is gone as its page is, with no such way.
func TestRefusedFileLeadsToItsLink(t *testing.T) {
	s := newTestServer(t)
	link := s.admin().shareFile("notes.txt", []byte("the notes"))
	other := s.client()
	res := other.get(link + "/file")
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("the file before the link is opened: %d", res.StatusCode)
	}
	doc := parseHTML(t, res.body)
	if got, want := textOf(first(t, doc, "the refusal", byTestID("error-message"))), core.ErrNotOpened.Message(i18n.For("en")); got != want {
		t.Errorf("the refusal says %q, want %q", got, want)
	}
	if got := attr(first(t, doc, "the way to the link", byTestID("link-page")), "href"); got != linkPath(link) {
		t.Errorf("the refusal leads to %q, want the link's page %q", got, linkPath(link))
	}
	s.client().openInBrowser(link)
	if res := other.get(link + "/file"); res.StatusCode != http.StatusGone || hasTestID(t, res.body, "link-page") {
		t.Errorf("the file of a used link: %d, leads to its page: %v", res.StatusCode, hasTestID(t, res.body, "link-page"))
	}
}
