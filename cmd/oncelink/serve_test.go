package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestShutdownEndsEventStreams runs the server, opens a dashboard's event
// stream, and stops the server: the stream ends and the server stops at
// once, rather than waiting out its grace period for the stream.
func TestShutdownEndsEventStreams(t *testing.T) {
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "oncelink.db")},
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	logs := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, logs) }()

	var addr string
	for start := time.Now(); addr == ""; {
		if m := regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		} else if time.Since(start) > 10*time.Second {
			t.Fatalf("the server did not start: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	res, err := client.PostForm("http://"+addr+"/setup", url.Values{"username": {"ada"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = client.Get("http://" + addr + "/links/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	stream := bufio.NewReader(res.Body)
	for {
		line, err := stream.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v", err)
		}
		if strings.HasPrefix(line, "event: signed-out") {
			t.Fatal("the stream has no session")
		}
		if strings.HasPrefix(line, "event: clock") {
			break
		}
	}

	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(shutdownGrace):
		t.Fatal("the server waited for the open event stream")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutting down took %v", d)
	}
	for {
		if _, err := stream.ReadString('\n'); err != nil {
			break
		}
	}
}
