package core

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"oncelink/sniff"
	"oncelink/token"
)

// Limits on a create form sent as multipart/form-data.
const (
	// maxFormParts bounds the fields of one form; the create form has nine.
	maxFormParts = 64
	// maxFileNameBytes bounds a shared file's name as it is kept and sent.
	maxFileNameBytes = 200
	// maxPartHeaderBytes bounds what is read to find a part and its
	// headers, which mime/multipart keeps in memory up to 10 MiB a part: a
	// browser's are a few hundred bytes, and a file's content, which can
	// be large, is spooled to disk, not held.
	maxPartHeaderBytes = 64 << 10
)

// MaxFormBytes bounds a form's fields, all together: the largest is a
// message, which percent-encoding can triple, and the others are short.
// A file may add up to the server's MaxUpload.
const MaxFormBytes = 4 * MaxMessageBytes

// UploadPrefix starts the name of every upload's temporary file.
const UploadPrefix = "oncelink-upload-"

// Draft is a link being made: its token, and the file of a file link,
// sealed under that token as it arrives. Make one with NewDraft, give it to
// Create, and Close it once the request is answered: nothing of an upload
// outlives it.
type Draft struct {
	s    *Service
	tok  token.Token
	file *upload
	// uploader is the client whose upload slot the draft holds, if any.
	uploader *string
	// e2e is set once the form said its file is end-to-end ciphertext,
	// e2eInvalid when it said something else than on or off (see SetE2E).
	e2e, e2eInvalid bool
	// otherFile is set once the form carried a file after choosing
	// another kind, which was not kept.
	otherFile bool
}

// StrayContent refuses content that a link of in's kind does not share: a
// message sent with a URL link, or a file the form d read carried with a
// message or URL link, would not be kept, and the program that sent it
// meant something the link would not do. The JSON API asks it; the web
// form sends every field, and shares the chosen kind's. A kind the core
// does not know is left to Create to refuse.
func (d *Draft) StrayContent(in LinkInput) error {
	kind := cmp.Or(in.Kind, KindMessage)
	if kind != KindMessage && kind != KindURL && kind != KindFile {
		return nil
	}
	stray := func(field string) error {
		return Refusal(Invalid, "not_for_kind", field, "did_not_work", "Field", field, "Kind", kind)
	}
	for _, f := range []struct{ name, value string }{{"message", in.Message}, {"url", in.URL}} {
		if f.value != "" && f.name != kind {
			return stray(f.name)
		}
	}
	if d.strayFile(kind) {
		return stray("file")
	}
	return nil
}

// strayFile reports whether the form carried a file that a link of kind
// (message or url) does not share, kept or not. An end-to-end link's
// ciphertext, which comes as a file whatever the kind, is none.
func (d *Draft) strayFile(kind string) bool {
	kind = strings.TrimSpace(kind)
	if kind != KindMessage && kind != KindURL || d.e2e || d.e2eInvalid {
		return false
	}
	return d.otherFile || d.file != nil
}

// NewDraft starts a link.
func (s *Service) NewDraft() *Draft { return &Draft{s: s, tok: token.New(s.tags)} }

// Close deletes the draft's upload, if any, and gives its upload slot
// back. It does nothing on nil.
func (d *Draft) Close() {
	if d != nil {
		d.file.Close()
		d.file = nil
		if d.uploader != nil {
			d.s.uploads.release(*d.uploader)
			d.uploader = nil
		}
	}
}

// uploads counts each client's uploads under way, to hold each client to
// MaxUploadsPerClient: every upload holds a connection, an open spool and,
// on a slow link, both for minutes.
type uploads struct {
	mu sync.Mutex
	n  map[string]int
}

// take takes one of client's upload slots, and reports false when it has
// none left.
func (u *uploads) take(client string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[client] >= MaxUploadsPerClient {
		return false
	}
	if u.n == nil {
		u.n = map[string]int{}
	}
	u.n[client]++
	return true
}

func (u *uploads) release(client string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[client]--; u.n[client] <= 0 {
		delete(u.n, client)
	}
}

