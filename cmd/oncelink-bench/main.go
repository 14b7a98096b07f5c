// Command oncelink-bench drives a real oncelink server over HTTP and compares
// it with a bare net/http handler measured the same way in the same run:
// throughput and p50/p99 latency of anonymous consumes and signed-in creates,
// on the web and through the JSON API, at several numbers of concurrent
// keep-alive clients, plus the server's peak RSS. It reads /proc, so it runs
// on Linux only.
//
//	go run ./cmd/oncelink-bench                       # SQLite in a temp dir
//	go run ./cmd/oncelink-bench -db postgres://... -instances 2 -check
//	go run ./cmd/oncelink-bench -clients 16 -scenarios api-create   # one scenario, to profile
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oncelink-bench:", err)
		os.Exit(1)
	}
}

// config is what the command line asks for.
type config struct {
	duration  time.Duration
	clients   []int
	server    string
	db        string
	instances int
	check     bool
	scenarios map[string]bool // those measured beside the bare handler
	bareAddr  string          // set only in the re-executed bare handler process
}

// scenarioNames are the scenarios, in the order they run.
var scenarioNames = []string{"create", "api-create", "consume", "api-open"}

// floors the server must meet at floorClients concurrent clients under -check.
const (
	floorClients = 16
	floorRSS     = 48 << 20
)

// floor is what a scenario must reach at floorClients clients: a share of
// the bare handler's throughput, and a p99 latency.
type floor struct {
	scenario string
	ratio    float64
	p99      time.Duration
}

