package main

import "syscall"

// raiseOpenFiles raises the soft limit on open files to the hard limit and
// returns both. Every connection holds a file, so a server held to the
// usual soft limit of 1024 stops accepting connections once that many
// clients hold one, slow ones included, and its health check with them.
// Go raises the soft limit to one below the hard limit as it starts; this
// takes the last one, and lets the limit be logged.
func raiseOpenFiles() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		raised := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return lim.Cur, lim.Max, err
		}
		lim = raised
	}
	return lim.Cur, lim.Max, nil
}
