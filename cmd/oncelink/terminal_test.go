package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode"

	"oncelink/i18n"
)

// onTerminal runs the shell command line in dir with oncelink's binary as
// $ONCELINK, its standard output and error a terminal, as script(1) gives
// them, and returns what the terminal showed and the exit status.
func (sh *shell) onTerminal(dir, line string) (string, int) {
	sh.t.Helper()
	cmd := exec.Command("script", "-qec", line, "/dev/null")
	cmd.Env = append(append([]string{}, sh.env...), "ONCELINK="+oncelinkBinary(sh.t))
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		sh.t.Fatal(err)
	}
	return string(out), code
}

// TestOpenOnATerminal opens links with a terminal for standard output, as
// a person does: a file is saved in the working directory under a name
// cleaned of what the terminal would act on, and nothing of that reaches
// the screen; a directory that cannot be written is told before the link
// is used; a message leaves nothing behind.
func TestOpenOnATerminal(t *testing.T) {
	sh, _, _ := signedInShell(t)

	// The name of an end-to-end file is the sender's: the server never
	// sees it to clean it.
	hostile := filepath.Join(t.TempDir(), "\x1b]0;pwned\a\x1b[31mred\u202e\r.txt")
	if err := os.WriteFile(hostile, []byte("hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(sh.must(exitDone, "", "share", "--e2e", "--file", hostile).stdout)

	// In a directory that is gone by the time oncelink runs, a file goes
	// to the temporary directory, and the command says where.
	gone, tmp := filepath.Join(t.TempDir(), "gone"), t.TempDir()
	if err := os.Mkdir(gone, 0o700); err != nil {
		t.Fatal(err)
	}
	other := strings.TrimSpace(sh.must(exitDone, "", "share", "--file", hostile).stdout)
	said, code := sh.onTerminal(gone, `cd "$PWD" && rmdir "$PWD" && TMPDIR='`+tmp+`' "$ONCELINK" open '`+other+`'`)
	kept := filepath.Join(tmp, "]0;pwned[31mred.txt")
	if b, err := os.ReadFile(kept); code != exitDone || err != nil || string(b) != "hi\n" || !strings.Contains(said, kept) {
		t.Fatalf("open in a directory that cannot be written: %d %q; %s: %q, %v", code, said, kept, b, err)
	}

	dir := t.TempDir()
	said, code = sh.onTerminal(dir, `"$ONCELINK" open -o - '`+link+`'`)
	if code != exitDone || strings.ContainsAny(said, "\x1b\a\u202e") {
		t.Fatalf("open: %d, the terminal was sent %q", code, said)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("the directory holds %v (%v), want the one file", entries, err)
	}
	name := entries[0].Name()
	if strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }) || name != "]0;pwned[31mred.txt" {
		t.Fatalf("saved as %q", name)
	}
	if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != "hi\n" {
		t.Fatalf("saved %q, %v", b, err)
	}

	// A message is shown, and no file is left for it; also where no file
	// could be written.
	msgDir := t.TempDir()
	link = strings.TrimSpace(sh.must(exitDone, "just words\n", "share").stdout)
	if said, code := sh.onTerminal(msgDir, `"$ONCELINK" open '`+link+`'`); code != exitDone || !strings.Contains(said, "just words") {
		t.Fatalf("open a message: %d %q", code, said)
	}
	if entries, _ := os.ReadDir(msgDir); len(entries) != 0 {
		t.Fatalf("a message left %v behind", entries)
	}
	if err := os.Mkdir(gone, 0o700); err != nil {
		t.Fatal(err)
	}
	link = strings.TrimSpace(sh.must(exitDone, "more words\n", "share").stdout)
	if said, code := sh.onTerminal(gone, `cd "$PWD" && rmdir "$PWD" && "$ONCELINK" open '`+link+`'`); code != exitDone || !strings.Contains(said, "more words") {
		t.Fatalf("open a message in a directory that is gone: %d %q", code, said)
	}
}

