# Reproducible steps for the files under assets/ that oncelink does not write
# itself. Run from the repository root: make -f assets/assets.mk vendor
HTMX_VERSION := 2.0.11
HTMX_SSE_VERSION := 2.2.4
.PHONY: vendor media

# vendor fetches the pinned htmx and its SSE extension from the npm registry.
vendor: TMP := $(shell mktemp -d)
vendor:
	cd $(TMP) && npm pack --silent htmx.org@$(HTMX_VERSION) htmx-ext-sse@$(HTMX_SSE_VERSION)
	tar -xzf $(TMP)/htmx.org-$(HTMX_VERSION).tgz -C $(TMP) package/dist/htmx.min.js package/LICENSE
	cp $(TMP)/package/dist/htmx.min.js assets/static/htmx.min.js
	cp $(TMP)/package/LICENSE assets/vendor/htmx.LICENSE
	tar -xzf $(TMP)/htmx-ext-sse-$(HTMX_SSE_VERSION).tgz -C $(TMP) package/dist/sse.min.js package/LICENSE
	cp $(TMP)/package/dist/sse.min.js assets/static/htmx-sse.min.js
	cp $(TMP)/package/LICENSE assets/vendor/htmx-ext-sse.LICENSE
	rm -rf $(TMP)

# media regenerates the player demo's sample clips from assets/media/generate.go
# (needs ffmpeg: apt-get install -y ffmpeg). The output is the same on every run.
media:
	go run assets/media/generate.go
