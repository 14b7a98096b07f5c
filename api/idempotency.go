package api

import (
	"net/http"
	"strconv"

	"oncelink/core"
)

// idempotencyHeader is the request header that makes a create of a link, a
// request or a webhook endpoint, or a rotation of an endpoint's secret,
// idempotent (see core.LinkInput.IdempotencyKey): a program that could not
// read the answer sends it again with the same key, and makes nothing
// twice.
const idempotencyHeader = "Idempotency-Key"

// errIdempotencyKeyInvalid refuses an Idempotency-Key header that no form
// could carry as its key (see core.ValidIdempotencyKey), an empty one or
// one sent twice: taken as none, a retry would make a second one.
var errIdempotencyKeyInvalid = core.Variant(core.Invalid, "idempotency_key_invalid", "header", idempotencyHeader, "did_not_work",
	"Max", core.MaxIdempotencyKeyLen)

// idempotencyKey is r's Idempotency-Key, or "" when it has none.
func idempotencyKey(r *http.Request) (string, error) {
	keys := r.Header.Values(idempotencyHeader)
	switch {
	case len(keys) == 0:
		return "", nil
	case len(keys) > 1 || keys[0] == "" || !core.ValidIdempotencyKey(keys[0]):
		return "", errIdempotencyKeyInvalid
	}
	return keys[0], nil
}

// collection is what a create makes: its address under the API, and the
// message that says a repeat of its create.
type collection struct{ path, variant string }

var (
	createdLinks    = collection{"/api/v1/links/", "link"}
	createdRequests = collection{"/api/v1/requests/", "request"}
	createdWebhooks = collection{"/api/v1/webhooks/", "webhook"}
	// rotatedWebhooks are the endpoints whose secrets a rotation makes.
	rotatedWebhooks = collection{"/api/v1/webhooks/", "webhook_secret"}
)

// setLocation names what a create made: its address in the collection.
func setLocation(w http.ResponseWriter, c collection, id int64) {
	w.Header().Set("Location", c.path+strconv.FormatInt(id, 10))
}

// alreadyCreated answers a create whose Idempotency-Key made id before,
// or a rotation whose key made endpoint id's secret: that answer held the
// only showing of its URL (of a link or a request) or secret (of a webhook
// endpoint), which cannot be given again, so this one is a problem that
// names it, for the program to find it, or revoke or rotate it.
type alreadyCreated struct {
	refusal *core.Error
	id      int64
}

func (e alreadyCreated) Error() string { return e.refusal.Error() }
func (e alreadyCreated) Unwrap() error { return e.refusal }

// errAlreadyCreated is the refusal of a create whose key made id of c
// before, whatever this one's body says (the store keeps the key, not what
// was sent with it); the answer's Location names it.
func errAlreadyCreated(w http.ResponseWriter, c collection, id int64) error {
	setLocation(w, c, id)
	return alreadyCreated{core.Variant(core.Conflict, "already_created", c.variant, "", "already_exists", "ID", id), id}
}
