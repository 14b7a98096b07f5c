package handlers

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"oncelink/core"
)

// BenchmarkDashboardFirstPage is the server's time for GET /links, the
// whole handler stack without the network, for an owner with 100, 1,000
// and 10,000 links. The page reads one indexed page of 50, so all should
// cost the same. (The 100 case allocates about 400 times less: its rows'
// ids are below 100, which strconv formats without allocating.)
func BenchmarkDashboardFirstPage(b *testing.B) {
	for _, n := range []int{100, 1000, 10_000} {
		b.Run(fmt.Sprintf("links=%d", n), func(b *testing.B) {
			s := newTestServer(b)
			c := s.admin()
			s.seedLinks("ada", n)
			h := s.h.Routes(nil)
			req := httptest.NewRequest(http.MethodGet, s.URL+"/links", nil)
			u, _ := url.Parse(s.URL)
			for _, ck := range c.c.Jar.Cookies(u) {
				req.AddCookie(ck)
			}
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), fmt.Sprintf(`data-name="seed %d"`, n)) {
					b.Fatalf("dashboard: %d", w.Code)
				}
			}
		})
	}
}

// rawStream is a dashboard's event stream on a bare TCP connection, so that
// the client side costs little next to the server's.
type rawStream struct {
	conn net.Conn
	r    *bufio.Reader
}

// openRawStream opens the event stream at path with the session cookie and
// reads up to the stream's clock event, so that the server's loop is
// running.
func openRawStream(tb testing.TB, s *testServer, cookie, path string) rawStream {
	tb.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nAccept: text/event-stream\r\n\r\n", path, s.Listener.Addr(), cookie)
	r := bufio.NewReaderSize(conn, 512)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			tb.Fatalf("event stream: %v", err)
		}
		if strings.HasPrefix(line, "event: signed-out") {
			tb.Fatal("event stream: signed out")
		}
		if strings.HasPrefix(line, "event: clock") {
			return rawStream{conn: conn, r: r}
		}
	}
}

// sessionCookie is c's session cookie as a Cookie header.
func (c *testClient) sessionCookie() string {
	u, _ := url.Parse(c.srv.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == "oncelink_session" {
			return ck.Name + "=" + ck.Value
		}
	}
	c.t.Fatal("no session cookie")
	return ""
}

// BenchmarkFanOut500 measures, with 500 dashboards of one owner open over
// HTTP, the time from the start of a recipient's POST that uses a link to
// the moment the last of the 500 streams has read the link's new row. The
// 500 readers run in the same process, on the same cores, as the server.
func BenchmarkFanOut500(b *testing.B) {
	const dashboards = 500
	s := newTestServer(b, func(c *core.Config) {
		c.RateLimits = false
		// One owner's dashboards, all from here: past MaxStreams.
		c.Streams = core.StreamLimits{PerAccount: dashboards, PerAddress: dashboards}
	})
	c := s.admin()
	cookie, path := c.sessionCookie(), c.streamPath()
	got := make(chan string, dashboards)
	for range dashboards {
		st := openRawStream(b, s, cookie, path)
		defer st.conn.Close()
		go func() {
			for {
				line, err := st.r.ReadString('\n')
				if err != nil {
					return
				}
				if name, ok := strings.CutPrefix(line, "event: "); ok {
					got <- strings.TrimSpace(name)
				}
			}
		}()
	}
	// wait reads one event from each dashboard.
	wait := func(want string) {
		for range dashboards {
			select {
			case name := <-got:
				if name != want {
					b.Fatalf("event %s, want %s", name, want)
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("not every dashboard got %s within 10s", want)
			}
		}
	}
	var link, event string
	uses := 100
	var took []time.Duration
	for b.Loop() {
		if uses == 100 {
			b.StopTimer()
			link = c.createLink(url.Values{"max_uses": {"100"}})
			event = "link-" + c.firstRowID()
			wait("created")
			uses = 0
			b.StartTimer()
		}
		start := time.Now()
		res, err := http.Post(link, "application/x-www-form-urlencoded", nil)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("use: %d", res.StatusCode)
		}
		uses++
		wait(event)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "p90-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkStreamMemory opens 500 dashboards' event streams and reports
// how much more memory (heap and goroutine stacks, after a collection) the
// process holds per open stream. The client ends are bare TCP connections
// with a 512-byte buffer and no goroutine, which count in the figure too.
func BenchmarkStreamMemory(b *testing.B) {
	const dashboards = 500
	s := newTestServer(b, func(c *core.Config) {
		// One owner's dashboards, all from here: past MaxStreams.
		c.Streams = core.StreamLimits{PerAccount: dashboards, PerAddress: dashboards}
	})
	c := s.admin()
	c.createLink(nil)
	cookie, path := c.sessionCookie(), c.streamPath()
	goroutines := runtime.NumGoroutine()
	var heap, stack float64
	for b.Loop() {
		heap0, stack0 := inUse()
		streams := make([]rawStream, dashboards)
		for i := range streams {
			streams[i] = openRawStream(b, s, cookie, path)
		}
		heap1, stack1 := inUse()
		heap += float64(heap1-heap0) / dashboards
		stack += float64(stack1-stack0) / dashboards
		for _, st := range streams {
			st.conn.Close()
		}
		// Let the server's ends of the streams finish before the next round.
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > goroutines && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.ReportMetric((heap+stack)/float64(b.N), "B/stream")
	b.ReportMetric(heap/float64(b.N), "heap-B/stream")
	b.ReportMetric(stack/float64(b.N), "stack-B/stream")
}

// inUse is the heap and the goroutine stack memory in use after a garbage
// collection.
func inUse() (heap, stack int64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse), int64(m.StackInuse)
}
