package handlers

import (
	"net/http"
	"time"

	"oncelink/web"
)

// refuseBodiesOnReads answers a GET or HEAD that carries a body with 400
// (see web.BodyOnRead).
func (h *Handler) refuseBodiesOnReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if web.BodyOnRead(r) {
			h.fail(w, withViewer(r, nil), errBodyOnRead)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// boundBodies gives a request's body the core's FormTime to arrive, from
// the moment its headers are in, as the server's ReadHeaderTimeout bounds
// the headers: a client that trickles its body is cut off rather than
// holding a connection, and an open file, for as long as it likes. A
// route that takes an upload gives it longer (see web.BodyDeadline). A route
// that answers without reading the body leaves net/http to read what is
// left of a small one, within the same time. A body refused as too large,
// by the pages or the API, is read to its end before the refusal is
// written when it is at most four times the largest form the server takes
// (see web.ReadBeforeTooLarge), so that a browser reads why.
func (h *Handler) boundBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			web.BodyDeadline(w, time.Now().Add(h.core.FormTime()))
			w, r = web.ReadBeforeTooLarge(w, r, 4*h.core.LargestForm())
		}
		next.ServeHTTP(w, r)
	})
}
