package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// isTerminal reports whether f, a standard stream, is a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// readSecret reads a key or a password: typed at a prompt that does not
// echo it when stdin is a terminal, else the first line of stdin. Either
// read ends with ctx.
func readSecret(ctx context.Context, stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	if !isTerminal(stdin) {
		line, err := bufio.NewReader(io.LimitReader(&stoppable{ctx: ctx, r: stdin}, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fd := int(stdin.(*os.File).Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	fmt.Fprint(stderr, prompt)
	b, err := interruptible(ctx, func() ([]byte, error) { return term.ReadPassword(fd) })
	if err != nil {
		// Ctrl-C: the read is left behind, and echo must come back.
		term.Restore(fd, state)
	}
	fmt.Fprintln(stderr)
	return strings.TrimRight(string(b), "\r\n"), err
}

// interruptible returns what read returns, or ctx's error as soon as ctx
// ends: a read of a terminal does not stop for Ctrl-C, which oncelink
// catches to end its commands.
func interruptible[T any](ctx context.Context, read func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// stoppable is a reader of r, a pipe or a terminal, whose reads end with
// ctx's error as soon as ctx ends: a read that waits for a writer does not
// stop for Ctrl-C. A read left behind fills a buffer of the reader's own,
// never the caller's, and no read follows it.
type stoppable struct {
	ctx context.Context
	r   io.Reader
	buf []byte
}

func (s *stoppable) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if len(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	buf := s.buf[:len(p)]
	n, err := interruptible(s.ctx, func() (int, error) { return s.r.Read(buf) })
	copy(p, buf[:n])
	return n, err
}
