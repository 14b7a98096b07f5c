// Command oncelink serves one-time links, manages its accounts, and shares
// and opens links from a terminal.
//
//	oncelink [serve] [flags]             run the server
//	oncelink user list|add|passwd|disable|enable|key ...
//	oncelink login URL                   sign in to a server with an API key
//	oncelink share|open|links|revoke|events ...
//	oncelink help [COMMAND]              every command, or one's flags
//
// commandTable lists them all. Every flag of serve has an environment twin:
// --base-url is ONCELINK_BASE_URL. The user commands read ONCELINK_DB only;
// the client commands ONCELINK_URL and ONCELINK_API_KEY, over the file that
// login writes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	// The zone database, for the time zones that texts and mails write
	// times in: the server needs no tzdata package on its machine or
	// image.
	_ "time/tzdata"

	"oncelink/i18n"
)

func main() {
	tuneGC(os.Getenv)
	// The first signal ends the command, with the signal as the cause
	// that its exit status follows (see interruption); later ones are
	// caught, so that a second Ctrl-C does not kill a command that is
	// cleaning up.
	ctx, cancel := context.WithCancelCause(context.Background())
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, os.Interrupt, syscall.SIGTERM)
	go func() { cancel(stopSignal{<-caught}) }()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, errStdoutClosed) {
		// The command said what was lost, if anything was. A write to
		// the closed pipe, no longer caught (see catchSIGPIPE), ends
		// oncelink by SIGPIPE; where SIGPIPE is ignored, it ends with the
		// status a shell would report.
		os.Stdout.Write([]byte("\n"))
		os.Exit(exitPipeClosed)
	}
	if err != nil {
		// Line by line: a problem's text may come from any server.
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = printableQuoting(l)
		}
		fmt.Fprintln(os.Stderr, "oncelink:", strings.Join(lines, "\n"))
	}
	os.Exit(exitCode(err))
}

// cliLanguage is the language the commands speak to people: that of the
// locale in the first of LC_ALL, LC_MESSAGES and LANG that is set, such as
// de_DE.UTF-8, unless LANGUAGE names one oncelink speaks first; "C" and
// "POSIX" are English, as is a language oncelink does not speak.
func cliLanguage(getenv func(string) string) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		if base := localeName(v); base == "C" || base == "POSIX" {
			return "en"
		}
		// As with gettext, LANGUAGE ("fr:de") lists the languages to
		// try first, once a locale is set.
		prefs := strings.FieldsFunc(getenv("LANGUAGE"), func(r rune) bool { return r == ':' })
		for i, p := range prefs {
			prefs[i] = localeName(p)
		}
		return i18n.Match(append(prefs, localeName(v))...)
	}
	return "en"
}

// localeName is a locale without its codeset and modifier: "de_DE" of
// "de_DE.UTF-8@euro".
func localeName(v string) string {
	v, _, _ = strings.Cut(v, "@")
	v, _, _ = strings.Cut(v, ".")
	return v
}

// gcPercent is the GOGC oncelink runs with unless GOGC is set. Its live
// heap is a MiB or two while serving, so the heap's minimum (4 MiB at Go's
// default of 100, scaled by GOGC) sets the pace: at 100 it collects dozens
// of times a second under load. At 200 the collector takes about 3 % of two
// cores under oncelink-bench and peak memory stays under 48 MiB; at 400 it
// took 1 %, for 8 MiB more.
const gcPercent = 200

// tuneGC applies gcPercent, unless the GOGC environment variable decides.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
