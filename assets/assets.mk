# Reproducible steps for the files under assets/ that oncelink does not write
# itself. Run from the repository root: make -f assets/assets.mk vendor
HTMX_VERSION := 2.0.11
HTMX_SSE_VERSION := 2.2.4
AXE_VERSION := 4.14.1
.PHONY: vendor axe media

# vendor fetches the pinned htmx and its SSE extension from the npm registry,
# through a temporary directory that is removed however the recipe ends.
vendor:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent htmx.org@$(HTMX_VERSION) htmx-ext-sse@$(HTMX_SSE_VERSION)); \
	tar -xzf "$$tmp/htmx.org-$(HTMX_VERSION).tgz" -C "$$tmp" package/dist/htmx.min.js package/LICENSE; \
	cp "$$tmp/package/dist/htmx.min.js" assets/static/htmx.min.js; \
	cp "$$tmp/package/LICENSE" assets/vendor/htmx.LICENSE; \
	tar -xzf "$$tmp/htmx-ext-sse-$(HTMX_SSE_VERSION).tgz" -C "$$tmp" package/dist/sse.min.js package/LICENSE; \
	cp "$$tmp/package/dist/sse.min.js" assets/static/htmx-sse.min.js; \
	cp "$$tmp/package/LICENSE" assets/vendor/htmx-ext-sse.LICENSE

# axe fetches the pinned axe-core, which the accessibility test
# (handlers/axe_browser_test.go) loads from handlers/testdata/axe; the
# test itself fetches nothing.
axe:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent axe-core@$(AXE_VERSION)); \
	tar -xzf "$$tmp/axe-core-$(AXE_VERSION).tgz" -C "$$tmp" package/axe.min.js package/LICENSE package/LICENSE-3RD-PARTY.txt; \
	cp "$$tmp/package/axe.min.js" "$$tmp/package/LICENSE" "$$tmp/package/LICENSE-3RD-PARTY.txt" handlers/testdata/axe/

# media regenerates the player demo's sample clips from assets/media/generate.go
# (needs ffmpeg: apt-get install -y ffmpeg). With the same ffmpeg, the output is
# the same on every run.
media:
	go run assets/media/generate.go
