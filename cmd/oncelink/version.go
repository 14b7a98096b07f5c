package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionCommand prints which oncelink this is, as a bug report wants it.
func versionCommand(*flag.FlagSet) runFunc {
	return func(_ context.Context, p *proc, args []string) error {
		if len(args) > 0 {
			return unexpectedArg(p, args[0])
		}
		fmt.Fprintln(p.stdout, "oncelink", version(debug.ReadBuildInfo()))
		return nil
	}
}

// isVersion reports whether arg asks for the version as a flag would.
func isVersion(arg string) bool { return arg == "-version" || arg == "--version" }

// version is the version of the build that bi describes, the commit it was built from when the
// version does not name it, and the Go release and platform it was built
// for: "v1.4.0 go1.26.8 linux/amd64", or for a build of a checkout
// "(devel) 7896187abcde+modified go1.26.8 linux/amd64". go run stamps no
// commit.
func version(bi *debug.BuildInfo, ok bool) string {
	v := "(devel)"
	var rev string
	modified := false
	if ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	// A version built from a commit without a tag names the commit
	// already: v0.0.0-20261205004919-7896187abcde+dirty.
	if rev != "" && !strings.Contains(v, rev) {
		if modified {
			rev += "+modified"
		}
		v += " " + rev
	}
	return v + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
