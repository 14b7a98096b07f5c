package client

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Webhook is one of the key owner's webhook endpoints as the API shows it.
type Webhook struct {
	ID         int64      `json:"id"`
	URL        string     `json:"url"`
	Events     []string   `json:"events"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at"`
	// PreviousSecretUntil is when the secret the last rotation replaced
	// stops signing beside the current one; nil when only it signs.
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	// Secret is the endpoint's signing secret, whsec_...: only the
	// answers of CreateWebhook and RotateWebhook have it, the only times
	// the server gives it.
	Secret string `json:"secret,omitempty"`
}

// Delivery is one notice sent, or to be sent, to an endpoint.
type Delivery struct {
	ID          int64      `json:"id"`
	Type        string     `json:"type"`
	Status      string     `json:"status"` // pending, delivered or failed
	Attempts    int        `json:"attempts"`
	LastCode    *int       `json:"last_code"`
	LastError   string     `json:"last_error"`
	CreatedAt   time.Time  `json:"created_at"`
	NextAt      *time.Time `json:"next_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
}

func webhookPath(id int64) string { return "/api/v1/webhooks/" + strconv.FormatInt(id, 10) }

// NewWebhook is an endpoint to add.
type NewWebhook struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// IdempotencyKey, when set, is sent as the create's Idempotency-Key
	// header, as NewLink's is: a fresh one for each endpoint.
	IdempotencyKey string `json:"-"`
}

// CreateWebhook adds an endpoint that is sent events: POST /api/v1/webhooks.
// The answer's Secret is the only showing of the endpoint's signing
// secret.
//
// With an IdempotencyKey, a create whose answer was lost is sent once
// more, as CreateLink's is. If the first one added the endpoint, the
// second is refused with an *APIError of code CodeAlreadyCreated and the
// endpoint's ID.
func (c *Client) CreateWebhook(ctx context.Context, in NewWebhook) (Webhook, error) {
	return sendAgain(ctx, in.IdempotencyKey != "", always, func(bool) (Webhook, error) {
		var w Webhook
		res, err := c.sendWith(ctx, http.MethodPost, "/api/v1/webhooks", in, idempotent(in.IdempotencyKey))
		if err == nil {
			err = c.decode(res, &w)
		}
		return w, err
	})
}

// Webhooks lists the key owner's endpoints: GET /api/v1/webhooks.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var out struct {
		Webhooks []Webhook `json:"webhooks"`
	}
	err := c.getJSON(ctx, "/api/v1/webhooks", &out)
	return out.Webhooks, err
}

// RotateWebhook gives endpoint id a new signing secret; the one it
// replaces signs beside it for a day: POST /api/v1/webhooks/{id}/rotate.
// The answer's Secret is the only showing of the new secret.
//
// With an idempotencyKey, sent as the Idempotency-Key header (a fresh one
// for each rotation), a rotation whose answer was lost is sent once more,
// as CreateLink's create is. If the first one made the secret, the second
// is refused with an *APIError of code CodeAlreadyCreated and the
// endpoint's ID.
func (c *Client) RotateWebhook(ctx context.Context, id int64, idempotencyKey string) (Webhook, error) {
	return sendAgain(ctx, idempotencyKey != "", always, func(bool) (Webhook, error) {
		var w Webhook
		res, err := c.sendWith(ctx, http.MethodPost, webhookPath(id)+"/rotate", nil, idempotent(idempotencyKey))
		if err == nil {
			err = c.decode(res, &w)
		}
		return w, err
	})
}

// TestWebhook sends endpoint id a test message, and switches it on again
// if a 410 had switched it off: POST /api/v1/webhooks/{id}/test. The
// answer is the endpoint as it is then; the message's delivery lists
// among the endpoint's (WebhookDeliveries).
func (c *Client) TestWebhook(ctx context.Context, id int64) (Webhook, error) {
	var w Webhook
	err := c.sendJSON(ctx, http.MethodPost, webhookPath(id)+"/test", nil, &w)
	return w, err
}

// WebhookDeliveries lists endpoint id's recent deliveries, newest first:
// GET /api/v1/webhooks/{id}/deliveries.
func (c *Client) WebhookDeliveries(ctx context.Context, id int64) ([]Delivery, error) {
	var out struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	err := c.getJSON(ctx, webhookPath(id)+"/deliveries", &out)
	return out.Deliveries, err
}

// DeleteWebhook deletes endpoint id: DELETE /api/v1/webhooks/{id}.
func (c *Client) DeleteWebhook(ctx context.Context, id int64) error {
	u, err := c.url(webhookPath(id))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return err
	}
	res, err := c.do(req, true)
	if err != nil {
		return err
	}
	return res.Body.Close()
}
