package handlers

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestLabelsStandIsolated: a label drawn anywhere stands apart from the
// words around it, so that a RIGHT-TO-LEFT OVERRIDE in it, left open,
// reverses nothing after it: in HTML inside a <bdi>, which ends the
// override where it ends, and in an attribute's sentence between FIRST
// STRONG ISOLATE and POP DIRECTIONAL ISOLATE. A stray POP DIRECTIONAL
// ISOLATE in the label, which would end the isolate early, is dropped.
func TestLabelsStandIsolated(t *testing.T) {
	s := newTestServer(t)
	c := s.admin()
	const label, drawn = "invoice\u202e\u2069fdp.exe", "invoice\u202efdp.exe"
	link := c.createLink(url.Values{"label": {label}})
	request := c.createRequest(url.Values{"label": {label}})
	id := c.firstRowID()

	for _, path := range []string{"/links", "/links/" + id, strings.TrimPrefix(link, s.URL), "/requests", request} {
		checkIsolated(t, path, c.get(path).body, drawn)
	}
	// So does an API key's name, which the owner also writes.
	c.post("/settings/keys", url.Values{"name": {label}, "expires": {"90d"}})
	checkIsolated(t, "/settings", c.get("/settings").body, drawn)
}

// checkIsolated checks that body, the page at path, draws drawn, a name
// holding a RIGHT-TO-LEFT OVERRIDE, alone in a <bdi>, and isolates it in
// every attribute but data-name, which scripts and tests match.
func checkIsolated(t *testing.T, path, body, drawn string) {
	t.Helper()
	doc := parseHTML(t, body)
	isolated := 0
	for n := range doc.Descendants() {
		switch {
		case n.Type == html.TextNode && strings.ContainsRune(n.Data, '\u202e'):
			if n.Parent.Data != "bdi" || n.Data != drawn {
				t.Errorf("%s: the name is drawn as %+q in <%s>, not alone in a <bdi>", path, n.Data, n.Parent.Data)
			}
			isolated++
		case n.Type == html.ElementNode:
			for _, a := range n.Attr {
				if a.Key != "data-name" && strings.ContainsRune(a.Val, '\u202e') && !strings.Contains(a.Val, "\u2068"+drawn+"\u2069") {
					t.Errorf("%s: %s=%+q does not isolate the name", path, a.Key, a.Val)
				}
			}
		}
	}
	if isolated == 0 {
		t.Errorf("%s: no name drawn", path)
	}
}
