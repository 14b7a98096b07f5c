package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"oncelink/components"
	"oncelink/store"
	"oncelink/token"
)

// DefaultMaxUpload is the largest file a link shares when Config.MaxUpload
// is not set.
const DefaultMaxUpload = 25 << 20

// Limits on a create form sent as multipart/form-data.
const (
	// maxFormParts bounds the fields of one form; the create form has nine.
	maxFormParts = 64
	// maxFileNameBytes bounds a shared file's name as it is kept and sent.
	maxFileNameBytes = 200
)

// readLinkForm reads a create form, urlencoded or multipart, and returns
// its fields and, when it carries one, the file; on an error, the fields
// read before it. Every field but the file
// shares parseForm's bound, maxFormBytes; the file may add up to MaxUpload.
// These are the only limits on a create request's body.
//
// A file is sealed under tok chunk by chunk as it arrives and spooled, so
// sealed, to a temporary file. Neither memory nor the database's one writer
// waits on the network: the link is written in one short transaction after
// the whole form is in and checked, whichever order its fields came in.
// On an error nothing is kept.
func (h *Handler) readLinkForm(w http.ResponseWriter, r *http.Request, tok token.Token) (url.Values, *upload, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		if err := parseForm(w, r); err != nil {
			return nil, nil, err
		}
		return r.PostForm, nil, nil
	}
	limit := h.cfg.MaxUpload + maxFormBytes
	if r.ContentLength > limit {
		// Refused unread: only a file makes a form this large, so the
		// form comes back with the file kind chosen.
		return url.Values{"kind": {store.KindFile}}, nil, h.uploadTooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, errUnreadableForm
	}
	form := url.Values{}
	var up *upload
	// formErr ends the reading: the client's mistakes as the user's, the
	// server's own (its spool) as they are, for fail to log as a 500.
	formErr := func(err error) (url.Values, *upload, error) {
		up.Close()
		var tooBig *http.MaxBytesError
		var ue *userError
		var se *spoolError
		switch {
		case errors.As(err, &tooBig):
			return form, nil, h.uploadTooLarge()
		case errors.As(err, &ue), errors.As(err, &se):
			return form, nil, err
		}
		return form, nil, errUnreadableForm
	}
	var fieldBytes int64
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, up, nil
		}
		if err != nil {
			return formErr(err)
		}
		if parts == maxFormParts {
			return formErr(invalid("That form has more than %d fields.", maxFormParts))
		}
		name := p.FormName()
		switch {
		case name == "file" && p.FileName() != "":
			if up != nil {
				return formErr(invalid("Share one file at a time."))
			}
			if kind := strings.TrimSpace(form.Get("kind")); kind != "" && kind != store.KindFile {
				// A file left in the form of another kind is not kept.
				if _, err := io.Copy(io.Discard, p); err != nil {
					return formErr(err)
				}
				continue
			}
			if up, err = h.receive(p, tok); err != nil {
				return formErr(err)
			}
		case name != "":
			v, err := io.ReadAll(io.LimitReader(p, maxFormBytes-fieldBytes+1))
			if err != nil {
				return formErr(err)
			}
			if fieldBytes += int64(len(v)); fieldBytes > maxFormBytes {
				return formErr(&userError{status: http.StatusRequestEntityTooLarge, title: "Too large",
					msg: fmt.Sprintf("The form's fields are larger than the %s this server accepts. Nothing was stored.", components.LimitSize(maxFormBytes))})
			}
			form.Add(name, string(v))
		}
	}
}

func (h *Handler) uploadTooLarge() error {
	return &userError{status: http.StatusRequestEntityTooLarge, title: "Too large",
		msg: fmt.Sprintf("That file is larger than %s, the most this server accepts. Nothing was stored.", components.LimitSize(h.cfg.MaxUpload))}
}

