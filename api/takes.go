package api

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"oncelink/core"
)

// takes is what a route reads of a request besides its path: the query
// parameters it takes, and whether it reads a body. A route that takes
// neither is takes{}.
type takes struct {
	params []string
	body   bool
}

// only runs next for a request that sends nothing but what t says the
// route takes: a parameter it does not take, or one given twice, and a
// body sent to a route that reads none, are refused before anything
// else, a key included, is looked at; nothing that was sent is ignored.
func (a *API) only(t takes, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := checkQuery(r.URL.RawQuery, t.params)
		switch {
		case err == nil && !t.body:
			err = noBody(w, r)
		case err == nil:
			err = plainBody(r)
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r)
	}
}

// checkQuery refuses a parameter of the query raw that is none of params,
// one given twice, and one that cannot be read (a % that escapes nothing,
// or a ; where & belongs), which a handler would never see: url.ParseQuery
// drops it.
func checkQuery(raw string, params []string) error {
	seen := map[string]bool{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err == nil {
			_, err = url.QueryUnescape(rawValue)
		}
		switch {
		case err != nil || strings.Contains(pair, ";"):
			return parameterRefusal("unreadable_parameter", pair)
		case !slices.Contains(params, name):
			return parameterRefusal("unknown_parameter", name)
		case seen[name]:
			return parameterRefusal("duplicate_parameter", name)
		}
		seen[name] = true
	}
	return nil
}

// parameterRefusal refuses the query parameter name with code, which is
// also its title.
func parameterRefusal(code, name string) error {
	return core.Refusal(core.Invalid, code, name, code, "Name", core.Quoted(name))
}

// errEncoded refuses a body sent with a content coding, such as gzip: the
// API reads bodies as they are sent, and would misread a compressed one.
var errEncoded = core.Refusal(core.Unsupported, "content_encoding", "", "content_encoding")

// plainBody refuses a body that r says is encoded (Content-Encoding other
// than identity), before any of it is read.
func plainBody(r *http.Request) error {
	for _, v := range r.Header.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(v, ",") {
			if coding = strings.TrimSpace(coding); coding != "" && !strings.EqualFold(coding, "identity") {
				return errEncoded
			}
		}
	}
	return nil
}

// errBodyUnexpected refuses a body, other than JSON's, sent to a route
// that reads none.
var errBodyUnexpected = core.Refusal(core.Invalid, "body_unexpected", "", "body_unexpected")

// noBody refuses a body sent to a route that reads none, as a route that
// reads one refuses what it does not take: JSON with any field is
// refused as an unknown field, or as not JSON at all; {}, which sends
// nothing, is taken, as an empty body of whatever type is. Any other body
// is errBodyUnexpected.
func noBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	if err := plainBody(r); err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		return readJSON(w, r, &struct{}{}, 4<<10, true)
	}
	if r.ContentLength < 0 {
		// A body of unknown length may yet be empty.
		if n, _ := io.ReadFull(r.Body, make([]byte, 1)); n == 0 {
			return nil
		}
	}
	return errBodyUnexpected
}
