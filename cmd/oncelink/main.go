// Command oncelink serves one-time links, and manages its accounts.
//
//	oncelink [serve] [flags]             run the server
//	oncelink user add NAME [--admin] [--password-stdin]
//
// Every flag of serve has an environment twin: --base-url is
// ONCELINK_BASE_URL. user add reads ONCELINK_DB only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "oncelink:", err)
		}
		os.Exit(2)
	}
}

// gcPercent is the GOGC oncelink runs with unless GOGC is set. Its live
// heap is small, about a MiB while serving, so under Go's default of 100
// the heap's 4 MiB floor sets the pace: under load it collects dozens of
// times a second. At 400 it collects a quarter as often, for about 12 MiB
// more memory, and spends less CPU on every request.
const gcPercent = 400

// tuneGC applies gcPercent, unless the GOGC environment variable decides.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// run is the whole program, with its surroundings passed in so that tests
// can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "serve" || (len(args[0]) > 0 && args[0][0] == '-') {
		if len(args) > 0 && args[0] == "serve" {
			args = args[1:]
		}
		cfg, err := parseConfig(args, getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stderr)
	}
	if args[0] == "user" && len(args) > 1 && args[1] == "add" {
		return userAdd(ctx, args[2:], getenv, stdin, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q; try: oncelink serve, oncelink user add NAME", args[0])
}
