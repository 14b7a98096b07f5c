package client

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Request is a request ("send me a secret") as the API shows it to its
// owner.
type Request struct {
	ID          int64      `json:"id"`
	Label       string     `json:"label"`
	Note        string     `json:"note"`
	Accepts     string     `json:"accepts"` // text, file or any
	Status      string     `json:"status"`  // open, fulfilled, expired or revoked
	ExpiresAt   time.Time  `json:"expires_at"`
	CreatedAt   time.Time  `json:"created_at"`
	FulfilledAt *time.Time `json:"fulfilled_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	// LinkID is the link that holds what was sent, once it was.
	LinkID *int64 `json:"link_id"`
	// URL is the request's address, BASE/r/TOKEN: only CreateRequest's
	// answer has it, the only time the server gives it.
	URL string `json:"url,omitempty"`
}

// NewRequest is a request to create; empty fields take the server's
// defaults (any, a TTL of 1d).
type NewRequest struct {
	Label   string `json:"label,omitempty"`
	Note    string `json:"note,omitempty"`
	Accepts string `json:"accepts,omitempty"`
	TTL     string `json:"ttl,omitempty"`
	// IdempotencyKey, when set, is sent as the create's Idempotency-Key
	// header, as NewLink's is: a fresh one for each request.
	IdempotencyKey string `json:"-"`
}

// CreateRequest creates a request: POST /api/v1/requests. The answer's URL
// is the only copy of the request's address.
//
// With an IdempotencyKey, a create whose answer was lost is sent once
// more, as CreateLink's is. If the first one made the request, the second
// is refused with an *APIError of code CodeAlreadyCreated and the
// request's ID.
func (c *Client) CreateRequest(ctx context.Context, in NewRequest) (Request, error) {
	return sendAgain(ctx, in.IdempotencyKey != "", always, func(bool) (Request, error) {
		var r Request
		res, err := c.sendWith(ctx, http.MethodPost, "/api/v1/requests", in, idempotent(in.IdempotencyKey))
		if err == nil {
			err = c.decode(res, &r)
		}
		return r, err
	})
}

// RequestQuery picks requests to list; the zero value is the newest page
// of all.
type RequestQuery struct {
	Status string // open, fulfilled, expired or revoked; empty for all
	Cursor string // a page's NextCursor, for the page after it
	Limit  int    // requests on a page, 1 to 100; zero for the server's default
}

// RequestPage is a page of requests, newest first.
type RequestPage struct {
	Requests []Request `json:"requests"`
	// NextCursor is the cursor of the next page; empty on the last.
	NextCursor string `json:"next_cursor"`
}

// Requests lists the key owner's requests, a page at a time:
// GET /api/v1/requests.
func (c *Client) Requests(ctx context.Context, q RequestQuery) (RequestPage, error) {
	path := listPath("/api/v1/requests", q.Limit, "status", q.Status, "cursor", q.Cursor)
	var p struct {
		Requests   []Request `json:"requests"`
		NextCursor *string   `json:"next_cursor"`
	}
	if err := c.getJSON(ctx, path, &p); err != nil {
		return RequestPage{}, err
	}
	page := RequestPage{Requests: p.Requests}
	if p.NextCursor != nil {
		page.NextCursor = *p.NextCursor
	}
	return page, nil
}

// Request returns one of the key owner's requests: GET /api/v1/requests/{id}.
func (c *Client) Request(ctx context.Context, id int64) (Request, error) {
	var r Request
	err := c.getJSON(ctx, "/api/v1/requests/"+strconv.FormatInt(id, 10), &r)
	return r, err
}

// RevokeRequest ends one of the key owner's requests at once, so that
// nothing more can be sent to it: POST /api/v1/requests/{id}/revoke.
func (c *Client) RevokeRequest(ctx context.Context, id int64) (Request, error) {
	var r Request
	err := c.sendJSON(ctx, http.MethodPost, "/api/v1/requests/"+strconv.FormatInt(id, 10)+"/revoke", nil, &r)
	return r, err
}
