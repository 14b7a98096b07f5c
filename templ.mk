# templ code generation. Run from the repository root: make -f templ.mk check
TEMPL := go tool templ

.PHONY: generate fmt check

generate:
	$(TEMPL) generate -path components

fmt:
	$(TEMPL) fmt components

# check regenerates the components and fails when that changed anything, so a
# stale *_templ.go file never reaches main.
check: generate
	@git diff --exit-code -- components || { echo "templ: generated files are stale; run make -f templ.mk generate and commit" >&2; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard -- components)" || { echo "templ: untracked generated files in components/" >&2; exit 1; }
