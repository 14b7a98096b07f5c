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
// left of a small one, within the same time.
func (h *Handler) boundBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			web.BodyDeadline(w, time.Now().Add(h.core.FormTime()))
		}
		next.ServeHTTP(w, r)
	})
}
