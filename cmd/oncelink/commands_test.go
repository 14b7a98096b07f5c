package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"oncelink/client"
	"oncelink/core"
	"oncelink/i18n"
)

// result is what a command did: its standard output and error, and the
// exit status main would end with.
type result struct {
	stdout, stderr string
	code           int
	err            error
}

// runCLI runs oncelink in-process with args, the environment env and
// standard input stdin.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(err), err: err}
}

// leafPaths are the names of every command that runs, "user add" and the like.
func leafPaths(cmds []command, parent string) []string {
	var paths []string
	for _, c := range cmds {
		name := strings.TrimSpace(parent + " " + c.name)
		if c.subcommands == nil {
			paths = append(paths, name)
		}
		paths = append(paths, leafPaths(c.subcommands, name)...)
	}
	return paths
}

func TestHelpListsEveryCommand(t *testing.T) {
	paths := leafPaths(commandTable(), "")
	for _, want := range []string{"serve", "user list", "user add", "user passwd", "user disable", "user enable", "completion", "help",
		"login", "share", "open", "request", "requests", "withdraw", "links", "revoke", "events"} {
		if !slices.Contains(paths, want) {
			t.Fatalf("the table has no %q: %v", want, paths)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"-help"}} {
		r := runCLI(t, nil, "", args...)
		if r.code != exitDone || r.stderr != "" {
			t.Errorf("%v: status %d, stderr %q", args, r.code, r.stderr)
		}
		// Scripts branch on the exit status: help says what each means.
		for _, code := range []int{exitDone, exitFailed, exitUsage, exitGone, exitNotFound, exitSignedOut, exitInterrupted, exitPipeClosed, exitTerminated} {
			if !regexp.MustCompile(`\b` + strconv.Itoa(code) + ` [a-z]`).MatchString(r.stdout) {
				t.Errorf("%v does not say what exit status %d means", args, code)
			}
		}
		lines := strings.Split(r.stdout, "\n")
		for _, p := range paths {
			n := 0
			for _, line := range lines {
				if strings.HasPrefix(line, "  "+p+"  ") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%v lists %q on %d lines:\n%s", args, p, n, r.stdout)
			}
		}
	}
}

func TestCommandHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"help", "user", "add"}, []string{"usage: oncelink user add NAME [flags]", "--admin", "--password-stdin", "--create", "--db DB   ($ONCELINK_DB)"}},
		{[]string{"user", "add", "--help"}, []string{"usage: oncelink user add NAME [flags]", "--admin", "--password-stdin"}},
		{[]string{"user", "add", "dave", "-h"}, []string{"usage: oncelink user add NAME [flags]"}},
		{[]string{"help", "user", "passwd"}, []string{"usage: oncelink user passwd NAME [flags]", "--password-stdin"}},
		{[]string{"help", "user", "list"}, []string{"--json"}},
		{[]string{"help", "serve"}, []string{"usage: oncelink [serve] [flags]", "--addr ADDR   ($ONCELINK_ADDR)", "--max-ttl DURATION", "(default 30d)", "--rate-open N/DURATION"}},
		{[]string{"serve", "--help"}, []string{"--base-url URL"}},
		{[]string{"--addr", "127.0.0.1:1", "--help"}, []string{"usage: oncelink [serve] [flags]"}},
		{[]string{"help", "completion"}, []string{"usage: oncelink completion bash|zsh|fish"}},
		{[]string{"user", "--help"}, []string{"usage: oncelink user COMMAND", "  user list ", "  user disable "}},
		{[]string{"help", "user"}, []string{"  user passwd "}},
		{[]string{"help", "share"}, []string{"usage: oncelink share [TEXT] [flags]", "--file PATH", "--ttl DURATION", "--wait", "--password-stdin"}},
		{[]string{"open", "--help"}, []string{"usage: oncelink open URL [flags]", "  -o FILE\n"}},
		{[]string{"help", "login"}, []string{"usage: oncelink login URL [flags]", "--key-stdin"}},
		{[]string{"links", "-h"}, []string{"--status STATUS", "--json"}},
		{[]string{"requests", "-h"}, []string{"usage: oncelink requests [flags]", "--status STATUS", "--json"}},
		{[]string{"help", "withdraw"}, []string{"usage: oncelink withdraw ID\n"}},
	} {
		r := runCLI(t, nil, "", tc.args...)
		if r.code != exitDone || r.stderr != "" {
			t.Errorf("%v: status %d, stderr %q", tc.args, r.code, r.stderr)
		}
		for _, want := range tc.want {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%v: no %q in\n%s", tc.args, want, r.stdout)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "oncelink.db")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"bogus"}, []string{`unknown command "bogus"`, `"oncelink help"`}},
		{[]string{"user", "bogus"}, []string{`unknown command "user bogus"`, `"oncelink help user"`}},
		{[]string{"help", "bogus"}, []string{`unknown command "bogus"`, "usage: oncelink help"}},
		{[]string{"help", "user", "add", "more"}, []string{`unknown command "user add more"`}},
		{[]string{"user", "add", "--db", db}, []string{"NAME is missing", "usage: oncelink user add NAME [flags]", `"oncelink help user add"`}},
		{[]string{"user", "add", "dave", "erin", "--db", db}, []string{`unexpected argument "erin"`}},
		{[]string{"user", "add", "dave", "--bogus"}, []string{"unknown flag, not repeated here", "put -- before it", "usage: oncelink user add NAME"}},
		{[]string{"user", "add", "dave", "-bogus=1"}, []string{`unknown flag "-bogus"`}},
		{[]string{"user", "add", "dave", "--admni"}, []string{"did you mean --admin?", "put -- before it"}},
		{[]string{"user", "add", "dave", "--db"}, []string{"--db needs a value"}},
		{[]string{"user", "add", "dave", "--admin=maybe", "--db", db}, []string{`--admin: "maybe" is neither true nor false`}},
		{[]string{"share", "--uses", "many", "x"}, []string{`--uses: "many" is not a whole number`}},
		// Written as the web form and the API take it: 0x2 is not 2.
		{[]string{"share", "--uses", "0x2", "x"}, []string{`--uses: "0x2" is not a whole number`}},
		{[]string{"share", "--uses", "1_0", "x"}, []string{`--uses: "1_0" is not a whole number`}},
		{[]string{"share", "--uses", "+2", "x"}, []string{`--uses: "+2" is not a whole number`}},
		{[]string{"share", "--uses", "2.0", "x"}, []string{`--uses: "2.0" is not a whole number`}},
		{[]string{"share", "--uses", "99999999999999999999", "x"}, []string{"--uses must be from 1 to 100"}},
		{[]string{"--max-upload", "25MB"}, []string{`--max-upload: "25MB" is not a size such as 25MiB`}},
		{[]string{"--max-upload", "0"}, []string{`--max-upload: a size must be from 1KiB to 1024GiB, not "0"`}},
		// --oidc-client-id alone is refused after the limit is checked: a
		// limit let through fails here rather than serving.
		{[]string{"--max-e2e-upload", "2KiB", "--oidc-client-id", "x"}, []string{"--max-e2e-upload 2 KiB is too small for any file", "give at least 4132 bytes"}},
		{[]string{"--rate-open", "lots"}, []string{`--rate-open: "lots" is not a rate such as 10/1m (from 1 to 1000000 requests`}},
		{[]string{"user", "list", "extra", "--db", db}, []string{`unexpected argument "extra"`}},
		{[]string{"user", "passwd", "--db", db}, []string{"NAME is missing"}},
		{[]string{"serve", "extra"}, []string{`unexpected argument "extra"`, "usage: oncelink [serve] [flags]"}},
		{[]string{"--min-ttl", "soon"}, []string{`--min-ttl: "soon" is not a duration such as 90s`}},
		{[]string{"completion"}, []string{"bash, zsh or fish"}},
		{[]string{"user"}, []string{`COMMAND is missing: "oncelink help user" lists them`, "usage: oncelink user COMMAND", "user list", "user 2fa-reset"}},
		{[]string{"webhook"}, []string{"COMMAND is missing", "usage: oncelink webhook COMMAND", "webhook add"}},
		{[]string{"completion", "tcsh"}, []string{"bash, zsh or fish", "usage: oncelink completion bash|zsh|fish"}},
		{[]string{"share", "a", "b"}, []string{`unexpected argument "b"`, "usage: oncelink share [TEXT] [flags]"}},
		{[]string{"share", "text", "--url", "https://example.com"}, []string{"share one thing"}},
		{[]string{"share", "--password-stdin"}, []string{"--password-stdin"}},
		{[]string{"share", "--uses", "0", "x"}, []string{"--uses must be from 1 to 100"}},
		{[]string{"share", "--uses", "101", "x"}, []string{"--uses must be from 1 to 100"}},
		{[]string{"login"}, []string{"URL is missing"}},
		{[]string{"login", "share.example.com"}, []string{"does not say http:// or https://", "https://share.example.com"}},
		{[]string{"login", "share example"}, []string{"is not a server's address"}},
		// A key given where none is read is not repeated.
		{[]string{"login", "https://share.example.com", "ol_" + strings.Repeat("k", 43)}, []string{`unexpected argument "ol_…"`}},
		{[]string{"open"}, []string{"URL is missing"}},
		{[]string{"revoke"}, []string{"ID is missing"}},
		{[]string{"events", "abc"}, []string{`"abc" is not a link's ID`}},
		{[]string{"revoke", "+7"}, []string{`"+7" is not a link's ID`}},
		{[]string{"revoke", "007"}, []string{`"007" is not a link's ID`}},
		{[]string{"events", "7.0"}, []string{`"7.0" is not a link's ID`}},
		{[]string{"webhook", "delete", "07"}, []string{`"07" is not`}},
		{[]string{"links", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"requests", "extra"}, []string{`unexpected argument "extra"`, "usage: oncelink requests [flags]"}},
		{[]string{"withdraw"}, []string{"ID is missing: oncelink requests lists them", "usage: oncelink withdraw ID"}},
		{[]string{"withdraw", "abc"}, []string{`"abc" is not a request's ID`}},
		{[]string{"withdraw", "0"}, []string{`"0" is not a request's ID`}},
		{[]string{"withdraw", "1", "2"}, []string{`unexpected argument "2"`}},
	} {
		r := runCLI(t, nil, "", tc.args...)
		if r.code != exitUsage || r.stdout != "" {
			t.Errorf("%v: status %d, want %d; stdout %q", tc.args, r.code, exitUsage, r.stdout)
		}
		for _, want := range tc.want {
			if r.err == nil || !strings.Contains(r.err.Error(), want) {
				t.Errorf("%v: error %v, want it to say %q", tc.args, r.err, want)
			}
		}
	}
}

