package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
)

// TestOpenFileLimitIsRaised starts the server with a soft limit of 512 open
// files under a hard limit of 4096: it serves with 4096, and says so once.
func TestOpenFileLimitIsRaised(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the open-file limit is raised on Linux")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit to start the server under a low limit")
	}
	srv := startCommand(t, []string{prlimit, "--nofile=512:4096", oncelinkBinary(t)}, filepath.Join(t.TempDir(), "oncelink.db"))
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", srv.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Max open files\s+(\d+)\s+(\d+)`).FindSubmatch(limits)
	if m == nil || string(m[1]) != "4096" || string(m[2]) != "4096" {
		t.Fatalf("the server's open-file limits: %q, want 4096 4096", m)
	}
	if n := len(regexp.MustCompile(`open files allowed.*limit=4096`).FindAllString(srv.logs.String(), -1)); n != 1 {
		t.Fatalf("the limit is logged %d times, want once:\n%s", n, srv.logs)
	}
}
