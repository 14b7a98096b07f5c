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

// allowed names every method a path's routes take, DELETE too, and none
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
		if got := allowed(mux, r, "/"); !slices.Equal(got, want) {
			t.Errorf("allowed(%s) = %v, want %v", path, got, want)
		}
	}
}

// UncleanAPIPath tells the API's paths that a ServeMux would redirect to
// their clean form, and no others.
func TestUncleanAPIPath(t *testing.T) {
	for path, want := range map[string]bool{
		"/api/v1/links": false, "/api/": false, "/api/v1/links/": false, "/links": false,
		"//links": false, "/links/./x": false, "/l/../links": false,
		"//api/v1/links": true, "/api/v1/./links": true, "/api//v1/links": true, "/api/v1/links/1/..": true,
		"/api/../links": true, "/x/../api/v1/me": true, "/api": true,
	} {
		if got := UncleanAPIPath(httptest.NewRequest(http.MethodGet, "http://example.com"+path, nil)); got != want {
			t.Errorf("UncleanAPIPath(%q) = %v, want %v", path, got, want)
		}
	}
}
