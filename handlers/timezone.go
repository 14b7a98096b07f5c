package handlers

import (
	"cmp"
	"net/http"
	"strings"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
)

// sessionZoneSaid is what the time zone section says once, on the
// settings page that follows a change of it.
const sessionZoneSaid = "zone_said"

// fillZone reads the account's time zone into v, keeping what v already
// says of its form.
func (h *Handler) fillZone(a *core.Account, v *components.ZoneSettings) {
	v.Zone = a.TimeZone
	v.EmailOn = h.core.EmailOn()
	if v.Form.Error == "" {
		v.Form.Zone = a.TimeZone
	}
}

// setTimeZone sets the time zone that the account's texts to send with a
// new link, and its mails, write times in; an empty one is UTC. It
// redirects to the settings page's time zone section, which says once
// what was done, so a reload sends nothing again.
func (h *Handler) setTimeZone(w http.ResponseWriter, r *http.Request, a *core.Account) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	zone := strings.TrimSpace(r.PostForm.Get("time_zone"))
	changed, err := h.core.SetTimeZone(r.Context(), *a, zone)
	if h.settingsRefused(w, r, a, err, func(v *components.Settings, e *core.Error) {
		v.Zone.Form = components.ZoneForm{Zone: zone, Error: e.Message(i18n.From(r.Context())), ErrorField: e.Field}
	}) {
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.Put(r.Context(), sessionZoneSaid, i18n.T(r.Context(), "settings.zone.saved", "Zone", cmp.Or(changed.TimeZone, "UTC")))
	redirect(w, r, "/settings#zone-heading")
}
