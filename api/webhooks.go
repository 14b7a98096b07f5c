package api

import (
	"net/http"
	"time"

	"oncelink/core"
)

// webhook is an endpoint as the API shows it: never its secret, which only
// a create answers with.
type webhook struct {
	ID         int64      `json:"id"`
	URL        string     `json:"url"`
	Events     []string   `json:"events"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at"`
	// PreviousSecretUntil is when the secret the last rotation replaced
	// stops signing beside the current one; nil once it has.
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
}

// createdWebhook is a new endpoint, or one whose secret was just rotated,
// with the only showing of its secret.
type createdWebhook struct {
	webhook
	Secret string `json:"secret"`
}

// webhookOf is w as the API shows it at now.
func webhookOf(w core.Webhook, now time.Time) webhook {
	v := webhook{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt.UTC()}
	if !w.DisabledAt.IsZero() {
		v.DisabledAt = utc(w.DisabledAt)
	}
	if w.PreviousSigns(now) {
		v.PreviousSecretUntil = utc(w.PreviousUntil)
	}
	return v
}

// delivery is one notice sent, or to be sent, to an endpoint.
type delivery struct {
	ID          int64      `json:"id"`
	Type        string     `json:"type"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastCode    *int       `json:"last_code"`
	LastError   string     `json:"last_error"`
	CreatedAt   time.Time  `json:"created_at"`
	NextAt      *time.Time `json:"next_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
}

func deliveryOf(d core.Delivery) delivery {
	v := delivery{ID: d.ID, Type: d.Type, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt.UTC()}
	if d.LastCode != 0 {
		v.LastCode = &d.LastCode
	}
	if d.Status == "pending" {
		v.NextAt = utc(d.NextAt)
	}
	if !d.DeliveredAt.IsZero() {
		v.DeliveredAt = utc(d.DeliveredAt)
	}
	return v
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	var body struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	key, err := idempotencyKey(r)
	if err == nil {
		err = readJSON(w, r, &body, 16<<10, false)
	}
	var c core.NewWebhook
	if err == nil {
		c, err = a.core.CreateWebhook(r.Context(), acc.ID, core.WebhookInput{URL: body.URL, Events: body.Events, IdempotencyKey: key})
	}
	if err == nil && c.Repeated {
		err = errAlreadyCreated(w, createdWebhooks, c.Webhook.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	setLocation(w, createdWebhooks, c.Webhook.ID)
	a.reply(w, r, http.StatusCreated, createdWebhook{webhookOf(c.Webhook, a.core.Now()), c.Secret})
}

// rotateWebhook gives an endpoint a new secret; the one it replaces goes
// on signing beside it for core.SecretOverlap. With an Idempotency-Key it
// rotates once, as a create makes once: a repeat is refused, naming the
// endpoint, whose secret was in the first answer only.
func (a *API) rotateWebhook(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var key string
	if err == nil {
		key, err = idempotencyKey(r)
	}
	var c core.NewWebhook
	if err == nil {
		c, err = a.core.RotateWebhook(r.Context(), acc.ID, id, key)
	}
	if err == nil && c.Repeated {
		err = errAlreadyCreated(w, rotatedWebhooks, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, r, http.StatusOK, createdWebhook{webhookOf(c.Webhook, a.core.Now()), c.Secret})
}

// testWebhook sends an endpoint a test message, and switches it on again
// if a 410 had switched it off, as the settings page's Send a test does:
// 202 with the endpoint as it is then; the message goes through the
// outbox, and its delivery lists among the endpoint's.
func (a *API) testWebhook(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = a.core.TestWebhook(r.Context(), acc.ID, id)
	}
	var h core.Webhook
	if err == nil {
		h, err = a.core.Webhook(r.Context(), acc.ID, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, r, http.StatusAccepted, webhookOf(h, a.core.Now()))
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	hooks, err := a.core.Webhooks(r.Context(), acc.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Webhooks []webhook `json:"webhooks"`
	}{Webhooks: []webhook{}}
	for _, h := range hooks {
		out.Webhooks = append(out.Webhooks, webhookOf(h, a.core.Now()))
	}
	a.reply(w, r, http.StatusOK, out)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	if err == nil {
		err = a.core.DeleteWebhook(r.Context(), acc.ID, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var ds []core.Delivery
	if err == nil {
		ds, err = a.core.WebhookDeliveries(r.Context(), acc.ID, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Deliveries []delivery `json:"deliveries"`
	}{Deliveries: []delivery{}}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, deliveryOf(d))
	}
	a.reply(w, r, http.StatusOK, out)
}
