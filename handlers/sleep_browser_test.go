package handlers

import (
	"bytes"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"oncelink/internal/browsertest"
	"oncelink/internal/proxytest"
)

// deafProxy forwards a browser's connections to a server, and on deafen
// stops carrying what the event streams open then say, either way, while
// it keeps their connections open: as a stream is after its machine slept,
// or after a network dropped it without a word, when the browser still
// holds it open and hears nothing more. Every other connection, and every
// one made after, is carried as before.
type deafProxy struct {
	URL string
	mu  sync.Mutex
	// streams are the connections whose latest request is an event
	// stream's, and deaf the ones deafen silenced.
	streams map[net.Conn]bool
	deaf    map[net.Conn]bool
}

func newDeafProxy(t *testing.T, addr string) *deafProxy {
	t.Helper()
	p := &deafProxy{streams: map[net.Conn]bool{}, deaf: map[net.Conn]bool{}}
	p.URL = "http://" + proxytest.Raw(t, func(c net.Conn) {
		s, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			return
		}
		go p.carry(c, s, c, true)
		go p.carry(c, s, s, false)
	})
	return p
}

// carry copies what from says to the other of client and server, noting
// which client connections carry an event stream, until either ends.
func (p *deafProxy) carry(client, server, from net.Conn, fromClient bool) {
	to := server
	if !fromClient {
		to = client
	}
	defer client.Close()
	defer server.Close()
	// A closed connection streams nothing: deafen counts only open ones.
	defer func() {
		p.mu.Lock()
		delete(p.streams, client)
		p.mu.Unlock()
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := from.Read(buf)
		if err != nil {
			return
		}
		chunk := buf[:n]
		p.mu.Lock()
		// A request starts with its method and its path.
		if i := bytes.Index(chunk, []byte(" /")); fromClient && i > 0 && i < 8 {
			p.streams[client] = bytes.HasPrefix(chunk, []byte("GET /links/events"))
		}
		deaf := p.deaf[client]
		p.mu.Unlock()
		if deaf {
			continue
		}
		if _, err := to.Write(chunk); err != nil {
			return
		}
	}
}

// deafen silences the event streams open now.
func (p *deafProxy) deafen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c, stream := range p.streams {
		if stream {
			p.deaf[c] = true
			n++
		}
	}
	return n
}

// TestDashboardHearsADeadStream: a dashboard whose stream went silent
// without ending, as after the machine slept, notices within a few of the
// server's beats, opens it again, and shows what it missed meanwhile, and
// then what comes after.
func TestDashboardHearsADeadStream(t *testing.T) {
	start := time.Now()
	s := newTestServer(t)
	s.h.heartbeat = 300 * time.Millisecond
	proxy := newDeafProxy(t, s.Listener.Addr().String())
	ctx := browsertest.New(t)
	b := newTab(t, ctx, s)
	b.do(chromedp.Navigate(proxy.URL+"/setup"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "ada"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=empty]")),
	)
	b.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	link, row := b.create("asleep", "1h", "Asleep")
	// A beat or two arrive before the stream goes deaf.
	time.Sleep(time.Second)
	if n := proxy.deafen(); n != 1 {
		t.Fatalf("%d event streams open, want the dashboard's", n)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	opener := s.client()
	opener.get(link)
	if res := opener.post(link, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d, want 303 to the link's page", res.StatusCode)
	}
	d := b.wait(`document.getElementById("`+row+`").dataset.status === "used"`, 5*time.Second)
	t.Logf("the use showed %v after the stream went deaf", d)
	b.wait(`document.querySelector("[data-testid=live]").textContent === "Live"`, 5*time.Second)
	if !eval[bool](b, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	// The stream opened again carries what comes next.
	link, row = b.create("awake", "1h", "Awake")
	opener.get(link)
	if res := opener.post(link, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d, want 303 to the link's page", res.StatusCode)
	}
	b.wait(`document.getElementById("`+row+`").dataset.status === "used"`, 5*time.Second)
	b.clean("dashboard")
	t.Logf("done after %v", time.Since(start))
}
