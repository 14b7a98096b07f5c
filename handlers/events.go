package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"oncelink/components"
	"oncelink/core"
	"oncelink/i18n"
	"oncelink/live"
	"oncelink/metrics"
	"oncelink/web"
)

// An open dashboard keeps one stream of server-sent events, GET
// /links/events, which htmx's SSE extension swaps into the page. Its events:
//
//	link-ID     the link's row, rendered again after a view, a use, a revoke
//	            or its expiry (a refused open, a wrong password or a late
//	            attempt, changes nothing on it)
//	created     the row of a link created in another tab, for the list's top
//	request-ID  the request's row, rendered again once it is filled or
//	            withdrawn
//	new-request the row of a request made in another tab, by the API or
//	            the command line, for the top of the requests' list
//	clock       the server's time in Unix milliseconds, for the countdowns
//	stale       sent once the stream opens, when the page may have missed
//	            events: some came after it was drawn and before the stream
//	            began, or during a break before the stream started over
//	mark        the owner's mark (streamMark), as the event's id and its
//	            data, once what an event from the broker brought, or
//	            stale, has been sent
//	signed-out  a notice, sent last, when the stream's session has ended
//
// When a connection drops, the browser's EventSource reconnects by itself
// with the last mark as Last-Event-ID, and the stream is stale only if the
// mark has moved since. A stream opened without one goes by the mark in
// its URL (after): the page's own, from when it was drawn, or the last
// mark the page's script received, when it opens the stream anew (a tab
// shown again, a page shown again from the browser's back/forward cache,
// or htmx's SSE extension starting over after an error answer). The mark
// travels on an event of its own, which every page listens for, since a
// script sees the id of no event that it does not listen for: a row's
// event for a row that is not on the page, or an event that changes
// nothing on it. Links that expire during a break send no event to resume
// from; the page's countdowns turn their rows expired.
//
// The pages about one link, its details and its address as its owner sees
// it, keep the same stream, bounded with the account's others, for that
// link alone: /links/events?link=ID for the details, ?own=ID for the
// address. For them, link-ID carries the page's part about the link
// (components.LinkDetailsLive, components.OwnLinkLive), after a view, a
// use, a revoke or its expiry, and to the details, whose audit trail
// records it, after a refused open; nothing else about the owner's links
// goes out, and the stream wakes for that link's expiry alone. In place of
// stale, the part itself comes at once.
//
// Each row listens for the event named after its own id, rather than one
// event carrying out-of-band swaps: a link that is not on the page (another
// filter, an older page) then simply has no listener, where an out-of-band
// swap with no target is an htmx error, and the server never needs to know
// which rows a page shows.

// EndStreams ends every open event stream, and any opened later, so that
// http.Server.Shutdown need not wait for them: register it with
// RegisterOnShutdown. Browsers reconnect by themselves once a server is back.
func (h *Handler) EndStreams() { h.endOnce.Do(func() { close(h.streamsEnd) }) }

