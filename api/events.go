package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"oncelink/core"
	"oncelink/live"
	"oncelink/metrics"
	"oncelink/web"
)

// endEvent is a stream's last event once its key or session stops
// working, with code, why: the refusal's that the key would now get, or,
// for a session, core.Service.SessionRefusal's. Its "code:" field, which
// clients that do not know it ignore (as server-sent events ignore any
// field not theirs), tells a disabled account (account_disabled) from a
// key that ended (key_refused) and a session that ended (signed_out), so
// that a client can say which in its own words.
func endEvent(code string) string {
	return "event: end\ncode: " + code + "\ndata: the API key or session no longer works\n\n"
}

// events streams the owner's links as server-sent events, one "link"
// event with the link object each time one is created, viewed, opened,
// revoked or expires, so that a script can wait for an open. A stream
// that reconnects should read the links it waits on again: what happened
// during the break is not replayed. The stream ends, after an "end" event,
// once its key or session stops working. It is one of the account's
// streams that core.Service.Subscribe bounds, with the dashboards'.
func (a *API) events(w http.ResponseWriter, r *http.Request, acc *core.Account) {
	ctx := r.Context()
	events, cancel, err := a.core.Subscribe(acc.ID, a.client(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer cancel()
	if r.Method == http.MethodHead {
		// A GET's status and headers, without its stream: one that never
		// ended would hold the connection, and the request a client sent
		// next on it, for nothing.
		web.StreamHeaders(w)
		return
	}
	exp, err := a.core.WatchExpiries(ctx, acc.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer exp.Stop()
	defer a.metrics.Stream(metrics.APIStream)()
	web.StreamHeaders(w)
	rc := http.NewResponseController(w)
	// A keep-alive connection must not carry this deadline into its next
	// response.
	defer rc.SetWriteDeadline(time.Time{})
	send := func(text string) error { return web.WriteEvent(w, rc, []byte(text)) }
	secret, _ := bearerKey(r)
	// ended sends the "end" event, and reports so, once the stream's key,
	// or its session, no longer acts for its account; when the database
	// cannot tell, it acts. It takes no turn of the account's requests, so
	// it is asked at each heartbeat and before each link is sent: a key
	// revoked or an account disabled by another process (oncelink user
	// disable, on SQLite) sends no event.
	ended := func() bool {
		var refusal *core.Error
		if secret != "" {
			refusal, _ = a.core.KeyRefusal(ctx, secret)
		} else if a.Session != nil {
			if now, err := a.Session(r); err == nil && (now == nil || now.ID != acc.ID) {
				refusal = a.core.SessionRefusal(ctx, acc.ID)
			}
		}
		if refusal != nil {
			send(endEvent(refusal.Code))
		}
		return refusal != nil
	}
	errEnded := errors.New("the stream's key or session stopped working")
	sendLink := func(l core.Link) error {
		if ended() {
			return errEnded
		}
		b, err := json.Marshal(linkOf(l, a.core.Now()))
		if err != nil {
			return err
		}
		return send("event: link\ndata: " + string(b) + "\n\n")
	}
	beat := time.NewTicker(a.heartbeat)
	defer beat.Stop()
	// A key that expires ends its stream then, not at the next heartbeat.
	var keyEnds <-chan time.Time
	if secret != "" {
		if at, kerr := a.core.KeyExpires(ctx, secret); kerr == nil && !at.IsZero() {
			t := time.NewTimer(at.Sub(a.core.Now()))
			defer t.Stop()
			keyEnds = t.C
		}
	}
	err = send("retry: 2000\n\n")
	for err == nil {
		select {
		case <-ctx.Done():
			return
		case <-a.streamsEnd:
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			if e.What == live.RequestChanged || e.What == live.RequestCreated {
				continue // the stream tells of links; the link a request made comes as created
			}
			if e.What == live.Refused {
				// A wrong password or a late attempt changes nothing of
				// the link object; the link's audit trail has it.
				continue
			}
			if e.What == live.SessionsChanged || e.What == live.SessionRenewed {
				// A renewed session's old token, which a stream with a
				// cookie came with, no longer acts.
				if ended() {
					return
				}
				continue
			}
			var l core.Link
			l, err = a.core.Link(ctx, e.Owner, e.Link)
			if errors.Is(err, core.ErrNotFound) {
				err = nil // purged since
				continue
			}
			if err == nil {
				err = sendLink(l)
			}
			if err == nil && e.What == live.Created {
				err = exp.Created(ctx, e)
			}
		case <-exp.C:
			var due []core.Link
			due, err = exp.Due(ctx)
			for _, l := range due {
				if err == nil {
					err = sendLink(l)
				}
			}
		case <-keyEnds:
			if ended() {
				return
			}
		case <-beat.C:
			if ended() {
				return
			}
			err = send(": heartbeat\n\n")
		}
	}
	if ctx.Err() == nil && !errors.Is(err, errEnded) {
		a.log.Warn("api event stream", "err", err)
	}
}
