//go:build unix

package core

import (
	"os"
	"syscall"
)

// lockSpool locks f, a new upload spool, for as long as it is open, so that
// SweepUploads, in this process or another, leaves it alone. The lock ends
// with the file's last descriptor, however its process ends.
func lockSpool(f *os.File) error { return flock(f) }

// spoolFree reports whether no open file holds the lock of f, another
// descriptor of a spool; it takes the lock when it is free.
func spoolFree(f *os.File) bool { return flock(f) == nil }

func flock(f *os.File) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	if err := raw.Control(func(fd uintptr) {
		lockErr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
	}); err != nil {
		return err
	}
	return lockErr
}
