package store

import (
	"context"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"oncelink/internal/pgtest"
)

// Every connection to PostgreSQL fails once what it sent goes
// unacknowledged for 25 seconds, and probes the database while it waits.
func TestPostgresConnectionsGiveUp(t *testing.T) {
	s := openPostgresTest(t, pgtest.DSN(t))
	c, err := s.Pool().Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	raw, err := c.Conn().PgConn().Conn().(interface {
		SyscallConn() (syscall.RawConn, error)
	}).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var timeout, keepAlive int
	var serr error
	raw.Control(func(fd uintptr) {
		timeout, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT)
		if serr == nil {
			keepAlive, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_KEEPALIVE)
		}
	})
	if serr != nil || timeout != 25000 || keepAlive != 1 {
		t.Errorf("TCP_USER_TIMEOUT %d ms, SO_KEEPALIVE %d, %v", timeout, keepAlive, serr)
	}
}
