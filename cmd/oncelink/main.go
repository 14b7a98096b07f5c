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
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "oncelink:", err)
		}
		os.Exit(2)
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
