package components

import (
	"bytes"
	"context"
	"testing"
	"time"

	"oncelink/i18n"
)

// BenchmarkCreatedPage renders the page that answers a create made
// without htmx: the layout, the new link with its QR code, and a fresh
// form.
func BenchmarkCreatedPage(b *testing.B) {
	now := time.Date(2026, 3, 9, 14, 5, 0, 0, time.UTC)
	url := "https://share.example.com/l/" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCd"
	qr, err := QRCode(url)
	if err != nil {
		b.Fatal(err)
	}
	p := Page{Title: "New link", Scripts: []string{"e2e.js"}, Path: "/links", Now: now, Back: "/", Viewer: &Viewer{Name: "ada"}}
	d := Dashboard{
		Form: LinkForm{FormKey: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", Kind: "message", TTL: "24h", MaxUses: "1"},
		Created: &Created{Owner: "ada", URL: url, QR: qr, Row: LinkRow{ID: 1, Label: "bench", Kind: "message", Status: "active",
			MaxUses: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour), Left: time.Hour}},
	}
	for _, lang := range []string{"en", "de"} {
		b.Run(lang, func(b *testing.B) {
			ctx := i18n.With(context.Background(), lang)
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := CreatePage(p, d).Render(ctx, &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
}
