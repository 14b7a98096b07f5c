// Package assets embeds oncelink's static files (htmx, scripts, styles and
// sample media) and serves them under content-hashed names, so a browser may
// cache each one for a year and still sees a change on the next release.
package assets

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed static
var embedded embed.FS

// Prefix is the URL path under which Handler serves the files.
const Prefix = "/static/"

var (
	static = mustSub(embedded, "static")
	// hashed maps a file's name to its URL path with a hash in it, and
	// byHashed maps that hashed base name back to the file's name.
	hashed, byHashed = fingerprint(static)
)

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

func fingerprint(fsys fs.FS) (map[string]string, map[string]string) {
	toHashed, toName := map[string]string{}, map[string]string{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(name)
		h := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		toHashed[name] = Prefix + h
		toName[h] = name
		return nil
	})
	if err != nil {
		panic(err)
	}
	return toHashed, toName
}

// Path returns the URL of the embedded file name, such as "app.css". It
// panics on a name that is not embedded, so a typo fails the first render in
// tests rather than a browser's request in production.
func Path(name string) string {
	p, ok := hashed[name]
	if !ok {
		panic("assets: no embedded file " + name)
	}
	return p
}

// Open returns an embedded file by name, such as a sample clip that tests
// upload as a shared file.
func Open(name string) (fs.File, error) { return static.Open(name) }

// Handler serves the embedded files at their hashed URLs with long cache
// lifetimes, and beside them the files that made returns: files oncelink
// makes from its own data, such as each language's messages for the page
// scripts, whose names (below Prefix) hold a hash of their content too.
// Other names answer 404, so that no stale copy is ever cached.
func Handler(made func(name string) ([]byte, bool)) http.Handler {
	files := http.FileServerFS(static)
	return http.StripPrefix(Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Static files are only read: this address takes GET and HEAD.", http.StatusMethodNotAllowed)
			return
		}
		name, ok := byHashed[r.URL.Path]
		if !ok {
			data, ok := made(r.URL.Path)
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Cache-Control", cacheControl)
			http.ServeContent(w, r, r.URL.Path, time.Time{}, bytes.NewReader(data))
			return
		}
		w.Header().Set("Cache-Control", cacheControl)
		if path.Ext(name) == ".webm" {
			// Go's table says audio/webm; the sample video is a WebM video,
			// and browsers play audio-only WebM as video/webm too.
			w.Header().Set("Content-Type", "video/webm")
		}
		r2 := new(http.Request)
		*r2 = *r
		r2.URL = new(url.URL)
		*r2.URL = *r.URL
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	}))
}

// cacheControl lets a browser keep a file with a hashed name for a year: a
// change makes a new name.
const cacheControl = "public, max-age=31536000, immutable"
