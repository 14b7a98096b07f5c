//go:build unix

package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"oncelink/core"
)

// TestUploadsLeftByAKilledServerAreSwept kills the server in the middle of
// an upload, whose spool it leaves behind, and starts it again: the spool
// is deleted and counted in the log, while a spool that another server is
// writing (locked) and files of other names are left alone.
func TestUploadsLeftByAKilledServerAreSwept(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	db := filepath.Join(t.TempDir(), "oncelink.db")
	srv := startServer(t, db)
	owner := signUp(t, srv)

	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("kind", "file")
	mw.WriteField("ttl", "1h")
	part, err := mw.CreateFormFile("file", "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	part.Write([]byte(rand.Text()))
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(io.ErrClosedPipe) })
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/links", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	go func() {
		if res, err := owner.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	pw.Write(head.Bytes())
	pw.Write(make([]byte, 256<<10))
	spools := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, core.UploadPrefix+"*"))
		return m
	}
	for start := time.Now(); len(spools()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the upload made no spool")
		}
	}
	left := spools()[0]

	// Another server's spool, which it holds locked while it writes it.
	held, err := os.Create(filepath.Join(dir, core.UploadPrefix+"held"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "another-program.tmp")
	if err := os.WriteFile(other, []byte("not ours"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv.kill()
	if _, err := os.Stat(left); err != nil {
		t.Fatalf("the killed server's spool: %v", err)
	}
	again := startServer(t, db)
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the killed server's spool is still there: %v", err)
	}
	for _, keep := range []string{held.Name(), other} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was deleted: %v", filepath.Base(keep), err)
		}
	}
	if !strings.Contains(again.logs.String(), "deleted uploads left behind") || !strings.Contains(again.logs.String(), "deleted=1") {
		t.Errorf("the restarted server does not log one upload deleted:\n%s", again.logs)
	}
}
