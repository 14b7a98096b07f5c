package handlers

import (
	"context"
	"net/http"

	"oncelink/core"
)

// refuseBodiesOnReads answers a GET or HEAD that carries a body with 400.
// No route reads one, and a body that the server ignores while a proxy in
// front of it reads it (or the other way round) is how requests are
// smuggled past the proxy.
func (h *Handler) refuseBodiesOnReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ContentLength != 0 {
			// Sessions are not loaded yet: the page is for nobody in particular.
			anon := r.WithContext(context.WithValue(r.Context(), viewerKey{}, (*core.Account)(nil)))
			h.fail(w, anon, errBodyOnRead)
			return
		}
		next.ServeHTTP(w, r)
	})
}