// errTooManyUploads refuses an upload beyond MaxUploadsPerClient.
var errTooManyUploads = func() *Error {
	e := Refusal(Limited, "too_many_uploads", "file", "too_many_uploads", "Count", MaxUploadsPerClient)
	e.RetryAfter = 5 * time.Second
	return e
}()

// UploadsHeldBack reports whether err holds an upload back because of
// the client's uploads under way (MaxUploadsPerClient), until one of them
// has finished, rather than because of too many attempts.
func UploadsHeldBack(err error) bool {
	e, ok := AsError(err)
	return ok && e.Code == errTooManyUploads.Code
}

// ReadMultipart reads a create form sent as multipart/form-data by client c
// from body, whose boundary is given, and returns its fields; on an error,
// the fields read before it, which refill the form. A file refused for
// what it is (empty, too large) stops nothing: the fields after it are
// read too, and the refusal comes at the end. The file part is
// sealed into d as it arrives; a file left in a form of another kind is
// not kept. Every field but the file shares MaxFormBytes; the file may add
// up to the server's MaxUpload. Before reading anything it takes one of
// c's MaxUploadsPerClient upload slots, which d holds until it is closed.
// A body that stops arriving in time (see UploadTime) is ErrTooSlow.
//
// Neither memory nor the database's one writer waits on the network: the
// file is sealed chunk by chunk and spooled, sealed, to a temporary file,
// and the link is written in one short transaction once the whole form is
// in and checked, whichever order its fields came in.
func (d *Draft) ReadMultipart(body io.Reader, boundary string, contentLength int64, c Client) (url.Values, error) {
	limit := d.s.LargestForm()
	if contentLength > limit {
		// Refused unread: only a file makes a form this large, so the form
		// comes back with the file kind chosen.
		return url.Values{"kind": {KindFile}}, d.s.uploadTooLarge()
	}
	if d.uploader == nil {
		key := c.key()
		if !d.s.uploads.take(key) {
			return url.Values{"kind": {KindFile}}, errTooManyUploads
		}
		d.uploader = &key
	}
	lr := &io.LimitedReader{R: body, N: limit + 1}
	headers := &partHeaders{r: lr, left: -1}
	mr := multipart.NewReader(headers, boundary)
	form := url.Values{}
	// formErr ends the reading: the client's mistakes as the user's, the
	// server's own (its spool) as they are, for the adapter to log.
	formErr := func(err error) (url.Values, error) {
		d.file.Close()
		d.file = nil
		var se *spoolError
		switch {
		case lr.N <= 0:
			return form, d.s.uploadTooLarge()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return form, ErrTooSlow
		case errors.As(err, new(*Error)), errors.As(err, &se):
			return form, err
		}
		return form, ErrUnreadableForm
	}
	var (
		fieldBytes int64
		refused    *Error // the file, when it is refused
	)
	for parts := 0; ; parts++ {
		headers.left = maxPartHeaderBytes
		p, err := mr.NextPart()
		headers.left = -1
		// Only the closing boundary ends a form, with io.EOF itself:
		// NextPart wraps the io.EOF of a body that ends before it, such
		// as one that is not multipart at all.
		if err == io.EOF && refused != nil {
			return form, refused
		}
		if err == io.EOF {
			return form, nil
		}
		if err != nil {
			return formErr(err)
		}
		if parts == maxFormParts {
			return formErr(invalid("too_many_fields", "", "Count", maxFormParts))
		}
		name := p.FormName()
		switch {
		case name == "file" && p.FileName() != "":
			// A file in a form of another kind is not kept, nor one after
			// a file refused.
			kind := strings.TrimSpace(form.Get("kind"))
			if refused != nil || kind != "" && kind != KindFile && !d.e2e {
				if _, err := io.Copy(io.Discard, p); err != nil {
					return formErr(err)
				}
				d.otherFile = d.otherFile || refused == nil
				continue
			}
			err := d.ReceiveFile(p.FileName(), p)
			if e, ok := refusedFile(err); ok {
				// Refused for what it is: the rest of the form is read all
				// the same, so that it comes back as it was typed, all but
				// the file.
				if _, err := io.Copy(io.Discard, p); err != nil {
					return formErr(err)
				}
				refused = e
				continue
			}
			if err != nil {
				return formErr(err)
			}
		case name != "":
			v, err := io.ReadAll(io.LimitReader(p, MaxFormBytes-fieldBytes+1))
			if err != nil {
				return formErr(err)
			}
			if fieldBytes += int64(len(v)); fieldBytes > MaxFormBytes {
				return formErr(Refusal(TooLarge, "form_too_large", "", "too_large", "Size", Size(MaxFormBytes)))
			}
			form.Add(name, string(v))
			if name == "e2e" {
				d.SetE2E(string(v))
			}
		default:
			// A part without a name is skipped here, not by the next
			// NextPart, whose reading is bounded as a part's headers.
			if _, err := io.Copy(io.Discard, p); err != nil {
				return formErr(err)
			}
		}
	}
}

