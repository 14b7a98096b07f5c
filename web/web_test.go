package web

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestContentDisposition(t *testing.T) {
	if got := ContentDisposition("attachment", `say "hi" 100%.txt`); got != `attachment; filename="say _hi_ 100%.txt"; filename*=UTF-8''say%20%22hi%22%20100%25.txt` {
		t.Errorf("ContentDisposition: %s", got)
	}
}

// Allowed names every method a path's routes take, DELETE too, and none
// for a path only the catch-all takes.
func TestAllowed(t *testing.T) {
	mux := http.NewServeMux()
	ok := func(http.ResponseWriter, *http.Request) {}
	mux.HandleFunc("GET /things", ok)
	mux.HandleFunc("POST /things", ok)
	mux.HandleFunc("DELETE /things/{id}", ok)
	mux.HandleFunc("/", ok)
	for path, want := range map[string][]string{
		"/things":   {http.MethodGet, http.MethodHead, http.MethodPost},
		"/things/1": {http.MethodDelete},
		"/other":    nil,
	} {
		r := httptest.NewRequest(http.MethodPut, path, nil)
		if got := Allowed(mux, r, "/"); !slices.Equal(got, want) {
			t.Errorf("Allowed(%s) = %v, want %v", path, got, want)
		}
	}
}
