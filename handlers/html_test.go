package handlers

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// element is a start tag of a page, with its attributes.
type element struct {
	tag   string
	attrs map[string]string
}

// elements returns the page's elements whose data-testid is id, in order.
func elements(t *testing.T, page, id string) []element {
	t.Helper()
	var found []element
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return found
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			e := element{tag: string(name), attrs: map[string]string{}}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				e.attrs[string(k)] = string(v)
			}
			if e.attrs["data-testid"] == id {
				found = append(found, e)
			}
		}
	}
}

// hasTestID reports whether the page has an element whose data-testid is
// id.
func hasTestID(t *testing.T, page, id string) bool {
	t.Helper()
	return len(elements(t, page, id)) > 0
}