// upload is a file received with a create form: its name, its type sniffed
// from its first bytes, its size, and its content sealed in chunks in a
// temporary file.
type upload struct {
	name, contentType string
	size              int64
	chunks            int
	overhead          int // what sealing adds to each chunk
	spool             *os.File
	log               *slog.Logger
}

// spoolError is the server's failure to keep an upload, such as a full
// disk, as opposed to a client's broken or short body.
type spoolError struct{ err error }

func (e *spoolError) Error() string { return "spool upload: " + e.err.Error() }
func (e *spoolError) Unwrap() error { return e.err }

// receive seals the file part p under tok, one token.ChunkSize chunk at a
// time, into a new spool file. Memory holds one chunk, whatever the size.
func (h *Handler) receive(p *multipart.Part, tok token.Token) (*upload, error) {
	spool, err := os.CreateTemp("", "oncelink-upload-*")
	if err != nil {
		return nil, &spoolError{err}
	}
	box := tok.Box()
	up := &upload{name: cleanFileName(p.FileName()), overhead: box.Overhead(), spool: spool, log: h.log}
	in := bufio.NewReader(io.LimitReader(p, h.cfg.MaxUpload+1))
	buf := make([]byte, token.ChunkSize)
	for last := false; !last; up.chunks++ {
		n, err := io.ReadFull(in, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			up.Close()
			return nil, err
		}
		if up.size += int64(n); up.size > h.cfg.MaxUpload {
			up.Close()
			return nil, h.uploadTooLarge()
		}
		if _, err := in.Peek(1); errors.Is(err, io.EOF) {
			last = true
		} else if err != nil {
			up.Close()
			return nil, err
		}
		if up.chunks == 0 {
			up.contentType = sniffType(buf[:n])
		}
		if _, err := spool.Write(box.Seal(token.Content, uint64(up.chunks), last, buf[:n])); err != nil {
			up.Close()
			return nil, &spoolError{err}
		}
	}
	if up.size == 0 {
		up.Close()
		return nil, invalid("That file is empty. Choose a file with something in it.")
	}
	return up, nil
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

// fileMeta is a file link's name and type, sealed into links.meta so that
// the database does not reveal them.
type fileMeta struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func sealMeta(tok token.Token, m fileMeta) []byte {
	b, _ := json.Marshal(m)
	return tok.Box().Seal(token.Meta, 0, true, b)
}

func openMeta(tok token.Token, l store.Link) (fileMeta, error) {
	var m fileMeta
	b, err := tok.Box().Open(token.Meta, 0, true, l.Meta)
	if err != nil {
		return m, fmt.Errorf("open file metadata of link %d: %w", l.ID, err)
	}
	return m, json.Unmarshal(b, &m)
}

// cleanFileName makes a browser's file name safe to keep and to send back:
// its last path element, without control, format or bidirectional
// characters (which can disguise an extension), without the trailing dots
// and spaces that some systems drop, and at most maxFileNameBytes long,
// keeping a short extension.
func cleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Bidi_Control) {
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

// contentDisposition is a Content-Disposition header for name (RFC 6266):
// a plain ASCII filename for old clients and the exact one as UTF-8 in
// filename*.
func contentDisposition(disposition, name string) string {
	var ascii, exact strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			exact.WriteByte(b)
		} else {
			fmt.Fprintf(&exact, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, disposition, ascii.String(), exact.String())
}

// fileURL is where the browser that opened a file link gets the file. The
// grant cookie's path, /l/TOKEN, covers it.
func fileURL(tok token.Token) string { return "/l/" + tok.String() + "/file" }

// deliverFile shows an opened file link: the player for audio and video,
// and the file's name, size and a download button for everything.
func (h *Handler) deliverFile(w http.ResponseWriter, r *http.Request, tok token.Token, l store.Link) {
	if !l.ContentDeletedAt.IsZero() {
		h.fail(w, r, gone(l.Status(h.now())))
		return
	}
	m, err := openMeta(tok, l)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := &components.SharedFile{Name: m.Name, Type: m.Type, Size: l.Size, URL: fileURL(tok)}
	var scripts []string
	if kind := mediaKind(m.Type); kind != "" {
		f.Media = &components.Media{Kind: kind, Src: f.URL, Type: m.Type, Title: m.Name, Artist: "Shared by " + l.OwnerName}
		scripts = append(scripts, "player.js")
	}
	v := h.delivered(l)
	v.File = f
	h.render(w, r, http.StatusOK, components.DeliveredPage(h.page(r, "Shared with you", scripts...), v))
}

// linkFile serves an opened file link's file, with HTTP Range, to the
// browser that holds the link's grant; any other answers 403 while the link
// can still be opened and 410 once it cannot. Audio and video are served
// inline with their sniffed type, so that the player can stream and seek;
// everything else is an attachment of type application/octet-stream, so
// that no browser renders it, as HTML or otherwise.
func (h *Handler) linkFile(w http.ResponseWriter, r *http.Request) {
	tok, l, err := h.lookup(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if l.Kind != store.KindFile {
		h.fail(w, r, errNotFound)
		return
	}
	if !h.granted(r, l) {
		if st := l.Status(h.now()); st != store.Active {
			h.fail(w, r, gone(st))
			return
		}
		h.fail(w, r, &userError{status: http.StatusForbidden, title: "Open the link first",
			msg: "This file is sent only to the browser that opened its link. Open the link, then download the file from there."})
		return
	}
	if !l.ContentDeletedAt.IsZero() {
		h.fail(w, r, gone(l.Status(h.now())))
		return
	}
	m, err := openMeta(tok, l)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Opened on its own, a file is a document that may run nothing: a clip
	// plays in the browser's media page, which needs its own origin to
	// fetch the clip; anything else is also sandboxed.
	hd := w.Header()
	if mediaKind(m.Type) != "" {
		hd.Set("Content-Type", m.Type)
		hd.Set("Content-Disposition", contentDisposition("inline", m.Name))
		hd.Set("Content-Security-Policy", "default-src 'none'; media-src 'self'; img-src 'self'; frame-ancestors 'none'")
	} else {
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Content-Disposition", contentDisposition("attachment", m.Name))
		hd.Set("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
	}
	f := &sealedFile{ctx: r.Context(), store: h.store, id: l.ID, box: tok.Box(), size: l.Size, seq: -1}
	http.ServeContent(w, r, "", l.CreatedAt, f)
}

// sealedFile reads a file link's content for http.ServeContent, which
// answers Range requests with it. It opens one sealed chunk at a time, and
// only the chunks that a read reaches, so a request for a range costs the
// chunks the range covers and memory holds one chunk.
type sealedFile struct {
	ctx   context.Context
	store Store
	id    int64
	box   token.Box
	size  int64
	off   int64
	seq   int // the chunk in plain, or -1
	plain []byte
}

func (f *sealedFile) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	seq := int(f.off / token.ChunkSize)
	if seq != f.seq {
		sealed, err := f.store.Chunk(f.ctx, f.id, seq)
		if err != nil {
			return 0, err
		}
		start := int64(seq) * token.ChunkSize
		last := start+token.ChunkSize >= f.size
		plain, err := f.box.Open(token.Content, uint64(seq), last, sealed)
		if err != nil {
			return 0, fmt.Errorf("open chunk %d of link %d: %w", seq, f.id, err)
		}
		if int64(len(plain)) != min(token.ChunkSize, f.size-start) {
			return 0, fmt.Errorf("chunk %d of link %d has %d bytes", seq, f.id, len(plain))
		}
		f.seq, f.plain = seq, plain
	}
	n := copy(p, f.plain[f.off-int64(seq)*token.ChunkSize:])
	f.off += int64(n)
	return n, nil
}

func (f *sealedFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	}
	if offset < 0 {
		return 0, errors.New("seek before the start of the file")
	}
	f.off = offset
	return offset, nil
}