// TestWholeFlag: --uses reads a number as the web form and the API do,
// in digits: 010 is 10, not the flag package's 8.
func TestWholeFlag(t *testing.T) {
	for s, want := range map[string]int{"3": 3, "010": 10, "100": 100} {
		n := 1
		if err := (wholeFlag{&n}).Set(s); err != nil || n != want {
			t.Errorf("--uses %s is %d (%v), want %d", s, n, err, want)
		}
	}
}

// TestRepeatedFlagsAreRefused: every flag takes one value, so a flag
// given twice, whichever way it is written, is a usage error in the
// reader's language rather than the last value taken unsaid, for the
// server's flags, the operator's and the client's alike. Were one let
// through, the command would fail otherwise: its server refuses
// connections, its database is not there, and serve stops at a flag that
// needs another.
func TestRepeatedFlagsAreRefused(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no saved sign-in of the tester's
	env := map[string]string{"ONCELINK_URL": "http://127.0.0.1:1", "ONCELINK_API_KEY": "ol_" + strings.Repeat("A", 43)}
	db := filepath.Join(t.TempDir(), "oncelink.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"share", "--ttl", "1h", "--ttl", "2h", "x"}, "--ttl is given more than once"},
		{[]string{"share", "-ttl=1h", "x", "--ttl=1h"}, "--ttl is given more than once"},
		{[]string{"share", "--json", "x", "--json"}, "--json is given more than once"},
		{[]string{"open", "http://127.0.0.1:1/l/x", "-o", "a", "-o", "b"}, "-o is given more than once"},
		{[]string{"webhook", "add", "https://example.com", "--events", "link.opened", "--events", "link.viewed"}, "--events is given more than once"},
		{[]string{"user", "add", "dave", "--admin", "--db", db, "--admin"}, "--admin is given more than once"},
		{[]string{"--max-upload", "1MiB", "--max-upload", "2MiB", "--oidc-client-id", "x"}, "--max-upload is given more than once"},
	} {
		r := runCLI(t, env, "", tc.args...)
		if r.code != exitUsage || r.stdout != "" || r.err == nil || !strings.Contains(r.err.Error(), tc.want) || !strings.Contains(r.err.Error(), "usage: oncelink") {
			t.Errorf("%v: status %d, %v; want %d saying %q", tc.args, r.code, r.err, exitUsage, tc.want)
		}
	}
	env["LANG"] = "de_DE.UTF-8"
	r := runCLI(t, env, "", "share", "--ttl", "1h", "--ttl", "2h", "x")
	if want := i18n.For("de").T("cli.flag_error.repeated", "Flag", "--ttl"); r.code != exitUsage || r.err == nil || !strings.HasPrefix(r.err.Error(), want+"\n") {
		t.Errorf("in German: %d, %v; want %q", r.code, r.err, want)
	}
}

