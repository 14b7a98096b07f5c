package handlers

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// parseHTML parses a page or a fragment of one.
func parseHTML(t testing.TB, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// findAll returns the elements under n, n included, that match, in
// document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	if n.Type == html.ElementNode && match(n) {
		out = append([]*html.Node{n}, out...)
	}
	return out
}

// byTestID matches the elements whose data-testid is id.
func byTestID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "data-testid") == id }
}

// byTag matches the elements named tag, such as "h1".
func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

// byAttr matches the elements whose attribute name is value.
func byAttr(name, value string) func(*html.Node) bool {
	return func(n *html.Node) bool { return hasAttr(n, name) && attr(n, name) == value }
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// first returns the first element under n that matches, and fails the test
// when there is none.
func first(t testing.TB, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	all := findAll(n, match)
	if len(all) == 0 {
		t.Fatalf("no %s in the page", what)
	}
	return all[0]
}

// elementByID returns the element under n whose id is id, or nil.
func elementByID(n *html.Node, id string) *html.Node {
	if found := findAll(n, byAttr("id", id)); len(found) > 0 {
		return found[0]
	}
	return nil
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// textOf is the text under n as a reader sees it: spaces collapsed, and
// nothing of a template, which the page shows only once its script uses it.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := range n.ChildNodes() {
			switch {
			case c.Type == html.TextNode:
				b.WriteString(c.Data)
			case c.Type == html.ElementNode && c.Data == "template":
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// hasTestID reports whether the page body has an element whose data-testid
// is id.
func hasTestID(t testing.TB, body, id string) bool {
	t.Helper()
	return len(findAll(parseHTML(t, body), byTestID(id))) > 0
}

// testIDs returns the page body's elements whose data-testid is id.
func testIDs(t testing.TB, body, id string) []*html.Node {
	t.Helper()
	return findAll(parseHTML(t, body), byTestID(id))
}

// testIDText is the text of the page body's first element whose
// data-testid is id, or "" when there is none.
func testIDText(t testing.TB, body, id string) string {
	t.Helper()
	if found := testIDs(t, body, id); len(found) > 0 {
		return textOf(found[0])
	}
	return ""
}
