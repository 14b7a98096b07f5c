package handlers

import (
	"net/http"

	"oncelink/web"
)

// fileURL is where the browser that opened a file link gets the file. The
// grant cookie's path, /l/TOKEN, covers it.
func fileURL(tok string) string { return "/l/" + tok + "/file" }

// linkFile serves an opened file link's file, with HTTP Range, to the
// browser that holds the link's grant; any other answers 403 while the link
// can still be opened and 410 once it cannot. Audio and video are served
// inline with their sniffed type, so that the player can stream and seek;
// everything else is an attachment of type application/octet-stream, so
// that no browser renders it, as HTML or otherwise.
func (h *Handler) linkFile(w http.ResponseWriter, r *http.Request) {
	f, err := h.core.GrantedFile(r.Context(), r.PathValue("token"), grants(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
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
	http.ServeContent(w, r, "", f.CreatedAt(), h.core.FileContent(r.Context(), f))
}