// TestGroupWithoutCommand checks every command that groups others: alone,
// it is a usage error that lists its commands on standard error; with
// --help it is help, on standard output.
func TestGroupWithoutCommand(t *testing.T) {
	for _, c := range commandTable() {
		if c.subcommands == nil {
			continue
		}
		r := runCLI(t, nil, "", c.name)
		if r.code != exitUsage || r.stdout != "" || r.err == nil || !strings.Contains(r.err.Error(), c.name+" "+c.subcommands[0].name) {
			t.Errorf("%s: status %d, stdout %q, error %v", c.name, r.code, r.stdout, r.err)
		}
		r = runCLI(t, nil, "", c.name, "--help")
		if r.code != exitDone || !strings.Contains(r.stdout, c.name+" "+c.subcommands[0].name) {
			t.Errorf("%s --help: status %d, stdout %q", c.name, r.code, r.stdout)
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("disk full"), 1},
		{usageError("no"), 2},
		{&exitError{code: exitGone, err: errors.New("used")}, 3},
		{fmt.Errorf("user disable: %w", &core.Error{Kind: core.NotFound, Msg: "There is no account named dave."}), 4},
		{core.ErrNotFound, 4},
		{&core.Error{Kind: core.Gone, Msg: "This link has been used"}, 3},
		{core.ErrKeyRefused, 5},
		{&exitError{code: exitSignedOut, err: errors.New("key refused")}, 5},
		{&client.APIError{Status: http.StatusGone, Code: "link_gone"}, 3},
		{fmt.Errorf("open: %w", &client.APIError{Status: http.StatusNotFound}), 4},
		{&client.APIError{Status: http.StatusUnauthorized}, 5},
		{&client.APIError{Status: http.StatusBadRequest, Field: "ttl"}, 1},
		{&client.APIError{Status: http.StatusTooManyRequests}, 1},
		{client.ErrNotLink, 4},
		{context.Canceled, 130},
		{errStdoutClosed, 141},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestBinaryExitStatus checks that the process ends with run's status and
// prints help where a user looks for it.
func TestBinaryExitStatus(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"--help"}, 0, "user add", ""},
		{[]string{"help", "user", "add"}, 0, "--password-stdin", ""},
		{[]string{"bogus"}, 2, "", `oncelink: unknown command "bogus"`},
		// A group of commands alone is a usage error; its help is not.
		{[]string{"user"}, 2, "", "usage: oncelink user COMMAND"},
		{[]string{"webhook"}, 2, "", "webhook deliveries"},
		{[]string{"user", "--help"}, 0, "user list", ""},
		{[]string{"help", "webhook"}, 0, "webhook add", ""},
		{[]string{"user", "add"}, 2, "", "usage: oncelink user add NAME"},
		{[]string{"user", "list"}, 1, "", "--create"},
		{[]string{"user", "enable", "nobody", "--create"}, 4, "", `so no account "nobody" either`},
	} {
		cmd := exec.Command(oncelinkBinary(t), tc.args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		code := 0
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("oncelink %v: status %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, &stdout, &stderr)
		}
	}
}