// errPartHeaders is a part whose headers, or the preamble before the first
// part, run past maxPartHeaderBytes.
var errPartHeaders = errors.New("multipart: a part's headers are too large")

// partHeaders reads a multipart body for ReadMultipart, and bounds what is
// read while left is not negative, as it is while NextPart looks for a part
// and reads its headers: past left bytes, a read fails with
// errPartHeaders, and the form is refused as unreadable.
type partHeaders struct {
	r    io.Reader
	left int64
}

func (h *partHeaders) Read(b []byte) (int, error) {
	if h.left < 0 {
		return h.r.Read(b)
	}
	if h.left == 0 {
		return 0, errPartHeaders
	}
	if int64(len(b)) > h.left {
		b = b[:h.left]
	}
	n, err := h.r.Read(b)
	h.left -= int64(n)
	return n, err
}

// refusedFile returns err's *Error when it refuses a file for what it is,
// empty or too large, rather than the form that carries it.
func refusedFile(err error) (*Error, bool) {
	e, ok := AsError(err)
	return e, ok && (e == ErrFileEmpty || e.Code == "file_too_large")
}

// ErrUnreadableForm is a form body that could not be read.
var ErrUnreadableForm = Variant(Invalid, "unreadable_form", "form", "", "did_not_work")

func (s *Service) uploadTooLarge() *Error { return FileTooLarge(s.cfg.MaxUpload, false) }

// upload is a file received for a link: its name, its type sniffed from
// its first bytes, its size, and its content sealed in chunks in a
// temporary file.
type upload struct {
	name, contentType string
	size              int64
	chunks            int
	overhead          int // what sealing adds to each chunk
	// e2e is whether it was received as an end-to-end link's ciphertext,
	// under that limit and unsniffed: the form said so before it.
	e2e   bool
	spool *os.File
	log   *slog.Logger
}

// spoolError is the server's failure to keep an upload, such as a full
// disk, as opposed to a client's broken or short body.
type spoolError struct{ err error }

func (e *spoolError) Error() string { return "spool upload: " + e.err.Error() }
func (e *spoolError) Unwrap() error { return e.err }