// TestOpenKeepsEscapesOffTheTerminal: a message that holds what a
// terminal acts on (an escape sequence that retitles it, sets its
// clipboard or colours it; a carriage return that writes over a line) is
// not shown on one: it is saved as message.txt, byte for byte, as the used
// link cannot give it again, and standard error says so. Piped, it is
// written as it was shared; a message with only line breaks and tabs is
// shown.
func TestOpenKeepsEscapesOffTheTerminal(t *testing.T) {
	sh, _, _ := signedInShell(t)
	for _, msg := range []string{
		"hunter2\x1b]0;pwned\a\x1b]52;c;cm0gLXJmIH4=\a\x1b[31m\n",
		"real password\rfake password\n",
	} {
		dir := t.TempDir()
		link := strings.TrimSpace(sh.must(exitDone, msg, "share").stdout)
		said, code := sh.onTerminal(dir, `"$ONCELINK" open '`+link+`'`)
		saved := filepath.Join(dir, "message.txt")
		if code != exitDone || strings.ContainsAny(said, "\x1b\a") || strings.Contains(said, "fake") ||
			!strings.Contains(said, i18n.For("en").T("cli.open.message_saved_as", "Name", "message.txt")) {
			t.Errorf("open %q on a terminal: %d, the terminal was sent %q", msg, code, said)
		}
		if b, err := os.ReadFile(saved); err != nil || string(b) != msg {
			t.Errorf("open %q on a terminal saved %q, %v", msg, b, err)
		}
		piped := filepath.Join(t.TempDir(), "piped")
		link = strings.TrimSpace(sh.must(exitDone, msg, "share").stdout)
		if _, code := sh.onTerminal(dir, `"$ONCELINK" open '`+link+`' > '`+piped+`'`); code != exitDone {
			t.Errorf("open %q into a file: %d", msg, code)
		}
		if b, err := os.ReadFile(piped); err != nil || string(b) != msg {
			t.Errorf("open %q into a file wrote %q, %v", msg, b, err)
		}
	}
	dir := t.TempDir()
	link := strings.TrimSpace(sh.must(exitDone, "a\tb\r\nc\n", "share").stdout)
	if said, code := sh.onTerminal(dir, `"$ONCELINK" open '`+link+`'`); code != exitDone || !strings.Contains(said, "a\tb") {
		t.Errorf("open a message of lines and tabs: %d %q", code, said)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a message of lines and tabs left %v behind", entries)
	}
}

// TestOpenSavesUnderASafeName: a file saved on a terminal loses a leading
// dash, which a later rm * would read as its options, and a leading dot,
// which would hide it; the progress line and the closing message say the
// name it is saved under, " (2)" included when its name is taken.
func TestOpenSavesUnderASafeName(t *testing.T) {
	sh, _, _ := signedInShell(t)
	src := filepath.Join(t.TempDir(), "content")
	if err := os.WriteFile(src, []byte("hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, e2e, saved string
	}{
		{"-rf", "--e2e=false", "rf"},
		{"-rf", "--e2e", "rf (2)"},
		{".bashrc", "--e2e=false", "bashrc"},
		{".bashrc", "--e2e", "bashrc (2)"},
		{"--.-x.txt", "--e2e", "x.txt"},
	} {
		link := strings.TrimSpace(sh.must(exitDone, "", "share", tc.e2e, "--file", src, "--name="+tc.name).stdout)
		said, code := sh.onTerminal(dir, `"$ONCELINK" open '`+link+`'`)
		if b, err := os.ReadFile(filepath.Join(dir, tc.saved)); code != exitDone || err != nil || string(b) != "hi\n" {
			t.Errorf("%s %s: %d %q; %s: %q, %v", tc.name, tc.e2e, code, said, tc.saved, b, err)
			continue
		}
		if !strings.Contains(said, "\r"+tc.saved+"  ") || !strings.Contains(said, i18n.For("en").T("cli.open.saved_as", "Name", tc.saved)) ||
			strings.Contains(said, tc.name) {
			t.Errorf("%s %s: saved as %s, but the terminal showed %q", tc.name, tc.e2e, tc.saved, said)
		}
	}
	// With -o, the progress line names -o's file.
	link := strings.TrimSpace(sh.must(exitDone, "", "share", "--file", src, "--name=-rf").stdout)
	if said, code := sh.onTerminal(dir, `"$ONCELINK" open -o kept.txt '`+link+`'`); code != exitDone || !strings.Contains(said, "\rkept.txt  [") || strings.Contains(said, "rf") {
		t.Errorf("open -o kept.txt: %d %q", code, said)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "-") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left %q in the directory", e.Name())
		}
	}
	if len(entries) != 6 {
		t.Errorf("the directory holds %v, want the 6 files", entries)
	}
}