// TestBinaryQuotesWhole: a message in Arabic quotes a name set apart by
// isolates (see i18n.Quote), and the command prints them as they are,
// rather than as question marks around the name.
func TestBinaryQuotesWhole(t *testing.T) {
	cmd := exec.Command(oncelinkBinary(t), "user", "enable", "nobody", "--create")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=ar_EG.UTF-8"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("enabled an account that does not exist")
	}
	if want := "«\u2068nobody\u2069»"; !strings.Contains(stderr.String(), want) || strings.Contains(stderr.String(), "?") {
		t.Errorf("stderr %+q, want it to quote %+q", stderr.String(), want)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		r := runCLI(t, nil, "", args...)
		want := " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
		if r.code != exitDone || !strings.HasPrefix(r.stdout, "oncelink ") || !strings.HasSuffix(r.stdout, want) || r.stderr != "" {
			t.Errorf("%v: status %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := runCLI(t, nil, "", "version", "now"); r.code != exitUsage || r.err == nil || !strings.Contains(r.err.Error(), `unexpected argument "now"`) {
		t.Errorf("version now: status %d, %v", r.code, r.err)
	}
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "7896187cc3f4a1b2c3d4e5f60718293a4b5c6d7e"
	platform := " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: vcs(rev, "false")}, true, "v1.4.0 7896187cc3f4"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261205004919-7896187cc3f4+dirty"}, Settings: vcs(rev, "true")}, true,
			"v0.0.0-20261205004919-7896187cc3f4+dirty"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, true, "(devel) 7896187cc3f4+modified"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "(devel)"},
		{nil, false, "(devel)"},
	} {
		if got := version(tc.bi, tc.ok); got != tc.want+platform {
			t.Errorf("version of %v = %q, want %q", tc.bi, got, tc.want+platform)
		}
	}
}

// TestShortened: a long label is cut to the table's width, counted in
// the columns a terminal gives it, with an ellipsis; a short one is left
// whole. A character is cut with its accents, never from them.
func TestShortened(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Door code", "Door code"},
		{strings.Repeat("é", labelWidth), strings.Repeat("é", labelWidth)},
		{strings.Repeat("é", labelWidth+1), strings.Repeat("é", labelWidth-1) + "…"},
		{strings.Repeat("e\u0301", labelWidth), strings.Repeat("e\u0301", labelWidth)},
		{strings.Repeat("e\u0301", labelWidth+1), strings.Repeat("e\u0301", labelWidth-1) + "…"},
		{strings.Repeat("語", labelWidth/2), strings.Repeat("語", labelWidth/2)},
		{strings.Repeat("語", labelWidth/2+1), strings.Repeat("語", labelWidth/2-1) + "…"},
	} {
		if got := shortened(tc.in, labelWidth); got != tc.want {
			t.Errorf("shortened(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSignalsSetTheExitStatus: a command stopped by a signal ends with
// 128 and the signal's number, as shells report it, and says which:
// Ctrl-C's SIGINT is 130 and "interrupted", the SIGTERM of kill or of a
// service manager 143 and "terminated".
func TestSignalsSetTheExitStatus(t *testing.T) {
	// A server that takes an open and never answers it: the command
	// waits on it when the signal comes.
	arrived := make(chan struct{}, 1)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)
	sh := newShell(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		says string
	}{
		{syscall.SIGINT, exitInterrupted, "oncelink: interrupted\n"},
		{syscall.SIGTERM, exitTerminated, "oncelink: terminated\n"},
	} {
		cmd := sh.command(strings.NewReader(""), nil, "open", hang.URL+"/l/"+strings.Repeat("A", 43))
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("open did not reach the server: %s", stderr.String())
		}
		cmd.Process.Signal(tc.sig)
		err := cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != tc.code || stderr.String() != tc.says {
			t.Errorf("open stopped by %v: status %d (%v), stderr %q; want %d and %q", tc.sig, code, err, stderr.String(), tc.code, tc.says)
		}
	}

	// share --wait leaves the link as it is whichever signal stops it.
	db := filepath.Join(t.TempDir(), "oncelink.db")
	s := startServer(t, db)
	signUp(t, s)
	owner := ownerShell(t, s, db)
	wait := owner.command(strings.NewReader(""), nil, "share", "--wait", "not yet")
	var stderr lockedBuffer
	wait.Stderr = &stderr
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wait.Process.Kill() })
	eventually(t, 10*time.Second, "share --wait waits", func() bool { return strings.Contains(stderr.String(), "Ctrl-C") })
	wait.Process.Signal(syscall.SIGTERM)
	if err := wait.Wait(); wait.ProcessState.ExitCode() != exitTerminated || !strings.Contains(stderr.String(), "still active") {
		t.Fatalf("share --wait stopped by SIGTERM: %v\n%s", err, stderr.String())
	}
}

