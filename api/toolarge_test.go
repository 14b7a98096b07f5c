package api

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"oncelink/core"
)

// sendWhole sends a POST of body to path on a connection of its own, all
// of it before it reads the answer, as a browser sends a form: chunked
// when chunked, else with its Content-Length. It returns the answer and
// its body, or the error that met the client on the way: a connection
// reset, or no answer.
func (s *testServer) sendWhole(path string, header http.Header, body []byte, chunked bool) (*http.Response, string, error) {
	s.t.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header = header
	if chunked {
		req.ContentLength = -1
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	if err := req.Write(conn); err != nil {
		return nil, "", fmt.Errorf("sending the request: %w", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, "", fmt.Errorf("reading the answer: %w", err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b), err
}

// fileForm is a create form, as multipart/form-data, that shares a file
// of n bytes, and its Content-Type.
func fileForm(n int) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("kind", core.KindFile)
	mw.WriteField("ttl", "1h")
	part, _ := mw.CreateFormFile("file", "large.bin")
	part.Write(bytes.Repeat([]byte{0, 1, 2, 3}, n/4))
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// TestTooLargeUploadIsAnsweredToAClientThatSendsItAll: a file over the
// server's limit, sent by a client that sends its whole request before it
// reads the answer (as browsers send a form), gets the refusal with why,
// not a reset connection: on the pages and in the API, with the form's
// length said (refused before a byte of it is read) or chunked (refused
// on the way), up to four times the largest form the server takes. A client that waits for "100 Continue" before it sends its
// body is answered at once, and sends none.
func TestTooLargeUploadIsAnsweredToAClientThatSendsItAll(t *testing.T) {
	s := newTestServer(t, nil, func(c *core.Config) { c.MaxUpload, c.MaxE2EUpload = 4<<20, 4<<20 })
	key := s.account("ada").key
	// The pages' door needs a browser's session.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := browser.PostForm(s.URL+"/login", url.Values{"username": {"ada"}, "password": {testPassword}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", res, err)
	}
	res.Body.Close()
	u, _ := url.Parse(s.URL)
	var cookies []string
	for _, c := range jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	body, contentType := fileForm(16 << 20)
	for _, door := range []struct {
		path   string
		header http.Header
		want   string // in the answer
	}{
		{"/links", http.Header{"Cookie": {strings.Join(cookies, "; ")}}, `id="error-file"`},
		{"/api/v1/links", http.Header{"Authorization": {"Bearer " + key}}, `"code":"file_too_large"`},
	} {
		door.header.Set("Content-Type", contentType)
		for _, chunked := range []bool{false, true} {
			res, said, err := s.sendWhole(door.path, door.header, body, chunked)
			if err != nil {
				t.Fatalf("%s, chunked %v: %v", door.path, chunked, err)
			}
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(said, door.want) {
				t.Fatalf("%s, chunked %v: %d %.300s", door.path, chunked, res.StatusCode, said)
			}
		}
	}
	// Asked first, the server refuses at once, and asks for nothing.
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /api/v1/links HTTP/1.1\r\nHost: " + s.Listener.Addr().String() + "\r\nAuthorization: Bearer " + key +
		"\r\nContent-Type: " + contentType + "\r\nExpect: 100-continue\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	start := time.Now()
	conn.SetDeadline(start.Add(5 * time.Second))
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	res, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != http.StatusRequestEntityTooLarge || time.Since(start) > 2*time.Second {
		t.Fatalf("asked first: %v %v after %s", res, err, time.Since(start))
	}
}
