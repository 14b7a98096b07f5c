package proxytest

import (
	"net"
	"sync"
	"testing"
)

// Raw accepts connections on a loopback address, which it returns, and
// gives each to handle, until the test ends; a connection handle leaves
// open is closed then. It stands in for a server or a proxy that speaks
// TCP its own way: one that never answers, cuts a connection short, or
// stops carrying what a connection says. handle runs on the accepting
// goroutine, so one that takes its time starts a goroutine of its own.
func Raw(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			handle(c)
		}
	}()
	return ln.Addr().String()
}