// events is the dashboard's event stream, one of the account's streams
// that core.Service.Subscribe bounds. It ends when the client goes,
// when the server shuts down, when the broker drops it for falling behind
// (the browser reconnects and reloads its list), and, with a signed-out
// notice, when its session ends: at sign-out, when the account is disabled,
// or when a heartbeat finds the session expired.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := h.lookViewer(r)
	if err != nil {
		// Not "signed out", which would end the dashboard's stream for
		// good: the browser tries again, and the session may well hold.
		h.fail(w, r, core.ErrUnavailable)
		return
	}
	page, err := readStreamPage(r.URL.Query())
	if err == nil && a != nil && page.link != 0 {
		// Another owner's link is not found, as anywhere else: a stream
		// carries its owner's links alone.
		_, err = h.core.Link(ctx, a.ID, page.link)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var events <-chan live.Event
	if a != nil {
		// Refused beyond the account's streams (too_many_streams): the
		// page's EventSource takes the error answer for a dropped
		// connection and tries again, less often each time.
		var cancel func()
		events, cancel, err = h.core.Subscribe(a.ID, h.client(r))
		if err != nil {
			h.fail(w, r, err)
			return
		}
		defer cancel()
	}
	web.StreamHeaders(w)
	if r.Method == http.MethodHead {
		// A GET's status and headers, without its stream: one that never
		// ended would hold the connection, and the request a browser sent
		// next on it, for nothing.
		return
	}
	// The stream's session, by its id: a renewal of its token, which the
	// stream hears of, moves it (see core.Service.RenewedSession).
	session := h.sessionID(r)
	s := &eventStream{w: w, rc: http.NewResponseController(w)}
	// A keep-alive connection must not carry this deadline into its next
	// response.
	defer s.rc.SetWriteDeadline(time.Time{})
	if a == nil {
		s.event(ctx, "signed-out", components.SignedOut())
		return
	}
	// Read once subscribed, and before the first byte goes out: an event
	// after this comes through the subscription, one before it is missing
	// from the page if the mark has moved since the page was drawn, or
	// since the last event the browser received before a break.
	mark := h.streamMark(a.ID)
	seen := r.Header.Get("Last-Event-ID")
	if seen == "" {
		seen = r.URL.Query().Get("after")
	}
	defer h.metrics.Stream(metrics.DashboardStream)()

	// retry makes a browser reconnect two seconds after the stream ends,
	// as after a server restart.
	err = s.raw("retry: 2000\n\n")
	if err == nil {
		err = s.data("clock", strconv.FormatInt(h.core.Now().UnixMilli(), 10))
	}
	if err == nil && mark != seen {
		if page.link == 0 {
			err = s.data("stale", mark)
		} else {
			err = h.sendPage(ctx, s, a.ID, page, nil)
		}
		// The mark goes after stale, not before it: a browser that
		// reconnected with it having missed stale would not be told.
		if err == nil {
			err = s.mark(mark)
		}
	}
	var exp *core.ExpiryWatch
	switch {
	case err != nil:
	case page.link != 0:
		// The page's link alone: the owner's other links expire unheard.
		exp, err = h.core.WatchExpiry(ctx, a.ID, page.link)
	default:
		exp, err = h.core.WatchExpiries(ctx, a.ID)
	}
	if err == nil {
		defer exp.Stop()
	}
	beat := time.NewTicker(h.heartbeat)
	defer beat.Stop()
	for err == nil {
		select {
		case <-ctx.Done():
			return
		case <-h.streamsEnd:
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			switch {
			case e.What == live.SessionsChanged:
				if !h.sessionHolds(ctx, session, a.ID) {
					s.event(ctx, "signed-out", components.SignedOut())
					return
				}
			case e.What == live.SessionRenewed:
				if e.Session == session {
					session = e.Renewed
				}
			default:
				err = h.sendChange(ctx, s, a.ID, page, e, exp)
			}
			// An event that sent nothing still moves the mark.
			if err == nil {
				err = s.mark(h.markOf(e.ID))
			}
		case <-exp.C:
			err = h.sendExpired(ctx, s, exp, page)
		case <-beat.C:
			if !h.sessionHolds(ctx, session, a.ID) {
				s.event(ctx, "signed-out", components.SignedOut())
				return
			}
			// A beat the page hears, not a comment, which an EventSource
			// drops: a page that hears none for a while (its machine
			// slept, its network dropped the connection without a word)
			// knows its stream is dead and opens another. It says how
			// often it comes, in milliseconds.
			err = s.data("beat", strconv.FormatInt(h.heartbeat.Milliseconds(), 10))
		}
	}
	if !s.broken && ctx.Err() == nil {
		h.log.Warn("event stream", "err", err)
	}
}

// streamMark names the owner's last event, for a page to give back when it
// opens its stream; the stream is behind if the name has changed since.
func (h *Handler) streamMark(owner int64) string {
	return h.markOf(h.core.LastEvent(owner))
}

// markOf names the event with the broker's id on this instance.
func (h *Handler) markOf(id uint64) string {
	return h.instance + "." + strconv.FormatUint(id, 10)
}

// sendChange sends what page shows of the change e to owner's links or
// requests: the row it changed, a new link's row (which exp then watches)
// or a new request's, or, to a page about one link, that link's part.
func (h *Handler) sendChange(ctx context.Context, s *eventStream, owner int64, page streamPage, e live.Event, exp *core.ExpiryWatch) error {
	switch {
	case page.link != 0:
		// The owner's view of the address shows no audit trail, so a
		// refused open changes nothing on it.
		if e.Link == page.link && (e.What != live.Refused || !page.own) {
			return h.sendPage(ctx, s, owner, page, &e)
		}
		return nil
	case e.What == live.Refused:
		// A row shows no refused open: the details page's timeline does.
		return nil
	case e.What == live.RequestChanged:
		return h.sendRequestRow(ctx, s, e, components.RequestRowID(e.Request))
	case e.What == live.RequestCreated:
		return h.sendRequestRow(ctx, s, e, "new-request")
	case e.What == live.Created:
		if err := h.sendRow(ctx, s, e, "created"); err != nil {
			return err
		}
		return exp.Created(ctx, e)
	}
	return h.sendRow(ctx, s, e, components.RowID(e.Link))
}

