package handlers

import (
	"net/http"

	"oncelink/core"
	"oncelink/web"
)

// fileURL is where the browser that opened a file link gets the file. The
// grant cookie's path, /l/TOKEN, covers it.
func fileURL(tok string) string { return "/l/" + tok + "/file" }

// linkFile serves an opened file link's file, with HTTP Range, to the
// browser that holds the link's grant; any other answers 403 while the link
// can still be opened and 410 once it cannot, and its GET takes the
// client's open turn, as the link's page does.
func (h *Handler) linkFile(w http.ResponseWriter, r *http.Request) {
	f, err := h.core.GrantedFile(r.Context(), r.PathValue("token"), h.recipient(r), r.Method == http.MethodGet)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.serveFile(w, r, f)
}

// serveFile answers r with an opened file link's file f. Audio and video
// are served inline with their sniffed type, so that the player can stream
// and seek; everything else is an attachment of type
// application/octet-stream, so that no browser renders it, as HTML or
// otherwise. A GET may ask for a range; the answer to an open, a POST,
// which has spent the link's use, is always the whole file.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, f *core.File) {
	// Opened on its own, a file is a document that may run nothing: a clip
	// plays in the browser's media page, which needs its own origin to
	// fetch the clip; anything else is also sandboxed.
	hd := w.Header()
	if f.Media != "" {
		hd.Set("Content-Type", f.Type)
		hd.Set("Content-Disposition", web.ContentDisposition("inline", f.Name))
		hd.Set("Content-Security-Policy", "default-src 'none'; media-src 'self'; img-src 'self'; frame-ancestors 'none'")
	} else {
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Content-Disposition", web.ContentDisposition("attachment", f.Name))
		hd.Set("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Ranges and conditions are a GET's: the one answer an open gets
		// is neither part of the file nor a 412.
		r = r.Clone(r.Context())
		for _, k := range []string{"Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
			r.Header.Del(k)
		}
	}
	http.ServeContent(w, r, "", f.CreatedAt(), h.core.FileContent(r.Context(), f))
}
