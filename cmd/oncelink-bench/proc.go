package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	startTimeout = 60 * time.Second // a cold oncelink start migrates its database
	stopTimeout  = 5 * time.Second  // graceful shutdown, then SIGKILL
)

// process is a child process serving HTTP on 127.0.0.1.
type process struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  string        // file holding its stderr
	done chan struct{} // closed once it has exited
}

// newProcess prepares a child that is sent SIGTERM should the benchmark
// itself die; its stderr (and stdout, unless piped) goes to logPath.
func newProcess(name, logPath, path string, args ...string) *process {
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	return &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
}

func (p *process) start() error {
	logFile, err := os.Create(p.log)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child holds its own copy
	p.cmd.Stderr = logFile
	if p.cmd.Stdout == nil {
		p.cmd.Stdout = logFile
	}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	return nil
}

// stop asks the process to shut down gracefully and kills it if it lingers.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// peakRSS returns the process's VmHWM in bytes, or 0 once it is gone.
func (p *process) peakRSS() int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	return parseVmHWM(status)
}

// cpuTime returns the CPU time, user and system, the process has used so
// far; once it is gone, an error.
func (p *process) cpuTime() (time.Duration, error) {
	return cpuTimeOf(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
}

// cpuTimeOf reads a process's CPU time from its /proc stat file.
func cpuTimeOf(statPath string) (time.Duration, error) {
	stat, err := os.ReadFile(statPath)
	if err != nil {
		return 0, err
	}
	return parseCPUTime(stat), nil
}

// clockTick is the unit of /proc's CPU times, USER_HZ, which Linux fixes
// at 100 per second for user space.
const clockTick = 10 * time.Millisecond

// parseCPUTime reads utime and stime, fields 14 and 15 of /proc/PID/stat.
// The command name (field 2) may hold spaces, so fields are counted from
// its closing parenthesis.
func parseCPUTime(stat []byte) time.Duration {
	s := string(stat)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0
	}
	f := strings.Fields(s[end+1:]) // f[0] is field 3
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * clockTick
}

func parseVmHWM(status []byte) int64 {
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// startBare re-executes the benchmark binary as the bare handler, which
// prints its URL on stdout and exits when its stdin closes.
func startBare(ctx context.Context, self, dir string) (*process, error) {
	p := newProcess("bare handler", filepath.Join(dir, "bare.log"), self, "-bare-addr", "127.0.0.1:0")
	if _, err := p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, out)
	}()
	select {
	case p.url = <-line:
	case <-time.After(startTimeout):
	case <-ctx.Done():
	}
	if !strings.HasPrefix(p.url, "http://127.0.0.1:") {
		p.stop()
		return nil, p.failed(fmt.Errorf("bare handler did not report its address (got %q)", p.url))
	}
	if err := waitHealthy(ctx, p, p.url+"/"); err != nil {
		p.stop()
		return nil, p.failed(err)
	}
	return p, nil
}

// measuredAway reports whether the environment variable kv would change
// what the benchmark measures of a server.
func measuredAway(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	switch name {
	case "GOGC", "GOMEMLIMIT", "GOMAXPROCS":
		return true
	}
	return strings.HasPrefix(name, "ONCELINK_")
}

// startServer starts oncelink instance i with rate limits off and waits
// until /healthz answers.
func startServer(ctx context.Context, bin, db, dir string, i int) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	url := "http://" + addr
	p := newProcess(fmt.Sprintf("oncelink #%d", i+1), filepath.Join(dir, fmt.Sprintf("oncelink-%d.log", i+1)),
		bin, "serve", "--addr", addr, "--db", db, "--base-url", url, "--rate-limits=false")
	p.url = url
	// What is measured is the defaults and these flags: an ONCELINK_*
	// variable left in the shell, say ONCELINK_SQLITE_SYNC=full, or a
	// runtime setting such as GOGC, which oncelink sets itself when it is
	// unset, must not change it unseen. (An empty Env, unlike nil, passes
	// nothing on.)
	p.cmd.Env = []string{}
	for _, kv := range os.Environ() {
		if !measuredAway(kv) {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	if err := p.start(); err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, p, url+"/healthz"); err != nil {
		p.stop()
		return nil, p.failed(err)
	}
	return p, nil
}

// waitHealthy polls url until it answers 200, the process exits, or time runs out.
func waitHealthy(ctx context.Context, p *process, url string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v", p.name, p.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("%s: no 200 from %s: %w", p.name, url, ctx.Err())
		case <-tick.C:
		}
	}
}

// failed adds the tail of the process's log to err.
func (p *process) failed(err error) error {
	return fmt.Errorf("%w\n--- last lines of %s (%s) ---\n%s", err, p.name, p.log, logTail(p.log, 20))
}

// withLogs adds the tail of every server's log to err.
func withLogs(err error, ps []*process) error {
	for _, p := range ps {
		err = p.failed(err)
	}
	return err
}

func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// freePort asks the kernel for a free port on 127.0.0.1 and releases it.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// install copies the server binary bin into dir, as installing it would,
// and returns the copy's path. The peak RSS measured counts the pages of
// the binary that the server maps, and the kernel maps more of a file as
// the linker left it than of the same bytes written as a copy: 4 to 8 MiB
// more of one build on the machines measured. Running a copy counts every
// build alike, as a server installed from a package runs.
func install(bin, dir string) (string, error) {
	in, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer in.Close()
	path := filepath.Join(dir, "oncelink")
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	return path, out.Close()
}

// goBuild compiles pkg into out, from the current directory's module.
func goBuild(ctx context.Context, out, pkg string, stderr io.Writer) error {
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Run(); err != nil {
		stderr.Write(buf.Bytes())
		return fmt.Errorf("go build %s: %w (run from the module root, or pass -server)", pkg, err)
	}
	return nil
}