// sendRow sends the row of e's link as the event name.
func (h *Handler) sendRow(ctx context.Context, s *eventStream, e live.Event, name string) error {
	return h.sendPart(ctx, s, name, &e, "row", func(ctx context.Context) (templ.Component, error) {
		l, err := h.core.Link(ctx, e.Owner, e.Link)
		if err != nil {
			return nil, err
		}
		return components.Row(h.linkRow(l, h.core.Now())), nil
	})
}

// sendRequestRow sends the row of e's request as the event name.
func (h *Handler) sendRequestRow(ctx context.Context, s *eventStream, e live.Event, name string) error {
	return h.sendPart(ctx, s, name, &e, "row", func(ctx context.Context) (templ.Component, error) {
		rq, err := h.core.Request(ctx, e.Owner, e.Request)
		if err != nil {
			return nil, err
		}
		return components.RequestRowView(requestRow(rq, h.core.Now())), nil
	})
}

// sendPart sends the part of a page that read finds, rendered, as the
// event name. After an event e, every stream shares the piece that one of
// them read and rendered (see sharedRows); a nil e is no event: a fresh
// read, not shared. What was purged since (core.ErrNotFound) sends
// nothing: its part of the page stays as it was.
func (h *Handler) sendPart(ctx context.Context, s *eventStream, name string, e *live.Event, piece string, read func(context.Context) (templ.Component, error)) error {
	build := func(ctx context.Context) (string, error) {
		c, err := read(ctx)
		if errors.Is(err, core.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		var b strings.Builder
		err = c.Render(ctx, &b)
		return b.String(), err
	}
	var html string
	var err error
	if e == nil {
		html, err = build(ctx)
	} else {
		html, err = h.rows.render(ctx, *e, piece, build)
	}
	if err != nil || html == "" {
		return err
	}
	return s.data(name, html)
}

// streamPage is the page a stream serves: the dashboard, or the page about
// one link, its details or its owner's view of its address.
type streamPage struct {
	// link is the link the page is about, 0 on the dashboard.
	link int64
	// own is set for the owner's view of the link's address.
	own bool
}

// readStreamPage reads the page a stream serves from its query: link=ID
// for a link's details, own=ID for its address, neither for the
// dashboard.
func readStreamPage(q url.Values) (streamPage, error) {
	details, own := q.Get("link"), q.Get("own")
	if details == "" && own == "" {
		return streamPage{}, nil
	}
	if details != "" && own != "" {
		return streamPage{}, core.ErrNotFound // two pages are not one
	}
	id, err := core.ParseID(details + own)
	return streamPage{link: id, own: own != ""}, err
}

// linkStream is the address of the event stream of a page about link id,
// drawn at the owner's stream mark: page is "link" for its details, "own"
// for its address.
func linkStream(mark, page string, id int64) string {
	return "/links/events?after=" + mark + "&" + page + "=" + strconv.FormatInt(id, 10)
}

// piece names what page's stream sends of a link.
func (p streamPage) piece() string {
	if p.own {
		return "own"
	}
	return "details"
}

// sendPage sends the part of page about its link, owner's, after e, as the
// event named after the link. A nil e is no event: a fresh read, not
// shared.
func (h *Handler) sendPage(ctx context.Context, s *eventStream, owner int64, page streamPage, e *live.Event) error {
	return h.sendPart(ctx, s, components.RowID(page.link), e, page.piece(), func(ctx context.Context) (templ.Component, error) {
		return h.pagePart(ctx, owner, page)
	})
}

// pagePart is the part of page about its link, owner's, as it stands.
func (h *Handler) pagePart(ctx context.Context, owner int64, page streamPage) (templ.Component, error) {
	if page.own {
		l, err := h.core.Link(ctx, owner, page.link)
		if err != nil {
			return nil, err
		}
		return components.OwnLinkLive(h.ownLink(l, h.core.Now())), nil
	}
	d, err := h.details(ctx, owner, page.link)
	if err != nil {
		return nil, err
	}
	return components.LinkDetailsLive(d), nil
}

// sharedRows lets the streams that receive the same event share its row:
// the first to ask reads and renders it, the others wait for that. Each
// delivered event has its own entry in each language, so no stream gets a
// row read before its event's write, or in another reader's language. The
// latest maxSharedRows entries are kept.
type sharedRows struct {
	mu      sync.Mutex
	byEvent map[rowKey]*sharedRow
	// ring holds the kept rows' keys; next is where the next one goes.
	ring [maxSharedRows]rowKey
	next int
}

// rowKey is what an event makes a stream send in one language: streams
// whose readers speak different languages each get the row in their own,
// and the pages about the link get their own part of it (piece).
type rowKey struct {
	id    uint64
	lang  string
	piece string
}

// maxSharedRows bounds the rows kept: an event's streams all ask for its
// row within moments of one another.
const maxSharedRows = 256

type sharedRow struct {
	done chan struct{}
	html string
	err  error
}

// render returns piece for e, made by build the first time it is asked.
// build runs without the asking stream's cancellation, since others wait
// for what it returns.
func (r *sharedRows) render(ctx context.Context, e live.Event, piece string, build func(context.Context) (string, error)) (string, error) {
	key := rowKey{e.ID, i18n.From(ctx).Code, piece}
	r.mu.Lock()
	row, ok := r.byEvent[key]
	if !ok {
		row = &sharedRow{done: make(chan struct{})}
		if r.byEvent == nil {
			r.byEvent = map[rowKey]*sharedRow{}
		}
		delete(r.byEvent, r.ring[r.next])
		r.ring[r.next] = key
		r.next = (r.next + 1) % maxSharedRows
		r.byEvent[key] = row
	}
	r.mu.Unlock()
	if !ok {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), web.StreamWriteTimeout)
		row.html, row.err = build(mctx)
		cancel()
		close(row.done)
	}
	select {
	case <-row.done:
		return row.html, row.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// sessionHolds reports whether the session with id (see sessionID) still
// exists, signed in as owner, and its account is enabled. When the
// database cannot tell, the session holds: a hiccup must not sign anyone
// out. It reads the session by its id, as the store keys it, since a
// stream that followed a renewal knows the id alone.
func (h *Handler) sessionHolds(ctx context.Context, id string, owner int64) bool {
	fresh, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var b []byte
	var found bool
	var err error
	if st, ok := h.sessions.Store.(interface {
		FindCtx(context.Context, string) ([]byte, bool, error)
	}); ok {
		b, found, err = st.FindCtx(fresh, id)
	} else {
		b, found, err = h.sessions.Store.Find(id)
	}
	var values map[string]any
	if err == nil && found {
		_, values, err = h.sessions.Codec.Decode(b)
	}
	if err != nil {
		h.log.Warn("event stream: find session", "err", err)
		return true
	}
	if account, _ := values[sessionAccount].(int64); account != owner {
		return false
	}
	a, err := h.core.SessionViewer(ctx, owner, id)
	if err != nil {
		h.log.Warn("event stream: find account", "err", err)
		return true
	}
	return a != nil
}

// sendExpired sends the rows of the links that exp finds expired, so that
// a dashboard shows an expiry even if its script did not run; to a page
// about one link, its part, when that link is among them.
func (h *Handler) sendExpired(ctx context.Context, s *eventStream, exp *core.ExpiryWatch, page streamPage) error {
	links, err := exp.Due(ctx)
	if err != nil {
		return err
	}
	now := h.core.Now()
	for _, l := range links {
		switch {
		case page.link == 0:
			err = s.event(ctx, components.RowID(l.ID), components.Row(h.linkRow(l, now)))
		default: // the page's link, which its watch alone follows
			err = h.sendPage(ctx, s, l.OwnerID, page, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// eventStream writes server-sent events, each flushed as it is written.
type eventStream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf bytes.Buffer
	// broken is set once a write failed: the client has gone.
	broken bool
}

var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// event sends c, rendered, as the event name. Each line of the HTML
// becomes a data line; the browser joins them again with newlines.
func (s *eventStream) event(ctx context.Context, name string, c templ.Component) error {
	var html strings.Builder
	if err := c.Render(ctx, &html); err != nil {
		return err
	}
	return s.data(name, html.String())
}

func (s *eventStream) data(name, data string) error {
	s.buf.Reset()
	s.buf.WriteString("event: " + name + "\n")
	for line := range strings.Lines(lineBreaks.Replace(data)) {
		s.buf.WriteString("data: ")
		s.buf.WriteString(strings.TrimSuffix(line, "\n"))
		s.buf.WriteByte('\n')
	}
	s.buf.WriteByte('\n')
	return s.flush()
}

// mark sends the owner's mark m as the event mark, with m as its id: the
// browser's Last-Event-ID, and what the page's script gives as the
// stream's after when it opens the stream anew.
func (s *eventStream) mark(m string) error {
	return s.raw("id: " + m + "\nevent: mark\ndata: " + m + "\n\n")
}

// raw sends text as it is: a comment or a field.
func (s *eventStream) raw(text string) error {
	s.buf.Reset()
	s.buf.WriteString(text)
	return s.flush()
}

func (s *eventStream) flush() error {
	err := web.WriteEvent(s.w, s.rc, s.buf.Bytes())
	if err != nil {
		s.broken = true
	}
	return err
}
