package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"oncelink/i18n"
)

// TestCompletionScripts checks that each script offers every command and
// every flag of the table, and that its shell, when installed, reads it.
func TestCompletionScripts(t *testing.T) {
	nodes := completionNodes(i18n.For("en"), commandTable())
	for _, shell := range shells {
		t.Run(shell, func(t *testing.T) {
			r := runCLI(t, nil, "", "completion", shell)
			if r.err != nil || r.stderr != "" {
				t.Fatalf("%v %q", r.err, r.stderr)
			}
			for _, n := range nodes {
				for _, w := range append(n.words, n.flags...) {
					word := w.word
					if shell == "fish" && strings.HasPrefix(word, "-") {
						word = fishFlag(word) // fish's spelling
					}
					if !strings.Contains(r.stdout, word) {
						t.Errorf("%s offers no %q after %q", shell, word, n.path)
					}
				}
			}
			for _, p := range leafPaths(commandTable(), "") {
				if !strings.Contains(r.stdout, "/"+strings.ReplaceAll(p, " ", "/")) {
					t.Errorf("%s does not know the command %q", shell, p)
				}
			}
			bin, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("%s is not installed: the script was not parsed", shell)
			}
			script := filepath.Join(t.TempDir(), "oncelink."+shell)
			if err := os.WriteFile(script, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, "-n", script).CombinedOutput(); err != nil {
				t.Fatalf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
}

// TestBashCompletion runs the bash script's function as bash would on a
// tab: COMP_WORDS hold the command line, the last word the one to complete.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	script := filepath.Join(t.TempDir(), "oncelink.bash")
	if err := os.WriteFile(script, []byte(runCLI(t, nil, "", "completion", "bash").stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line []string // the words typed; the last is completed
		want string
	}{
		{[]string{"oncelink", ""}, "serve user login share open request requests withdraw links revoke events webhook version completion help"},
		{[]string{"oncelink", "requests", "-"}, "--json --status --help"},
		{[]string{"oncelink", "wi"}, "withdraw"},
		{[]string{"oncelink", "webhook", ""}, "list add rotate test deliveries delete"},
		{[]string{"oncelink", "webhook", "add", "URL", "--e"}, "--events"},
		{[]string{"oncelink", "share", "--w"}, "--wait"},
		{[]string{"oncelink", "open", "URL", "-"}, "-o --password-stdin --help"},
		{[]string{"oncelink", "u"}, "user"},
		{[]string{"oncelink", "user", ""}, "list add passwd disable enable promote demote delete key 2fa-reset"},
		{[]string{"oncelink", "user", "a"}, "add"},
		{[]string{"oncelink", "user", "add", "--a"}, "--admin"},
		{[]string{"oncelink", "user", "add", "dave", "--p"}, "--password-stdin"},
		{[]string{"oncelink", "user", "list", "--"}, "--create --db --json --help"},
		{[]string{"oncelink", "--db", "x.db", "user", "l"}, "list"},
		{[]string{"oncelink", "--ad"}, "--addr"},
		{[]string{"oncelink", "serve", "--max-u"}, "--max-upload"},
		{[]string{"oncelink", "completion", ""}, "bash zsh fish"},
		{[]string{"oncelink", "help", "sh"}, "share"},
		{[]string{"oncelink", "help", "w"}, "withdraw webhook"},
		{[]string{"oncelink", "user", "add", "--db", ""}, ""}, // file names, from -o default
	} {
		cmd := exec.Command(bash, "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _oncelink; echo "${COMPREPLY[*]}"`,
			"bash", script)
		cmd.Args = append(cmd.Args, tc.line...)
		out, err := cmd.CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.line, got, err, tc.want)
		}
	}
}
