package handlers

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// element is an element of a page, with its attributes and its text.
type element struct {
	tag   string
	attrs map[string]string
	text  string
	depth int // of its start tag in the page
}

// elements returns the page's elements whose data-testid is id, in order.
func elements(t *testing.T, page, id string) []element {
	t.Helper()
	var found []element
	var open []int // of found, the elements not yet ended, with their depth
	depth := 0
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return found
		case html.TextToken:
			for _, i := range open {
				found[i].text += string(z.Text())
			}
		case html.EndTagToken:
			depth--
			if n := len(open); n > 0 && found[open[n-1]].depth == depth {
				open = open[:n-1]
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			e := element{tag: string(name), attrs: map[string]string{}, depth: depth}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				e.attrs[string(k)] = string(v)
			}
			void := tt == html.SelfClosingTagToken || voidElements[e.tag]
			if e.attrs["data-testid"] == id {
				found = append(found, e)
				if !void {
					open = append(open, len(found)-1)
				}
			}
			if !void {
				depth++
			}
		}
	}
}

// voidElements have no end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// textOf is the text of the page's first element whose data-testid is id,
// with its spaces collapsed; "" when there is none.
func textOf(t *testing.T, page, id string) string {
	t.Helper()
	if e := elements(t, page, id); len(e) > 0 {
		return strings.Join(strings.Fields(e[0].text), " ")
	}
	return ""
}

// hasTestID reports whether the page has an element whose data-testid is
// id.
func hasTestID(t *testing.T, page, id string) bool {
	t.Helper()
	return len(elements(t, page, id)) > 0
}
