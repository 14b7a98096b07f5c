package handlers

import (
	"io"
	"net/http"
	"strconv"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/web"
)

// e2eClaimField is the field of an open that carries an end-to-end link's
// claim: the request of e2e.js, which wants the ciphertext, or a refusal
// as plain text, rather than a page.
const e2eClaimField = "claim"

// openE2E answers e2e.js's open of link tok: one use, and the ciphertext,
// which the script decrypts with the key from the address's fragment. No
// grant is set: the page dropped the key from its address as soon as it
// read it, so a reload could not decrypt what it would fetch again. A
// refusal comes back as fail's JSON for scripts; a wrong password's says
// how many tries are left, as the page without the script does, and the
// last one's is the wait it began (a 429 with Retry-After).
func (h *Handler) openE2E(w http.ResponseWriter, r *http.Request, turn core.Turn, tok string) {
	rc := h.recipient(r)
	rc.Grants = nil
	rc.Claim = r.PostForm.Get(e2eClaimField)
	o, err := h.core.Open(r.Context(), turn, tok, r.PostForm.Get("password"), rc)
	if e, ok := core.AsError(err); ok && e.Code == core.ErrWrongPassword.Code {
		sight, lookErr := h.core.Look(r.Context(), tok, rc, false)
		if held := sight.HeldBack(); lookErr == nil && held != nil {
			// That was the last try: the answer is the wait it began, as
			// the page of a link the server seals says it at once (see
			// showLink), so that the script counts it down now.
			h.fail(w, r, held)
			return
		}
		reply := refusalForScript(r, e)
		if lookErr == nil && sight.AttemptsLeft > 0 {
			reply.Hint = i18n.T(r.Context(), "recipient.open.attempts_left", "Tries", i18n.N(r.Context(), "format.tries", sight.AttemptsLeft))
		}
		writeJSON(w, web.Status(e.Kind), reply)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Only an end-to-end link opens with a claim (core.Open refuses it to
	// any other).
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(o.File.Size, 10))
	hd.Set("Content-Disposition", "attachment")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, h.core.FileContent(r.Context(), o.File)); err != nil && r.Context().Err() == nil {
		h.log.Error("send an end-to-end link's ciphertext", "err", err)
	}
	if o.Used {
		web.PublishAfter(w, r, h.core, o.Event())
	}
}

// e2ePage readies page p of link l, if it is end to end, for e2e.js: its
// script, and a policy that lets the player, which it loads for a
// decrypted clip, play it from a blob: address.
func e2ePage(w http.ResponseWriter, p *components.Page, l core.Link) {
	if !l.EndToEnd() {
		return
	}
	w.Header().Set("Content-Security-Policy", components.E2ELinkPolicy)
	p.Scripts = append(p.Scripts, "e2e.js")
}
