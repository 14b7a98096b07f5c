package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dynamic are the prefixes of ids that code builds from a value: the
// value itself appears quoted in the source instead of the whole id.
// Months are named by their number.
var dynamic = []string{"error.", "title."}

// sources are the files whose quoted strings may name a message.
func sources(t *testing.T) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name != ".." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "locales") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".templ", ".js", ".tmpl", ".html", ".txt":
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[path] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var quoted = regexp.MustCompile("[\"`']([a-z0-9_.-]+)[\"`']")

// TestEveryMessageUsed: every message in the catalogs is named somewhere
// in the source, so none lingers after its text is gone.
func TestEveryMessageUsed(t *testing.T) {
	literals := map[string]bool{}
	for _, text := range sources(t) {
		for _, m := range quoted.FindAllStringSubmatch(text, -1) {
			literals[m[1]] = true
		}
	}
	for _, id := range IDs() {
		if literals[id] {
			continue
		}
		used := strings.HasPrefix(id, "time.month.")
		for _, p := range dynamic {
			if rest, ok := strings.CutPrefix(id, p); ok {
				rest, _, _ = strings.Cut(rest, ".")
				used = literals[rest]
			}
		}
		if !used {
			t.Errorf("%s is in the catalogs but no source names it", id)
		}
	}
}

var call = regexp.MustCompile(`\b(?:T|N|Tf)\(\s*(?:ctx\s*,\s*|[a-zA-Z.]+\s*,\s*)?"([a-z0-9_]+(?:\.[a-z0-9_-]+)+)"`)

// TestEveryUsedMessageExists: every message code asks for by a literal id
// is in the catalogs.
func TestEveryUsedMessageExists(t *testing.T) {
	known := map[string]bool{}
	for _, id := range IDs() {
		known[id] = true
	}
	for path, text := range sources(t) {
		for _, m := range call.FindAllStringSubmatch(text, -1) {
			if !known[m[1]] {
				t.Errorf("%s asks for %s, which no catalog has", path, m[1])
			}
		}
	}
}
