package components

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"oncelink/i18n"
)

// TestNoLiteralText finds words written into the templates rather than
// said through the catalogs: text between tags, and the attributes a
// person reads (placeholder, title, aria-label, alt, hx-confirm). The
// brand and symbols are not words to translate.
func TestNoLiteralText(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.ReplaceAll(string(b), "once<span>link</span>", "")
		for _, body := range componentBodies(src) {
			for _, m := range readAttr.FindAllStringSubmatch(body.text, -1) {
				if hasWords(m[2]) {
					t.Errorf("%s:%d: %s=%q is literal text", name, body.line, m[1], m[2])
				}
			}
			for _, text := range textNodes(body.text) {
				if hasWords(text) {
					t.Errorf("%s:%d: %q is literal text", name, body.line, text)
				}
			}
		}
	}
}

var readAttr = regexp.MustCompile(`\b(placeholder|title|aria-label|alt|hx-confirm|data-confirm)="([^"]*)"`)

type body struct {
	line int // where the component starts
	text string
}

// componentBodies are the bodies of a file's templ components, without
// their control-flow lines (if, for, switch, calls of other components).
func componentBodies(src string) []body {
	var out []body
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "templ ") {
			continue
		}
		start := i + 1
		var b strings.Builder
		for i++; i < len(lines) && lines[i] != "}"; i++ {
			l := strings.TrimSpace(lines[i])
			switch {
			case l == "", l == "}", strings.HasPrefix(l, "//"), strings.HasPrefix(l, "@"),
				strings.HasPrefix(l, "if "), strings.HasPrefix(l, "} else"), strings.HasPrefix(l, "for "),
				strings.HasPrefix(l, "switch "), strings.HasPrefix(l, "case "), strings.HasPrefix(l, "default:"):
				continue
			}
			b.WriteString(lines[i])
			b.WriteByte('\n')
		}
		out = append(out, body{line: start, text: b.String()})
	}
	return out
}

// textNodes are the texts between a body's tags, once its { expressions }
// are gone.
func textNodes(src string) []string {
	var noExpr strings.Builder
	depth := 0
	var quote rune
	for _, r := range src {
		switch {
		case depth > 0 && quote != 0:
			if r == quote {
				quote = 0
			}
		case depth > 0 && (r == '"' || r == '`'):
			quote = r
		case r == '{':
			depth++
		case r == '}' && depth > 0:
			depth--
		case depth == 0:
			noExpr.WriteRune(r)
		}
	}
	var out []string
	for _, part := range tag.Split(noExpr.String(), -1) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

var tag = regexp.MustCompile(`(?s)<[^>]*>`)

// hasWords reports whether s holds a word to translate: letters, beyond
// the brand.
func hasWords(s string) bool {
	s = strings.ReplaceAll(s, "oncelink", "")
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}

// labelledButton is a control whose accessible name comes from one message
// and whose visible text from another: aria-label={ T(ctx, "X", ...) }>{ T(ctx, "Y") }.
var labelledButton = regexp.MustCompile(`aria-label=\{ T\(ctx, "([a-z0-9_.]+)"[^}]*\}[^>]*>\{ T\(ctx, "([a-z0-9_.]+)"\) \}`)

// TestLabelsHoldTheirText: where a control's name is longer than the words
// it shows, the name holds those words, whole and in order, in every
// language, so that speech control finds it by what it says (WCAG 2.5.3,
// Label in Name).
func TestLabelsHoldTheirText(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range labelledButton.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, lang := range i18n.Languages {
				l := i18n.For(lang.Code)
				label, text := l.T(m[1], "Name", "bob", "URL", "https://example.com/in", "Device", "Firefox", "IP", "192.0.2.1"), l.T(m[2])
				if !strings.Contains(strings.ToLower(label), strings.ToLower(text)) {
					t.Errorf("%s: %s: the name %q does not hold the text %q", name, lang.Code, label, text)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("found %d labelled controls; the pattern no longer matches the templates", n)
	}
}
