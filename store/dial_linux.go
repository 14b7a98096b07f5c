package store

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// giveUpUnacknowledged has a connection fail once what it sent has gone
// unacknowledged for d (TCP_USER_TIMEOUT): a query sent to a database cut
// off by the network would otherwise be sent again for a quarter of an
// hour, and keep-alive probes, which wait for an idle connection, would
// never go.
func giveUpUnacknowledged(d time.Duration) func(network, address string, c syscall.RawConn) error {
	return func(network, _ string, c syscall.RawConn) error {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil // a Unix socket: no network to be cut off
		}
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
		})
		if err != nil {
			return err
		}
		return serr
	}
}
