package main

import (
	"bufio"
	"cmp"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowClients measures what clients that trickle their bodies do to
// the server. Set ONCELINK_SLOW_CLIENTS to run it: that many connections
// each send a form post's head, then one byte of its body every two
// seconds, while a new connection asks /healthz once a second. It prints,
// every five seconds, the connections the server still holds and the
// files it has open, and at the end the health checks' latencies.
//
//	ONCELINK_SLOW_CLIENTS=1500 ONCELINK_SLOW_NOFILE=1024:1024 go test -run TestSlowClients -v ./cmd/oncelink
//
// ONCELINK_SLOW_NOFILE (SOFT:HARD) starts the server under prlimit with
// that open-file limit; ONCELINK_SLOW_PATH is the route posted to
// (/login); ONCELINK_SLOW_FOR how long to measure (90s);
// ONCELINK_SLOW_BINARY another build of oncelink to measure.
func TestSlowClients(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ONCELINK_SLOW_CLIENTS"))
	if n <= 0 {
		t.Skip("set ONCELINK_SLOW_CLIENTS to measure slow clients")
	}
	path := cmp.Or(os.Getenv("ONCELINK_SLOW_PATH"), "/login")
	span, err := time.ParseDuration(cmp.Or(os.Getenv("ONCELINK_SLOW_FOR"), "90s"))
	if err != nil {
		t.Fatal(err)
	}
	var command []string
	if lim := os.Getenv("ONCELINK_SLOW_NOFILE"); lim != "" {
		command = append(command, "prlimit", "--nofile="+lim)
	}
	bin := os.Getenv("ONCELINK_SLOW_BINARY")
	if bin == "" {
		bin = oncelinkBinary(t)
	}
	srv := startCommand(t, append(command, bin), filepath.Join(t.TempDir(), "oncelink.db"))
	signUp(t, srv)
	addr := srv.URL[len("http://"):]
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nu", path, addr)

	var held, answered, refused atomic.Int64
	statuses := sync.Map{}
	conns := make(chan net.Conn, n)
	var dialing sync.WaitGroup
	for range n {
		dialing.Go(func() {
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				refused.Add(1)
				return
			}
			if _, err := c.Write([]byte(head)); err != nil {
				refused.Add(1)
				c.Close()
				return
			}
			held.Add(1)
			conns <- c
			go func() {
				// The connection is held until the server answers or
				// closes it.
				res, err := http.ReadResponse(bufio.NewReader(c), nil)
				held.Add(-1)
				if err == nil {
					answered.Add(1)
					v, _ := statuses.LoadOrStore(res.StatusCode, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
				}
				c.Close()
			}()
		})
	}
	dialing.Wait()
	close(conns)
	var all []net.Conn
	for c := range conns {
		all = append(all, c)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for _, c := range all {
					c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
					c.Write([]byte("a"))
				}
			}
		}
	}()

	health := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var took []time.Duration
	failed := 0
	start := time.Now()
	t.Logf("%d connections opened (%d could not connect), trickling to %s", len(all), refused.Load(), path)
	for sec := 1; time.Since(start) < span; sec++ {
		t0 := time.Now()
		res, err := health.Get(srv.URL + "/healthz")
		d := time.Since(t0)
		if err != nil || res.StatusCode != http.StatusOK {
			failed++
			d = health.Timeout
		}
		if err == nil {
			res.Body.Close()
		}
		took = append(took, d)
		if sec%5 == 0 {
			fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.cmd.Process.Pid))
			t.Logf("%3.0fs: %4d held, %4d answered, server has %4d files open; /healthz %s",
				time.Since(start).Seconds(), held.Load(), answered.Load(), len(fds), d.Round(time.Millisecond))
		}
		time.Sleep(time.Second - min(d, time.Second))
	}
	slices.Sort(took)
	pick := func(q float64) time.Duration { return took[int(q*float64(len(took)-1))].Round(time.Millisecond) }
	codes := ""
	statuses.Range(func(k, v any) bool { codes += fmt.Sprintf(" %d×%d", v.(*atomic.Int64).Load(), k); return true })
	t.Logf("/healthz: %d checks, %d failed or over %s; p50 %s, p90 %s, max %s", len(took), failed, health.Timeout, pick(0.5), pick(0.9), pick(1))
	t.Logf("connections: %d still held after %s; answers:%s", held.Load(), span, codes)
}
