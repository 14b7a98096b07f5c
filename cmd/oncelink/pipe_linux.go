package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// readerGone reports whether w is a pipe that nothing reads any more, as
// when the command after | has ended: what is written to it is lost.
// Linux marks the write end of such a pipe with POLLERR.
func readerGone(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLOUT}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLERR != 0
}