// TestUnknownFlagRepeatsNoSecret: an unknown flag's message never
// repeats a value, nor an argument that starts with "-" (a password, say),
// but gets the advice to put "--" before it: a near miss of one of the
// command's flags, which a password can be too, names that flag alone, and
// a flag before its "=" is named only when it is short and shaped as a
// flag's name.
func TestUnknownFlagRepeatsNoSecret(t *testing.T) {
	key := "ol_" + strings.Repeat("k", 43)
	for _, tc := range []struct {
		args   []string
		secret string
		want   string
	}{
		{[]string{"login", "https://share.example.com", "--key=" + key}, key, "did you mean --key-stdin?"},
		{[]string{"share", "--password=hunter2", "x"}, "hunter2", "did you mean --password-stdin?"},
		{[]string{"share", "--token=hunter2", "x"}, "hunter2", `unknown flag "--token"`},
		{[]string{"share", "-my-secret-pass"}, "my-secret-pass", "put -- before it"},
		{[]string{"share", "-Hunter2!"}, "Hunter2", "put -- before it"},
		{[]string{"share", "--lable", "x", "y"}, "lable", "did you mean --label?"},
		// Passwords that are near misses of a flag: only the flag is named.
		{[]string{"share", "-jsno"}, "jsno", "did you mean --json?"},
		{[]string{"share", "-uses1"}, "uses1", "did you mean --uses?"},
		{[]string{"open", "-oo", "x"}, "-oo", "did you mean -o?"},
		// The start of a flag is preferred to a few edits of another.
		{[]string{"open", "-pa", "x"}, "", "did you mean --password-stdin?"},
		{[]string{"open", "--pass", "x"}, "", "did you mean --password-stdin?"},
		{[]string{"share", "-e2e9=x"}, "e2e9", "did you mean --e2e?"},
		// A pass phrase of words and dashes before an "=" is no typo of a
		// flag: longer than any of the command's by more than two letters.
		{[]string{"share", "-correct-horse-battery=staple"}, "horse", "put -- before it"},
	} {
		r := runCLI(t, nil, "", tc.args...)
		if r.code != exitUsage || r.err == nil || !strings.Contains(r.err.Error(), tc.want) ||
			(tc.secret != "" && strings.Contains(r.err.Error()+r.stderr, tc.secret)) {
			t.Errorf("%v: status %d, error %v, stderr %q", tc.args, r.code, r.err, r.stderr)
		}
	}
}

// TestTablesLineUpAsATerminalShows: in the tables of links (and of
// requests, events, endpoints and accounts, which are laid out alike), a
// label in Japanese, whose characters take two columns of a terminal, or
// one whose accents are marks of their own, which take none, leaves the
// columns after it where they are on every other line.
func TestTablesLineUpAsATerminalShows(t *testing.T) {
	labels := []string{"plain", "日本語ラベル", "e\u0301te\u0301", "שלום עולם", strings.Repeat("語", labelWidth)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/links" {
			http.NotFound(w, r)
			return
		}
		var links []string
		for i, label := range labels {
			links = append(links, fmt.Sprintf(`{"id":%d,"kind":"message","label":%q,"status":"active","max_uses":1,"uses":0,"views":0,`+
				`"expires_at":"2026-12-08T10:00:00Z","created_at":"2026-12-07T10:00:00Z","used_at":null,"revoked_at":null,`+
				`"for_user":null,"has_password":false,"e2e":false}`, i+1, label))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"links":[%s],"next_cursor":null}`, strings.Join(links, ","))
	}))
	defer srv.Close()
	r := runCLI(t, map[string]string{"ONCELINK_URL": srv.URL, "ONCELINK_API_KEY": "ol_" + strings.Repeat("k", 43)}, "", "links")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != exitDone || len(lines) != len(labels)+1 {
		t.Fatalf("links: %d, %v\n%s", r.code, r.err, r.stdout)
	}
	// column is where on line its text starts, in a terminal's columns,
	// counted here as a terminal does for the labels above, apart from
	// the table's own measure: two for a Chinese or Japanese character,
	// none for an accent written as a mark of its own.
	column := func(line, text string) int {
		i := strings.Index(line, text)
		if i < 0 {
			t.Fatalf("no %q in %q", text, line)
		}
		n := 0
		for _, r := range line[:i] {
			switch {
			case unicode.Is(unicode.Mn, r):
			case unicode.In(r, unicode.Han, unicode.Katakana, unicode.Hiragana):
				n += 2
			default:
				n++
			}
		}
		return n
	}
	kind, expires := column(lines[0], "KIND"), column(lines[0], "EXPIRES")
	for _, line := range lines[1:] {
		if column(line, "message") != kind || column(line, "2026-12-08") != expires {
			t.Errorf("links: a row's columns are not under the header's:\n%s", r.stdout)
			break
		}
	}
}