// scenarioFloors are checked in this order.
var scenarioFloors = []floor{
	{"consume", 0.45, 5 * time.Millisecond},
	{"create", 0.30, 5 * time.Millisecond},
	{"api-open", 0.50, 5 * time.Millisecond},
	{"api-create", 0.40, 5 * time.Millisecond},
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("oncelink-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "how long each scenario runs at each concurrency level")
	clients := fs.String("clients", "1,16,64", "comma-separated `list` of numbers of concurrent keep-alive clients")
	fs.StringVar(&cfg.server, "server", "", "prebuilt oncelink `binary` (default: go build ./cmd/oncelink into a temp dir)")
	fs.StringVar(&cfg.db, "db", "", "database `dsn` passed to oncelink --db (default: a fresh SQLite file in a temp dir)")
	fs.IntVar(&cfg.instances, "instances", 1, "`number` of oncelink processes sharing the database; clients are spread round-robin")
	fs.BoolVar(&cfg.check, "check", false, "exit non-zero when the floors are not met")
	scenarios := fs.String("scenarios", strings.Join(scenarioNames, ","), "comma-separated `list` of the scenarios to measure beside the bare handler (-check needs them all)")
	fs.StringVar(&cfg.bareAddr, "bare-addr", "", "internal: serve the bare handler on this address")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: oncelink-bench [flags]")
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name == "bare-addr" {
				return
			}
			arg, usage := flag.UnquoteUsage(f)
			if f.DefValue != "" && f.DefValue != "false" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(stderr, "  %s\n    \t%s\n", strings.TrimSpace("-"+f.Name+" "+arg), usage)
		})
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return cfg, fmt.Errorf("-clients: %q is not a number from 1 to 1024", s)
		}
		cfg.clients = append(cfg.clients, n)
	}
	cfg.scenarios = map[string]bool{}
	for _, s := range strings.Split(*scenarios, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(scenarioNames, s) {
			return cfg, fmt.Errorf("-scenarios: %q is not one of %s", s, strings.Join(scenarioNames, ", "))
		}
		cfg.scenarios[s] = true
	}
	if cfg.duration <= 0 || cfg.duration > 10*time.Minute {
		return cfg, fmt.Errorf("-duration must be above 0 and at most 10m")
	}
	if cfg.instances < 1 || cfg.instances > 16 {
		return cfg, fmt.Errorf("-instances must be from 1 to 16")
	}
	return cfg, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.bareAddr != "" {
		return serveBare(ctx, cfg.bareAddr, os.Stdin, stdout)
	}

	tmp, err := os.MkdirTemp("", "oncelink-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	built := cfg.server
	if built == "" {
		built = filepath.Join(tmp, "oncelink-built")
		fmt.Fprintln(stderr, "building ./cmd/oncelink ...")
		if err := goBuild(ctx, built, "./cmd/oncelink", stderr); err != nil {
			return err
		}
	}
	server, err := install(built, tmp)
	if err != nil {
		return err
	}
	db := cfg.db
	if db == "" {
		db = filepath.Join(tmp, "oncelink.db")
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	bare, err := startBare(ctx, self, tmp)
	if err != nil {
		return err
	}
	defer bare.stop()

	var instances []*process
	defer func() {
		for _, p := range instances {
			p.stop()
		}
	}()
	for i := range cfg.instances {
		p, err := startServer(ctx, server, db, tmp, i)
		if err != nil {
			return err
		}
		instances = append(instances, p)
	}
	bases := make([]string, len(instances))
	for i, p := range instances {
		bases[i] = p.url
	}
	fmt.Fprintf(stderr, "bare handler at %s, oncelink at %s (db %s)\n", bare.url, strings.Join(bases, ", "), redactDSN(db))

	owner, err := signIn(ctx, bases[0])
	if err != nil {
		return withLogs(err, instances)
	}
	key, err := createKey(ctx, bases[0], owner)
	if err != nil {
		return withLogs(err, instances)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		defer cancel()
		if err := revokeKey(ctx, bases[0], owner, key); err != nil {
			fmt.Fprintln(stderr, "oncelink-bench: the run's API key is left unrevoked:", err)
		}
	}()

	// prepareAndUse prepares as many links as the bare handler's count
	// calls for, on the web or, given a key's secret, through the API, and
	// measures their use.
	prepareAndUse := func(b result, c int, secret string, links func(bases, tokens []string) target) (result, error) {
		need := linksFor(b.ok)
		fmt.Fprintf(stderr, " preparing %d links ...", need)
		tokens, err := prepareLinks(ctx, bases[0], owner, secret, need)
		if err != nil {
			fmt.Fprintln(stderr)
			if ctx.Err() != nil {
				return result{}, ctx.Err()
			}
			return result{}, withLogs(err, instances)
		}
		t := links(bases, tokens)
		fmt.Fprintf(stderr, " %s ...", t.name)
		return measureCPU(ctx, instances, t, c, cfg.duration), nil
	}
	var rows []result
	for _, c := range cfg.clients {
		fmt.Fprintf(stderr, "%d client(s): bare ...", c)
		b := measureCPU(ctx, []*process{bare}, getHello(bare.url), c, cfg.duration)
		// Creates run first, on a database that opens have not grown; the
		// table shows opens first.
		measured := map[string]result{}
		if cfg.scenarios["create"] {
			fmt.Fprint(stderr, " create ...")
			measured["create"] = measureCPU(ctx, instances, createLinks(bases, owner), c, cfg.duration)
		}
		if cfg.scenarios["api-create"] {
			fmt.Fprint(stderr, " api-create ...")
			measured["api-create"] = measureCPU(ctx, instances, apiCreateLinks(bases, key.secret), c, cfg.duration)
		}
		for _, use := range []struct {
			name   string
			secret string
			links  func(bases, tokens []string) target
		}{{"consume", "", consumeLinks}, {"api-open", key.secret, apiOpenLinks}} {
			if !cfg.scenarios[use.name] {
				continue
			}
			r, err := prepareAndUse(b, c, use.secret, use.links)
			if err != nil {
				return err
			}
			measured[use.name] = r
		}
		rows = append(rows, b)
		for _, name := range []string{"consume", "api-open", "create", "api-create"} {
			if r, ok := measured[name]; ok {
				rows = append(rows, r)
			}
		}
		fmt.Fprintln(stderr, " done")
		if err := ctx.Err(); err != nil {
			return err
		}
	}

	mem := memory{bare: bare.peakRSS()}
	for _, p := range instances {
		mem.servers = append(mem.servers, p.peakRSS())
	}
	printTable(stdout, rows, mem)
	ok, summary := floors(rows, mem)
	fmt.Fprintln(stdout, summary)
	for _, p := range instances {
		select {
		case <-p.done:
			return p.failed(fmt.Errorf("%s exited during the benchmark: %v", p.name, p.cmd.ProcessState))
		default:
		}
	}
	if cfg.check && !ok {
		return errors.New("floors not met")
	}
	return nil
}

// linksFor returns how many links of 100 uses cover a consume run, given
// that consumes will not outrun the bare handler's count at the same level.
func linksFor(bareCount int) int {
	n := bareCount*3/2/maxUses + 16
	return min(n, maxPrepared)
}

// redactDSN hides a password in a database URL before it is printed.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return dsn
}