// ReceiveFile seals the file called name from r into d, one
// token.ChunkSize chunk at a time, into a new spool file. Memory holds one
// chunk, whatever the size.
func (d *Draft) ReceiveFile(name string, r io.Reader) error {
	if d.file != nil {
		return invalid("too_many_files", "file")
	}
	spool, err := os.CreateTemp("", UploadPrefix+"*")
	if err != nil {
		return &spoolError{err}
	}
	// Where the filesystem cannot lock, the spool goes unlocked: only a
	// sweep by another server starting at this very moment could then
	// take it.
	lockSpool(spool)
	box := d.tok.Box()
	max := d.s.cfg.MaxUpload
	if d.e2e {
		// Ciphertext: nothing to sniff, and its name tells nothing.
		max, name = d.s.cfg.MaxE2EUpload, e2eFileName
	}
	up := &upload{name: cleanFileName(name), overhead: box.Overhead(), e2e: d.e2e, spool: spool, log: d.s.log}
	in := bufio.NewReader(io.LimitReader(r, max+1))
	buf := make([]byte, token.ChunkSize)
	for last := false; !last; up.chunks++ {
		n, err := io.ReadFull(in, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			up.Close()
			return err
		}
		if up.size += int64(n); up.size > max {
			up.Close()
			if d.e2e {
				return d.s.e2eTooLarge()
			}
			return d.s.uploadTooLarge()
		}
		if _, err := in.Peek(1); errors.Is(err, io.EOF) {
			last = true
		} else if err != nil {
			up.Close()
			return err
		}
		if up.chunks == 0 && !d.e2e {
			up.contentType = sniff.Type(buf[:n])
		} else if d.e2e {
			up.contentType = e2eType
		}
		if _, err := spool.Write(box.Seal(token.Content, uint64(up.chunks), last, buf[:n])); err != nil {
			up.Close()
			return &spoolError{err}
		}
	}
	if up.size == 0 {
		up.Close()
		return ErrFileEmpty
	}
	d.file = up
	return nil
}

// fill hands the sealed chunks to put in order, reading them back from
// the spool one at a time.
func (u *upload) fill(put func([]byte) error) error {
	if _, err := u.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	overhead := int64(u.overhead)
	buf := make([]byte, token.ChunkSize+overhead)
	left := u.size
	for range u.chunks {
		n := min(left, token.ChunkSize)
		left -= n
		chunk := buf[:n+overhead]
		if _, err := io.ReadFull(u.spool, chunk); err != nil {
			return fmt.Errorf("read upload spool: %w", err)
		}
		if err := put(chunk); err != nil {
			return err
		}
	}
	return nil
}

// Close deletes the spool, and logs when it cannot: the sealed file would
// stay in the temporary directory. It does nothing on a nil upload.
func (u *upload) Close() {
	if u == nil {
		return
	}
	u.spool.Close()
	if err := os.Remove(u.spool.Name()); err != nil {
		u.log.Error("delete an upload's temporary file", "err", err)
	}
}

// SweepUploads deletes the upload spools in dir that no server is writing:
// those left by one that was killed, or whose shutdown gave up on its
// requests. A spool in use is locked by the server writing it (see
// lockSpool); one modified since before, when this server started, is
// left alone too. It returns how many it deleted.
func SweepUploads(dir string, before time.Time) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	deleted := 0
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), UploadPrefix) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(before) {
			continue // gone meanwhile, or new
		}
		path := filepath.Join(dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			continue // gone meanwhile, or another user's
		}
		if spoolFree(f) {
			if err := os.Remove(path); err == nil {
				deleted++
			} else if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		f.Close()
	}
	return deleted, errors.Join(errs...)
}

// multipartEscapes undoes what browsers escape in a multipart file name.
var multipartEscapes = strings.NewReplacer("%22", `"`, "%0D", "", "%0A", "")

// The zero-width non-joiner and joiner, which Persian words and emoji
// sequences are written with.
const zwnj, zwj = '\u200c', '\u200d'

// cleanFileName makes a browser's file name safe to keep and to send back:
// its last path element, without control, format or bidirectional
// characters (which can disguise an extension) but for the joiners that
// words and emoji are spelt with, without the trailing dots and spaces that
// some systems drop, and at most maxFileNameBytes long, keeping a short
// extension. A quote comes back from the %22 that browsers send it as (the
// HTML standard's rule for a multipart file name, which Go's clients
// follow too), and line breaks, sent as %0D and %0A, are dropped.
func cleanFileName(name string) string {
	name = multipartEscapes.Replace(strings.ToValidUTF8(name, ""))
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r != zwnj && r != zwj && unicode.In(r, unicode.Cc, unicode.Cf, unicode.Bidi_Control) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimRight(name, ". "), " ")
	if name == "" {
		return "file"
	}
	if len(name) > maxFileNameBytes {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		base := name[:maxFileNameBytes-len(ext)]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		name = base + ext
	}
	return name
}
