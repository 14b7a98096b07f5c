package client

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Stream is a followed event stream: the key owner's links arrive on C,
// each time one changes, until the stream ends and C is closed. Err then
// says why.
type Stream struct {
	C   <-chan Link
	err error
}

// Err is why the stream ended: ctx's error, or the server's refusal (an
// *APIError, 401 once the key stops working). Read it once C is closed.
func (s *Stream) Err() error { return s.err }

// Reconnection. The server asks for its own delay (retry:), which a
// stream that keeps failing doubles up to maxRetry. A refusal to connect
// with a Retry-After (a 429 or a 5xx) is waited out instead, up to
// maxRetryAfter: a proxy's date next week would otherwise leave the
// stream asleep for a week, with nothing said. A stream that sends
// nothing for streamIdle, although the server beats every 25 s, is taken
// for dead: a connection can die without either side being told.
const (
	defaultRetry  = 2 * time.Second
	maxRetry      = 30 * time.Second
	maxRetryAfter = 5 * time.Minute
	streamIdle    = time.Minute
)

// Follow is how Events follows the stream.
type Follow struct {
	// Watch are links sent on C as they are each time the stream is up:
	// see Events.
	Watch []int64
	// Lost, if set, is told why when the stream dropped and could not be
	// connected again at once: the server is away, and the stream goes
	// on trying. Back, if set, is called when it is up again after that.
	// Both are called on the stream's goroutine.
	Lost func(err error)
	Back func()
}

// Events follows the key owner's links: GET /api/v1/events. The first
// connection is made before Events returns, so a refused key is its
// error. A stream that drops is connected again, until ctx ends or the
// server refuses.
//
// The server does not replay what happened while a stream was down, so
// each time the stream is up, first and after every reconnection, the
// links f.Watch names are read again and sent on C as well. Whoever waits
// for one of them to change therefore misses nothing: not a change before
// the stream was up, nor one during a break.
func (c *Client) Events(ctx context.Context, f Follow) (*Stream, error) {
	first, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan Link)
	s := &Stream{C: ch}
	go func() {
		defer close(ch)
		s.err = c.follow(ctx, first, f, ch)
	}()
	return s, nil
}

// connection is one connection of the stream, with the cancel that ends it.
type connection struct {
	res    *http.Response
	cancel context.CancelFunc
	// idle ends the connection unless reset in time.
	idle *time.Timer
}

func (c *Client) connect(ctx context.Context) (*connection, error) {
	u, err := c.url("/api/v1/events")
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	// The response header timeout does not cover a stream's body: the
	// idle timer does.
	idle := time.AfterFunc(streamIdle, cancel)
	res, err := c.do(req, true)
	if err != nil {
		idle.Stop()
		cancel()
		return nil, err
	}
	return &connection{res: res, cancel: cancel, idle: idle}, nil
}

func (conn *connection) close() {
	conn.idle.Stop()
	conn.cancel()
	conn.res.Body.Close()
}

// follow reads conn, and the connections after it, onto ch until ctx ends
// or the server refuses.
func (c *Client) follow(ctx context.Context, conn *connection, f Follow, ch chan<- Link) error {
	retry := defaultRetry
	var quick time.Time // when the stream last reconnected at once
	for {
		err := c.reread(ctx, f.Watch, ch)
		if err == nil {
			err = readStream(conn, ch, &retry)
		}
		conn.close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if permanent(err) {
			return err
		}
		// A dropped stream reconnects at once, to miss as little as can
		// be; but at most once in a retry period, so as not to spin
		// against a server that drops every stream.
		wait := time.Duration(0)
		if time.Since(quick) < retry {
			wait = retry
		} else {
			quick = time.Now()
		}
		lost := false
		for {
			if err := sleep(ctx, wait); err != nil {
				return err
			}
			conn, err = c.connect(ctx)
			if err == nil {
				break
			}
			if permanent(err) {
				return err
			}
			wait = nextWait(err, wait, retry)
			if !lost && f.Lost != nil {
				f.Lost(err)
			}
			lost = true
		}
		if lost && f.Back != nil {
			f.Back()
		}
	}
}

// nextWait is how long to wait before connecting again, after wait, when
// connecting failed with err: what its Retry-After asks, up to
// maxRetryAfter, or else twice wait, from retry up to maxRetry. A
// Retry-After beyond maxRetryAfter is cut in err too, so that what err
// says (Lost is told it) is the wait kept, not a proxy's date next week.
func nextWait(err error, wait, retry time.Duration) time.Duration {
	var e *APIError
	if errors.As(err, &e) && e.RetryAfter > 0 {
		e.RetryAfter = min(e.RetryAfter, maxRetryAfter)
		return e.RetryAfter
	}
	return min(max(2*wait, retry), maxRetry)
}

// reread sends the watched links as they are now.
func (c *Client) reread(ctx context.Context, watch []int64, ch chan<- Link) error {
	for _, id := range watch {
		l, err := c.Link(ctx, id)
		if err != nil {
			return err
		}
		select {
		case ch <- l:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// errStreamEnded is a stream that ended without a word, as a restarting
// server ends it: worth connecting again.
var errStreamEnded = errors.New("the event stream ended")

// readStream sends the link events of conn to ch until the connection
// ends. retry is set to the delay the server asks for.
func readStream(conn *connection, ch chan<- Link, retry *time.Duration) error {
	sc := bufio.NewScanner(conn.res.Body)
	sc.Buffer(make([]byte, 4096), 1<<20)
	var event, code string
	var data []string
	for sc.Scan() {
		conn.idle.Reset(streamIdle)
		line := sc.Text()
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			if line != "" {
				continue // a comment, such as the heartbeat
			}
			if err := dispatch(event, code, strings.Join(data, "\n"), conn, ch); err != nil {
				return err
			}
			event, code, data = "", "", nil
		case "event":
			event = value
		case "data":
			data = append(data, value)
		case "code":
			// The end event's: why the key or session stopped working.
			code = value
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil && ms > 0 {
				*retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errStreamEnded
}

// dispatch handles one event of the stream; code is its "code" field.
func dispatch(event, code, data string, conn *connection, ch chan<- Link) error {
	switch event {
	case "link":
		var l Link
		if err := json.Unmarshal([]byte(data), &l); err != nil {
			return err
		}
		select {
		case ch <- l:
		case <-conn.res.Request.Context().Done():
			return conn.res.Request.Context().Err()
		}
	case "end":
		// The refusal a request with the key now gets, with its code:
		// account_disabled, or key_refused (as from a server that sends
		// none).
		return &APIError{Status: http.StatusUnauthorized, Code: cmp.Or(code, "key_refused"), Detail: OneLine(data),
			server: conn.res.Request.URL.Scheme + "://" + conn.res.Request.URL.Host, problem: true}
	}
	return nil
}

// permanent reports whether err is a refusal that trying again will not
// change: anything the server refuses but a 429 or a 5xx.
func permanent(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status < 500 && e.Status != http.StatusTooManyRequests
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
