package components

import "strings"

// ContentSecurityPolicy is the policy the pages are written for: only
// oncelink's own scripts, styles, images and media, and nothing inline.
// URLLinkPolicy is the same but lets a form lead elsewhere, for the Open
// button of a URL link. Each is whole: a browser ignores a directive that
// is repeated, so a policy cannot be loosened by appending to it.
const (
	cspFetches = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"media-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; frame-ancestors 'none'; "
	ContentSecurityPolicy = cspFetches + "form-action 'self'"
	URLLinkPolicy         = cspFetches + "form-action 'self' http: https:"
	// E2ELinkPolicy is an end-to-end link's page's: its media, decrypted
	// in the page, plays from a blob: address, and its file is saved
	// from one.
	E2ELinkPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"media-src 'self' blob:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

// SignInPolicy is ContentSecurityPolicy for a page whose single sign-on
// form leads on to the identity provider at origins: the sign-in page,
// and the settings page of an account that confirms it is its owner by
// signing in again.
func SignInPolicy(origins []string) string {
	if len(origins) == 0 {
		return ContentSecurityPolicy
	}
	return ContentSecurityPolicy + " " + strings.Join(origins, " ")
}