// TestClaimedNameIsReleased: a file that does not arrive whole leaves
// neither its temporary file nor the name claimed for it.
func TestClaimedNameIsReleased(t *testing.T) {
	dir := t.TempDir()
	f, err := os.CreateTemp(dir, ".oncelink-*.part")
	if err != nil {
		t.Fatal(err)
	}
	out := &outputFile{f: f, part: true, spare: true}
	if err := out.claim("-report.pdf"); err != nil || out.path != filepath.Join(dir, "report.pdf") {
		t.Fatalf("claim: %q, %v", out.path, err)
	}
	if _, err := os.Stat(out.path); err != nil {
		t.Fatalf("the name is not taken: %v", err)
	}
	out.discard()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

// printable keeps the marks that say which way a character reads, which
// the Arabic catalogs use, and the isolates that set apart what a message
// quotes, and drops what would reorder the line.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP \u200f502":          "HTTP \u200f502",
		"\u061c\u200eok":          "\u061c\u200eok",
		"a\u202eb\u2066c\x1b[31m": "a?b?c?[31m",
		// Other people's text keeps no isolate: a label cut short could
		// leave one open over the rest of its row.
		"\u2068nobody\u2069":        "?nobody?",
		"\u2068\u200fjpg.exe\u2069": "?\u200fjpg.exe?",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPrintableQuoting: oncelink's own lines keep the isolates that set
// apart what they quote, and nothing else that reorders.
func TestPrintableQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP \u200f502":          "HTTP \u200f502",
		"a\u202eb\u2066c\x1b[31m": "a?b?c?[31m",
		// An Arabic message's quoted name, whole.
		"لا يوجد حساب باسم «\u2068nobody\u2069».": "لا يوجد حساب باسم «\u2068nobody\u2069».",
		// An isolate left open, one that holds what reorders or a mark
		// that would turn it, and the others, still go.
		"a\u2068b":                        "a?b",
		"\u2068a\u202eb\u2069":            "?a?b?",
		"\u2068\u200fjpg\u200f.exe\u2069": "?\u200fjpg\u200f.exe?",
		"\u2068a\u2068b\u2069":            "?a\u2068b\u2069",
		"\u2067a\u2069 b\u2069":           "?a? b?",
		"\u2068a\x1b[0m\u2069":            "\u2068a?[0m\u2069",
	} {
		if got := printableQuoting(in); got != want {
			t.Errorf("printableQuoting(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenWithAStrayFragment opens a link the server sealed with a key
// after a "#", as if it were end to end: refused before its one use is
// taken, saying how to open it, which then works.
func TestOpenWithAStrayFragment(t *testing.T) {
	sh, _, _ := signedInShell(t)
	link := strings.TrimSpace(sh.must(exitDone, "sealed by the server\n", "share").stdout)
	r := sh.must(exitFailed, "", "open", link+"#"+strings.Repeat("A", 43))
	if r.stdout != "" || !strings.Contains(r.stderr, "not encrypted end to end") {
		t.Fatalf("open with a stray fragment: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if r := sh.must(exitDone, "", "open", link); r.stdout != "sealed by the server\n" {
		t.Fatalf("open without it: %q", r.stdout)
	}
}

// TestProgressSaysBytesInTheLanguage: a download's progress line says its
// sizes as the pages do, in the reader's language.
func TestProgressSaysBytesInTheLanguage(t *testing.T) {
	var b strings.Builder
	bar := newProgress(&b, i18n.For("de"), "clip.webm", 3<<10)
	bar.Write(make([]byte, 1536))
	bar.finish()
	if last := b.String()[strings.LastIndex(b.String(), "\r")+1:]; !strings.HasSuffix(last, " 50%  1,5\u00a0KiB / 3\u00a0KiB\n") {
		t.Errorf("the last progress line is %q", last)
	}
}

// TestOpenIntoAPipeThatCloses: a file opened into a pipe whose reader ends
// halfway (oncelink open URL | head) is lost with the link's use. oncelink
// still dies of SIGPIPE, as a Unix tool in a pipeline does, so that the
// shell and scripts see what they always saw; a person at a terminal is
// told in one line that the rest is lost, and a script's log gets nothing.
func TestOpenIntoAPipeThatCloses(t *testing.T) {
	sh, _, _ := signedInShell(t)
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, bytes.Repeat([]byte("0123456789abcdef"), 128<<10), 0o600); err != nil {
		t.Fatal(err)
	}

	link := strings.TrimSpace(sh.must(exitDone, "", "share", "--file", big).stdout)
	said, _ := sh.onTerminal(t.TempDir(), `{ "$ONCELINK" open '`+link+`'; echo "status $?" >&2; } | head -c 10 >/dev/null`)
	if strings.Count(said, "the link is used, and its content was not all written") != 1 || !strings.Contains(said, "status 141") {
		t.Fatalf("open into a pipe that closed, on a terminal: %q", said)
	}
	sh.must(exitGone, "", "open", link)

	// Standard error is no terminal: nothing is said.
	link = strings.TrimSpace(sh.must(exitDone, "", "share", "--file", big).stdout)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := sh.command(strings.NewReader(""), nil, "open", link)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE || stderr.Len() > 0 {
		t.Fatalf("open into a pipe that closed: %v, stderr %q", cmd.ProcessState, stderr.String())
	}
	sh.must(exitGone, "", "open", link)
}
