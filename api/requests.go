package api

import (
	"net/http"
	"time"

	"oncelink/core"
	"oncelink/web"
)

// request is a request as the API shows it to its owner: never its URL,
// which only a create answers with.
type request struct {
	ID          int64      `json:"id"`
	Label       string     `json:"label"`
	Note        string     `json:"note"`
	Accepts     string     `json:"accepts"`
	Status      string     `json:"status"`
	ExpiresAt   time.Time  `json:"expires_at"`
	CreatedAt   time.Time  `json:"created_at"`
	FulfilledAt *time.Time `json:"fulfilled_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	LinkID      *int64     `json:"link_id"`
}

// createdRequest is a new request, with the only showing of its URL.
type createdRequest struct {
	request
	URL string `json:"url"`
}

func requestOf(r core.Request, now time.Time) request {
	v := request{ID: r.ID, Label: r.Label, Note: r.Note, Accepts: r.Accepts, Status: string(r.Status(now)),
		ExpiresAt: r.ExpiresAt.UTC(), CreatedAt: r.CreatedAt.UTC()}
	if !r.FulfilledAt.IsZero() {
		v.FulfilledAt = utc(r.FulfilledAt)
	}
	if !r.RevokedAt.IsZero() {
		v.RevokedAt = utc(r.RevokedAt)
	}
	if r.LinkID != 0 {
		v.LinkID = &r.LinkID
	}
	return v
}

func (a *API) createRequest(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	var body struct {
		Label   string  `json:"label"`
		Note    string  `json:"note"`
		Accepts *string `json:"accepts"` // nil: core.AcceptsAny
		TTL     *string `json:"ttl"`     // nil: core.DefaultTTL
	}
	key, err := idempotencyKey(r)
	if err == nil {
		err = readJSON(w, r, &body, 16<<10, true)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	// A field left out takes its default; one given empty is refused by
	// the core, as a link's is: "" is neither a time to live nor what may
	// be sent.
	in := core.RequestInput{Label: body.Label, Note: body.Note, Accepts: core.AcceptsAny, TTL: core.DefaultTTL, IdempotencyKey: key}
	if body.Accepts != nil {
		in.Accepts = *body.Accepts
	}
	if body.TTL != nil {
		in.TTL = *body.TTL
	}
	c, err := a.core.CreateRequest(r.Context(), acc.ID, in)
	if err == nil && c.Repeated {
		err = errAlreadyCreated(w, createdRequests, c.Request.ID)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	setLocation(w, createdRequests, c.Request.ID)
	a.reply(w, r, http.StatusCreated, createdRequest{requestOf(c.Request, a.core.Now()), c.URL})
	web.PublishAfter(w, r, a.core, c.Event())
}

func (a *API) listRequests(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	in := core.RequestListInput{Status: q.Get("status"), Before: q.Get("cursor"), Limit: limit}
	page, err := a.core.Requests(r.Context(), acc.ID, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Requests   []request `json:"requests"`
		NextCursor *string   `json:"next_cursor"`
	}{Requests: []request{}}
	now := a.core.Now()
	for _, rq := range page.Requests {
		out.Requests = append(out.Requests, requestOf(rq, now))
	}
	if page.Next != "" {
		out.NextCursor = &page.Next
	}
	a.reply(w, r, http.StatusOK, out)
}

func (a *API) getRequest(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var rq core.Request
	if err == nil {
		rq, err = a.core.Request(r.Context(), acc.ID, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, r, http.StatusOK, requestOf(rq, a.core.Now()))
}

func (a *API) revokeRequest(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	id, err := core.ParseID(r.PathValue("id"))
	var rq core.Request
	if err == nil {
		rq, err = a.core.RevokeRequest(r.Context(), acc.ID, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.reply(w, r, http.StatusOK, requestOf(rq, a.core.Now()))
}

// openRequest delivers what was sent to one of the owner's requests, as
// POST /api/v1/open does a link's content: the link that filling the
// request made takes its one use. The request's token comes in the body,
// {"token": "…"}: it is the owner's only proof of the address that seals
// what was sent.
func (a *API) openRequest(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	var body struct {
		Token string `json:"token"`
	}
	turn, err := a.core.TakeTurn(r.Context(), core.OpenAction, a.client(r))
	if err == nil {
		err = readJSON(w, r, &body, 4<<10, false)
	}
	var o core.Opened
	if err == nil {
		o, _, err = a.core.OpenRequest(r.Context(), turn, body.Token, core.Recipient{Client: a.client(r), Viewer: acc})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.deliver(w, r, o)
}
